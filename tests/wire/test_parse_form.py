"""``form=True``: HTML form fields (strings, or lists of strings from multi-value fields)."""

from __future__ import annotations

from typing import Any

import pytest

from guest_orders.domain import LookupQuery
from guest_orders.wire import parse_bulk_cancellation, parse_cancellation, parse_lookup
from wire._wire_support import (
    EMAIL,
    NORMALIZED_EMAIL,
    NUMBER,
    PNG,
    bulk_body,
    bulk_item,
    codes,
    data_url,
    raises_invalid,
    single_body,
)


def test_lookup_from_form_fields() -> None:
    assert parse_lookup({"number": NUMBER, "email": EMAIL}, form=True) == LookupQuery(
        number=NUMBER, email=NORMALIZED_EMAIL
    )


def test_a_multi_value_field_counts_by_its_last_value() -> None:
    form = {"number": ["1", NUMBER], "email": [EMAIL]}
    assert parse_lookup(form, form=True).number == NUMBER
    assert parse_lookup({"number": (NUMBER,), "email": EMAIL}, form=True).number == NUMBER


def test_lists_are_taken_as_values_only_in_form_mode() -> None:
    error = raises_invalid(parse_lookup, {"number": [NUMBER], "email": [EMAIL]})
    assert codes(error) == {"number": ["invalid_type"], "email": ["invalid_type"]}


@pytest.mark.parametrize("empty", ["", []])
def test_an_empty_required_field_is_required(empty: Any) -> None:
    error = raises_invalid(parse_lookup, {"number": empty, "email": empty}, form=True)
    assert codes(error) == {"number": ["required"], "email": ["required"]}


def test_a_blank_form_value_is_blank() -> None:
    error = raises_invalid(parse_lookup, {"number": "  ", "email": EMAIL}, form=True)
    assert codes(error) == {"number": ["blank"]}


def _form(**changes: Any) -> dict[str, Any]:
    return {
        "number": NUMBER,
        "email": EMAIL,
        "order_item": "101",
        "reason": "1",
        "cancellation_type": "refund",
        **changes,
    }


def test_integers_from_strings_of_ascii_digits() -> None:
    (item,) = parse_cancellation(
        _form(shipping_company="0010", quantity=["1", "2"], order_item="9223372036854775807"),
        form=True,
    ).items
    assert (item.order_item, item.reason, item.shipping_company, item.quantity) == (
        2**63 - 1,
        1,
        10,
        2,
    )


def test_real_integers_are_fine_in_form_mode_too() -> None:
    (item,) = parse_cancellation(_form(order_item=101, reason=1), form=True).items
    assert (item.order_item, item.reason) == (101, 1)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (" 12", "invalid_type"),
        ("12 ", "invalid_type"),
        ("+12", "invalid_type"),
        ("-1", "invalid_type"),
        ("1.0", "invalid_type"),
        ("1e3", "invalid_type"),
        ("0x10", "invalid_type"),
        ("1_000", "invalid_type"),
        ("١٢", "invalid_type"),  # Arabic-Indic digits
        ("１２", "invalid_type"),  # full-width digits
        ("²", "invalid_type"),
        ("true", "invalid_type"),
        (True, "invalid_type"),
        ("0", "min_value"),
        ("000", "min_value"),
        ("9223372036854775808", "max_value"),
        ("9" * 5000, "max_value"),
        ("0" * 5000 + "7", None),
    ],
)
def test_form_integers(value: Any, code: str | None) -> None:
    body = _form(quantity=value)
    if code is None:
        assert parse_cancellation(body, form=True).items[0].quantity == 7
        return
    assert codes(raises_invalid(parse_cancellation, body, form=True)) == {"quantity": [code]}


@pytest.mark.parametrize("field", ["description", "shipping_company", "quantity", "iban"])
def test_an_empty_optional_field_is_absent(field: str) -> None:
    (item,) = parse_cancellation(_form(**{field: ""}), form=True).items
    assert getattr(item, field) is None
    (item,) = parse_cancellation(_form(**{field: []}), form=True).items
    assert getattr(item, field) is None


def test_an_empty_holder_name_is_absent_but_a_blank_one_is_blank() -> None:
    assert parse_cancellation(_form(holder_name=""), form=True).items[0].holder_name is None
    error = raises_invalid(parse_cancellation, _form(holder_name=" "), form=True)
    assert codes(error) == {"holder_name": ["blank"]}


def test_in_json_mode_digit_strings_are_not_integers() -> None:
    error = raises_invalid(parse_cancellation, _form())
    assert codes(error) == {"order_item": ["invalid_type"], "reason": ["invalid_type"]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ("1", True),
        ("on", True),
        ("On", True),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("off", False),
        ("OFF", False),
        (["true", "false"], False),
        ("", False),
        (True, True),
        (False, False),
    ],
)
def test_form_booleans(value: Any, *, expected: bool) -> None:
    body = bulk_body(fully_refund_as_loyalty_money=value)
    assert parse_bulk_cancellation(body, form=True).fully_refund_as_loyalty_money is expected


@pytest.mark.parametrize("value", ["yes", "no", "t", "f", "2", " true", "truee", "nope!", 1])
def test_other_form_booleans_are_invalid(value: Any) -> None:
    body = bulk_body(fully_refund_as_loyalty_money=value)
    error = raises_invalid(parse_bulk_cancellation, body, form=True)
    assert codes(error) == {"fully_refund_as_loyalty_money": ["invalid_type"]}


def test_bulk_items_in_form_mode() -> None:
    body = bulk_body(
        bulk_item(
            order_item="101",
            reason=["9", "2"],
            cancellation_type="refund",
            shipping_company="",
            quantity="3",
            pickup_date={
                "date": ["2024-06-20"],
                "hour_range": {"start": "09:00", "end": ["10:00", "11:00"]},
            },
            cancellation_request_image_set=[
                {"image": data_url(PNG, "png"), "description": ["", "box"]}
            ],
        ),
        bulk_item(order_item="102"),
        pickup_address="20",
    )
    command = parse_bulk_cancellation(body, form=True)
    first, second = command.items
    assert (first.order_item, first.reason, first.quantity, first.shipping_company) == (
        101,
        2,
        3,
        None,
    )
    assert first.pickup_date is not None
    assert first.pickup_date.end.hour == 11
    assert first.images[0].description == "box"
    assert second.order_item == 102
    assert command.pickup_address == 20


def test_form_bulk_errors_and_duplicates() -> None:
    body = bulk_body(
        bulk_item(order_item="101"),
        bulk_item(order_item="0101", quantity="x"),
        pickup_address="",
    )
    assert codes(raises_invalid(parse_bulk_cancellation, body, form=True)) == {
        "cancel_order_items[1].order_item": ["duplicate_order_item"],
        "cancel_order_items[1].quantity": ["invalid_type"],
    }


def test_the_item_list_is_not_shortened_in_form_mode() -> None:
    body = bulk_body(bulk_item(101), bulk_item(102))
    assert len(parse_bulk_cancellation(body, form=True).items) == 2
    error = raises_invalid(parse_bulk_cancellation, bulk_body(cancel_order_items=""), form=True)
    assert codes(error) == {"cancel_order_items": ["required"]}


def test_single_form_body() -> None:
    body = {key: str(value) for key, value in single_body(quantity=2).items()}
    (item,) = parse_cancellation(body, form=True).items
    assert (item.order_item, item.quantity) == (101, 2)
