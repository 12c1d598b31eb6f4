"""The web adapter in process: every route, body type and error class."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from guest_orders.adapters.web import DEFAULT_MAX_BODY_BYTES, create_app
from guest_orders.adapters.web._json import dumps
from guest_orders.service import GuestOrders
from web._web_support import (
    BULK,
    CANCEL,
    CANCELLABLE,
    CASH,
    LOOKUP,
    REASONS,
    REFUNDABLE,
    REGISTERED,
    WITH_ACTIVE_REQUEST,
    AppClient,
    FixedRetryLimiter,
    make_service,
)

VALID_IBAN = "TR330006100519786457841326"


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """A DRF-style error body with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert isinstance(body["codes"], dict)
    return body


def assert_transport_error(response: httpx.Response, status: int, code: str) -> None:
    body = assert_error(response, status, code)
    assert set(body) == {"non_field_errors", "code", "codes"}
    assert len(body["non_field_errors"]) == 1
    assert isinstance(body["non_field_errors"][0], str)
    assert body["codes"] == {"non_field_errors": [code]}


@pytest.fixture
def client() -> AppClient:
    return AppClient()


# --- lookup ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [LOOKUP, LOOKUP.rstrip("/")])
def test_lookup_as_json_with_and_without_trailing_slash(client: AppClient, path: str) -> None:
    response = client.post(path, json=CANCELLABLE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    (order,) = response.json()
    assert order["number"] == CANCELLABLE["number"]
    assert [item["pk"] for item in order["orderitem_set"]] == [1001, 1002]


def test_lookup_exactly_as_the_storefront_client_sends_it(client: AppClient) -> None:
    # @akinon/next: POST {commerce}/users/orders/anonymous, form data, reads response[0].
    response = client.post(
        "/users/orders/anonymous",
        content=b"email=ayse.yilmaz%40example.com&number=2745403029312170",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    order = response.json()[0]
    assert order["number"] == CANCELLABLE["number"]
    assert order["orderitem_set"][0]["is_cancellable"] is True


@pytest.mark.parametrize("path", [LOOKUP, LOOKUP.rstrip("/")])
def test_lookup_as_multipart_form(client: AppClient, path: str) -> None:
    response = client.post(
        path, files={"number": (None, CANCELLABLE["number"])}, data={"email": CANCELLABLE["email"]}
    )
    assert response.status_code == 200, response.text
    assert response.json()[0]["number"] == CANCELLABLE["number"]


def test_lookup_shows_an_active_request(client: AppClient) -> None:
    (order,) = client.post(LOOKUP, json=WITH_ACTIVE_REQUEST).json()
    first, second = order["orderitem_set"]
    assert first["active_cancellation_request"]["easy_return"]["code"] == "K7M2P9XQ4D"
    assert first["is_refundable"] is False
    assert second["is_refundable"] is True


def test_a_repeated_form_field_counts_by_its_last_value(client: AppClient) -> None:
    response = client.post(
        LOOKUP,
        content=b"number=nope&number=2745403029312170&email=ayse.yilmaz%40example.com",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200


def test_invalid_lookup_names_every_field(client: AppClient) -> None:
    body = assert_error(client.post(LOOKUP, json={"email": "not an email"}), 400, "required")
    assert body["codes"] == {"number": ["required"], "email": ["invalid_email"]}


def test_a_json_body_that_is_not_an_object_is_a_validation_error(client: AppClient) -> None:
    payloads: list[object] = [[], "x", 1, None]
    for payload in payloads:
        response = client.post(
            LOOKUP,
            content=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        body = assert_error(response, 400, "invalid")
        assert body["codes"] == {"non_field_errors": ["invalid"]}


# --- the uniform miss -----------------------------------------------------------------------


def _miss_signature(
    response: httpx.Response,
) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    return response.status_code, tuple(sorted(response.headers.multi_items())), response.content


@pytest.mark.parametrize("path", [LOOKUP, CANCEL, BULK])
def test_every_miss_is_byte_identical(client: AppClient, path: str) -> None:
    item = {"order_item": 1, "reason": 1, "cancellation_type": "cancel"}
    extra: dict[str, Any] = item if path == CANCEL else {}
    if path == BULK:
        extra = {"cancel_order_items": [item]}
    misses = [
        {"number": "0000000000000000", "email": CANCELLABLE["email"]},  # unknown number
        REGISTERED,  # a registered customer's order, with its own email
        {"number": CANCELLABLE["number"], "email": "someone.else@example.com"},  # wrong email
        {"number": CANCELLABLE["number"], "email": "Ayse.Yilmaz@example.com"},  # local case
    ]
    signatures = {_miss_signature(client.post(path, json={**miss, **extra})) for miss in misses}
    assert len(signatures) == 1
    ((status, _headers, content),) = signatures
    assert json.loads(content)["code"] == "order_not_found"
    assert status in {400, 404}


def test_a_miss_by_form_is_the_same_bytes_as_by_json(client: AppClient) -> None:
    by_json = client.post(LOOKUP, json=REGISTERED)
    by_form = client.post(LOOKUP.rstrip("/"), data=REGISTERED)
    assert _miss_signature(by_json) == _miss_signature(by_form)


# --- cancellations --------------------------------------------------------------------------


@pytest.mark.parametrize("path", [CANCEL, CANCEL.rstrip("/")])
def test_single_cancellation_as_json(client: AppClient, path: str) -> None:
    response = client.post(
        path,
        json={**CANCELLABLE, "order_item": 1001, "reason": 1, "cancellation_type": "cancel"},
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["order_item"] == 1001
    assert created["status"] == "waiting"
    assert created["cancellation_type"] == "cancel"


def test_single_cancellation_as_form_and_multipart(client: AppClient) -> None:
    fields = {**CANCELLABLE, "reason": "1", "cancellation_type": "cancel"}
    by_form = client.post(CANCEL.rstrip("/"), data={**fields, "order_item": "1001"})
    assert by_form.status_code == 201, by_form.text
    by_multipart = client.post(
        CANCEL, data={**fields, "order_item": "1002"}, files={"quantity": (None, "1")}
    )
    assert by_multipart.status_code == 201, by_multipart.text
    assert by_multipart.json()["quantity"] == 1


def test_a_second_request_for_the_same_item_is_refused(client: AppClient) -> None:
    body = {**CANCELLABLE, "order_item": 1001, "reason": 1, "cancellation_type": "cancel"}
    assert client.post(CANCEL, json=body).status_code == 201
    assert_error(client.post(CANCEL, json=body), 400, "cancellation_request_100_1")


def test_refund_of_a_cash_order_with_a_bank_account(client: AppClient) -> None:
    response = client.post(
        CANCEL,
        json={
            **CASH,
            "order_item": 3001,
            "reason": 4,
            "cancellation_type": "refund",
            "shipping_company": 2,
            "iban": VALID_IBAN,
            "holder_name": "Zeynep Kaya",
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["iban"].endswith("1326")
    assert VALID_IBAN not in response.text
    assert created["holder_name"] == "Z*** K***"


@pytest.mark.parametrize("path", [BULK, BULK.rstrip("/")])
def test_bulk_refund_as_json(client: AppClient, path: str) -> None:
    response = client.post(
        path,
        json={
            **REFUNDABLE,
            "pickup_address": 1,
            "cancel_order_items": [
                {
                    "order_item": 2001,
                    "reason": 4,
                    "cancellation_type": "refund",
                    "shipping_company": 1,
                },
                {
                    "order_item": 2002,
                    "reason": 3,
                    "cancellation_type": "refund",
                    "shipping_company": 1,
                    "description": "The cap was broken.",
                },
            ],
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert [request["order_item"] for request in created] == [2001, 2002]
    assert all(request["easy_return"]["code"] for request in created)


def test_bulk_with_an_image(client: AppClient) -> None:
    png = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNg"
        "YGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="
    )
    item = {
        "order_item": 2001,
        "reason": 4,
        "cancellation_type": "refund",
        "shipping_company": 1,
        "cancellation_request_image_set": [{"image": png, "description": "the sole"}],
    }
    response = client.post(BULK, json={**REFUNDABLE, "cancel_order_items": [item]})
    assert response.status_code == 201, response.text
    (created,) = response.json()
    assert len(created["cancellation_request_image_set"]) == 1


@pytest.mark.parametrize(
    "send",
    [
        {"data": {**REFUNDABLE, "cancel_order_items": "[]"}},
        {"data": {**REFUNDABLE, "cancel_order_items": ["2001", "2002"]}},
        {"files": {"cancel_order_items": (None, "[]")}, "data": REFUNDABLE},
    ],
    ids=["urlencoded", "urlencoded-repeated", "multipart"],
)
def test_a_form_bulk_body_cannot_carry_items(client: AppClient, send: dict[str, Any]) -> None:
    body = assert_error(client.post(BULK.rstrip("/"), **send), 400, "required")
    assert body["codes"] == {"cancel_order_items": ["required"]}


# --- reasons and the document ---------------------------------------------------------------


@pytest.mark.parametrize("path", [REASONS, REASONS.rstrip("/")])
def test_cancellation_reasons(client: AppClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == len(page["results"]) == 5  # the inactive one is left out
    assert page["next"] is None
    assert page["previous"] is None
    assert [reason["id"] for reason in page["results"]] == [1, 2, 3, 4, 5]


def test_reasons_answer_head(client: AppClient) -> None:
    response = client.request("HEAD", REASONS)
    assert response.status_code == 200
    assert response.content == b""


def test_openapi_document_is_served(client: AppClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")


# --- content types, parse errors and sizes --------------------------------------------------


@pytest.mark.parametrize("path", [LOOKUP, CANCEL, BULK])
@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/xml",
        "application/json; charset=latin-1",
        "application/x-www-form-urlencoded; charset=iso-8859-9",
        "application/jsonx",
        "",
    ],
)
def test_unsupported_media_type(client: AppClient, path: str, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = client.post(path, content=json.dumps(CANCELLABLE).encode(), headers=headers)
    assert_transport_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "Application/JSON",
        "application/json; charset=UTF-8",
        'application/json; charset="utf-8"',
        "application/json;charset=utf8",
    ],
)
def test_json_content_type_spellings(client: AppClient, content_type: str) -> None:
    response = client.post(
        LOOKUP, content=json.dumps(CANCELLABLE).encode(), headers={"Content-Type": content_type}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"number": "1", }',
        b'{"number": "\xff\xfe", "email": "a@example.com"}',  # invalid UTF-8
        b'{"number": "\xc3", "email": "a@example.com"}',  # truncated UTF-8
        b'\xef\xbb\xbf{"number": "1", "email": "a@example.com"}',  # BOM
        b"\xff\xfe{\x00}\x00",  # UTF-16
        b'{"number": NaN, "email": "a@example.com"}',
        b'{"number": Infinity}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"number": ' + b"9" * 5000 + b"}",
        b"{} {}",
        b"\x00",
    ],
)
@pytest.mark.parametrize("path", [LOOKUP, CANCEL, BULK])
def test_malformed_json_is_a_parse_error(client: AppClient, path: str, body: bytes) -> None:
    response = client.post(path, content=body, headers={"Content-Type": "application/json"})
    assert_transport_error(response, 400, "parse_error")


@pytest.mark.parametrize(
    "body",
    [b"number=%ff%fe&email=a%40example.com", b"number=\xff", b"email=%C3"],
)
def test_form_with_invalid_utf8_is_a_parse_error(client: AppClient, body: bytes) -> None:
    response = client.post(
        LOOKUP, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_transport_error(response, 400, "parse_error")


def test_too_many_form_fields_is_a_parse_error(client: AppClient) -> None:
    body = "&".join(f"f{i}=1" for i in range(1001)).encode()
    response = client.post(
        LOOKUP, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_transport_error(response, 400, "parse_error")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),  # no boundary parameter
        ("multipart/form-data; boundary=x", b"garbage"),
        (
            "multipart/form-data; boundary=x",
            b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n",
        ),
        ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="a"\r\n'),
        (
            "multipart/form-data; boundary=x; charset=no-such-charset",
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--x--\r\n',
        ),
    ],
)
def test_malformed_multipart_never_fails_the_server(
    client: AppClient, content_type: str, body: bytes
) -> None:
    response = client.post(LOOKUP, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.json()["code"] in {"parse_error", "required"}


def test_file_uploads_are_refused(client: AppClient) -> None:
    response = client.post(
        CANCEL, data=CANCELLABLE, files={"image": ("photo.png", b"\x89PNG\r\n\x1a\n", "image/png")}
    )
    assert_transport_error(response, 400, "parse_error")
    assert "File uploads" in response.json()["non_field_errors"][0]


@pytest.fixture
def small_app_client() -> AppClient:
    return AppClient(create_app(make_service(), max_body_bytes=1024))


def test_declared_content_length_over_the_limit(small_app_client: AppClient) -> None:
    body = json.dumps({**CANCELLABLE, "pad": "x" * 2000}).encode()
    response = small_app_client.post(
        LOOKUP, content=body, headers={"Content-Type": "application/json"}
    )
    assert_transport_error(response, 413, "request_too_large")


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_streamed_body_is_cut_off_at_the_limit(
    small_app_client: AppClient, content_type: str
) -> None:
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1000):
            pulled += 1
            yield b"x" * 100

    response = small_app_client.post(
        LOOKUP, content=chunks(), headers={"Content-Type": content_type}
    )
    assert_transport_error(response, 413, "request_too_large")
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert pulled < 1000  # the app stopped reading: nothing unbounded was buffered


def test_a_body_at_the_limit_is_read(small_app_client: AppClient) -> None:
    body = json.dumps(CANCELLABLE).encode()
    body += b" " * (1024 - len(body))
    response = small_app_client.post(
        LOOKUP, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200


def test_an_invalid_content_length_is_a_parse_error(client: AppClient) -> None:
    response = client.post(
        LOOKUP,
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "-1"},
    )
    assert_transport_error(response, 400, "parse_error")


def test_the_default_limit_takes_a_bulk_request_with_images() -> None:
    assert DEFAULT_MAX_BODY_BYTES == 8 * 1024 * 1024
    client = AppClient()
    big = {**CANCELLABLE, "padding": "x" * (6 * 1024 * 1024)}
    assert client.post(LOOKUP, json=big).status_code == 200
    huge = {**CANCELLABLE, "padding": "x" * DEFAULT_MAX_BODY_BYTES}
    assert_transport_error(client.post(LOOKUP, json=huge), 413, "request_too_large")


def test_max_body_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_body_bytes"):
        create_app(make_service(), max_body_bytes=0)


# --- methods and paths ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", LOOKUP, "POST"),
        ("PUT", LOOKUP.rstrip("/"), "POST"),
        ("DELETE", CANCEL, "POST"),
        ("PATCH", BULK.rstrip("/"), "POST"),
        ("POST", REASONS, "GET, HEAD"),
        ("POST", "/openapi.json", "GET, HEAD"),
        ("OPTIONS", LOOKUP, "POST"),
    ],
)
def test_wrong_method(client: AppClient, method: str, path: str, allow: str) -> None:
    response = client.request(method, path, json=CANCELLABLE)
    assert_transport_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/nope",
        "/users/orders/anonymous//",
        "/users/orders/anonymous/x",
        "/openapi.json/",
        "/users/orders/cancellation_reasons//",
        "/users/orders/anonymous/cancellation_requests//",
    ],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unknown_path_is_not_found_and_never_redirected(
    client: AppClient, method: str, path: str
) -> None:
    response = client.request(method, path, json=CANCELLABLE)
    assert_transport_error(response, 404, "not_found")


# --- what the adapter passes to the service -------------------------------------------------


class RecordingService(GuestOrders):
    """A service whose creations take an idempotency key; records every call's keywords."""

    calls: list[tuple[str, dict[str, Any]]]

    def lookup(
        self,
        payload: Mapping[str, Any],
        *,
        form: bool = False,
        client: str | None = None,
        locale: str | None = None,
    ) -> list[dict[str, Any]]:
        self.calls.append(("lookup", {"form": form, "client": client, "locale": locale}))
        return [{"payload": dict(payload)}]

    def request_cancellation(
        self,
        payload: Mapping[str, Any],
        *,
        form: bool = False,
        client: str | None = None,
        idempotency_key: str | None = None,
        locale: str | None = None,
    ) -> dict[str, Any]:
        self.calls.append(
            (
                "cancel",
                {
                    "form": form,
                    "client": client,
                    "idempotency_key": idempotency_key,
                    "locale": locale,
                },
            )
        )
        return {}


def recording_service() -> RecordingService:
    service = RecordingService(store=make_service().store)
    object.__setattr__(service, "calls", [])
    return service


def test_the_client_address_idempotency_key_and_locale_are_passed() -> None:
    service = recording_service()
    client = AppClient(create_app(service), client=("203.0.113.7", 4000))
    client.post(LOOKUP, json=CANCELLABLE, headers={"Idempotency-Key": "k1"})
    client.post(
        CANCEL,
        json=CANCELLABLE,
        headers={"Idempotency-Key": "k2", "Accept-Language": "de;q=0.9, tr-TR;q=0.5"},
    )
    client.post(CANCEL, data=CANCELLABLE, headers={"Accept-Language": "fr"})
    address = "203.0.113.7"
    assert service.calls == [
        ("lookup", {"form": False, "client": address, "locale": "en"}),
        (
            "cancel",
            {"form": False, "client": address, "idempotency_key": "k2", "locale": "tr"},
        ),
        ("cancel", {"form": True, "client": address, "idempotency_key": None, "locale": "en"}),
    ]


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        (None, "198.51.100.1"),
        ("203.0.113.9", "203.0.113.9"),
        ("1.1.1.1, 203.0.113.9", "203.0.113.9"),  # the proxy's entry is the last one
        ("1.1.1.1,2001:db8::1", "2001:db8::1"),
        ("203.0.113.9:443", "198.51.100.1"),  # not an address: the peer
        ("", "198.51.100.1"),
        ("unknown", "198.51.100.1"),
    ],
)
def test_x_forwarded_for_is_used_only_when_trusted(forwarded: str | None, expected: str) -> None:
    headers = {} if forwarded is None else {"X-Forwarded-For": forwarded}
    trusted = recording_service()
    AppClient(create_app(trusted, trust_forwarded_for=True), client=("198.51.100.1", 1)).post(
        LOOKUP, json=CANCELLABLE, headers=headers
    )
    untrusted = recording_service()
    AppClient(create_app(untrusted), client=("198.51.100.1", 1)).post(
        LOOKUP, json=CANCELLABLE, headers=headers
    )
    assert trusted.calls[0][1]["client"] == expected
    assert untrusted.calls[0][1]["client"] == "198.51.100.1"


