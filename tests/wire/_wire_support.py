"""Builders and strategies shared by the wire tests.

Test modules import this as ``wire._wire_support``: ``tests/`` is on ``sys.path`` (its
``conftest.py`` lives there), so mypy and pytest resolve it the same way.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import jsonschema  # type: ignore[import-untyped]  # no stubs are installed for it
from hypothesis import strategies as st

from guest_orders.domain import (
    Bank,
    CancellationRequest,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    ImageRef,
    ItemEligibility,
    Order,
    OrderItem,
    OrderSnapshot,
    OrderStatus,
    OrderType,
    PaymentType,
    PickupDate,
    Product,
    ShippingCompany,
)
from guest_orders.errors import InvalidRequest
from guest_orders.policy import Policy
from guest_orders.testing import strategies as gst

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = REPO_ROOT / "docs" / "schemas" / "lookup-response.schema.json"

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
NUMBER = "2745403029312170"
EMAIL = "Guest.Buyer@Example.COM"
NORMALIZED_EMAIL = "Guest.Buyer@example.com"
VALID_IBAN = "TR330006100519786457841326"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8


def data_url(content: bytes, kind: str) -> str:
    """``data:image/<kind>;base64,...`` of ``content``."""
    return f"data:image/{kind};base64,{base64.b64encode(content).decode('ascii')}"


def lookup_body(**changes: Any) -> dict[str, Any]:
    return {"number": NUMBER, "email": EMAIL, **changes}


def single_body(**changes: Any) -> dict[str, Any]:
    """A valid single cancellation body; ``changes`` override (or add) fields."""
    return {
        "number": NUMBER,
        "email": EMAIL,
        "order_item": 101,
        "reason": 1,
        "cancellation_type": "cancel",
        **changes,
    }


def bulk_item(order_item: Any = 101, **changes: Any) -> dict[str, Any]:
    """A valid element of ``cancel_order_items``."""
    return {"order_item": order_item, "reason": 1, "cancellation_type": "cancel", **changes}


def bulk_body(*items: Any, **changes: Any) -> dict[str, Any]:
    """A valid bulk body with ``items`` (default: one item)."""
    return {
        "number": NUMBER,
        "email": EMAIL,
        "cancel_order_items": list(items) if items else [bulk_item()],
        **changes,
    }


def without(body: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key not in keys}


def codes(error: InvalidRequest) -> dict[str, list[str]]:
    """``{"cancel_order_items[1].quantity": ["min_value"], ...}``."""
    out: dict[str, list[str]] = {}
    for path, detail in error.details:
        out.setdefault(path, []).append(detail.code)
    return out


def raises_invalid(parse: Callable[..., object], data: Any, **kwargs: Any) -> InvalidRequest:
    """The :class:`InvalidRequest` ``parse(data)`` raises (fails the test otherwise)."""
    try:
        parse(data, **kwargs)
    except InvalidRequest as error:
        return error
    raise AssertionError("the input was accepted")


# --- domain values ------------------------------------------------------------------------

ISTANBUL = timezone(timedelta(hours=3))
CREATED = datetime(2024, 6, 10, 12, 30, tzinfo=ISTANBUL)
YURTICI = ShippingCompany(value="yurtici", label="Yurtiçi Kargo")
EASY_YURTICI = EasyReturnShippingCompany(pk=10, shipping_company=YURTICI)
EASY_ARAS = EasyReturnShippingCompany(
    pk=12, shipping_company=ShippingCompany(value="aras", label="Aras Kargo")
)
REQUEST_UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def make_order_item(pk: int, status: OrderStatus, **changes: Any) -> OrderItem:
    """An item with a two-unit quantity and an unrounded price."""
    fields: dict[str, Any] = {
        "pk": pk,
        "status": status,
        "quantity": 2,
        "price": Decimal("74.955"),
        "product": Product(pk=500 + pk, name=f"Mug {pk}", sku=f"MUG-{pk}", image=None),
    }
    return OrderItem(**{**fields, **changes})


def make_order(**changes: Any) -> Order:
    """A guest's order with every optional field set, in Istanbul time."""
    fields: dict[str, Any] = {
        "pk": 42,
        "number": "2745403029312170",
        "customer": Customer(id=7001, kind=CustomerKind.GUEST),
        "user_email": "Guest.Buyer@example.com",
        "status": OrderStatus.APPROVED,
        "currency": Currency(code="TRY"),
        "payment_type": PaymentType.CREDIT_CARD,
        "amount": Decimal("224.845"),
        "discount_amount": Decimal(10),
        "shipping_amount": Decimal("29.9"),
        "shipping_tax_rate": Decimal("18.00"),
        "refund_amount": Decimal(0),
        "discount_refund_amount": Decimal("0.004"),
        "shipping_refund_amount": Decimal("1E+1"),
        "installment_count": 3,
        "installment_interest_amount": Decimal("4.5"),
        "order_type": OrderType.REGULAR,
        "tracking_url": "https://tracking.example.com/T1",
        "tracking_number": "T1",
        "invoice_number": "INV-1",
        "invoice_date": datetime(2024, 6, 11, 1, 0, 0, 123456, tzinfo=ISTANBUL),
        "e_archive_url": "https://einvoice.example.com/INV-1.pdf",
        "has_gift_box": True,
        "gift_box_note": "Happy birthday!",
        "notes": "Leave at the door",
        "bin_number": "454360",
        "shipping_company": YURTICI,
        "bank": Bank(pk=3, name="Akbank", slug="akbank", logo="https://cdn.example.com/a.png"),
        "extra_field": {"gift_wrap": "red", "points": [1, 2]},
        "created_date": CREATED,
        "modified_date": CREATED + timedelta(minutes=5),
        "items": [
            make_order_item(101, OrderStatus.APPROVED),
            make_order_item(102, OrderStatus.PREPARING),
            make_order_item(103, OrderStatus.DELIVERED),
        ],
    }
    return Order(**{**fields, **changes})


