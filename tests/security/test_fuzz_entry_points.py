"""Hostile input survives: every entry point — the service methods (and so the parsers
they call), the use cases, the HTTP app — fed arbitrary JSON values (for the use cases,
arbitrary commands; over HTTP, arbitrary bytes), either succeeds or raises a
``GuestOrderError`` with a code — never any other exception. Each entry point is fuzzed
once, at the level that covers what it calls.

The values: ``None``, booleans, integers (huge ones too), floats (``nan``, ``inf``), text
(control characters, format characters, lone surrogates), lists and objects whose keys are
random or the real field names. CI (``HYPOTHESIS_PROFILE=ci``) runs 3,000 examples per
entry point (each goes to every service method, or both use cases, twice) and 1,000 over
HTTP; elsewhere a few hundred.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Final

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _builders import (
    CASH_CANCELLABLE_ITEM,
    CASH_ITEM,
    CASH_NUMBER,
    GUEST_EMAIL,
    GUEST_NUMBER,
    HOLDER_NAME,
    NOW,
    REGISTERED_ITEM,
    REGISTERED_NUMBER,
    STANDARD_ITEMS,
    UNKNOWN_NUMBER,
    VALID_IBAN,
    new_store,
)
from guest_orders.adapters.web import create_app
from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    CancelItem,
    CancellationCommand,
    CancellationType,
    Iban,
    ImageUpload,
    LookupQuery,
    PickupDate,
)
from guest_orders.errors import GuestOrderError
from guest_orders.policy import EmailMatch, Policy
from guest_orders.service import GuestOrders
from guest_orders.throttling import AttemptLimits, InMemoryAttemptLimiter
from guest_orders.use_cases import lookup_order, request_cancellation
from guest_orders.wire import render_error

CI: Final = os.environ.get("HYPOTHESIS_PROFILE") == "ci"


def fuzz(examples: int = 3_000, local: int = 300) -> Callable[[Any], Any]:
    return settings(
        max_examples=examples if CI else local,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# --- arbitrary JSON values ---------------------------------------------------------------------

FIELD_NAMES: Final = (
    "number",
    "email",
    "order_item",
    "reason",
    "cancellation_type",
    "description",
    "shipping_company",
    "quantity",
    "iban",
    "holder_name",
    "pickup_date",
    "date",
    "hour_range",
    "start",
    "end",
    "cancellation_request_image_set",
    "image",
    "cancel_order_items",
    "pickup_address",
    "fully_refund_as_loyalty_money",
    "non_field_errors",
    "",
)
HOSTILE_TEXT: Final = (
    "",
    " ",
    "\x00",
    "\ud800",
    "\udfff",
    "a\ud83d",
    "\u202e",
    "\u200b",
    "\x85",
    "\ufeff",
    "١٢",
    "0012",
    "1e3",
    "true",
    "on",
    "cancel",
    "refund",
    "2024-02-30",
    "24:00",
    "data:image/png;base64,",
    "data:image/png;base64,====",
    "TR990006100519786457841326",
    "@",
    "a@b",
    "x" * 300,
    "9" * 4000,
)
texts = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(exclude_categories=()), max_size=20),  # surrogates included
    st.text(st.characters(categories=["Cs", "Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=6),
    st.sampled_from(HOSTILE_TEXT),
)
# Huge integers stay below 4,300 digits, the most ``repr`` prints (Hypothesis reports
# examples by it); longer ones are tested by name in test_hostile_input.py.
integers = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 1, 2**63 - 1, 2**63, -(2**63), 10**30]),
    st.integers(min_value=10**4000, max_value=10**4200),
    st.integers(min_value=-(10**4200), max_value=-(10**4000)),
)
scalars = st.one_of(
    st.none(), st.booleans(), integers, st.floats(allow_nan=True, allow_infinity=True), texts
)
keys = st.sampled_from(FIELD_NAMES) | st.text(max_size=8)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=12,
)


def _or_any(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly plausible values, which reach the use cases; sometimes anything."""
    return st.one_of(strategy, json_values)


