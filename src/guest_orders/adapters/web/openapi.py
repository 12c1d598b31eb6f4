"""The OpenAPI 3.1 document of the web adapter, built from the policy it serves.

``build_openapi()`` with the defaults is what ``docs/openapi.json`` holds; regenerate that
file with ``guest-orders openapi --output docs/openapi.json``. The request schemas state
the limits the service enforces (lengths, counts) so generated clients and fuzzers stay
inside them; what a schema cannot say (an IBAN's checksum, that a bulk request lists an
item once, an image's real type) is in the descriptions.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final

from guest_orders.adapters.web.errors import (
    BadRequest,
    MalformedBody,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
    ServerError,
    UnsupportedMediaType,
)
from guest_orders.domain import MAX_IDEMPOTENCY_KEY_LENGTH
from guest_orders.errors import (
    GuestOrderError,
    IdempotencyKeyReused,
    InvalidRequest,
    OrderNotFound,
    TooManyAttempts,
)
from guest_orders.policy import Policy

__all__ = ["API_VERSION", "build_openapi", "openapi_bytes"]

#: The version of the HTTP contract this document describes.
API_VERSION: Final = "1.0.0"

_MAX_ID: Final = 2**63 - 1
_MAX_EMAIL_LENGTH: Final = 254
_MAX_IBAN_LENGTH: Final = 34
_MAX_HOLDER_NAME_LENGTH: Final = 255

# No control characters (C0, DEL, C1) and at least one character that is not a space.
_NO_CONTROL = r"\u0000-\u001f\u007f-\u009f"
_LINE_TEXT: Final = rf"^[^{_NO_CONTROL}]*[^\s{_NO_CONTROL}][^{_NO_CONTROL}]*$"
# Free text: tabs and line breaks are fine.
_FREE_TEXT: Final = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"

_JSON: Final = "application/json"
_URLENCODED: Final = "application/x-www-form-urlencoded"
_MULTIPART: Final = "multipart/form-data"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    """A response object: exactly these keys, all always present unless listed."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        "additionalProperties": False,
    }


def _request_object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """A request object: unknown keys are ignored, as Django REST framework does."""
    return {"type": "object", "properties": properties, "required": required}


_STRING: Final = {"type": "string"}
_DATETIME: Final = {"type": "string", "format": "date-time"}


#: The lookup response's JSON Schema, a copy of ``docs/schemas/lookup-response.schema.json``
#: shipped with the package (a test keeps the two equal).
LOOKUP_RESPONSE_SCHEMA_FILE: Final = "lookup-response.schema.json"


def _component_name(definition: str) -> str:
    """``"order_item"`` -> ``"OrderItem"``."""
    return "".join(part.capitalize() for part in definition.split("_"))


