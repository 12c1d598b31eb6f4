"""The endpoints as Django views: body in, one service call, JSON out.

Each endpoint is a sync view over :class:`guest_orders.GuestOrders` (``lookup``...), for
WSGI, and an async view over :class:`guest_orders.AsyncGuestOrders` (``async_lookup``...),
for ASGI (:mod:`~guest_orders.contrib.django.async_urls`). Both read the request and write
the response with the same code; they differ only in how they call the service.

Every answer is JSON, errors in the library's Django REST framework shape, also for what
Django would answer in HTML: a malformed body (400 ``parse_error``), a media type the
endpoints do not take (415), a body over ``GUEST_ORDERS["MAX_BODY_BYTES"]`` (413: the body
is read here, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not apply to JSON bodies), a
wrong method (405) and any unexpected error (500, the traceback in the server log only).

The async views are also exempt from ``ATOMIC_REQUESTS``, which Django refuses for async
views: their store transactions commit on their own, each in a thread of its own
(:class:`~guest_orders.contrib.django.store.AsyncDjangoStore`).

The views are CSRF-exempt: they serve guests who never logged in, they read no cookie
and no session, and a guest proves ownership with the order number and email in the
body. A cross-site request forges nothing a direct request could not send.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import attrs
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from guest_orders.contrib.django.conf import get_async_service, get_service, setting
from guest_orders.errors import GuestOrderError
from guest_orders.i18n import negotiate_locale
from guest_orders.transport import (
    BULK_CANCELLATION_PATH,
    CANCELLATION_PATH,
    LOOKUP_PATH,
    MULTIPART,
    NOT_IN_FORMS,
    REASONS_PATH,
    RESPONSE_HEADERS,
    SUCCESS_STATUS,
    FileUploadRefused,
    MalformedBody,
    MalformedForm,
    MethodNotAllowed,
    RequestTooLarge,
    ServerError,
    check_media_type,
    client_from,
    decode_body,
    encode_json,
    error_headers,
    form_fields,
    language_headers,
)
from guest_orders.wire import render_error
from guest_orders.wire.spec import IDEMPOTENCY_KEY_HEADER

__all__ = [
    "async_bulk_cancellation",
    "async_cancellation",
    "async_cancellation_reasons",
    "async_lookup",
    "bulk_cancellation",
    "cancellation",
    "cancellation_reasons",
    "lookup",
]

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024


def _json(body: Any, status: int, headers: Mapping[str, str]) -> HttpResponse:
    return HttpResponse(
        encode_json(body), status=status, content_type="application/json", headers=headers
    )


def error_response(error: GuestOrderError, locale: str | None = None) -> HttpResponse:
    """``error`` as JSON with its status, its messages in ``locale``, ``Retry-After`` for
    a throttled caller."""
    return _json(
        render_error(error, locale=locale), error.http_status, error_headers(error, locale)
    )


def _read_body(request: HttpRequest, limit: int) -> bytes:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isascii() or not declared.isdigit():
        raise MalformedBody
    if int(declared) > limit:
        raise RequestTooLarge
    chunks: list[bytes] = []
    size = 0
    while chunk := request.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _multipart(request: HttpRequest, body: bytes) -> dict[str, str | list[str]]:
    try:
        fields, files = MultiPartParser(
            request.META, io.BytesIO(body), request.upload_handlers, "utf-8"
        ).parse()
    except RequestDataTooBig:
        raise RequestTooLarge from None
    except (MultiPartParserError, SuspiciousOperation, ValueError, LookupError):
        raise MalformedForm from None
    if files:
        raise FileUploadRefused
    return form_fields([(name, value) for name, values in fields.lists() for value in values])


def read_payload(request: HttpRequest, *, limit: int) -> tuple[Any, bool]:
    """The body as ``(payload, form)``, or a transport error."""
    content_type = request.META.get("CONTENT_TYPE", "")
    kind = check_media_type(content_type)
    body = _read_body(request, limit)
    if kind == MULTIPART:
        return _multipart(request, body), True
    return decode_body(content_type, body)


def client_address(request: HttpRequest) -> str | None:
    """The address failed attempts count against (see ``TRUST_FORWARDED_FOR``)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    return client_from(
        request.META.get("REMOTE_ADDR"),
        [forwarded] if forwarded else [],
        trust=bool(setting("TRUST_FORWARDED_FOR")),
    )


def request_locale(request: HttpRequest) -> str:
    """The locale of the answer's messages, from the ``Accept-Language`` header."""
    return negotiate_locale(request.headers.get("Accept-Language"))


