"""The OpenAPI 3.1 document of the HTTP contract, generated from its definitions.

Paths and request bodies come from :mod:`guest_orders.wire.spec`, response bodies from
:mod:`guest_orders.wire.schema`, errors from :mod:`guest_orders.errors` and
:mod:`guest_orders.wire.transport`: nothing is written twice. It needs no web framework:
any integration (the Starlette app, a FastAPI router, Django views) serves this document
or takes its operations' schemas from :func:`request_schema` and :func:`response_schema`.

``docs/openapi.json`` is :func:`openapi_document` with the defaults; regenerate it with
``guest-orders openapi --output docs/openapi.json``. The request schemas state the limits
the service enforces (lengths, counts) so generated clients and fuzzers stay inside them;
what a schema cannot say (an IBAN's checksum, that a bulk request lists an item once, an
image's real type) is in the descriptions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

import attrs

from guest_orders.errors import (
    GuestOrderError,
    IdempotencyKeyReused,
    InvalidRequest,
    OrderNotFound,
    TooManyAttempts,
)
from guest_orders.policy import Policy
from guest_orders.wire import schema as response_schemas
from guest_orders.wire import spec
from guest_orders.wire.transport import (
    DEFAULT_MAX_BODY_BYTES,
    BadRequest,
    MalformedBody,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
    ServerError,
    UnsupportedMediaType,
)

__all__ = [
    "API_VERSION",
    "OPERATIONS",
    "Operation",
    "openapi_bytes",
    "openapi_document",
    "request_schema",
    "response_schema",
]

#: The version of the HTTP contract this document describes.
API_VERSION: Final = "1.0.0"

JSON: Final = "application/json"
URLENCODED: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"

Schema = dict[str, Any]
_ErrorKind = type[GuestOrderError]


@attrs.frozen(kw_only=True)
class Operation:
    """One endpoint of the contract.

    ``request``: the body's definition (``None`` for a GET); ``form``: whether form bodies
    are documented (a body a form cannot carry is JSON only); ``creates``: a creation,
    which takes the ``Idempotency-Key`` header; ``response``: the name of the success
    body's schema among :func:`guest_orders.wire.schema.response_schemas`.
    """

    operation_id: str
    method: str
    path: str
    summary: str
    description: str = ""
    request: spec.ObjectSpec | None = None
    form: bool = True
    example: Mapping[str, Any] | None = None
    status: int = 200
    success: str = ""
    response: str = ""
    creates: bool = False


_LOOKUP_EXAMPLE: Final = {"number": "2745403029312170", "email": "ayse.yilmaz@example.com"}

#: The endpoints, in the order the document lists them.
OPERATIONS: Final[tuple[Operation, ...]] = (
    Operation(
        operation_id="lookup_guest_order",
        method="post",
        path=spec.LOOKUP_PATH,
        summary="Look up a guest order by number and email",
        description=(
            "Only guests' orders are found. The storefront client posts form fields to the "
            "path without its trailing slash; JSON works the same."
        ),
        request=spec.LOOKUP,
        example=_LOOKUP_EXAMPLE,
        success="A list holding the one order found.",
        response="LookupResponse",
    ),
    Operation(
        operation_id="request_guest_cancellation",
        method="post",
        path=spec.CANCELLATION_PATH,
        summary="Request cancellation or refund of one item of a guest order",
        description="`cancellation_request_100_1` when the item already has an active request.",
        request=spec.CANCELLATION,
        example={**_LOOKUP_EXAMPLE, "order_item": 1001, "reason": 1, "cancellation_type": "cancel"},
        status=201,
        success="The cancellation request created.",
        response="CancellationRequest",
        creates=True,
    ),
    Operation(
        operation_id="request_guest_bulk_cancellation",
        method="post",
        path=spec.BULK_CANCELLATION_PATH,
        summary="Request cancellation or refund of several items of a guest order",
        description=(
            "All or nothing. JSON only in practice: form data is read too, but a form cannot "
            "carry `cancel_order_items`, so it is answered 400 with `required` for that field."
        ),
        request=spec.BULK_CANCELLATION,
        form=False,
        example={
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
        },
        status=201,
        success="The cancellation requests created, in the order of the items.",
        response="CancellationRequestList",
        creates=True,
    ),
    Operation(
        operation_id="list_cancellation_reasons",
        method="get",
        path=spec.REASONS_PATH,
        summary="List the active cancellation reasons",
        success="Every active reason, on one page.",
        response="CancellationReasonPage",
    ),
)

_BY_ID: Final = {operation.operation_id: operation for operation in OPERATIONS}


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def _error_descriptions(max_body_bytes: int) -> dict[_ErrorKind, str]:
    return {
        InvalidRequest: (
            "The request is invalid: the body names every field at fault, `code` is the "
            "first problem's code."
        ),
        MalformedBody: f"`{MalformedBody.code}`: the body cannot be read as its content type says.",
        BadRequest: f"`{BadRequest.code}`: anything else the HTTP layer cannot process.",
        OrderNotFound: (
            f"`{OrderNotFound.code}`: no guest order has this number and email. The same "
            "status, headers and body for every kind of miss (unknown number, a registered "
            "customer's order, another email)."
        ),
        MethodNotAllowed: f"`{MethodNotAllowed.code}`: the path does not take this method.",
        RequestTooLarge: (
            f"`{RequestTooLarge.code}`: the body is larger than {max_body_bytes} bytes."
        ),
        UnsupportedMediaType: (
            f"`{UnsupportedMediaType.code}`: the body is not JSON or form data, or not UTF-8."
        ),
        IdempotencyKeyReused: (
            f"`{IdempotencyKeyReused.code}`: the `{spec.IDEMPOTENCY_KEY_HEADER}` was used on "
            "this order for another request."
        ),
        TooManyAttempts: (
            f"`{TooManyAttempts.code}`: too many failed attempts for this order number or "
            "client; every attempt is refused, even one with the right email, until "
            "`Retry-After` seconds have passed."
        ),
        ServerError: f"`{ServerError.code}`: an unexpected failure; the body carries no details.",
    }


_STRING: Final[Schema] = {"type": "string"}

_ERROR_HEADERS: Final[Mapping[_ErrorKind, Schema]] = {
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

#: What every POST may answer besides its success.
_POST_ERRORS: Final[tuple[_ErrorKind, ...]] = (
    InvalidRequest,
    MalformedBody,
    BadRequest,
    OrderNotFound,
    MethodNotAllowed,
    RequestTooLarge,
    UnsupportedMediaType,
    TooManyAttempts,
    ServerError,
)


def _error_responses(kinds: Sequence[_ErrorKind], max_body_bytes: int) -> Schema:
    """The responses of these errors, by their HTTP status (several may share one)."""
    descriptions = _error_descriptions(max_body_bytes)
    responses: Schema = {}
    for kind in kinds:
        response = responses.setdefault(
            str(kind.http_status),
            {"description": "", "content": {JSON: {"schema": {"$ref": _ref("Error")}}}},
        )
        response["description"] = " ".join(
            filter(None, [response["description"], descriptions[kind]])
        )
        if kind in _ERROR_HEADERS:
            response["headers"] = {**response.get("headers", {}), **_ERROR_HEADERS[kind]}
    return responses


def _idempotency_key_parameter() -> Schema:
    return {
        "name": spec.IDEMPOTENCY_KEY_HEADER,
        "in": "header",
        "required": False,
        "description": (
            "Repeat a creation safely: the same key with the same body answers the first "
            f"response again and creates nothing; with another body, "
            f"{IdempotencyKeyReused.http_status} `{IdempotencyKeyReused.code}`. A key is scoped "
            f"to the order. 1 to {spec.IDEMPOTENCY_KEY_SCHEMA['maxLength']} visible ASCII "
            "characters (`!` to `~`), else 400 `invalid_idempotency_key`."
        ),
        "schema": dict(spec.IDEMPOTENCY_KEY_SCHEMA),
    }


def _form_schema_name(request: spec.ObjectSpec) -> str:
    """The form variant's name: ``CancellationRequestBody`` -> ``CancellationRequestForm``;
    a request whose form and JSON schemas are alike has one name."""
    if request.name.endswith("Body"):
        return request.name.removesuffix("Body") + "Form"
    return request.name


def _operation(operation: Operation, max_body_bytes: int) -> Schema:
    out: Schema = {"summary": operation.summary}
    if operation.description:
        out["description"] = operation.description
    out["operationId"] = operation.operation_id
    out["tags"] = ["guest orders"]
    kinds: list[_ErrorKind]
    if operation.request is None:
        kinds = [MethodNotAllowed, ServerError]
    else:
        kinds = list(_POST_ERRORS)
        if operation.creates:
            kinds.append(IdempotencyKeyReused)
            out["parameters"] = [_idempotency_key_parameter()]
        content: Schema = {JSON: {"schema": {"$ref": _ref(operation.request.name)}}}
        if operation.example is not None:
            content[JSON]["example"] = dict(operation.example)
        if operation.form:
            form = {"schema": {"$ref": _ref(_form_schema_name(operation.request))}}
            content[URLENCODED] = form
            content[MULTIPART] = dict(form)
        out["requestBody"] = {"required": True, "content": content}
    responses: Schema = {
        str(operation.status): {
            "description": operation.success,
            "content": {JSON: {"schema": {"$ref": _ref(operation.response)}}},
        },
        **_error_responses(kinds, max_body_bytes),
    }
    out["responses"] = dict(sorted(responses.items()))
    return out


def _paths(max_body_bytes: int) -> Schema:
    """Every operation's path, and the same without its trailing slash (the storefront
    client sends that)."""
    paths: Schema = {}
    for operation in OPERATIONS:
        document = _operation(operation, max_body_bytes)
        paths.setdefault(operation.path, {})[operation.method] = document
        paths.setdefault(operation.path.rstrip("/"), {})[operation.method] = {
            **document,
            "operationId": operation.operation_id + "_no_slash",
        }
    paths[spec.OPENAPI_PATH] = {
        "get": {
            "summary": "This document",
            "operationId": "openapi",
            "tags": ["meta"],
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": {JSON: {"schema": {"type": "object"}}},
                },
                **_error_responses([MethodNotAllowed], max_body_bytes),
            },
        }
    }
    return paths


def _error_schemas() -> dict[str, Schema]:
    tree = {"$ref": _ref("ErrorTree")}
    return {
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
                    "items": {
                        "type": "object",
                        "additionalProperties": {"$ref": _ref("ErrorTree")},
                    },
                },
                {"type": "object", "additionalProperties": {"$ref": _ref("ErrorTree")}},
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
                "codes": {"type": "object", "additionalProperties": tree},
                "non_field_errors": {"type": "array", "items": _STRING},
            },
            "required": ["code", "codes"],
            "additionalProperties": tree,
        },
    }


def _request_schemas(policy: Policy) -> dict[str, Schema]:
    schemas: dict[str, Schema] = {}
    for operation in OPERATIONS:
        request = operation.request
        if request is None:
            continue
        schemas[request.name] = spec.json_schema(request, policy)
        if operation.form and _form_schema_name(request) != request.name:
            schemas[_form_schema_name(request)] = spec.json_schema(request, policy, form=True)
    return schemas


def openapi_document(
    *, policy: Policy | None = None, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> dict[str, Any]:
    """The document for a server with this policy (the shop's limits; the default policy
    when ``None``) and body limit."""
    policy = policy or Policy()
    schemas = {**_request_schemas(policy), **_error_schemas()}
    responses = response_schemas.response_schemas(_ref)
    if clash := set(schemas) & set(responses):  # pragma: no cover - a programming error
        raise AssertionError(f"schema names used twice: {sorted(clash)}")
    schemas.update(responses)
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
        "paths": _paths(max_body_bytes),
        "components": {"schemas": schemas},
    }


def openapi_bytes(document: Mapping[str, Any]) -> bytes:
    """The document as served and committed: indented UTF-8 JSON ending with a newline."""
    return json.dumps(document, indent=2, ensure_ascii=False).encode() + b"\n"


def _standalone(root: Schema, components: Mapping[str, Schema]) -> Schema:
    """``root`` as a JSON Schema of its own: the components it refers to under ``$defs``."""
    needed: dict[str, Schema] = {}
    pending: list[Any] = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rpartition("/")[2]
                if name not in needed:
                    needed[name] = components[name]
                    pending.append(components[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    text = json.dumps({**root, "$defs": needed}).replace('"#/components/schemas/', '"#/$defs/')
    out: Schema = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    out.update(json.loads(text))
    if not needed:
        del out["$defs"]
    return out


def request_schema(
    operation_id: str, *, policy: Policy | None = None, form: bool = False
) -> Schema:
    """The JSON Schema (draft 2020-12) of an operation's request body, on its own.

    ``form=True`` gives the form body's (no field a form cannot carry, no ``null``).
    Raises :class:`KeyError` for an operation without a body.
    """
    request = _BY_ID[operation_id].request
    if request is None:
        raise KeyError(f"{operation_id} takes no body")
    return _standalone(spec.json_schema(request, policy or Policy(), form=form), {})


def response_schema(operation_id: str) -> Schema:
    """The JSON Schema (draft 2020-12) of an operation's success body, on its own (the
    classes it refers to under ``$defs``)."""
    components = response_schemas.response_schemas(_ref)
    name = _BY_ID[operation_id].response
    return _standalone({"$ref": _ref(name)}, components)
