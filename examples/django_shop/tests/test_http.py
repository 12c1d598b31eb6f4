"""The three endpoints and the reasons over HTTP: the sync views and the async views
alike, through Django's test clients (every answer JSON, also where Django would answer
HTML) and through a real server process, WSGI and ASGI."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import iscoroutinefunction
from django.core.cache import cache
from django.test import AsyncClient, Client
from django.urls import resolve

from conftest import serve_async_views
from guest_orders.contrib.django.store import DjangoStore
from guest_orders.testing import example_seed
from shop.guest_orders import MAPPING

SEED = example_seed()
CARD = SEED.orders[0]
LOOKUP = "/users/orders/anonymous/"
CANCEL = "/users/orders/anonymous/cancellation_requests/"
BULK = "/users/orders/anonymous/bulk_cancellation_requests/"
REASONS = "/users/orders/cancellation_reasons/"
OWNER = {"number": CARD.number, "email": CARD.user_email}


@pytest.fixture
def shop(transactional_db: None) -> None:
    """The example data, committed: the async views' store reads it from other threads."""
    cache.clear()
    DjangoStore(MAPPING).load(
        orders=SEED.orders,
        reasons=SEED.reasons,
        shipping_companies=SEED.shipping_companies,
        addresses=SEED.addresses,
    )


@pytest.fixture
def client(shop: None, make_client: Callable[..., Client]) -> Client:
    """A client of the sync views, then of the async views."""
    # The endpoints are CSRF-exempt: a client that enforces CSRF checks gets through.
    return make_client(enforce_csrf_checks=True)


