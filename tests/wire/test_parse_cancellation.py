"""parse_cancellation: one item, every field strictly; the field rules shared with bulk."""

from __future__ import annotations

from typing import Any

import pytest

from guest_orders.domain import CancelItem, CancellationCommand, CancellationType, Iban
from guest_orders.errors import ErrorDetail
from guest_orders.policy import Policy
from guest_orders.wire import parse_cancellation
from wire._wire_support import (
    NORMALIZED_EMAIL,
    NUMBER,
    PNG,
    VALID_IBAN,
    codes,
    data_url,
    raises_invalid,
    single_body,
    without,
)

MAX_INT = 2**63 - 1


def test_minimal_body() -> None:
    command = parse_cancellation(single_body())
    assert command == CancellationCommand(
        number=NUMBER,
        email=NORMALIZED_EMAIL,
        items=(CancelItem(order_item=101, reason=1, cancellation_type=CancellationType.CANCEL),),
        bulk=False,
    )


def test_full_body() -> None:
    command = parse_cancellation(
        single_body(
            cancellation_type="refund",
            description="  Arrived broken.\nThe box was wet.\t ",
            shipping_company=10,
            quantity=2,
            iban="tr33 0006 1005 1978 6457 8413 26",
            holder_name="  Ayşe Yılmaz ",
        )
    )
    assert command.bulk is False
    assert command.items == (
        CancelItem(
            order_item=101,
            reason=1,
            cancellation_type=CancellationType.REFUND,
            description="Arrived broken.\nThe box was wet.",
            shipping_company=10,
            quantity=2,
            iban=Iban(VALID_IBAN),
            holder_name="Ayşe Yılmaz",
        ),
    )
    assert command.pickup_address is None
    assert command.fully_refund_as_loyalty_money is False


def test_bulk_only_fields_are_ignored_in_a_single_request() -> None:
    body = single_body(
        pickup_date={"date": "bad"},
        cancellation_request_image_set="bad",
        pickup_address=True,
        fully_refund_as_loyalty_money="bad",
    )
    (item,) = parse_cancellation(body).items
    assert item.pickup_date is None
    assert item.images == ()


@pytest.mark.parametrize("field", ["order_item", "reason", "cancellation_type"])
def test_required_item_fields(field: str) -> None:
    assert codes(raises_invalid(parse_cancellation, without(single_body(), field))) == {
        field: ["required"]
    }
    assert codes(raises_invalid(parse_cancellation, single_body(**{field: None}))) == {
        field: ["null"]
    }


@pytest.mark.parametrize(
    "field", ["description", "shipping_company", "quantity", "iban", "holder_name"]
)
def test_optional_fields_may_be_absent_or_null(field: str) -> None:
    (item,) = parse_cancellation(single_body(**{field: None})).items
    assert getattr(item, field) is None
    (item,) = parse_cancellation(without(single_body(**{field: None}), field)).items
    assert getattr(item, field) is None


INT_FIELDS = ["order_item", "reason", "shipping_company", "quantity"]


@pytest.mark.parametrize("field", INT_FIELDS)
@pytest.mark.parametrize(
    ("value", "code"),
    [
        (True, "invalid_type"),
        (False, "invalid_type"),
        (1.0, "invalid_type"),
        (2.7, "invalid_type"),
        (float("nan"), "invalid_type"),
        ("1", "invalid_type"),
        ("", "invalid_type"),
        ([1], "invalid_type"),
        ({"pk": 1}, "invalid_type"),
        (0, "min_value"),
        (-1, "min_value"),
        (-(2**70), "min_value"),
        (MAX_INT + 1, "max_value"),
        (2**200, "max_value"),
    ],
)
def test_bad_integers(field: str, value: Any, code: str) -> None:
    assert codes(raises_invalid(parse_cancellation, single_body(**{field: value}))) == {
        field: [code]
    }


@pytest.mark.parametrize("field", INT_FIELDS)
def test_integer_bounds_are_inclusive(field: str) -> None:
    for value in (1, MAX_INT):
        (item,) = parse_cancellation(single_body(**{field: value})).items
        assert getattr(item, field) == value


