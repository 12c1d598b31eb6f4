"""A FastAPI integration: an ``APIRouter`` a host includes in its own app (the ``fastapi``
extra).

::

    from fastapi import FastAPI
    from guest_orders import AsyncGuestOrders
    from guest_orders.adapters.fastapi import guest_orders_router

    app = FastAPI()
    app.include_router(guest_orders_router(AsyncGuestOrders(store=store)))

The router serves the guest endpoints exactly as the library's Starlette app does — the
same body reading (JSON, form and multipart, within a size limit), the same service calls
on the event loop, the same error bodies and statuses (never FastAPI's 422 format), every
path with and without its trailing slash (each a route of its own: no 307),
``Idempotency-Key``, 429 with ``Retry-After`` — and adds its operations, with their request
and response schemas, to the host's ``/openapi.json`` and ``/docs``. Those come from the
library's one OpenAPI document (:func:`guest_orders.wire.openapi.openapi_document`), each
operation made self-contained (its schema references resolved), since a router cannot add
components to the host's document.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from guest_orders.adapters.web._app import _Endpoints, error_response, request_locale
from guest_orders.errors import GuestOrderError
from guest_orders.service import AsyncGuestOrders, GuestOrders
from guest_orders.wire import spec
from guest_orders.wire.openapi import openapi_document
from guest_orders.wire.spec import (
    BULK_CANCELLATION_PATH,
    CANCELLATION_PATH,
    LOOKUP_PATH,
    REASONS_PATH,
)
from guest_orders.wire.transport import DEFAULT_MAX_BODY_BYTES

__all__ = ["guest_orders_router", "operations"]

_METHODS: Final = {"post": "POST", "get": "GET"}


def operations(
    service: AsyncGuestOrders | GuestOrders, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> dict[str, dict[str, dict[str, Any]]]:
    """The library's OpenAPI operations of the guest endpoints, by path and method, each
    self-contained: every ``$ref`` to a component replaced by the component (a recursive
    one, the nested error tree, written out to its first level)."""
    document = openapi_document(policy=service.policy, max_body_bytes=max_body_bytes)
    components: dict[str, Any] = document["components"]["schemas"]
    served = {LOOKUP_PATH, CANCELLATION_PATH, BULK_CANCELLATION_PATH, REASONS_PATH}
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path, item in document["paths"].items():
        if path in served or f"{path}/" in served:
            found[path] = {
                method: _resolved(operation, components) for method, operation in item.items()
            }
    return found


def _resolved(node: Any, components: Mapping[str, Any], seen: tuple[str, ...] = ()) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name in seen:
                # A recursive schema (the error tree's nested levels): written out once,
                # its inner levels are any JSON value of that name.
                return {"title": name, "description": f"A nested {name}."}
            resolved = _resolved(copy.deepcopy(components[name]), components, (*seen, name))
            extra = {k: v for k, v in node.items() if k != "$ref"}
            return {"title": name, **resolved, **extra}
        return {key: _resolved(value, components, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(value, components, seen) for value in node]
    return node


def guest_orders_router(
    service: AsyncGuestOrders | GuestOrders,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    trust_forwarded_for: bool = False,
    tags: list[str] | None = None,
) -> APIRouter:
    """An :class:`fastapi.APIRouter` serving the guest endpoints over ``service``.

    Args:
        service: an :class:`~guest_orders.AsyncGuestOrders` (called on the event loop), or
            a :class:`~guest_orders.GuestOrders` over sync storage (called in a worker
            thread, as FastAPI does for sync endpoints).
        max_body_bytes: largest request body accepted (413 ``request_too_large`` beyond).
        trust_forwarded_for: take the client address, which failed attempts count
            against, from the last ``X-Forwarded-For`` entry (only behind a reverse proxy
            that sets it).
        tags: the OpenAPI tags of the operations (the library's own by default).

    Include it at the root (``app.include_router(router)``): the paths are the API's.
    """
    if type(max_body_bytes) is not int or max_body_bytes < 1:
        raise ValueError("max_body_bytes must be a positive int")
    endpoints = _Endpoints(service, limit=max_body_bytes, trust_forwarded_for=trust_forwarded_for)
    handlers: dict[str, tuple[Callable[[Request], Awaitable[Response]], int]] = {
        LOOKUP_PATH: (endpoints.post(service.lookup, spec.LOOKUP, creates=False), 200),
        CANCELLATION_PATH: (
            endpoints.post(service.request_cancellation, spec.CANCELLATION, creates=True),
            201,
        ),
        BULK_CANCELLATION_PATH: (
            endpoints.post(service.request_bulk_cancellation, spec.BULK_CANCELLATION, creates=True),
            201,
        ),
        REASONS_PATH: (endpoints.reasons(), 200),
    }
    router = APIRouter()
    for path, item in operations(service, max_body_bytes=max_body_bytes).items():
        endpoint, status_code = handlers[path if path.endswith("/") else f"{path}/"]
        for method, operation in item.items():
            extra = {k: v for k, v in operation.items() if k not in {"summary", "description"}}
            extra.pop("tags", None)
            extra.pop("operationId", None)
            router.add_api_route(
                path,
                _rendered(endpoint),
                methods=[_METHODS[method]],
                status_code=status_code,
                summary=operation.get("summary"),
                description=operation.get("description", ""),
                operation_id=operation["operationId"],
                tags=list(tags if tags is not None else operation.get("tags", [])),
                response_class=Response,
                openapi_extra=extra,
            )
    return router


def _rendered(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint with the library's errors rendered here: a router cannot install
    exception handlers in its host app."""

    async def route(request: Request) -> Response:
        try:
            return await endpoint(request)
        except GuestOrderError as error:
            return error_response(error, locale=request_locale(request))

    route.__name__ = getattr(endpoint, "__name__", "guest_orders_endpoint")
    return route
