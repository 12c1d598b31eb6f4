"""The responses' JSON Schemas, generated from the domain classes.

A rendered object is an attrs class of the domain, field for field, as the converter
(:mod:`guest_orders.wire.converter`) writes it, shaped by its :class:`Shape` — the
fields left out, the ones renamed, the computed ones the renderer adds — which the
converter reads too. A field's schema follows from its type (``Decimal`` is money, an
``X | None`` may be ``null``, a tuple an array); a :class:`Shape` states only what a type
cannot say (a masked IBAN, a bound the domain enforces). So a field added to ``Order``
appears in the response schema, and in the OpenAPI document, without being written here.
"""

from __future__ import annotations

import enum
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from guest_orders.domain import (
    Bank,
    CancellationReason,
    CancellationRequest,
    Currency,
    EasyReturn,
    EasyReturnShippingCompany,
    ImageRef,
    Order,
    OrderItem,
    OrderStatus,
    PickupDate,
    Product,
    ShippingCompany,
)
from guest_orders.wire.spec import DATE_PATTERN, HOUR_PATTERN, IMAGES_FIELD

__all__ = [
    "LOOKUP_RESPONSE_SCHEMA_ID",
    "SHAPES",
    "Shape",
    "lookup_response_schema",
    "response_schemas",
]

Schema = dict[str, Any]

#: The ``$id`` of the standalone lookup response schema.
LOOKUP_RESPONSE_SCHEMA_ID: Final = (
    "https://guest-orders.invalid/schemas/lookup-response.schema.json"
)

MONEY_PATTERN: Final = r"^(0|[1-9][0-9]*)\.[0-9]{2}$"
DECIMAL_PATTERN: Final = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"
DATETIME_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?Z$"
_UUID_PATTERN: Final = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

MONEY: Final[Schema] = {"type": "string", "pattern": MONEY_PATTERN}
DECIMAL: Final[Schema] = {"type": "string", "pattern": DECIMAL_PATTERN}
_BOOLEAN: Final[Schema] = {"type": "boolean"}


@attrs.frozen
class Shape:
    """How the renderer writes one domain class (what its type annotations do not say).

    ``omit``: fields left out; ``rename``: wire names of renamed fields; ``fields``:
    schema keywords a field's type does not give (merged over it); ``extra``: the
    computed fields the renderer adds after the class's own, in order.
    """

    omit: frozenset[str] = frozenset()
    rename: Mapping[str, str] = attrs.field(factory=dict)
    fields: Mapping[str, Schema] = attrs.field(factory=dict)
    extra: Mapping[str, Schema] = attrs.field(factory=dict)
    description: str = ""


def _ref(name: str) -> Schema:
    # Placeholder names, rewritten by the caller's ``ref`` (``$defs`` or components).
    return {"$ref": name}


def _nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def _masked(pattern: str, description: str) -> Schema:
    """A masked optional string (its type, ``Iban`` or ``str``, says nothing of the mask)."""
    return {
        "description": description,
        "anyOf": [{"type": "string", "pattern": pattern}, {"type": "null"}],
    }


