"""parse_bulk_cancellation: the item list, pickup dates, images, and the error tree."""

from __future__ import annotations

import base64
from datetime import date, time
from typing import Any

import pytest

from guest_orders.domain import (
    CancelItem,
    CancellationCommand,
    CancellationType,
    Iban,
    ImageUpload,
    PickupDate,
)
from guest_orders.errors import ErrorDetail
from guest_orders.policy import Policy
from guest_orders.wire import parse_bulk_cancellation
from wire._wire_support import (
    JPEG,
    NORMALIZED_EMAIL,
    NUMBER,
    PNG,
    VALID_IBAN,
    WEBP,
    bulk_body,
    bulk_item,
    codes,
    data_url,
    raises_invalid,
    without,
)

PICKUP = {"date": "2024-06-20", "hour_range": {"start": "09:00", "end": "12:30"}}


def test_minimal_body() -> None:
    assert parse_bulk_cancellation(bulk_body()) == CancellationCommand(
        number=NUMBER,
        email=NORMALIZED_EMAIL,
        items=(CancelItem(order_item=101, reason=1, cancellation_type=CancellationType.CANCEL),),
        bulk=True,
    )


def test_full_body() -> None:
    body = bulk_body(
        bulk_item(101),
        bulk_item(
            102,
            reason=2,
            cancellation_type="refund",
            description=" Broken ",
            shipping_company=10,
            pickup_date=PICKUP,
            quantity=1,
            cancellation_request_image_set=[
                {"image": data_url(PNG, "png"), "description": " the box "},
                {"image": data_url(JPEG, "jpeg")},
                {"image": data_url(WEBP, "webp"), "description": None},
            ],
            iban=VALID_IBAN,
            holder_name="Ayşe Yılmaz",
        ),
        pickup_address=20,
        fully_refund_as_loyalty_money=True,
    )
    command = parse_bulk_cancellation(body)
    assert command.bulk is True
    assert command.pickup_address == 20
    assert command.fully_refund_as_loyalty_money is True
    assert command.items[0] == CancelItem(
        order_item=101, reason=1, cancellation_type=CancellationType.CANCEL
    )
    assert command.items[1] == CancelItem(
        order_item=102,
        reason=2,
        cancellation_type=CancellationType.REFUND,
        description="Broken",
        shipping_company=10,
        quantity=1,
        iban=Iban(VALID_IBAN),
        holder_name="Ayşe Yılmaz",
        pickup_date=PickupDate(date=date(2024, 6, 20), start=time(9), end=time(12, 30)),
        images=(
            ImageUpload(content=PNG, media_type="image/png", description="the box"),
            ImageUpload(content=JPEG, media_type="image/jpeg"),
            ImageUpload(content=WEBP, media_type="image/webp"),
        ),
    )


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "null"),
        ({}, "invalid_type"),
        ("[]", "invalid_type"),
        (bulk_item(), "invalid_type"),
        ([], "empty"),
        ([bulk_item(pk) for pk in range(1, 102)], "too_many_items"),
    ],
)
def test_bad_item_lists(value: Any, code: str) -> None:
    error = raises_invalid(parse_bulk_cancellation, bulk_body(cancel_order_items=value))
    assert codes(error) == {"cancel_order_items": [code]}


def test_missing_item_list_is_required() -> None:
    error = raises_invalid(parse_bulk_cancellation, without(bulk_body(), "cancel_order_items"))
    assert codes(error) == {"cancel_order_items": ["required"]}


def test_item_count_limit_comes_from_the_policy() -> None:
    items = [bulk_item(pk) for pk in range(1, 101)]
    assert len(parse_bulk_cancellation(bulk_body(*items)).items) == 100
    policy = Policy(max_bulk_items=2)
    assert len(parse_bulk_cancellation(bulk_body(*items[:2]), policy=policy).items) == 2
    error = raises_invalid(parse_bulk_cancellation, bulk_body(*items[:3]), policy=policy)
    assert error.errors == {
        "cancel_order_items": [ErrorDetail("too_many_items", "Ensure there are at most 2 items.")]
    }


