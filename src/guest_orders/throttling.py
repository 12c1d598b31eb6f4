"""Throttling of ownership guesses: the keys, a no-op limiter and an in-process one.

Order numbers and emails are not secrets, so failed ownership checks are counted per order
number and per client; past the limit, every attempt is refused until the window passes —
even one with the right email, so the refusal is no oracle. A limiter shared by many
processes lives in :mod:`guest_orders.adapters.redis`.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import deque
from collections.abc import Sequence
from datetime import timedelta

import attrs
from attrs import validators as v

from guest_orders.ports import Clock

__all__ = [
    "AsyncInMemoryAttemptLimiter",
    "AsyncNoAttemptLimiter",
    "AttemptLimits",
    "InMemoryAttemptLimiter",
    "NoAttemptLimiter",
    "attempt_keys",
]


@attrs.frozen(kw_only=True)
class AttemptLimits:
    """At most ``max_failures`` failed attempts per key within ``window``."""

    max_failures: int = attrs.field(default=10, validator=v.ge(1))
    window: timedelta = attrs.field(default=timedelta(minutes=15), validator=v.gt(timedelta(0)))


def attempt_keys(number: str, client: str | None) -> list[str]:
    """The keys a failed attempt counts against. The number is hashed: keys end up in
    shared stores and logs, and hashing bounds their length."""
    digest = hashlib.sha256(number.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    keys = [f"number:{digest}"]
    if client:
        keys.append(
            f"client:{hashlib.sha256(client.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"
        )
    return keys


class NoAttemptLimiter:
    """Never throttles. For hosts that throttle elsewhere, and for tests."""

    def retry_after(self, keys: Sequence[str]) -> int | None:
        return None

    def record_failure(self, keys: Sequence[str]) -> None:
        return None


class InMemoryAttemptLimiter:
    """A sliding-window limiter for one process, timed by the clock port."""

    def __init__(self, clock: Clock, limits: AttemptLimits | None = None) -> None:
        self._clock = clock
        self._limits = limits or AttemptLimits()
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, keys: Sequence[str]) -> int | None:
        now = self._clock.now().timestamp()
        window = self._limits.window.total_seconds()
        waits = []
        with self._lock:
            for key in keys:
                failures = self._prune(key, now, window)
                if failures is not None and len(failures) >= self._limits.max_failures:
                    # The key is free once enough of its oldest failures leave the window.
                    oldest_blocking = failures[len(failures) - self._limits.max_failures]
                    waits.append(max(1, math.ceil(oldest_blocking + window - now)))
        return max(waits) if waits else None

    def record_failure(self, keys: Sequence[str]) -> None:
        now = self._clock.now().timestamp()
        window = self._limits.window.total_seconds()
        with self._lock:
            for key in keys:
                self._prune(key, now, window)
                self._failures.setdefault(key, deque()).append(now)

    def _prune(self, key: str, now: float, window: float) -> deque[float] | None:
        failures = self._failures.get(key)
        if failures is None:
            return None
        while failures and failures[0] <= now - window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures


class AsyncNoAttemptLimiter:
    """:class:`NoAttemptLimiter` behind :class:`guest_orders.ports.AsyncAttemptLimiter`."""

    async def retry_after(self, keys: Sequence[str]) -> int | None:
        return None

    async def record_failure(self, keys: Sequence[str]) -> None:
        return None


class AsyncInMemoryAttemptLimiter:
    """:class:`InMemoryAttemptLimiter` behind :class:`guest_orders.ports.AsyncAttemptLimiter`:
    its work is in memory, so its coroutines never wait. ``sync`` is the wrapped limiter
    (give one to share its counts with a sync service)."""

    def __init__(
        self,
        clock: Clock,
        limits: AttemptLimits | None = None,
        *,
        sync: InMemoryAttemptLimiter | None = None,
    ) -> None:
        self.sync = sync if sync is not None else InMemoryAttemptLimiter(clock, limits)

    async def retry_after(self, keys: Sequence[str]) -> int | None:
        return self.sync.retry_after(keys)

    async def record_failure(self, keys: Sequence[str]) -> None:
        self.sync.record_failure(keys)
