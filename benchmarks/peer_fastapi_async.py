"""Peer: ``peer_fastapi``'s lookup endpoint with SQLAlchemy's ``AsyncSession`` and an
``async def`` endpoint, as a FastAPI user on asyncio writes it.

The same mapped classes, pydantic models and reads as ``peer_fastapi`` (imported from it:
one definition), awaited: an ``AsyncSession`` per request (a FastAPI dependency) on an
async engine (aiosqlite, or psycopg 3's async mode), no thread pool.

``storage(url)`` is the storage work of one request, run to completion on an event loop
of its own; ``app()`` is the uvicorn factory for the HTTP figure (the database in
``GUEST_ORDERS_BENCH_HTTP_DB``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import selectinload

from peer_fastapi import (
    ACTIVE,
    LOOKUP_PATH,
    CarrierOut,
    CarrierRow,
    ItemOut,
    LookupIn,
    OrderOut,
    OrderRow,
    RequestRow,
    _request,
)

DB_VARIABLE = "GUEST_ORDERS_BENCH_HTTP_DB"


async def read_order(
    session: AsyncSession, number: str
) -> tuple[OrderRow | None, list[RequestRow], list[CarrierRow]]:
    """``peer_fastapi.read_order``, awaited."""
    order = (
        await session.scalars(
            sa.select(OrderRow)
            .options(selectinload(OrderRow.items))
            .where(OrderRow.number == number)
        )
    ).one_or_none()
    items = [item.pk for item in order.items] if order is not None else []
    requests = (
        await session.scalars(
            sa.select(RequestRow).where(
                RequestRow.order_item_id.in_(items), RequestRow.status.in_(ACTIVE)
            )
        )
    ).all()
    carriers = (
        await session.scalars(
            sa.select(CarrierRow).where(CarrierRow.is_active).order_by(CarrierRow.pk)
        )
    ).all()
    return order, list(requests), list(carriers)


def _async_url(url: str | sa.URL) -> sa.URL:
    parsed = sa.make_url(url)
    if parsed.drivername in {"sqlite", "sqlite+pysqlite"}:
        return parsed.set(drivername="sqlite+aiosqlite")
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def storage(url: str | sa.URL, **engine_options: Any) -> Callable[[str], object]:
    """The storage work of one lookup: an ``AsyncSession``, the three reads, as ORM
    objects (each call awaited to completion on this function's own event loop)."""
    loop = asyncio.new_event_loop()
    engine = create_async_engine(_async_url(url), **engine_options)
    sessions = async_sessionmaker(engine)

    async def read(number: str) -> object:
        async with sessions() as session:
            order, requests, carriers = await read_order(session, number)
            assert order is not None
            return order, requests, carriers

    def lookup(number: str) -> object:
        return loop.run_until_complete(read(number))

    return lookup


_sessions: list[async_sessionmaker[AsyncSession]] = []


async def get_session() -> AsyncIterator[AsyncSession]:
    async with _sessions[0]() as session:
        yield session


def app() -> FastAPI:
    engine = create_async_engine(f"sqlite+aiosqlite:///{os.environ[DB_VARIABLE]}")
    _sessions[:] = [async_sessionmaker(engine)]
    api = FastAPI()

    @api.post(LOOKUP_PATH, response_model=list[OrderOut])
    async def lookup(
        body: LookupIn, db: Annotated[AsyncSession, Depends(get_session)]
    ) -> list[OrderOut]:
        order, requests, carriers = await read_order(db, body.number)
        if order is None or order.user_email.lower() != body.email.lower():
            raise HTTPException(status_code=400, detail="No order matches.")
        active = {request.order_item_id: request for request in requests}
        columns = set(OrderOut.model_fields) - {"items", "easy_return_shipping_companies"}
        out = OrderOut(
            **{name: getattr(order, name) for name in columns},
            items=[
                ItemOut.model_validate(item).model_copy(
                    update={"active_request": _request(active.get(item.pk))}
                )
                for item in order.items
            ],
            easy_return_shipping_companies=[CarrierOut.model_validate(c) for c in carriers],
        )
        return [out]

    return api
