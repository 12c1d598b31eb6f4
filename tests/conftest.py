"""Test-wide settings: Hypothesis profiles and the servers some tests need.

Profiles: ``default`` (fast, for the edit-test loop), ``ci`` (thorough) and ``floors``
(CI's run on the lowest declared versions), chosen with ``HYPOTHESIS_PROFILE``. Server
URLs come from ``GUEST_ORDERS_TEST_POSTGRES_URL`` and ``GUEST_ORDERS_TEST_REDIS_URL``;
tests that need them skip with a reason when unset.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=50, deadline=None)
# ci: more than the default's examples, once per CI run; 300 took the suite alone to 9
# minutes on 2 cores, most of it in the contract's state machines over real databases.
settings.register_profile(
    "ci",
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
# floors: CI's second run, on every lowest declared version, asks whether each floor
# holds, on every test; the search for inputs is the thorough run's job.
settings.register_profile("floors", max_examples=10, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _server_url(variable: str, what: str) -> str:
    """The URL in ``variable``; skip (or fail, where CI requires every server) if unset."""
    url = os.environ.get(variable)
    if url:
        return url
    reason = f"{what} tests need a server: set {variable} to run them"
    if os.environ.get("GUEST_ORDERS_REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (GUEST_ORDERS_REQUIRE_SERVICES is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """For tests that need PostgreSQL (``GUEST_ORDERS_TEST_POSTGRES_URL``)."""
    return _server_url("GUEST_ORDERS_TEST_POSTGRES_URL", "PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """For tests that need Redis (``GUEST_ORDERS_TEST_REDIS_URL``)."""
    return _server_url("GUEST_ORDERS_TEST_REDIS_URL", "Redis")
