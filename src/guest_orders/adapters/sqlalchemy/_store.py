"""The unit of work: one connection and one transaction per :meth:`transaction` call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from guest_orders.adapters.sqlalchemy import _rows, _schema
from guest_orders.adapters.sqlalchemy._engine import READ_ONLY
from guest_orders.adapters.sqlalchemy._repositories import (
    SqlAlchemyImageStore,
    SqlAlchemyRepositories,
)
from guest_orders.domain import (
    Address,
    CancellationReason,
    CancellationRequest,
    EasyReturnShippingCompany,
    Order,
)
from guest_orders.ports import ImageStore

__all__ = ["ImageStoreFactory", "SqlAlchemyStore", "load_rows"]

#: Makes the image store of one transaction from its connection.
ImageStoreFactory = Callable[[sa.Connection], ImageStore]


class SqlAlchemyStore:
    """A :class:`guest_orders.ports.UnitOfWork` over a SQLAlchemy engine.

    Each :meth:`transaction` checks out its own connection and runs one database
    transaction (``engine.begin()``): committed when the block ends normally, rolled back
    when it raises. The store itself holds no state, so one instance serves every thread.

    Args:
        engine: preferably from :func:`make_engine`, with the schema created
            (:func:`create_schema` or your migrations).
        image_store: makes each transaction's image store from its connection. The default
            keeps the bytes in the ``images`` table (:class:`SqlAlchemyImageStore`); pass
            your own (object storage...) to keep only references in the database.
    """

    def __init__(
        self, engine: sa.Engine, *, image_store: ImageStoreFactory = SqlAlchemyImageStore
    ) -> None:
        self._engine = engine
        self._image_store = image_store

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[SqlAlchemyRepositories]:
        """One transaction; see :meth:`guest_orders.ports.UnitOfWork.transaction`.

        ``read_only=True`` marks the connection with an execution option that
        :func:`make_engine`'s SQLite engines read: the transaction starts with a plain
        ``BEGIN``, which takes no lock until it reads and never waits for writers (WAL),
        instead of ``BEGIN IMMEDIATE``. Everything else is as in any transaction: the same
        ``Connection``, the same events and logs. Do not write in it: on SQLite a write
        there can fail with "database is locked", where a transaction without the flag
        would have waited at its ``BEGIN IMMEDIATE``.
        """
        with self._engine.connect() as connection:
            if read_only:
                connection.execution_options(**{READ_ONLY: True})
            with connection.begin():
                images = self._image_store(connection)
                yield SqlAlchemyRepositories.bind(connection, images=images)
                if isinstance(images, SqlAlchemyImageStore):
                    images.flush()  # the images the transaction queued, just before it commits

    def load(
        self,
        *,
        orders: Iterable[Order] = (),
        reasons: Iterable[CancellationReason] = (),
        shipping_companies: Iterable[EasyReturnShippingCompany] = (),
        addresses: Iterable[Address] = (),
        cancellation_requests: Iterable[CancellationRequest] = (),
    ) -> list[CancellationRequest]:
        """Insert domain objects in one transaction (seeding a demo, tests).

        Same keywords as :class:`guest_orders.adapters.memory.InMemoryStore`. Requests go
        through ``add_all``, so the one-active rule holds; a request with an ``id`` keeps
        it. Returns the stored requests with their ids.
        """
        with self.transaction() as repositories:
            return load_rows(
                repositories,
                orders=orders,
                reasons=reasons,
                shipping_companies=shipping_companies,
                addresses=addresses,
                cancellation_requests=cancellation_requests,
            )


def load_rows(
    repositories: SqlAlchemyRepositories,
    *,
    orders: Iterable[Order] = (),
    reasons: Iterable[CancellationReason] = (),
    shipping_companies: Iterable[EasyReturnShippingCompany] = (),
    addresses: Iterable[Address] = (),
    cancellation_requests: Iterable[CancellationRequest] = (),
) -> list[CancellationRequest]:
    """:meth:`SqlAlchemyStore.load` in the transaction of ``repositories``."""
    order_list = list(orders)
    connection = repositories.connection
    _insert(connection, _schema.cancellation_reasons, map(_rows.reason_row, reasons))
    _insert(
        connection,
        _schema.easy_return_shipping_companies,
        map(_rows.company_row, shipping_companies),
    )
    _insert(connection, _schema.addresses, map(_rows.address_row, addresses))
    _insert(connection, _schema.orders, map(_rows.order_row, order_list))
    _insert(
        connection,
        _schema.order_items,
        (row for order in order_list for row in _rows.item_rows(order)),
    )
    return list(repositories.cancellation_requests.add_all(list(cancellation_requests)))


def _insert(connection: sa.Connection, table: sa.Table, rows: Iterable[dict[str, object]]) -> None:
    batch = list(rows)
    if batch:
        connection.execute(sa.insert(table), batch)
