"""No leaks: hostile requests full of personal data go through every entry point — the
parsers, the use cases, the service and HTTP (in process, and a real uvicorn server over
SQLite) — and no error message, ``repr``, error body or log record, of any logger at DEBUG,
holds any of it; IBANs and holder names in responses are masked (ASVS 16.5.1, 6.3.8)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import attrs
import httpx
import pytest
import uvicorn
from starlette.routing import Route

from _builders import NOW, addresses, companies, reasons
from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine
from guest_orders.adapters.web import AccessLog, create_app
from guest_orders.clocks import FixedClock
from guest_orders.domain import CancellationCommand, LookupQuery
from guest_orders.errors import GuestOrderError, InvalidRequest
from guest_orders.policy import Policy
from guest_orders.ports import UnitOfWork
from guest_orders.service import GuestOrders
from guest_orders.throttling import InMemoryAttemptLimiter
from guest_orders.use_cases import lookup_order, request_cancellation
from guest_orders.wire import parse_bulk_cancellation, parse_cancellation, parse_lookup
from security._security_support import (
    BULK,
    CLIENT_IP,
    EMAIL,
    IBAN,
    LOOKUP,
    SINGLE,
    Case,
    as_form,
    assert_masked,
    assert_no_pii,
    canary_orders,
    canary_store,
    error_texts,
    everything_logged,
    hostile_cases,
    record_texts,
)

CASES = hostile_cases()
cases = pytest.mark.parametrize("case", CASES, ids=[f"{c.endpoint}: {c.name}" for c in CASES])

PARSERS: dict[str, Callable[..., Any]] = {
    LOOKUP: parse_lookup,
    SINGLE: parse_cancellation,
    BULK: parse_bulk_cancellation,
}
PATHS = {
    LOOKUP: "/users/orders/anonymous/",
    SINGLE: "/users/orders/anonymous/cancellation_requests/",
    BULK: "/users/orders/anonymous/bulk_cancellation_requests/",
}


def _service(store: UnitOfWork | None = None) -> GuestOrders:
    clock = FixedClock(NOW)
    return GuestOrders(
        store=store or canary_store(), clock=clock, limiter=InMemoryAttemptLimiter(clock)
    )


def _call(service: GuestOrders, case: Case, *, form: bool = False) -> Any:
    payload = as_form(case.payload) if form else case.payload
    if case.endpoint == LOOKUP:
        return service.lookup(payload, form=form, client=CLIENT_IP)
    method = (
        service.request_cancellation
        if case.endpoint == SINGLE
        else service.request_bulk_cancellation
    )
    return method(payload, form=form, client=CLIENT_IP, idempotency_key=case.key)


def _outcome(where: str, call: Callable[[], Any], *, rendered: bool = True) -> Any:
    """Run ``call``. Its error must name no personal data; a rendered result must mask
    it, and any other result must hide it from its ``repr``."""
    try:
        result = call()
    except GuestOrderError as error:
        outcome = error
    else:
        if rendered:
            assert_masked(where, result)
        else:
            assert_no_pii(f"repr: {where}", [repr(result)])
        return result
    assert isinstance(outcome.code, str)
    assert outcome.code
    assert_no_pii(where, error_texts(outcome))
    return outcome


# --- the parsers -------------------------------------------------------------------------------


@cases
@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_parsers(case: Case, form: bool, caplog: pytest.LogCaptureFixture) -> None:  # noqa: FBT001
    parse = PARSERS[case.endpoint]
    payload = as_form(case.payload) if form else case.payload
    with everything_logged(caplog):
        # The order number is an identifier, not personal data: reprs show it as given, so
        # it is left out of the check (a hostile client may have put anything there).
        outcome = _outcome(
            case.name, lambda: _without_number(parse(payload, form=form)), rendered=False
        )
    if isinstance(outcome, LookupQuery | CancellationCommand):
        assert EMAIL not in str(outcome)
    assert_no_pii("logs", record_texts(caplog.records))


def _without_number(parsed: LookupQuery | CancellationCommand) -> LookupQuery | CancellationCommand:
    return attrs.evolve(parsed, number="<number>")


# --- the use cases -----------------------------------------------------------------------------


def _parses(case: Case) -> bool:
    try:
        PARSERS[case.endpoint](case.payload)
    except InvalidRequest:
        return False
    return True


PARSED = [case for case in CASES if _parses(case)]  # the others stop at the parsers


@pytest.mark.parametrize("case", PARSED, ids=[f"{c.endpoint}: {c.name}" for c in PARSED])
def test_use_cases(case: Case, caplog: pytest.LogCaptureFixture) -> None:
    command: LookupQuery | CancellationCommand = PARSERS[case.endpoint](case.payload)
    clock = FixedClock(NOW)
    store = canary_store()
    limiter = InMemoryAttemptLimiter(clock)

    def run() -> Any:
        if isinstance(command, LookupQuery):
            return lookup_order(
                command, uow=store, clock=clock, policy=Policy(), limiter=limiter, client=CLIENT_IP
            )
        return request_cancellation(
            command,
            uow=store,
            clock=clock,
            policy=Policy(),
            limiter=limiter,
            client=CLIENT_IP,
            idempotency_key=case.key,
        )

    with everything_logged(caplog):
        for _ in range(12):  # past the limit: failures turn into throttling
            _outcome(case.name, run, rendered=False)
    assert_no_pii("logs", record_texts(caplog.records))


# --- the service -------------------------------------------------------------------------------


@cases
@pytest.mark.parametrize("form", [False, True], ids=["json", "form"])
def test_service(case: Case, form: bool, caplog: pytest.LogCaptureFixture) -> None:  # noqa: FBT001
    service = _service()
    with everything_logged(caplog):
        for _ in range(12):  # again and again: replays, conflicts, then throttling
            _outcome(case.name, lambda: _call(service, case, form=form))
    assert_no_pii("logs", record_texts(caplog.records))


def test_the_log_capture_does_capture(caplog: pytest.LogCaptureFixture) -> None:
    """A control for the tests above: the library's records are seen."""
    service = _service()
    [case] = [c for c in CASES if c.name == "local part in another case"]
    with everything_logged(caplog):
        _outcome(case.name, lambda: _call(service, case))
    events = [getattr(r, "guest_orders_event", None) for r in caplog.records]
    assert "ownership_failed" in events