def test_errors_of_items_are_a_list_with_one_dict_per_item() -> None:
    body = bulk_body(bulk_item(1), bulk_item(2, quantity=0), bulk_item(3), "not an item")
    error = raises_invalid(parse_bulk_cancellation, body)
    assert error.errors == {
        "cancel_order_items": [
            {},
            {
                "quantity": [
                    ErrorDetail("min_value", "Ensure this value is greater than or equal to 1.")
                ]
            },
            {},
            {"non_field_errors": [ErrorDetail("invalid_type", "A valid object is required.")]},
        ]
    }
    assert [path for path, _ in error.details] == [
        "cancel_order_items[1].quantity",
        "cancel_order_items[3].non_field_errors",
    ]


def test_an_order_item_listed_again_is_an_error_on_the_later_ones() -> None:
    body = bulk_body(bulk_item(7), bulk_item(8), bulk_item(7), bulk_item(7, reason=True))
    error = raises_invalid(parse_bulk_cancellation, body)
    assert codes(error) == {
        "cancel_order_items[2].order_item": ["duplicate_order_item"],
        "cancel_order_items[3].order_item": ["duplicate_order_item"],
        "cancel_order_items[3].reason": ["invalid_type"],
    }
    assert error.errors["cancel_order_items"][2] == {  # type: ignore[index]
        "order_item": [
            ErrorDetail("duplicate_order_item", "This order item is listed more than once.")
        ]
    }


def test_an_invalid_order_item_is_not_a_duplicate() -> None:
    body = bulk_body(bulk_item(7, reason=0), bulk_item(order_item=True), bulk_item(7))
    assert codes(raises_invalid(parse_bulk_cancellation, body)) == {
        "cancel_order_items[0].reason": ["min_value"],
        "cancel_order_items[1].order_item": ["invalid_type"],
        "cancel_order_items[2].order_item": ["duplicate_order_item"],
    }


def test_item_field_errors_are_under_their_item() -> None:
    item = bulk_item(
        order_item=None,
        reason="2",
        cancellation_type="x",
        description=3,
        shipping_company=False,
        quantity=1.5,
        iban="TR990006100519786457841326",
        holder_name="",
        pickup_date="tomorrow",
        cancellation_request_image_set={},
    )
    error = raises_invalid(parse_bulk_cancellation, bulk_body(item))
    assert codes(error) == {
        "cancel_order_items[0].order_item": ["null"],
        "cancel_order_items[0].reason": ["invalid_type"],
        "cancel_order_items[0].cancellation_type": ["invalid_choice"],
        "cancel_order_items[0].description": ["invalid_type"],
        "cancel_order_items[0].shipping_company": ["invalid_type"],
        "cancel_order_items[0].pickup_date": ["invalid_type"],
        "cancel_order_items[0].quantity": ["invalid_type"],
        "cancel_order_items[0].cancellation_request_image_set": ["invalid_type"],
        "cancel_order_items[0].iban": ["invalid_iban"],
        "cancel_order_items[0].holder_name": ["blank"],
    }


def test_top_level_and_item_errors_together() -> None:
    body = {
        "email": "x",
        "cancel_order_items": [bulk_item(), bulk_item(102, quantity=-3)],
        "pickup_address": True,
        "fully_refund_as_loyalty_money": "true",
    }
    assert codes(raises_invalid(parse_bulk_cancellation, body)) == {
        "number": ["required"],
        "email": ["invalid_email"],
        "cancel_order_items[1].quantity": ["min_value"],
        "pickup_address": ["invalid_type"],
        "fully_refund_as_loyalty_money": ["invalid_type"],
    }


