"""Orders as the platform stores them.

Plain frozen values: everything the lookup shows is here or derived here, from one place.
What depends on the shop's rules (can this item be cancelled?) lives in
:class:`guest_orders.Policy`.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import attrs
from attrs import validators as v

from guest_orders.domain._validators import (
    AS_CREATED,
    aware_datetime,
    finite_decimal,
    non_empty,
    non_negative_money,
    optional_aware_datetime,
    positive_int,
)
from guest_orders.domain.codes import CustomerKind, OrderStatus, OrderType, PaymentType

__all__ = [
    "DECOY_ORDER",
    "Bank",
    "Currency",
    "Customer",
    "Order",
    "OrderItem",
    "Product",
    "ShippingCompany",
]

_CURRENCY = re.compile(r"[A-Z]{3}\Z")


@attrs.frozen(kw_only=True)
class Currency:
    """An ISO 4217 currency, rendered as ``{"value": "try", "label": "TRY"}``."""

    code: str = attrs.field(validator=v.matches_re(_CURRENCY))


@attrs.frozen(kw_only=True)
class ShippingCompany:
    """A carrier, rendered as ``{"value": "yurtici", "label": "Yurtiçi Kargo"}``."""

    value: str = attrs.field(validator=non_empty)
    label: str


@attrs.frozen(kw_only=True)
class Bank:
    """The card's bank; orders not paid by card have none."""

    pk: int
    name: str
    slug: str
    logo: str | None = None


@attrs.frozen(kw_only=True)
class Customer:
    """Who placed the order. Only guests' orders are reachable through this library."""

    id: int
    kind: CustomerKind

    @property
    def is_guest(self) -> bool:
        return self.kind is CustomerKind.GUEST


@attrs.frozen(kw_only=True)
class Product:
    """The small product summary an order item carries."""

    pk: int
    name: str
    sku: str
    image: str | None = None


@attrs.frozen(kw_only=True)
class OrderItem:
    """One line of an order. A mergeable item stands for ``quantity`` units of one product."""

    pk: int
    status: OrderStatus
    quantity: int = attrs.field(default=1, validator=positive_int)
    price: Decimal = attrs.field(validator=non_negative_money)
    product: Product
    #: When the item reached the customer; drives the optional return window.
    delivered_date: datetime | None = attrs.field(default=None, validator=optional_aware_datetime)

    @property
    def is_cancelled(self) -> bool:
        return self.status is OrderStatus.CANCELLED


def _order_items(items: Iterable[OrderItem]) -> tuple[OrderItem, ...]:
    return tuple(items)


def _unique_item_pks(_instance: Order, _attribute: Any, items: tuple[OrderItem, ...]) -> None:
    if len({item.pk for item in items}) != len(items):
        raise ValueError("order items must have distinct pks")


@attrs.frozen(kw_only=True)
class Order:
    """A placed order with its items. Money is ``Decimal`` throughout."""

    pk: int
    number: str = attrs.field(validator=non_empty)
    customer: Customer
    user_email: str
    status: OrderStatus
    currency: Currency
    payment_type: PaymentType
    amount: Decimal = attrs.field(validator=non_negative_money)
    discount_amount: Decimal = attrs.field(default=Decimal("0.00"), validator=non_negative_money)
    shipping_amount: Decimal = attrs.field(default=Decimal("0.00"), validator=non_negative_money)
    shipping_tax_rate: Decimal | None = attrs.field(
        default=None, validator=v.optional(finite_decimal)
    )
    refund_amount: Decimal = attrs.field(default=Decimal("0.00"), validator=non_negative_money)
    discount_refund_amount: Decimal = attrs.field(
        default=Decimal("0.00"), validator=non_negative_money
    )
    shipping_refund_amount: Decimal = attrs.field(
        default=Decimal("0.00"), validator=non_negative_money
    )
    installment_count: int = attrs.field(default=1, validator=positive_int)
    installment_interest_amount: Decimal = attrs.field(
        default=Decimal("0.00"), validator=non_negative_money
    )
    order_type: OrderType | None = None
    tracking_url: str | None = None
    tracking_number: str | None = None
    invoice_number: str | None = None
    invoice_date: datetime | None = attrs.field(default=None, validator=optional_aware_datetime)
    e_archive_url: str | None = None
    has_gift_box: bool | None = None
    gift_box_note: str | None = None
    notes: str | None = None
    bin_number: str | None = None
    shipping_company: ShippingCompany | None = None
    bank: Bank | None = None
    extra_field: Mapping[str, Any] | None = None
    created_date: datetime = attrs.field(validator=aware_datetime)
    modified_date: datetime = attrs.field(default=AS_CREATED, validator=aware_datetime)
    items: tuple[OrderItem, ...] = attrs.field(converter=_order_items, validator=_unique_item_pks)

    @property
    def amount_without_discount(self) -> Decimal:
        """The amount before discounts, added exactly (whatever the ambient context)."""
        return _EXACT.add(self.amount, self.discount_amount)

    @property
    def is_cancelled(self) -> bool:
        """True when every item is cancelled (and there is at least one)."""
        return bool(self.items) and all(item.is_cancelled for item in self.items)

    @property
    def is_payable(self) -> bool:
        """True while a payment is pending."""
        return self.status in _PAYMENT_PENDING

    def item(self, pk: int) -> OrderItem | None:
        """The item with this pk, if it belongs to this order."""
        for item in self.items:
            if item.pk == pk:
                return item
        return None

    def __repr__(self) -> str:
        # The email is personal data: never in a repr.
        return f"Order(pk={self.pk!r}, number={self.number!r}, items={len(self.items)})"


# Addition of finite decimals needs no rounding at this precision.
_EXACT = decimal.Context(prec=decimal.MAX_PREC)

_PAYMENT_PENDING = frozenset({OrderStatus.PAYMENT_WAITING, OrderStatus.WAITING_FOR_PAYMENT})


_DECOY_TIME = datetime(2000, 1, 1, tzinfo=UTC)

#: The order a store converts (and the lookup inspects) when no order has the number asked
#: for, and then throws away: a miss on an unknown number does the work of a miss on a
#: known number of this shape — a guest's card order of one item, the most common kind —
#: so that it does not answer sooner (docs/security.md, "Equal work on every miss").
DECOY_ORDER: Final = Order(
    pk=0,
    number="0",
    customer=Customer(id=0, kind=CustomerKind.GUEST),
    user_email="decoy@example.com",
    status=OrderStatus.DELIVERED,
    currency=Currency(code="TRY"),
    payment_type=PaymentType.CREDIT_CARD,
    amount=Decimal("100.00"),
    shipping_company=ShippingCompany(value="decoy", label="Decoy"),
    bank=Bank(pk=0, name="Decoy", slug="decoy"),
    created_date=_DECOY_TIME,
    modified_date=_DECOY_TIME,
    items=(
        OrderItem(
            pk=0,
            status=OrderStatus.DELIVERED,
            quantity=1,
            price=Decimal("100.00"),
            product=Product(pk=0, name="Decoy", sku="DECOY"),
            delivered_date=_DECOY_TIME,
        ),
    ),
)
