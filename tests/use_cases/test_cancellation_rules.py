"""``request_cancellation``: every rule, once passing and once failing, with its exact code
and path. Single requests have unprefixed paths; bulk ones ``cancel_order_items[i].``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import pytest

from _builders import (
    ACTIVE_COMPANY,
    APPROVED_ITEM,
    CANCEL_REASON,
    CANCEL_REASON_NEEDS_INFO,
    CANCELLED_ITEM,
    CASH_CANCELLABLE_ITEM,
    CASH_ITEM,
    CASH_NUMBER,
    DELIVERED_ITEM,
    GUEST_ADDRESS,
    GUEST_EMAIL,
    GUEST_NUMBER,
    HOLDER_NAME,
    INACTIVE_CANCEL_REASON,
    INACTIVE_COMPANY,
    INACTIVE_REFUND_REASON,
    JPEG,
    NOT_AN_ITEM,
    NOW,
    OTHER_CUSTOMERS_ADDRESS,
    PNG,
    PREPARING_ITEM,
    REFUND_REASON,
    REFUND_REASON_NEEDS_INFO,
    REGISTERED_ITEM,
    REGISTERED_NUMBER,
    SECOND_ACTIVE_COMPANY,
    SHIPPED_ITEM,
    UNKNOWN_ADDRESS,
    UNKNOWN_COMPANY,
    UNKNOWN_NUMBER,
    UNKNOWN_REASON,
    VALID_IBAN,
    WAITING_ITEM,
    World,
    bulk,
    cancel_item,
    cash_refund_item,
    new_store,
    refund_item,
    rejected,
    rejected_codes,
    single,
    stored_request,
)
from guest_orders.domain import (
    CancelItem,
    CancellationCommand,
    CancellationRequestStatus,
    CancellationType,
    Iban,
    PickupDate,
)
from guest_orders.errors import ErrorDetail, InvalidRequest, OrderNotFound
from guest_orders.policy import Policy

ACTIVE_EXISTS = "cancellation_request_100_1"


def accepted(world: World, command: CancellationCommand) -> None:
    created = world.cancel(command)
    assert [r.order_item for r in created] == [i.order_item for i in command.items]
    stored = {r.id: r for r in world.stored}
    for request in created:
        assert request.id is not None
        assert stored[request.id] == request
        assert request.is_active


def both_shapes(item: CancelItem) -> list[tuple[CancellationCommand, str]]:
    """The item as a single request and as the second item of a bulk request (after a
    good one), with the path prefix each reports errors under."""
    good = cancel_item(WAITING_ITEM)
    return [(single(item), ""), (bulk(good, item), "cancel_order_items[1].")]


def assert_rejected_with(item: CancelItem, path: str, code: str) -> None:
    for command, prefix in both_shapes(item):
        world = World()
        error = rejected(world, command)
        assert error.code == code
        assert {p: [d.code for d in ds] for p, ds in _group(error).items()} == {
            prefix + path: [code]
        }


def _group(error: InvalidRequest) -> dict[str, list[ErrorDetail]]:
    out: dict[str, list[ErrorDetail]] = {}
    for path, detail in error.details:
        out.setdefault(path, []).append(detail)
    return out


# --- ownership --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "email"),
    [
        (UNKNOWN_NUMBER, GUEST_EMAIL),
        (REGISTERED_NUMBER, GUEST_EMAIL),
        (GUEST_NUMBER, "other.person@example.com"),
        (GUEST_NUMBER, "guest.buyer@example.com"),  # local part differs in case
    ],
)
@pytest.mark.parametrize("is_bulk", [False, True])
def test_ownership_miss_is_order_not_found(*, number: str, email: str, is_bulk: bool) -> None:
    world = World()
    item = cancel_item(REGISTERED_ITEM if number == REGISTERED_NUMBER else APPROVED_ITEM)
    command = (
        bulk(item, number=number, email=email)
        if is_bulk
        else single(item, number=number, email=email)
    )
    with pytest.raises(OrderNotFound) as caught:
        world.cancel(command)
    assert caught.value.code == "order_not_found"
    assert world.stored == []


def test_ownership_hit_with_any_domain_case() -> None:
    accepted(World(), single(cancel_item(), email="Guest.Buyer@EXAMPLE.com"))


# --- the item belongs to the order ------------------------------------------------------


@pytest.mark.parametrize("pk", [NOT_AN_ITEM, REGISTERED_ITEM, CASH_ITEM])
def test_item_not_in_order(pk: int) -> None:
    assert_rejected_with(cancel_item(pk), "order_item", "order_item_not_in_order")


def test_item_in_order() -> None:
    accepted(World(), single(cancel_item(APPROVED_ITEM)))


def test_item_not_in_order_reports_nothing_else() -> None:
    # A foreign item with every other field wrong too: only the ownership of the item.
    item = cancel_item(NOT_AN_ITEM, reason=UNKNOWN_REASON, shipping_company=UNKNOWN_COMPANY)
    assert rejected_codes(World(), single(item)) == {"order_item": ["order_item_not_in_order"]}


# --- one active request per item --------------------------------------------------------


@pytest.mark.parametrize(
    "status", [CancellationRequestStatus.WAITING, CancellationRequestStatus.APPROVED]
)
def test_existing_active_request_is_refused(status: CancellationRequestStatus) -> None:
    seeded = [stored_request(APPROVED_ITEM, status=status)]
    world = World(store=new_store(cancellation_requests=seeded))
    error = rejected(world, single(cancel_item(APPROVED_ITEM)))
    assert error.code == ACTIVE_EXISTS
    assert [(p, d.code) for p, d in error.details] == [("non_field_errors", ACTIVE_EXISTS)]

    error = rejected(world, bulk(cancel_item(WAITING_ITEM), cancel_item(APPROVED_ITEM)))
    assert error.code == ACTIVE_EXISTS
    assert [(p, d.code) for p, d in error.details] == [
        ("cancel_order_items[1].non_field_errors", ACTIVE_EXISTS)
    ]
    assert error.errors["cancel_order_items"][0] == {}  # type: ignore[index]


@pytest.mark.parametrize(
    "status", [CancellationRequestStatus.REJECTED, CancellationRequestStatus.COMPLETED]
)
def test_finished_request_does_not_block(status: CancellationRequestStatus) -> None:
    world = World(
        store=new_store(cancellation_requests=[stored_request(APPROVED_ITEM, status=status)])
    )
    accepted(world, single(cancel_item(APPROVED_ITEM)))


@pytest.mark.parametrize("is_bulk", [False, True])
def test_same_item_again_after_a_successful_request(*, is_bulk: bool) -> None:
    world = World()
    make = bulk if is_bulk else single
    accepted(world, make(refund_item(PREPARING_ITEM)))
    error = rejected(world, make(refund_item(PREPARING_ITEM)))
    assert error.code == ACTIVE_EXISTS
    prefix = "cancel_order_items[0]." if is_bulk else ""
    assert [(p, d.code) for p, d in error.details] == [(prefix + "non_field_errors", ACTIVE_EXISTS)]
    assert len(world.stored) == 1


def test_active_request_error_is_reported_alone() -> None:
    # An item with an active request is not checked further: no second, noisier error.
    world = World(store=new_store(cancellation_requests=[stored_request(APPROVED_ITEM)]))
    item = cancel_item(APPROVED_ITEM, reason=UNKNOWN_REASON, quantity=99)
    assert rejected_codes(world, single(item)) == {"non_field_errors": [ACTIVE_EXISTS]}


# --- eligibility ------------------------------------------------------------------------


@pytest.mark.parametrize("pk", [PREPARING_ITEM, DELIVERED_ITEM, SHIPPED_ITEM, CANCELLED_ITEM])
def test_item_not_cancellable(pk: int) -> None:
    assert_rejected_with(cancel_item(pk), "cancellation_type", "item_not_cancellable")


@pytest.mark.parametrize("pk", [APPROVED_ITEM, WAITING_ITEM, CANCELLED_ITEM])
def test_item_not_refundable(pk: int) -> None:
    assert_rejected_with(refund_item(pk), "cancellation_type", "item_not_refundable")


@pytest.mark.parametrize("pk", [APPROVED_ITEM, WAITING_ITEM])
def test_cancellable_item_is_cancelled(pk: int) -> None:
    accepted(World(), single(cancel_item(pk)))


@pytest.mark.parametrize("pk", [PREPARING_ITEM, DELIVERED_ITEM, SHIPPED_ITEM])
def test_refundable_item_is_refunded(pk: int) -> None:
    accepted(World(), single(refund_item(pk)))


def test_return_window_closes_refunds() -> None:
    world = World(policy=Policy(return_window=timedelta(days=7)))
    accepted(world, single(refund_item(DELIVERED_ITEM)))  # delivered 3 days ago

    late = World(policy=Policy(return_window=timedelta(days=2)))
    assert rejected_codes(late, single(refund_item(DELIVERED_ITEM))) == {
        "cancellation_type": ["item_not_refundable"]
    }


def test_custom_policy_drives_eligibility() -> None:
    world = World(policy=Policy(cancellable_statuses=(), refundable_statuses=()))
    assert rejected_codes(world, single(cancel_item(APPROVED_ITEM))) == {
        "cancellation_type": ["item_not_cancellable"]
    }


# --- reason -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (cancel_item(reason=UNKNOWN_REASON), "invalid_reason"),
        (cancel_item(reason=INACTIVE_CANCEL_REASON), "invalid_reason"),
        (refund_item(reason=INACTIVE_REFUND_REASON), "invalid_reason"),
        (cancel_item(reason=REFUND_REASON), "reason_type_mismatch"),
        (refund_item(reason=CANCEL_REASON), "reason_type_mismatch"),
    ],
    ids=["unknown", "inactive-cancel", "inactive-refund", "refund-for-cancel", "cancel-for-refund"],
)
def test_reason_rules(item: CancelItem, code: str) -> None:
    assert_rejected_with(item, "reason", code)


@pytest.mark.parametrize("description", [None, "", "   ", "\n\t"])
@pytest.mark.parametrize(
    "item_factory",
    [
        lambda d: cancel_item(reason=CANCEL_REASON_NEEDS_INFO, description=d),
        lambda d: refund_item(reason=REFUND_REASON_NEEDS_INFO, description=d),
    ],
    ids=["cancel", "refund"],
)
def test_description_required_when_the_reason_needs_it(
    description: str | None, item_factory: Callable[[str | None], CancelItem]
) -> None:
    assert_rejected_with(item_factory(description), "description", "description_required")


def test_description_given_when_the_reason_needs_it() -> None:
    world = World()
    item = cancel_item(reason=CANCEL_REASON_NEEDS_INFO, description="Ordered twice by mistake")
    (created,) = world.cancel(single(item))
    assert created.description == "Ordered twice by mistake"
    assert created.reason == CANCEL_REASON_NEEDS_INFO


def test_description_is_optional_otherwise() -> None:
    (created,) = World().cancel(single(cancel_item(reason=CANCEL_REASON)))
    assert created.description is None


# --- easy-return shipping company -------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "code"),
    [
        (refund_item(shipping_company=None), "shipping_company_required"),
        (refund_item(shipping_company=INACTIVE_COMPANY), "invalid_shipping_company"),
        (refund_item(shipping_company=UNKNOWN_COMPANY), "invalid_shipping_company"),
        (cancel_item(shipping_company=ACTIVE_COMPANY), "shipping_company_not_allowed"),
    ],
    ids=["missing", "inactive", "unknown", "on-cancel"],
)
def test_shipping_company_rules(item: CancelItem, code: str) -> None:
    assert_rejected_with(item, "shipping_company", code)


@pytest.mark.parametrize("pk", [ACTIVE_COMPANY, SECOND_ACTIVE_COMPANY])
def test_refund_with_an_active_company(pk: int) -> None:
    (created,) = World().cancel(single(refund_item(shipping_company=pk)))
    assert created.easy_return is not None
    assert created.easy_return.shipping_company.pk == pk


# --- quantity ---------------------------------------------------------------------------


def test_quantity_exceeding_the_item() -> None:
    assert_rejected_with(
        cancel_item(APPROVED_ITEM, quantity=4), "quantity", "quantity_exceeds_item"
    )


@pytest.mark.parametrize("quantity", [1, 2, 3])
def test_quantity_up_to_the_item(quantity: int) -> None:
    (created,) = World().cancel(single(cancel_item(APPROVED_ITEM, quantity=quantity)))
    assert created.quantity == quantity


def test_absent_quantity_means_the_whole_item() -> None:
    (created,) = World().cancel(single(cancel_item(APPROVED_ITEM)))
    assert created.quantity is None


# --- bank account for refunds of cash-paid orders ---------------------------------------


def cash_single(item: CancelItem) -> CancellationCommand:
    return single(item, number=CASH_NUMBER)


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (cash_refund_item(iban=None), {"iban": ["iban_required"]}),
        (cash_refund_item(holder_name=None), {"holder_name": ["holder_name_required"]}),
        (cash_refund_item(holder_name="   "), {"holder_name": ["holder_name_required"]}),
        (
            cash_refund_item(iban=None, holder_name=None),
            {"iban": ["iban_required"], "holder_name": ["holder_name_required"]},
        ),
        (
            cancel_item(CASH_CANCELLABLE_ITEM, iban=Iban(VALID_IBAN)),
            {"iban": ["iban_not_allowed"]},
        ),
        (
            cancel_item(CASH_CANCELLABLE_ITEM, holder_name=HOLDER_NAME),
            {"holder_name": ["holder_name_not_allowed"]},
        ),
    ],
    ids=["no-iban", "no-holder", "blank-holder", "neither", "iban-on-cancel", "holder-on-cancel"],
)
def test_cash_order_bank_account_rules(item: CancelItem, expected: dict[str, list[str]]) -> None:
    assert rejected_codes(World(), cash_single(item)) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (refund_item(iban=Iban(VALID_IBAN)), {"iban": ["iban_not_allowed"]}),
        (refund_item(holder_name=HOLDER_NAME), {"holder_name": ["holder_name_not_allowed"]}),
        (
            cancel_item(iban=Iban(VALID_IBAN), holder_name=HOLDER_NAME),
            {"iban": ["iban_not_allowed"], "holder_name": ["holder_name_not_allowed"]},
        ),
    ],
    ids=["iban-on-card-refund", "holder-on-card-refund", "both-on-card-cancel"],
)
def test_card_order_takes_no_bank_account(item: CancelItem, expected: dict[str, list[str]]) -> None:
    assert rejected_codes(World(), single(item)) == expected


def test_bank_account_paths_in_bulk() -> None:
    command = bulk(
        cancel_item(CASH_CANCELLABLE_ITEM), cash_refund_item(iban=None), number=CASH_NUMBER
    )
    assert rejected_codes(World(), command) == {"cancel_order_items[1].iban": ["iban_required"]}


def test_cash_refund_with_a_bank_account() -> None:
    (created,) = World().cancel(cash_single(cash_refund_item()))
    assert created.iban == Iban(VALID_IBAN)
    assert created.holder_name == HOLDER_NAME


def test_cash_order_cancel_without_a_bank_account() -> None:
    (created,) = World().cancel(cash_single(cancel_item(CASH_CANCELLABLE_ITEM)))
    assert created.iban is None
    assert created.holder_name is None


# --- pickup address ---------------------------------------------------------------------


def test_pickup_address_not_allowed_without_refund_items() -> None:
    command = bulk(cancel_item(APPROVED_ITEM), pickup_address=GUEST_ADDRESS)
    assert rejected_codes(World(), command) == {"pickup_address": ["pickup_address_not_allowed"]}


@pytest.mark.parametrize("address", [OTHER_CUSTOMERS_ADDRESS, UNKNOWN_ADDRESS])
def test_invalid_pickup_address(address: int) -> None:
    command = bulk(refund_item(PREPARING_ITEM), pickup_address=address)
    assert rejected_codes(World(), command) == {"pickup_address": ["invalid_pickup_address"]}


def test_customers_pickup_address_is_stored_on_every_request() -> None:
    command = bulk(
        refund_item(PREPARING_ITEM), cancel_item(APPROVED_ITEM), pickup_address=GUEST_ADDRESS
    )
    created = World().cancel(command)
    assert [r.pickup_address for r in created] == [GUEST_ADDRESS, GUEST_ADDRESS]


def test_top_level_and_item_errors_are_reported_together() -> None:
    command = bulk(refund_item(PREPARING_ITEM, quantity=5), pickup_address=UNKNOWN_ADDRESS)
    assert rejected_codes(World(), command) == {
        "pickup_address": ["invalid_pickup_address"],
        "cancel_order_items[0].quantity": ["quantity_exceeds_item"],
    }


# --- pickup date ------------------------------------------------------------------------


def pickup_on(day: date) -> PickupDate:
    return PickupDate(date=day, start=time(9), end=time(12))


def test_pickup_date_not_allowed_on_cancel() -> None:
    item = cancel_item(pickup_date=pickup_on(NOW.date() + timedelta(days=1)))
    assert_rejected_with(item, "pickup_date", "pickup_date_not_allowed")


@pytest.mark.parametrize("days_ago", [1, 30])
def test_pickup_date_in_the_past(days_ago: int) -> None:
    item = refund_item(pickup_date=pickup_on(NOW.date() - timedelta(days=days_ago)))
    assert_rejected_with(item, "pickup_date", "pickup_date_in_past")


@pytest.mark.parametrize("days_ahead", [0, 1, 10])
def test_pickup_date_today_or_later(days_ahead: int) -> None:
    pickup = pickup_on(NOW.date() + timedelta(days=days_ahead))
    (created,) = World().cancel(single(refund_item(pickup_date=pickup)))
    assert created.pickup_date == pickup


def test_pickup_date_past_is_judged_by_the_clock() -> None:
    world = World()
    tomorrow = pickup_on(NOW.date() + timedelta(days=1))
    world.clock.advance(timedelta(days=2))
    assert rejected_codes(world, single(refund_item(pickup_date=tomorrow))) == {
        "pickup_date": ["pickup_date_in_past"]
    }


# --- loyalty money ----------------------------------------------------------------------


def test_loyalty_money_disabled_by_default() -> None:
    command = bulk(refund_item(PREPARING_ITEM), fully_refund_as_loyalty_money=True)
    assert rejected_codes(World(), command) == {
        "fully_refund_as_loyalty_money": ["loyalty_money_disabled"]
    }


def test_loyalty_money_not_allowed_without_refund_items() -> None:
    world = World(policy=Policy(loyalty_money_enabled=True))
    command = bulk(cancel_item(APPROVED_ITEM), fully_refund_as_loyalty_money=True)
    assert rejected_codes(world, command) == {
        "fully_refund_as_loyalty_money": ["loyalty_money_not_allowed"]
    }


def test_loyalty_money_is_stored_on_every_created_request() -> None:
    world = World(policy=Policy(loyalty_money_enabled=True))
    command = bulk(
        refund_item(PREPARING_ITEM), cancel_item(APPROVED_ITEM), fully_refund_as_loyalty_money=True
    )
    created = world.cancel(command)
    assert [r.fully_refund_as_loyalty_money for r in created] == [True, True]
    assert all(r.fully_refund_as_loyalty_money for r in world.stored)


def test_loyalty_money_is_off_unless_asked() -> None:
    world = World(policy=Policy(loyalty_money_enabled=True))
    created = world.cancel(bulk(refund_item(PREPARING_ITEM)))
    assert [r.fully_refund_as_loyalty_money for r in created] == [False]


# --- images -----------------------------------------------------------------------------


def test_images_are_stored_and_referenced() -> None:
    world = World()
    (created,) = world.cancel(single(refund_item(images=[PNG, JPEG])))
    assert len(created.images) == 2
    assert [world.images.images[ref.image] for ref in created.images] == [PNG, JPEG]
    assert [ref.description for ref in created.images] == [PNG.description, JPEG.description]
    assert len(world.images.images) == 2


def test_images_of_every_item_are_kept_apart() -> None:
    world = World()
    created = world.cancel(bulk(refund_item(images=[PNG]), cancel_item(images=[JPEG, PNG])))
    assert [[world.images.images[ref.image] for ref in r.images] for r in created] == [
        [PNG],
        [JPEG, PNG],
    ]
    assert len({ref.image for r in created for ref in r.images}) == 3


def test_images_are_not_stored_when_validation_fails() -> None:
    world = World()
    rejected(world, bulk(refund_item(images=[PNG]), cancel_item(quantity=9, images=[JPEG])))
    assert world.images.images == {}


# --- many errors at once ----------------------------------------------------------------


def test_every_failing_field_of_an_item_is_reported() -> None:
    item = CancelItem(
        order_item=PREPARING_ITEM,
        reason=UNKNOWN_REASON,
        cancellation_type=CancellationType.CANCEL,
        shipping_company=ACTIVE_COMPANY,
        quantity=3,
        iban=Iban(VALID_IBAN),
        pickup_date=pickup_on(NOW.date()),
    )
    assert rejected_codes(World(), single(item)) == {
        "cancellation_type": ["item_not_cancellable"],
        "reason": ["invalid_reason"],
        "shipping_company": ["shipping_company_not_allowed"],
        "quantity": ["quantity_exceeds_item"],
        "iban": ["iban_not_allowed"],
        "pickup_date": ["pickup_date_not_allowed"],
    }