#: Every rendered class and how it is shaped. The converter reads ``omit`` and
#: ``rename``; the schemas read all of it.
SHAPES: Final[Mapping[type, Shape]] = {
    Bank: Shape(),
    Product: Shape(),
    EasyReturnShippingCompany: Shape(omit=frozenset({"is_active"}), fields={"pk": {"minimum": 1}}),
    EasyReturn: Shape(),
    ImageRef: Shape(),
    CancellationRequest: Shape(
        omit=frozenset({"order"}),
        rename={"images": IMAGES_FIELD},
        fields={
            "iban": _masked(r"^\*+[0-9A-Z]{4}$", "All but the last four characters hidden."),
            "holder_name": _masked(
                r"^\S\*\*\*( \S\*\*\*)*$|^\*\*\*$", "The first character of each word, then ***."
            ),
            "quantity": {"minimum": 1},
        },
        description=(
            "A cancellation or refund request. The IBAN and the holder's name are masked."
        ),
    ),
    CancellationReason: Shape(rename={"pk": "id"}),
    OrderItem: Shape(
        omit=frozenset({"delivered_date"}),
        fields={"quantity": {"minimum": 1}},
        extra={
            "is_cancelled": _BOOLEAN,
            "is_cancellable": _BOOLEAN,
            "is_refundable": _BOOLEAN,
            "active_cancellation_request": _nullable(_ref("CancellationRequest")),
            "available_easy_return_shipping_companies": {
                "description": (
                    "The shop's easy-return carriers when the item can be refunded, else empty."
                ),
                "type": "array",
                "items": _ref("EasyReturnShippingCompany"),
            },
        },
    ),
    Order: Shape(
        omit=frozenset({"customer", "payment_type", "items"}),
        fields={
            "number": {"minLength": 1},
            "shipping_tax_rate": _nullable(DECIMAL),
            "installment_count": {"minimum": 1},
        },
        extra={
            "amount_without_discount": MONEY,
            "is_cancelled": _BOOLEAN,
            "is_cancellable": _BOOLEAN,
            "is_refundable": _BOOLEAN,
            "is_payable": _BOOLEAN,
            "orderitem_set": {"type": "array", "items": _ref("OrderItem")},
        },
    ),
}

#: Values the converter writes with a hook of its own, as objects.
_VALUE_OBJECTS: Final[Mapping[type, Schema]] = {
    OrderStatus: {
        "description": "An order or order-item status: the platform's code and a label.",
        "type": "object",
        "additionalProperties": False,
        "required": ["value", "label"],
        "properties": {
            "value": {"enum": [status.value for status in OrderStatus]},
            "label": {"type": "string", "minLength": 1},
        },
    },
    Currency: {
        "type": "object",
        "additionalProperties": False,
        "required": ["value", "label"],
        "properties": {
            "value": {"type": "string", "pattern": "^[a-z]{3}$"},
            "label": {"type": "string", "pattern": "^[A-Z]{3}$"},
        },
    },
    ShippingCompany: {
        "type": "object",
        "additionalProperties": False,
        "required": ["value", "label"],
        "properties": {
            "value": {"type": "string", "minLength": 1},
            "label": {"type": "string"},
        },
    },
    PickupDate: {
        "type": "object",
        "additionalProperties": False,
        "required": ["date", "hour_range"],
        "properties": {
            "date": {"type": "string", "pattern": DATE_PATTERN},
            "hour_range": {
                "type": "object",
                "additionalProperties": False,
                "required": ["start", "end"],
                "properties": {
                    "start": {"type": "string", "pattern": HOUR_PATTERN},
                    "end": {"type": "string", "pattern": HOUR_PATTERN},
                },
            },
        },
    },
}

_SCALARS: Final[Mapping[Any, Schema]] = {
    int: {"type": "integer"},
    str: {"type": "string"},
    bool: _BOOLEAN,
    Decimal: MONEY,
    datetime: {"type": "string", "pattern": DATETIME_PATTERN},
    date: {"type": "string", "pattern": DATE_PATTERN},
    uuid.UUID: {"type": "string", "pattern": _UUID_PATTERN},
}


