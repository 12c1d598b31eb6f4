"""The SQL store behind the async ports, on SQLAlchemy's asyncio extension.

Needs the ``asyncio`` extra (aiosqlite for SQLite; psycopg 3's async mode, from the
``postgresql`` extra, for PostgreSQL)::

    from guest_orders import AsyncGuestOrders
    from guest_orders.adapters.sqlalchemy.asyncio import AsyncSqlAlchemyStore, make_async_engine

    engine = make_async_engine("sqlite:///guest_orders.sqlite3")
    service = AsyncGuestOrders(store=AsyncSqlAlchemyStore(engine))

The tables, the statements, the row mapping and every repository method are the sync
store's (:mod:`guest_orders.adapters.sqlalchemy`): each async method runs the sync one on
the transaction's connection through :meth:`AsyncConnection.run_sync
<sqlalchemy.ext.asyncio.AsyncConnection.run_sync>`, SQLAlchemy's bridge that awaits the
async driver from sync code on the event loop itself — no thread. One definition of the
SQL, two faces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from guest_orders.adapters.sqlalchemy._engine import (
    LOGGING_NAME,
    READ_ONLY,
    SqliteBegin,
    _hide_rows,
    _listen_sqlite,
    _sqlite_options,
)
from guest_orders.adapters.sqlalchemy._repositories import (
    SqlAlchemyImageStore,
    SqlAlchemyRepositories,
)
from guest_orders.adapters.sqlalchemy._store import load_rows
from guest_orders.domain import (
    Address,
    CancellationReason,
    CancellationRequest,
    EasyReturnShippingCompany,
    Event,
    IdempotencyRecord,
    ImageRef,
    ImageUpload,
    Order,
    StoredEvent,
)
from guest_orders.ports import AsyncImageStore, ImageStore

__all__ = [
    "AsyncImageStoreFactory",
    "AsyncSqlAlchemyRepositories",
    "AsyncSqlAlchemyStore",
    "make_async_engine",
]

P = ParamSpec("P")
T = TypeVar("T")

#: Makes the image store of one transaction from its connection (an async host's object
#: storage, for example).
AsyncImageStoreFactory = Callable[[AsyncConnection], AsyncImageStore]


def make_async_engine(
    url: str | sa.URL,
    *,
    sqlite_busy_timeout: float = 15.0,
    sqlite_begin: SqliteBegin = "IMMEDIATE",
    **kwargs: Any,
) -> AsyncEngine:
    """An :class:`~sqlalchemy.ext.asyncio.AsyncEngine` for :class:`AsyncSqlAlchemyStore`
    with the settings of :func:`~guest_orders.adapters.sqlalchemy.make_engine` (hidden
    parameters and rows; on SQLite foreign keys, WAL, the busy timeout and
    ``BEGIN IMMEDIATE``).

    A bare URL gets its backend's async driver: ``sqlite://`` aiosqlite,
    ``postgresql://`` psycopg 3 (SQLAlchemy picks its async mode). Anything in ``kwargs``
    goes to :func:`sqlalchemy.ext.asyncio.create_async_engine`.
    """
    parsed = sa.make_url(url)
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("logging_name", LOGGING_NAME)
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if parsed.drivername == "sqlite":
            parsed = parsed.set(drivername="sqlite+aiosqlite")
        kwargs = _sqlite_options(parsed, begin=sqlite_begin, **kwargs)
        engine = create_async_engine(parsed, **kwargs)
        _listen_sqlite(engine.sync_engine, busy_timeout=sqlite_busy_timeout, begin=sqlite_begin)
    else:
        engine = create_async_engine(parsed, **kwargs)
    _hide_rows(engine.sync_engine)
    return engine


def _call(_connection: sa.Connection, method: Callable[P, T], *args: Any) -> T:
    return method(*args)  # type: ignore[call-arg]


class _OnConnection:
    __slots__ = ("_connection",)

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def _run(self, method: Callable[..., T], *args: Any) -> T:
        return await self._connection.run_sync(_call, method, *args)


class _Orders(_OnConnection):
    __slots__ = ("_find",)

    def __init__(self, connection: AsyncConnection, repos: SqlAlchemyRepositories) -> None:
        super().__init__(connection)
        self._find = repos.orders.find_by_number

    async def find_by_number(self, number: str) -> Order | None:
        return await self._run(self._find, number)


class _Requests(_OnConnection):
    __slots__ = ("_repo",)

    def __init__(self, connection: AsyncConnection, repos: SqlAlchemyRepositories) -> None:
        super().__init__(connection)
        self._repo = repos.cancellation_requests

    async def active_for_items(
        self, order_items: Collection[int]
    ) -> Mapping[int, CancellationRequest]:
        return await self._run(self._repo.active_for_items, order_items)

    async def add_all(
        self, requests: Sequence[CancellationRequest]
    ) -> Sequence[CancellationRequest]:
        return await self._run(self._repo.add_all, requests)

    async def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        return await self._run(self._repo.get_many, ids)


class _Reasons(_OnConnection):
    __slots__ = ("_repo",)

    def __init__(self, connection: AsyncConnection, repos: SqlAlchemyRepositories) -> None:
        super().__init__(connection)
        self._repo = repos.reasons

    async def get_many(self, pks: Collection[int]) -> Mapping[int, CancellationReason]:
        return await self._run(self._repo.get_many, pks)

    async def list_active(self) -> Sequence[CancellationReason]:
        return await self._run(self._repo.list_active)


class _Companies(_OnConnection):
    __slots__ = ("_list",)

    def __init__(self, connection: AsyncConnection, repos: SqlAlchemyRepositories) -> None:
        super().__init__(connection)
        self._list = repos.shipping_companies.list_active

    async def list_active(self) -> Sequence[EasyReturnShippingCompany]:
        return await self._run(self._list)


class _Addresses(_OnConnection):
    __slots__ = ("_get",)

    def __init__(self, connection: AsyncConnection, repos: SqlAlchemyRepositories) -> None:
        super().__init__(connection)
        self._get = repos.addresses.get

    async def get(self, pk: int) -> Address | None:
        return await self._run(self._get, pk)


class _Idempotency(_OnConnection):
    __slots__ = ("_repo",)

    def __init__(self, connection: AsyncConnection, repos: SqlAlchemyRepositories) -> None:
        super().__init__(connection)
        self._repo = repos.idempotency

    async def get(self, order: int, key: str) -> IdempotencyRecord | None:
        return await self._run(self._repo.get, order, key)

    async def add(self, record: IdempotencyRecord) -> None:
        await self._run(self._repo.add, record)


class _Outbox(_OnConnection):
    __slots__ = ("_repo",)

    def __init__(self, connection: AsyncConnection, repos: SqlAlchemyRepositories) -> None:
        super().__init__(connection)
        self._repo = repos.outbox

    async def add_all(self, events: Sequence[Event]) -> None:
        await self._run(self._repo.add_all, events)

    async def pending(self, limit: int) -> Sequence[StoredEvent]:
        return await self._run(self._repo.pending, limit)

    async def mark_delivered(self, positions: Sequence[int], at: datetime) -> None:
        await self._run(self._repo.mark_delivered, positions, at)

    async def purge_delivered(self, before: datetime) -> int:
        return await self._run(self._repo.purge_delivered, before)


class _Images(_OnConnection):
    """The sync store's image store (:class:`SqlAlchemyImageStore` or the host's)."""

    __slots__ = ("sync",)

    def __init__(self, connection: AsyncConnection, images: ImageStore) -> None:
        super().__init__(connection)
        self.sync = images

    async def put(self, image: ImageUpload) -> ImageRef:
        return await self._run(self.sync.put, image)

    async def delete(self, ref: ImageRef) -> None:
        await self._run(self.sync.delete, ref)


class AsyncSqlAlchemyRepositories:
    """The async repositories of one transaction (see
    :meth:`AsyncSqlAlchemyStore.transaction`).

    ``connection`` is the transaction's :class:`~sqlalchemy.ext.asyncio.AsyncConnection`,
    for a host's own statements in the same transaction; ``sync`` the sync store's
    repositories on it (call them inside ``connection.run_sync``).
    """

    __slots__ = (
        "addresses",
        "cancellation_requests",
        "connection",
        "idempotency",
        "images",
        "orders",
        "outbox",
        "reasons",
        "shipping_companies",
        "sync",
    )

    def __init__(
        self,
        connection: AsyncConnection,
        repos: SqlAlchemyRepositories,
        images: AsyncImageStore,
    ) -> None:
        self.connection = connection
        self.sync = repos
        self.orders = _Orders(connection, repos)
        self.cancellation_requests = _Requests(connection, repos)
        self.reasons = _Reasons(connection, repos)
        self.shipping_companies = _Companies(connection, repos)
        self.addresses = _Addresses(connection, repos)
        self.idempotency = _Idempotency(connection, repos)
        self.outbox = _Outbox(connection, repos)
        self.images = images


class AsyncSqlAlchemyStore:
    """A :class:`guest_orders.ports.AsyncUnitOfWork` over an async SQLAlchemy engine.

    Each :meth:`transaction` checks out its own connection and runs one database
    transaction: committed when the block ends normally, rolled back when it raises. The
    store holds no state, so one instance serves every task.

    Args:
        engine: preferably from :func:`make_async_engine`, with the schema created
            (:func:`~guest_orders.adapters.sqlalchemy.create_schema` on a sync engine, or
            ``await connection.run_sync(metadata.create_all)``, or your migrations).
        image_store: makes each transaction's async image store from its connection; by
            default the images go to the ``images`` table, as in the sync store.
    """

    def __init__(
        self, engine: AsyncEngine, *, image_store: AsyncImageStoreFactory | None = None
    ) -> None:
        self._engine = engine
        self._image_store = image_store

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @asynccontextmanager
    async def transaction(
        self, *, read_only: bool = False
    ) -> AsyncIterator[AsyncSqlAlchemyRepositories]:
        """One transaction; see :meth:`guest_orders.ports.AsyncUnitOfWork.transaction`.
        ``read_only`` as for the sync store: on SQLite a plain ``BEGIN``."""
        async with self._engine.connect() as connection:
            if read_only:
                await connection.execution_options(**{READ_ONLY: True})
            async with connection.begin():
                sync_connection = connection.sync_connection
                assert sync_connection is not None  # set once connected
                sync_images = SqlAlchemyImageStore(sync_connection)
                repos = SqlAlchemyRepositories.bind(sync_connection, images=sync_images)
                images: AsyncImageStore = (
                    self._image_store(connection)
                    if self._image_store is not None
                    else _Images(connection, sync_images)
                )
                yield AsyncSqlAlchemyRepositories(connection, repos, images)
                # The images the transaction queued, just before it commits.
                await connection.run_sync(_call, sync_images.flush)

    async def load(
        self,
        *,
        orders: Iterable[Order] = (),
        reasons: Iterable[CancellationReason] = (),
        shipping_companies: Iterable[EasyReturnShippingCompany] = (),
        addresses: Iterable[Address] = (),
        cancellation_requests: Iterable[CancellationRequest] = (),
    ) -> list[CancellationRequest]:
        """:meth:`SqlAlchemyStore.load <guest_orders.adapters.sqlalchemy.SqlAlchemyStore.load>`,
        awaited."""
        async with self.transaction() as repositories:
            return await repositories.connection.run_sync(
                _load,
                repositories.sync,
                {
                    "orders": orders,
                    "reasons": reasons,
                    "shipping_companies": shipping_companies,
                    "addresses": addresses,
                    "cancellation_requests": cancellation_requests,
                },
            )


def _load(
    _connection: sa.Connection, repositories: SqlAlchemyRepositories, rows: dict[str, Any]
) -> list[CancellationRequest]:
    return load_rows(repositories, **rows)