def _lookup_response_schemas() -> dict[str, Any]:
    """The lookup response schema, its ``$defs`` hoisted into components (``OrderItem``,
    ``CancellationRequest``...) so every schema of the document is referenced one way."""
    text = (
        resources.files("guest_orders.adapters.web")
        .joinpath(LOOKUP_RESPONSE_SCHEMA_FILE)
        .read_text(encoding="utf-8")
    )

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: _ref(_component_name(value.removeprefix("#/$defs/")))["$ref"]
                if key == "$ref"
                else rewrite(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [rewrite(value) for value in node]
        return node

    schema = json.loads(text)
    definitions = schema.pop("$defs")
    for keyword in ("$schema", "$id"):
        schema.pop(keyword, None)
    schemas = {"LookupResponse": rewrite(schema)}
    for name, definition in definitions.items():
        schemas[_component_name(name)] = rewrite(definition)
    return schemas


def _response_schemas() -> dict[str, Any]:
    """What the service renders, key for key."""
    return {
        "CancellationReason": _object(
            {
                "id": {"type": "integer"},
                "subject": _STRING,
                "cancellation_type": {"enum": ["cancel", "refund"]},
                "is_active": {"type": "boolean"},
                "extra_information_needed": {"type": "boolean"},
                "order": {"type": "integer"},
                "translations": {
                    "type": ["object", "null"],
                    "additionalProperties": _STRING,
                },
                "uuid": {"type": "string", "format": "uuid"},
                "created_date": _nullable(_DATETIME),
                "modified_date": _nullable(_DATETIME),
            }
        ),
        "CancellationReasonPage": _object(
            {
                "count": {"type": "integer", "minimum": 0},
                "next": {"type": "null"},
                "previous": {"type": "null"},
                "results": {"type": "array", "items": _ref("CancellationReason")},
            }
        ),
        "ErrorTree": {
            "description": (
                "Django REST framework's error nesting: a field's messages, a nested "
                "object's errors, or one error object per element of a list field "
                "(`{}` for the elements that are fine)."
            ),
            "anyOf": [
                {"type": "array", "items": _STRING},
                {
                    "type": "array",
                    "items": {"type": "object", "additionalProperties": _ref("ErrorTree")},
                },
                {"type": "object", "additionalProperties": _ref("ErrorTree")},
            ],
        },
        "Error": {
            "type": "object",
            "description": (
                "Every error: messages by field (`non_field_errors` for the request as a "
                "whole), `code` (the first problem's code) and `codes` (the same tree with "
                "codes instead of messages)."
            ),
            "properties": {
                "code": _STRING,
                "codes": {"type": "object", "additionalProperties": _ref("ErrorTree")},
                "non_field_errors": {"type": "array", "items": _STRING},
            },
            "required": ["code", "codes"],
            "additionalProperties": _ref("ErrorTree"),
        },
    }


def _request_schemas(policy: Policy) -> dict[str, Any]:
    number = {
        "type": "string",
        "minLength": 1,
        "maxLength": policy.max_number_length,
        "pattern": _LINE_TEXT,
        "description": (
            "The order number (surrounding spaces are ignored; a JSON integer is read as "
            "its decimal digits)."
        ),
    }
    email = {
        "type": "string",
        "format": "email",
        "maxLength": _MAX_EMAIL_LENGTH,
        "description": (
            "The email used at checkout. Checked with email-validator: special-use domains "
            "(`.test`, `.local`, `.invalid`, ...) are refused."
        ),
    }
    identifier = {"type": "integer", "minimum": 1, "maximum": _MAX_ID}
    description = {
        "type": "string",
        "maxLength": policy.max_description_length,
        "pattern": _FREE_TEXT,
        "description": "Free text; required by reasons with `extra_information_needed`.",
    }
    iban = {
        "type": "string",
        "format": "iban",
        "maxLength": _MAX_IBAN_LENGTH,
        "description": (
            "An IBAN with valid check digits (ISO 13616); spaces are ignored. Only for "
            "refunds of cash-paid orders, which need it."
        ),
    }
    holder_name = {
        "type": "string",
        "minLength": 1,
        "maxLength": _MAX_HOLDER_NAME_LENGTH,
        "pattern": _LINE_TEXT,
        "description": "The bank account holder; with `iban`.",
    }
    hour = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
    item: dict[str, Any] = {
        "order_item": {**identifier, "description": "The order item to cancel or refund."},
        "reason": {**identifier, "description": "A cancellation reason of the same type."},
        "cancellation_type": {
            "enum": ["cancel", "refund"],
            "description": (
                "`cancel` for items not yet shipped, `refund` (an easy return) for the rest."
            ),
        },
        "description": description,
        "shipping_company": {
            **identifier,
            "description": "An easy-return shipping company: required for `refund`.",
        },
        "quantity": {
            **identifier,
            "description": "How many units of a merged item; at most the item's quantity.",
        },
        "iban": iban,
        "holder_name": holder_name,
    }
    item_required = ["order_item", "reason", "cancellation_type"]
    json_item = {
        **item,
        "description": _nullable(description),
        "shipping_company": _nullable(item["shipping_company"]),
        "quantity": _nullable(item["quantity"]),
        "iban": _nullable(iban),
        "holder_name": _nullable(holder_name),
    }
    bulk_item = {
        **json_item,
        "pickup_date": _nullable(
            {
                "type": "object",
                "properties": {
                    "date": {
                        "type": "string",
                        "format": "date",
                        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                        "description": "Today or later.",
                    },
                    "hour_range": {
                        "type": "object",
                        "properties": {"start": hour, "end": hour},
                        "required": ["start", "end"],
                        "description": "`start` must be before `end`.",
                    },
                },
                "required": ["date", "hour_range"],
                "description": "When the carrier should pick the return up (refunds only).",
            }
        ),
        "cancellation_request_image_set": _nullable(
            {
                "type": "array",
                "maxItems": policy.max_images,
                "items": {
                    "type": "object",
                    "properties": {
                        "image": {
                            "type": "string",
                            "pattern": "^data:image/(jpeg|png|webp);base64,",
                            "description": (
                                "A data URL whose declared type matches the image's real "
                                f"one; at most {policy.max_image_bytes} bytes decoded."
                            ),
                        },
                        "description": _nullable(description),
                    },
                    "required": ["image"],
                },
            }
        ),
    }
    owner = {"number": number, "email": email}
    return {
        "LookupRequest": _request_object(owner, ["number", "email"]),
        "CancellationRequestBody": _request_object(
            {**owner, **json_item}, ["number", "email", *item_required]
        ),
        "CancellationRequestForm": _request_object(
            {**owner, **item}, ["number", "email", *item_required]
        ),
        "BulkCancellationRequestBody": _request_object(
            {
                **owner,
                "cancel_order_items": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": policy.max_bulk_items,
                    "items": _request_object(bulk_item, item_required),
                    "description": "The items, each listed once.",
                },
                "pickup_address": _nullable(
                    {
                        **identifier,
                        "description": (
                            "One of the customer's addresses, for every refund item to be "
                            "picked up from."
                        ),
                    }
                ),
                "fully_refund_as_loyalty_money": {
                    "type": ["boolean", "null"],
                    "default": False,
                    "description": "Refund everything as loyalty money (when the shop allows).",
                },
            },
            ["number", "email", "cancel_order_items"],
        ),
    }