def test_integer_messages() -> None:
    error = raises_invalid(
        parse_cancellation, single_body(order_item=True, reason=0, quantity=2**63)
    )
    assert error.errors == {
        "order_item": [ErrorDetail("invalid_type", "A valid integer is required.")],
        "reason": [ErrorDetail("min_value", "Ensure this value is greater than or equal to 1.")],
        "quantity": [
            ErrorDetail("max_value", f"Ensure this value is less than or equal to {MAX_INT}.")
        ],
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("CANCEL", "invalid_choice"),
        ("Refund", "invalid_choice"),
        (" cancel", "invalid_choice"),
        ("", "invalid_choice"),
        ("return", "invalid_choice"),
        (1, "invalid_type"),
        (True, "invalid_type"),
        (["cancel"], "invalid_type"),
    ],
)
def test_bad_cancellation_types(value: Any, code: str) -> None:
    assert codes(raises_invalid(parse_cancellation, single_body(cancellation_type=value))) == {
        "cancellation_type": [code]
    }


def test_invalid_choice_message_names_the_choices_not_the_input() -> None:
    error = raises_invalid(parse_cancellation, single_body(cancellation_type="sneaky"))
    assert error.errors["cancellation_type"] == [
        ErrorDetail("invalid_choice", "Must be one of: cancel, refund.")
    ]


# --- description -------------------------------------------------------------------------


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_a_blank_description_counts_as_absent(blank: str) -> None:
    (item,) = parse_cancellation(single_body(description=blank)).items
    assert item.description is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (12, "invalid_type"),
        (True, "invalid_type"),
        (["text"], "invalid_type"),
        ("x" * 1001, "max_length"),
        ("bad\x00text", "invalid_characters"),
        ("bad\x1btext", "invalid_characters"),
        ("bad\x85text", "invalid_characters"),
        ("bad\ud83dtext", "invalid_characters"),
    ],
)
def test_bad_descriptions(value: Any, code: str) -> None:
    assert codes(raises_invalid(parse_cancellation, single_body(description=value))) == {
        "description": [code]
    }


def test_description_limit_comes_from_the_policy() -> None:
    (item,) = parse_cancellation(single_body(description="x" * 1000)).items
    assert item.description == "x" * 1000
    policy = Policy(max_description_length=5)
    (item,) = parse_cancellation(single_body(description=" abcde "), policy=policy).items
    assert item.description == "abcde"
    error = raises_invalid(parse_cancellation, single_body(description="abcdef"), policy=policy)
    assert error.errors["description"] == [
        ErrorDetail("max_length", "Ensure this field has no more than 5 characters.")
    ]


def test_descriptions_keep_line_breaks_tabs_and_any_printable_text() -> None:
    text = "Kutu ezik geldi \U0001f4e6\r\n\u0130ade\tistiyorum \u2014 \u202e"
    (item,) = parse_cancellation(single_body(description=text)).items
    assert item.description == text


# --- IBAN ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        VALID_IBAN,
        "tr330006100519786457841326",
        "TR33 0006 1005 1978 6457 8413 26",
        "TR33\u00a00006\u00a01005\u00a01978\u00a06457\u00a08413\u00a026",
        "  TR330006100519786457841326  ",
    ],
)
def test_ibans_are_compacted(given: str) -> None:
    (item,) = parse_cancellation(single_body(iban=given)).items
    assert item.iban == Iban(VALID_IBAN)