@pytest.mark.parametrize(
    ("value", "code"),
    [(True, "invalid_type"), ("20", "invalid_type"), (0, "min_value"), (2**63, "max_value")],
)
def test_bad_pickup_addresses(value: Any, code: str) -> None:
    error = raises_invalid(parse_bulk_cancellation, bulk_body(pickup_address=value))
    assert codes(error) == {"pickup_address": [code]}


@pytest.mark.parametrize("value", [1, 0, "true", "false", [True], {}])
def test_loyalty_money_is_a_real_boolean(value: Any) -> None:
    error = raises_invalid(parse_bulk_cancellation, bulk_body(fully_refund_as_loyalty_money=value))
    assert codes(error) == {"fully_refund_as_loyalty_money": ["invalid_type"]}


@pytest.mark.parametrize("value", [None, False])
def test_loyalty_money_defaults_to_false(value: Any) -> None:
    command = parse_bulk_cancellation(bulk_body(fully_refund_as_loyalty_money=value))
    assert command.fully_refund_as_loyalty_money is False
    assert parse_bulk_cancellation(bulk_body()).fully_refund_as_loyalty_money is False


# --- pickup dates -------------------------------------------------------------------------


def _pickup_codes(pickup: Any) -> dict[str, list[str]]:
    error = raises_invalid(parse_bulk_cancellation, bulk_body(bulk_item(pickup_date=pickup)))
    prefix = "cancel_order_items[0]."
    return {path.removeprefix(prefix): found for path, found in codes(error).items()}


def _with_hours(start: Any, end: Any) -> dict[str, Any]:
    return {"date": "2024-06-20", "hour_range": {"start": start, "end": end}}


@pytest.mark.parametrize(
    ("pickup", "expected"),
    [
        ("2024-06-20", {"pickup_date": ["invalid_type"]}),
        ([PICKUP], {"pickup_date": ["invalid_type"]}),
        ({}, {"pickup_date.date": ["required"], "pickup_date.hour_range": ["required"]}),
        ({**PICKUP, "date": None}, {"pickup_date.date": ["null"]}),
        ({**PICKUP, "date": 20240620}, {"pickup_date.date": ["invalid_type"]}),
        ({**PICKUP, "date": "2024/06/20"}, {"pickup_date.date": ["invalid_date"]}),
        ({**PICKUP, "date": "20240620"}, {"pickup_date.date": ["invalid_date"]}),
        ({**PICKUP, "date": "2024-6-20"}, {"pickup_date.date": ["invalid_date"]}),
        ({**PICKUP, "date": "2024-02-30"}, {"pickup_date.date": ["invalid_date"]}),
        ({**PICKUP, "date": "2024-13-01"}, {"pickup_date.date": ["invalid_date"]}),
        ({**PICKUP, "date": "2024-06-20T09:00"}, {"pickup_date.date": ["invalid_date"]}),
        ({**PICKUP, "date": "٢٠٢٤-06-20"}, {"pickup_date.date": ["invalid_date"]}),
        ({**PICKUP, "date": "2024-W25-4"}, {"pickup_date.date": ["invalid_date"]}),
        ({**PICKUP, "hour_range": None}, {"pickup_date.hour_range": ["null"]}),
        ({**PICKUP, "hour_range": "09-12"}, {"pickup_date.hour_range": ["invalid_type"]}),
        (
            {**PICKUP, "hour_range": {}},
            {
                "pickup_date.hour_range.start": ["required"],
                "pickup_date.hour_range.end": ["required"],
            },
        ),
        (_with_hours("9:00", "12:00"), {"pickup_date.hour_range.start": ["invalid_time"]}),
        (_with_hours("09:00:00", "12:00"), {"pickup_date.hour_range.start": ["invalid_time"]}),
        (_with_hours("24:00", "12:00"), {"pickup_date.hour_range.start": ["invalid_time"]}),
        (_with_hours("09:60", "12:00"), {"pickup_date.hour_range.start": ["invalid_time"]}),
        (_with_hours("٠٩:00", "12:00"), {"pickup_date.hour_range.start": ["invalid_time"]}),
        (_with_hours(900, "12:00"), {"pickup_date.hour_range.start": ["invalid_type"]}),
        (_with_hours("09:00", "12h"), {"pickup_date.hour_range.end": ["invalid_time"]}),
        (
            _with_hours("12:00", "12:00"),
            {"pickup_date.hour_range.non_field_errors": ["invalid_hour_range"]},
        ),
        (
            _with_hours("13:00", "12:00"),
            {"pickup_date.hour_range.non_field_errors": ["invalid_hour_range"]},
        ),
        (
            {"date": "x", "hour_range": {"start": "x", "end": None}},
            {
                "pickup_date.date": ["invalid_date"],
                "pickup_date.hour_range.start": ["invalid_time"],
                "pickup_date.hour_range.end": ["null"],
            },
        ),
    ],
)
def test_bad_pickup_dates(pickup: Any, expected: dict[str, list[str]]) -> None:
    assert _pickup_codes(pickup) == expected


