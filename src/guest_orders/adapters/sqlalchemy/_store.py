"""The unit of work: one connection and one transaction per :meth:`transaction` call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager

import sqlalchemy as sa

from guest_orders.adapters.sqlalchemy import _driver, _rows, _schema
from guest_orders.adapters.sqlalchemy._driver import Link
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
        self._drivable = _driver.drivable(engine)

    @property
    def engine(self) -> sa.Engine:
        return self._engine

    def transaction(
        self, *, read_only: bool = False
    ) -> AbstractContextManager[SqlAlchemyRepositories]:
        """One transaction; see :meth:`guest_orders.ports.UnitOfWork.transaction`.

        ``read_only=True``, where nothing watches the engine's statements (no statement
        listener, no SQL logging) and the driver is ``pysqlite`` or ``psycopg``: the
        transaction runs on a pooled DBAPI connection, without SQLAlchemy's
        ``Connection`` and transaction objects (no ``begin``/``commit`` events), and on
        SQLite it starts with a plain ``BEGIN``, which takes no lock until it reads and
        never waits for writers (WAL). A ``Connection`` is made on the same connection,
        in the same transaction, only when a statement needs Core (``.connection``, a
        repository method other than the lookup's three SELECTs). Do not write in it: on
        SQLite a write there can fail with "database is locked", where a transaction
        without the flag would have waited at its ``BEGIN IMMEDIATE``.
        """
        if read_only and self._drivable and not _driver.watched(self._engine):
            return _ReadOnlyTransaction(self._engine, self._image_store)
        return self._transaction(read_only=read_only)

    @contextmanager
    def _transaction(self, *, read_only: bool) -> Iterator[SqlAlchemyRepositories]:
        # engine.begin(), without its own generator: connect, then begin.
        with self._engine.connect() as connection:
            if read_only:  # make_engine's SQLite engines then send a plain BEGIN
                connection.execution_options(**{_driver.READ_ONLY: True})
            with connection.begin():
                link = Link.of(connection)
                images = _images(self._image_store, link)
                repositories = SqlAlchemyRepositories.bind(link, images=images)
                yield repositories
                _flush(images)

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


def _images(factory: ImageStoreFactory, link: Link) -> ImageStore:
    if factory is SqlAlchemyImageStore:
        return SqlAlchemyImageStore(link)  # needs a Connection only to delete a stored image
    return factory(link.connection)


def _flush(images: ImageStore) -> None:
    """Write the images the transaction queued, just before it commits."""
    if isinstance(images, SqlAlchemyImageStore):
        images.flush()


class _ReadOnlyTransaction:
    """A read-only transaction on a pooled DBAPI connection (``Link.reading``).

    A class rather than a generator: it is the lookup's, and a generator-based context
    manager costs a few microseconds more per transaction."""

    __slots__ = ("_engine", "_image_store", "_images", "_link")

    def __init__(self, engine: sa.Engine, image_store: ImageStoreFactory) -> None:
        self._engine = engine
        self._image_store = image_store

    def __enter__(self) -> SqlAlchemyRepositories:
        engine = self._engine
        # SQLite: the sqlite3 module's own transaction handling is off (make_engine), BEGIN
        # is ours to send; a plain one takes no lock until it reads. psycopg begins by
        # itself, at the first statement.
        link = Link.reading(engine, "BEGIN" if engine.dialect.name == "sqlite" else None)
        try:
            self._images = images = _images(self._image_store, link)
        except BaseException:
            link.rollback()
            link.close()
            raise
        self._link = link
        return SqlAlchemyRepositories.bind(link, images=images)

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        link = self._link
        try:
            if exc_type is not None:
                link.rollback()
                return
            try:
                _flush(self._images)
            except BaseException:
                link.rollback()
                raise
            link.commit()
        finally:
            link.close()


def _insert(connection: sa.Connection, table: sa.Table, rows: Iterable[dict[str, object]]) -> None:
    batch = list(rows)
    if batch:
        connection.execute(sa.insert(table), batch)
