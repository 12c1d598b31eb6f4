"""Consult the attempt limiter around an ownership check."""

from __future__ import annotations

from typing import TypeVar

from guest_orders import logs
from guest_orders.errors import OrderNotFound, TooManyAttempts
from guest_orders.ports import AttemptReservation
from guest_orders.throttling import attempt_keys
from guest_orders.use_cases._steps import Steps, limiter_call

__all__ = ["throttled"]

T = TypeVar("T")


def throttled(body: Steps[T], number: str, client: str | None, *, operation: str) -> Steps[T]:
    """Reserve an attempt for the number and client before any repository access
    (refused with :class:`TooManyAttempts` when either has none left); when ``body``
    raises :class:`OrderNotFound` confirm it as a failure, otherwise release it.

    ``operation`` names the use case in the log records (``lookup``, ``cancellation``).
    """
    try:
        reservation: AttemptReservation = yield from limiter_call(
            "reserve", attempt_keys(number, client)
        )
    except TooManyAttempts as refused:
        logs.throttled(operation, number, client, refused.retry_after)
        raise
    try:
        result = yield from body
    except OrderNotFound:
        yield from limiter_call("confirm", reservation)
        logs.ownership_failed(operation, number, client)
        raise
    except BaseException:
        yield from limiter_call("release", reservation)
        raise
    yield from limiter_call("release", reservation)
    return result
