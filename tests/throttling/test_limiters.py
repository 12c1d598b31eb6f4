"""The attempt limiters: in-process and on Redis (shared by processes)."""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guest_orders.adapters.redis import RedisAttemptLimiter
from guest_orders.clocks import FixedClock
from guest_orders.ports import AttemptLimiter
from guest_orders.throttling import (
    AttemptLimits,
    InMemoryAttemptLimiter,
    NoAttemptLimiter,
    attempt_keys,
)

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


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
        limiter.record_failure(["k"])
    assert limiter.retry_after(["k"]) is None


@given(max_failures=st.integers(1, 20), window_minutes=st.integers(1, 120))
def test_memory_limiter_blocks_at_the_limit_and_frees_after_the_window(
    max_failures: int, window_minutes: int
) -> None:
    clock = FixedClock(T0)
    window = timedelta(minutes=window_minutes)
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(max_failures=max_failures, window=window))
    for _ in range(max_failures - 1):
        limiter.record_failure(["a"])
        assert limiter.retry_after(["a"]) is None
    limiter.record_failure(["a"])
    wait = limiter.retry_after(["a", "b"])
    assert wait == int(window.total_seconds())
    assert limiter.retry_after(["b"]) is None
    clock.advance(window - timedelta(seconds=1))
    assert limiter.retry_after(["a"]) == 1
    clock.advance(timedelta(seconds=1))
    assert limiter.retry_after(["a"]) is None


def test_memory_limiter_window_slides() -> None:
    clock = FixedClock(T0)
    limiter = InMemoryAttemptLimiter(
        clock, AttemptLimits(max_failures=2, window=timedelta(seconds=60))
    )
    limiter.record_failure(["a"])
    clock.advance(timedelta(seconds=30))
    limiter.record_failure(["a"])
    assert limiter.retry_after(["a"]) == 30
    clock.advance(timedelta(seconds=30))
    assert limiter.retry_after(["a"]) is None
    limiter.record_failure(["a"])
    assert limiter.retry_after(["a"]) == 30


# --- Redis --------------------------------------------------------------------------------


def _redis_limiter(url: str, namespace: str, max_failures: int) -> AttemptLimiter:
    return RedisAttemptLimiter(
        url,
        AttemptLimits(max_failures=max_failures, window=timedelta(seconds=60)),
        namespace=namespace,
    )


def _hammer(url: str, namespace: str, max_failures: int, attempts: int) -> None:
    limiter = _redis_limiter(url, namespace, max_failures)
    for _ in range(attempts):
        limiter.record_failure(["number:shared"])


@pytest.mark.redis
def test_redis_limiter_blocks_at_the_limit(redis_url: str) -> None:
    limiter = _redis_limiter(redis_url, f"t-{uuid.uuid4().hex}", max_failures=3)
    for _ in range(2):
        limiter.record_failure(["number:x"])
        assert limiter.retry_after(["number:x"]) is None
    limiter.record_failure(["number:x"])
    wait = limiter.retry_after(["number:x", "client:y"])
    assert wait is not None
    assert 1 <= wait <= 60
    assert limiter.retry_after(["client:y"]) is None


@pytest.mark.redis
def test_redis_limiter_is_shared_by_two_processes(redis_url: str) -> None:
    namespace = f"t-{uuid.uuid4().hex}"
    max_failures = 40
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_hammer, args=(redis_url, namespace, max_failures, 15))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    # 30 failures from two processes, counted together: 10 more reach the limit of 40.
    limiter = _redis_limiter(redis_url, namespace, max_failures)
    for _ in range(9):
        limiter.record_failure(["number:shared"])
    assert limiter.retry_after(["number:shared"]) is None
    limiter.record_failure(["number:shared"])
    assert limiter.retry_after(["number:shared"]) is not None