# --- throttling and server errors -----------------------------------------------------------


@pytest.mark.parametrize("path", [LOOKUP, CANCEL, BULK])
def test_too_many_attempts_has_retry_after(path: str) -> None:
    client = AppClient(create_app(make_service(limiter=FixedRetryLimiter(42))))
    body = {**CANCELLABLE, "order_item": 1001, "reason": 1, "cancellation_type": "cancel"}
    if path == BULK:
        body = {
            **CANCELLABLE,
            "cancel_order_items": [
                {"order_item": 1001, "reason": 1, "cancellation_type": "cancel"}
            ],
        }
    response = client.post(path, json=body)
    assert_transport_error(response, 429, "too_many_attempts")
    assert response.headers["retry-after"] == "42"


def test_an_unexpected_failure_is_a_generic_500_without_details() -> None:
    class BrokenService(GuestOrders):
        def cancellation_reasons(self, *, locale: str | None = None) -> dict[str, Any]:
            raise RuntimeError("secret internal detail at /srv/app.py line 12")

    app = create_app(BrokenService(store=make_service().store))
    response = AppClient(app, raise_app_exceptions=False).get(REASONS)
    assert_transport_error(response, 500, "server_error")
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    with pytest.raises(RuntimeError):  # and it does reach the server's log
        AppClient(app).get(REASONS)


