"""What a guest may ask for an item: :meth:`Policy.eligibility` and the snapshot's flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _builders import NOW, order, order_item, stored_request
from guest_orders.domain import (
    CancellationRequestStatus,
    ItemEligibility,
    OrderSnapshot,
    OrderStatus,
)
from guest_orders.policy import EmailMatch, Policy

# The default policy, spelled out from the domain notes (section 2), by status code.
DEFAULT_CANCEL = {"200", "300", "350", "400"}
DEFAULT_REFUND = {"450", "500", "510", "520", "540", "550"}


@pytest.mark.parametrize("status", list(OrderStatus), ids=lambda s: f"{s.value}-{s.name}")
def test_default_policy_for_every_status(status: OrderStatus) -> None:
    eligibility = Policy().eligibility(order_item(1, status), None, NOW)
    assert eligibility == ItemEligibility(
        can_cancel=status.value in DEFAULT_CANCEL,
        can_refund=status.value in DEFAULT_REFUND,
    )


def test_observed_platform_examples() -> None:
    # From the platform's example payloads: approved is cancellable only, preparing
    # refundable only.
    policy = Policy()
    assert policy.eligibility(order_item(1, OrderStatus.APPROVED), None, NOW) == ItemEligibility(
        can_cancel=True, can_refund=False
    )
    assert policy.eligibility(order_item(1, OrderStatus.PREPARING), None, NOW) == ItemEligibility(
        can_cancel=False, can_refund=True
    )


@pytest.mark.parametrize("status", list(OrderStatus), ids=lambda s: f"{s.value}-{s.name}")
@pytest.mark.parametrize(
    "request_status", [CancellationRequestStatus.WAITING, CancellationRequestStatus.APPROVED]
)
def test_nothing_is_allowed_with_an_active_request(
    status: OrderStatus, request_status: CancellationRequestStatus
) -> None:
    active = stored_request(1, status=request_status)
    everything = Policy(cancellable_statuses=OrderStatus, refundable_statuses=OrderStatus)
    for policy in (Policy(), everything):
        assert policy.eligibility(order_item(1, status), active, NOW) == ItemEligibility(
            can_cancel=False, can_refund=False
        )


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.REFUNDED])
def test_cancelled_and_refunded_items_allow_nothing_even_if_configured(
    status: OrderStatus,
) -> None:
    everything = Policy(cancellable_statuses=OrderStatus, refundable_statuses=OrderStatus)
    assert everything.eligibility(order_item(1, status), None, NOW) == ItemEligibility(
        can_cancel=False, can_refund=False
    )


@given(
    cancellable=st.frozensets(st.sampled_from(OrderStatus)),
    refundable=st.frozensets(st.sampled_from(OrderStatus)),
    status=st.sampled_from(OrderStatus),
)
def test_custom_policy_follows_its_status_sets(
    cancellable: frozenset[OrderStatus],
    refundable: frozenset[OrderStatus],
    status: OrderStatus,
) -> None:
    policy = Policy(cancellable_statuses=cancellable, refundable_statuses=refundable)
    final = status in {OrderStatus.CANCELLED, OrderStatus.REFUNDED}
    assert policy.eligibility(order_item(1, status), None, NOW) == ItemEligibility(
        can_cancel=not final and status in cancellable,
        can_refund=not final and status in refundable,
    )


def test_custom_policy_example() -> None:
    policy = Policy(
        cancellable_statuses={OrderStatus.PREPARING}, refundable_statuses={OrderStatus.APPROVED}
    )
    assert policy.eligibility(order_item(1, OrderStatus.PREPARING), None, NOW).can_cancel
    assert policy.eligibility(order_item(1, OrderStatus.APPROVED), None, NOW).can_refund
    assert not policy.eligibility(order_item(1, OrderStatus.APPROVED), None, NOW).can_cancel


# --- return window ----------------------------------------------------------------------


def test_return_window_is_off_by_default() -> None:
    assert Policy().return_window is None
    long_ago = order_item(1, OrderStatus.DELIVERED, delivered_date=NOW - timedelta(days=3650))
    assert Policy().eligibility(long_ago, None, NOW).can_refund


@pytest.mark.parametrize(
    ("age", "refundable"),
    [
        (timedelta(days=0), True),
        (timedelta(days=13, hours=23), True),
        (timedelta(days=14), True),
        (timedelta(days=14, seconds=1), False),
        (timedelta(days=60), False),
    ],
)
def test_return_window_limits_refunds_after_delivery(*, age: timedelta, refundable: bool) -> None:
    policy = Policy(return_window=timedelta(days=14))
    item = order_item(1, OrderStatus.DELIVERED, delivered_date=NOW - age)
    eligibility = policy.eligibility(item, None, NOW)
    assert eligibility.can_refund is refundable
    assert eligibility.can_cancel is False


def test_return_window_does_not_touch_cancellation() -> None:
    policy = Policy(
        return_window=timedelta(days=1),
        cancellable_statuses={OrderStatus.DELIVERED},
    )
    item = order_item(1, OrderStatus.DELIVERED, delivered_date=NOW - timedelta(days=30))
    assert policy.eligibility(item, None, NOW) == ItemEligibility(can_cancel=True, can_refund=False)


def test_undelivered_items_are_not_limited_by_the_return_window() -> None:
    policy = Policy(return_window=timedelta(days=1))
    assert policy.eligibility(order_item(1, OrderStatus.SHIPPED), None, NOW).can_refund


@pytest.mark.parametrize("window", [timedelta(0), timedelta(days=-1)])
def test_return_window_must_be_positive(window: timedelta) -> None:
    with pytest.raises(ValueError, match="return_window"):
        Policy(return_window=window)


def test_policy_defaults() -> None:
    policy = Policy()
    assert policy.email_match is EmailMatch.NORMALIZED
    assert policy.loyalty_money_enabled is False


# --- snapshot ---------------------------------------------------------------------------


def snapshot(*eligibilities: ItemEligibility) -> OrderSnapshot:
    items = [order_item(pk) for pk in range(1, len(eligibilities) + 1)]
    return OrderSnapshot(
        order=order(items=items),
        active_requests={},
        eligibility={item.pk: e for item, e in zip(items, eligibilities, strict=True)},
        easy_return_shipping_companies=(),
    )


@given(
    flags=st.lists(st.tuples(st.booleans(), st.booleans()), max_size=6),
)
def test_snapshot_flags_are_any_item(flags: list[tuple[bool, bool]]) -> None:
    built = snapshot(*(ItemEligibility(can_cancel=c, can_refund=r) for c, r in flags))
    assert built.is_cancellable is any(c for c, _ in flags)
    assert built.is_refundable is any(r for _, r in flags)


def test_snapshot_flags_examples() -> None:
    none = ItemEligibility(can_cancel=False, can_refund=False)
    cancel = ItemEligibility(can_cancel=True, can_refund=False)
    refund = ItemEligibility(can_cancel=False, can_refund=True)
    assert not snapshot().is_cancellable
    assert not snapshot(none, none).is_refundable
    assert snapshot(none, cancel).is_cancellable
    assert not snapshot(none, cancel).is_refundable
    assert snapshot(refund, none).is_refundable
