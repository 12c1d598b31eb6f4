"""The Starlette application: HTTP body in, one service call, JSON out.

No business rule lives here. A request is routed, its body read (within a size limit)
into a JSON value or form fields, handed to the service — an
:class:`~guest_orders.AsyncGuestOrders` awaited on the event loop, or a
:class:`~guest_orders.GuestOrders` over sync storage in a worker thread — and the result
or the error rendered.

Messages are in the language the request's ``Accept-Language`` prefers
(:func:`guest_orders.i18n.negotiate_locale`, English when none matches): the service gets
that ``locale``, every error body is rendered in it, and the responses that carry
messages say so with ``Content-Language`` and ``Vary: Accept-Language``.
"""

from __future__ import annotations

import inspect
import ipaddress
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from guest_orders.adapters.web import _json
from guest_orders.adapters.web._body import read_payload
from guest_orders.adapters.web.errors import (
    BadRequest,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
    ServerError,
)
from guest_orders.errors import GuestOrderError, TooManyAttempts, TooManyJsonValues
from guest_orders.i18n import negotiate_locale
from guest_orders.service import AsyncGuestOrders, GuestOrders
from guest_orders.wire import RESPONSE_HEADERS, render_error, spec
from guest_orders.wire.openapi import openapi_bytes
from guest_orders.wire.openapi import openapi_document as build_document
from guest_orders.wire.spec import (
    BULK_CANCELLATION_PATH,
    CANCELLATION_PATH,
    LOOKUP_PATH,
    OPENAPI_PATH,
    REASONS_PATH,
)
from guest_orders.wire.transport import DEFAULT_MAX_BODY_BYTES

__all__ = [
    "BULK_CANCELLATION_PATH",
    "CANCELLATION_PATH",
    "DEFAULT_MAX_BODY_BYTES",
    "LOOKUP_PATH",
    "OPENAPI_PATH",
    "REASONS_PATH",
    "client_address",
    "create_app",
    "openapi_document",
]

_JSON_MEDIA_TYPE: Final = "application/json"

Endpoint = Callable[[Request], Awaitable[Response]]


def _json_response(
    body: Any, status_code: int, headers: Mapping[str, str] | None = None
) -> Response:
    """Every response of the app, errors included, is made here: with
    :data:`guest_orders.wire.RESPONSE_HEADERS`."""
    return Response(
        _json.dumps(body),
        status_code=status_code,
        headers={**dict(RESPONSE_HEADERS), **(headers or {})},
        media_type=_JSON_MEDIA_TYPE,
    )


def error_response(
    error: GuestOrderError,
    headers: Mapping[str, str] | None = None,
    *,
    locale: str | None = None,
) -> Response:
    """``error`` in the Django REST framework shape, with its HTTP status; its messages
    in ``locale`` (by default the error's own, see :func:`guest_orders.render_error`)."""
    all_headers = dict(headers or {})
    if isinstance(error, TooManyAttempts):
        all_headers["Retry-After"] = str(error.retry_after)
    body = render_error(error, locale=locale)
    all_headers.update(_language_headers(locale or error.locale))
    return _json_response(body, error.http_status, all_headers)


def request_locale(request: Request) -> str:
    """The locale of ``request``'s messages, from its ``Accept-Language`` header."""
    return negotiate_locale(request.headers.get("accept-language"))


def _language_headers(locale: str) -> dict[str, str]:
    return {"Content-Language": locale, "Vary": "Accept-Language"}


def client_address(request: Request, *, trust_forwarded_for: bool) -> str | None:
    """The address attempts are counted against.

    With ``trust_forwarded_for`` the app sits behind one reverse proxy that appends the
    address it saw to ``X-Forwarded-For``: the last entry is used (the earlier ones are
    whatever the client wrote). Without it, or when that entry is not an IP address, the
    peer address of the connection.
    """
    if trust_forwarded_for:
        forwarded = ",".join(request.headers.getlist("x-forwarded-for"))
        last = forwarded.rpartition(",")[2].strip()
        if last:
            try:
                return str(ipaddress.ip_address(last))
            except ValueError:
                pass
    return request.client.host if request.client is not None else None


