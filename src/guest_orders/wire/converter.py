"""The one cattrs converter of the library, built once at import.

Structuring is strict: an ``int`` is only a real ``int`` (never a ``bool``, a ``float`` or
a numeric string), a ``str`` only a ``str``, a ``bool`` only a ``bool`` — cattrs' default
hooks convert instead (``2.7 -> 2``, ``True -> 1``, ``12 -> "12"``).

Unstructuring renders the domain values into the platform's JSON shapes, with hooks tuned
for speed: identity for optional strings, ints and bools (cattrs inlines them into its
generated code), one closure for every other optional, and the generated functions of the
rendered classes built here, once, and fetched once by :mod:`guest_orders.wire.responses`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal
from operator import attrgetter
from typing import Any, TypeVar

import cattrs
from cattrs.fns import identity
from cattrs.gen import make_dict_unstructure_fn, override

from guest_orders.domain import (
    Bank,
    CancellationReason,
    CancellationRequest,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    ImageRef,
    Order,
    OrderItem,
    OrderStatus,
    OrderType,
    PickupDate,
    Product,
    ShippingCompany,
)
from guest_orders.wire.schema import SHAPES

__all__ = ["converter", "format_datetime", "format_money", "mask_holder_name"]

T = TypeVar("T")
R = TypeVar("R")

# --- strict structure hooks ------------------------------------------------------------


def _structure_int(value: Any, _type: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an int, got {type(value).__name__}")
    return value


def _structure_str(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a str, got {type(value).__name__}")
    return str(value)


def _structure_bool(value: Any, _type: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"expected a bool, got {type(value).__name__}")
    return value


# --- value formats -----------------------------------------------------------------------

_CENT = Decimal("0.01")
# Wide enough that quantizing any finite Decimal cannot overflow the default 28 digits.
_MONEY_CONTEXT = Context(prec=999_999_999, rounding=ROUND_HALF_UP, Emax=999_999_999)
_ZERO_MONEY = "0.00"


def format_money(value: Decimal) -> str:
    """Two decimal places, rounded half up: ``Decimal("12.345") -> "12.35"``."""
    quantized = value.quantize(_CENT, context=_MONEY_CONTEXT)
    # A quantized value has exponent -2, so str() never uses scientific notation; a
    # negative zero (Decimal("-0")) is rendered as plain zero.
    return str(quantized) if quantized else _ZERO_MONEY


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``: ``"2024-01-01T09:30:00Z"`` (microseconds when present)."""
    # In UTC, isoformat() always ends with "+00:00".
    return value.astimezone(UTC).isoformat()[:-6] + "Z"


def _format_optional_datetime(value: datetime | None) -> str | None:
    # The most frequent optional: one call instead of a closure around format_datetime.
    return None if value is None else value.astimezone(UTC).isoformat()[:-6] + "Z"


def _format_decimal(value: Decimal) -> str:
    # Plain notation: the str() of ordinary values, never "1E+1".
    return format(value, "f")


def _format_time(value: time) -> str:
    return value.isoformat(timespec="minutes")


def mask_holder_name(name: str) -> str:
    """The first character of each word then ``***``: ``"Ayşe Yılmaz" -> "A*** Y***"``
    (``"***"`` for a name without words)."""
    return " ".join(f"{word[0]}***" for word in name.split()) or "***"


def _optional(hook: Callable[[T], R]) -> Callable[[T | None], R | None]:
    """One closure per optional type: ``None`` stays ``None``, the rest goes to ``hook``."""

    def unstructure_optional(value: T | None) -> R | None:
        return None if value is None else hook(value)

    return unstructure_optional


