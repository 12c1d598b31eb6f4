"""The errors the web adapter raises itself, before or instead of calling the service.

They live in :mod:`guest_orders.transport` (importable without any web extra) and are
re-exported here. They are :class:`guest_orders.GuestOrderError` subclasses, rendered by
the one :func:`guest_orders.wire.render_error` in the same Django REST framework shape as
the service's own errors. ``MalformedJson`` (and its ``duplicate_key`` and
``too_many_values`` kinds) is the core's, raised by :func:`guest_orders.wire.decode_json`.
"""

from __future__ import annotations

from guest_orders.transport import (
    BadRequest,
    FileUploadRefused,
    MalformedBody,
    MalformedForm,
    MalformedJson,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
    ServerError,
    TransportError,
    UnsupportedMediaType,
)

__all__ = [
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