def _objects(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with any subset of ``fields`` and some stray keys."""
    return st.fixed_dictionaries(
        {}, optional={**fields, "extra": json_values, FIELD_NAMES[-2]: json_values}
    )


PNG: Final = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
_ITEM_PKS = [*STANDARD_ITEMS, CASH_ITEM, CASH_CANCELLABLE_ITEM, REGISTERED_ITEM, 999]
_OWNER: dict[str, st.SearchStrategy[Any]] = {
    "number": _or_any(
        st.sampled_from([GUEST_NUMBER, CASH_NUMBER, REGISTERED_NUMBER, UNKNOWN_NUMBER])
    ),
    "email": _or_any(st.sampled_from([GUEST_EMAIL, GUEST_EMAIL.lower(), "someone@example.com"])),
}
_HOURS = _objects(
    {
        "start": _or_any(st.sampled_from(["09:00", "12:00"])),
        "end": _or_any(st.sampled_from(["12:00", "09:00"])),
    }
)
_IMAGE = _objects(
    {
        "image": _or_any(
            st.sampled_from(
                [
                    "data:image/png;base64," + base64.b64encode(PNG).decode(),
                    "data:image/jpeg;base64," + base64.b64encode(PNG).decode(),
                ]
            )
        ),
        "description": json_values,
    }
)
_ITEM_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "order_item": _or_any(st.sampled_from(_ITEM_PKS)),
    "reason": _or_any(st.integers(0, 7)),
    "cancellation_type": _or_any(st.sampled_from(["cancel", "refund"])),
    "description": _or_any(texts),
    "shipping_company": _or_any(st.sampled_from([10, 11, 12, 98])),
    "quantity": _or_any(st.integers(-1, 5)),
    "iban": _or_any(st.sampled_from([VALID_IBAN, "tr33 0006 1005 1978 6457 8413 26"])),
    "holder_name": _or_any(st.just(HOLDER_NAME)),
    "pickup_date": _or_any(
        _objects(
            {
                "date": _or_any(st.sampled_from(["2024-06-20", "2024-06-01"])),
                "hour_range": _or_any(_HOURS),
            }
        )
    ),
    "cancellation_request_image_set": _or_any(st.lists(_or_any(_IMAGE), max_size=3)),
}
LOOKUP_BODIES = json_values | _objects(_OWNER)
SINGLE_BODIES = json_values | _objects({**_OWNER, **_ITEM_FIELDS})
BULK_BODIES = json_values | _objects(
    {
        **_OWNER,
        "cancel_order_items": _or_any(st.lists(_or_any(_objects(_ITEM_FIELDS)), max_size=4)),
        "pickup_address": _or_any(st.sampled_from([20, 21, 97])),
        "fully_refund_as_loyalty_money": _or_any(st.booleans()),
    }
)
idempotency_keys = st.one_of(st.none(), st.sampled_from(["k", "retry-1"]), texts)
clients = st.none() | texts


def _survives(call: Callable[[], Any]) -> Any:
    """``call()``'s result, or the ``GuestOrderError`` it raised, checked; anything else
    propagates and fails the test."""
    try:
        return call()
    except GuestOrderError as error:
        outcome = error
    assert isinstance(outcome.code, str)
    assert outcome.code
    json.dumps(render_error(outcome))  # and it renders
    return outcome


# --- the service: parse, use case, render ------------------------------------------------------
# The parsers are fuzzed here, through the service that calls them (and directly, for their
# messages, in tests/wire/test_parse_properties.py): not a third time on their own.

BODIES = st.one_of(LOOKUP_BODIES, SINGLE_BODIES, BULK_BODIES)


def _service(match: EmailMatch) -> GuestOrders:
    clock = FixedClock(NOW)
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(max_failures=2))
    return GuestOrders(
        store=new_store(),
        clock=clock,
        policy=Policy(email_match=match, loyalty_money_enabled=True),
        limiter=limiter,
    )


@pytest.mark.slow
@fuzz()
@given(
    body=BODIES,
    form=st.booleans(),
    key=idempotency_keys,
    client=clients,
    match=st.sampled_from(EmailMatch),
)
def test_service_methods_survive_anything(
    body: Any,
    form: bool,  # noqa: FBT001
    key: str | None,
    client: str | None,
    match: EmailMatch,
) -> None:
    """Each example goes to all three service methods, each twice (a replay, a conflict or
    a key reused the second time; failures add up to throttling)."""
    service = _service(match)
    calls: list[Callable[[], Any]] = [
        lambda: service.lookup(body, form=form, client=client),
        lambda: service.request_cancellation(body, form=form, client=client, idempotency_key=key),
        lambda: service.request_bulk_cancellation(
            body, form=form, client=client, idempotency_key=key
        ),
    ]
    for call in calls * 2:
        outcome = _survives(call)
        if not isinstance(outcome, GuestOrderError):
            json.dumps(outcome)  # JSON-ready data only


# --- the use cases, with commands a host might build without the parsers ---------------------

_any_int = integers
_optional_text = st.none() | texts
_pickups = st.tuples(st.dates(), st.times(), st.times()).filter(lambda t: t[1] < t[2])
cancel_items = st.builds(
    CancelItem,
    order_item=st.sampled_from(_ITEM_PKS) | _any_int,
    reason=st.integers(0, 7) | _any_int,
    cancellation_type=st.sampled_from(CancellationType),
    description=_optional_text,
    shipping_company=st.none() | st.sampled_from([10, 11, 98]) | _any_int,
    quantity=st.none() | st.integers(1, 5) | st.integers(min_value=1),
    iban=st.none() | st.just(Iban(VALID_IBAN)) | st.builds(Iban, st.text(min_size=5, max_size=34)),
    holder_name=_optional_text,
    pickup_date=st.none() | _pickups.map(lambda t: PickupDate(date=t[0], start=t[1], end=t[2])),
    images=st.lists(
        st.builds(
            ImageUpload,
            content=st.binary(max_size=20),
            media_type=texts,
            description=_optional_text,
        ),
        max_size=2,
    ),
)
numbers = st.sampled_from([GUEST_NUMBER, CASH_NUMBER, REGISTERED_NUMBER]) | texts
emails = st.sampled_from([GUEST_EMAIL, "guest.buyer@EXAMPLE.com"]) | texts


@st.composite
def commands(draw: st.DrawFn) -> CancellationCommand:
    bulk = draw(st.booleans())
    return CancellationCommand(
        number=draw(numbers),
        email=draw(emails),
        items=draw(st.lists(cancel_items, min_size=1, max_size=4 if bulk else 1)),
        pickup_address=draw(st.none() | st.sampled_from([20, 21]) | _any_int),
        fully_refund_as_loyalty_money=draw(st.booleans()),
        bulk=bulk,
    )


@pytest.mark.slow
@fuzz()
@given(
    command=commands(),
    key=idempotency_keys,
    client=clients,
    days=st.integers(-3, 30),
    match=st.sampled_from(EmailMatch),
)
def test_use_cases_survive_anything(
    command: CancellationCommand, key: str | None, client: str | None, days: int, match: EmailMatch
) -> None:
    """Each example goes to both use cases, each twice: ``lookup_order`` with the command's
    number and email, ``request_cancellation`` with the command."""
    clock = FixedClock(NOW + timedelta(days=days))
    store = new_store()
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(max_failures=2))
    policy = Policy(email_match=match, loyalty_money_enabled=True, return_window=timedelta(days=7))
    query = LookupQuery(number=command.number, email=command.email)
    for _ in range(2):
        _survives(
            lambda: request_cancellation(
                command,
                uow=store,
                clock=clock,
                policy=policy,
                limiter=limiter,
                client=client,
                idempotency_key=key,
            )
        )
        _survives(
            lambda: lookup_order(
                query, uow=store, clock=clock, policy=policy, limiter=limiter, client=client
            )
        )


# --- HTTP: bytes of any kind, any content type --------------------------------------------------

PATHS: Final = {
    "lookup": ("/users/orders/anonymous/", LOOKUP_BODIES),
    "cancellation": ("/users/orders/anonymous/cancellation_requests/", SINGLE_BODIES),
    "bulk": ("/users/orders/anonymous/bulk_cancellation_requests/", BULK_BODIES),
}
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
        "",
    ]
)


def _encode(body: Any) -> bytes:
    return json.dumps(body).encode()  # ASCII, lone surrogates escaped as a client may


@pytest.mark.slow
@fuzz(examples=1_000, local=100)
@given(
    name=st.sampled_from(list(PATHS)),
    data=st.data(),
    raw=st.none() | st.binary(max_size=200),
    content_type=content_types,
    key=st.none() | st.binary(max_size=12),
)
def test_http_survives_anything(
    name: str, data: st.DataObject, raw: bytes | None, content_type: str, key: bytes | None
) -> None:
    path, bodies = PATHS[name]
    content = raw if raw is not None else _encode(data.draw(bodies))
    headers = [(b"content-type", content_type.encode())] if content_type else []
    if key is not None:
        headers.append(
            (b"idempotency-key", key.strip(b" \t").replace(b"\r", b"").replace(b"\n", b""))
        )
    app = create_app(_service(EmailMatch.NORMALIZED))

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # an exception in the app fails the test
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return await client.post(path, content=content, headers=httpx.Headers(headers))

    response = asyncio.run(send())
    assert response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    if response.status_code >= 400:
        assert isinstance(body["code"], str)