# --- JSON encoding --------------------------------------------------------------------------


def test_json_encoding_is_compact_utf8_and_never_fails_on_a_string() -> None:
    assert (
        dumps({"a": "Yurtiçi", "b": [1, None, True]})
        == '{"a":"Yurtiçi","b":[1,null,true]}'.encode()
    )
    assert json.loads(dumps({"lone": "\ud800"})) == {"lone": "\ud800"}
    assert json.loads(dumps({"big": 2**70})) == {"big": 2**70}


# --- no input makes a server error ----------------------------------------------------------

_FIELDS = [
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
    "cancel_order_items",
    "pickup_address",
    "pickup_date",
    "fully_refund_as_loyalty_money",
    "cancellation_request_image_set",
]
_KNOWN_VALUES = [
    *CANCELLABLE.values(),
    *REFUNDABLE.values(),
    *CASH.values(),
    1001,
    2001,
    3001,
    4001,
    1,
    2,
    3,
    4,
    "cancel",
    "refund",
    VALID_IBAN,
    "2099-01-01",
    {"date": "2099-01-01", "hour_range": {"start": "09:00", "end": "12:00"}},
]
_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.sampled_from(_KNOWN_VALUES),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_FIELDS) | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=12,
)
_payloads = st.dictionaries(st.sampled_from(_FIELDS), _json_values, max_size=12)