View = Callable[[HttpRequest], HttpResponse]
AsyncView = Callable[[HttpRequest], Awaitable[HttpResponse]]


@attrs.frozen
class _Endpoint:
    """One endpoint, sync or async alike: the request in as the service method's
    arguments, its result or error out as the response."""

    path: str
    method: str
    #: The name of the service method (the same on GuestOrders and AsyncGuestOrders).
    operation: str
    #: A POST that creates: it also takes the ``Idempotency-Key`` header.
    creates: bool = False

    def arguments(
        self, request: HttpRequest, locale: str
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The service call's arguments, or a transport error."""
        if request.method != self.method:
            raise MethodNotAllowed
        if self.method == "GET":  # the reasons: no body
            return (), {"locale": locale}
        payload, form = read_payload(request, limit=setting("MAX_BODY_BYTES"))
        if form:
            for field in NOT_IN_FORMS.get(self.path, ()):
                payload.pop(field, None)
        kwargs: dict[str, Any] = {
            "form": form,
            "client": client_address(request),
            "locale": locale,
        }
        if self.creates:
            kwargs["idempotency_key"] = request.headers.get(IDEMPOTENCY_KEY_HEADER)
        return (payload,), kwargs

    def answer(self, result: Any, locale: str) -> HttpResponse:
        headers = {**dict(RESPONSE_HEADERS), **language_headers(locale)}
        return _json(result, SUCCESS_STATUS[self.path], headers)

    def failure(self, error: Exception, locale: str) -> HttpResponse:
        """The answer to ``error``: its own, or a JSON 500 with the traceback in the log
        only."""
        if not isinstance(error, GuestOrderError):
            logger.error("guest_orders view failed", exc_info=error)
            error = ServerError()
        response = error_response(error, locale)
        if isinstance(error, MethodNotAllowed):
            response["Allow"] = self.method
        return response


def _sync_view(endpoint: _Endpoint) -> View:
    def view(request: HttpRequest) -> HttpResponse:
        locale = request_locale(request)
        try:
            args, kwargs = endpoint.arguments(request, locale)
            result = getattr(get_service(), endpoint.operation)(*args, **kwargs)
            return endpoint.answer(result, locale)
        except Exception as error:  # noqa: BLE001  # answered in JSON; failure() logs the unexpected
            return endpoint.failure(error, locale)

    view.__name__ = view.__qualname__ = endpoint.operation
    exempt: View = csrf_exempt(view)
    return exempt


def _async_view(endpoint: _Endpoint) -> AsyncView:
    async def view(request: HttpRequest) -> HttpResponse:
        locale = request_locale(request)
        try:
            args, kwargs = endpoint.arguments(request, locale)
            result = await getattr(get_async_service(), endpoint.operation)(*args, **kwargs)
            return endpoint.answer(result, locale)
        except Exception as error:  # noqa: BLE001  # answered in JSON; failure() logs the unexpected
            return endpoint.failure(error, locale)

    view.__name__ = view.__qualname__ = f"async_{endpoint.operation}"
    exempt: AsyncView = csrf_exempt(view)
    # Django refuses to run an async view in a request transaction (ATOMIC_REQUESTS):
    # each store transaction commits on its own.
    for alias in settings.DATABASES:
        exempt = transaction.non_atomic_requests(using=alias)(exempt)
    return exempt


_LOOKUP = _Endpoint(LOOKUP_PATH, "POST", "lookup")
_CANCELLATION = _Endpoint(CANCELLATION_PATH, "POST", "request_cancellation", creates=True)
_BULK_CANCELLATION = _Endpoint(
    BULK_CANCELLATION_PATH, "POST", "request_bulk_cancellation", creates=True
)
_REASONS = _Endpoint(REASONS_PATH, "GET", "cancellation_reasons")

#: ``POST /users/orders/anonymous/``
lookup = _sync_view(_LOOKUP)
#: ``POST /users/orders/anonymous/cancellation_requests/``
cancellation = _sync_view(_CANCELLATION)
#: ``POST /users/orders/anonymous/bulk_cancellation_requests/``
bulk_cancellation = _sync_view(_BULK_CANCELLATION)
#: ``GET /users/orders/cancellation_reasons/``
cancellation_reasons = _sync_view(_REASONS)

#: :data:`lookup`, async
async_lookup = _async_view(_LOOKUP)
#: :data:`cancellation`, async
async_cancellation = _async_view(_CANCELLATION)
#: :data:`bulk_cancellation`, async
async_bulk_cancellation = _async_view(_BULK_CANCELLATION)
#: :data:`cancellation_reasons`, async
async_cancellation_reasons = _async_view(_REASONS)