def test_pickup_date_errors_nest_like_the_input() -> None:
    body = bulk_body(bulk_item(pickup_date=_with_hours("12:00", "08:00")))
    error = raises_invalid(parse_bulk_cancellation, body)
    assert error.errors == {
        "cancel_order_items": [
            {
                "pickup_date": {
                    "hour_range": {
                        "non_field_errors": [
                            ErrorDetail(
                                "invalid_hour_range", "The hour range must start before it ends."
                            )
                        ]
                    }
                }
            }
        ]
    }


def test_pickup_date_bounds_of_the_day() -> None:
    (item,) = parse_bulk_cancellation(
        bulk_body(bulk_item(pickup_date=_with_hours("00:00", "23:59")))
    ).items
    assert item.pickup_date == PickupDate(date=date(2024, 6, 20), start=time(0), end=time(23, 59))


# --- images -------------------------------------------------------------------------------


def _image_codes(images: Any, policy: Policy | None = None) -> dict[str, list[str]]:
    body = bulk_body(bulk_item(cancellation_request_image_set=images))
    error = raises_invalid(parse_bulk_cancellation, body, policy=policy or Policy())
    prefix = "cancel_order_items[0].cancellation_request_image_set"
    return {path.removeprefix(prefix): found for path, found in codes(error).items()}


@pytest.mark.parametrize(
    ("image", "code"),
    [
        (data_url(JPEG, "png"), "invalid_image"),
        (data_url(PNG, "jpeg"), "invalid_image"),
        (data_url(PNG, "webp"), "invalid_image"),
        (data_url(b"RIFF\x00\x00\x00\x00WAVEfmt ", "webp"), "invalid_image"),
        (data_url(b"GIF89a" + b"\x00" * 10, "gif"), "invalid_image"),
        (data_url(b"<svg/>", "svg+xml"), "invalid_image"),
        (data_url(b"plain text", "png"), "invalid_image"),
        (data_url(b"", "png"), "invalid_image"),
        (data_url(PNG, "PNG"), "invalid_image"),
        ("data:image/png,rawbytes", "invalid_image"),
        ("data:image/png;base64," + base64.b64encode(PNG).decode()[:-1], "invalid_image"),
        ("data:image/png;base64,iVBORw0KGgo=\n", "invalid_image"),
        ("data:image/png;base64,iVBO Rw0KGgo=", "invalid_image"),
        ("data:image/png;base64,iVBORw0KGgo*", "invalid_image"),
        ("data:image/png;base64,iVBORw0KGgoé", "invalid_image"),
        ("data:image/png;base64,٣٣٣٣", "invalid_image"),
        (base64.b64encode(PNG).decode(), "invalid_image"),
        ("https://example.com/a.png", "invalid_image"),
        ("", "invalid_image"),
        (None, "null"),
        (123, "invalid_type"),
        ([data_url(PNG, "png")], "invalid_type"),
    ],
)
def test_bad_images(image: Any, code: str) -> None:
    assert _image_codes([{"image": image}]) == {"[0].image": [code]}