def _type_schema(tp: Any) -> Schema:
    """The schema of a value of type ``tp`` as the converter writes it."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        (present,) = (arg for arg in args if arg is not type(None))
        return _nullable(_type_schema(present))
    if origin is tuple:
        return {"type": "array", "items": _type_schema(args[0])}
    if origin is Mapping:
        value = args[1]
        return (
            {"type": "object"}
            if value is Any
            else {"type": "object", "additionalProperties": _type_schema(value)}
        )
    if tp in _SCALARS:
        return dict(_SCALARS[tp])
    if tp in _VALUE_OBJECTS or tp in SHAPES:
        return _ref(tp.__name__)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [member.value for member in tp]}
    raise TypeError(f"no response schema for {tp!r}: add it to guest_orders.wire.schema")


def _field_schema(tp: Any, override: Schema | None) -> Schema:
    """The schema of a field of type ``tp``. An ``override`` with ``anyOf`` replaces it;
    any other adds its keywords (to the non-null part of an optional)."""
    if override is not None and "anyOf" in override:
        return dict(override)
    schema = _type_schema(tp)
    if override is None:
        return schema
    if "anyOf" in schema:
        first, *rest = schema["anyOf"]
        return {**schema, "anyOf": [{**first, **override}, *rest]}
    return {**schema, **override}


def _class_schema(cls: type) -> Schema:
    shape = SHAPES[cls]
    hints = typing.get_type_hints(cls)
    properties: Schema = {}
    for field in attrs.fields(cls):
        if field.name in shape.omit:
            continue
        schema = _field_schema(hints[field.name], shape.fields.get(field.name))
        properties[shape.rename.get(field.name, field.name)] = schema
    properties.update({name: dict(schema) for name, schema in shape.extra.items()})
    out: Schema = {}
    if shape.description:
        out["description"] = shape.description
    out.update(
        {
            "type": "object",
            "additionalProperties": False,
            "required": list(properties),
            "properties": properties,
        }
    )
    return out


def _definitions() -> dict[str, Schema]:
    defs: dict[str, Schema] = {cls.__name__: dict(schema) for cls, schema in _VALUE_OBJECTS.items()}
    defs.update({cls.__name__: _class_schema(cls) for cls in SHAPES})
    return defs


def _rewrite_refs(node: Any, ref: Callable[[str], str]) -> Any:
    if isinstance(node, dict):
        return {
            key: ref(value) if key == "$ref" else _rewrite_refs(value, ref)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(value, ref) for value in node]
    return node


_LOOKUP_DESCRIPTION: Final = (
    "Body of a successful POST /users/orders/anonymous/: a list holding the one order "
    "found. Money is a decimal string with exactly two places; datetimes are ISO 8601 in "
    "UTC with a Z."
)


def _lookup_response(ref: Callable[[str], str]) -> Schema:
    return {
        "title": "Guest order lookup response",
        "description": _LOOKUP_DESCRIPTION,
        "type": "array",
        "minItems": 1,
        "maxItems": 1,
        "items": {"$ref": ref("Order")},
    }


def lookup_response_schema() -> Schema:
    """The lookup response's standalone JSON Schema (draft 2020-12), with every rendered
    class under ``$defs`` (in snake case: ``order_item``)."""

    def ref(name: str) -> str:
        return f"#/$defs/{_snake(name)}"

    definitions = {_snake(name): schema for name, schema in _definitions().items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": LOOKUP_RESPONSE_SCHEMA_ID,
        **_lookup_response(ref),
        "$defs": _rewrite_refs(definitions, ref),
    }


def _snake(name: str) -> str:
    """``"OrderItem"`` -> ``"order_item"``: the standalone schema's definition names."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


def response_schemas(ref: Callable[[str], str]) -> dict[str, Schema]:
    """The responses' schemas by name (``LookupResponse``, ``CancellationRequestList``,
    ``CancellationReasonPage`` and every rendered class), their references written by
    ``ref`` (for example ``lambda name: f"#/components/schemas/{name}"``)."""
    schemas = {
        "LookupResponse": _lookup_response(ref),
        "CancellationRequestList": {"type": "array", "items": {"$ref": ref("CancellationRequest")}},
        "CancellationReasonPage": {
            "type": "object",
            "properties": {
                "count": {"type": "integer", "minimum": 0},
                "next": {"type": "null"},
                "previous": {"type": "null"},
                "results": {"type": "array", "items": {"$ref": ref("CancellationReason")}},
            },
            "required": ["count", "next", "previous", "results"],
            "additionalProperties": False,
        },
    }
    schemas.update(_rewrite_refs(_definitions(), ref))
    return schemas
