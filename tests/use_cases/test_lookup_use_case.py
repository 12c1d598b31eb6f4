"""``lookup_order``: a guest finds their order; every kind of miss looks the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _builders import (
    ACTIVE_COMPANY,
    APPROVED_ITEM,
    CANCELLED_ITEM,
    DELIVERED_ITEM,
    GUEST_EMAIL,
    GUEST_NUMBER,
    NOW,
    PREPARING_ITEM,
    REGISTERED_NUMBER,
    SECOND_ACTIVE_COMPANY,
    STANDARD_ITEMS,
    UNKNOWN_NUMBER,
    RecordingClock,
    RecordingUnitOfWork,
    World,
    cancel_item,
    guest_order,
    new_store,
    order,
    order_item,
    single,
    stored_request,
)
from guest_orders.adapters.memory import InMemoryStore
from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    CancellationRequestStatus,
    ItemEligibility,
    LookupQuery,
    OrderStatus,
)
from guest_orders.domain.emails import EmailNotValidError, normalize_email
from guest_orders.errors import GuestOrderError, OrderNotFound
from guest_orders.policy import EmailMatch, Policy
from guest_orders.use_cases import (
    list_cancellation_reasons,
    lookup_order,
    request_cancellation,
)


def test_guest_order_is_found() -> None:
    snapshot = World().lookup(GUEST_NUMBER, GUEST_EMAIL)
    assert snapshot.order == guest_order()
    assert snapshot.active_requests == {}
    assert [c.pk for c in snapshot.easy_return_shipping_companies] == [
        ACTIVE_COMPANY,
        SECOND_ACTIVE_COMPANY,
    ]
    assert set(snapshot.eligibility) == set(STANDARD_ITEMS)
    for pk, (status, _quantity) in STANDARD_ITEMS.items():
        assert snapshot.eligibility[pk] == Policy().eligibility(order_item(pk, status), None, NOW)
    assert snapshot.eligibility[APPROVED_ITEM] == ItemEligibility(can_cancel=True, can_refund=False)
    assert snapshot.eligibility[PREPARING_ITEM] == ItemEligibility(
        can_cancel=False, can_refund=True
    )
    assert snapshot.eligibility[CANCELLED_ITEM] == ItemEligibility(
        can_cancel=False, can_refund=False
    )
    assert snapshot.is_cancellable
    assert snapshot.is_refundable


def test_lookup_shows_existing_active_requests_only() -> None:
    active = stored_request(APPROVED_ITEM)
    rejected = stored_request(PREPARING_ITEM, status=CancellationRequestStatus.REJECTED)
    world = World(store=new_store(cancellation_requests=[active, rejected]))
    snapshot = world.lookup()
    assert set(snapshot.active_requests) == {APPROVED_ITEM}
    assert snapshot.active_requests[APPROVED_ITEM].uuid == active.uuid
    assert snapshot.eligibility[APPROVED_ITEM] == ItemEligibility(
        can_cancel=False, can_refund=False
    )
    assert snapshot.eligibility[PREPARING_ITEM].can_refund  # a rejected request blocks nothing


def test_lookup_uses_the_clock_for_the_return_window() -> None:
    world = World(policy=Policy(return_window=timedelta(days=5)))
    assert world.lookup().eligibility[DELIVERED_ITEM].can_refund  # delivered 3 days ago
    world.clock.advance(timedelta(days=3))
    assert not world.lookup().eligibility[DELIVERED_ITEM].can_refund


def test_domain_case_does_not_matter() -> None:
    assert World().lookup(GUEST_NUMBER, "Guest.Buyer@EXAMPLE.COM").order.number == GUEST_NUMBER


def test_local_part_case_matters_by_default() -> None:
    with pytest.raises(OrderNotFound):
        World().lookup(GUEST_NUMBER, "guest.buyer@example.com")


def test_case_insensitive_policy_folds_the_local_part() -> None:
    world = World(policy=Policy(email_match=EmailMatch.CASE_INSENSITIVE))
    assert world.lookup(GUEST_NUMBER, "GUEST.BUYER@example.com").order.number == GUEST_NUMBER


def _found(world: World, email: str) -> bool:
    try:
        world.lookup(GUEST_NUMBER, email)
    except OrderNotFound:
        return False
    return True


_GUEST_SPELLINGS = [
    GUEST_EMAIL,
    "Guest.Buyer@EXAMPLE.COM",
    "guest.buyer@example.com",
    "GUEST.BUYER@Example.com",
    "gUEST.bUYER@example.com",
    " Guest.Buyer@example.com",
    "Guest.Buyer@example.com.",
    '"Guest.Buyer"@example.com',
    "Guest Buyer <Guest.Buyer@example.com>",
    "Guest.Buyer@xn--exampl-gva.com",
]


@given(
    email=st.one_of(st.sampled_from(_GUEST_SPELLINGS), st.emails()),
    match=st.sampled_from(list(EmailMatch)),
)
def test_a_hand_built_query_finds_the_order_only_as_its_normalized_form_does(
    email: str, match: EmailMatch
) -> None:
    """``LookupQuery.email`` is expected normalized, as ``parse_lookup`` gives it; one
    built by hand with another spelling never finds an order that the normalized spelling
    would not (it is validated first, so it finds exactly the same ones)."""
    world = World(policy=Policy(email_match=match))
    try:
        normalized = normalize_email(email)
    except EmailNotValidError:
        normalized = None
    found = _found(world, email)
    if normalized is None:
        assert not found  # the order's email is valid: an invalid spelling is another
    else:
        assert found is _found(world, normalized)


@pytest.mark.parametrize("match", list(EmailMatch))
@pytest.mark.parametrize(
    ("stored", "given_email"),
    [
        ("dilek@example.com", "dılek@example.com"),
        ("strasse@example.com", "straße@example.com"),
        ("dilek@example.com", "ｄｉｌｅｋ@example.com"),
    ],
)
def test_confusable_emails_never_find_the_order(
    match: EmailMatch, stored: str, given_email: str
) -> None:
    store = InMemoryStore(orders=[order(user_email=stored, items=[order_item(1)])])
    world = World(store=store, policy=Policy(email_match=match))
    assert world.lookup(GUEST_NUMBER, stored).order.user_email == stored
    with pytest.raises(OrderNotFound):
        world.lookup(GUEST_NUMBER, given_email)


def test_registered_customers_order_is_not_found_even_with_its_email() -> None:
    with pytest.raises(OrderNotFound):
        World().lookup(REGISTERED_NUMBER, GUEST_EMAIL)


def test_unknown_number_is_not_found() -> None:
    with pytest.raises(OrderNotFound):
        World().lookup(UNKNOWN_NUMBER, GUEST_EMAIL)


def test_wrong_email_is_not_found() -> None:
    with pytest.raises(OrderNotFound):
        World().lookup(GUEST_NUMBER, "someone.else@example.com")


def test_the_miss_error_is_generic() -> None:
    with pytest.raises(OrderNotFound) as caught:
        World().lookup(UNKNOWN_NUMBER, GUEST_EMAIL)
    error = caught.value
    assert error.code == "order_not_found"
    assert str(error) == "We couldn't locate an order with the information provided."
    assert GUEST_EMAIL not in repr(error)
    assert UNKNOWN_NUMBER not in str(error)


# --- the misses are indistinguishable ---------------------------------------------------


def _miss(number: str, email: str) -> tuple[GuestOrderError, list[str]]:
    """Run one lookup that must miss; return the error and the port calls it made."""
    uow = RecordingUnitOfWork(new_store())
    clock = RecordingClock(FixedClock(NOW), uow.log)
    with pytest.raises(OrderNotFound) as caught:
        lookup_order(LookupQuery(number=number, email=email), uow=uow, clock=clock, policy=Policy())
    return caught.value, uow.log


def _observable(error: GuestOrderError) -> tuple[object, ...]:
    return (
        type(error),
        error.code,
        error.message,
        error.http_status,
        str(error),
        repr(error),
        error.args,
        error.errors,
    )


emails = st.emails().filter(lambda e: e.lower() != GUEST_EMAIL.lower())
numbers = st.text("0123456789", min_size=1, max_size=20).filter(
    lambda n: n not in {GUEST_NUMBER, REGISTERED_NUMBER, "2745403029312171"}
)


@given(unknown_number=numbers, wrong_email=emails)
def test_the_three_misses_are_indistinguishable(unknown_number: str, wrong_email: str) -> None:
    misses = [
        _miss(unknown_number, GUEST_EMAIL),  # no such order
        _miss(unknown_number, wrong_email),
        _miss(REGISTERED_NUMBER, GUEST_EMAIL),  # a registered customer's order, right email
        _miss(REGISTERED_NUMBER, wrong_email),
        _miss(GUEST_NUMBER, wrong_email),  # a guest order, wrong email
    ]
    first_error, first_calls = misses[0]
    assert first_calls  # the recorder does record
    for error, calls in misses[1:]:
        assert _observable(error) == _observable(first_error)
        assert calls == first_calls


def test_a_miss_makes_the_same_repository_calls_as_a_hit() -> None:
    _, miss_calls = _miss(UNKNOWN_NUMBER, GUEST_EMAIL)
    uow = RecordingUnitOfWork(new_store())
    clock = RecordingClock(FixedClock(NOW), uow.log)
    lookup_order(
        LookupQuery(number=GUEST_NUMBER, email=GUEST_EMAIL), uow=uow, clock=clock, policy=Policy()
    )
    hit_repository_calls = [c for c in uow.log if c not in {"clock.now", "commit"}]
    assert hit_repository_calls == miss_calls
    assert miss_calls == [
        "transaction(read_only)",  # only reads: a store may take no write lock
        "orders.find_by_number",
        "cancellation_requests.active_for_items",
        "shipping_companies.list_active",
    ]


def test_lookup_of_a_fully_cancelled_order() -> None:
    store = InMemoryStore(
        orders=[order(items=[order_item(1, OrderStatus.CANCELLED)], status=OrderStatus.CANCELLED)]
    )
    snapshot = World(store=store).lookup()
    assert snapshot.order.is_cancelled
    assert not snapshot.is_cancellable
    assert not snapshot.is_refundable


def test_only_the_reads_open_read_only_transactions() -> None:
    """``read_only`` is a promise to the store (on SQLite: no write lock): the lookup and
    the reasons make it, a cancellation, which writes, does not."""
    uow = RecordingUnitOfWork(new_store())
    list_cancellation_reasons(uow=uow)
    lookup_order(
        LookupQuery(number=GUEST_NUMBER, email=GUEST_EMAIL),
        uow=uow,
        clock=FixedClock(NOW),
        policy=Policy(),
    )
    request_cancellation(single(cancel_item()), uow=uow, clock=FixedClock(NOW), policy=Policy())
    transactions = [call for call in uow.log if call.startswith("transaction")]
    assert transactions == ["transaction(read_only)", "transaction(read_only)", "transaction"]
