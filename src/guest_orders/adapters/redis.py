"""An attempt limiter shared by many processes, on Redis (the ``redis`` extra).

Each key is a sorted set of its attempts (``p:<token>`` in flight, ``f:<token>`` failed),
scored by when they happened, that expires with the window. :meth:`reserve` and
:meth:`confirm` are two small Lua scripts, :data:`RESERVE_SCRIPT` and
:data:`CONFIRM_SCRIPT`: Redis runs a script as one step, so no other client's attempt
slips between the check and the count, in one process or in many.

Why scripts of our own rather than the `limits` library: its moving-window ``hit`` is
atomic for **one** key, but an attempt counts against two (the number and the client) and
must take both or neither; and a reservation must be taken back (:meth:`release`) when
the guest proves ownership, while `limits` can only clear a key's whole window. Neither
fits its primitives.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Sequence
from typing import Final

import redis
import redis.asyncio

from guest_orders.clocks import SystemClock
from guest_orders.errors import TooManyAttempts
from guest_orders.ports import AttemptReservation, Clock
from guest_orders.throttling import IN_FLIGHT_RETRY_AFTER, AttemptLimits

__all__ = ["CONFIRM_SCRIPT", "RESERVE_SCRIPT", "AsyncRedisAttemptLimiter", "RedisAttemptLimiter"]

#: Count one attempt against every key, or none. KEYS: the keys; ARGV: now (seconds since
#: the epoch), window (seconds), max_failures, token, in-flight wait (seconds). Returns 0
#: when counted, else the whole seconds until every key has an attempt left; the wait
#: follows :func:`guest_orders.throttling.retry_after`.
RESERVE_SCRIPT: Final = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local in_flight_wait = tonumber(ARGV[5])
local wait = 0
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local excess = redis.call('ZCARD', key) - limit + 1
  if excess > 0 then
    local entries = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    local leaving = {}
    for i = 1, #entries, 2 do
      if string.sub(entries[i], 1, 2) == 'p:' then
        leaving[#leaving + 1] = now + in_flight_wait
      else
        leaving[#leaving + 1] = tonumber(entries[i + 1]) + window
      end
    end
    table.sort(leaving)
    wait = math.max(wait, 1, math.ceil(leaving[excess] - now))
  end
end
if wait > 0 then
  return wait
end
local ttl = math.ceil(window * 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, 'p:' .. ARGV[4])
  redis.call('PEXPIRE', key, ttl)
end
return 0
"""

#: Turn an attempt in flight into a failure. KEYS: the keys; ARGV: now, window, token.
CONFIRM_SCRIPT: Final = """
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local ttl = math.ceil(window * 1000)
for _, key in ipairs(KEYS) do
  redis.call('ZREM', key, 'p:' .. ARGV[3])
  redis.call('ZADD', key, now, 'f:' .. ARGV[3])
  redis.call('PEXPIRE', key, ttl)
end
return 0
"""


