"""The cache limiter passes the library's limiter contract: on the local-memory cache,
and on Redis (shared by processes) when a server is given."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import caches

from guest_orders.contrib.django.limiter import CacheAttemptLimiter
from guest_orders.ports import AttemptLimiter, Clock
from guest_orders.testing.contract import AttemptLimiterContract
from guest_orders.throttling import AttemptLimits


class TestCacheLimiterOnLocalMemory(AttemptLimiterContract):
    alias = "default"

    def make_limiter(self, clock: Clock, limits: AttemptLimits) -> AttemptLimiter:
        caches[self.alias]  # fails early when the alias is not configured
        return CacheAttemptLimiter(
            alias=self.alias, limits=limits, clock=clock, prefix=f"test:{uuid.uuid4().hex}:"
        )


class TestCacheLimiterOnRedis(TestCacheLimiterOnLocalMemory):
    alias = "redis"

    @pytest.fixture(autouse=True)
    def _server(self) -> None:
        if os.environ.get("GUEST_ORDERS_TEST_REDIS_URL"):
            return
        reason = "Redis tests need a server: set GUEST_ORDERS_TEST_REDIS_URL to run them"
        if os.environ.get("GUEST_ORDERS_REQUIRE_SERVICES"):
            pytest.fail(f"{reason} (GUEST_ORDERS_REQUIRE_SERVICES is set)")
        pytest.skip(reason)
