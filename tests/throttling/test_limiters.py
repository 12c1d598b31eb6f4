"""The attempt limiters: in-process and on Redis (shared by processes).

Both run the testing kit's :class:`AttemptLimiterContract`; the Redis one also from two
processes at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from guest_orders.adapters.redis import AsyncRedisAttemptLimiter, RedisAttemptLimiter
from guest_orders.clocks import FixedClock, SystemClock
from guest_orders.errors import TooManyAttempts
from guest_orders.ports import AsyncAttemptLimiter, AttemptLimiter, Clock
from guest_orders.testing.contract import AsyncAttemptLimiterContract, AttemptLimiterContract
from guest_orders.throttling import (
    AsyncInMemoryAttemptLimiter,
    AttemptLimits,
    InMemoryAttemptLimiter,
    NoAttemptLimiter,
    attempt_keys,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_keys_hash_the_number_and_the_client() -> None:
    keys = attempt_keys("2745403029312170", "203.0.113.9")
    assert len(keys) == 2
    assert keys[0].startswith("number:")
    assert keys[1].startswith("client:")
    assert "2745403029312170" not in "".join(keys)
    assert "203.0.113.9" not in "".join(keys)
    assert attempt_keys("2745403029312170", None) == keys[:1]


def test_no_limiter_never_throttles() -> None:
    limiter = NoAttemptLimiter()
    for _ in range(100):
        limiter.confirm(limiter.reserve(["k"]))
    limiter.release(limiter.reserve(["k"]))


# --- in memory ------------------------------------------------------------------------------


class TestInMemoryLimiter(AttemptLimiterContract):
    def make_limiter(self, clock: Clock, limits: AttemptLimits) -> AttemptLimiter:
        return InMemoryAttemptLimiter(clock, limits)


class TestAsyncInMemoryLimiter(AsyncAttemptLimiterContract):
    async def make_async_limiter(self, clock: Clock, limits: AttemptLimits) -> AsyncAttemptLimiter:
        return AsyncInMemoryAttemptLimiter(clock, limits)


def _fail(limiter: InMemoryAttemptLimiter, keys: list[str]) -> None:
    limiter.confirm(limiter.reserve(keys))


def test_memory_limiter_forgets_keys_once_their_window_passed() -> None:
    """Keys that never come back are swept (finding: they stayed for the life of the
    process, about 1.1 KB per failed attempt)."""
    clock = FixedClock(T0)
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(window=MINUTE))
    for index in range(1_000):
        _fail(limiter, attempt_keys(str(index), f"198.51.100.{index % 250}"))
    assert len(limiter) == 1_250
    clock.advance(MINUTE)
    for index in range(200):  # every reservation sweeps a few expired keys
        _fail(limiter, [f"number:later-{index}"])
    assert len(limiter) == 200


def test_memory_limiter_forgets_a_key_whose_attempts_all_succeeded() -> None:
    limiter = InMemoryAttemptLimiter(FixedClock(T0))
    for index in range(100):
        limiter.release(limiter.reserve(attempt_keys(str(index), "198.51.100.1")))
    assert len(limiter) == 0


@given(max_keys=st.integers(1, 40), extra=st.integers(1, 40))
def test_memory_limiter_is_capped_and_fails_closed(max_keys: int, extra: int) -> None:
    clock = FixedClock(T0)
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(window=MINUTE), max_keys=max_keys)
    for index in range(max_keys):
        _fail(limiter, [f"number:{index}"])
    clock.advance(timedelta(seconds=20))
    for index in range(extra):
        with pytest.raises(TooManyAttempts) as refused:
            limiter.reserve([f"number:new-{index}"])
        assert refused.value.retry_after == 40  # until the oldest key leaves the window
        assert len(limiter) == max_keys
    clock.advance(timedelta(seconds=40))
    _fail(limiter, ["number:new-0"])  # the oldest key left: room again
    if max_keys > 1:
        _fail(limiter, [f"number:{max_keys - 1}"])  # a tracked key still works


def test_memory_limiter_reserves_no_key_when_the_cap_refuses_one() -> None:
    clock = FixedClock(T0)
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(max_failures=1), max_keys=2)
    _fail(limiter, ["number:a"])
    limiter.release(limiter.reserve(["number:b"]))
    with pytest.raises(TooManyAttempts):
        limiter.reserve(["number:b", "client:c", "client:d"])
    assert len(limiter) == 1


def test_memory_limiter_logs_once_when_it_fills(caplog: pytest.LogCaptureFixture) -> None:
    clock = FixedClock(T0)
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(window=MINUTE), max_keys=1)
    _fail(limiter, ["number:a"])
    with caplog.at_level(logging.WARNING, logger="guest_orders"):
        for _ in range(3):
            with pytest.raises(TooManyAttempts):
                limiter.reserve(["number:b"])
    events = [getattr(r, "guest_orders_event", None) for r in caplog.records]
    assert events == ["attempt_limiter_full"]
    assert caplog.records[0].__dict__["tracked_keys"] == 1


def test_memory_limiter_expires_a_reservation_never_settled() -> None:
    clock = FixedClock(T0)
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(max_failures=1, window=MINUTE))
    limiter.reserve(["number:a"])  # its caller died
    with pytest.raises(TooManyAttempts):
        limiter.reserve(["number:a"])
    clock.advance(MINUTE)
    _fail(limiter, ["number:a"])


def test_memory_limiter_refuses_a_bad_cap() -> None:
    with pytest.raises(ValueError, match="max_keys"):
        InMemoryAttemptLimiter(FixedClock(T0), max_keys=0)


# --- Redis ---------------------------------------------------------------------------------


@pytest.fixture
def redis_namespace(redis_url: str) -> Iterator[str]:
    """A namespace of this test's own, deleted afterwards."""
    namespace = f"test-{uuid.uuid4().hex}"
    yield namespace
    client = redis.Redis.from_url(redis_url)
    names = list(client.scan_iter(match=f"{namespace}:*"))
    if names:
        client.delete(*names)
    client.close()


