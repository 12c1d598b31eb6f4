"""How a host's existing Django models hold the domain: a small declarative mapping.

A :class:`StoreMapping` names the host's models (the order, its items, the cancellation
reasons, the easy-return carriers and the addresses) and, for each domain field, the
field path that holds it, written as in a Django query (``"buyer__is_guest"`` follows the
``buyer`` foreign key). Every field has a default path (:data:`ORDER_FIELDS` and its
siblings), so a mapping names only what the host spells differently; ``None`` says the
host does not store an optional field (it reads back as the domain's default).
Enumerations are stored by their value unless ``values`` maps them to the host's own.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import attrs

from guest_orders.domain import (
    CancellationType,
    CustomerKind,
    Order,
    OrderItem,
    OrderStatus,
    OrderType,
    PaymentType,
)

__all__ = [
    "ADDRESS_FIELDS",
    "CARRIER_FIELDS",
    "ITEM_FIELDS",
    "ORDER_FIELDS",
    "REASON_FIELDS",
    "ModelMap",
    "StoreMapping",
]


def _defaults(*names: str, **paths: str) -> Mapping[str, str]:
    """Domain field -> default path: the name itself, unless given."""
    table = {name: name for name in names}
    table.update({name.replace("__", "."): path for name, path in paths.items()})
    return MappingProxyType(table)


#: The order's domain fields and their default paths on the order model.
ORDER_FIELDS: Final = _defaults(
    "number", "user_email", "status", "currency", "payment_type", "amount",
    "discount_amount", "shipping_amount", "shipping_tax_rate", "refund_amount",
    "discount_refund_amount", "shipping_refund_amount", "installment_count",
    "installment_interest_amount", "order_type", "tracking_url", "tracking_number",
    "invoice_number", "invoice_date", "e_archive_url", "has_gift_box", "gift_box_note",
    "notes", "bin_number", "extra_field", "created_date", "modified_date",
    customer__id="customer", customer__kind="customer__kind",
    shipping_company__value="shipping_company__value",
    shipping_company__label="shipping_company__label",
    bank__pk="bank", bank__name="bank__name", bank__slug="bank__slug",
    bank__logo="bank__logo",
)  # fmt: skip

#: The item's domain fields and their default paths on the item model (``order`` is the
#: foreign key to the order model).
ITEM_FIELDS: Final = _defaults(
    "order", "status", "quantity", "price", "delivered_date",
    product__pk="product", product__name="product__name", product__sku="product__sku",
    product__image="product__image",
)  # fmt: skip

#: The cancellation reason's domain fields and their default paths.
REASON_FIELDS: Final = _defaults(
    "subject", "cancellation_type", "is_active", "extra_information_needed", "order",
    "translations", "uuid", "created_date", "modified_date",
)  # fmt: skip

#: The easy-return carrier's domain fields and their default paths.
CARRIER_FIELDS: Final = _defaults(
    "is_active",
    shipping_company__value="shipping_company__value",
    shipping_company__label="shipping_company__label",
)  # fmt: skip

#: The address's domain fields and their default paths (``customer_id``: the customer's
#: foreign key or id).
ADDRESS_FIELDS: Final = _defaults(customer_id="customer")

#: Fields every store must hold: the rest may be mapped to ``None``.
REQUIRED: Final = {
    "order": frozenset(
        {"number", "user_email", "status", "currency", "payment_type", "amount",
         "created_date", "modified_date", "customer.id", "customer.kind"}
    ),
    "item": frozenset({"order", "status", "quantity", "price", "product.pk", "product.name",
                       "product.sku"}),
    "reason": frozenset({"subject", "cancellation_type", "uuid"}),
    "carrier": frozenset({"shipping_company.value", "shipping_company.label"}),
    "address": frozenset({"customer_id"}),
}  # fmt: skip

_FIELDS: Final = {
    "order": ORDER_FIELDS,
    "item": ITEM_FIELDS,
    "reason": REASON_FIELDS,
    "carrier": CARRIER_FIELDS,
    "address": ADDRESS_FIELDS,
}

#: The enumerations among the domain fields, by role.
ENUMS: Final[Mapping[str, Mapping[str, type[enum.Enum]]]] = {
    "order": {
        "status": OrderStatus,
        "payment_type": PaymentType,
        "order_type": OrderType,
        "customer.kind": CustomerKind,
    },
    "item": {"status": OrderStatus},
    "reason": {"cancellation_type": CancellationType},
    "carrier": {},
    "address": {},
}


def _decimals(domain_class: type) -> frozenset[str]:
    """The fields of ``domain_class`` that hold a ``Decimal`` (or ``None``)."""
    return frozenset(
        name
        for name, hint in typing.get_type_hints(domain_class).items()
        if Decimal in (hint, *typing.get_args(hint))
    )


#: The domain fields that hold money (or a rate) as a ``Decimal``, by role: the host's
#: field must be a decimal one.
DECIMALS: Final[Mapping[str, frozenset[str]]] = {
    "order": _decimals(Order),
    "item": _decimals(OrderItem),
    "reason": frozenset(),
    "carrier": frozenset(),
    "address": frozenset(),
}


def _frozen_map(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@attrs.frozen
class ModelMap:
    """One host model and where it keeps each domain field.

    Args:
        model: ``"app_label.ModelName"``.
        fields: domain field -> field path on ``model`` (``"buyer__is_guest"``), or
            ``None`` when the host does not store it. Unnamed fields keep their default path.
        values: domain field -> ``{domain enum member: stored value}`` for an enumeration
            the host stores its own way: every member of the domain's enumeration (writing
            needs one, the contract suite writes each), and every value the host stores
            (reading needs one).
        ordering: the ``order_by`` of the items of an order (item model only).
        only_named: when true, the optional fields not named in ``fields`` are not stored
            (instead of being looked for at their default path).
    """

    model: str
    fields: Mapping[str, str | None] = attrs.field(factory=dict, converter=_frozen_map)
    values: Mapping[str, Mapping[Any, Any]] = attrs.field(factory=dict, converter=_frozen_map)
    ordering: tuple[str, ...] = ("pk",)
    only_named: bool = False


@attrs.frozen(kw_only=True)
class StoreMapping:
    """The host's models behind the store (see the module's documentation)."""

    order: ModelMap
    item: ModelMap
    reason: ModelMap
    carrier: ModelMap
    address: ModelMap

    def roles(self) -> dict[str, ModelMap]:
        return {
            "order": self.order,
            "item": self.item,
            "reason": self.reason,
            "carrier": self.carrier,
            "address": self.address,
        }

    def paths(self, role: str) -> dict[str, str]:
        """Domain field -> path, for the fields ``role``'s model stores."""
        model_map = self.roles()[role]
        paths: dict[str, str] = {}
        for name, default in _FIELDS[role].items():
            unnamed: str | None = default
            if model_map.only_named and name not in REQUIRED[role]:
                unnamed = None  # an unnamed optional field is not stored
            path = model_map.fields.get(name, unnamed)
            if path is not None:
                paths[name] = path
        return paths

    def unknown_fields(self) -> list[str]:
        """``"role.field"`` of every mapped name that is no domain field."""
        return [
            f"{role}: {name!r}"
            for role, model_map in self.roles().items()
            for name in [*model_map.fields, *model_map.values]
            if name not in _FIELDS[role]
        ]

    def unmapped_members(self) -> list[tuple[str, str, enum.Enum]]:
        """``(role, field, member)`` for every member of a domain enumeration that a
        ``values`` table gives no stored value: writing it would fail."""
        return [
            (role, name, member)
            for role, model_map in self.roles().items()
            for name, table in model_map.values.items()
            if name in ENUMS[role]
            for member in ENUMS[role][name]
            if member not in table
        ]

    def unstored_required(self) -> list[str]:
        return [
            f"{role}: {name!r}"
            for role, model_map in self.roles().items()
            for name in sorted(REQUIRED[role])
            if name in model_map.fields and model_map.fields[name] is None
        ]

    @property
    def unstored_fields(self) -> frozenset[str]:
        """The optional fields the host does not store, as the contract suite names them:
        ``"order.bank.logo"``, ``"item.product.image"``, ``"reason.translations"``."""
        return frozenset(
            f"{role}.{name}"
            for role in self.roles()
            for name in _FIELDS[role]
            if name not in self.paths(role)
        )

    def to_stored(self, role: str, name: str, value: Any) -> Any:
        """A domain value as the host stores it."""
        if isinstance(value, enum.Enum):
            table = self.roles()[role].values.get(name)
            return value.value if table is None else table[value]
        return value

    def from_stored(self, role: str, name: str, stored: Any) -> Any:
        """A stored value as the domain's enumeration member (other values as they are)."""
        enum_class = ENUMS[role].get(name)
        if enum_class is None or stored is None:
            return stored
        table = self.roles()[role].values.get(name)
        if table is None:
            return enum_class(stored)
        for member, value in table.items():
            if value == stored:
                return member
        raise LookupError(
            f"{self.roles()[role].model}: the stored value {stored!r} of {name!r} is in no "
            "entry of the mapping's values"
        )
