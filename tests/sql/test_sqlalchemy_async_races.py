"""The async SQL store under 32 concurrent tasks on one event loop, each with its own
connection: one guest wins an item, retries with one key all get the winner's response,
and, with every task made to read before any writes (PostgreSQL), the database's index is
what stops the 31 losers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from guest_orders.adapters.sqlalchemy.asyncio import (
    AsyncSqlAlchemyRepositories,
    AsyncSqlAlchemyStore,
    make_async_engine,
)
from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    CancelItem,
    CancellationCommand,
    CancellationRequest,
    CancellationType,
)
from guest_orders.errors import InvalidRequest
from guest_orders.policy import Policy
from guest_orders.ports import ActiveRequestExists
from guest_orders.testing import example_seed
from guest_orders.testing.strategies import DEFAULT_NOW
from guest_orders.use_cases import async_lookup_order, async_request_cancellation

TASKS = 32
SEED = example_seed()
CARD = SEED.orders[0]
CLOCK = FixedClock(DEFAULT_NOW)


def _command(item: int) -> CancellationCommand:
    return CancellationCommand(
        number=CARD.number,
        email=CARD.user_email,
        items=[CancelItem(order_item=item, reason=1, cancellation_type=CancellationType.CANCEL)],
    )


async def _ask(
    store: Any, command: CancellationCommand, key: str | None = None
) -> list[CancellationRequest] | InvalidRequest:
    try:
        return await async_request_cancellation(
            command, uow=store, clock=CLOCK, policy=Policy(), idempotency_key=key
        )
    except InvalidRequest as refused:
        return refused


async def _seeded(url: sa.URL, kwargs: dict[str, Any]) -> AsyncSqlAlchemyStore:
    store = AsyncSqlAlchemyStore(make_async_engine(url, **kwargs))
    await store.load(
        orders=SEED.orders,
        reasons=SEED.reasons,
        shipping_companies=SEED.shipping_companies,
        addresses=SEED.addresses,
    )
    return store


def _one_winner(outcomes: list[list[CancellationRequest] | InvalidRequest]) -> None:
    winners = [o for o in outcomes if isinstance(o, list)]
    losers = [o for o in outcomes if isinstance(o, InvalidRequest)]
    assert len(winners) == 1, f"{len(winners)} winners"
    assert len(losers) == TASKS - 1
    assert {loser.code for loser in losers} == {ActiveRequestExists.code}


def test_32_tasks_asking_for_the_same_item_one_wins(
    async_database: tuple[sa.URL, dict[str, Any]],
) -> None:
    async def race() -> None:
        store = await _seeded(*async_database)
        try:
            outcomes = await asyncio.gather(*(_ask(store, _command(1001)) for _ in range(TASKS)))
            _one_winner(outcomes)
            snapshot = await async_lookup_order(
                _command(1001).lookup, uow=store, clock=CLOCK, policy=Policy()
            )
            assert set(snapshot.active_requests) == {1001}
        finally:
            await store.engine.dispose()

    asyncio.run(race())


def test_32_concurrent_retries_with_one_key_all_get_the_winners_response(
    async_database: tuple[sa.URL, dict[str, Any]],
) -> None:
    async def race() -> None:
        store = await _seeded(*async_database)
        try:
            command = _command(1001)
            outcomes = await asyncio.gather(
                *(_ask(store, command, "retry-1") for _ in range(TASKS))
            )
            assert all(isinstance(o, list) for o in outcomes), outcomes
            assert all(o == outcomes[0] for o in outcomes)
            async with store.engine.connect() as connection:
                count = await connection.scalar(sa.text("SELECT count(*) FROM idempotency_keys"))
            assert count == 1
        finally:
            await store.engine.dispose()

    asyncio.run(race())


class _ReadAllThenWrite(AsyncSqlAlchemyStore):
    """Every transaction waits after reading the active requests until all have read."""

    def __init__(self, engine: Any, parties: int) -> None:
        super().__init__(engine)
        self.barrier = asyncio.Barrier(parties)
        self.refused_by_database = 0

    @asynccontextmanager
    async def transaction(
        self, *, read_only: bool = False
    ) -> AsyncIterator[AsyncSqlAlchemyRepositories]:
        async with super().transaction(read_only=read_only) as repos:
            yield _Waiting(repos, self)  # type: ignore[misc]


class _WaitingRequests:
    def __init__(self, requests: Any, store: _ReadAllThenWrite) -> None:
        self._requests, self._store = requests, store

    async def active_for_items(
        self, order_items: Collection[int]
    ) -> Mapping[int, CancellationRequest]:
        found: Mapping[int, CancellationRequest] = await self._requests.active_for_items(
            order_items
        )
        await self._store.barrier.wait()
        return found

    async def add_all(self, requests: Any) -> Any:
        try:
            return await self._requests.add_all(requests)
        except ActiveRequestExists:
            self._store.refused_by_database += 1
            raise

    async def get_many(self, ids: Any) -> Any:
        return await self._requests.get_many(ids)


class _Waiting:
    def __init__(self, repos: AsyncSqlAlchemyRepositories, store: _ReadAllThenWrite) -> None:
        self.orders = repos.orders
        self.reasons = repos.reasons
        self.shipping_companies = repos.shipping_companies
        self.addresses = repos.addresses
        self.images = repos.images
        self.idempotency = repos.idempotency
        self.outbox = repos.outbox
        self.cancellation_requests = _WaitingRequests(repos.cancellation_requests, store)


@pytest.mark.postgres
def test_widened_race_the_index_stops_every_loser(
    pg_async_database: tuple[sa.URL, dict[str, Any]],
) -> None:
    url, kwargs = pg_async_database

    async def race() -> None:
        seeded = await _seeded(url, kwargs)
        store = _ReadAllThenWrite(seeded.engine, TASKS)
        try:
            outcomes = await asyncio.gather(*(_ask(store, _command(1001)) for _ in range(TASKS)))
            _one_winner(outcomes)
            # Every loser had passed the read-time check: the index stopped all 31.
            assert store.refused_by_database == TASKS - 1
        finally:
            await seeded.engine.dispose()

    asyncio.run(race())
