"""Properties of ``request_cancellation`` over generated requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _builders import (
    ACTIVE_COMPANY,
    CANCEL_REASON,
    CANCEL_REASON_NEEDS_INFO,
    CANCELLABLE_ITEMS,
    GUEST_ADDRESS,
    GUEST_NUMBER,
    INACTIVE_CANCEL_REASON,
    INACTIVE_COMPANY,
    JPEG,
    NOT_AN_ITEM,
    NOW,
    PNG,
    REFUND_REASON,
    REFUND_REASON_NEEDS_INFO,
    REFUNDABLE_ITEMS,
    REGISTERED_NUMBER,
    SECOND_ACTIVE_COMPANY,
    STANDARD_ITEMS,
    UNKNOWN_ADDRESS,
    UNKNOWN_COMPANY,
    UNKNOWN_REASON,
    VALID_IBAN,
    World,
    bulk,
    codes_by_path,
    new_store,
    single,
    stored_request,
)
from guest_orders.domain import (
    CancelItem,
    CancellationCommand,
    CancellationRequest,
    CancellationType,
    Iban,
    PickupDate,
)
from guest_orders.errors import GuestOrderError, InvalidRequest
from guest_orders.policy import Policy

LOYALTY = Policy(loyalty_money_enabled=True)
ALL_ITEMS = (*STANDARD_ITEMS, NOT_AN_ITEM)

descriptions = st.none() | st.text(max_size=30)
explained = st.text(min_size=1, max_size=30).filter(lambda text: text.strip() != "")
pickup_dates = st.builds(
    PickupDate,
    date=st.dates(min_value=NOW.date(), max_value=NOW.date() + timedelta(days=30)),
    start=st.just(time(9)),
    end=st.sampled_from([time(12), time(18)]),
)


@st.composite
def valid_item(draw: st.DrawFn, pk: int) -> CancelItem:
    """A valid item for ``pk`` of the guest order (which is cancellable or refundable)."""
    quantity = draw(st.none() | st.integers(1, STANDARD_ITEMS[pk][1]))
    images = draw(st.lists(st.sampled_from([PNG, JPEG]), max_size=2))
    if pk in CANCELLABLE_ITEMS:
        reason = draw(st.sampled_from([CANCEL_REASON, CANCEL_REASON_NEEDS_INFO]))
        description = draw(explained if reason == CANCEL_REASON_NEEDS_INFO else descriptions)
        return CancelItem(
            order_item=pk,
            reason=reason,
            cancellation_type=CancellationType.CANCEL,
            description=description,
            quantity=quantity,
            images=images,
        )
    reason = draw(st.sampled_from([REFUND_REASON, REFUND_REASON_NEEDS_INFO]))
    description = draw(explained if reason == REFUND_REASON_NEEDS_INFO else descriptions)
    return CancelItem(
        order_item=pk,
        reason=reason,
        cancellation_type=CancellationType.REFUND,
        description=description,
        shipping_company=draw(st.sampled_from([ACTIVE_COMPANY, SECOND_ACTIVE_COMPANY])),
        quantity=quantity,
        pickup_date=draw(st.none() | pickup_dates),
        images=images,
    )


@st.composite
def valid_bulk(draw: st.DrawFn) -> CancellationCommand:
    pks = draw(
        st.lists(st.sampled_from((*CANCELLABLE_ITEMS, *REFUNDABLE_ITEMS)), min_size=1, unique=True)
    )
    items = [draw(valid_item(pk)) for pk in pks]
    has_refund = any(i.cancellation_type is CancellationType.REFUND for i in items)
    return bulk(
        *items,
        pickup_address=draw(st.sampled_from([None, GUEST_ADDRESS])) if has_refund else None,
        fully_refund_as_loyalty_money=draw(st.booleans()) if has_refund else False,
    )


def matches(created: CancellationRequest, item: CancelItem, command: CancellationCommand) -> bool:
    return (
        created.order_item == item.order_item
        and created.reason == item.reason
        and created.cancellation_type is item.cancellation_type
        and created.description == item.description
        and created.quantity == item.quantity
        and created.pickup_date == item.pickup_date
        and created.pickup_address == command.pickup_address
        and created.fully_refund_as_loyalty_money is command.fully_refund_as_loyalty_money
        and len(created.images) == len(item.images)
        and (created.easy_return is not None) == (item.shipping_company is not None)
        and created.created_date == NOW
    )


@given(command=valid_bulk())
def test_valid_bulk_request_creates_one_active_request_per_item(
    command: CancellationCommand,
) -> None:
    world = World(policy=LOYALTY)
    created = world.cancel(command)
    active = world.active_by_item()
    assert sorted(active) == sorted(i.order_item for i in command.items)
    assert all(len(requests) == 1 for requests in active.values())
    assert len(world.stored) == len(command.items)
    assert len(created) == len(command.items)
    for request, item in zip(created, command.items, strict=True):
        assert matches(request, item, command)
        assert [world.images.images[ref.image] for ref in request.images] == list(item.images)
    assert len(world.images.images) == sum(len(i.images) for i in command.items)


# --- failing requests store nothing -----------------------------------------------------

# A way to break one item: (name, applies to the item?, break it, the code it must cause).
Breakage = tuple[str, Callable[[CancelItem], bool], Callable[[CancelItem], CancelItem], str]


def _is_refund(item: CancelItem) -> bool:
    return item.cancellation_type is CancellationType.REFUND


def _always(_item: CancelItem) -> bool:
    return True


def _past(item: CancelItem) -> CancelItem:
    return attrs.evolve(
        item, pickup_date=PickupDate(date=date(2024, 1, 1), start=time(9), end=time(10))
    )


def _flip_type(item: CancelItem) -> CancelItem:
    if _is_refund(item):
        return attrs.evolve(
            item,
            cancellation_type=CancellationType.CANCEL,
            reason=CANCEL_REASON,
            shipping_company=None,
            pickup_date=None,
        )
    return attrs.evolve(
        item,
        cancellation_type=CancellationType.REFUND,
        reason=REFUND_REASON,
        shipping_company=ACTIVE_COMPANY,
    )


def _too_many(item: CancelItem) -> CancelItem:
    return attrs.evolve(item, quantity=STANDARD_ITEMS[item.order_item][1] + 1)


BREAKAGES: list[Breakage] = [
    (
        "foreign item",
        _always,
        lambda i: attrs.evolve(i, order_item=NOT_AN_ITEM),
        "order_item_not_in_order",
    ),
    ("unknown reason", _always, lambda i: attrs.evolve(i, reason=UNKNOWN_REASON), "invalid_reason"),
    (
        "inactive reason",
        lambda i: not _is_refund(i),
        lambda i: attrs.evolve(i, reason=INACTIVE_CANCEL_REASON),
        "invalid_reason",
    ),
    (
        "reason of the other type",
        _always,
        lambda i: attrs.evolve(i, reason=CANCEL_REASON if _is_refund(i) else REFUND_REASON),
        "reason_type_mismatch",
    ),
    (
        "blank description",
        _always,
        lambda i: attrs.evolve(
            i,
            reason=REFUND_REASON_NEEDS_INFO if _is_refund(i) else CANCEL_REASON_NEEDS_INFO,
            description=" ",
        ),
        "description_required",
    ),
    ("too many", _always, _too_many, "quantity_exceeds_item"),
    ("type not allowed", _always, _flip_type, "item_not_cancellable"),
    (
        "no carrier",
        _is_refund,
        lambda i: attrs.evolve(i, shipping_company=None),
        "shipping_company_required",
    ),
    (
        "inactive carrier",
        _is_refund,
        lambda i: attrs.evolve(i, shipping_company=INACTIVE_COMPANY),
        "invalid_shipping_company",
    ),
    (
        "unknown carrier",
        _is_refund,
        lambda i: attrs.evolve(i, shipping_company=UNKNOWN_COMPANY),
        "invalid_shipping_company",
    ),
    (
        "carrier on cancel",
        lambda i: not _is_refund(i),
        lambda i: attrs.evolve(i, shipping_company=ACTIVE_COMPANY),
        "shipping_company_not_allowed",
    ),
    ("past pickup", _is_refund, _past, "pickup_date_in_past"),
    ("pickup on cancel", lambda i: not _is_refund(i), _past, "pickup_date_not_allowed"),
    ("iban on card", _always, lambda i: attrs.evolve(i, iban=Iban(VALID_IBAN)), "iban_not_allowed"),
    (
        "holder on card",
        _always,
        lambda i: attrs.evolve(i, holder_name="Somebody"),
        "holder_name_not_allowed",
    ),
]


def expected_code(breakage: Breakage, item: CancelItem) -> str:
    name, _, _, code = breakage
    if name == "type not allowed" and not _is_refund(item):
        return "item_not_refundable"
    return code


@st.composite
def broken_bulk(draw: st.DrawFn) -> tuple[CancellationCommand, dict[int, str]]:
    """A valid bulk request with some items broken; the code each broken index must show."""
    command = draw(valid_bulk())
    items = list(command.items)
    broken_indices = draw(
        st.lists(st.sampled_from(range(len(items))), min_size=1, max_size=3, unique=True)
    )
    expected: dict[int, str] = {}
    for index in broken_indices:
        item = items[index]
        breakage = draw(st.sampled_from([b for b in BREAKAGES if b[1](item)]))
        items[index] = breakage[2](item)
        expected[index] = expected_code(breakage, item)
    return attrs.evolve(command, items=items), expected


@given(case=broken_bulk())
def test_a_failing_bulk_request_stores_nothing_and_names_each_broken_item(
    case: tuple[CancellationCommand, dict[int, str]],
) -> None:
    command, expected = case
    world = World(policy=LOYALTY)
    with pytest.raises(InvalidRequest) as caught:
        world.cancel(command)
    assert world.stored == []
    assert world.images.images == {}
    per_item = caught.value.errors["cancel_order_items"]
    assert isinstance(per_item, list)
    assert len(per_item) == len(command.items)
    codes = codes_by_path(caught.value)
    for index in range(len(command.items)):
        prefix = f"cancel_order_items[{index}]."
        found = {c for path, cs in codes.items() if path.startswith(prefix) for c in cs}
        if index in expected:
            assert expected[index] in found
        else:
            assert per_item[index] == {}
            assert found == set()


@given(command=valid_bulk(), top=st.sampled_from(["address", "loyalty", "active"]))
def test_a_request_failing_for_any_reason_stores_nothing(
    command: CancellationCommand, top: str
) -> None:
    seeded: list[CancellationRequest] = []
    policy = LOYALTY
    if top == "address":
        refund = next((i for i in command.items if _is_refund(i)), None)
        if refund is None:
            command = attrs.evolve(command, pickup_address=GUEST_ADDRESS)
            code = "pickup_address_not_allowed"
        else:
            command = attrs.evolve(command, pickup_address=UNKNOWN_ADDRESS)
            code = "invalid_pickup_address"
    elif top == "loyalty":
        command = attrs.evolve(command, fully_refund_as_loyalty_money=True)
        policy = Policy()
        code = "loyalty_money_disabled"
    else:
        seeded = [stored_request(command.items[-1].order_item)]
        code = "cancellation_request_100_1"
    world = World(store=new_store(cancellation_requests=seeded), policy=policy)
    before = world.stored
    with pytest.raises(InvalidRequest) as caught:
        world.cancel(command)
    assert code in {d.code for _, d in caught.value.details}
    assert world.stored == before
    assert world.images.images == {}


# --- no sequence of requests ever leaves two active requests on one item ----------------


@st.composite
def any_item(draw: st.DrawFn) -> CancelItem:
    """An item that may or may not be valid."""
    pk = draw(st.sampled_from(ALL_ITEMS))
    kind = draw(st.sampled_from(CancellationType))
    refund = kind is CancellationType.REFUND
    return CancelItem(
        order_item=pk,
        reason=draw(st.sampled_from([REFUND_REASON if refund else CANCEL_REASON, UNKNOWN_REASON])),
        cancellation_type=kind,
        shipping_company=draw(st.sampled_from([ACTIVE_COMPANY, None])) if refund else None,
        quantity=draw(st.none() | st.integers(1, 3)),
        images=draw(st.lists(st.just(PNG), max_size=1)),
    )


@st.composite
def any_command(draw: st.DrawFn) -> CancellationCommand:
    number = draw(st.sampled_from([GUEST_NUMBER, GUEST_NUMBER, GUEST_NUMBER, REGISTERED_NUMBER]))
    if draw(st.booleans()):
        return single(draw(any_item()), number=number)
    return bulk(*draw(st.lists(any_item(), min_size=1, max_size=4)), number=number)


@given(commands=st.lists(any_command(), min_size=1, max_size=12))
def test_no_sequence_of_requests_leaves_two_active_requests_on_an_item(
    commands: list[CancellationCommand],
) -> None:
    world = World()
    for command in commands:
        before = world.stored
        active_before = set(world.active_by_item())
        try:
            created = world.cancel(command)
        except GuestOrderError:
            assert world.stored == before
        else:
            listed = {i.order_item for i in command.items}
            assert not listed & active_before
            assert len(created) == len(command.items) == len(listed)
            assert world.stored == before + created
        assert all(len(requests) == 1 for requests in world.active_by_item().values())
        refs = {ref.image for request in world.stored for ref in request.images}
        assert set(world.images.images) == refs
