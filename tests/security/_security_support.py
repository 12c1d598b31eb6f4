"""What the security tests share: canary personal data, stores holding it, hostile
requests that carry it, and a collector that fails a test when any of it shows up where it
must not.

Test modules import this as ``security._security_support`` (``tests/`` is on ``sys.path``;
mypy names it from the ``tests`` root).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

import attrs
import pytest

from _builders import (
    CASH_ITEM,
    CASH_NUMBER,
    GUEST_NUMBER,
    PREPARING_ITEM,
    REGISTERED_NUMBER,
    UNKNOWN_NUMBER,
    WAITING_ITEM,
    addresses,
    cash_order,
    companies,
    guest_order,
    reasons,
    registered_order,
)
from guest_orders.adapters.memory import InMemoryStore
from guest_orders.domain import Order
from guest_orders.errors import GuestOrderError
from guest_orders.i18n import LOCALES
from guest_orders.wire import render_error

# --- the canaries: personal data that must never leak -------------------------------------

EMAIL: Final = "Canary.Leak-4711@example.com"
IBAN: Final = "TR330006100519786457841326"
BAD_IBAN: Final = "TR330006100519786457841327"  # wrong check digits
HOLDER: Final = "Canarycıoğlu Leakman"
CLIENT_IP: Final = "198.51.100.77"
DESCRIPTION: Final = "Call me on 0555 414 7711 after six"
KEY: Final = "key-canary-5150"

#: Substrings whose presence means a leak (compared case-insensitively). The IBAN's
#: masked form keeps only its last four characters, so none of these survive masking.
PII: Final = (
    "canary.leak-4711",  # the email's local part, however the domain is written
    "0006100519786457841",  # the IBAN's digits (valid and invalid canaries share them)
    "0006 1005 1978",  # the IBAN written in groups
    "canarycıoğlu",
    "canarycioglu",
    "leakman",
    CLIENT_IP,
    "414 7711",
    KEY,
)

#: A masked IBAN: stars, then its last four characters.
MASKED_IBAN = re.compile(r"\*+[0-9A-Z]{4}")


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [canary for canary in PII if canary.lower() in lowered]


# --- stores holding the canaries ----------------------------------------------------------


def canary_orders() -> list[Order]:
    """The builders' orders, all placed with the canary email."""
    return [
        attrs.evolve(order, user_email=EMAIL)
        for order in (guest_order(), cash_order(), registered_order())
    ]


def canary_store() -> InMemoryStore:
    return InMemoryStore(
        orders=canary_orders(),
        reasons=reasons(),
        shipping_companies=companies(),
        addresses=addresses(),
    )


# --- hostile requests carrying the canaries -----------------------------------------------

LOOKUP: Final = "lookup"
SINGLE: Final = "single"
BULK: Final = "bulk"

_CASH_REFUND: Final[dict[str, Any]] = {
    "number": CASH_NUMBER,
    "email": EMAIL,
    "order_item": CASH_ITEM,
    "reason": 2,
    "cancellation_type": "refund",
    "shipping_company": 10,
    "iban": IBAN,
    "holder_name": HOLDER,
    "description": DESCRIPTION,
}
_REFUND_ITEM: Final[dict[str, Any]] = {
    "order_item": PREPARING_ITEM,
    "reason": 2,
    "cancellation_type": "refund",
    "shipping_company": 10,
    "description": DESCRIPTION,
}
_BULK: Final[dict[str, Any]] = {
    "number": GUEST_NUMBER,
    "email": EMAIL,
    "cancel_order_items": [_REFUND_ITEM],
}
_PII_IMAGE: Final = "data:image/png;base64,Q2FuYXJ5LkxlYWstNDcxMUBleGFtcGxlLmNvbQ=="


@attrs.frozen
class Case:
    name: str
    endpoint: str
    payload: Any
    key: str | None = None