class RedisAttemptLimiter:
    """Attempts counted in Redis, shared by every process that uses the same server and
    ``namespace``.

    Windows are timed by ``clock`` (the clock port; the system clock by default), so the
    processes sharing a Redis should keep their clocks in sync (NTP): a process whose
    clock is off shifts the windows it sees by as much. Keys expire in Redis one window
    after their last attempt, so Redis holds only the keys of the current window.

    Each call sends one command (a script) to Redis. All the keys of one attempt are
    touched by one script, which Redis Cluster allows only within one hash slot: use a
    single Redis server (with replicas if you like), not a cluster.

    ``url``: a ``redis://`` or ``rediss://`` URL, or a ready :class:`redis.Redis`.
    """

    def __init__(
        self,
        url: str | redis.Redis,
        limits: AttemptLimits | None = None,
        *,
        namespace: str = "guest_orders",
        clock: Clock | None = None,
    ) -> None:
        self._redis = redis.Redis.from_url(url) if isinstance(url, str) else url
        self._limits = limits or AttemptLimits()
        self._window = repr(self._limits.window.total_seconds())
        self._prefix = f"{namespace}:attempts:"
        self._clock = clock or SystemClock()
        self._reserve = self._redis.register_script(RESERVE_SCRIPT)
        self._confirm = self._redis.register_script(CONFIRM_SCRIPT)

    def ping(self) -> None:
        """Raise unless Redis answers (a startup check)."""
        self._redis.ping()

    def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        now = self._clock.now().timestamp()
        token = uuid.uuid4().hex
        wait = int(
            self._reserve(
                keys=self._names(keys),
                args=[
                    repr(now),
                    self._window,
                    self._limits.max_failures,
                    token,
                    IN_FLIGHT_RETRY_AFTER,
                ],
            )
        )
        if wait:
            raise TooManyAttempts(retry_after=wait)
        return AttemptReservation(keys=tuple(keys), at=now, token=token)

    def confirm(self, reservation: AttemptReservation) -> None:
        now = self._clock.now().timestamp()
        self._confirm(
            keys=self._names(reservation.keys), args=[repr(now), self._window, reservation.token]
        )

    def release(self, reservation: AttemptReservation) -> None:
        names = self._names(reservation.keys)
        if names:
            with self._redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.zrem(name, f"p:{reservation.token}")
                pipe.execute()

    def clear(self, keys: Sequence[str]) -> None:
        """Forget every attempt of these keys (for support staff and tests)."""
        names = self._names(keys)
        if names:
            self._redis.delete(*names)

    def _names(self, keys: Sequence[str]) -> list[str]:
        return [self._prefix + key for key in keys]


class AsyncRedisAttemptLimiter:
    """:class:`RedisAttemptLimiter` for :class:`guest_orders.AsyncGuestOrders`: the same
    scripts, keys and windows (the two share counts on one Redis and ``namespace``), sent
    with :mod:`redis.asyncio` on the event loop.

    ``url``: a ``redis://`` or ``rediss://`` URL, or a ready :class:`redis.asyncio.Redis`.
    """

    def __init__(
        self,
        url: str | redis.asyncio.Redis,
        limits: AttemptLimits | None = None,
        *,
        namespace: str = "guest_orders",
        clock: Clock | None = None,
    ) -> None:
        self._redis = redis.asyncio.Redis.from_url(url) if isinstance(url, str) else url
        self._limits = limits or AttemptLimits()
        self._window = repr(self._limits.window.total_seconds())
        self._prefix = f"{namespace}:attempts:"
        self._clock = clock or SystemClock()
        self._reserve = self._redis.register_script(RESERVE_SCRIPT)
        self._confirm = self._redis.register_script(CONFIRM_SCRIPT)

    async def ping(self) -> None:
        """Raise unless Redis answers (a startup check)."""
        # ping()'s annotation differs between redis-py releases (an awaitable, or a union
        # with the sync answer): check at run time instead of casting for one of them.
        answer = self._redis.ping()
        if inspect.isawaitable(answer):
            await answer

    async def aclose(self) -> None:
        """Close the client's connections."""
        await self._redis.aclose()

    async def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        now = self._clock.now().timestamp()
        token = uuid.uuid4().hex
        wait = int(
            await self._reserve(
                keys=self._names(keys),
                args=[
                    repr(now),
                    self._window,
                    self._limits.max_failures,
                    token,
                    IN_FLIGHT_RETRY_AFTER,
                ],
            )
        )
        if wait:
            raise TooManyAttempts(retry_after=wait)
        return AttemptReservation(keys=tuple(keys), at=now, token=token)

    async def confirm(self, reservation: AttemptReservation) -> None:
        now = self._clock.now().timestamp()
        await self._confirm(
            keys=self._names(reservation.keys), args=[repr(now), self._window, reservation.token]
        )

    async def release(self, reservation: AttemptReservation) -> None:
        names = self._names(reservation.keys)
        if names:
            async with self._redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.zrem(name, f"p:{reservation.token}")
                await pipe.execute()

    async def clear(self, keys: Sequence[str]) -> None:
        """Forget every attempt of these keys (for support staff and tests)."""
        names = self._names(keys)
        if names:
            await self._redis.delete(*names)

    def _names(self, keys: Sequence[str]) -> list[str]:
        return [self._prefix + key for key in keys]
