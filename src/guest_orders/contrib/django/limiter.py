"""An attempt limiter on Django's cache framework, shared by every process that shares
the cache (Redis, Memcached; ``LocMemCache`` counts per process).

Each key's attempts (failure times, reservations in flight) are one cache entry, changed
only under a per-key lock taken with ``cache.add`` — atomic on the shared backends, so no
two processes can both take a key's last free attempt. Locks are taken in sorted order
(no deadlock) and expire after ``lock_timeout`` seconds should their holder die. The file
and database cache backends' ``add`` is not atomic under concurrency: do not use them here.

:class:`AsyncCacheAttemptLimiter` is the same limiter for
:class:`guest_orders.AsyncGuestOrders`: each of its calls runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.cache import caches

from guest_orders.clocks import SystemClock
from guest_orders.errors import TooManyAttempts
from guest_orders.ports import AttemptReservation, Clock
from guest_orders.throttling import AttemptLimits, retry_after

__all__ = ["AsyncCacheAttemptLimiter", "CacheAttemptLimiter", "LimiterBusy"]


class LimiterBusy(TooManyAttempts):
    """A key's lock could not be taken in time: refused, failing closed."""

    def __init__(self) -> None:
        super().__init__(retry_after=1)


class CacheAttemptLimiter:
    """A sliding-window :class:`guest_orders.ports.AttemptLimiter` in the cache ``alias``.

    Args:
        alias: the cache (``CACHES[alias]``).
        limits: at most ``max_failures`` failures per key within ``window``.
        clock: where time comes from.
        prefix: of every cache entry (keys are hashes: no personal data).
        lock_timeout: seconds a key's lock lives at most; also how long a reservation
            waits for it before it is refused.
    """

    def __init__(
        self,
        *,
        alias: str = "default",
        limits: AttemptLimits | None = None,
        clock: Clock | None = None,
        prefix: str = "guest_orders:attempts:",
        lock_timeout: float = 5.0,
    ) -> None:
        self._alias = alias
        self._limits = limits or AttemptLimits()
        self._clock = clock or SystemClock()
        self._prefix = prefix
        self._lock_timeout = lock_timeout
        self._window = self._limits.window.total_seconds()

    @property
    def _cache(self) -> Any:
        return caches[self._alias]

    @contextmanager
    def _locked(self, keys: Sequence[str]) -> Iterator[dict[str, dict[str, Any]]]:
        """The entries of ``keys``, each under its lock; written back when the block ends
        normally."""
        cache = self._cache
        token = secrets.token_hex(8)
        held: list[str] = []
        deadline = time.monotonic() + self._lock_timeout
        try:
            for key in sorted(set(keys)):
                lock = f"{self._prefix}lock:{key}"
                pause = 0.0005
                while not cache.add(lock, token, timeout=self._lock_timeout):
                    if time.monotonic() > deadline:
                        raise LimiterBusy
                    time.sleep(pause)
                    pause = min(pause * 2, 0.02)
                held.append(lock)
            names = {key: f"{self._prefix}{key}" for key in keys}
            stored = cache.get_many(list(names.values()))
            entries = {
                key: stored.get(name) or {"failures": [], "in_flight": {}}
                for key, name in names.items()
            }
            yield entries
            timeout = int(self._window) + 60
            cache.set_many({names[key]: entry for key, entry in entries.items()}, timeout=timeout)
        finally:
            for lock in held:
                if cache.get(lock) == token:
                    cache.delete(lock)

    def _prune(self, entry: dict[str, Any], now: float) -> None:
        horizon = now - self._window
        entry["failures"] = [t for t in entry["failures"] if t > horizon]
        entry["in_flight"] = {k: t for k, t in entry["in_flight"].items() if t > horizon}

    def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        now = self._clock.now().timestamp()
        token = secrets.token_hex(16)
        with self._locked(keys) as entries:
            waits = []
            for entry in entries.values():
                self._prune(entry, now)
                wait = retry_after(
                    entry["failures"], len(entry["in_flight"]), now=now, limits=self._limits
                )
                if wait is not None:
                    waits.append(wait)
            if waits:
                raise TooManyAttempts(retry_after=max(waits))
            for entry in entries.values():
                entry["in_flight"][token] = now
        return AttemptReservation(keys=tuple(keys), at=now, token=token)

    def confirm(self, reservation: AttemptReservation) -> None:
        now = self._clock.now().timestamp()
        with self._locked(reservation.keys) as entries:
            for entry in entries.values():
                self._prune(entry, now)
                entry["in_flight"].pop(reservation.token, None)
                entry["failures"].append(now)

    def release(self, reservation: AttemptReservation) -> None:
        now = self._clock.now().timestamp()
        with self._locked(reservation.keys) as entries:
            for entry in entries.values():
                self._prune(entry, now)
                entry["in_flight"].pop(reservation.token, None)


class AsyncCacheAttemptLimiter:
    """``limiter`` (a :class:`CacheAttemptLimiter`) behind
    :class:`guest_orders.ports.AsyncAttemptLimiter`, sharing its counts.

    Each call runs the sync method in a worker thread (:func:`asyncio.to_thread`), locks,
    waits and all, so the event loop never waits on the cache. Django's own async cache
    methods (``aadd``, ``aincr``...) do no better: on every built-in backend they run the
    sync ones in a thread too, one thread hop per cache call where this takes one per
    limiter call.
    """

    def __init__(self, limiter: CacheAttemptLimiter) -> None:
        #: The wrapped sync limiter.
        self.sync = limiter

    async def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        return await asyncio.to_thread(self.sync.reserve, keys)

    async def confirm(self, reservation: AttemptReservation) -> None:
        await asyncio.to_thread(self.sync.confirm, reservation)

    async def release(self, reservation: AttemptReservation) -> None:
        await asyncio.to_thread(self.sync.release, reservation)