def _form(fields: list[tuple[str, str]]) -> bytes:
    return urlencode(fields).encode()


def _multipart(fields: list[tuple[str, str]]) -> bytes:
    parts = [
        f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields
    ]
    return ("".join(parts) + "--b--\r\n").encode("utf-8", "surrogatepass")


_form_fields = st.lists(
    st.tuples(
        st.sampled_from(_FIELDS), st.text() | st.sampled_from([str(v) for v in _KNOWN_VALUES])
    ),
    max_size=12,
)
_requests = st.one_of(
    st.tuples(st.just("application/json"), _payloads.map(lambda p: json.dumps(p).encode())),
    st.tuples(st.just("application/json"), _json_values.map(lambda v: json.dumps(v).encode())),
    st.tuples(st.just("application/x-www-form-urlencoded"), _form_fields.map(_form)),
    st.tuples(st.just("multipart/form-data; boundary=b"), _form_fields.map(_multipart)),
    st.tuples(
        st.sampled_from(
            [
                "application/json",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=b",
                "multipart/form-data",
                "text/plain",
            ]
        ),
        st.binary(max_size=200),
    ),
)


@given(
    path=st.sampled_from([LOOKUP, CANCEL, BULK, LOOKUP.rstrip("/"), BULK.rstrip("/")]),
    request=_requests,
)
def test_no_body_makes_a_server_error(path: str, request: tuple[str, bytes]) -> None:
    content_type, body = request
    response = AppClient(create_app(make_service())).post(
        path, content=body, headers={"Content-Type": content_type}
    )
    assert response.status_code < 500  # the client re-raises anything the app lets escape
    if response.status_code >= 400:
        error = response.json()
        assert isinstance(error["code"], str)
        assert isinstance(error["codes"], dict)
