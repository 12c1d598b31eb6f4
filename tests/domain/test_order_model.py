"""Invariants and computed fields of orders and their items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _builders import GUEST_EMAIL, NOW, order, order_item
from guest_orders.domain import (
    Currency,
    Customer,
    CustomerKind,
    Order,
    OrderItem,
    OrderStatus,
    PaymentType,
    Product,
    ShippingCompany,
)

MONEY_FIELDS = (
    "amount",
    "discount_amount",
    "shipping_amount",
    "refund_amount",
    "discount_refund_amount",
    "shipping_refund_amount",
    "installment_interest_amount",
)


def _kw(field: str, value: object) -> dict[str, Any]:
    return {field: value}


money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


# --- money ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", MONEY_FIELDS)
def test_money_fields_accept_non_negative_decimals(field: str) -> None:
    built = order(**_kw(field, Decimal("0.00")))
    assert getattr(built, field) == Decimal("0.00")


@pytest.mark.parametrize("field", MONEY_FIELDS)
@given(value=st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_money_fields_reject_floats(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        order(**_kw(field, value))


@pytest.mark.parametrize("field", MONEY_FIELDS)
@pytest.mark.parametrize("value", [0, 10, "10.00", True])
def test_money_fields_reject_ints_strings_and_bools(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        order(**_kw(field, value))


@pytest.mark.parametrize("field", MONEY_FIELDS)
@given(
    value=st.decimals(max_value=Decimal("-0.01"), places=2, allow_nan=False, allow_infinity=False)
)
def test_money_fields_reject_negative_amounts(field: str, value: Decimal) -> None:
    with pytest.raises(ValueError, match="negative"):
        order(**_kw(field, value))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_money_must_be_finite(value: str) -> None:
    with pytest.raises(ValueError, match="finite"):
        order(amount=Decimal(value))


def test_shipping_tax_rate_is_an_optional_decimal() -> None:
    assert order(shipping_tax_rate=None).shipping_tax_rate is None
    assert order(shipping_tax_rate=Decimal("0.20")).shipping_tax_rate == Decimal("0.20")
    with pytest.raises(ValueError, match="shipping_tax_rate"):
        order(shipping_tax_rate=0.2)


def test_item_price_must_be_a_non_negative_decimal() -> None:
    assert order_item(1, price=Decimal(0)).price == 0
    with pytest.raises(ValueError, match="price"):
        order_item(1, price=Decimal(-1))
    with pytest.raises(ValueError, match="price"):
        order_item(1, price=9.99)  # type: ignore[arg-type]


# --- datetimes --------------------------------------------------------------------------

NAIVE = datetime(2024, 6, 15, 12, 0)  # noqa: DTZ001  # naive on purpose


@pytest.mark.parametrize("field", ["created_date", "modified_date", "invoice_date"])
def test_order_datetimes_must_be_timezone_aware(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        order(**_kw(field, NAIVE))


@pytest.mark.parametrize("tz", [UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5))])
def test_order_datetimes_accept_any_offset(tz: timezone) -> None:
    aware = NAIVE.replace(tzinfo=tz)
    built = order(created_date=aware, modified_date=aware, invoice_date=aware)
    assert built.created_date == aware


def test_invoice_date_is_optional() -> None:
    assert order().invoice_date is None


def test_item_delivered_date_must_be_timezone_aware() -> None:
    assert order_item(1, delivered_date=None).delivered_date is None
    assert order_item(1, delivered_date=NOW).delivered_date == NOW
    with pytest.raises(ValueError, match="delivered_date"):
        order_item(1, delivered_date=NAIVE)


# --- items ------------------------------------------------------------------------------


def test_duplicate_item_pks_are_rejected() -> None:
    with pytest.raises(ValueError, match="distinct"):
        order(items=[order_item(1), order_item(2), order_item(1, OrderStatus.SHIPPED)])


@given(pks=st.lists(st.integers(1, 10**6), unique=True, max_size=8))
def test_distinct_item_pks_are_accepted(pks: list[int]) -> None:
    built = order(items=[order_item(pk) for pk in pks])
    assert [item.pk for item in built.items] == pks
    assert isinstance(built.items, tuple)
    for pk in pks:
        assert built.item(pk) is built.items[pks.index(pk)]
    assert built.item(0) is None


@given(quantity=st.integers(min_value=1, max_value=10**6))
def test_item_quantity_of_one_or_more_is_accepted(quantity: int) -> None:
    assert order_item(1, quantity=quantity).quantity == quantity


@given(quantity=st.integers(max_value=0))
def test_item_quantity_below_one_is_rejected(quantity: int) -> None:
    with pytest.raises(ValueError, match="quantity"):
        order_item(1, quantity=quantity)


@pytest.mark.parametrize("quantity", [True, 1.0, "1", Decimal(1)])
def test_item_quantity_must_be_a_plain_int(quantity: Any) -> None:
    with pytest.raises(TypeError, match="quantity"):
        OrderItem(
            pk=1,
            status=OrderStatus.APPROVED,
            quantity=quantity,
            price=Decimal("1.00"),
            product=Product(pk=1, name="p", sku="s"),
        )


def test_an_item_stands_for_one_unit_unless_told() -> None:
    item = OrderItem(
        pk=1,
        status=OrderStatus.APPROVED,
        price=Decimal("1.00"),
        product=Product(pk=1, name="p", sku="s"),
    )
    assert item.quantity == 1


@given(created=st.datetimes(timezones=st.just(UTC)))
def test_an_order_without_a_modified_date_was_never_modified(created: datetime) -> None:
    built = Order(
        pk=1,
        number="1",
        customer=Customer(id=1, kind=CustomerKind.GUEST),
        user_email=GUEST_EMAIL,
        status=OrderStatus.APPROVED,
        currency=Currency(code="TRY"),
        payment_type=PaymentType.CREDIT_CARD,
        amount=Decimal(1),
        created_date=created,
        items=(),
    )
    assert built.modified_date == created
    assert attrs.evolve(built, modified_date=NOW).modified_date == NOW


def test_installment_count_is_at_least_one() -> None:
    assert order(installment_count=1).installment_count == 1
    with pytest.raises(ValueError, match="installment_count"):
        order(installment_count=0)


def test_order_number_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="number"):
        order(number="")


# --- currency and carriers -------------------------------------------------------------


@pytest.mark.parametrize("code", ["TRY", "EUR", "USD"])
def test_currency_accepts_three_uppercase_letters(code: str) -> None:
    assert Currency(code=code).code == code


@pytest.mark.parametrize(
    "code", ["try", "Try", "TR", "TRYY", "", "T1Y", "TRY\n", " TRY", "ÀBC", "ＴＲＹ"]
)
def test_currency_rejects_anything_else(code: str) -> None:
    with pytest.raises(ValueError, match="code"):
        Currency(code=code)


def test_shipping_company_value_must_not_be_empty() -> None:
    assert ShippingCompany(value="yurtici", label="Yurtiçi Kargo").value == "yurtici"
    with pytest.raises(ValueError, match="value"):
        ShippingCompany(value="", label="Nobody")


# --- computed fields --------------------------------------------------------------------


@given(amount=money, discount=money)
def test_amount_without_discount_is_amount_plus_discount(
    amount: Decimal, discount: Decimal
) -> None:
    built = order(amount=amount, discount_amount=discount)
    assert built.amount_without_discount == amount + discount
    assert type(built.amount_without_discount) is Decimal


def test_amount_without_discount_example() -> None:
    built = order(amount=Decimal("89.90"), discount_amount=Decimal("10.10"))
    assert built.amount_without_discount == Decimal("100.00")


@given(statuses=st.lists(st.sampled_from(OrderStatus), max_size=6))
def test_order_is_cancelled_iff_every_item_is(statuses: list[OrderStatus]) -> None:
    built = order(items=[order_item(pk, status) for pk, status in enumerate(statuses, 1)])
    expected = bool(statuses) and all(s is OrderStatus.CANCELLED for s in statuses)
    assert built.is_cancelled is expected


def test_empty_order_is_not_cancelled() -> None:
    assert order(items=[]).is_cancelled is False


def test_order_with_one_live_item_is_not_cancelled() -> None:
    items = [order_item(1, OrderStatus.CANCELLED), order_item(2, OrderStatus.REFUNDED)]
    assert order(items=items).is_cancelled is False
    assert order(items=items[:1]).is_cancelled is True


def test_item_is_cancelled_only_in_status_cancelled() -> None:
    for status in OrderStatus:
        assert order_item(1, status).is_cancelled is (status is OrderStatus.CANCELLED)


@pytest.mark.parametrize("status", list(OrderStatus))
def test_is_payable_only_while_payment_is_pending(status: OrderStatus) -> None:
    assert order(status=status).is_payable is (status.value in {"300", "546"})


# --- statuses ---------------------------------------------------------------------------

# Every code of the platform's status table (domain notes, section 2), with its label.
STATUS_TABLE = {
    "50": ("CANCELLATION_WAITING", "Cancellation waiting"),
    "100": ("CANCELLED", "Cancelled"),
    "200": ("WAITING", "Waiting"),
    "300": ("PAYMENT_WAITING", "Payment waiting"),
    "350": ("CONFIRMATION_WAITING", "Confirmation waiting"),
    "400": ("APPROVED", "Approved"),
    "450": ("PREPARING", "Preparing"),
    "500": ("SHIPPED", "Shipped"),
    "510": ("SHIPPED_AND_INFORMED", "Shipped and informed"),
    "520": ("READY_FOR_PICKUP", "Ready for pickup"),
    "540": ("ATTEMPTED_DELIVERY", "Attempted delivery"),
    "544": ("REVIEW_STARTED", "Review started"),
    "545": ("REVIEW_WAITING", "Review waiting"),
    "546": ("WAITING_FOR_PAYMENT", "Waiting for payment"),
    "547": ("PAID", "Paid"),
    "550": ("DELIVERED", "Delivered"),
    "600": ("REFUNDED", "Refunded"),
}


@pytest.mark.parametrize(("value", "expected"), STATUS_TABLE.items())
def test_every_status_code_has_its_value_and_label(value: str, expected: tuple[str, str]) -> None:
    name, label = expected
    status = OrderStatus(value)
    assert status.name == name
    assert status.value == value
    assert status.label == label


def test_there_are_no_other_status_codes() -> None:
    assert {status.value for status in OrderStatus} == set(STATUS_TABLE)


# --- personal data never in a repr ------------------------------------------------------


def test_order_repr_hides_the_email() -> None:
    built = order(user_email="secret.person@private-domain.example")
    for text in (repr(built), str(built)):
        assert "secret.person" not in text
        assert "private-domain" not in text
    assert "Order(" in repr(built)
    assert built.number in repr(built)


def test_customer_repr_shows_no_email() -> None:
    assert GUEST_EMAIL not in repr(Customer(id=1, kind=CustomerKind.GUEST))


def test_order_is_frozen() -> None:
    built = order()
    with pytest.raises(AttributeError):
        built.amount = Decimal(1)  # type: ignore[misc]
    assert isinstance(built, Order)


def test_amount_without_discount_is_exact_beyond_the_default_context() -> None:
    # 40 significant digits: the default 28-digit context would round this sum.
    built = order(amount=Decimal("1" * 38 + ".01"), discount_amount=Decimal("0.0000001"))
    assert built.amount_without_discount == Decimal("1" * 38 + ".0100001")