@pytest.mark.redis
class TestRedisLimiter(AttemptLimiterContract):
    @pytest.fixture(autouse=True)
    def _server(self, redis_url: str, redis_namespace: str) -> None:
        self.url = redis_url
        self.namespace = redis_namespace

    def make_limiter(self, clock: Clock, limits: AttemptLimits) -> AttemptLimiter:
        return RedisAttemptLimiter(
            self.url, limits, namespace=f"{self.namespace}:{uuid.uuid4().hex}", clock=clock
        )


@pytest.mark.redis
class TestAsyncRedisLimiter(AsyncAttemptLimiterContract):
    """The async Redis limiter: every check through an event loop, the burst as 32 tasks."""

    @pytest.fixture(autouse=True)
    def _server(
        self, event_loop_portal: object, redis_url: str, redis_namespace: str
    ) -> Iterator[None]:
        self.url = redis_url
        self.namespace = redis_namespace
        self.made: list[AsyncRedisAttemptLimiter] = []
        yield
        for limiter in self.made:
            self.portal.call(limiter.aclose)

    async def make_async_limiter(self, clock: Clock, limits: AttemptLimits) -> AsyncAttemptLimiter:
        limiter = AsyncRedisAttemptLimiter(
            self.url, limits, namespace=f"{self.namespace}:{uuid.uuid4().hex}", clock=clock
        )
        self.made.append(limiter)
        return limiter


def _guess(url: str, namespace: str, keys: list[str], start: float, results: object) -> None:
    """One process's share of a burst: reserve at ``start``, confirm if granted."""
    import time  # noqa: PLC0415  # a spawned process imports what it needs

    limiter = RedisAttemptLimiter(url, AttemptLimits(max_failures=10), namespace=namespace)
    time.sleep(max(0.0, start - time.time()))
    try:
        reservation = limiter.reserve(keys)
    except TooManyAttempts:
        results.put(False)  # type: ignore[attr-defined]  # noqa: FBT003
        return
    limiter.confirm(reservation)
    results.put(True)  # type: ignore[attr-defined]  # noqa: FBT003


def _burst_process(url: str, namespace: str, keys: list[str], start: float, out: object) -> None:
    """16 threads of one process guessing at once."""
    import threading  # noqa: PLC0415

    threads = [
        threading.Thread(target=_guess, args=(url, namespace, keys, start, out)) for _ in range(16)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.mark.redis
def test_redis_burst_from_two_processes_gets_at_most_the_limit(
    redis_url: str, redis_namespace: str
) -> None:
    """32 concurrent guesses on one number from one client, split over two processes
    (finding: 10 to 32 of them got ``order_not_found`` before the first refusal)."""
    import time  # noqa: PLC0415

    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    keys = attempt_keys("2745403029312170", "203.0.113.9")
    start = time.time() + 3.0  # spawned interpreters start within that
    workers = [
        context.Process(
            target=_burst_process, args=(redis_url, redis_namespace, keys, start, results)
        )
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in range(32)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert outcomes.count(True) == 10
    limiter = RedisAttemptLimiter(redis_url, namespace=redis_namespace, clock=SystemClock())
    for key in keys:
        with pytest.raises(TooManyAttempts):
            limiter.reserve([key])
