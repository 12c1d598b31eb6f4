"""What a successful ``request_cancellation`` stores, and how a lookup shows it after."""

from __future__ import annotations

import re
import uuid
from datetime import time, timedelta

from _builders import (
    ACTIVE_COMPANY,
    APPROVED_ITEM,
    CANCEL_REASON,
    CASH_ITEM,
    CASH_NUMBER,
    DELIVERED_ITEM,
    GUEST_ADDRESS,
    GUEST_EMAIL,
    HOLDER_NAME,
    NOW,
    PNG,
    PREPARING_ITEM,
    REFUND_REASON_NEEDS_INFO,
    SECOND_ACTIVE_COMPANY,
    SHIPPED_ITEM,
    VALID_IBAN,
    WAITING_ITEM,
    World,
    bulk,
    cancel_item,
    cash_refund_item,
    company,
    guest_order,
    refund_item,
    single,
)
from guest_orders.domain import (
    CancellationRequestStatus,
    CancellationType,
    Iban,
    ItemEligibility,
    PickupDate,
)
from guest_orders.policy import Policy

EASY_RETURN_CODE = re.compile(r"[A-HJ-NP-Z2-9]{10}")  # no 0/O, 1/I look-alikes


def test_created_cancel_request_has_every_field() -> None:
    world = World()
    (created,) = world.cancel(
        single(cancel_item(APPROVED_ITEM, description="Changed my mind", quantity=2))
    )
    assert created.id is not None
    assert isinstance(created.uuid, uuid.UUID)
    assert created.order == guest_order().pk
    assert created.order_item == APPROVED_ITEM
    assert created.reason == CANCEL_REASON
    assert created.cancellation_type is CancellationType.CANCEL
    assert created.status is CancellationRequestStatus.WAITING
    assert created.description == "Changed my mind"
    assert created.quantity == 2
    assert created.iban is None
    assert created.holder_name is None
    assert created.easy_return is None
    assert created.pickup_address is None
    assert created.pickup_date is None
    assert created.images == ()
    assert created.fully_refund_as_loyalty_money is False
    assert created.created_date == NOW
    assert created.modified_date == NOW
    assert world.stored == [created]


def test_created_refund_request_has_every_field() -> None:
    world = World(policy=Policy(loyalty_money_enabled=True))
    pickup = PickupDate(date=NOW.date() + timedelta(days=2), start=time(9), end=time(12))
    item = refund_item(
        PREPARING_ITEM,
        reason=REFUND_REASON_NEEDS_INFO,
        description="Arrived broken",
        shipping_company=SECOND_ACTIVE_COMPANY,
        quantity=1,
        pickup_date=pickup,
        images=[PNG],
    )
    (created,) = world.cancel(
        bulk(item, pickup_address=GUEST_ADDRESS, fully_refund_as_loyalty_money=True)
    )
    assert created.id is not None
    assert created.order_item == PREPARING_ITEM
    assert created.reason == REFUND_REASON_NEEDS_INFO
    assert created.cancellation_type is CancellationType.REFUND
    assert created.status is CancellationRequestStatus.WAITING
    assert created.description == "Arrived broken"
    assert created.quantity == 1
    assert created.pickup_address == GUEST_ADDRESS
    assert created.pickup_date == pickup
    assert created.fully_refund_as_loyalty_money is True
    assert created.created_date == NOW
    assert created.easy_return is not None
    assert EASY_RETURN_CODE.fullmatch(created.easy_return.code)
    assert created.easy_return.shipping_company == company(SECOND_ACTIVE_COMPANY)
    (ref,) = created.images
    assert world.images.images[ref.image] == PNG


def test_cash_refund_stores_the_bank_account() -> None:
    (created,) = World().cancel(single(cash_refund_item(), number=CASH_NUMBER))
    assert created.order_item == CASH_ITEM
    assert created.iban == Iban(VALID_IBAN)
    assert created.holder_name == HOLDER_NAME


def test_ids_uuids_and_easy_return_codes_are_distinct() -> None:
    world = World()
    created = world.cancel(
        bulk(refund_item(PREPARING_ITEM), refund_item(SHIPPED_ITEM), refund_item(DELIVERED_ITEM))
    )
    assert len({r.id for r in created}) == 3
    assert len({r.uuid for r in created}) == 3
    assert len({r.easy_return.code for r in created if r.easy_return}) == 3


def test_created_date_follows_the_clock() -> None:
    world = World()
    world.clock.advance(timedelta(hours=5))
    (created,) = world.cancel(single(cancel_item()))
    assert created.created_date == NOW + timedelta(hours=5)
    assert created.modified_date == created.created_date


def test_bulk_keeps_the_order_of_the_items() -> None:
    items = [cancel_item(WAITING_ITEM), refund_item(SHIPPED_ITEM), cancel_item(APPROVED_ITEM)]
    created = World().cancel(bulk(*items))
    assert [r.order_item for r in created] == [WAITING_ITEM, SHIPPED_ITEM, APPROVED_ITEM]
    assert [r.cancellation_type for r in created] == [i.cancellation_type for i in items]


def test_lookup_shows_the_created_request_and_blocks_the_item() -> None:
    world = World()
    before = world.lookup()
    assert before.eligibility[PREPARING_ITEM] == ItemEligibility(can_cancel=False, can_refund=True)
    assert before.eligibility[APPROVED_ITEM].can_cancel

    created = world.cancel(bulk(refund_item(PREPARING_ITEM), cancel_item(APPROVED_ITEM)))

    after = world.lookup()
    assert dict(after.active_requests) == {r.order_item: r for r in created}
    active = after.active_requests[PREPARING_ITEM]
    assert active.easy_return is not None
    assert active.easy_return.code == created[0].easy_return.code  # type: ignore[union-attr]
    none = ItemEligibility(can_cancel=False, can_refund=False)
    assert after.eligibility[PREPARING_ITEM] == none
    assert after.eligibility[APPROVED_ITEM] == none
    assert after.eligibility[WAITING_ITEM].can_cancel  # other items are untouched
    assert after.eligibility[SHIPPED_ITEM].can_refund


def test_easy_return_only_for_refunds() -> None:
    created = World().cancel(bulk(cancel_item(), refund_item(shipping_company=ACTIVE_COMPANY)))
    assert created[0].easy_return is None
    assert created[1].easy_return is not None


def test_snapshot_repr_shows_no_email_iban_or_holder_name() -> None:
    world = World()
    world.cancel(single(cash_refund_item(), number=CASH_NUMBER))
    snapshot = world.lookup(CASH_NUMBER, GUEST_EMAIL)
    assert CASH_ITEM in snapshot.active_requests
    text = repr(snapshot)
    assert GUEST_EMAIL not in text
    assert "Guest.Buyer" not in text
    assert VALID_IBAN not in text
    assert HOLDER_NAME not in text
