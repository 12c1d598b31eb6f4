"""Properties of the parsers over generated input.

- Whatever the input, a parser returns a command or raises ``InvalidRequest``: nothing
  else ever escapes.
- Every message is one of the library's fixed sentences: no user data in errors.
- The optimistic per-item path and the field-by-field path agree.
- Valid items, written the way a client writes them, parse back to themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guest_orders.domain import CancelItem, CancellationCommand, CancellationType, ImageUpload
from guest_orders.errors import InvalidRequest
from guest_orders.policy import Policy
from guest_orders.testing import strategies as gst
from guest_orders.wire import parse_bulk_cancellation, parse_cancellation, parse_lookup
from wire._wire_support import EMAIL, JPEG, PNG, WEBP, data_url, json_values

PARSERS: list[Callable[..., object]] = [parse_lookup, parse_cancellation, parse_bulk_cancellation]

#: Every message a parser may write (limits are the policy's, never the input's).
_MESSAGES = (
    r"This field is required\.",
    r"This field may not be null\.",
    r"This field may not be blank\.",
    r"A valid (string|integer|boolean|list|object) is required\.",
    r"Ensure this field has no more than \d+ characters\.",
    r"Ensure this value is greater than or equal to 1\.",
    r"Ensure this value is less than or equal to 9223372036854775807\.",
    r"Must be one of: cancel, refund\.",
    r"Enter a valid email address\.",
    r"This field contains characters that are not allowed\.",
    r"Enter a valid IBAN\.",
    r"Date has wrong format\. Use YYYY-MM-DD\.",
    r"Time has wrong format\. Use HH:MM\.",
    r"The hour range must start before it ends\.",
    r"Upload a JPEG, PNG or WEBP image as a base64 data URL of its type\.",
    r"Ensure each image is at most \d+ bytes\.",
    r"Ensure there are at most \d+ (images|items)\.",
    r"This list may not be empty\.",
    r"This order item is listed more than once\.",
    r"Invalid data\. Expected an object\.",
)
SAFE_MESSAGES = re.compile("|".join(_MESSAGES))

SMALL_POLICY = Policy(
    max_bulk_items=3,
    max_images=2,
    max_image_bytes=64,
    max_description_length=20,
    max_number_length=10,
)


def _outcome(parse: Callable[..., object], data: Any, **kwargs: Any) -> object:
    """Parse; an ``InvalidRequest`` must name only safe messages. Anything else fails."""
    try:
        return parse(data, **kwargs)
    except InvalidRequest as invalid:
        error = invalid
    assert error.details
    for _path, detail in error.details:
        assert SAFE_MESSAGES.fullmatch(detail.message), detail
    return error


# --- strategies of plausible-but-hostile input --------------------------------------------

_IMAGE_TEXT = st.one_of(
    st.sampled_from(
        [
            data_url(PNG, "png"),
            data_url(JPEG, "jpeg"),
            data_url(WEBP, "webp"),
            data_url(PNG, "jpeg"),
            data_url(PNG * 10, "png"),
            "data:image/png;base64,",
            "data:image/png;base64,====",
        ]
    ),
    st.text().map(lambda t: "data:image/png;base64," + t),
    st.binary(max_size=80).map(lambda b: data_url(b, "png")),
)
_SCALARS = st.one_of(
    json_values,
    st.sampled_from(["", " ", "0", "1", "12", "true", "off", "cancel", "refund", "TR33"]),
    st.integers(-3, 3),
    st.sampled_from([2**63 - 1, 2**63, -(2**63)]),
    st.text(st.characters(codec="utf-8") | st.sampled_from("\x00\t\n\u200b\u00a0٣")),
    st.text(st.characters(categories=["Cs", "Cc", "Cf"]), max_size=4),
)


def _maybe_list(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value, or (as a multi-value form field would give) a list of them."""
    return values | st.lists(values, max_size=3)


