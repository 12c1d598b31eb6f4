"""Every response of the endpoints, whatever its status, carries the headers of
:data:`guest_orders.wire.RESPONSE_HEADERS`; JSON bodies are parsed strictly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from guest_orders.adapters.web import create_app
from guest_orders.ports import UnitOfWork
from guest_orders.service import GuestOrders
from guest_orders.wire import RESPONSE_HEADERS
from web._web_support import (
    BULK,
    CANCEL,
    CANCELLABLE,
    LOOKUP,
    REASONS,
    AppClient,
    FixedRetryLimiter,
    make_service,
)

ITEM = {"order_item": 1001, "reason": 1, "cancellation_type": "cancel"}


class _Broken:
    """A store whose every transaction fails: the app answers 500."""

    def transaction(self, *, read_only: bool = False) -> Any:
        raise RuntimeError("the database went away")


def _broken() -> AppClient:
    store: UnitOfWork = _Broken()
    return AppClient(create_app(GuestOrders(store=store)), raise_app_exceptions=False)


CASES: dict[str, Callable[[], httpx.Response]] = {
    "lookup 200": lambda: AppClient().post(LOOKUP, json=CANCELLABLE),
    "lookup form 200": lambda: AppClient().post(LOOKUP.rstrip("/"), data=CANCELLABLE),
    "cancel 201": lambda: AppClient().post(CANCEL, json={**CANCELLABLE, **ITEM}),
    "bulk 201": lambda: AppClient().post(BULK, json={**CANCELLABLE, "cancel_order_items": [ITEM]}),
    "reasons 200": lambda: AppClient().get(REASONS),
    "openapi 200": lambda: AppClient().get("/openapi.json"),
    "miss 400": lambda: AppClient().post(LOOKUP, json={**CANCELLABLE, "email": "x@example.com"}),
    "invalid 400": lambda: AppClient().post(LOOKUP, json={}),
    "duplicate key 400": lambda: AppClient().post(
        LOOKUP, content=b'{"number":"1","number":"2"}', headers={"content-type": "application/json"}
    ),
    "not found 404": lambda: AppClient().get("/elsewhere"),
    "method 405": lambda: AppClient().get(LOOKUP),
    "too large 413": lambda: AppClient(create_app(make_service(), max_body_bytes=10)).post(
        LOOKUP, json=CANCELLABLE
    ),
    "media type 415": lambda: AppClient().post(
        LOOKUP, content=b"x", headers={"content-type": "text/plain"}
    ),
    "throttled 429": lambda: AppClient(create_app(make_service(limiter=FixedRetryLimiter(7)))).post(
        LOOKUP, json=CANCELLABLE
    ),
    "server error 500": lambda: _broken().post(LOOKUP, json=CANCELLABLE),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_every_response_tells_caches_and_browsers_what_to_do(
    case: Callable[[], httpx.Response],
) -> None:
    """Finding: a lookup answered the guest's personal data with no ``Cache-Control``."""
    response = case()
    for name, value in RESPONSE_HEADERS:
        assert response.headers.get_list(name) == [value], (name, response.status_code)


def test_the_cases_cover_every_status() -> None:
    statuses = {case().status_code for case in CASES.values()}
    assert statuses == {200, 201, 400, 404, 405, 413, 415, 429, 500}


def test_the_headers_are_no_store_and_nosniff() -> None:
    assert dict(RESPONSE_HEADERS) == {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


@pytest.mark.parametrize("path", [LOOKUP, CANCEL, BULK])
@pytest.mark.parametrize(
    "body",
    [
        b'{"number":"2745403029312170","number":"1","email":"ayse.yilmaz@example.com"}',
        (
            b'{"number":"2745403029312170","email":"ayse.yilmaz@example.com",'
            b'"cancel_order_items":[{"order_item":1001,"order_item":1002}]}'
        ),
    ],
    ids=["top level", "nested"],
)
def test_a_duplicate_key_is_refused_with_400_duplicate_key(path: str, body: bytes) -> None:
    response = AppClient().post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Malformed JSON: an object names the same key more than once."],
        "code": "duplicate_key",
        "codes": {"non_field_errors": ["duplicate_key"]},
    }


@pytest.mark.parametrize("size", [100, 200_000], ids=["small", "decoded off the loop"])
def test_small_and_large_bodies_are_parsed_alike(size: int) -> None:
    padding = " " * size
    body = f'{padding}{{"number":"{CANCELLABLE["number"]}","email":"{CANCELLABLE["email"]}"}}'
    response = AppClient().post(
        LOOKUP, content=body.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    duplicated = body.replace('"email"', '"number":"1","email"').encode()
    refused = AppClient().post(
        LOOKUP, content=duplicated, headers={"content-type": "application/json"}
    )
    assert refused.json()["code"] == "duplicate_key"


def _multipart(fields: dict[str, str], boundary: str = "b0undary") -> tuple[bytes, dict[str, str]]:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def test_a_large_multipart_body_is_parsed_in_slices() -> None:
    fields = {**CANCELLABLE, **{name: str(value) for name, value in ITEM.items()}}
    small, headers = _multipart({**fields, "description": "x" * 10})
    assert AppClient().post(CANCEL, content=small, headers=headers).status_code == 201
    large, headers = _multipart({**fields, "description": "x" * 300_000})
    response = AppClient().post(CANCEL, content=large, headers=headers)
    assert response.status_code == 400
    assert response.json()["codes"] == {"description": ["max_length"]}
