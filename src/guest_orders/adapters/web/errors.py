"""The errors the web adapter raises itself, before or instead of calling the service.

They are defined with the wire contract (:mod:`guest_orders.wire.transport`), so every
integration and the OpenAPI document share them; this module re-exports them.
"""

from guest_orders.wire.transport import (
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
