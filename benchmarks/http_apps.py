"""The ASGI apps the HTTP benchmarks serve, as uvicorn factories.

- ``demo_app``: what ``guest-orders serve`` serves — the library's Starlette app over
  ``GuestOrders(store=SqlAlchemyStore(...))`` on a SQLite database seeded with the built-in
  sample data (the default policy, clock and in-process attempt limiter).
- ``bare_app``: one Starlette endpoint on the same path that returns a precomputed body
  (the demo's own lookup response) without reading the request.
- ``floor_app``: the least any lookup endpoint over this database does, written by hand:
  it reads the JSON body, runs the lookup's three SELECTs through ``sqlite3`` on a
  kept-open connection, inline on the event loop (no thread hop), compares the email as
  stored, and returns the precomputed body. No validation, no domain objects, no
  rendering: what it serves per second bounds what any implementation on this storage can.
- ``open_demo_app``: ``demo_app`` without attempt limiter (figure 6 times misses).

The parent process prepares both: ``GUEST_ORDERS_BENCH_HTTP_DB`` names the seeded SQLite
file, ``GUEST_ORDERS_BENCH_HTTP_BODY`` the file holding the precomputed body.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench_sql import COMPANIES_SQL, ORDER_SQL, REQUESTS_SQL
from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine
from guest_orders.adapters.web import LOOKUP_PATH, create_app
from guest_orders.demo import sample_data
from guest_orders.domain import CustomerKind
from guest_orders.service import GuestOrders
from guest_orders.throttling import NoAttemptLimiter

DB_VARIABLE = "GUEST_ORDERS_BENCH_HTTP_DB"
BODY_VARIABLE = "GUEST_ORDERS_BENCH_HTTP_BODY"


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
    return create_app(demo_service(Path(os.environ[DB_VARIABLE])))


def open_demo_app() -> Starlette:
    """``demo_app`` without throttling, for figure 6: misses are timed, not refused."""
    service = demo_service(Path(os.environ[DB_VARIABLE]))
    return create_app(GuestOrders(store=service.store, limiter=NoAttemptLimiter()))


def bare_app() -> Starlette:
    body = Path(os.environ[BODY_VARIABLE]).read_bytes()

    async def lookup(_request: Request) -> Response:
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route(LOOKUP_PATH, lookup, methods=["POST"])])


def floor_app() -> Starlette:
    body = Path(os.environ[BODY_VARIABLE]).read_bytes()
    connection = sqlite3.connect(
        os.environ[DB_VARIABLE], isolation_level=None, check_same_thread=False
    )
    order_sql = ORDER_SQL.format(p="?")
    not_found = Response(b'{"non_field_errors":["not found"]}', status_code=400)

    async def lookup(request: Request) -> Response:
        payload = orjson.loads(await request.body())
        connection.execute("BEGIN")
        try:
            rows = connection.execute(order_sql, (payload["number"],)).fetchall()
            items = [row[36] for row in rows if row[36] is not None]
            marks = ",".join("?" * len(items)) or "NULL"
            connection.execute(REQUESTS_SQL.format(items=marks), items).fetchall()
            connection.execute(COMPANIES_SQL).fetchall()
        finally:
            connection.execute("COMMIT")
        if not rows or rows[0][4] != payload["email"]:
            return not_found
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route(LOOKUP_PATH, lookup, methods=["POST"])])