class _Endpoints:
    """The endpoint functions over one service, with the app's settings."""

    def __init__(
        self, service: GuestOrders | AsyncGuestOrders, *, limit: int, trust_forwarded_for: bool
    ) -> None:
        self._service = service
        self._limit = limit
        self._trust_forwarded_for = trust_forwarded_for

    def _client(self, request: Request) -> str | None:
        return client_address(request, trust_forwarded_for=self._trust_forwarded_for)

    def post(
        self, call: Callable[..., Any], request: spec.ObjectSpec, *, creates: bool
    ) -> Endpoint:
        """A POST endpoint: body -> ``call(payload, form=..., client=..., locale=...)`` ->
        JSON, 201 for a creation (which also gets the ``Idempotency-Key`` header) else 200.

        A form body never carries a field a form cannot (``spec.Field.in_form``): it is
        left out, so the service answers its ordinary ``required`` for it.
        """
        dropped = spec.form_fields_left_out(request)
        status_code = 201 if creates else 200
        is_async = inspect.iscoroutinefunction(call)

        async def endpoint(http_request: Request) -> Response:
            payload, form = await read_payload(http_request, limit=self._limit)
            if form:
                for field in dropped:
                    payload.pop(field, None)
            kwargs: dict[str, Any] = {
                "form": form,
                "client": self._client(http_request),
                "locale": request_locale(http_request),
            }
            if creates:
                kwargs["idempotency_key"] = http_request.headers.get(spec.IDEMPOTENCY_KEY_HEADER)
            if is_async:  # AsyncGuestOrders: on the event loop, no thread
                result = await call(payload, **kwargs)
            else:  # GuestOrders over sync storage: in a worker thread
                result = await run_in_threadpool(call, payload, **kwargs)
            return _json_response(result, status_code)

        return endpoint

    def reasons(self) -> Endpoint:
        call: Callable[..., Any] = self._service.cancellation_reasons
        is_async = inspect.iscoroutinefunction(call)

        async def endpoint(request: Request) -> Response:
            locale = request_locale(request)
            if is_async:
                reasons = await call(locale=locale)
            else:
                reasons = await run_in_threadpool(call, locale=locale)
            return _json_response(reasons, 200, _language_headers(locale))

        return endpoint


def openapi_document(
    service: GuestOrders | AsyncGuestOrders, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> bytes:
    """The OpenAPI document an app over ``service`` serves at ``/openapi.json``."""
    return openapi_bytes(build_document(policy=service.policy, max_body_bytes=max_body_bytes))


def _openapi_endpoint(service: GuestOrders | AsyncGuestOrders, max_body_bytes: int) -> Endpoint:
    document = openapi_document(service, max_body_bytes=max_body_bytes)

    async def endpoint(_request: Request) -> Response:
        return Response(document, headers=dict(RESPONSE_HEADERS), media_type=_JSON_MEDIA_TYPE)

    return endpoint


def create_app(
    service: GuestOrders | AsyncGuestOrders,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    trust_forwarded_for: bool = False,
) -> Starlette:
    """The guest order endpoints over ``service``, as an ASGI application.

    Args:
        service: what every endpoint calls: an :class:`~guest_orders.AsyncGuestOrders`
            on the event loop (no thread), or a :class:`~guest_orders.GuestOrders` over
            sync storage in a worker thread.
        max_body_bytes: largest request body accepted (413 ``request_too_large`` beyond);
            8 MiB by default.
        trust_forwarded_for: take the client address from the last ``X-Forwarded-For``
            entry (only behind a reverse proxy that sets it).

    Routes (each also without its trailing slash, served directly, never redirected):
    ``POST /users/orders/anonymous/``, ``POST …/cancellation_requests/``,
    ``POST …/bulk_cancellation_requests/``, ``GET /users/orders/cancellation_reasons/``
    and ``GET /openapi.json``.
    """
    if type(max_body_bytes) is not int or max_body_bytes < 1:
        raise ValueError("max_body_bytes must be a positive int")
    endpoints = _Endpoints(service, limit=max_body_bytes, trust_forwarded_for=trust_forwarded_for)
    served: list[tuple[str, Endpoint, list[str]]] = [
        (LOOKUP_PATH, endpoints.post(service.lookup, spec.LOOKUP, creates=False), ["POST"]),
        (
            CANCELLATION_PATH,
            endpoints.post(service.request_cancellation, spec.CANCELLATION, creates=True),
            ["POST"],
        ),
        (
            BULK_CANCELLATION_PATH,
            endpoints.post(service.request_bulk_cancellation, spec.BULK_CANCELLATION, creates=True),
            ["POST"],
        ),
        (REASONS_PATH, endpoints.reasons(), ["GET"]),
    ]
    routes = [Route(OPENAPI_PATH, _openapi_endpoint(service, max_body_bytes), methods=["GET"])]
    for path, endpoint, methods in served:
        routes.append(Route(path, endpoint, methods=methods))
        routes.append(Route(path.rstrip("/"), endpoint, methods=methods))

    app = Starlette(
        routes=routes,
        exception_handlers={
            GuestOrderError: _guest_order_error,
            HTTPException: _http_exception,
            Exception: _server_error,
        },
    )
    # Both spellings of every path are routes of their own; anything else is a 404.
    app.router.redirect_slashes = False
    return app


async def _guest_order_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GuestOrderError)
    if isinstance(exc, RequestTooLarge | TooManyJsonValues):
        # Refused before the body was read to its end: close the connection rather than
        # spend the server's time reading and discarding the rest.
        return error_response(exc, {"Connection": "close"}, locale=request_locale(request))
    return error_response(exc, locale=request_locale(request))


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's routing errors (404, 405) in the library's error shape."""
    assert isinstance(exc, HTTPException)
    locale = request_locale(request)
    if exc.status_code == 404:
        return error_response(NotFound(), locale=locale)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        methods = sorted(m.strip() for m in allowed.split(",") if m.strip())
        return error_response(MethodNotAllowed(), {"Allow": ", ".join(methods)}, locale=locale)
    return error_response(BadRequest(), locale=locale)


async def _server_error(request: Request, _exc: Exception) -> Response:
    """Anything unexpected: a generic body; the traceback goes to the server log only."""
    return error_response(ServerError(), locale=request_locale(request))
