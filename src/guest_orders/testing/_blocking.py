"""An async store seen through the sync ports, its coroutines run on an event loop.

The async contract classes run the sync contract's checks unchanged through
:class:`BlockingUnitOfWork`: every transaction is entered and left, and every repository
method awaited, on one event loop in its own thread (an anyio blocking portal). Checks that
race many threads race as many tasks on that loop: the async store's own concurrency.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

from anyio.from_thread import BlockingPortal

from guest_orders.ports import AsyncUnitOfWork

__all__ = ["BlockingUnitOfWork"]

_PORTS = (
    "orders",
    "cancellation_requests",
    "reasons",
    "shipping_companies",
    "addresses",
    "images",
    "idempotency",
    "outbox",
)


class _BlockingPort:
    """Each method of an async port, called from a thread: awaited by the transaction's
    task, so that it runs in the task (and the context) that opened the transaction."""

    __slots__ = ("_port", "_transaction")

    def __init__(self, port: object, transaction: _Transaction) -> None:
        self._port = port
        self._transaction = transaction

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._port, name)
        transaction = self._transaction

        def call(*args: Any) -> Any:
            return transaction.call(method, args)

        return call


class _BlockingRepositories:
    def __init__(self, repositories: object, transaction: _Transaction) -> None:
        for name in _PORTS:
            setattr(self, name, _BlockingPort(getattr(repositories, name), transaction))


_Call = tuple[Callable[..., Awaitable[Any]], tuple[Any, ...], Future[Any]]


class _Transaction:
    """One ``async with store.transaction()`` in a task of its own, which awaits the calls
    the thread sends it, then leaves the block (raising the thread's error in it, if any)."""

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal
        self._calls: asyncio.Queue[_Call | BaseException | None] = portal.call(asyncio.Queue)

    def call(self, method: Callable[..., Awaitable[Any]], args: tuple[Any, ...]) -> Any:
        future: Future[Any] = Future()
        self._portal.call(self._calls.put_nowait, (method, args, future))
        return future.result()

    def leave(self, error: BaseException | None) -> None:
        self._portal.call(self._calls.put_nowait, error)

    async def serve(
        self, store: AsyncUnitOfWork, *, read_only: bool, entered: Future[object]
    ) -> None:
        try:
            context = store.transaction(read_only=read_only)
            repositories = await context.__aenter__()
        except BaseException as error:  # noqa: BLE001  # handed to the waiting thread
            entered.set_exception(error)
            return
        entered.set_result(repositories)
        while True:
            item = await self._calls.get()
            if item is None:
                await context.__aexit__(None, None, None)
                return
            if isinstance(item, BaseException):
                if not await context.__aexit__(type(item), item, item.__traceback__):
                    raise item
                return
            method, args, future = item
            try:
                future.set_result(await method(*args))
            except BaseException as error:  # noqa: BLE001  # handed to the waiting thread
                future.set_exception(error)


class BlockingUnitOfWork:
    """The sync :class:`~guest_orders.ports.UnitOfWork` face of an async store.

    ``store`` and ``portal`` stay public: the contract runs the async use cases on them.
    """

    def __init__(self, store: AsyncUnitOfWork, portal: BlockingPortal) -> None:
        self.store = store
        self.portal = portal

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Any]:
        transaction = _Transaction(self.portal)
        entered: Future[object] = Future()
        done = self.portal.start_task_soon(
            functools.partial(transaction.serve, self.store, read_only=read_only, entered=entered)
        )
        repositories = entered.result()
        try:
            yield _BlockingRepositories(repositories, transaction)
        except BaseException as error:
            transaction.leave(error)
            try:
                done.result()
            except BaseException as raised:
                if raised is not error:
                    raise
            raise
        transaction.leave(None)
        done.result()
