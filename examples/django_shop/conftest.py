"""Test settings of the example shop: Hypothesis profiles and the servers some tests
need (``GUEST_ORDERS_TEST_POSTGRES_URL``; skipped with a reason when unset, failed when
``GUEST_ORDERS_REQUIRE_SERVICES`` is set)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# A whole store is written per example: fewer examples than the library's own suite.
settings.register_profile("default", max_examples=10, deadline=None)
settings.register_profile(
    "ci", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("floors", max_examples=10, deadline=None)  # as the library's
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


POSTGRES = ("PostgreSQL", "GUEST_ORDERS_TEST_POSTGRES_URL")


def _missing(name: str, variable: str) -> str:
    return f"{name} tests need a server: set {variable} to run them"


def require_server(name: str, variable: str) -> None:
    """Skip (or fail, where CI requires every server) without the server ``name``, whose
    URL the environment ``variable`` gives."""
    if os.environ.get(variable):
        return
    reason = _missing(name, variable)
    if os.environ.get("GUEST_ORDERS_REQUIRE_SERVICES"):
        pytest.fail(f"{reason} (GUEST_ORDERS_REQUIRE_SERVICES is set)")
    pytest.skip(reason)


def require_postgres() -> None:
    """Skip (or fail, where CI requires every server) without PostgreSQL."""
    require_server(*POSTGRES)


def on_postgres() -> pytest.MarkDecorator:
    """The marker of a test class on the ``postgres`` database, or, without a server, a
    skip with the reason (on the default database, so that ``require_postgres`` can fail
    instead where every server is required)."""
    if os.environ.get(POSTGRES[1]):
        return pytest.mark.django_db(transaction=True, databases=["postgres"])
    if os.environ.get("GUEST_ORDERS_REQUIRE_SERVICES"):
        return pytest.mark.django_db(transaction=True)
    return pytest.mark.skip(reason=_missing(*POSTGRES))


@pytest.fixture(autouse=True)
def _no_attempts_counted() -> None:
    """Every test starts with no failed attempt counted (the limiter's local cache)."""
    from django.core.cache import caches  # noqa: PLC0415  # Django is set up by now

    caches["default"].clear()


class AsyncViews:
    """Django's ``AsyncClient`` with the test client's sync methods: each request is
    awaited on an event loop of its own."""

    def __init__(self, **options: Any) -> None:
        from django.test import AsyncClient  # noqa: PLC0415  # Django is set up by now

        self._client = AsyncClient(**options)

    def post(self, *args: Any, **kwargs: Any) -> Any:
        return asyncio.run(self._client.post(*args, **kwargs))

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return asyncio.run(self._client.get(*args, **kwargs))


def serve_async_views(django_settings: Any) -> None:
    """Route the endpoints to the async views, as the shop does under ASGI
    (``django_settings``: pytest-django's ``settings`` fixture)."""
    from django_shop import settings_asgi  # noqa: PLC0415

    django_settings.ROOT_URLCONF = settings_asgi.ROOT_URLCONF


@pytest.fixture(params=["sync", "async"])
def make_client(request: pytest.FixtureRequest, settings: Any) -> Callable[..., Any]:
    """A test client class, once for the sync views (Django's ``Client``, as under WSGI)
    and once for the async views (:class:`AsyncViews`, as under ASGI)."""
    if request.param == "sync":
        from django.test import Client  # noqa: PLC0415

        return Client
    serve_async_views(settings)
    return AsyncViews