# --- HTTP, in process --------------------------------------------------------------------------


_HTTP = [
    (case, body)
    for case in CASES
    for body in ("json", "urlencoded", "multipart")
    if body == "json" or isinstance(case.payload, dict)  # a form is an object
]


@pytest.mark.parametrize(
    ("case", "body"), _HTTP, ids=[f"{body}-{c.endpoint}: {c.name}" for c, body in _HTTP]
)
def test_http(case: Case, body: str, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(_service(), trust_forwarded_for=True)
    headers = {"X-Forwarded-For": CLIENT_IP}
    if case.key is not None and case.key.isascii() and case.key.isprintable():
        headers["Idempotency-Key"] = case.key
    kwargs = _body(case.payload, body)
    headers.update(kwargs.pop("headers", {}))

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)  # an app exception fails the test
        async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
            return [
                await client.post(PATHS[case.endpoint], headers=headers, **kwargs) for _ in range(3)
            ]

    with everything_logged(caplog):
        responses = asyncio.run(send())
    for response in responses:
        _check_response(case, response)
    assert_no_pii("logs", record_texts(caplog.records))


def _body(payload: Any, kind: str) -> dict[str, Any]:
    """httpx keywords sending ``payload`` as JSON, urlencoded or multipart. Text is encoded
    as a hostile client would: JSON escapes a lone surrogate (``\\ud800``), a form sends
    its invalid UTF-8 bytes as they are."""
    if kind == "json":
        return {
            "content": json.dumps(payload).encode(),
            "headers": {"Content-Type": "application/json"},
        }
    fields = as_form(payload)
    assert isinstance(fields, dict)
    if kind == "urlencoded":
        text = urlencode(fields, encoding="utf-8", errors="surrogatepass")
        return {
            "content": text.encode("ascii"),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        }
    return {
        "files": {
            name: (None, value.encode("utf-8", "surrogatepass")) for name, value in fields.items()
        }
    }


def _check_response(case: Case, response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert_no_pii(
            f"{case.name}: {response.status_code}", [response.text, str(response.headers)]
        )
    else:
        assert_masked(case.name, response.json())


# --- HTTP through uvicorn, over SQLite: every logger of the real stack ------------------------


@contextlib.contextmanager
def _uvicorn(app: Any) -> Iterator[str]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_config=None,  # uvicorn's loggers propagate to the test's capture
        log_level="debug",
        lifespan="off",
        ws="none",  # as the demo runs it
        proxy_headers=False,
        # As the demo runs it: uvicorn's access log (which writes the query string) off,
        # the library's AccessLog instead.
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _post_raw(base_url: str, paths: list[str]) -> None:
    """POST ``{}`` to each path with the canaries in the query string."""
    host, port = base_url.removeprefix("http://").split(":")
    query = urlencode({"email": EMAIL, "iban": IBAN})
    for path in paths:
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            connection.request(
                "POST", f"{path}?{query}", body=b"{}", headers={"Content-Type": "application/json"}
            )
            assert connection.getresponse().status in (400, 404)
        finally:
            connection.close()


def test_http_through_uvicorn_over_sqlite(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with everything_logged(caplog):
        engine = make_engine(f"sqlite:///{tmp_path / 'shop.sqlite3'}")
        try:
            create_schema(engine)
            store = SqlAlchemyStore(engine)
            store.load(
                orders=canary_orders(),
                reasons=reasons(),
                shipping_companies=companies(),
                addresses=addresses(),
            )
            app = create_app(_service(store), trust_forwarded_for=True)
            logged_app = AccessLog(app, paths=[r.path for r in app.routes if isinstance(r, Route)])
            with _uvicorn(logged_app) as base_url, httpx.Client(base_url=base_url) as http:
                # Personal data in the query string (finding: uvicorn's access log wrote it)
                # and in the path (answered 404), sent with http.client: httpx would log
                # the URL on the client side.
                _post_raw(base_url, [*PATHS.values(), f"/users/orders/anonymous/{EMAIL}/"])
                for case in CASES:
                    headers = {"X-Forwarded-For": CLIENT_IP}
                    if case.key is not None and case.key.isascii() and case.key.isprintable():
                        headers["Idempotency-Key"] = case.key
                    kwargs = _body(case.payload, "json")
                    headers.update(kwargs.pop("headers"))
                    for _ in range(2):
                        response = http.post(PATHS[case.endpoint], headers=headers, **kwargs)
                        _check_response(case, response)
        finally:
            engine.dispose()
    names = {record.name for record in caplog.records}
    assert "sqlalchemy.engine.Engine.guest_orders" in names  # SQL was logged, rows too
    assert any(name.startswith("uvicorn") for name in names)
    assert any(getattr(r, "guest_orders_event", None) == "http_request" for r in caplog.records)
    assert any(r.getMessage() == "Row (values hidden)" for r in caplog.records)
    assert_no_pii("logs", record_texts(caplog.records))
