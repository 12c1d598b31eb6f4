"""The data every benchmark uses: guest orders with items, reasons, carriers, payloads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    Bank,
    CancellationReason,
    CancellationRequest,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturn,
    EasyReturnShippingCompany,
    Order,
    OrderItem,
    OrderSnapshot,
    OrderStatus,
    OrderType,
    PaymentType,
    Product,
    ShippingCompany,
)
from guest_orders.policy import Policy

PLACED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 5, 12, 0, tzinfo=UTC)
CLOCK = FixedClock(NOW)
EMAIL = "ada.lovelace@example.com"
NUMBER = "2745403029312170"

CANCEL_REASON = CancellationReason(
    pk=1, subject="Changed my mind", cancellation_type=CancellationType.CANCEL
)
REFUND_REASON = CancellationReason(
    pk=2, subject="Damaged", cancellation_type=CancellationType.REFUND
)
REASONS = (CANCEL_REASON, REFUND_REASON)
COMPANIES = (
    EasyReturnShippingCompany(
        pk=1, shipping_company=ShippingCompany(value="yurtici", label="Yurtiçi Kargo")
    ),
    EasyReturnShippingCompany(pk=2, shipping_company=ShippingCompany(value="aras", label="Aras")),
)

#: A policy that lets a bulk request list up to 1000 items (the default is 100).
BULK_POLICY = Policy(max_bulk_items=1000)


def order_number(index: int) -> str:
    """A 16-digit numeric order number, as the platform's are."""
    return f"27454030{index:08d}"


def order_email(index: int) -> str:
    return f"guest{index}@example.com"


_ITEM_STATUSES = (OrderStatus.APPROVED, OrderStatus.PREPARING, OrderStatus.DELIVERED)


def make_items(first_pk: int, count: int, *, cancellable_only: bool = False) -> list[OrderItem]:
    """``count`` items; by default approved, preparing and delivered in turn."""
    return [
        OrderItem(
            pk=first_pk + i,
            status=OrderStatus.APPROVED if cancellable_only else _ITEM_STATUSES[i % 3],
            quantity=1 + i % 3,
            price=Decimal("74.95") + i,
            product=Product(
                pk=500 + i,
                name=f"Stoneware mug {i}",
                sku=f"MUG-{i:04d}",
                image=f"https://cdn.example.com/products/mug-{i}.jpg",
            ),
            delivered_date=PLACED + timedelta(days=2) if i % 3 == 2 else None,
        )
        for i in range(count)
    ]


def make_order(
    pk: int = 1,
    *,
    number: str = NUMBER,
    email: str = EMAIL,
    items: int = 3,
    cancellable_only: bool = False,
) -> Order:
    """A guest order with every optional field set, as a busy shop's would be."""
    return Order(
        pk=pk,
        number=number,
        customer=Customer(id=7_000 + pk, kind=CustomerKind.GUEST),
        user_email=email,
        status=OrderStatus.APPROVED,
        currency=Currency(code="TRY"),
        payment_type=PaymentType.CREDIT_CARD,
        amount=Decimal("224.85"),
        discount_amount=Decimal("10.00"),
        shipping_amount=Decimal("29.90"),
        shipping_tax_rate=Decimal(20),
        refund_amount=Decimal("0.00"),
        installment_count=3,
        installment_interest_amount=Decimal("4.50"),
        order_type=OrderType.REGULAR,
        tracking_url="https://tracking.example.com/TRK123456",
        tracking_number="TRK123456",
        invoice_number="INV-2026-000123",
        invoice_date=PLACED + timedelta(hours=5),
        e_archive_url="https://einvoice.example.com/INV-2026-000123.pdf",
        has_gift_box=True,
        gift_box_note="Happy birthday!",
        notes="Leave at the door",
        bin_number="454360",
        shipping_company=ShippingCompany(value="yurtici", label="Yurtiçi Kargo"),
        bank=Bank(pk=3, name="Akbank", slug="akbank", logo="https://cdn.example.com/akbank.png"),
        extra_field={"gift_wrap": "red", "channel": "web"},
        created_date=PLACED,
        modified_date=PLACED + timedelta(minutes=5),
        items=make_items(pk * 10_000, items, cancellable_only=cancellable_only),
    )


def active_refund(order: Order, item: OrderItem) -> CancellationRequest:
    """A waiting refund request for ``item``, with its easy-return code."""
    return CancellationRequest(
        id=900,
        uuid=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        order=order.pk,
        order_item=item.pk,
        reason=REFUND_REASON.pk,
        cancellation_type=CancellationType.REFUND,
        description="Arrived broken",
        quantity=1,
        easy_return=EasyReturn(code="K7PQ2M", shipping_company=COMPANIES[0]),
        created_date=NOW - timedelta(hours=1),
        modified_date=NOW - timedelta(hours=1),
    )


def lookup_snapshot() -> OrderSnapshot:
    """The snapshot a lookup of the three-item order sees: one item already has an active
    refund request, one may be cancelled, one refunded."""
    order = make_order()
    policy = Policy()
    active = {order.items[2].pk: active_refund(order, order.items[2])}
    return OrderSnapshot(
        order=order,
        active_requests=active,
        eligibility={
            item.pk: policy.eligibility(item, active.get(item.pk), NOW) for item in order.items
        },
        easy_return_shipping_companies=COMPANIES,
    )


def lookup_payload(number: str = NUMBER, email: str = EMAIL) -> dict[str, Any]:
    return {"number": number, "email": email}


def bulk_payload(order: Order, count: int) -> dict[str, Any]:
    """A bulk cancellation of the first ``count`` items of ``order`` (all cancellable)."""
    return {
        "number": order.number,
        "email": order.user_email,
        "cancel_order_items": [
            {
                "order_item": item.pk,
                "reason": CANCEL_REASON.pk,
                "cancellation_type": "cancel",
                "quantity": 1,
                "description": "Ordered the wrong size by mistake",
            }
            for item in order.items[:count]
        ],
    }


def single_payload(order: Order) -> dict[str, Any]:
    """A one-item cancellation of the order's first item."""
    item = order.items[0]
    return {
        "number": order.number,
        "email": order.user_email,
        "order_item": item.pk,
        "reason": CANCEL_REASON.pk,
        "cancellation_type": "cancel",
        "quantity": 1,
        "description": "Ordered the wrong size by mistake",
    }
