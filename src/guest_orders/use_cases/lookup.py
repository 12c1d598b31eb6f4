"""Look up a guest order by number and email."""

from __future__ import annotations

from guest_orders.domain import LookupQuery, OrderSnapshot
from guest_orders.policy import Policy
from guest_orders.ports import AttemptLimiter, Clock, UnitOfWork
from guest_orders.throttling import NoAttemptLimiter
from guest_orders.use_cases._ownership import load_owned_order
from guest_orders.use_cases._throttle import throttled

__all__ = ["lookup_order"]

_NO_LIMIT = NoAttemptLimiter()


def lookup_order(
    query: LookupQuery,
    *,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    limiter: AttemptLimiter = _NO_LIMIT,
    client: str | None = None,
) -> OrderSnapshot:
    """The guest's order with what they may do with each item now.

    ``query.email`` is expected normalized, as :func:`guest_orders.wire.parse_lookup`
    gives it (:func:`guest_orders.domain.emails.normalize_email`): it is then compared as
    it is, and only the order's email is validated. A query built by hand with another
    spelling is validated first, so it finds exactly the orders its normalized spelling
    finds, at the cost of one more validation.

    Raises :class:`guest_orders.OrderNotFound` for every kind of miss, and
    :class:`guest_orders.TooManyAttempts` — before touching storage — when the limiter
    says the number or the ``client`` (a key the transport supplies) made too many failed
    attempts.
    """
    with (
        throttled(limiter, query.number, client, operation="lookup"),
        uow.transaction(read_only=True) as repos,
    ):
        return load_owned_order(repos, query, policy=policy, clock=clock)
