"""Look up a guest order by number and email."""

from __future__ import annotations

from guest_orders.domain import LookupQuery, OrderSnapshot
from guest_orders.policy import Policy
from guest_orders.ports import (
    AsyncAttemptLimiter,
    AsyncUnitOfWork,
    AttemptLimiter,
    Clock,
    UnitOfWork,
)
from guest_orders.throttling import AsyncNoAttemptLimiter, NoAttemptLimiter
from guest_orders.use_cases._ownership import load_owned_order
from guest_orders.use_cases._steps import Steps, run, run_async, transaction
from guest_orders.use_cases._throttle import throttled

__all__ = ["async_lookup_order", "lookup_order", "lookup_steps"]

_NO_LIMIT = NoAttemptLimiter()
_NO_LIMIT_ASYNC = AsyncNoAttemptLimiter()


def lookup_steps(
    query: LookupQuery, *, clock: Clock, policy: Policy, client: str | None = None
) -> Steps[OrderSnapshot]:
    """The lookup, as steps (see :mod:`guest_orders.use_cases._steps`)."""
    return throttled(
        transaction(load_owned_order(query, policy=policy, clock=clock), read_only=True),
        query.number,
        client,
        operation="lookup",
    )


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
    return run(
        lookup_steps(query, clock=clock, policy=policy, client=client), uow=uow, limiter=limiter
    )


async def async_lookup_order(
    query: LookupQuery,
    *,
    uow: AsyncUnitOfWork,
    clock: Clock,
    policy: Policy,
    limiter: AsyncAttemptLimiter = _NO_LIMIT_ASYNC,
    client: str | None = None,
) -> OrderSnapshot:
    """:func:`lookup_order` over the async ports (the same steps, awaited)."""
    return await run_async(
        lookup_steps(query, clock=clock, policy=policy, client=client),
        uow=uow,
        limiter=limiter,
    )
