"""An attempt limiter on Django's cache framework, shared by every process that shares
the cache (Redis, Memcached; ``LocMemCache`` counts per process).

Failed attempts are counted per key in fixed windows of ``AttemptLimits.window``: one
counter per key and window, created with ``cache.add`` and counted with ``cache.incr``,
both atomic on the shared backends. The file and database cache backends are not atomic
under concurrency: do not use them for this.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence

from django.core.cache import caches

from guest_orders.throttling import AttemptLimits

__all__ = ["CacheAttemptLimiter"]


class CacheAttemptLimiter:
    """Counts failed ownership checks per key in the cache ``alias``.

    Args:
        alias: the cache (``CACHES[alias]``).
        limits: at most ``max_failures`` failures per key within ``window``.
        prefix: of every cache key (keys are hashes: no personal data).
        now: seconds since the epoch (a test passes a fake clock).
    """

    def __init__(
        self,
        *,
        alias: str = "default",
        limits: AttemptLimits | None = None,
        prefix: str = "guest_orders:attempts:",
        now: Callable[[], float] = time.time,
    ) -> None:
        self._alias = alias
        self._limits = limits or AttemptLimits()
        self._prefix = prefix
        self._now = now

    @property
    def _window(self) -> float:
        return self._limits.window.total_seconds()

    def _slot(self, key: str, at: float) -> str:
        return f"{self._prefix}{key}:{int(at // self._window)}"

    def retry_after(self, keys: Sequence[str]) -> int | None:
        now = self._now()
        cache = caches[self._alias]
        counts = cache.get_many([self._slot(key, now) for key in keys])
        if any(count >= self._limits.max_failures for count in counts.values()):
            window_end = (now // self._window + 1) * self._window
            return max(1, math.ceil(window_end - now))
        return None

    def record_failure(self, keys: Sequence[str]) -> None:
        now = self._now()
        cache = caches[self._alias]
        timeout = math.ceil(self._window) + 1
        for key in keys:
            slot = self._slot(key, now)
            cache.add(slot, 0, timeout=timeout)
            try:
                cache.incr(slot)
            except ValueError:  # expired between add and incr: a new window
                cache.add(slot, 1, timeout=timeout)