def make_request(**changes: Any) -> CancellationRequest:
    """A waiting refund of item 103, with every optional field set."""
    fields: dict[str, Any] = {
        "id": 900,
        "uuid": REQUEST_UUID,
        "order": 42,
        "order_item": 103,
        "reason": 2,
        "cancellation_type": CancellationType.REFUND,
        "status": CancellationRequestStatus.WAITING,
        "description": "Arrived broken",
        "quantity": 1,
        "iban": Iban(VALID_IBAN),
        "holder_name": "Ayşe  Nur Yılmaz",
        "easy_return": EasyReturn(code="K7PQ2MXY3Z", shipping_company=EASY_YURTICI),
        "pickup_address": 20,
        "pickup_date": PickupDate(date=date(2024, 6, 20), start=time(9), end=time(12, 30)),
        "images": [
            ImageRef(image="https://cdn.example.com/r/1.png", description="box"),
            ImageRef(image="https://cdn.example.com/r/2.jpg"),
        ],
        "fully_refund_as_loyalty_money": True,
        "created_date": datetime(2024, 6, 14, 23, 30, tzinfo=ISTANBUL),
        "modified_date": datetime(2024, 6, 15, 2, 0, tzinfo=ISTANBUL),
    }
    return CancellationRequest(**{**fields, **changes})


def make_snapshot(order: Order | None = None, **changes: Any) -> OrderSnapshot:
    """Item 101 may be cancelled, 102 refunded; 103 has an active request."""
    fields: dict[str, Any] = {
        "order": order if order is not None else make_order(),
        "active_requests": {103: make_request()},
        "eligibility": {
            101: ItemEligibility(can_cancel=True, can_refund=False),
            102: ItemEligibility(can_cancel=False, can_refund=True),
            103: ItemEligibility(can_cancel=False, can_refund=False),
        },
        "easy_return_shipping_companies": (EASY_YURTICI, EASY_ARAS),
    }
    return OrderSnapshot(**{**fields, **changes})


# --- Hypothesis -------------------------------------------------------------------------

#: Any JSON value.
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def snapshots(draw: st.DrawFn, *, policy: Policy | None = None) -> OrderSnapshot:
    """Lookup snapshots of drawn orders: some items with an active request, eligibility as
    ``policy`` decides, and the shop's easy-return carriers."""
    policy = policy if policy is not None else Policy()
    seed = draw(gst.seeds(max_guest_orders=1, max_registered_orders=0))
    order = seed.orders[0]
    active: dict[int, CancellationRequest] = {}
    for item in order.items:
        if draw(st.booleans()):
            request = draw(
                gst.cancellation_requests(
                    seed,
                    status=draw(
                        st.sampled_from(
                            [CancellationRequestStatus.WAITING, CancellationRequestStatus.APPROVED]
                        )
                    ),
                )
            )
            active[item.pk] = attrs.evolve(
                request, id=draw(st.integers(1, 2**31)), order=order.pk, order_item=item.pk
            )
    eligibility: dict[int, ItemEligibility] = {
        item.pk: policy.eligibility(item, active.get(item.pk), NOW) for item in order.items
    }
    return OrderSnapshot(
        order=order,
        active_requests=active,
        eligibility=eligibility,
        easy_return_shipping_companies=tuple(c for c in seed.shipping_companies if c.is_active),
    )


def lookup_schema_validator() -> Any:
    """A validator of the committed lookup-response schema (itself checked first)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)