def hostile_cases() -> list[Case]:
    """Requests, good and bad, that carry personal data in every field that takes text."""
    lookups: dict[str, Any] = {
        "right email": {"number": GUEST_NUMBER, "email": EMAIL},
        "local part in another case": {"number": GUEST_NUMBER, "email": EMAIL.lower()},
        "registered customer's order": {"number": REGISTERED_NUMBER, "email": EMAIL},
        "unknown number": {"number": UNKNOWN_NUMBER, "email": EMAIL},
        "full-width domain": {"number": GUEST_NUMBER, "email": "Canary.Leak-4711@ｅxample.com"},
        "email with NUL": {"number": GUEST_NUMBER, "email": EMAIL + "\x00"},
        "email with a lone surrogate": {
            "number": GUEST_NUMBER,
            "email": "Canary.Leak-4711\ud800@x.com",
        },
        "email too long": {"number": GUEST_NUMBER, "email": "Canary.Leak-4711" * 20 + "@x.com"},
        "email as a list": {"number": GUEST_NUMBER, "email": [EMAIL]},
        "email as an object": {"number": GUEST_NUMBER, "email": {EMAIL: IBAN}},
        "email as the number": {"number": EMAIL, "email": EMAIL},
        "iban as the number": {"number": IBAN, "email": IBAN},
        "holder as the number": {"number": HOLDER + "\x07", "email": HOLDER},
        "number too long": {"number": IBAN * 5, "email": EMAIL},
        "stray personal fields": {
            "number": GUEST_NUMBER,
            "email": "nobody@example.com",
            "iban": IBAN,
            HOLDER: DESCRIPTION,
        },
        "not an object": [EMAIL, IBAN, HOLDER],
    }
    singles: dict[str, Any] = {
        "cash refund": _CASH_REFUND,
        "bad check digits": {**_CASH_REFUND, "iban": BAD_IBAN},
        "alias check digits": {**_CASH_REFUND, "iban": "TR990006100519786457841326"},
        "iban in groups": {**_CASH_REFUND, "iban": "TR33 0006 1005 1978 6457 8413 26"},
        "iban with a zero-width space": {**_CASH_REFUND, "iban": IBAN[:10] + "\u200b" + IBAN[10:]},
        "iban too long": {**_CASH_REFUND, "iban": IBAN + "0000000000"},
        "iban as an object": {**_CASH_REFUND, "iban": {IBAN: HOLDER}},
        "holder with NUL": {**_CASH_REFUND, "holder_name": HOLDER.replace(" ", "\x00")},
        "holder too long": {**_CASH_REFUND, "holder_name": HOLDER * 20},
        "holder as a number": {**_CASH_REFUND, "holder_name": 4711},
        "description too long": {**_CASH_REFUND, "description": DESCRIPTION * 40},
        "description with a surrogate": {**_CASH_REFUND, "description": DESCRIPTION + "\udfff"},
        "bank account on a card order": {
            **_CASH_REFUND,
            "number": GUEST_NUMBER,
            "order_item": PREPARING_ITEM,
        },
        "refund without a carrier": {**_CASH_REFUND, "shipping_company": None},
        "wrong email with a bank account": {**_CASH_REFUND, "email": "x" + EMAIL},
        "registered order with a bank account": {**_CASH_REFUND, "number": REGISTERED_NUMBER},
        "everything of the wrong type": {key: [value] for key, value in _CASH_REFUND.items()},
    }
    bulks: dict[str, Any] = {
        "refund": _BULK,
        "bank account not allowed": {
            **_BULK,
            "cancel_order_items": [{**_REFUND_ITEM, "iban": IBAN, "holder_name": HOLDER}],
        },
        "items not a list": {**_BULK, "cancel_order_items": EMAIL},
        "item not an object": {**_BULK, "cancel_order_items": [EMAIL, IBAN]},
        "an image that is personal data": {
            **_BULK,
            "cancel_order_items": [
                {
                    **_REFUND_ITEM,
                    "cancellation_request_image_set": [
                        {"image": _PII_IMAGE, "description": DESCRIPTION},
                        {"image": EMAIL, "description": HOLDER * 100},
                    ],
                }
            ],
        },
        "pickup date of personal data": {
            **_BULK,
            "cancel_order_items": [
                {**_REFUND_ITEM, "pickup_date": {"date": EMAIL, "hour_range": IBAN}}
            ],
        },
        "duplicate items": {**_BULK, "cancel_order_items": [_REFUND_ITEM, _REFUND_ITEM]},
        "a cancellation of a refundable item": {
            **_BULK,
            "cancel_order_items": [
                {"order_item": WAITING_ITEM, "reason": 2, "cancellation_type": "refund"}
            ],
        },
        "too many items": {**_BULK, "cancel_order_items": [_REFUND_ITEM] * 101},
        "loyalty money disabled": {**_BULK, "fully_refund_as_loyalty_money": True},
    }
    cases = [Case(name, LOOKUP, payload) for name, payload in lookups.items()]
    cases += [Case(name, SINGLE, payload) for name, payload in singles.items()]
    cases += [Case(name, BULK, payload) for name, payload in bulks.items()]
    # With idempotency keys: a good one (the canary), and a malformed one of personal data.
    cases += [
        Case("cash refund with a key", SINGLE, _CASH_REFUND, KEY),
        Case("refund with a key", BULK, _BULK, KEY),
        Case("a key of personal data", SINGLE, _CASH_REFUND, EMAIL + " " + IBAN),
    ]
    return cases


