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
    """Refuse before any repository access when the number or client is throttled; count
    an :class:`OrderNotFound` raised inside the block as a failed attempt.

    ``operation`` names the use case in the log records (``lookup``, ``cancellation``).
    """
    keys = attempt_keys(number, client)
    wait = limiter.retry_after(keys)
    if wait is not None:
        logs.throttled(operation, number, client, wait)
        raise TooManyAttempts(retry_after=wait)
    try:
        yield
    except OrderNotFound:
        limiter.record_failure(keys)
        logs.ownership_failed(operation, number, client)
        raise
