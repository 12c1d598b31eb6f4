"""Invariants of cancellation requests, the values they refer to, and the commands."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _builders import (
    GUEST_EMAIL,
    HOLDER_NAME,
    NOW,
    PNG,
    VALID_IBAN,
    cancel_item,
    refund_item,
)
from guest_orders.domain import (
    Address,
    CancelItem,
    CancellationCommand,
    CancellationRequest,
    CancellationRequestStatus,
    CancellationType,
    Iban,
    ImageRef,
    LookupQuery,
    PickupDate,
    mask,
)

PRIVATE_EMAIL = "very.private.person@secret-mail.example"


def request(**overrides: Any) -> CancellationRequest:
    fields: dict[str, Any] = {
        "uuid": uuid.uuid4(),
        "order": 1,
        "order_item": 2,
        "reason": 3,
        "cancellation_type": CancellationType.REFUND,
        "created_date": NOW,
        "modified_date": NOW,
    }
    fields.update(overrides)
    return CancellationRequest(**fields)


def test_a_new_request_gets_its_own_uuid_and_was_never_modified() -> None:
    def new() -> CancellationRequest:
        return CancellationRequest(
            order=1,
            order_item=2,
            reason=3,
            cancellation_type=CancellationType.CANCEL,
            created_date=NOW,
        )

    first, second = new(), new()
    assert first.modified_date == NOW
    assert first.uuid != second.uuid


# --- pickup date ------------------------------------------------------------------------


def test_pickup_date_range_must_start_before_it_ends() -> None:
    pickup = PickupDate(date=date(2024, 6, 20), start=time(9), end=time(12))
    assert (pickup.start, pickup.end) == (time(9), time(12))


@pytest.mark.parametrize(("start", "end"), [(time(12), time(9)), (time(9), time(9))])
def test_pickup_date_rejects_empty_or_reversed_ranges(start: time, end: time) -> None:
    with pytest.raises(ValueError, match="start before"):
        PickupDate(date=date(2024, 6, 20), start=start, end=end)


@given(start=st.times(), end=st.times())
def test_pickup_date_accepts_exactly_the_increasing_ranges(start: time, end: time) -> None:
    if start < end:
        assert PickupDate(date=date(2024, 6, 20), start=start, end=end).end == end
    else:
        with pytest.raises(ValueError, match="start before"):
            PickupDate(date=date(2024, 6, 20), start=start, end=end)


# --- IBAN and masking -------------------------------------------------------------------


def test_iban_repr_and_str_show_only_the_last_four_characters() -> None:
    iban = Iban(VALID_IBAN)
    assert repr(iban) == "Iban('**********************1326')"
    assert str(iban) == "**********************1326"
    assert iban.masked == str(iban)
    assert iban.compact == VALID_IBAN
    assert VALID_IBAN[:-4] not in repr(iban)


@pytest.mark.parametrize("compact", ["", "TR33", "X" * 35])
def test_iban_length_is_bounded(compact: str) -> None:
    with pytest.raises(ValueError, match="compact"):
        Iban(compact)


@given(secret=st.text(max_size=40), visible=st.integers(0, 6))
def test_mask_keeps_length_and_reveals_at_most_the_tail(secret: str, visible: int) -> None:
    masked = mask(secret, visible)
    assert len(masked) == len(secret)
    if len(secret) <= visible:
        assert masked == "*" * len(secret)
    else:
        assert masked.endswith(secret[len(secret) - visible :])
        assert masked[: len(secret) - visible] == "*" * (len(secret) - visible)


# --- personal data in reprs -------------------------------------------------------------


def test_cancellation_request_repr_hides_iban_and_holder_name() -> None:
    created = request(iban=Iban(VALID_IBAN), holder_name=HOLDER_NAME)
    text = repr(created)
    assert VALID_IBAN not in text
    assert "1326" in text  # the masked IBAN is still recognisable
    assert HOLDER_NAME not in text
    assert "Yılmaz" not in text


def test_cancel_item_repr_hides_iban_and_holder_name() -> None:
    text = repr(refund_item(iban=Iban(VALID_IBAN), holder_name=HOLDER_NAME))
    assert VALID_IBAN not in text
    assert HOLDER_NAME not in text


@pytest.mark.parametrize(
    "value",
    [
        LookupQuery(number="1", email=PRIVATE_EMAIL),
        CancellationCommand(number="1", email=PRIVATE_EMAIL, items=[cancel_item()]),
    ],
    ids=["lookup", "cancellation"],
)
def test_commands_repr_hides_the_email(value: object) -> None:
    for text in (repr(value), str(value)):
        assert "very.private" not in text
        assert "secret-mail" not in text
        assert "@" not in text


def test_address_repr_shows_only_its_pk() -> None:
    assert repr(Address(pk=5, customer_id=123456)) == "Address(pk=5)"


def test_image_upload_repr_shows_no_content() -> None:
    assert "PNG" not in repr(PNG)
    assert f"<{len(PNG.content)} bytes>" in repr(PNG)


# --- cancellation request ---------------------------------------------------------------


@pytest.mark.parametrize("status", list(CancellationRequestStatus))
def test_request_is_active_while_waiting_or_approved(status: CancellationRequestStatus) -> None:
    expected = status.value in {"waiting", "approved"}
    assert status.is_active is expected
    assert request(status=status).is_active is expected


def test_request_defaults() -> None:
    created = request()
    assert created.id is None
    assert created.status is CancellationRequestStatus.WAITING
    assert created.quantity is None
    assert created.fully_refund_as_loyalty_money is False
    assert created.images == ()


@pytest.mark.parametrize("quantity", [None, 1, 7])
def test_request_quantity_is_none_or_positive(quantity: int | None) -> None:
    assert request(quantity=quantity).quantity == quantity


@pytest.mark.parametrize("quantity", [0, -1, True, 1.0, "2"])
def test_request_quantity_rejects_the_rest(quantity: object) -> None:
    with pytest.raises(ValueError, match="quantity"):
        request(quantity=quantity)


@pytest.mark.parametrize("field", ["created_date", "modified_date"])
def test_request_datetimes_must_be_timezone_aware(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        request(**{field: datetime(2024, 6, 15, 12)})  # noqa: DTZ001


def test_request_images_become_a_tuple() -> None:
    refs = [ImageRef(image="memory://images/1"), ImageRef(image="memory://images/2")]
    assert request(images=refs).images == tuple(refs)


# --- commands ---------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [0, -3, True])
def test_cancel_item_quantity_must_be_positive(quantity: object) -> None:
    with pytest.raises(ValueError, match="quantity"):
        cancel_item(quantity=quantity)


def test_cancel_item_images_become_a_tuple() -> None:
    item = refund_item(images=[PNG])
    assert item.images == (PNG,)


def test_command_needs_at_least_one_item() -> None:
    with pytest.raises(ValueError, match="at least one"):
        CancellationCommand(number="1", email=GUEST_EMAIL, items=[])


def test_single_command_has_exactly_one_item() -> None:
    one = CancellationCommand(number="1", email=GUEST_EMAIL, items=[cancel_item()], bulk=False)
    assert len(one.items) == 1
    with pytest.raises(ValueError, match="exactly one"):
        CancellationCommand(
            number="1",
            email=GUEST_EMAIL,
            items=[cancel_item(101), cancel_item(105)],
            bulk=False,
        )


def test_command_lookup_carries_number_and_email() -> None:
    command = CancellationCommand(number="N-1", email=GUEST_EMAIL, items=[cancel_item()])
    assert command.lookup == LookupQuery(number="N-1", email=GUEST_EMAIL)
    assert isinstance(command.items[0], CancelItem)
