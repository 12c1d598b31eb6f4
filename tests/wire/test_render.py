"""render_*: every field of the response contract, with its exact value and type."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import attrs
import pytest

from guest_orders.domain import (
    CancellationReason,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    Iban,
    ItemEligibility,
    Order,
    OrderItem,
    OrderSnapshot,
    OrderStatus,
    OrderType,
)
from guest_orders.errors import (
    ErrorDetail,
    InvalidRequest,
    OrderNotFound,
    TooManyAttempts,
)
from guest_orders.wire import (
    render_cancellation_request,
    render_error,
    render_lookup,
    render_order,
    render_reasons,
)
from wire._wire_support import (
    CREATED,
    ISTANBUL,
    make_order,
    make_order_item,
    make_request,
    make_snapshot,
)

EXPECTED_REQUEST: dict[str, Any] = {
    "id": 900,
    "uuid": "12345678-1234-5678-1234-567812345678",
    "order_item": 103,
    "reason": 2,
    "description": "Arrived broken",
    "cancellation_type": "refund",
    "status": "waiting",
    "iban": "**********************1326",
    "holder_name": "A*** N*** Y***",
    "easy_return": {
        "code": "K7PQ2MXY3Z",
        "shipping_company": {
            "pk": 10,
            "shipping_company": {"value": "yurtici", "label": "Yurtiçi Kargo"},
        },
    },
    "quantity": 1,
    "pickup_address": 20,
    "pickup_date": {"date": "2024-06-20", "hour_range": {"start": "09:00", "end": "12:30"}},
    "cancellation_request_image_set": [
        {"image": "https://cdn.example.com/r/1.png", "description": "box"},
        {"image": "https://cdn.example.com/r/2.jpg", "description": None},
    ],
    "fully_refund_as_loyalty_money": True,
    "created_date": "2024-06-14T20:30:00Z",
    "modified_date": "2024-06-14T23:00:00Z",
}

COMPANIES = [
    {"pk": 10, "shipping_company": {"value": "yurtici", "label": "Yurtiçi Kargo"}},
    {"pk": 12, "shipping_company": {"value": "aras", "label": "Aras Kargo"}},
]


def _expected_item(pk: int, status: tuple[str, str], **changes: Any) -> dict[str, Any]:
    return {
        "pk": pk,
        "status": {"value": status[0], "label": status[1]},
        "quantity": 2,
        "price": "74.96",
        "product": {"pk": 500 + pk, "name": f"Mug {pk}", "sku": f"MUG-{pk}", "image": None},
        "is_cancelled": False,
        "is_cancellable": False,
        "is_refundable": False,
        "active_cancellation_request": None,
        "available_easy_return_shipping_companies": [],
        **changes,
    }


EXPECTED_ORDER: dict[str, Any] = {
    "pk": 42,
    "number": "2745403029312170",
    "user_email": "Guest.Buyer@example.com",
    "status": {"value": "400", "label": "Approved"},
    "currency": {"value": "try", "label": "TRY"},
    "amount": "224.85",
    "discount_amount": "10.00",
    "amount_without_discount": "234.85",
    "shipping_amount": "29.90",
    "shipping_tax_rate": "18.00",
    "refund_amount": "0.00",
    "discount_refund_amount": "0.00",
    "shipping_refund_amount": "10.00",
    "installment_count": 3,
    "installment_interest_amount": "4.50",
    "order_type": "regular",
    "tracking_url": "https://tracking.example.com/T1",
    "tracking_number": "T1",
    "invoice_number": "INV-1",
    "invoice_date": "2024-06-10T22:00:00.123456Z",
    "e_archive_url": "https://einvoice.example.com/INV-1.pdf",
    "has_gift_box": True,
    "gift_box_note": "Happy birthday!",
    "notes": "Leave at the door",
    "bin_number": "454360",
    "shipping_company": {"value": "yurtici", "label": "Yurtiçi Kargo"},
    "bank": {"pk": 3, "name": "Akbank", "slug": "akbank", "logo": "https://cdn.example.com/a.png"},
    "extra_field": {"gift_wrap": "red", "points": [1, 2]},
    "created_date": "2024-06-10T09:30:00Z",
    "modified_date": "2024-06-10T09:35:00Z",
    "is_cancelled": False,
    "is_cancellable": True,
    "is_refundable": True,
    "is_payable": False,
    "orderitem_set": [
        _expected_item(101, ("400", "Approved"), is_cancellable=True),
        _expected_item(
            102,
            ("450", "Preparing"),
            is_refundable=True,
            available_easy_return_shipping_companies=COMPANIES,
        ),
        _expected_item(103, ("550", "Delivered"), active_cancellation_request=EXPECTED_REQUEST),
    ],
}


def test_render_order_gives_every_field() -> None:
    assert render_order(make_snapshot()) == EXPECTED_ORDER


def test_render_lookup_is_a_list_of_the_oneorder() -> None:
    assert render_lookup(make_snapshot()) == [EXPECTED_ORDER]


def test_the_rendering_is_json_ready() -> None:
    rendered = render_lookup(make_snapshot())
    assert json.loads(json.dumps(rendered)) == rendered


def test_nullable_fields_render_as_null() -> None:
    order = make_order(
        shipping_tax_rate=None,
        order_type=None,
        tracking_url=None,
        tracking_number=None,
        invoice_number=None,
        invoice_date=None,
        e_archive_url=None,
        has_gift_box=None,
        gift_box_note=None,
        notes=None,
        bin_number=None,
        shipping_company=None,
        bank=None,
        extra_field=None,
    )
    rendered = render_order(make_snapshot(order))
    for key in (
        "shipping_tax_rate",
        "order_type",
        "tracking_url",
        "tracking_number",
        "invoice_number",
        "invoice_date",
        "e_archive_url",
        "has_gift_box",
        "gift_box_note",
        "notes",
        "bin_number",
        "shipping_company",
        "bank",
        "extra_field",
    ):
        assert rendered[key] is None, key


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal(0), "0.00"),
        (Decimal("0.005"), "0.01"),
        (Decimal("0.0049999"), "0.00"),
        (Decimal("2.675"), "2.68"),
        (Decimal("2.665"), "2.67"),
        (Decimal("1.5"), "1.50"),
        (Decimal("1E+2"), "100.00"),
        (Decimal("-0"), "0.00"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("9.999"), "10.00"),
    ],
)
def test_money_has_two_places_rounded_half_up(amount: Decimal, text: str) -> None:
    rendered = render_order(make_snapshot(make_order(amount=amount, discount_amount=Decimal(0))))
    assert rendered["amount"] == text
    assert rendered["amount_without_discount"] == text


def test_money_beyond_the_default_decimal_precision_is_exact() -> None:
    amount = Decimal("123456789012345678901234567890.125")  # 33 digits; the default context has 28
    rendered = render_order(make_snapshot(make_order(amount=amount)))
    assert rendered["amount"] == "123456789012345678901234567890.13"


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (Decimal(18), "18"),
        (Decimal("0.18"), "0.18"),
        (Decimal("20.000"), "20.000"),
        (Decimal("1E+1"), "10"),
        (Decimal("-1.5"), "-1.5"),
    ],
)
def test_the_shipping_tax_rate_is_the_decimal_as_it_is(rate: Decimal, text: str) -> None:
    assert (
        render_order(make_snapshot(make_order(shipping_tax_rate=rate)))["shipping_tax_rate"] == text
    )


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2024, 1, 1, 0, 0, tzinfo=UTC), "2024-01-01T00:00:00Z"),
        (datetime(2024, 1, 1, 2, 0, tzinfo=ISTANBUL), "2023-12-31T23:00:00Z"),
        (
            datetime(2024, 1, 1, 0, 0, 0, 5, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
            "2024-01-01T09:30:00.000005Z",
        ),
    ],
)
def test_datetimes_are_utc_with_z(moment: datetime, text: str) -> None:
    rendered = render_order(make_snapshot(make_order(created_date=moment, invoice_date=moment)))
    assert rendered["created_date"] == text
    assert rendered["invoice_date"] == text


@pytest.mark.parametrize(("code", "value"), [("TRY", "try"), ("USD", "usd"), ("EUR", "eur")])
def test_currency(code: str, value: str) -> None:
    rendered = render_order(make_snapshot(make_order(currency=Currency(code=code))))
    assert rendered["currency"] == {"value": value, "label": code}


@pytest.mark.parametrize("status", list(OrderStatus))
def test_every_status_renders_its_code_and_label(status: OrderStatus) -> None:
    rendered = render_order(make_snapshot(make_order(status=status)))
    assert rendered["status"] == {"value": status.value, "label": status.label}


def test_order_types() -> None:
    for order_type in OrderType:
        rendered = render_order(make_snapshot(make_order(order_type=order_type)))
        assert rendered["order_type"] == order_type.value


def test_an_extra_field_mapping_becomes_a_dict() -> None:
    order = make_order(extra_field=MappingProxyType({"a": 1}))
    extra = render_order(make_snapshot(order))["extra_field"]
    assert type(extra) is dict
    assert extra == {"a": 1}


def test_computed_fields_come_from_the_domain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Order, "amount_without_discount", property(lambda _: Decimal("1.234")))
    monkeypatch.setattr(Order, "is_cancelled", property(lambda _: True))
    monkeypatch.setattr(Order, "is_payable", property(lambda _: True))
    monkeypatch.setattr(OrderItem, "is_cancelled", property(lambda _: True))
    monkeypatch.setattr(OrderSnapshot, "is_cancellable", property(lambda _: False))
    monkeypatch.setattr(OrderSnapshot, "is_refundable", property(lambda _: False))
    rendered = render_order(make_snapshot())
    assert rendered["amount_without_discount"] == "1.23"
    assert rendered["is_cancelled"] is True
    assert rendered["is_payable"] is True
    assert rendered["is_cancellable"] is False
    assert rendered["is_refundable"] is False
    assert all(item["is_cancelled"] for item in rendered["orderitem_set"])


def test_item_flags_come_from_the_snapshot_eligibility() -> None:
    snapshot = make_snapshot(
        eligibility={
            101: ItemEligibility(can_cancel=False, can_refund=True),
            102: ItemEligibility(can_cancel=True, can_refund=True),
        },
        active_requests={},
    )
    items = {item["pk"]: item for item in render_order(snapshot)["orderitem_set"]}
    assert (items[101]["is_cancellable"], items[101]["is_refundable"]) == (False, True)
    assert (items[102]["is_cancellable"], items[102]["is_refundable"]) == (True, True)
    # An item the snapshot has no word on may be neither cancelled nor refunded.
    assert (items[103]["is_cancellable"], items[103]["is_refundable"]) == (False, False)
    assert items[101]["available_easy_return_shipping_companies"] == COMPANIES
    assert items[102]["available_easy_return_shipping_companies"] == COMPANIES
    assert items[103]["available_easy_return_shipping_companies"] == []


def test_carrier_lists_of_items_are_separate_lists() -> None:
    snapshot = make_snapshot(
        eligibility={pk: ItemEligibility(can_cancel=False, can_refund=True) for pk in (101, 102)}
    )
    first, second, _ = render_order(snapshot)["orderitem_set"]
    first["available_easy_return_shipping_companies"].append({})
    first["available_easy_return_shipping_companies"][0]["pk"] = 0
    assert second["available_easy_return_shipping_companies"] == COMPANIES


def test_no_carriers_when_the_shop_has_none() -> None:
    snapshot = make_snapshot(easy_return_shipping_companies=())
    items = render_order(snapshot)["orderitem_set"]
    assert all(item["available_easy_return_shipping_companies"] == [] for item in items)


def test_a_cancelledorder_item() -> None:
    order = make_order(items=[make_order_item(101, OrderStatus.CANCELLED)])
    snapshot = make_snapshot(
        order,
        active_requests={},
        eligibility={101: ItemEligibility(can_cancel=False, can_refund=False)},
    )
    rendered = render_order(snapshot)
    assert rendered["is_cancelled"] is True
    assert rendered["orderitem_set"][0]["is_cancelled"] is True
    assert rendered["orderitem_set"][0]["status"] == {"value": "100", "label": "Cancelled"}


# --- cancellation requests ----------------------------------------------------------------


def test_render_cancellation_request_gives_every_field() -> None:
    assert render_cancellation_request(make_request()) == EXPECTED_REQUEST


def test_a_bare_cancellationcancellation_request() -> None:
    bare = make_request(
        id=None,
        cancellation_type=CancellationType.CANCEL,
        status=CancellationRequestStatus.REJECTED,
        description=None,
        quantity=None,
        iban=None,
        holder_name=None,
        easy_return=None,
        pickup_address=None,
        pickup_date=None,
        images=(),
        fully_refund_as_loyalty_money=False,
    )
    assert render_cancellation_request(bare) == {
        **EXPECTED_REQUEST,
        "id": None,
        "cancellation_type": "cancel",
        "status": "rejected",
        "description": None,
        "quantity": None,
        "iban": None,
        "holder_name": None,
        "easy_return": None,
        "pickup_address": None,
        "pickup_date": None,
        "cancellation_request_image_set": [],
        "fully_refund_as_loyalty_money": False,
    }


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Ayşe Yılmaz", "A*** Y***"),
        ("  ayşe\tyılmaz\n", "a*** y***"),
        ("Ö", "Ö***"),
        ("   ", "***"),
    ],
)
def test_holder_names_are_masked(name: str, masked: str) -> None:
    assert render_cancellation_request(make_request(holder_name=name))["holder_name"] == masked


def test_ibans_are_masked() -> None:
    rendered = render_cancellation_request(make_request(iban=Iban("DE89370400440532013000")))
    assert rendered["iban"] == "******************3000"
    assert "37040044" not in json.dumps(rendered)


@pytest.mark.parametrize("status", list(CancellationRequestStatus))
def test_request_statuses(status: CancellationRequestStatus) -> None:
    assert render_cancellation_request(make_request(status=status))["status"] == status.value


# --- reasons --------------------------------------------------------------------------------


def test_render_reasons_in_the_paginated_shape() -> None:
    reason_uuid = uuid.UUID("87654321-4321-8765-4321-876543218765")
    reasons = [
        CancellationReason(
            pk=1,
            subject="Changed my mind",
            cancellation_type=CancellationType.CANCEL,
            extra_information_needed=False,
            order=0,
            translations={"tr": "Fikrimi değiştirdim"},
            uuid=reason_uuid,
            created_date=CREATED,
            modified_date=None,
        ),
        CancellationReason(
            pk=2,
            subject="Damaged",
            cancellation_type=CancellationType.REFUND,
            is_active=True,
            extra_information_needed=True,
            order=1,
            translations=MappingProxyType({"en": "Damaged"}),
            uuid=reason_uuid,
        ),
    ]
    rendered = render_reasons(reasons)
    assert rendered == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": 1,
                "uuid": "87654321-4321-8765-4321-876543218765",
                "cancellation_type": "cancel",
                "subject": "Changed my mind",
                "extra_information_needed": False,
                "is_active": True,
                "order": 0,
                "translations": {"tr": "Fikrimi değiştirdim"},
                "created_date": "2024-06-10T09:30:00Z",
                "modified_date": None,
            },
            {
                "id": 2,
                "uuid": "87654321-4321-8765-4321-876543218765",
                "cancellation_type": "refund",
                "subject": "Damaged",
                "extra_information_needed": True,
                "is_active": True,
                "order": 1,
                "translations": {"en": "Damaged"},
                "created_date": None,
                "modified_date": None,
            },
        ],
    }
    assert json.loads(json.dumps(rendered)) == rendered


def test_no_reasons() -> None:
    assert render_reasons([]) == {"count": 0, "next": None, "previous": None, "results": []}


# --- errors ---------------------------------------------------------------------------------


def test_render_error_of_an_invalid_bulkcancellation_request() -> None:
    error = InvalidRequest(
        {
            "email": [ErrorDetail("invalid_email", "Enter a valid email address.")],
            "cancel_order_items": [
                {},
                {
                    "quantity": [ErrorDetail("min_value", "Too small.")],
                    "pickup_date": {
                        "hour_range": {
                            "non_field_errors": [ErrorDetail("invalid_hour_range", "Bad.")]
                        }
                    },
                },
            ],
        }
    )
    assert render_error(error) == {
        "email": ["Enter a valid email address."],
        "cancel_order_items": [
            {},
            {
                "quantity": ["Too small."],
                "pickup_date": {"hour_range": {"non_field_errors": ["Bad."]}},
            },
        ],
        "code": "invalid_email",
        "codes": {
            "email": ["invalid_email"],
            "cancel_order_items": [
                {},
                {
                    "quantity": ["min_value"],
                    "pickup_date": {"hour_range": {"non_field_errors": ["invalid_hour_range"]}},
                },
            ],
        },
    }


def test_render_error_of_a_list_level_error() -> None:
    error = InvalidRequest({"cancel_order_items": [ErrorDetail("empty", "Empty.")]})
    assert render_error(error) == {
        "cancel_order_items": ["Empty."],
        "code": "empty",
        "codes": {"cancel_order_items": ["empty"]},
    }


def test_render_error_of_other_errors() -> None:
    assert render_error(OrderNotFound()) == {
        "non_field_errors": ["We couldn't locate an order with the information provided."],
        "code": "order_not_found",
        "codes": {"non_field_errors": ["order_not_found"]},
    }
    rendered = render_error(TooManyAttempts(retry_after=30))
    assert rendered["code"] == "too_many_attempts"
    assert rendered["codes"] == {"non_field_errors": ["too_many_attempts"]}
    assert json.loads(json.dumps(rendered)) == rendered


def test_render_does_not_change_the_domain_values() -> None:
    snapshot = make_snapshot()
    before = attrs.asdict(snapshot.order)
    rendered = render_order(snapshot)
    rendered["extra_field"]["gift_wrap"] = "blue"
    rendered["bank"]["name"] = "Other"
    rendered["orderitem_set"].clear()
    assert attrs.asdict(snapshot.order) == before
