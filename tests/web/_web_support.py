"""Helpers for the web adapter and demo server tests.

Test modules import this as ``web._web_support``: ``tests/`` is on ``sys.path`` (its
``conftest.py`` puts it there) and mypy sees ``tests/web`` as the namespace package
``web``. No ``conftest.py`` here: mypy would see two modules named ``conftest``.

:class:`AppClient` is a synchronous client over an ASGI app (httpx's ``ASGITransport``,
one event loop per request): it needs no server and, by default, re-raises any exception
the app lets escape, so a test can never pass over a server error unnoticed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import httpx
from starlette.types import ASGIApp

from guest_orders.adapters.memory import InMemoryStore
from guest_orders.adapters.web import create_app
from guest_orders.demo import DemoData, sample_data
from guest_orders.errors import TooManyAttempts
from guest_orders.ports import AttemptReservation
from guest_orders.service import GuestOrders
from guest_orders.throttling import NoAttemptLimiter

__all__ = [
    "BULK",
    "CANCEL",
    "CANCELLABLE",
    "CASH",
    "LOOKUP",
    "REASONS",
    "REFUNDABLE",
    "REGISTERED",
    "REPO_ROOT",
    "WITH_ACTIVE_REQUEST",
    "AppClient",
    "FixedRetryLimiter",
    "make_service",
    "sample_store",
]

REPO_ROOT: Final = Path(__file__).resolve().parents[2]

LOOKUP: Final = "/users/orders/anonymous/"
CANCEL: Final = "/users/orders/anonymous/cancellation_requests/"
BULK: Final = "/users/orders/anonymous/bulk_cancellation_requests/"
REASONS: Final = "/users/orders/cancellation_reasons/"

# The built-in sample (src/guest_orders/demo/sample-data.json).
CANCELLABLE: Final = {"number": "2745403029312170", "email": "ayse.yilmaz@example.com"}
REFUNDABLE: Final = {"number": "2745403029312171", "email": "mehmet.demir@example.com"}
CASH: Final = {"number": "2745403029312172", "email": "zeynep.kaya@example.com"}
WITH_ACTIVE_REQUEST: Final = {"number": "2745403029312173", "email": "can.ozturk@example.com"}
REGISTERED: Final = {"number": "2745403029312174", "email": "elif.sahin@example.com"}


def sample_store(data: DemoData | None = None) -> InMemoryStore:
    data = data or sample_data()
    return InMemoryStore(
        orders=data.orders,
        reasons=data.reasons,
        shipping_companies=data.shipping_companies,
        addresses=data.addresses,
        cancellation_requests=data.cancellation_requests,
    )


def make_service(**kwargs: Any) -> GuestOrders:
    """A service over a fresh sample store that never throttles (unless told)."""
    kwargs.setdefault("store", sample_store())
    kwargs.setdefault("limiter", NoAttemptLimiter())
    return GuestOrders(**kwargs)


class FixedRetryLimiter:
    """Throttles everything: every attempt must wait ``seconds``."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        raise TooManyAttempts(retry_after=self.seconds)

    def confirm(self, reservation: AttemptReservation) -> None:
        raise AssertionError("nothing was reserved")

    def release(self, reservation: AttemptReservation) -> None:
        raise AssertionError("nothing was reserved")


class AppClient:
    """Synchronous requests to an ASGI app, in process."""

    def __init__(
        self,
        app: ASGIApp | None = None,
        *,
        raise_app_exceptions: bool = True,
        client: tuple[str, int] = ("127.0.0.1", 50123),
    ) -> None:
        self.app = app if app is not None else create_app(make_service())
        self._raise = raise_app_exceptions
        self._client = client

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(
                app=self.app, raise_app_exceptions=self._raise, client=self._client
            )
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(send())

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)
