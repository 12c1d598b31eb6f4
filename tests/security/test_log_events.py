"""The library's own log events on the ``guest_orders`` logger: which, with what, and never
with personal data."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest

from _builders import APPROVED_ITEM, CASH_NUMBER, GUEST_NUMBER, NOW, UNKNOWN_NUMBER
from guest_orders import logs
from guest_orders.clocks import FixedClock
from guest_orders.errors import IdempotencyKeyReused, OrderNotFound, TooManyAttempts
from guest_orders.service import GuestOrders
from guest_orders.throttling import AttemptLimits, InMemoryAttemptLimiter
from security._security_support import (
    CLIENT_IP,
    EMAIL,
    IBAN,
    KEY,
    assert_no_pii,
    canary_store,
    record_texts,
)

ITEM = {"order_item": APPROVED_ITEM, "reason": 1, "cancellation_type": "cancel"}


def _events(caplog: pytest.LogCaptureFixture) -> list[tuple[str, int, dict[str, Any]]]:
    out = []
    for record in caplog.records:
        event = getattr(record, "guest_orders_event", None)
        if event is None:
            continue
        assert record.name == "guest_orders"
        fields = {
            name: getattr(record, name)
            for name in (
                "operation",
                "number_ref",
                "client_ref",
                "retry_after",
                "order",
                "request_ids",
                "bulk",
                "idempotency_key_given",
            )
            if hasattr(record, name)
        }
        out.append((event, record.levelno, fields))
    return out


@pytest.fixture
def service() -> GuestOrders:
    clock = FixedClock(NOW)
    limits = AttemptLimits(max_failures=2)
    return GuestOrders(
        store=canary_store(), clock=clock, limiter=InMemoryAttemptLimiter(clock, limits)
    )


def test_every_event_with_its_fields(
    service: GuestOrders, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="guest_orders")
    body = {"number": GUEST_NUMBER, "email": EMAIL, **ITEM}

    first = service.request_cancellation(body, client=CLIENT_IP, idempotency_key=KEY)
    service.request_cancellation(body, client=CLIENT_IP, idempotency_key=KEY)
    with pytest.raises(IdempotencyKeyReused):
        service.request_cancellation(
            {**body, "description": "Other"}, client=CLIENT_IP, idempotency_key=KEY
        )
    for _ in range(2):
        with pytest.raises(OrderNotFound):
            service.lookup({"number": UNKNOWN_NUMBER, "email": EMAIL}, client=CLIENT_IP)
    with pytest.raises(TooManyAttempts):
        service.lookup({"number": CASH_NUMBER, "email": EMAIL}, client=CLIENT_IP)

    number_ref = logs.pseudonym(UNKNOWN_NUMBER)
    client_ref = logs.pseudonym(CLIENT_IP)
    assert _events(caplog) == [
        (
            "cancellation_created",
            logging.INFO,
            {
                "order": 1,
                "request_ids": [first["id"]],
                "bulk": False,
                "idempotency_key_given": True,
            },
        ),
        ("idempotent_replay", logging.INFO, {"order": 1, "request_ids": [first["id"]]}),
        ("idempotency_key_reused", logging.INFO, {"order": 1}),
        *[
            (
                "ownership_failed",
                logging.INFO,
                {"operation": "lookup", "number_ref": number_ref, "client_ref": client_ref},
            )
        ]
        * 2,
        (
            "throttled",
            logging.WARNING,
            {
                "operation": "lookup",
                "number_ref": logs.pseudonym(CASH_NUMBER),
                "client_ref": client_ref,
                "retry_after": 900,
            },
        ),
    ]
    assert_no_pii("guest_orders records", record_texts(caplog.records))
    for record in caplog.records:
        assert UNKNOWN_NUMBER not in record.getMessage()
        assert CASH_NUMBER not in record.getMessage()


def test_a_cancellation_miss_is_logged_like_a_lookup_miss(
    service: GuestOrders, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="guest_orders")
    with pytest.raises(OrderNotFound):
        service.request_bulk_cancellation(
            {"number": GUEST_NUMBER, "email": "x" + EMAIL, "cancel_order_items": [ITEM]}
        )
    [(event, _level, fields)] = _events(caplog)
    assert event == "ownership_failed"
    assert fields == {
        "operation": "cancellation",
        "number_ref": logs.pseudonym(GUEST_NUMBER),
        "client_ref": None,
    }


def test_nothing_is_logged_below_the_hosts_level(
    service: GuestOrders, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="guest_orders")
    with pytest.raises(OrderNotFound):
        service.lookup({"number": UNKNOWN_NUMBER, "email": EMAIL})
    assert _events(caplog) == []


def test_pseudonyms_are_stable_keyed_and_short() -> None:
    assert logs.pseudonym(None) is None
    ref = logs.pseudonym(IBAN)
    assert ref == logs.pseudonym(IBAN)
    assert ref is not None
    assert len(ref) == 16
    assert ref != logs.pseudonym(IBAN + " ")
    # Not a plain hash: nobody can find a number or an address by hashing candidates.
    assert ref not in hashlib.sha256(IBAN.encode()).hexdigest()
    assert logs.pseudonym("\ud800") is not None  # any string, even not UTF-8


def test_the_library_configures_no_output() -> None:
    logger = logging.getLogger(logs.LOGGER_NAME)
    assert logger is logs.logger
    assert [type(h) for h in logger.handlers] == [logging.NullHandler]
    assert logger.level == logging.NOTSET