def _post(client: Client, path: str, body: Any, **extra: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", **extra)


def _assert_json_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    assert body["non_field_errors"] or body["codes"]
    return body


def test_lookup_answers_the_order_with_and_without_the_slash(client: Client) -> None:
    for path in (LOOKUP, LOOKUP.rstrip("/")):
        response = _post(client, path, OWNER)
        assert response.status_code == 200, response.content
        (order,) = response.json()
        assert order["number"] == CARD.number
        # Two-place money as the API shows it; items in pk order.
        assert order["amount"] == "1234567.12"
        assert [item["pk"] for item in order["orderitem_set"]] == [1001, 1002, 1003, 1004]
        assert response["Cache-Control"] == "no-store"


def test_lookup_takes_form_data_like_the_storefront(client: Client) -> None:
    response = client.post(LOOKUP.rstrip("/"), OWNER)  # multipart, no slash
    assert response.status_code == 200, response.content
    response = client.post(
        LOOKUP, "number=" + CARD.number + "&email=" + CARD.user_email,
        content_type="application/x-www-form-urlencoded",
    )  # fmt: skip
    assert response.status_code == 200, response.content


def test_a_wrong_email_is_the_one_uniform_miss(client: Client) -> None:
    response = _post(client, LOOKUP, {**OWNER, "email": "someone@example.com"})
    _assert_json_error(response, 400, "order_not_found")


def test_reasons(client: Client) -> None:
    for path in (REASONS, REASONS.rstrip("/")):
        response = client.get(path)
        assert response.status_code == 200
        assert [reason["id"] for reason in response.json()["results"]] == [2, 3, 1]


def test_cancellation_is_created_once_per_idempotency_key(client: Client) -> None:
    body = {**OWNER, "order_item": 1001, "reason": 1, "cancellation_type": "cancel"}
    first = _post(client, CANCEL, body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.content
    again = _post(client, CANCEL.rstrip("/"), body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    conflict = _post(client, CANCEL, body)
    _assert_json_error(conflict, 400, "cancellation_request_100_1")


def test_bulk_cancellation_is_all_or_nothing(client: Client) -> None:
    items = [
        {"order_item": 1001, "reason": 1, "cancellation_type": "cancel"},
        {"order_item": 1002, "reason": 3, "cancellation_type": "refund", "shipping_company": 11},
    ]
    created = _post(client, BULK, {**OWNER, "cancel_order_items": items})
    assert created.status_code == 201, created.content
    assert [request["order_item"] for request in created.json()] == [1001, 1002]
    again = _post(client, BULK, {**OWNER, "cancel_order_items": items})
    assert again.status_code == 400


@pytest.mark.parametrize(
    ("content_type", "body", "status", "code"),
    [
        ("application/json", b'{"number": ', 400, "parse_error"),
        ("application/json", b'{"number": NaN}', 400, "parse_error"),
        ("application/json", b'{"number": "1", "number": "2"}', 400, "duplicate_key"),
        ("application/json", b"\xff\xfe", 400, "parse_error"),
        ("text/plain", b"number=1", 415, "unsupported_media_type"),
        ("application/json; charset=latin-1", b"{}", 415, "unsupported_media_type"),
        ("multipart/form-data", b"--x\r\nbroken", 400, "parse_error"),  # no boundary
    ],
)
def test_bad_bodies_get_json_errors(
    client: Client, content_type: str, body: bytes, status: int, code: str
) -> None:
    _assert_json_error(client.post(LOOKUP, body, content_type=content_type), status, code)


def test_a_file_upload_is_refused(client: Client) -> None:
    upload = client.post(LOOKUP, {**OWNER, "image": _file()})
    _assert_json_error(upload, 400, "parse_error")


def _file() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: PLC0415

    return SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")


def test_a_body_over_the_cap_is_a_json_413(client: Client, settings: Any) -> None:
    # Django's own cap (DATA_UPLOAD_MAX_MEMORY_SIZE, 2.5 MiB) does not apply: a 3 MiB
    # body reaches the service, and gets its ordinary JSON answer.
    big = {**OWNER, "padding": "x" * (3 * 1024 * 1024)}
    response = _post(client, LOOKUP, big)
    assert response.status_code == 200, response.content[:200]
    settings.GUEST_ORDERS = {**settings.GUEST_ORDERS, "MAX_BODY_BYTES": 1024}
    _assert_json_error(_post(client, LOOKUP, big), 413, "request_too_large")


def test_a_wrong_method_is_a_json_405(client: Client) -> None:
    response = client.get(LOOKUP)
    _assert_json_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    assert client.post(REASONS)["Allow"] == "GET"


def test_outside_these_views_django_answers_its_own_way(client: Client) -> None:
    """What the how-to says the views do not answer: a path they do not serve, a host
    Django does not allow."""
    unknown = _post(client, LOOKUP + "nope/", OWNER)
    assert unknown.status_code == 404
    assert unknown["Content-Type"].startswith("text/html")
    foreign = _post(client, LOOKUP, OWNER, headers={"Host": "shop.example"})
    assert foreign.status_code == 400
    assert foreign["Content-Type"].startswith("text/html")


def test_guessing_is_throttled_with_retry_after(client: Client) -> None:
    wrong = {**OWNER, "email": "guess@example.com"}
    codes = [_post(client, LOOKUP, wrong).status_code for _ in range(10)]
    assert codes == [400] * 10
    throttled = _post(client, LOOKUP, OWNER)  # even the right email now waits
    _assert_json_error(throttled, 429, "too_many_attempts")
    assert 1 <= int(throttled["Retry-After"]) <= 15 * 60


def test_the_asgi_urls_serve_the_same_paths_with_async_views(settings: Any) -> None:
    paths = [LOOKUP, CANCEL, BULK, REASONS]
    sync_views = [resolve(path).func for path in paths]
    serve_async_views(settings)
    for path, sync_view in zip(paths, sync_views, strict=True):
        for spelling in (path, path.rstrip("/")):
            view = resolve(spelling).func
            assert iscoroutinefunction(view), spelling
            assert view.__name__ == f"async_{sync_view.__name__}"


def test_the_async_views_leave_the_event_loop_free_during_a_store_call(
    shop: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two lookups on one event loop, each made to wait inside its store transaction
    (in the transaction's thread) until the other is inside its own: both answer only if
    a store call leaves the loop free to start the other request."""
    serve_async_views(settings)
    both_inside = threading.Barrier(2)
    transaction = DjangoStore.transaction

    @contextmanager
    def meeting(store: DjangoStore, *, read_only: bool = False) -> Iterator[Any]:
        both_inside.wait(timeout=30)  # a guard against hanging: broken, the lookup fails
        with transaction(store, read_only=read_only) as repositories:
            yield repositories

    monkeypatch.setattr(DjangoStore, "transaction", meeting)

    async def two_lookups() -> list[Any]:
        return list(
            await asyncio.gather(
                *(
                    AsyncClient().post(LOOKUP, json.dumps(OWNER), content_type="application/json")
                    for _ in range(2)
                )
            )
        )

    responses = asyncio.run(two_lookups())
    assert [response.status_code for response in responses] == [200, 200]
    assert [response.json()[0]["number"] for response in responses] == [CARD.number] * 2
    assert not both_inside.broken


# --------------------------------------------------------------- a real server process


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(params=["wsgi", "asgi"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The shop on a fresh SQLite file with the example data: ``manage.py runserver``
    (WSGI, the sync views), then uvicorn on ``django_shop.asgi`` (the async views)."""
    project = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "DJANGO_SHOP_SQLITE": str(tmp_path / "shop.sqlite3"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
    }
    env.pop("GUEST_ORDERS_TEST_POSTGRES_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # each entry point names its own
    manage = [sys.executable, str(project / "manage.py")]
    for step in (["migrate", "--verbosity", "0"], ["load_example_data"]):
        subprocess.run([*manage, *step], env=env, cwd=project, check=True, timeout=120)
    port = _free_port()
    if request.param == "wsgi":
        command = [*manage, "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"]
    else:
        command = [
            *[sys.executable, "-m", "uvicorn", "django_shop.asgi:application"],
            *["--port", str(port), "--lifespan", "off", "--ws", "none"],
        ]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("the server process exited")
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _request(url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310  # the URL is the local test server
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_real_server_serves_the_three_endpoints(server: str) -> None:
    status, orders = _request(server + LOOKUP.rstrip("/"), OWNER)
    assert status == 200
    assert orders[0]["number"] == CARD.number
    status, reasons = _request(server + REASONS)
    assert (status, reasons["count"]) == (200, 3)
    single = {**OWNER, "order_item": 1001, "reason": 1, "cancellation_type": "cancel"}
    status, created = _request(server + CANCEL, single, {"Idempotency-Key": "smoke-1"})
    assert (status, created["order_item"]) == (201, 1001)
    bulk_items = [{"order_item": 1004, "reason": 1, "cancellation_type": "cancel"}]
    status, body = _request(server + BULK, {**OWNER, "cancel_order_items": bulk_items})
    assert status == 400, body  # item 1004 is shipped: a cancel is no longer possible
    assert body["code"]
    status, body = _request(server + LOOKUP, {"number": CARD.number})
    assert (status, body["codes"]["email"]) == (400, ["required"])
