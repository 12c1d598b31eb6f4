"""An attempt limiter shared by many processes, on Redis (the ``redis`` extra).

Built on the `limits` library's moving-window strategy, so the counting is done by its
well-tested Redis scripts rather than by our own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from guest_orders.throttling import AttemptLimits

__all__ = ["RedisAttemptLimiter"]


class RedisAttemptLimiter:
    """Failed attempts counted in Redis, shared by every process that uses the same URL
    and ``namespace``. Windows are timed by the wall clock (Redis-side expiry)."""

    def __init__(
        self,
        url: str,
        limits: AttemptLimits | None = None,
        *,
        namespace: str = "guest_orders",
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        limits = limits or AttemptLimits()
        self._limiter = MovingWindowRateLimiter(storage_from_string(url))
        self._item = RateLimitItemPerSecond(
            limits.max_failures,
            max(1, math.ceil(limits.window.total_seconds())),
            namespace=namespace,
        )
        self._wall_clock = wall_clock

    def retry_after(self, keys: Sequence[str]) -> int | None:
        waits = []
        for key in keys:
            if not self._limiter.test(self._item, key):
                reset_time = self._limiter.get_window_stats(self._item, key).reset_time
                waits.append(max(1, math.ceil(reset_time - self._wall_clock())))
        return max(waits) if waits else None

    def record_failure(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._limiter.hit(self._item, key)

    def clear(self, keys: Sequence[str]) -> None:
        """Forget the failures of these keys (for support staff and tests)."""
        for key in keys:
            self._limiter.clear(self._item, key)