def test_other_countries_ibans_are_accepted() -> None:
    (item,) = parse_cancellation(single_body(iban="GB82 WEST 1234 5698 7654 32")).items
    assert item.iban == Iban("GB82WEST12345698765432")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("TR990006100519786457841326", "invalid_iban"),  # alias check digits
        ("TR٣٣0006100519786457841326", "invalid_iban"),  # Arabic-Indic digits
        ("TR33000610051978645784132٦", "invalid_iban"),
        ("TR33\u200b0006100519786457841326", "invalid_iban"),  # zero-width space
        ("TR33-0006-1005-1978-6457-8413-26", "invalid_iban"),
        ("TR33  0006  1005  1978  6457  8413  26", "max_length"),
        ("TR340006100519786457841326", "invalid_iban"),  # wrong check digits
        ("TR3300061005197864578413", "invalid_iban"),  # too short for TR
        ("XX330006100519786457841326", "invalid_iban"),  # no such country
        ("trı30006100519786457841326", "invalid_iban"),  # dotless i upper-cases to I
        ("TR33", "invalid_iban"),
        ("1234", "invalid_iban"),
        ("T" * 35, "max_length"),
        ("", "blank"),
        ("   ", "blank"),
        (330006100519786457841326, "invalid_type"),
        (["TR330006100519786457841326"], "invalid_type"),
    ],
)
def test_bad_ibans(value: Any, code: str) -> None:
    assert codes(raises_invalid(parse_cancellation, single_body(iban=value))) == {"iban": [code]}


def test_an_iban_of_34_characters_as_given_is_the_longest() -> None:
    # Spaces count: the limit applies to the text as given, before compaction.
    spaced = "TR33 0006 1005 1978 6457 8413 26  "  # 32 characters once stripped
    assert parse_cancellation(single_body(iban=spaced)).items[0].iban == Iban(VALID_IBAN)
    too_long = "TR33" + " " * 4 + "0006 1005 1978 6457 8413 26"
    assert len(too_long) == 35
    error = raises_invalid(parse_cancellation, single_body(iban=too_long))
    assert codes(error) == {"iban": ["max_length"]}


@pytest.mark.parametrize(
    "iban",
    [
        "TR990006100519786457841326",
        "TR33 0006 1005 1978 6457 8413 2X",
        "TR٣٣0006100519786457841326",
        "TR330006100519786457841326" + "0" * 8,
    ],
)
def test_the_iban_never_appears_in_an_error(iban: str) -> None:
    error = raises_invalid(parse_cancellation, single_body(iban=iban))
    text = " ".join([str(error), repr(error), *(d.message for _, d in error.details)])
    assert "0006" not in text
    assert "1005" not in text


# --- holder name -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "blank"),
        ("  \t", "blank"),
        ("x" * 256, "max_length"),
        ("Ayşe\x07Yılmaz", "invalid_characters"),
        ("Ayşe\nYılmaz", "invalid_characters"),
        ("Ayşe\udc00", "invalid_characters"),
        (7, "invalid_type"),
    ],
)
def test_bad_holder_names(value: Any, code: str) -> None:
    assert codes(raises_invalid(parse_cancellation, single_body(holder_name=value))) == {
        "holder_name": [code]
    }


def test_holder_names_up_to_255_characters() -> None:
    (item,) = parse_cancellation(single_body(holder_name="x" * 255)).items
    assert item.holder_name == "x" * 255


# --- every problem at once ----------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    body = {
        "number": "",
        "email": "nope",
        "order_item": "1",
        "reason": True,
        "description": 5,
        "shipping_company": 0,
        "quantity": 2**64,
        "iban": "TR990006100519786457841326",
        "holder_name": "",
    }
    error = raises_invalid(parse_cancellation, body)
    assert codes(error) == {
        "number": ["blank"],
        "email": ["invalid_email"],
        "order_item": ["invalid_type"],
        "reason": ["invalid_type"],
        "cancellation_type": ["required"],
        "description": ["invalid_type"],
        "shipping_company": ["min_value"],
        "quantity": ["max_value"],
        "iban": ["invalid_iban"],
        "holder_name": ["blank"],
    }
    assert error.code == "blank"


def test_the_body_must_be_an_object() -> None:
    error = raises_invalid(parse_cancellation, [single_body()])
    assert codes(error) == {"non_field_errors": ["invalid"]}


def test_images_in_a_single_request_are_not_read() -> None:
    body = single_body(cancellation_request_image_set=[{"image": data_url(PNG, "png")}])
    assert parse_cancellation(body).items[0].images == ()
