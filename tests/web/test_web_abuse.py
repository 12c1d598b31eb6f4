"""Abuse resistance over HTTP: throttled guessing answers 429 with ``Retry-After``, and the
``Idempotency-Key`` header makes creations safe to retry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from guest_orders.adapters.web import create_app
from guest_orders.clocks import FixedClock
from guest_orders.service import GuestOrders
from guest_orders.throttling import AttemptLimits, InMemoryAttemptLimiter
from web._web_support import (
    BULK,
    CANCEL,
    CANCELLABLE,
    LOOKUP,
    REFUNDABLE,
    AppClient,
    make_service,
    sample_store,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)
KEY = "b0e5c2f4-6a1d-4c3e-9f7a-1d2e3f4a5b6c"

CANCEL_ITEM = {"order_item": 1001, "reason": 1, "cancellation_type": "cancel"}
BODIES: dict[str, dict[str, Any]] = {
    LOOKUP: CANCELLABLE,
    CANCEL: {**CANCELLABLE, **CANCEL_ITEM},
    BULK: {**CANCELLABLE, "cancel_order_items": [CANCEL_ITEM]},
}
paths = pytest.mark.parametrize("path", [LOOKUP, CANCEL, BULK])


def throttling_client(clock: FixedClock, *, max_failures: int = 3) -> AppClient:
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(max_failures=max_failures, window=WINDOW))
    service = GuestOrders(store=sample_store(), clock=clock, limiter=limiter)
    return AppClient(create_app(service), client=("203.0.113.50", 40000))


def _wrong_email(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "email": "someone.else@example.com"}


# --- 429 with Retry-After ---------------------------------------------------------------------


@paths
def test_past_the_limit_even_the_right_email_gets_429_until_the_window_passes(path: str) -> None:
    clock = FixedClock(NOW)
    client = throttling_client(clock)
    for _ in range(3):
        assert client.post(path, json=_wrong_email(BODIES[path])).status_code == 400

    refused = client.post(path, json=BODIES[path])
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(int(WINDOW.total_seconds()))
    assert refused.headers["content-type"] == "application/json"
    assert refused.json() == {
        "non_field_errors": ["Too many attempts. Please try again later."],
        "code": "too_many_attempts",
        "codes": {"non_field_errors": ["too_many_attempts"]},
    }

    clock.advance(WINDOW - timedelta(seconds=1))
    assert client.post(path, json=BODIES[path]).headers["retry-after"] == "1"
    clock.advance(timedelta(seconds=1))
    assert client.post(path, json=BODIES[path]).status_code in {200, 201}


def test_failures_on_one_endpoint_throttle_the_others() -> None:
    client = throttling_client(FixedClock(NOW))
    for path in (LOOKUP, CANCEL, BULK):
        assert client.post(path, json=_wrong_email(BODIES[path])).status_code == 400
    for path in (LOOKUP, CANCEL, BULK):
        assert client.post(path, json=BODIES[path]).status_code == 429


def test_a_throttled_answer_is_the_same_for_a_right_and_a_wrong_email() -> None:
    client = throttling_client(FixedClock(NOW))
    for _ in range(3):
        client.post(LOOKUP, json=_wrong_email(CANCELLABLE))
    right = client.post(LOOKUP, json=CANCELLABLE)
    wrong = client.post(LOOKUP, json=_wrong_email(CANCELLABLE))
    unknown = client.post(LOOKUP, json={**CANCELLABLE, "number": "1"})  # the client is throttled
    assert right.status_code == wrong.status_code == unknown.status_code == 429
    assert right.content == wrong.content == unknown.content
    assert right.headers["retry-after"] == wrong.headers["retry-after"]


def test_invalid_bodies_do_not_count() -> None:
    client = throttling_client(FixedClock(NOW))
    for _ in range(10):
        assert client.post(LOOKUP, json={"number": "1"}).status_code == 400  # no email
    assert client.post(LOOKUP, json=CANCELLABLE).status_code == 200


def test_the_default_service_throttles_after_ten_failures() -> None:
    client = AppClient(create_app(GuestOrders(store=sample_store())), client=("203.0.113.9", 1))
    for _ in range(10):
        assert client.post(LOOKUP, json=_wrong_email(CANCELLABLE)).status_code == 400
    response = client.post(LOOKUP, json=CANCELLABLE)
    assert response.status_code == 429
    assert 1 <= int(response.headers["retry-after"]) <= 900


# --- Idempotency-Key ----------------------------------------------------------------------------


def _creation(path: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return path, body


CREATIONS = {
    "single": _creation(CANCEL, {**CANCELLABLE, **CANCEL_ITEM, "description": "Ordered twice"}),
    "bulk": _creation(
        BULK,
        {
            **REFUNDABLE,
            "cancel_order_items": [
                {
                    "order_item": 2001,
                    "reason": 4,
                    "cancellation_type": "refund",
                    "shipping_company": 2,
                }
            ],
        },
    ),
}
creations = pytest.mark.parametrize(("path", "body"), CREATIONS.values(), ids=list(CREATIONS))


def _lookup_active_requests(client: AppClient, owner: dict[str, str]) -> list[Any]:
    [order] = client.post(LOOKUP, json=owner).json()
    return [item["active_cancellation_request"] for item in order["orderitem_set"]]


@creations
def test_a_retry_with_the_key_gets_the_same_bytes_and_creates_nothing(
    path: str, body: dict[str, Any]
) -> None:
    client = AppClient(create_app(make_service()))
    owner = {"number": body["number"], "email": body["email"]}
    first = client.post(path, json=body, headers={"Idempotency-Key": KEY})
    assert first.status_code == 201, first.text
    after_first = _lookup_active_requests(client, owner)

    # The same request, its keys in another order, sent as another body text.
    again = client.post(
        path,
        content=json.dumps(dict(reversed(body.items())), indent=2).encode(),
        headers={"Idempotency-Key": KEY, "Content-Type": "application/json"},
    )
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["content-length"] == first.headers["content-length"]
    assert _lookup_active_requests(client, owner) == after_first


@creations
def test_the_key_with_another_body_is_422(path: str, body: dict[str, Any]) -> None:
    client = AppClient(create_app(make_service()))
    assert client.post(path, json=body, headers={"Idempotency-Key": KEY}).status_code == 201
    changed = {**body, "fully_refund_as_loyalty_money": True} if path == BULK else body
    if path == CANCEL:
        changed = {**body, "description": "Something else"}
    response = client.post(path, json=changed, headers={"Idempotency-Key": KEY})
    assert response.status_code == 422
    assert response.json() == {
        "non_field_errors": ["This idempotency key was already used for a different request."],
        "code": "idempotency_key_reused",
        "codes": {"non_field_errors": ["idempotency_key_reused"]},
    }


def test_a_key_on_another_order_creates_normally() -> None:
    client = AppClient(create_app(make_service()))
    single_path, single_body = CREATIONS["single"]
    bulk_path, bulk_body = CREATIONS["bulk"]
    assert client.post(single_path, json=single_body, headers={"Idempotency-Key": KEY}).status_code
    other = client.post(bulk_path, json=bulk_body, headers={"Idempotency-Key": KEY})
    assert other.status_code == 201, other.text
    assert other.json()[0]["order_item"] == 2001


def test_without_the_header_a_retry_is_a_second_request() -> None:
    client = AppClient(create_app(make_service()))
    path, body = CREATIONS["single"]
    assert client.post(path, json=body).status_code == 201
    second = client.post(path, json=body)
    assert second.status_code == 400
    assert second.json()["code"] == "cancellation_request_100_1"


@pytest.mark.parametrize("key", ["", " ", "a b", "k" * 256, "clé"])
@creations
def test_a_malformed_key_is_400(path: str, body: dict[str, Any], key: str) -> None:
    client = AppClient(create_app(make_service()))
    response = client.post(
        path,
        json=body,
        headers=httpx.Headers([(b"Idempotency-Key", key.encode("utf-8"))]),  # raw bytes
    )
    assert response.status_code == 400
    assert response.json()["codes"] == {"non_field_errors": ["invalid_idempotency_key"]}


def test_the_lookup_ignores_the_header() -> None:
    client = AppClient(create_app(make_service()))
    response = client.post(LOOKUP, json=CANCELLABLE, headers={"Idempotency-Key": "not a key"})
    assert response.status_code == 200


def test_the_header_is_documented_with_its_format() -> None:
    document = AppClient(create_app(make_service())).get("/openapi.json").json()
    for path in (CANCEL, BULK):
        operation = document["paths"][path]["post"]
        [parameter] = operation["parameters"]
        assert parameter["name"] == "Idempotency-Key"
        assert parameter["schema"] == {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[!-~]+$",
        }
        assert "422" in operation["responses"]
        assert "Retry-After" in operation["responses"]["429"]["headers"]
