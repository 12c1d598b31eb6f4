"""The library's side of the HTTP benchmarks, as uvicorn factories.

- ``demo_app``: what ``guest-orders serve`` serves — the library's Starlette app over
  ``GuestOrders(store=SqlAlchemyStore(...))`` on a SQLite database seeded with the built-in
  sample data (the default policy, clock and in-process attempt limiter).
- ``open_demo_app``: ``demo_app`` without attempt limiter (figure 6 times misses).

The parent process seeds the database and names it in ``GUEST_ORDERS_BENCH_HTTP_DB``; the
peers (``peers.py``) read the same file.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine
from guest_orders.adapters.web import create_app
from guest_orders.demo import sample_data
from guest_orders.domain import CustomerKind
from guest_orders.service import GuestOrders
from guest_orders.throttling import NoAttemptLimiter

DB_VARIABLE = "GUEST_ORDERS_BENCH_HTTP_DB"


def demo_service(database: Path) -> GuestOrders:
    return GuestOrders(store=SqlAlchemyStore(make_engine(f"sqlite:///{database}")))


def seed_demo(database: Path) -> dict[str, str]:
    """A fresh demo database; returns the lookup payload of its first guest order."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    data = sample_data()
    engine = make_engine(f"sqlite:///{database}")
    create_schema(engine)
    SqlAlchemyStore(engine).load(
        orders=data.orders,
        reasons=data.reasons,
        shipping_companies=data.shipping_companies,
        addresses=data.addresses,
        cancellation_requests=data.cancellation_requests,
    )
    engine.dispose()
    order = next(o for o in data.orders if o.customer.kind is CustomerKind.GUEST)
    return {"number": order.number, "email": order.user_email}


def demo_app() -> Starlette:
    """The demo server's app: ``AsyncGuestOrders`` over the async SQL store, on the loop.

    A release before the async store (measured with ``--library-src`` for the baseline)
    gets what its own demo served: ``GuestOrders`` over the SQL store, in threads."""
    database = Path(os.environ[DB_VARIABLE])
    try:
        from guest_orders.adapters.sqlalchemy.asyncio import (  # noqa: PLC0415  # see above
            AsyncSqlAlchemyStore,
            make_async_engine,
        )
        from guest_orders.service import AsyncGuestOrders  # noqa: PLC0415
    except ImportError:
        return create_app(demo_service(database))
    store = AsyncSqlAlchemyStore(make_async_engine(f"sqlite:///{database}"))
    return create_app(AsyncGuestOrders(store=store))


def open_demo_app() -> Starlette:
    """``demo_app`` without throttling, for figure 6: misses are timed, not refused."""
    service = demo_service(Path(os.environ[DB_VARIABLE]))
    return create_app(GuestOrders(store=service.store, limiter=NoAttemptLimiter()))
