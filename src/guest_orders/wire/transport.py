"""The errors an HTTP integration raises itself, before or instead of calling the service.

They are :class:`guest_orders.GuestOrderError` subclasses, so they are rendered by the one
:func:`guest_orders.wire.render_error` in the same Django REST framework shape as the
service's own errors: ``{"non_field_errors": [message], "code": ..., "codes": {...}}``.
Their messages are fixed: nothing the client sent is echoed back. The OpenAPI document
(:mod:`guest_orders.wire.openapi`) describes them; every integration (the Starlette app,
a FastAPI router, Django views) raises them for the same failures. ``MalformedJson`` (and
its ``duplicate_key`` and ``too_many_values`` kinds) is the core's, raised by
:func:`guest_orders.wire.decode_json`, re-exported here.
"""

from __future__ import annotations

from typing import Final

from guest_orders.errors import GuestOrderError, MalformedJson
from guest_orders.messages import message as _message

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "BadRequest",
    "FileUploadRefused",
    "MalformedBody",
    "MalformedForm",
    "MalformedJson",
    "MethodNotAllowed",
    "NotFound",
    "RequestTooLarge",
    "ServerError",
    "TransportError",
    "UnsupportedMediaType",
]

#: The largest request body an integration reads by default: enough for a bulk request
#: with a few photos as data URLs (base64 adds a third); raise it when the policy's image
#: limits call for more.
DEFAULT_MAX_BODY_BYTES: Final = 8 * 1024 * 1024


class TransportError(GuestOrderError):
    """A request refused by the HTTP layer; the service never saw it."""


class MalformedBody(TransportError):
    """The body could not be read as its content type says (400 ``parse_error``)."""

    code = "parse_error"
    http_status = 400
    message = _message(code)


class MalformedForm(MalformedBody):
    message = _message("parse_error.form")


class FileUploadRefused(MalformedBody):
    message = _message("parse_error.file_upload")


class BadRequest(TransportError):
    """Any other request the HTTP layer cannot process."""

    code = "bad_request"
    http_status = 400
    message = _message(code)


class UnsupportedMediaType(TransportError):
    code = "unsupported_media_type"
    http_status = 415
    message = _message(code)


class RequestTooLarge(TransportError):
    code = "request_too_large"
    http_status = 413
    message = _message(code)


class MethodNotAllowed(TransportError):
    code = "method_not_allowed"
    http_status = 405
    message = _message(code)


class NotFound(TransportError):
    code = "not_found"
    http_status = 404
    message = _message(code)


class ServerError(TransportError):
    """Rendered for any unexpected exception; the details go to the server log only."""

    code = "server_error"
    http_status = 500
    message = _message(code)