def test_an_image_needs_its_image() -> None:
    assert _image_codes([{"description": "x"}]) == {"[0].image": ["required"]}


@pytest.mark.parametrize("entry", ["data:image/png;base64,AAAA", 1, None, []])
def test_an_image_entry_must_be_an_object(entry: Any) -> None:
    assert _image_codes([entry]) == {"[0].non_field_errors": ["invalid_type"]}


def test_image_descriptions_follow_the_description_rules() -> None:
    policy = Policy(max_description_length=3)
    assert _image_codes(
        [
            {"image": data_url(PNG, "png"), "description": "long"},
            {"image": data_url(PNG, "png"), "description": 1},
            {"image": data_url(PNG, "png"), "description": "\x00"},
        ],
        policy,
    ) == {
        "[0].description": ["max_length"],
        "[1].description": ["invalid_type"],
        "[2].description": ["invalid_characters"],
    }


def test_images_of_an_item_are_a_list_of_at_most_max_images() -> None:
    image = {"image": data_url(PNG, "png")}
    assert len(parse_bulk_cancellation(bulk_body(bulk_item(
        cancellation_request_image_set=[image] * 5
    ))).items[0].images) == 5  # fmt: skip
    assert _image_codes([image] * 6) == {"": ["too_many_images"]}
    assert _image_codes([image], Policy(max_images=0)) == {"": ["too_many_images"]}
    assert _image_codes("not a list") == {"": ["invalid_type"]}
    assert _image_codes({"image": data_url(PNG, "png")}) == {"": ["invalid_type"]}


def test_no_images_is_fine() -> None:
    absent: tuple[list[Any] | None, ...] = ([], None)
    for images in absent:
        (item,) = parse_bulk_cancellation(
            bulk_body(bulk_item(cancellation_request_image_set=images))
        ).items
        assert item.images == ()


def test_the_decoded_size_limit_comes_from_the_policy() -> None:
    policy = Policy(max_image_bytes=len(PNG))
    fits = data_url(PNG, "png")
    (item,) = parse_bulk_cancellation(
        bulk_body(bulk_item(cancellation_request_image_set=[{"image": fits}])), policy=policy
    ).items
    assert item.images[0].content == PNG
    error_codes = _image_codes([{"image": data_url(PNG + b"\x00", "png")}], policy)
    assert error_codes == {"[0].image": ["image_too_large"]}


def test_image_too_large_message_gives_the_limit() -> None:
    body = bulk_body(
        bulk_item(cancellation_request_image_set=[{"image": data_url(PNG + b"!", "png")}])
    )
    error = raises_invalid(parse_bulk_cancellation, body, policy=Policy(max_image_bytes=len(PNG)))
    ((_, detail),) = error.details
    assert detail == ErrorDetail(
        "image_too_large", f"Ensure each image is at most {len(PNG)} bytes."
    )


def test_a_clearly_too_large_image_is_not_decoded(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_decoding(*_args: object, **_kwargs: object) -> bytes:
        raise AssertionError("decoded")

    monkeypatch.setattr(base64, "b64decode", no_decoding)
    huge = "data:image/png;base64," + "A" * (4 * (1024 // 3 + 1) + 4)
    assert _image_codes([{"image": huge}], Policy(max_image_bytes=1024)) == {
        "[0].image": ["image_too_large"]
    }


def test_every_image_is_checked() -> None:
    good = {"image": data_url(PNG, "png")}
    assert _image_codes([good, {"image": data_url(JPEG, "png")}, good, {}]) == {
        "[1].image": ["invalid_image"],
        "[3].image": ["required"],
    }
