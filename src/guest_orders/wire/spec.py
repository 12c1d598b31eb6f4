"""The wire contract, declared once: every request's fields and the endpoints' paths.

Each request is an :class:`ObjectSpec`: its fields in the order they are read and
reported, each a :class:`Field` — wire name, the domain attribute it fills, whether it is
required, its default, its description — of a :class:`Kind` (how one kind of value is read,
written back and described in JSON Schema, with the error codes reading it may give),
a nested :class:`ObjectSpec` or a :class:`ListOf` objects. From these declarations:

- :mod:`guest_orders.wire.requests` parses JSON and form bodies (:func:`read`);
- :mod:`guest_orders.wire.openapi` builds the request JSON Schemas and the OpenAPI
  document (:func:`json_schema`);
- :func:`payload` writes a command back as the body that parses to it (the testing kit's
  payload builders use it).

Limits that the shop's :class:`~guest_orders.policy.Policy` sets are read from it when a
body is parsed or a schema built; fixed limits are constants here.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, Final

import attrs

from guest_orders.domain import (
    MAX_IDEMPOTENCY_KEY_LENGTH,
    CancelItem,
    CancellationCommand,
    CancellationType,
    Iban,
    ImageUpload,
    LookupQuery,
    PickupDate,
)
from guest_orders.errors import NON_FIELD_ERRORS, ErrorDetail
from guest_orders.policy import Policy
from guest_orders.wire import _values as v

__all__ = [
    "BULK_CANCELLATION",
    "BULK_CANCELLATION_PATH",
    "CANCELLATION",
    "CANCELLATION_PATH",
    "IDEMPOTENCY_KEY_HEADER",
    "IMAGES_FIELD",
    "ITEMS_FIELD",
    "LOOKUP",
    "LOOKUP_PATH",
    "MAX_EMAIL_LENGTH",
    "MAX_HOLDER_NAME_LENGTH",
    "MAX_IBAN_LENGTH",
    "MAX_INT",
    "OPENAPI_PATH",
    "REASONS_PATH",
    "Field",
    "Kind",
    "ListOf",
    "ObjectSpec",
    "json_schema",
    "payload",
    "read",
]

# --- paths and names ---------------------------------------------------------------------

LOOKUP_PATH: Final = "/users/orders/anonymous/"
CANCELLATION_PATH: Final = "/users/orders/anonymous/cancellation_requests/"
BULK_CANCELLATION_PATH: Final = "/users/orders/anonymous/bulk_cancellation_requests/"
REASONS_PATH: Final = "/users/orders/cancellation_reasons/"
OPENAPI_PATH: Final = "/openapi.json"

#: The header that carries a creation's idempotency key.
IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"

#: The list of items of a bulk cancellation request.
ITEMS_FIELD: Final = "cancel_order_items"
#: The list of images of a cancel item.
IMAGES_FIELD: Final = "cancellation_request_image_set"

MAX_EMAIL_LENGTH: Final = v.MAX_EMAIL_LENGTH
MAX_IBAN_LENGTH: Final = v.MAX_IBAN_LENGTH
MAX_HOLDER_NAME_LENGTH: Final = v.MAX_HOLDER_NAME_LENGTH
#: Ids and quantities must fit a signed 64-bit database column.
MAX_INT: Final = v.MAX_INT

# No control characters (C0, DEL, C1) and at least one character that is not a space.
_NO_CONTROL: Final = r"\u0000-\u001f\u007f-\u009f"
_LINE_TEXT: Final = rf"^[^{_NO_CONTROL}]*[^\s{_NO_CONTROL}][^{_NO_CONTROL}]*$"
# Free text: tabs and line breaks are fine.
_FREE_TEXT: Final = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
#: An hour of the day, ``HH:MM``.
HOUR_PATTERN: Final = "^([01][0-9]|2[0-3]):[0-5][0-9]$"
#: A day, ``YYYY-MM-DD``.
DATE_PATTERN: Final = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: An idempotency key: visible ASCII.
IDEMPOTENCY_KEY_PATTERN: Final = "^[!-~]+$"

_REQUIRED_CODES: Final = ("required", "null")


# --- the declarations' types ---------------------------------------------------------------

Schema = dict[str, Any]


def _same(value: Any) -> Any:
    return value


@attrs.frozen
class Kind:
    """One kind of value: how it is read, written back and described.

    ``parse(value, ctx)`` gets a present, non-null value and raises :class:`_values.Fail`;
    ``schema(policy)`` is its JSON Schema; ``codes`` the error codes ``parse`` may give;
    ``write`` turns the domain value back into what ``parse`` reads.
    """

    parse: v.Parser[Any]
    schema: Callable[[Policy], Schema]
    codes: tuple[str, ...]
    write: Callable[[Any], Any] = _same


@attrs.frozen
class ObjectSpec:
    """An object: its fields in the order they are read (and their errors reported).

    ``build`` makes the domain value from the fields' values (keyed by attribute);
    ``check`` may return a problem of the object as a whole (``non_field_errors``) once
    every field has been read without one; ``split`` is ``build``'s inverse, for
    :func:`payload` (by default the fields' attributes of the value).
    """

    name: str
    fields: tuple[Field, ...]
    build: Callable[..., Any]
    description: str = ""
    check: Callable[[Mapping[str, Any]], ErrorDetail | None] | None = None
    split: Callable[[Any], Mapping[str, Any]] | None = None
    codes: tuple[str, ...] = ()

    @functools.cached_property
    def plan(self) -> tuple[tuple[str, str, v.Parser[Any], bool], ...]:
        """``(wire name, attribute, reader, is a list)`` of each field, built once."""
        return tuple(
            (field.name, field.attr, _reader(field), isinstance(field.kind, ListOf))
            for field in self.fields
        )

    def values_of(self, value: Any) -> Mapping[str, Any]:
        if self.split is not None:
            return self.split(value)
        return {field.attr: getattr(value, field.attr) for field in self.fields}


@attrs.frozen
class ListOf:
    """A list of objects: ``min_items`` to ``max_items(policy)``, refused past it with
    ``too_many`` (its message names the limit); ``unique`` names the field no two
    elements may share (``duplicate_order_item``)."""

    item: ObjectSpec
    max_items: Callable[[Policy], int]
    too_many: str
    min_items: int = 0
    unique: str | None = None
    description: str = ""


@attrs.frozen
class Field:
    """One field of an object.

    ``name`` is the wire's, ``attr`` the domain's (the same unless given). An absent or
    null optional field takes ``default``; a required one is refused (``required``,
    ``null``). ``in_form`` is false for a field a form cannot carry (a list of objects):
    web adapters leave it out of form bodies, and so do the form schemas.
    """

    name: str
    kind: Kind | ObjectSpec | ListOf
    required: bool = False
    default: Any = None
    description: str = ""
    in_form: bool = True
    show_default: bool = False
    attr: str = attrs.field(default=attrs.Factory(lambda self: self.name, takes_self=True))

    @property
    def codes(self) -> tuple[str, ...]:
        """The error codes reading this field may give."""
        kind = self.kind
        own: tuple[str, ...]
        if isinstance(kind, Kind):
            own = kind.codes
        elif isinstance(kind, ObjectSpec):
            own = ("invalid_type", *kind.codes, *_codes_of(kind))
        else:
            counts = ("empty",) if kind.min_items else ()
            unique = ("duplicate_order_item",) if kind.unique else ()
            own = ("invalid_type", *counts, kind.too_many, *unique, *_codes_of(kind.item))
        return (*_REQUIRED_CODES, *own) if self.required else own


def _codes_of(spec: ObjectSpec) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code for field in spec.fields for code in field.codes))


# --- value kinds -----------------------------------------------------------------------------


def _integer(description: str = "") -> Schema:
    schema: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
    if description:
        schema["description"] = description
    return schema


ORDER_NUMBER: Final = Kind(
    v.order_number,
    lambda policy: {
        "type": "string",
        "minLength": 1,
        "maxLength": policy.max_number_length,
        "pattern": _LINE_TEXT,
    },
    ("invalid_type", "blank", "max_length", "invalid_characters"),
)
EMAIL: Final = Kind(
    v.email,
    lambda _policy: {"type": "string", "format": "email", "maxLength": MAX_EMAIL_LENGTH},
    ("invalid_type", "blank", "max_length", "invalid_email"),
)
ID: Final = Kind(
    v.positive_int, lambda _policy: _integer(), ("invalid_type", "min_value", "max_value")
)
FLAG: Final = Kind(v.flag, lambda _policy: {"type": "boolean"}, ("invalid_type",))
CANCELLATION_TYPE: Final = Kind(
    v.cancellation_type,
    lambda _policy: {"enum": [member.value for member in CancellationType]},
    ("invalid_type", "invalid_choice"),
    write=lambda member: member.value,
)
FREE_TEXT: Final = Kind(
    v.free_text,
    lambda policy: {
        "type": "string",
        "maxLength": policy.max_description_length,
        "pattern": _FREE_TEXT,
    },
    ("invalid_type", "max_length", "invalid_characters"),
)
IBAN: Final = Kind(
    v.iban,
    lambda _policy: {"type": "string", "format": "iban", "maxLength": MAX_IBAN_LENGTH},
    ("invalid_type", "blank", "max_length", "invalid_iban"),
    write=lambda iban: iban.compact if isinstance(iban, Iban) else iban,
)
HOLDER_NAME: Final = Kind(
    v.holder_name,
    lambda _policy: {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_HOLDER_NAME_LENGTH,
        "pattern": _LINE_TEXT,
    },
    ("invalid_type", "blank", "max_length", "invalid_characters"),
)
DAY: Final = Kind(
    v.iso_date,
    lambda _policy: {"type": "string", "format": "date", "pattern": DATE_PATTERN},
    ("invalid_type", "invalid_date"),
    write=date.isoformat,
)
HOUR: Final = Kind(
    v.hour,
    lambda _policy: {"type": "string", "pattern": HOUR_PATTERN},
    ("invalid_type", "invalid_time"),
    write=lambda value: value.strftime("%H:%M"),
)


def _data_url(image: tuple[bytes, str]) -> str:
    content, media_type = image
    return f"data:{media_type};base64,{base64.b64encode(content).decode('ascii')}"


IMAGE_DATA_URL: Final = Kind(
    v.image_data_url,
    lambda policy: {
        "type": "string",
        "pattern": "^data:image/(jpeg|png|webp);base64,",
        "description": (
            "A data URL whose declared type matches the image's real one; at most "
            f"{policy.max_image_bytes} bytes decoded."
        ),
    },
    ("invalid_type", "invalid_image", "image_too_large"),
    write=_data_url,
)


# --- nested objects ------------------------------------------------------------------------


def _hour_range_check(values: Mapping[str, Any]) -> ErrorDetail | None:
    return None if values["start"] < values["end"] else ErrorDetail.of("invalid_hour_range")


HOUR_RANGE: Final = ObjectSpec(
    "HourRange",
    (Field("start", HOUR, required=True), Field("end", HOUR, required=True)),
    build=lambda start, end: (start, end),
    description="`start` must be before `end`.",
    check=_hour_range_check,
    split=lambda hours: {"start": hours[0], "end": hours[1]},
    codes=("invalid_hour_range",),
)

PICKUP_DATE: Final = ObjectSpec(
    "PickupDate",
    (
        Field("date", DAY, required=True, description="Today or later.", attr="day"),
        Field("hour_range", HOUR_RANGE, required=True, attr="hours"),
    ),
    build=lambda day, hours: PickupDate(date=day, start=hours[0], end=hours[1]),
    description="When the carrier should pick the return up (refunds only).",
    split=lambda pickup: {"day": pickup.date, "hours": (pickup.start, pickup.end)},
)

_DESCRIPTION: Final = Field(
    "description",
    FREE_TEXT,
    description="Free text; required by reasons with `extra_information_needed`.",
)

IMAGE: Final = ObjectSpec(
    "Image",
    (Field("image", IMAGE_DATA_URL, required=True, attr="data"), _DESCRIPTION),
    build=lambda data, description: ImageUpload(
        content=data[0], media_type=data[1], description=description
    ),
    split=lambda image: {
        "data": (image.content, image.media_type),
        "description": image.description,
    },
)


# --- the requests ----------------------------------------------------------------------------

_NUMBER: Final = Field(
    "number",
    ORDER_NUMBER,
    required=True,
    description=(
        "The order number (surrounding spaces are ignored; a JSON integer is read as its "
        "decimal digits)."
    ),
)
_EMAIL: Final = Field(
    "email",
    EMAIL,
    required=True,
    description=(
        "The email used at checkout. Checked with email-validator: special-use domains "
        "(`.test`, `.local`, `.invalid`, ...) are refused."
    ),
)
_ORDER_ITEM: Final = Field(
    "order_item", ID, required=True, description="The order item to cancel or refund."
)
_REASON: Final = Field(
    "reason", ID, required=True, description="A cancellation reason of the same type."
)
_CANCELLATION_TYPE: Final = Field(
    "cancellation_type",
    CANCELLATION_TYPE,
    required=True,
    description="`cancel` for items not yet shipped, `refund` (an easy return) for the rest.",
)
_SHIPPING_COMPANY: Final = Field(
    "shipping_company",
    ID,
    description="An easy-return shipping company: required for `refund`.",
)
_QUANTITY: Final = Field(
    "quantity", ID, description="How many units of a merged item; at most the item's quantity."
)
_IBAN: Final = Field(
    "iban",
    IBAN,
    description=(
        "An IBAN with valid check digits (ISO 13616); spaces are ignored. Only for refunds "
        "of cash-paid orders, which need it."
    ),
)
_HOLDER_NAME: Final = Field(
    "holder_name", HOLDER_NAME, description="The bank account holder; with `iban`."
)


def _cancel_item(**values: Any) -> CancelItem:
    return CancelItem(**values)


#: The item of a single cancellation request (its fields sit in the body itself).
ITEM: Final = ObjectSpec(
    "CancelItem",
    (
        _ORDER_ITEM,
        _REASON,
        _CANCELLATION_TYPE,
        _DESCRIPTION,
        _SHIPPING_COMPANY,
        _QUANTITY,
        _IBAN,
        _HOLDER_NAME,
    ),
    build=_cancel_item,
)

#: One element of a bulk request's ``cancel_order_items``.
BULK_ITEM: Final = ObjectSpec(
    "BulkCancelItem",
    (
        _ORDER_ITEM,
        _REASON,
        _CANCELLATION_TYPE,
        _DESCRIPTION,
        _SHIPPING_COMPANY,
        Field("pickup_date", PICKUP_DATE),
        _QUANTITY,
        Field(
            IMAGES_FIELD,
            ListOf(IMAGE, max_items=lambda policy: policy.max_images, too_many="too_many_images"),
            default=(),
            attr="images",
        ),
        _IBAN,
        _HOLDER_NAME,
    ),
    build=_cancel_item,
)

LOOKUP: Final = ObjectSpec(
    "LookupRequest",
    (_NUMBER, _EMAIL),
    build=LookupQuery,
)


def _single(number: str, email: str, **item: Any) -> CancellationCommand:
    return CancellationCommand(number=number, email=email, items=(CancelItem(**item),), bulk=False)


CANCELLATION: Final = ObjectSpec(
    "CancellationRequestBody",
    (_NUMBER, _EMAIL, *ITEM.fields),
    build=_single,
    split=lambda command: {
        "number": command.number,
        "email": command.email,
        **ITEM.values_of(command.items[0]),
    },
)


def _bulk(**values: Any) -> CancellationCommand:
    return CancellationCommand(**values, bulk=True)


BULK_CANCELLATION: Final = ObjectSpec(
    "BulkCancellationRequestBody",
    (
        _NUMBER,
        _EMAIL,
        Field(
            ITEMS_FIELD,
            ListOf(
                BULK_ITEM,
                max_items=lambda policy: policy.max_bulk_items,
                too_many="too_many_items",
                min_items=1,
                unique="order_item",
                description="The items, each listed once.",
            ),
            required=True,
            in_form=False,
            attr="items",
        ),
        Field(
            "pickup_address",
            ID,
            description=(
                "One of the customer's addresses, for every refund item to be picked up from."
            ),
        ),
        Field(
            "fully_refund_as_loyalty_money",
            FLAG,
            default=False,
            show_default=True,
            description="Refund everything as loyalty money (when the shop allows).",
        ),
    ),
    build=_bulk,
)

#: The idempotency key's JSON Schema (an HTTP header, not a body field).
IDEMPOTENCY_KEY_SCHEMA: Final[Schema] = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH,
    "pattern": IDEMPOTENCY_KEY_PATTERN,
}


# --- reading -------------------------------------------------------------------------------

_DUPLICATE: Final = ErrorDetail.of("duplicate_order_item")


def read(spec: ObjectSpec, fields: v.Fields) -> Any:
    """The domain value of the object ``fields`` holds; raises :class:`_values.Fail` with
    every field's problem (and then the object's own, under ``non_field_errors``)."""
    values = _read_fields(spec, fields)
    fields.check()
    return spec.build(**values)


def _read_fields(spec: ObjectSpec, fields: v.Fields) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, attr, reader, is_list in spec.plan:
        values[attr] = fields.field(name, reader, is_list=is_list)
    if not fields.errors and spec.check is not None:
        problem = spec.check(values)
        if problem is not None:
            fields.errors[NON_FIELD_ERRORS] = [problem]
    return values


def _reader(field: Field) -> v.Parser[Any]:
    kind = field.kind
    parse: v.Parser[Any]
    if isinstance(kind, Kind):
        parse = kind.parse
    elif isinstance(kind, ObjectSpec):
        parse = _nested(kind)
    else:
        parse = _list(kind)
    if field.required:

        def read_required(value: Any, ctx: v.Context) -> Any:
            if value is v.MISSING or value is None:
                v.present(value)
            return parse(value, ctx)

        return read_required
    default = field.default

    def read_optional(value: Any, ctx: v.Context) -> Any:
        if value is v.MISSING or value is None:
            return default
        return parse(value, ctx)

    return read_optional


def _nested(spec: ObjectSpec) -> v.Parser[Any]:
    def read_nested(value: Any, ctx: v.Context) -> Any:
        return read(spec, v.read_object(value, ctx))

    return read_nested


def _element(spec: ObjectSpec, unique: str | None) -> Callable[[set[Any]], v.Parser[Any]]:
    def for_list(seen: set[Any]) -> v.Parser[Any]:
        def read_element(value: Any, ctx: v.Context) -> Any:
            if not isinstance(value, Mapping):
                raise v.Fail({NON_FIELD_ERRORS: [v.NOT_AN_OBJECT]})
            fields = v.Fields(value, ctx.policy, form=ctx.form)
            values = _read_fields(spec, fields)
            if unique is not None and unique not in fields.errors:
                key = values[unique]
                if key in seen:
                    fields.errors = {unique: [_DUPLICATE], **fields.errors}
                seen.add(key)
            fields.check()
            return spec.build(**values)

        return read_element

    return for_list


def _list(kind: ListOf) -> v.Parser[Any]:
    element = _element(kind.item, kind.unique)

    def read_list(value: Any, ctx: v.Context) -> tuple[Any, ...]:
        if type(value) not in v.LISTS:
            v.not_a("list")
        if kind.min_items and len(value) < kind.min_items:
            v.fail("empty")
        limit = kind.max_items(ctx.policy)
        if len(value) > limit:
            v.fail(kind.too_many, limit=limit)
        return tuple(v.each(value, element(set()), ctx))

    return read_list


# --- writing -------------------------------------------------------------------------------


def payload(spec: ObjectSpec, value: Any) -> dict[str, Any]:
    """The JSON body that parses to ``value``: the fields whose value is not their default
    (absent and default read alike), each written as its kind reads it."""
    out: dict[str, Any] = {}
    values = spec.values_of(value)
    for field in spec.fields:
        item = values[field.attr]
        if not field.required and (item is None or item == field.default):
            continue
        out[field.name] = _write(field.kind, item)
    return out


def _write(kind: Kind | ObjectSpec | ListOf, value: Any) -> Any:
    if isinstance(kind, Kind):
        return kind.write(value)
    if isinstance(kind, ObjectSpec):
        return payload(kind, value)
    return [payload(kind.item, element) for element in value]


# --- describing ----------------------------------------------------------------------------


def form_fields_left_out(spec: ObjectSpec) -> tuple[str, ...]:
    """The fields of ``spec`` that a form body cannot carry."""
    return tuple(field.name for field in spec.fields if not field.in_form)


def json_schema(spec: ObjectSpec, policy: Policy, *, form: bool = False) -> Schema:
    """The JSON Schema of a body of ``spec`` (of a form body with ``form=True``: no field
    it cannot carry, no ``null``). Unknown keys are allowed and ignored, as Django REST
    framework does."""
    properties: Schema = {}
    for field in spec.fields:
        if form and not field.in_form:
            continue
        schema = _kind_schema(field.kind, policy, form=form)
        if not field.required and not form:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if field.description:
            schema["description"] = field.description
        if field.show_default:
            schema["default"] = field.default
        properties[field.name] = schema
    out: Schema = {
        "type": "object",
        "properties": properties,
        "required": [f.name for f in spec.fields if f.required and (f.in_form or not form)],
    }
    if spec.description:
        out["description"] = spec.description
    return out


def _kind_schema(kind: Kind | ObjectSpec | ListOf, policy: Policy, *, form: bool) -> Schema:
    if isinstance(kind, Kind):
        return kind.schema(policy)
    if isinstance(kind, ObjectSpec):
        return json_schema(kind, policy, form=form)
    schema: Schema = {"type": "array"}
    if kind.min_items:
        schema["minItems"] = kind.min_items
    schema["maxItems"] = kind.max_items(policy)
    schema["items"] = json_schema(kind.item, policy, form=form)
    if kind.description:
        schema["description"] = kind.description
    return schema


def request_codes(
    specs: Sequence[ObjectSpec] = (LOOKUP, CANCELLATION, BULK_CANCELLATION),
) -> frozenset[str]:
    """Every error code reading these requests may give (``invalid`` for a body that is
    not an object among them)."""
    return frozenset({"invalid", *(code for spec in specs for code in _codes_of(spec))})
