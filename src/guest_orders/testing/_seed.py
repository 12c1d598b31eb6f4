"""The rows a store starts with, and one hand-written example of them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs

from guest_orders.adapters.memory import InMemoryStore
from guest_orders.domain import (
    Address,
    Bank,
    CancellationReason,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturnShippingCompany,
    Order,
    OrderItem,
    OrderStatus,
    OrderType,
    PaymentType,
    Product,
    ShippingCompany,
)

__all__ = ["Seed", "example_seed"]


@attrs.frozen(kw_only=True)
class Seed:
    """What a store holds before a test starts: orders and the rows requests refer to.

    The contract suite hands these to your ``make_store`` factory. Order pks, numbers and
    item pks are unique across :attr:`orders`; reasons, shipping companies and addresses
    have unique pks.
    """

    orders: tuple[Order, ...] = ()
    reasons: tuple[CancellationReason, ...] = ()
    shipping_companies: tuple[EasyReturnShippingCompany, ...] = ()
    addresses: tuple[Address, ...] = ()

    def in_memory_store(self) -> InMemoryStore:
        """A fresh reference store holding these rows."""
        return InMemoryStore(
            orders=self.orders,
            reasons=self.reasons,
            shipping_companies=self.shipping_companies,
            addresses=self.addresses,
        )

    @property
    def guest_orders(self) -> tuple[Order, ...]:
        return tuple(order for order in self.orders if order.customer.is_guest)

    @property
    def registered_orders(self) -> tuple[Order, ...]:
        return tuple(order for order in self.orders if not order.customer.is_guest)

    def order(self, number: str) -> Order:
        """The order with this number (a ``KeyError`` if there is none)."""
        for order in self.orders:
            if order.number == number:
                return order
        raise KeyError(number)


_ISTANBUL = timezone(timedelta(hours=3))
_NEPAL = timezone(timedelta(hours=5, minutes=45))
_CREATED = datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=_ISTANBUL)
_YURTICI = ShippingCompany(value="yurtici", label="Yurtiçi Kargo")
_ARAS = ShippingCompany(value="aras", label="Aras Kargo")


def _product(pk: int) -> Product:
    return Product(pk=pk, name=f"Product {pk}", sku=f"SKU-{pk:05d}", image=None)


def example_seed() -> Seed:
    """A small, fixed data set that exercises every kind of value a store must keep.

    - ``2745403029312170``: a guest's card order with precise money
      (``Decimal("1234567.1234")``, ``Decimal("1.10")``), every optional field set, items
      approved (cancellable), delivered (refundable), cancelled and merged (quantity 3);
    - ``ORD-2024-001234``: a guest's cash (pay-on-delivery) order, every optional field
      ``None``, items waiting and shipped;
    - ``2745403029312171``: a registered customer's order, never reachable by a guest;
    - reasons for both cancellation types, one needing a description, one inactive;
    - easy-return carriers, one inactive; addresses of the guests and of someone else.
    """
    card_order = Order(
        pk=101,
        number="2745403029312170",
        customer=Customer(id=501, kind=CustomerKind.GUEST),
        user_email="Ayse.Yilmaz@example.com",
        status=OrderStatus.APPROVED,
        currency=Currency(code="TRY"),
        payment_type=PaymentType.CREDIT_CARD,
        amount=Decimal("1234567.1234"),
        discount_amount=Decimal("1.10"),
        shipping_amount=Decimal("0.00"),
        shipping_tax_rate=Decimal("18.000000"),
        refund_amount=Decimal(0),
        discount_refund_amount=Decimal("0.00"),
        shipping_refund_amount=Decimal("0.01"),
        installment_count=3,
        installment_interest_amount=Decimal("12.345"),
        order_type=OrderType.REGULAR,
        tracking_url="https://tracking.example.com/YK123456789",
        tracking_number="YK123456789",
        invoice_number="INV-2024-0001",
        invoice_date=datetime(2024, 3, 2, 0, 0, 0, 1, tzinfo=_NEPAL),
        e_archive_url="https://e-archive.example.com/INV-2024-0001.pdf",
        has_gift_box=True,
        gift_box_note="İyi ki doğdun, Dilek! 🎉",
        notes="Kapıya bırakın.\nZil çalışmıyor.",
        bin_number="45454500",
        shipping_company=_YURTICI,
        bank=Bank(pk=7, name="Garanti BBVA", slug="garanti", logo="https://cdn.example.com/g.png"),
        extra_field={"rewards": {"points": 120, "tier": "gold"}, "tags": ["gift", None, True]},
        created_date=_CREATED,
        modified_date=_CREATED + timedelta(days=2, microseconds=1),
        items=[
            OrderItem(
                pk=1001,
                status=OrderStatus.APPROVED,
                quantity=1,
                price=Decimal("1234567.1234"),
                product=Product(
                    pk=9001, name="Çay bardağı", sku="CB-6", image="https://cdn.example.com/c.jpg"
                ),
            ),
            OrderItem(
                pk=1002,
                status=OrderStatus.DELIVERED,
                quantity=3,
                price=Decimal("1.10"),
                product=_product(9002),
                delivered_date=datetime(2024, 3, 5, 14, 0, 0, 999999, tzinfo=UTC),
            ),
            OrderItem(
                pk=1003,
                status=OrderStatus.CANCELLED,
                quantity=1,
                price=Decimal("10.00"),
                product=_product(9003),
            ),
            OrderItem(
                pk=1004,
                status=OrderStatus.SHIPPED,
                quantity=2,
                price=Decimal("99.99"),
                product=_product(9004),
            ),
        ],
    )
    cash_order = Order(
        pk=102,
        number="ORD-2024-001234",
        customer=Customer(id=502, kind=CustomerKind.GUEST),
        user_email="mehmet@example.org",
        status=OrderStatus.WAITING,
        currency=Currency(code="TRY"),
        payment_type=PaymentType.PAY_ON_DELIVERY,
        amount=Decimal("250.00"),
        created_date=datetime(
            2024, 3, 10, 23, 59, 59, 500000, tzinfo=timezone(-timedelta(hours=5))
        ),
        modified_date=datetime(2024, 3, 11, 4, 59, 59, 500000, tzinfo=UTC),
        items=[
            OrderItem(
                pk=1011,
                status=OrderStatus.WAITING,
                quantity=1,
                price=Decimal("200.00"),
                product=_product(9011),
            ),
            OrderItem(
                pk=1012,
                status=OrderStatus.SHIPPED,
                quantity=5,
                price=Decimal("10.00"),
                product=_product(9012),
            ),
        ],
    )
    registered_order = Order(
        pk=103,
        number="2745403029312171",
        customer=Customer(id=503, kind=CustomerKind.REGISTERED),
        user_email="registered@example.com",
        status=OrderStatus.APPROVED,
        currency=Currency(code="EUR"),
        payment_type=PaymentType.CREDIT_CARD,
        amount=Decimal("50.00"),
        created_date=_CREATED,
        modified_date=_CREATED,
        items=[
            OrderItem(
                pk=1021,
                status=OrderStatus.APPROVED,
                quantity=1,
                price=Decimal("50.00"),
                product=_product(9021),
            )
        ],
    )
    reasons = (
        CancellationReason(
            pk=1,
            subject="I changed my mind",
            cancellation_type=CancellationType.CANCEL,
            order=2,
            uuid=uuid.UUID("6f1c1b2e-5d7a-4e0c-9a51-0c3c8d6f2a01"),
        ),
        CancellationReason(
            pk=2,
            subject="Other (please explain)",
            cancellation_type=CancellationType.CANCEL,
            extra_information_needed=True,
            order=1,
            translations={"tr": "Diğer (açıklayın)", "en": "Other (please explain)"},
            uuid=uuid.UUID("6f1c1b2e-5d7a-4e0c-9a51-0c3c8d6f2a02"),
            created_date=_CREATED,
            modified_date=_CREATED + timedelta(microseconds=7),
        ),
        CancellationReason(
            pk=3,
            subject="The product is damaged",
            cancellation_type=CancellationType.REFUND,
            order=1,
            uuid=uuid.UUID("6f1c1b2e-5d7a-4e0c-9a51-0c3c8d6f2a03"),
        ),
        CancellationReason(
            pk=4,
            subject="No longer offered",
            cancellation_type=CancellationType.REFUND,
            is_active=False,
            uuid=uuid.UUID("6f1c1b2e-5d7a-4e0c-9a51-0c3c8d6f2a04"),
        ),
    )
    companies = (
        EasyReturnShippingCompany(pk=11, shipping_company=_YURTICI),
        EasyReturnShippingCompany(pk=12, shipping_company=_ARAS, is_active=False),
        EasyReturnShippingCompany(
            pk=13, shipping_company=ShippingCompany(value="mng", label="MNG Kargo")
        ),
    )
    addresses = (
        Address(pk=21, customer_id=501),
        Address(pk=22, customer_id=502),
        Address(pk=23, customer_id=999),
    )
    return Seed(
        orders=(card_order, cash_order, registered_order),
        reasons=reasons,
        shipping_companies=companies,
        addresses=addresses,
    )