def _plain_mapping(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # A copy: what a caller does to the rendered data never reaches the domain value.
    return None if value is None else dict(value)


# Enum members are read through ``_value_``: ``.value`` is a property, and hashing a member
# (to look it up in a table) runs Python code.
_enum_value: Callable[[Any], str] = attrgetter("_value_")
_STATUS_LABELS = {status._value_: status.label for status in OrderStatus}


def _unstructure_status(status: OrderStatus) -> dict[str, str]:
    value = status._value_
    return {"value": value, "label": _STATUS_LABELS[value]}


def _unstructure_currency(currency: Currency) -> dict[str, str]:
    return {"value": currency.code.lower(), "label": currency.code}


def _unstructure_shipping_company(company: ShippingCompany) -> dict[str, str]:
    return {"value": company.value, "label": company.label}


def _unstructure_pickup_date(pickup: PickupDate) -> dict[str, Any]:
    return {
        "date": pickup.date.isoformat(),
        "hour_range": {"start": _format_time(pickup.start), "end": _format_time(pickup.end)},
    }


def _build() -> cattrs.Converter:
    conv = cattrs.Converter()

    for structure_type, structure_hook in (
        (int, _structure_int),
        (str, _structure_str),
        (bool, _structure_bool),
    ):
        conv.register_structure_hook(structure_type, structure_hook)

    # Leaves.
    for identity_type in (str | None, int | None, bool | None):
        conv.register_unstructure_hook(identity_type, identity)
    conv.register_unstructure_hook(Decimal, format_money)
    conv.register_unstructure_hook(datetime, format_datetime)
    conv.register_unstructure_hook(datetime | None, _format_optional_datetime)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook(uuid.UUID, str)
    conv.register_unstructure_hook(Mapping[str, Any] | None, _plain_mapping)
    conv.register_unstructure_hook(Mapping[str, str] | None, _plain_mapping)
    conv.register_unstructure_hook(OrderStatus, _unstructure_status)
    conv.register_unstructure_hook(Currency, _unstructure_currency)
    conv.register_unstructure_hook(OrderType | None, _optional(_enum_value))
    conv.register_unstructure_hook(CancellationType, _enum_value)
    conv.register_unstructure_hook(CancellationRequestStatus, _enum_value)
    conv.register_unstructure_hook(ShippingCompany, _unstructure_shipping_company)
    conv.register_unstructure_hook(ShippingCompany | None, _optional(_unstructure_shipping_company))
    conv.register_unstructure_hook(PickupDate, _unstructure_pickup_date)
    conv.register_unstructure_hook(PickupDate | None, _optional(_unstructure_pickup_date))

    # Records, in the order they depend on each other; each generated function is built
    # here once and registered for its class.
    def register(cls: type[Any], **hooks: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
        """The generated function of ``cls``, shaped as ``SHAPES`` says (fields left out,
        renamed) with these field ``hooks``."""
        shape = SHAPES[cls]
        overrides: dict[str, Any] = {name: override(omit=True) for name in shape.omit}
        for name in {*shape.rename, *hooks}:
            overrides[name] = override(rename=shape.rename.get(name), unstruct_hook=hooks.get(name))
        fn = make_dict_unstructure_fn(cls, conv, **overrides)
        conv.register_unstructure_hook(cls, fn)
        return fn

    register(Bank)
    conv.register_unstructure_hook(Bank | None, _optional(conv.get_unstructure_hook(Bank)))
    register(Product)
    register(EasyReturnShippingCompany)
    register(EasyReturn)
    conv.register_unstructure_hook(
        EasyReturn | None, _optional(conv.get_unstructure_hook(EasyReturn))
    )
    image_ref = register(ImageRef)
    register(
        CancellationRequest,
        iban=_optional(_iban_masked),
        holder_name=_optional(mask_holder_name),
        images=lambda images: [image_ref(image) for image in images],
    )
    register(CancellationReason)
    # Order and OrderItem: their own fields only; what depends on the snapshot (eligibility,
    # active requests, carriers) and the computed properties are added by responses.py.
    register(OrderItem)
    register(Order, shipping_tax_rate=_optional(_format_decimal))
    return conv


def _iban_masked(iban: Iban) -> str:
    return iban.masked


#: The library's one converter. Strict when structuring; renders the platform's shapes
#: when unstructuring. Built once, at import.
converter: cattrs.Converter = _build()
