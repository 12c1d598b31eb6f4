"""The wire layer: untrusted request mappings in, JSON-ready data out.

``parse_*`` turn a request body (a JSON object or, with ``form=True``, HTML form fields)
into the domain's command objects, or raise :class:`guest_orders.InvalidRequest` naming
every problem. ``render_*`` turn domain results into the platform's JSON shapes. Both go
through the library's one cattrs :data:`converter`. :func:`decode_json` is the one way
a JSON body becomes a value (strict: no duplicate keys, no ``NaN``), and
:data:`RESPONSE_HEADERS` are the headers every response of the endpoints carries.

Every request is declared once in :mod:`guest_orders.wire.spec`; the request and response
JSON Schemas and the OpenAPI document are generated from the declarations and the domain
classes (:func:`openapi_document`, :func:`request_schema`, :func:`response_schema`,
:func:`lookup_response_schema`), so integrations for other frameworks take their schemas
from here without any web extra installed.
"""

from guest_orders.wire.converter import converter
from guest_orders.wire.decoding import decode_json
from guest_orders.wire.events import parse_event, render_event
from guest_orders.wire.headers import RESPONSE_HEADERS
from guest_orders.wire.openapi import openapi_document, request_schema, response_schema
from guest_orders.wire.requests import parse_bulk_cancellation, parse_cancellation, parse_lookup
from guest_orders.wire.responses import (
    render_cancellation_request,
    render_error,
    render_lookup,
    render_order,
    render_reasons,
)
from guest_orders.wire.schema import lookup_response_schema

__all__ = [
    "RESPONSE_HEADERS",
    "converter",
    "decode_json",
    "lookup_response_schema",
    "openapi_document",
    "parse_bulk_cancellation",
    "parse_cancellation",
    "parse_event",
    "parse_lookup",
    "render_cancellation_request",
    "render_error",
    "render_event",
    "render_lookup",
    "render_order",
    "render_reasons",
    "request_schema",
    "response_schema",
]