def _objects(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with any subset of ``fields``, plus stray keys."""
    return st.fixed_dictionaries({}, optional={**fields, "extra": json_values, "": json_values})


_HOURS = _objects({"start": _SCALARS | st.just("09:00"), "end": _SCALARS | st.just("10:00")})
_PICKUP = _objects({"date": _SCALARS | st.just("2024-06-20"), "hour_range": _HOURS | _SCALARS})
_IMAGE = _objects({"image": _IMAGE_TEXT | _SCALARS, "description": _SCALARS}) | _SCALARS
_ITEM_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "order_item": _maybe_list(st.integers(-2, 5) | _SCALARS),
    "reason": _maybe_list(st.integers(1, 3) | _SCALARS),
    "cancellation_type": _maybe_list(st.sampled_from(["cancel", "refund"]) | _SCALARS),
    "description": _maybe_list(_SCALARS),
    "shipping_company": _maybe_list(_SCALARS),
    "quantity": _maybe_list(_SCALARS),
    "iban": _maybe_list(
        st.sampled_from(["TR330006100519786457841326", "TR990006100519786457841326"]) | _SCALARS
    ),
    "holder_name": _maybe_list(_SCALARS),
    "pickup_date": _maybe_list(_PICKUP | _SCALARS),
    "cancellation_request_image_set": st.lists(_IMAGE, max_size=3) | _SCALARS,
}
_ITEM = _objects(_ITEM_FIELDS)
_HEAD: dict[str, st.SearchStrategy[Any]] = {
    "number": _maybe_list(st.just("2745403029312170") | _SCALARS),
    "email": _maybe_list(st.just(EMAIL) | _SCALARS),
}
BODIES = st.one_of(
    json_values,
    _objects(_HEAD),
    _objects({**_HEAD, **_ITEM_FIELDS}),
    _objects(
        {
            **_HEAD,
            "cancel_order_items": st.lists(_ITEM | _SCALARS, max_size=5) | _SCALARS,
            "pickup_address": _maybe_list(_SCALARS),
            "fully_refund_as_loyalty_money": _maybe_list(_SCALARS),
        }
    ),
)


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__name__)
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(data=BODIES, form=st.booleans(), small=st.booleans())
def test_hostile_bodies_parse_or_are_invalid(  # any JSON value too: BODIES holds them
    parse: Callable[..., object], data: Any, *, form: bool, small: bool
) -> None:
    _outcome(parse, data, form=form, policy=SMALL_POLICY if small else Policy())


# --- valid items round-trip ---------------------------------------------------------------


def _payload(item: CancelItem) -> dict[str, Any]:
    """``item`` as a client writes it."""
    body: dict[str, Any] = {
        "order_item": item.order_item,
        "reason": item.reason,
        "cancellation_type": item.cancellation_type.value,
        "description": item.description,
        "shipping_company": item.shipping_company,
        "quantity": item.quantity,
        "iban": item.iban.compact if item.iban is not None else None,
        "holder_name": item.holder_name,
    }
    if item.pickup_date is not None:
        body["pickup_date"] = {
            "date": item.pickup_date.date.isoformat(),
            "hour_range": {
                "start": item.pickup_date.start.strftime("%H:%M"),
                "end": item.pickup_date.end.strftime("%H:%M"),
            },
        }
    if item.images:
        body["cancellation_request_image_set"] = [
            {
                "image": data_url(image.content, image.media_type.removeprefix("image/")),
                "description": image.description,
            }
            for image in item.images
        ]
    return {key: value for key, value in body.items() if value is not None}


_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=30
).map(str.strip)
_IDS = st.integers(1, 2**63 - 1)


def _items(*, bulk: bool) -> st.SearchStrategy[CancelItem]:
    return st.builds(
        CancelItem,
        order_item=_IDS,
        reason=_IDS,
        cancellation_type=st.sampled_from(CancellationType),
        description=st.none() | _TEXT.filter(bool),
        shipping_company=st.none() | _IDS,
        quantity=st.none() | _IDS,
        iban=st.none() | gst.ibans(),
        holder_name=st.none() | _TEXT.filter(bool),
        pickup_date=(st.none() | gst.pickup_dates()) if bulk else st.none(),
        images=st.lists(
            st.builds(
                ImageUpload,
                content=st.sampled_from([PNG, JPEG, WEBP]),
                media_type=st.just(""),
                description=st.none() | _TEXT.filter(bool),
            ).map(_with_media_type),
            max_size=3 if bulk else 0,
        ),
    )


def _with_media_type(image: ImageUpload) -> ImageUpload:
    kind = {PNG: "png", JPEG: "jpeg", WEBP: "webp"}[image.content]
    return ImageUpload(
        content=image.content, media_type=f"image/{kind}", description=image.description
    )


# gst.emails() can draw a domain label with "--" in its third and fourth characters, which
# email-validator refuses (such labels are reserved for IDNA): they are left out here.
_EMAILS = gst.emails().filter(lambda email: "--" not in email)


@given(item=_items(bulk=False), number=gst.order_numbers(), email=_EMAILS)
def test_valid_single_requests_round_trip(item: CancelItem, number: str, email: str) -> None:
    body = {"number": number, "email": email, **_payload(item)}
    outcome = _outcome(parse_cancellation, body)
    if isinstance(outcome, InvalidRequest):  # only numbers a client cannot send are refused
        assert set(dict(outcome.details)) == {"number"}
        assert not number.strip().isprintable() or not number.strip()
        return
    assert isinstance(outcome, CancellationCommand)
    assert outcome.items == (item,)
    assert outcome.number == number.strip()


@given(
    items=st.lists(_items(bulk=True), min_size=1, max_size=5, unique_by=lambda i: i.order_item),
    pickup_address=st.none() | _IDS,
    loyalty=st.booleans(),
)
def test_valid_bulk_requests_round_trip(
    items: list[CancelItem], pickup_address: int | None, *, loyalty: bool
) -> None:
    body: dict[str, Any] = {
        "number": "2745403029312170",
        "email": EMAIL,
        "cancel_order_items": [_payload(item) for item in items],
        "fully_refund_as_loyalty_money": loyalty,
    }
    if pickup_address is not None:
        body["pickup_address"] = pickup_address
    command = parse_bulk_cancellation(body)
    assert command.items == tuple(items)
    assert command.pickup_address == pickup_address
    assert command.fully_refund_as_loyalty_money is loyalty
    # The same body as form fields (numbers as strings) parses to the same command.
    form = {
        **body,
        "cancel_order_items": [
            {key: str(v) if isinstance(v, int) else v for key, v in entry.items()}
            for entry in body["cancel_order_items"]
        ],
        "fully_refund_as_loyalty_money": "on" if loyalty else "off",
    }
    assert parse_bulk_cancellation(form, form=True) == command
