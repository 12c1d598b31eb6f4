"""The async SQL store passes the whole contract suite through an event loop, on SQLite
(aiosqlite) and PostgreSQL (psycopg 3, async), races of many tasks included.

One database per test (the ``async_database`` fixture); the engine lives on the check's
event loop and ``make_async_store`` empties its tables before loading each example.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from anyio.from_thread import BlockingPortal
from sqlalchemy.ext.asyncio import AsyncEngine

from guest_orders.adapters.sqlalchemy.asyncio import AsyncSqlAlchemyStore, make_async_engine
from guest_orders.domain import Address, CancellationReason, EasyReturnShippingCompany, Order
from guest_orders.ports import AsyncUnitOfWork
from guest_orders.testing.contract import AsyncStoreContract
from sql._tables import empty_tables

pytestmark = pytest.mark.slow  # about a minute per backend


class TestAsyncSqlAlchemyStore(AsyncStoreContract):
    engine: AsyncEngine

    @pytest.fixture(autouse=True)
    def _database(
        self, event_loop_portal: BlockingPortal, async_database: tuple[sa.URL, dict[str, Any]]
    ) -> Iterator[None]:
        url, kwargs = async_database
        self.engine = event_loop_portal.call(lambda: make_async_engine(url, **kwargs))
        yield
        event_loop_portal.call(self.engine.dispose)

    def concurrent_relays(self) -> bool:
        return self.engine.dialect.name != "sqlite"  # SQLite: one writer, one relay

    async def make_async_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> AsyncUnitOfWork:
        async with self.engine.begin() as connection:
            await connection.run_sync(empty_tables)
        store = AsyncSqlAlchemyStore(self.engine)
        await store.load(
            orders=orders,
            reasons=reasons,
            shipping_companies=shipping_companies,
            addresses=addresses,
        )
        return store
