"""Test settings of the example shop: Hypothesis profiles and the servers some tests
need (``GUEST_ORDERS_TEST_POSTGRES_URL``; skipped with a reason when unset, failed when
``GUEST_ORDERS_REQUIRE_SERVICES`` is set)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# A whole store is written per example: fewer examples than the library's own suite.
settings.register_profile("default", max_examples=10, deadline=None)
settings.register_profile(
    "ci", max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def require_postgres() -> None:
    """Skip (or fail, where CI requires every server) without PostgreSQL."""
    if os.environ.get("GUEST_ORDERS_TEST_POSTGRES_URL"):
        return
    reason = "PostgreSQL tests need a server: set GUEST_ORDERS_TEST_POSTGRES_URL to run them"
    if os.environ.get("GUEST_ORDERS_REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (GUEST_ORDERS_REQUIRE_SERVICES is set)")
    pytest.skip(reason)


def on_postgres() -> pytest.MarkDecorator:
    """The marker of a test class on the ``postgres`` database, or, without a server, a
    skip with the reason (on the default database, so that ``require_postgres`` can fail
    instead where every server is required)."""
    if os.environ.get("GUEST_ORDERS_TEST_POSTGRES_URL"):
        return pytest.mark.django_db(transaction=True, databases=["postgres"])
    if os.environ.get("GUEST_ORDERS_REQUIRE_SERVICES"):
        return pytest.mark.django_db(transaction=True)
    return pytest.mark.skip(
        reason="PostgreSQL tests need a server: set GUEST_ORDERS_TEST_POSTGRES_URL to run them"
    )


@pytest.fixture(autouse=True)
def _no_attempts_counted() -> None:
    """Every test starts with no failed attempt counted (the limiter's local cache)."""
    from django.core.cache import caches  # noqa: PLC0415  # Django is set up by now

    caches["default"].clear()
