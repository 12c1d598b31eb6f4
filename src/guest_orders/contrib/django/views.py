"""The endpoints as Django views: body in, one service call, JSON out.

Every answer is JSON, errors in the library's Django REST framework shape, also for what
Django would answer in HTML: a malformed body (400 ``parse_error``), a media type the
endpoints do not take (415), a body over ``GUEST_ORDERS["MAX_BODY_BYTES"]`` (413: the body
is read here, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not apply to JSON bodies), a
wrong method (405) and any unexpected error (500, the traceback in the server log only).

The views are CSRF-exempt: they serve guests who never logged in, they read no cookie
and no session, and a guest proves ownership with the order number and email in the
body. A cross-site request forges nothing a direct request could not send.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from guest_orders.contrib.django.conf import get_service, setting
from guest_orders.errors import GuestOrderError
from guest_orders.i18n import negotiate_locale
from guest_orders.service import GuestOrders
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

__all__ = ["bulk_cancellation", "cancellation", "cancellation_reasons", "lookup"]

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


Call = Callable[[GuestOrders, HttpRequest, str], Any]
View = Callable[[HttpRequest], HttpResponse]


def _endpoint(path: str, method: str, call: Call) -> View:
    status = SUCCESS_STATUS[path]

    def view(request: HttpRequest) -> HttpResponse:
        locale = request_locale(request)
        try:
            if request.method != method:
                response = error_response(MethodNotAllowed(), locale)
                response["Allow"] = method
                return response
            result = call(get_service(), request, locale)
            headers = {**dict(RESPONSE_HEADERS), **language_headers(locale)}
            return _json(result, status, headers)
        except GuestOrderError as error:
            return error_response(error, locale)
        except Exception:  # any other failure: a JSON 500, the traceback in the log only
            logger.exception("guest_orders view failed")
            return error_response(ServerError(), locale)

    view.__name__ = view.__qualname__ = call.__name__
    exempt: View = csrf_exempt(view)
    return exempt


def _post(path: str, name: str, *, creates: bool) -> Call:
    dropped = NOT_IN_FORMS.get(path, ())

    def call(service: GuestOrders, request: HttpRequest, locale: str) -> Any:
        payload, form = read_payload(request, limit=setting("MAX_BODY_BYTES"))
        if form:
            for field in dropped:
                payload.pop(field, None)
        kwargs: dict[str, Any] = {
            "form": form,
            "client": client_address(request),
            "locale": locale,
        }
        if creates:
            kwargs["idempotency_key"] = request.headers.get("Idempotency-Key")
        return getattr(service, name)(payload, **kwargs)

    call.__name__ = name
    return call


def _reasons(service: GuestOrders, _request: HttpRequest, locale: str) -> Any:
    return service.cancellation_reasons(locale=locale)


#: ``POST /users/orders/anonymous/``
lookup = _endpoint(LOOKUP_PATH, "POST", _post(LOOKUP_PATH, "lookup", creates=False))
#: ``POST /users/orders/anonymous/cancellation_requests/``
cancellation = _endpoint(
    CANCELLATION_PATH,
    "POST",
    _post(CANCELLATION_PATH, "request_cancellation", creates=True),
)
#: ``POST /users/orders/anonymous/bulk_cancellation_requests/``
bulk_cancellation = _endpoint(
    BULK_CANCELLATION_PATH,
    "POST",
    _post(BULK_CANCELLATION_PATH, "request_bulk_cancellation", creates=True),
)
#: ``GET /users/orders/cancellation_reasons/``
cancellation_reasons = _endpoint(REASONS_PATH, "GET", _reasons)
