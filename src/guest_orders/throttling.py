"""Throttling of ownership guesses: the keys, a no-op limiter and an in-process one.

Order numbers and emails are not secrets, so ownership attempts are counted per order
number and per client; once a key has used up its window, every attempt is refused until
the window passes — even one with the right email, so the refusal is no oracle. Each
attempt is *reserved* before storage is touched and *confirmed* (a failure) or *released*
(not a failure) after the ownership check: see :class:`guest_orders.ports.AttemptLimiter`.
A limiter shared by many processes lives in :mod:`guest_orders.adapters.redis`.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import timedelta
from typing import Final

import attrs
from attrs import validators as v

from guest_orders import logs
from guest_orders.errors import TooManyAttempts
from guest_orders.ports import AttemptReservation, Clock

__all__ = [
    "DEFAULT_MAX_KEYS",
    "IN_FLIGHT_RETRY_AFTER",
    "AsyncInMemoryAttemptLimiter",
    "AsyncNoAttemptLimiter",
    "AttemptLimits",
    "InMemoryAttemptLimiter",
    "NoAttemptLimiter",
    "attempt_keys",
    "retry_after",
]

#: How many keys :class:`InMemoryAttemptLimiter` tracks at most, by default (about 37 MB;
#: measured in ``make bench``, figure 6).
DEFAULT_MAX_KEYS: Final = 100_000

#: How long a refusal caused only by attempts still in flight asks the client to wait.
IN_FLIGHT_RETRY_AFTER: Final = 1

# Expired keys swept per reservation (more only when the cap is reached): enough to keep up
# with the at most two keys a reservation adds, small enough to never stall a request.
_SWEEP_BATCH: Final = 8


@attrs.frozen(kw_only=True)
class AttemptLimits:
    """At most ``max_failures`` failed attempts per key within ``window``."""

    max_failures: int = attrs.field(default=10, validator=v.ge(1))
    window: timedelta = attrs.field(default=timedelta(minutes=15), validator=v.gt(timedelta(0)))


def attempt_keys(number: str, client: str | None) -> list[str]:
    """The keys an attempt counts against. The number is hashed: keys end up in shared
    stores and logs, and hashing bounds their length."""
    digest = hashlib.sha256(number.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    keys = [f"number:{digest}"]
    if client:
        keys.append(
            f"client:{hashlib.sha256(client.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}"
        )
    return keys


def retry_after(
    failures: Sequence[float], in_flight: int, *, now: float, limits: AttemptLimits
) -> int | None:
    """Whole seconds until a key with these failure times and ``in_flight`` attempts has
    an attempt left, or ``None`` when it has one now.

    The key is free once enough of its attempts are gone: a failure leaves the window
    ``window`` after it happened; an attempt in flight is expected to be answered within
    :data:`IN_FLIGHT_RETRY_AFTER`.
    """
    excess = len(failures) + in_flight - limits.max_failures + 1
    if excess <= 0:
        return None
    window = limits.window.total_seconds()
    leaving = sorted([now + IN_FLIGHT_RETRY_AFTER] * in_flight + [t + window for t in failures])
    return max(1, math.ceil(leaving[excess - 1] - now))


class NoAttemptLimiter:
    """Never throttles. For hosts that throttle elsewhere, and for tests."""

    def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        return AttemptReservation(keys=tuple(keys), at=0.0, token="")

    def confirm(self, reservation: AttemptReservation) -> None:
        return None

    def release(self, reservation: AttemptReservation) -> None:
        return None


class _Attempts:
    """The attempts of one key: failure times, in-flight reservation times, and when the
    key was last touched (no attempt of it is newer)."""

    __slots__ = ("failures", "in_flight", "last")

    def __init__(self, now: float) -> None:
        self.failures: list[float] = []
        # Reservation times; None rather than an empty list: most keys have none, and
        # memory per key is what bounds the limiter.
        self.in_flight: list[float] | None = None
        self.last = now

    def prune(self, horizon: float) -> None:
        """Forget what happened at or before ``horizon`` (the start of the window)."""
        if self.failures and self.failures[0] <= horizon:
            self.failures = [t for t in self.failures if t > horizon]
        if self.in_flight and min(self.in_flight) <= horizon:
            # A reservation never confirmed nor released (its caller died) expires too.
            self.in_flight = [t for t in self.in_flight if t > horizon] or None

    def add_in_flight(self, at: float) -> None:
        if self.in_flight is None:
            self.in_flight = [at]
        else:
            self.in_flight.append(at)

    def remove_in_flight(self, at: float) -> None:
        if self.in_flight is not None:
            with contextlib.suppress(ValueError):  # already expired with the window
                self.in_flight.remove(at)
            if not self.in_flight:
                self.in_flight = None


class InMemoryAttemptLimiter:
    """A sliding-window limiter for one process, timed by the clock port.

    Memory is bounded. Keys are kept in the order they were last touched, so the expired
    ones are at the front: each reservation sweeps a few of them (amortised constant time;
    every key is swept at most once per touch). At most ``max_keys`` keys are tracked; when
    that many keys have attempts in the window, a reservation that needs a new key is
    **refused** (:class:`TooManyAttempts`, with the seconds until the oldest key leaves
    the window) rather than let through uncounted — it fails closed, and logs
    ``attempt_limiter_full`` once per episode. Keys already tracked keep working. Size
    ``max_keys`` to the memory you can spare (about 370 bytes per key).
    """

    def __init__(
        self,
        clock: Clock,
        limits: AttemptLimits | None = None,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
    ) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._clock = clock
        self._limits = limits or AttemptLimits()
        self._window = self._limits.window.total_seconds()
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._keys: OrderedDict[str, _Attempts] = OrderedDict()
        self._tokens = itertools.count()
        self._full = False

    def __len__(self) -> int:
        """How many keys are tracked now (expired ones not yet swept included)."""
        return len(self._keys)

    def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        now = self._clock.now().timestamp()
        horizon = now - self._window
        with self._lock:
            self._sweep(horizon, _SWEEP_BATCH)
            waits = []
            new_keys = 0
            for key in keys:
                attempts = self._keys.get(key)
                if attempts is None:
                    new_keys += 1
                    continue
                attempts.prune(horizon)
                wait = retry_after(
                    attempts.failures, len(attempts.in_flight or ()), now=now, limits=self._limits
                )
                if wait is not None:
                    waits.append(wait)
            if waits:
                raise TooManyAttempts(retry_after=max(waits))
            if new_keys and len(self._keys) + new_keys > self._max_keys:
                self._sweep(horizon, None)
                if len(self._keys) + new_keys > self._max_keys:
                    raise TooManyAttempts(retry_after=self._full_for(now))
            self._full = False
            for key in keys:
                attempts = self._keys.get(key)
                if attempts is None:
                    attempts = self._keys[key] = _Attempts(now)
                else:
                    self._keys.move_to_end(key)
                    attempts.last = max(attempts.last, now)
                attempts.add_in_flight(now)
            return AttemptReservation(keys=tuple(keys), at=now, token=str(next(self._tokens)))

    def confirm(self, reservation: AttemptReservation) -> None:
        now = self._clock.now().timestamp()
        with self._lock:
            for key in reservation.keys:
                attempts = self._keys.get(key)
                if attempts is None:
                    attempts = self._keys[key] = _Attempts(now)
                else:
                    attempts.remove_in_flight(reservation.at)
                    self._keys.move_to_end(key)
                    attempts.last = max(attempts.last, now)
                attempts.failures.append(now)

    def release(self, reservation: AttemptReservation) -> None:
        with self._lock:
            for key in reservation.keys:
                attempts = self._keys.get(key)
                if attempts is None:
                    continue
                attempts.remove_in_flight(reservation.at)
                if not attempts.failures and attempts.in_flight is None:
                    del self._keys[key]

    def _sweep(self, horizon: float, limit: int | None) -> None:
        """Forget keys untouched since ``horizon``, oldest first, at most ``limit``."""
        swept = 0
        while self._keys and (limit is None or swept < limit):
            key = next(iter(self._keys))
            if self._keys[key].last > horizon:
                break
            del self._keys[key]
            swept += 1

    def _full_for(self, now: float) -> int:
        oldest = next(iter(self._keys.values()))
        wait = max(1, math.ceil(oldest.last + self._window - now))
        if not self._full:
            self._full = True
            logs.attempt_limiter_full(len(self._keys), wait)
        return wait


class AsyncNoAttemptLimiter:
    """:class:`NoAttemptLimiter` behind :class:`guest_orders.ports.AsyncAttemptLimiter`."""

    _sync = NoAttemptLimiter()

    async def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        return self._sync.reserve(keys)

    async def confirm(self, reservation: AttemptReservation) -> None:
        return None

    async def release(self, reservation: AttemptReservation) -> None:
        return None


class AsyncInMemoryAttemptLimiter:
    """:class:`InMemoryAttemptLimiter` behind :class:`guest_orders.ports.AsyncAttemptLimiter`:
    its work is in memory, so its coroutines never wait. ``sync`` is the wrapped limiter
    (pass one to share its counts with a sync service); the other arguments are
    :class:`InMemoryAttemptLimiter`'s."""

    def __init__(
        self,
        clock: Clock,
        limits: AttemptLimits | None = None,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        sync: InMemoryAttemptLimiter | None = None,
    ) -> None:
        self.sync = (
            sync if sync is not None else InMemoryAttemptLimiter(clock, limits, max_keys=max_keys)
        )

    async def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        return self.sync.reserve(keys)

    async def confirm(self, reservation: AttemptReservation) -> None:
        self.sync.confirm(reservation)

    async def release(self, reservation: AttemptReservation) -> None:
        self.sync.release(reservation)
