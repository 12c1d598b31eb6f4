"""An ASGI web adapter (Starlette) serving the guest order endpoints over HTTP.

Needs the ``web`` extra (``pip install 'guest_orders[web]'``)::

    from guest_orders.adapters.web import create_app

    app = create_app(GuestOrders(store=store))  # run with any ASGI server
"""

from guest_orders.adapters.web._access import ACCESS_LOGGER_NAME, AccessLog
from guest_orders.adapters.web._app import (
    BULK_CANCELLATION_PATH,
    CANCELLATION_PATH,
    DEFAULT_MAX_BODY_BYTES,
    LOOKUP_PATH,
    OPENAPI_PATH,
    REASONS_PATH,
    client_address,
    create_app,
    openapi_document,
)
from guest_orders.adapters.web.openapi import build_openapi, openapi_bytes

__all__ = [
    "ACCESS_LOGGER_NAME",
    "BULK_CANCELLATION_PATH",
    "CANCELLATION_PATH",
    "DEFAULT_MAX_BODY_BYTES",
    "LOOKUP_PATH",
    "OPENAPI_PATH",
    "REASONS_PATH",
    "AccessLog",
    "build_openapi",
    "client_address",
    "create_app",
    "openapi_bytes",
    "openapi_document",
]