_LOOKUP_EXAMPLE: Final = {"number": "2745403029312170", "email": "ayse.yilmaz@example.com"}
_CANCEL_EXAMPLE: Final = {
    **_LOOKUP_EXAMPLE,
    "order_item": 1001,
    "reason": 1,
    "cancellation_type": "cancel",
}
_BULK_EXAMPLE: Final = {
    "number": "2745403029312171",
    "email": "mehmet.demir@example.com",
    "cancel_order_items": [
        {
            "order_item": 2001,
            "reason": 4,
            "cancellation_type": "refund",
            "shipping_company": 1,
        },
        {
            "order_item": 2002,
            "reason": 3,
            "cancellation_type": "refund",
            "shipping_company": 1,
            "description": "The box was crushed.",
        },
    ],
}


_ErrorKind = type[GuestOrderError]


def _error_descriptions(max_body_bytes: int) -> dict[_ErrorKind, str]:
    return {
        InvalidRequest: (
            "The request is invalid: the body names every field at fault, `code` is the "
            "first problem's code."
        ),
        MalformedBody: "`parse_error`: the body cannot be read as its content type says.",
        BadRequest: "`bad_request`: anything else the HTTP layer cannot process.",
        OrderNotFound: (
            "`order_not_found`: no guest order has this number and email. The same status, "
            "headers and body for every kind of miss (unknown number, a registered "
            "customer's order, another email)."
        ),
        MethodNotAllowed: "`method_not_allowed`: the path does not take this method.",
        RequestTooLarge: f"`request_too_large`: the body is larger than {max_body_bytes} bytes.",
        UnsupportedMediaType: (
            "`unsupported_media_type`: the body is not JSON or form data, or not UTF-8."
        ),
        IdempotencyKeyReused: (
            "`idempotency_key_reused`: the `Idempotency-Key` was used on this order for "
            "another request."
        ),
        TooManyAttempts: (
            "`too_many_attempts`: too many failed attempts for this order number or client; "
            "every attempt is refused, even one with the right email, until `Retry-After` "
            "seconds have passed."
        ),
        ServerError: "`server_error`: an unexpected failure; the body carries no details.",
    }