def as_form(payload: Any) -> Any:
    """The payload as form fields would carry it: every scalar a string."""
    if not isinstance(payload, Mapping):
        return payload

    def text(value: Any) -> Any:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | str):
            return str(value)
        return json.dumps(value, ensure_ascii=False)

    return {str(key): text(value) for key, value in payload.items()}


# --- collecting what must hold no personal data --------------------------------------------

#: Every logger the tests listen to at DEBUG (SQLAlchemy sets its own level to WARN).
LOGGERS: Final = ("", "guest_orders", "sqlalchemy", "uvicorn", "httpx", "httpcore", "asyncio")


@contextmanager
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog


def record_texts(records: Iterable[logging.LogRecord]) -> Iterator[str]:
    formatter = logging.Formatter()
    for record in records:
        yield record.getMessage()
        yield repr(vars(record))  # the arguments and every extra attribute
        if record.exc_info:
            yield formatter.formatException(record.exc_info)


def error_texts(error: GuestOrderError) -> Iterator[str]:
    yield str(error)
    yield repr(error)
    yield repr(error.args)
    yield repr(error.errors)
    for locale in LOCALES:  # in every language the library speaks
        yield json.dumps(render_error(error, locale=locale), ensure_ascii=False)
        yield json.dumps(render_error(error, locale=locale))  # escaped, as some encoders write


def assert_no_pii(where: str, texts: Iterable[str]) -> None:
    for text in texts:
        found = leaks(text)
        assert not found, f"{where}: {found} in {text[:300]!r}"


def assert_masked(where: str, rendered: Any) -> None:
    """A success response: the owner's own email may be in it, but an IBAN only masked
    and a holder name only initialled."""
    for request in _requests_in(rendered):
        iban = request.get("iban")
        assert iban is None or MASKED_IBAN.fullmatch(iban), f"{where}: IBAN {iban!r}"
        holder = request.get("holder_name")
        assert holder is None or "*" in holder, f"{where}: holder {holder!r}"
    text = json.dumps(rendered, ensure_ascii=False)
    for canary in ("0006100519786457841", "canarycıoğlu", "leakman", CLIENT_IP, KEY):
        assert canary not in text.lower(), f"{where}: {canary} in a response"


def _requests_in(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if "cancellation_type" in value and "iban" in value:
            yield value
        for child in value.values():
            yield from _requests_in(child)
    elif isinstance(value, list):
        for child in value:
            yield from _requests_in(child)
