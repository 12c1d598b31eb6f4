"""The cache limiter passes the library's limiter contract, sync and async: on the
local-memory cache, and on Redis (shared by processes) when a server is given."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches

from conftest import require_server
from guest_orders.contrib.django.limiter import AsyncCacheAttemptLimiter, CacheAttemptLimiter
from guest_orders.ports import AsyncAttemptLimiter, AttemptLimiter, Clock
from guest_orders.testing.contract import AsyncAttemptLimiterContract, AttemptLimiterContract
from guest_orders.throttling import AttemptLimits


def _limiter(alias: str, clock: Clock, limits: AttemptLimits) -> CacheAttemptLimiter:
    caches[alias]  # fails early when the alias is not configured
    return CacheAttemptLimiter(
        alias=alias, limits=limits, clock=clock, prefix=f"test:{uuid.uuid4().hex}:"
    )


class TestCacheLimiterOnLocalMemory(AttemptLimiterContract):
    alias = "default"

    def make_limiter(self, clock: Clock, limits: AttemptLimits) -> AttemptLimiter:
        return _limiter(self.alias, clock, limits)


def _require_redis() -> None:
    require_server("Redis", "GUEST_ORDERS_TEST_REDIS_URL")


class TestCacheLimiterOnRedis(TestCacheLimiterOnLocalMemory):
    alias = "redis"

    @pytest.fixture(autouse=True)
    def _server(self) -> None:
        _require_redis()


class TestAsyncCacheLimiterOnLocalMemory(AsyncAttemptLimiterContract):
    """The async views' limiter: each call in a worker thread, the burst as many tasks."""

    alias = "default"

    async def make_async_limiter(self, clock: Clock, limits: AttemptLimits) -> AsyncAttemptLimiter:
        return AsyncCacheAttemptLimiter(_limiter(self.alias, clock, limits))


class TestAsyncCacheLimiterOnRedis(TestAsyncCacheLimiterOnLocalMemory):
    alias = "redis"

    @pytest.fixture(autouse=True)
    def _server(self) -> None:
        _require_redis()