_ERROR_HEADERS: Final[dict[_ErrorKind, dict[str, Any]]] = {
    MethodNotAllowed: {
        "Allow": {"description": "The methods the path takes.", "required": True, "schema": _STRING}
    },
    TooManyAttempts: {
        "Retry-After": {
            "description": "Seconds to wait.",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def _error_responses(kinds: list[_ErrorKind], max_body_bytes: int) -> dict[str, Any]:
    """The responses of these errors, by their HTTP status (several may share one)."""
    descriptions = _error_descriptions(max_body_bytes)
    responses: dict[str, Any] = {}
    for kind in kinds:
        response = responses.setdefault(
            str(kind.http_status),
            {"description": "", "content": {_JSON: {"schema": _ref("Error")}}},
        )
        response["description"] = " ".join(
            filter(None, [response["description"], descriptions[kind]])
        )
        if kind in _ERROR_HEADERS:
            response["headers"] = {**response.get("headers", {}), **_ERROR_HEADERS[kind]}
    return responses


def _body(json_schema: str, form_schema: str | None, example: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = {_JSON: {"schema": _ref(json_schema), "example": example}}
    if form_schema is not None:
        content[_URLENCODED] = {"schema": _ref(form_schema)}
        content[_MULTIPART] = {"schema": _ref(form_schema)}
    return {"required": True, "content": content}


def _post(
    *,
    summary: str,
    description: str,
    operation_id: str,
    body: dict[str, Any],
    success: tuple[str, str, str],
    idempotency_key: bool,
    max_body_bytes: int,
) -> dict[str, Any]:
    status, success_description, schema = success
    creates = status == "201"
    kinds: list[_ErrorKind] = [
        InvalidRequest,
        MalformedBody,
        BadRequest,
        OrderNotFound,
        MethodNotAllowed,
        RequestTooLarge,
        UnsupportedMediaType,
        TooManyAttempts,
        ServerError,
    ]
    if creates and idempotency_key:
        kinds.append(IdempotencyKeyReused)
    responses: dict[str, Any] = {
        status: {
            "description": success_description,
            "content": {_JSON: {"schema": _ref(schema)}},
        },
        **_error_responses(kinds, max_body_bytes),
    }
    operation: dict[str, Any] = {
        "summary": summary,
        "description": description,
        "operationId": operation_id,
        "tags": ["guest orders"],
    }
    if creates and idempotency_key:
        operation["parameters"] = [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": (
                    "Repeat a creation safely: the same key with the same body answers the "
                    "first response again and creates nothing; with another body, 422 "
                    "`idempotency_key_reused`. A key is scoped to the order. 1 to "
                    f"{MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (`!` to `~`), "
                    "else 400 `invalid_idempotency_key`."
                ),
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
                    "pattern": "^[!-~]+$",
                },
            }
        ]
    operation["requestBody"] = body
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def _slashless(paths: dict[str, Any]) -> dict[str, Any]:
    """Every path also without its trailing slash (the storefront client sends that)."""
    out: dict[str, Any] = {}
    for path, item in paths.items():
        out[path] = item
        if path.endswith("/") and path != "/":
            out[path.rstrip("/")] = {
                method: {**operation, "operationId": operation["operationId"] + "_no_slash"}
                for method, operation in item.items()
            }
    return out


def build_openapi(
    *,
    policy: Policy | None = None,
    max_body_bytes: int = 8 * 1024 * 1024,
    idempotency_key: bool = False,
) -> dict[str, Any]:
    """The document for a server with this policy and body limit.

    ``idempotency_key``: whether the creations take an ``Idempotency-Key`` header (the
    service decides; the app checks once, when it is created).
    """
    policy = policy or Policy()
    paths = {
        "/users/orders/anonymous/": {
            "post": _post(
                summary="Look up a guest order by number and email",
                description=(
                    "Only guests' orders are found. The storefront client posts form fields "
                    "to the path without its trailing slash; JSON works the same."
                ),
                operation_id="lookup_guest_order",
                body=_body("LookupRequest", "LookupRequest", _LOOKUP_EXAMPLE),
                success=("200", "A list holding the one order found.", "LookupResponse"),
                idempotency_key=idempotency_key,
                max_body_bytes=max_body_bytes,
            )
        },
        "/users/orders/anonymous/cancellation_requests/": {
            "post": _post(
                summary="Request cancellation or refund of one item of a guest order",
                description=(
                    "`cancellation_request_100_1` when the item already has an active request."
                ),
                operation_id="request_guest_cancellation",
                body=_body("CancellationRequestBody", "CancellationRequestForm", _CANCEL_EXAMPLE),
                success=("201", "The cancellation request created.", "CancellationRequest"),
                idempotency_key=idempotency_key,
                max_body_bytes=max_body_bytes,
            )
        },
        "/users/orders/anonymous/bulk_cancellation_requests/": {
            "post": _post(
                summary="Request cancellation or refund of several items of a guest order",
                description=(
                    "All or nothing. JSON only in practice: form data is read too, but a "
                    "form cannot carry `cancel_order_items`, so it is answered 400 with "
                    "`required` for that field."
                ),
                operation_id="request_guest_bulk_cancellation",
                body=_body("BulkCancellationRequestBody", None, _BULK_EXAMPLE),
                success=(
                    "201",
                    "The cancellation requests created, in the order of the items.",
                    "CancellationRequestList",
                ),
                idempotency_key=idempotency_key,
                max_body_bytes=max_body_bytes,
            )
        },
        "/users/orders/cancellation_reasons/": {
            "get": {
                "summary": "List the active cancellation reasons",
                "operationId": "list_cancellation_reasons",
                "tags": ["guest orders"],
                "responses": {
                    "200": {
                        "description": "Every active reason, on one page.",
                        "content": {_JSON: {"schema": _ref("CancellationReasonPage")}},
                    },
                    **_error_responses([MethodNotAllowed, ServerError], max_body_bytes),
                },
            }
        },
    }
    document_paths = _slashless(paths)
    document_paths["/openapi.json"] = {
        "get": {
            "summary": "This document",
            "operationId": "openapi",
            "tags": ["meta"],
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {_JSON: {"schema": {"type": "object"}}},
                },
                **_error_responses([MethodNotAllowed], max_body_bytes),
            },
        }
    }
    schemas = {
        **_request_schemas(policy),
        **_response_schemas(),
        "CancellationRequestList": {"type": "array", "items": _ref("CancellationRequest")},
    }
    lookup = _lookup_response_schemas()
    if clash := set(schemas) & set(lookup):  # pragma: no cover - a programming error
        raise AssertionError(f"schema names used twice: {sorted(clash)}")
    schemas.update(lookup)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "guest_orders",
            "version": API_VERSION,
            "summary": "Guest order lookup and cancellation/refund requests.",
            "description": (
                "Bodies are JSON (`application/json`) or form data "
                "(`application/x-www-form-urlencoded`, `multipart/form-data`), in UTF-8. "
                "Every error has the same shape (`Error`); an unknown path is answered "
                f"{NotFound.http_status} with `{NotFound.code}`."
            ),
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "paths": document_paths,
        "components": {"schemas": schemas},
    }


def openapi_bytes(document: dict[str, Any]) -> bytes:
    """The document as served and committed: indented UTF-8 JSON ending with a newline."""
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"
