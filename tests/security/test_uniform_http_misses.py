"""Over HTTP, on every endpoint and both stores, an unknown number, a registered customer's
order and a wrong email are answered byte for byte alike: status, content type, content
length and body — with or without an idempotency key, as JSON or as a form (ASVS 6.3.8)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from _builders import (
    APPROVED_ITEM,
    GUEST_NUMBER,
    NOW,
    REGISTERED_ITEM,
    REGISTERED_NUMBER,
    UNKNOWN_NUMBER,
    addresses,
    companies,
    reasons,
)
from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine
from guest_orders.adapters.web import create_app
from guest_orders.clocks import FixedClock
from guest_orders.ports import UnitOfWork
from guest_orders.service import GuestOrders
from guest_orders.throttling import NoAttemptLimiter
from security._security_support import EMAIL, canary_orders, canary_store
from web._web_support import AppClient

PATHS = {
    "lookup": "/users/orders/anonymous/",
    "single": "/users/orders/anonymous/cancellation_requests/",
    "bulk": "/users/orders/anonymous/bulk_cancellation_requests/",
}
MISSES = {
    "unknown number": (UNKNOWN_NUMBER, EMAIL),
    "registered customer's order": (REGISTERED_NUMBER, EMAIL),
    "wrong email": (GUEST_NUMBER, "someone.else@example.com"),
    "local part in another case": (GUEST_NUMBER, EMAIL.lower()),
}


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWork]:
    if request.param == "memory":
        yield canary_store()
        return
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.sqlite3'}")
    try:
        create_schema(engine)
        sql = SqlAlchemyStore(engine)
        sql.load(
            orders=canary_orders(),
            reasons=reasons(),
            shipping_companies=companies(),
            addresses=addresses(),
        )
        yield sql
    finally:
        engine.dispose()


def _body(endpoint: str, number: str, email: str, item: int) -> dict[str, Any]:
    head = {"number": number, "email": email}
    fields = {"order_item": item, "reason": 1, "cancellation_type": "cancel"}
    if endpoint == "lookup":
        return head
    if endpoint == "single":
        return {**head, **fields}
    return {**head, "cancel_order_items": [fields]}


def _signature(response: httpx.Response) -> tuple[int, str, str, bytes]:
    return (
        response.status_code,
        response.headers["content-type"],
        response.headers["content-length"],
        response.content,
    )


# A form cannot carry the items of a bulk request: the bulk endpoint is tried as JSON only.
BODIES = [("lookup", False), ("lookup", True), ("single", False), ("single", True), ("bulk", False)]


@pytest.mark.parametrize(
    ("endpoint", "form"), BODIES, ids=[f"{e}-{'form' if f else 'json'}" for e, f in BODIES]
)
@pytest.mark.parametrize("key", [None, "retry-1"])
def test_every_miss_is_byte_identical(
    store: UnitOfWork,
    endpoint: str,
    form: bool,  # noqa: FBT001
    key: str | None,
) -> None:
    service = GuestOrders(store=store, clock=FixedClock(NOW), limiter=NoAttemptLimiter())
    client = AppClient(create_app(service))
    headers = {"Idempotency-Key": key} if key is not None else {}
    signatures = set()
    for number, email in MISSES.values():
        # The item named is the order's own where there is one: only ownership differs.
        item = REGISTERED_ITEM if number == REGISTERED_NUMBER else APPROVED_ITEM
        body = _body(endpoint, number, email, item)
        kwargs: dict[str, Any] = {"data": body} if form else {"json": body}
        signatures.add(_signature(client.post(PATHS[endpoint], headers=headers, **kwargs)))
    assert len(signatures) == 1, signatures
    ((status, content_type, _length, content),) = signatures
    assert status == 400
    assert content_type == "application/json"
    assert b'"code":"order_not_found"' in content
