"""Consult the attempt limiter around an ownership check."""

from __future__ import annotations

from typing import TypeVar

from guest_orders import logs
from guest_orders.errors import OrderNotFound, TooManyAttempts
from guest_orders.throttling import attempt_keys
from guest_orders.use_cases._steps import Steps, limiter_call

__all__ = ["throttled"]

T = TypeVar("T")


def throttled(body: Steps[T], number: str, client: str | None, *, operation: str) -> Steps[T]:
    """Refuse before any repository access when the number or client is throttled; count
    an :class:`OrderNotFound` raised by ``body`` as a failed attempt.

    ``operation`` names the use case in the log records (``lookup``, ``cancellation``).
    """
    keys = attempt_keys(number, client)
    wait: int | None = yield from limiter_call("retry_after", keys)
    if wait is not None:
        logs.throttled(operation, number, client, wait)
        raise TooManyAttempts(retry_after=wait)
    try:
        return (yield from body)
    except OrderNotFound:
        yield from limiter_call("record_failure", keys)
        logs.ownership_failed(operation, number, client)
        raise
