"""Consult the attempt limiter around an ownership check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from guest_orders import logs
from guest_orders.errors import OrderNotFound, TooManyAttempts
from guest_orders.ports import AttemptLimiter
from guest_orders.throttling import attempt_keys

__all__ = ["throttled"]


@contextmanager
def throttled(
    limiter: AttemptLimiter, number: str, client: str | None, *, operation: str
) -> Iterator[None]:
    """Reserve an attempt for the number and client before any repository access
    (refused with :class:`TooManyAttempts` when either has none left); when the block
    raises :class:`OrderNotFound` confirm it as a failure, otherwise release it.

    ``operation`` names the use case in the log records (``lookup``, ``cancellation``).
    """
    try:
        reservation = limiter.reserve(attempt_keys(number, client))
    except TooManyAttempts as refused:
        logs.throttled(operation, number, client, refused.retry_after)
        raise
    try:
        yield
    except OrderNotFound:
        limiter.confirm(reservation)
        logs.ownership_failed(operation, number, client)
        raise
    except BaseException:
        limiter.release(reservation)
        raise
    limiter.release(reservation)
