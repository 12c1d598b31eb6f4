"""The FastAPI router in a host's app, through FastAPI's test client: the same answers as
the library's own app, the library's error bodies (never FastAPI's 422), JSON, form and
multipart bodies, both spellings of every path answered directly, ``Idempotency-Key``,
429 with ``Retry-After``, and the operations in the host's OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from guest_orders import AsyncGuestOrders, AsyncInMemoryStore, AttemptLimits, GuestOrders
from guest_orders.adapters.fastapi import guest_orders_router, operations
from guest_orders.adapters.web import build_openapi, create_app
from guest_orders.clocks import FixedClock
from guest_orders.demo import sample_data
from guest_orders.throttling import AsyncInMemoryAttemptLimiter, AsyncNoAttemptLimiter
from web._web_support import (
    BULK,
    CANCEL,
    CANCELLABLE,
    LOOKUP,
    REASONS,
    AppClient,
    sample_store,
)


def _service(**kwargs: Any) -> AsyncGuestOrders:
    kwargs.setdefault("store", AsyncInMemoryStore.over(sample_store()))
    kwargs.setdefault("limiter", AsyncNoAttemptLimiter())
    return AsyncGuestOrders(**kwargs)


def _host(service: AsyncGuestOrders | GuestOrders | None = None) -> TestClient:
    app = FastAPI(title="A shop")
    app.include_router(guest_orders_router(service or _service()))

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return TestClient(app, raise_server_exceptions=True)


def _cancel_body() -> dict[str, Any]:
    data = sample_data()
    order = next(o for o in data.orders if o.number == CANCELLABLE["number"])
    return {
        **CANCELLABLE,
        "order_item": order.items[0].pk,
        "reason": 1,
        "cancellation_type": "cancel",
    }


def test_a_lookup_answers_as_the_librarys_own_app() -> None:
    host = _host()
    own = AppClient(create_app(_service()))
    for path in (LOOKUP, LOOKUP.rstrip("/")):
        response = host.post(path, json=CANCELLABLE, follow_redirects=False)
        assert response.status_code == 200
        assert response.json() == own.post(path, json=CANCELLABLE).json()
        assert response.json()[0]["number"] == CANCELLABLE["number"]
    assert host.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("path", [LOOKUP, LOOKUP.rstrip("/")])
def test_form_and_multipart_bodies_are_read(path: str) -> None:
    host = _host()
    form = host.post(path, data=CANCELLABLE, follow_redirects=False)
    multipart = host.post(
        path, files={k: (None, v) for k, v in CANCELLABLE.items()}, follow_redirects=False
    )
    assert form.status_code == multipart.status_code == 200
    assert form.json() == multipart.json()


def test_every_path_is_answered_without_its_slash_never_redirected() -> None:
    host = _host()
    for path, method in ((LOOKUP, "POST"), (CANCEL, "POST"), (BULK, "POST"), (REASONS, "GET")):
        for spelling in (path, path.rstrip("/")):
            response = host.request(method, spelling, json={}, follow_redirects=False)
            assert response.status_code not in {307, 308}, spelling
            assert response.status_code in {200, 400}, (spelling, response.status_code)


def test_bad_bodies_get_the_librarys_errors_not_fastapis_422() -> None:
    host = _host()
    own = AppClient(create_app(_service()))
    cases: list[dict[str, Any]] = [
        {"json": {"number": "", "email": "not an email"}},
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
        {"content": b"<xml/>", "headers": {"content-type": "application/xml"}},
    ]
    for case in cases:
        response = host.post(LOOKUP, **case)
        expected = own.post(LOOKUP, **case)
        assert response.status_code == expected.status_code
        assert response.status_code != 422
        assert response.json() == expected.json()
        assert "detail" not in response.json()
    unknown = {"number": "2745403029319999", "email": "nobody@example.com"}
    missing = host.post(LOOKUP, json=unknown)
    assert missing.status_code == 400
    assert missing.json()["code"] == "order_not_found"
    assert missing.json() == own.post(LOOKUP, json=unknown).json()


def test_idempotency_key_replays_the_first_response() -> None:
    host = _host()
    headers = {"Idempotency-Key": "order-42-try"}
    first = host.post(CANCEL, json=_cancel_body(), headers=headers)
    again = host.post(CANCEL.rstrip("/"), json=_cancel_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other = host.post(CANCEL, json={**_cancel_body(), "description": "x"}, headers=headers)
    assert other.status_code != 201  # the key was used for another body


def test_throttled_guesses_get_429_with_retry_after() -> None:
    clock = FixedClock(sample_data().orders[0].created_date + timedelta(days=1))
    limiter = AsyncInMemoryAttemptLimiter(clock, AttemptLimits(max_failures=2))
    host = _host(_service(clock=clock, limiter=limiter))
    wrong = {"number": CANCELLABLE["number"], "email": "someone.else@example.com"}
    assert [host.post(LOOKUP, json=wrong).json()["code"] for _ in range(2)] == [
        "order_not_found",
        "order_not_found",
    ]
    refused = host.post(LOOKUP, json=CANCELLABLE)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["code"] == "too_many_attempts" or "too_many" in str(refused.json())


def test_a_sync_service_is_served_too() -> None:
    host = _host(GuestOrders(store=sample_store(), limiter=AsyncNoAttemptLimiter()._sync))
    response = host.post(LOOKUP, json=CANCELLABLE)
    assert response.status_code == 200
    assert host.get(REASONS).json()["results"]


def test_the_operations_and_schemas_are_in_the_hosts_openapi() -> None:
    host = _host()
    document = host.get("/openapi.json").json()
    library = build_openapi()
    paths = document["paths"]
    assert "/health" in paths
    for path, item in operations(_service()).items():
        assert path in paths, path
        for method, operation in item.items():
            served = paths[path][method]
            assert served["operationId"] == library["paths"][path][method]["operationId"]
            assert served["responses"] == operation["responses"]
            assert served.get("requestBody") == operation.get("requestBody")
    # FastAPI's own validation error shape is nowhere: the library validates.
    assert "HTTPValidationError" not in str(document)
    assert "422" not in paths[LOOKUP]["post"]["responses"]
    lookup = paths[LOOKUP]["post"]
    body = lookup["requestBody"]["content"]
    assert set(body) >= {"application/json", "application/x-www-form-urlencoded"}
    assert "number" in body["application/json"]["schema"]["properties"]
    assert "$ref" not in str(paths[LOOKUP])  # self-contained: the host has no such component
    create = paths[CANCEL]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create.get("parameters", []))
    assert host.get("/docs").status_code == 200


def test_the_router_refuses_a_nonsense_body_limit() -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        guest_orders_router(_service(), max_body_bytes=0)
