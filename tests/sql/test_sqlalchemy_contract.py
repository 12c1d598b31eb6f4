"""The SQL store passes the whole contract suite of ``guest_orders.testing``, as a host's
adapter would, on SQLite and on PostgreSQL.

One database per test (the ``threaded_engine`` fixture); ``make_store`` empties its tables
before loading each Hypothesis example.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa

from guest_orders.adapters.sqlalchemy import SqlAlchemyStore
from guest_orders.domain import Address, CancellationReason, EasyReturnShippingCompany, Order
from guest_orders.ports import UnitOfWork
from guest_orders.testing.contract import StoreContract
from sql._tables import empty_tables

pytestmark = pytest.mark.slow  # about a minute per backend


class TestSqlAlchemyStore(StoreContract):
    # This store keeps every Decimal exactly (any scale): hold it to that.
    exact_money = True

    engine: sa.Engine

    @pytest.fixture(autouse=True)
    def _database(self, threaded_engine: sa.Engine) -> None:
        self.engine = threaded_engine

    def concurrent_relays(self) -> bool:
        return self.engine.dialect.name != "sqlite"  # SQLite: one writer, one relay

    def make_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> UnitOfWork:
        with self.engine.begin() as connection:
            empty_tables(connection)
        store = SqlAlchemyStore(self.engine)
        store.load(
            orders=orders,
            reasons=reasons,
            shipping_companies=shipping_companies,
            addresses=addresses,
        )
        return store
