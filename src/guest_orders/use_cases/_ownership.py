"""The uniform ownership check every operation starts with."""

from __future__ import annotations

from guest_orders.domain import DECOY_ORDER, LookupQuery, Order, OrderSnapshot
from guest_orders.domain.emails import emails_match
from guest_orders.errors import OrderNotFound
from guest_orders.policy import EmailMatch, Policy
from guest_orders.ports import Clock
from guest_orders.use_cases._steps import (
    Steps,
    active_requests,
    active_shipping_companies,
    find_order,
)

__all__ = ["load_owned_order"]


def load_owned_order(query: LookupQuery, *, policy: Policy, clock: Clock) -> Steps[OrderSnapshot]:
    """Load the order and what the guest may do with it, or raise :class:`OrderNotFound`.

    Unknown number, a registered customer's order and a wrong email are one failure, and
    every path makes the same port calls in the same order with the same kind of work:
    no early exit that would time differently.
    """
    order = yield from find_order(query.number)
    # With no order, the decoy's attributes are read in its place, and the guest's email is
    # compared with itself: the same validation work as against a stored address of its
    # length. (The decoy's own address took another path: any fixed one has its own
    # length, and an invalid one took validation's cheaper error path.)
    found = order if order is not None else DECOY_ORDER
    stored_email = found.user_email if order is not None else query.email
    # The guest's email, normalized by the wire layer, is compared as it is (validated only
    # when it is not in a normalized form); the stored one, or the guest's, always is.
    email_ok = emails_match(
        query.email,
        stored_email,
        fold_local_ascii=policy.email_match is EmailMatch.CASE_INSENSITIVE,
    )
    is_guest = found.customer.is_guest and order is not None
    owned: Order | None = order if (email_ok and is_guest) else None

    item_pks = [item.pk for item in owned.items] if owned is not None else []
    active = yield from active_requests(item_pks)
    companies = tuple((yield from active_shipping_companies()))
    if owned is None:
        raise OrderNotFound
    now = clock.now()
    eligibility = {
        item.pk: policy.eligibility(item, active.get(item.pk), now) for item in owned.items
    }
    return OrderSnapshot(
        order=owned,
        active_requests=dict(active),
        eligibility=eligibility,
        easy_return_shipping_companies=companies,
    )
