"""The use cases on the SQL store: end to end, failures half-way, a number of statements
that does not grow with the items, and concurrent writers.

Every racing thread runs the real use case through its own connection and transaction.
The "widened" races hold every thread between its read (``active_for_items``) and its
write until all threads have read, so each one passes the read-time check and only the
partial unique index stands between them and a second active request; dropping the
index shows that it is what keeps the rule.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy import event

from guest_orders.adapters.memory import InMemoryStore
from guest_orders.adapters.sqlalchemy import (
    ONE_ACTIVE_INDEX,
    SqlAlchemyCancellationRequestRepository,
    SqlAlchemyImageStore,
    SqlAlchemyRepositories,
    SqlAlchemyStore,
    cancellation_request_images,
    cancellation_requests,
    images,
)
from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    Address,
    CancelItem,
    CancellationCommand,
    CancellationReason,
    CancellationRequest,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturnShippingCompany,
    ImageRef,
    ImageUpload,
    LookupQuery,
    Order,
    OrderItem,
    OrderStatus,
    PaymentType,
    Product,
    ShippingCompany,
)
from guest_orders.errors import InvalidRequest, OrderNotFound
from guest_orders.policy import Policy
from guest_orders.ports import ActiveRequestExists
from guest_orders.use_cases import lookup_order, request_cancellation
from sql._tables import RecordStatements

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
NUMBER = "2745403029312170"
GUEST_EMAIL = "Guest.Buyer@example.com"
CUSTOMER_ID = 7001
CANCEL_REASON = 1
PNG = ImageUpload(content=b"\x89PNG\r\n\x1a\n\x00fake", media_type="image/png", description="box")
POLICY = Policy(max_bulk_items=200)
EMPTY = {"cancellation_requests": 0, "cancellation_request_images": 0, "images": 0}
ACTIVE_EXISTS = "cancellation_request_100_1"
THREADS = 32
ROUNDS = 20

T = TypeVar("T")


# --- builders and helpers ---------------------------------------------------------------


def guest_order(pk: int, *, number: str, item_pks: Sequence[int]) -> Order:
    """A guest order paid by card whose items can all be cancelled."""
    return Order(
        pk=pk,
        number=number,
        customer=Customer(id=CUSTOMER_ID, kind=CustomerKind.GUEST),
        user_email=GUEST_EMAIL,
        status=OrderStatus.APPROVED,
        currency=Currency(code="TRY"),
        payment_type=PaymentType.CREDIT_CARD,
        amount=Decimal("100.00"),
        created_date=NOW - timedelta(days=3),
        modified_date=NOW - timedelta(days=1),
        items=[
            OrderItem(
                pk=item_pk,
                status=OrderStatus.APPROVED,
                quantity=2,
                price=Decimal("10.00"),
                product=Product(pk=item_pk, name=f"Product {item_pk}", sku=f"SKU-{item_pk}"),
            )
            for item_pk in item_pks
        ],
    )


REASONS = (
    CancellationReason(
        pk=CANCEL_REASON, subject="Changed my mind", cancellation_type=CancellationType.CANCEL
    ),
)
COMPANIES = (
    EasyReturnShippingCompany(
        pk=10, shipping_company=ShippingCompany(value="yurtici", label="Yurtiçi Kargo")
    ),
)
ADDRESSES = (Address(pk=20, customer_id=CUSTOMER_ID),)


def seed(store: SqlAlchemyStore, *orders: Order) -> None:
    store.load(orders=orders, reasons=REASONS, shipping_companies=COMPANIES, addresses=ADDRESSES)


def memory_twin(*orders: Order) -> InMemoryStore:
    """The in-memory reference store holding the same rows as ``seed``."""
    return InMemoryStore(
        orders=orders, reasons=REASONS, shipping_companies=COMPANIES, addresses=ADDRESSES
    )


def cancel_command(
    number: str,
    item_pks: Sequence[int],
    *,
    images_per_item: int = 0,
    description: str | None = None,
) -> CancellationCommand:
    return CancellationCommand(
        number=number,
        email=GUEST_EMAIL,
        items=[
            CancelItem(
                order_item=item_pk,
                reason=CANCEL_REASON,
                cancellation_type=CancellationType.CANCEL,
                description=description,
                images=[PNG] * images_per_item,
            )
            for item_pk in item_pks
        ],
        bulk=len(item_pks) != 1,
    )


def clock() -> FixedClock:
    return FixedClock(NOW)


def count_request_rows(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
            for table in (cancellation_requests, cancellation_request_images, images)
        }


def active_counts(engine: sa.Engine) -> dict[int, int]:
    """Order item -> number of active requests (never more than one, by the rule)."""
    column = cancellation_requests.c.order_item_id
    query = (
        sa.select(column, sa.func.count())
        .where(cancellation_requests.c.status.in_(["waiting", "approved"]))
        .group_by(column)
    )
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(query)}


def run_together(
    calls: Sequence[Callable[[], T]], *, timeout: float = 60
) -> list[T | BaseException]:
    """Run every call on its own thread, released at the same moment; each outcome is the
    call's result or the exception it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | BaseException:
        barrier.wait(timeout=timeout)
        try:
            return call()
        except Exception as error:  # noqa: BLE001  # the outcome is what the test checks
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(run, call) for call in calls]
        return [future.result(timeout=timeout * 2) for future in futures]


# --- the use cases on the SQL store ------------------------------------------------------


def _seed_use_case_data(store: SqlAlchemyStore) -> None:
    seed(store, guest_order(1, number=NUMBER, item_pks=range(101, 106)))


def test_lookup_sees_what_the_in_memory_reference_sees(store: SqlAlchemyStore) -> None:
    _seed_use_case_data(store)
    twin = memory_twin(guest_order(1, number=NUMBER, item_pks=range(101, 106)))
    query = LookupQuery(number=NUMBER, email=GUEST_EMAIL)
    for uow in (store, twin):
        request_cancellation(cancel_command(NUMBER, [102]), uow=uow, clock=clock(), policy=POLICY)

    snapshot = lookup_order(query, uow=store, clock=clock(), policy=POLICY)
    expected = lookup_order(query, uow=twin, clock=clock(), policy=POLICY)

    assert snapshot.order == expected.order
    assert snapshot.eligibility == expected.eligibility
    assert snapshot.easy_return_shipping_companies == expected.easy_return_shipping_companies
    assert sorted(snapshot.active_requests) == [102]
    mine, theirs = snapshot.active_requests[102], expected.active_requests[102]
    assert attrs.evolve(mine, uuid=theirs.uuid, id=theirs.id) == theirs


def test_lookup_misses_are_one_failure(store: SqlAlchemyStore) -> None:
    _seed_use_case_data(store)
    for number, email in ((NUMBER, "someone.else@example.com"), ("unknown", GUEST_EMAIL)):
        with pytest.raises(OrderNotFound):
            lookup_order(
                LookupQuery(number=number, email=email), uow=store, clock=clock(), policy=POLICY
            )


def test_request_cancellation_end_to_end(engine: sa.Engine, store: SqlAlchemyStore) -> None:
    _seed_use_case_data(store)

    created = request_cancellation(
        cancel_command(NUMBER, [101, 103], images_per_item=2, description="late"),
        uow=store,
        clock=clock(),
        policy=POLICY,
    )

    assert [request.order_item for request in created] == [101, 103]
    assert all(request.id is not None for request in created)
    snapshot = lookup_order(
        LookupQuery(number=NUMBER, email=GUEST_EMAIL), uow=store, clock=clock(), policy=POLICY
    )
    assert dict(snapshot.active_requests) == {r.order_item: r for r in created}
    assert not snapshot.eligibility[101].can_cancel
    assert snapshot.eligibility[102].can_cancel
    with store.transaction() as repos:
        assert isinstance(repos.images, SqlAlchemyImageStore)
        for request in created:
            assert len(request.images) == 2
            for ref in request.images:
                assert repos.images.get(ref.image) == PNG

    with pytest.raises(InvalidRequest) as caught:
        request_cancellation(
            cancel_command(NUMBER, [102, 103]), uow=store, clock=clock(), policy=POLICY
        )
    assert caught.value.code == "cancellation_request_100_1"
    assert count_request_rows(engine) == {
        "cancellation_requests": 2,
        "cancellation_request_images": 4,
        "images": 4,
    }


# --- failures half-way leave nothing behind -----------------------------------------------


class _FailingImageStore(SqlAlchemyImageStore):
    """Fails on the third image it is given."""

    def __init__(self, connection: sa.Connection) -> None:
        super().__init__(connection)
        self.puts = 0

    def put(self, image: ImageUpload) -> ImageRef:
        self.puts += 1
        if self.puts == 3:
            raise OSError("disk full")
        return super().put(image)


def test_an_image_store_failing_mid_batch_leaves_no_rows(engine: sa.Engine) -> None:
    store = SqlAlchemyStore(engine, image_store=_FailingImageStore)
    _seed_use_case_data(store)

    with pytest.raises(OSError, match="disk full"):
        request_cancellation(
            cancel_command(NUMBER, [101, 102], images_per_item=2),
            uow=store,
            clock=clock(),
            policy=POLICY,
        )

    assert count_request_rows(engine) == EMPTY


def test_a_database_failure_on_the_image_references_leaves_no_rows(
    engine: sa.Engine, store: SqlAlchemyStore
) -> None:
    """The requests are inserted, then inserting their image references fails."""
    _seed_use_case_data(store)
    seen: list[str] = []

    def fail_on_image_refs(*args: Any) -> None:
        statement = str(args[2])
        seen.append(statement.split(None, 3)[2] if statement.startswith("INSERT") else "")
        if statement.startswith("INSERT INTO cancellation_request_images"):
            raise RuntimeError("injected failure")

    event.listen(engine, "before_cursor_execute", fail_on_image_refs)
    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            request_cancellation(
                cancel_command(NUMBER, [101, 102, 103], images_per_item=1),
                uow=store,
                clock=clock(),
                policy=POLICY,
            )
    finally:
        event.remove(engine, "before_cursor_execute", fail_on_image_refs)

    assert "cancellation_requests" in seen  # the requests had been written
    assert count_request_rows(engine) == EMPTY


# --- statements do not grow with the number of items -------------------------------------


SIZES = (1, 10, 100)


def test_lookup_statements_do_not_grow_with_items(
    engine: sa.Engine, store: SqlAlchemyStore, record_statements: RecordStatements
) -> None:
    orders = [
        guest_order(n, number=f"N-{n}", item_pks=range(n * 1000, n * 1000 + n)) for n in SIZES
    ]
    seed(store, *orders)
    for order in orders:  # every item has an active request with an image
        request_cancellation(
            cancel_command(order.number, [item.pk for item in order.items], images_per_item=1),
            uow=store,
            clock=clock(),
            policy=POLICY,
        )
    counts = {}
    for order in orders:
        with record_statements(engine) as statements:
            snapshot = lookup_order(
                LookupQuery(number=order.number, email=GUEST_EMAIL),
                uow=store,
                clock=clock(),
                policy=POLICY,
            )
        assert len(snapshot.active_requests) == len(order.items)
        counts[len(order.items)] = len(statements)
    with record_statements(engine) as statements, pytest.raises(OrderNotFound):
        lookup_order(
            LookupQuery(number="unknown", email=GUEST_EMAIL),
            uow=store,
            clock=clock(),
            policy=POLICY,
        )
    counts[0] = len(statements)  # a miss costs the same statements as a hit

    # order+items, active requests+images, carriers (+ BEGIN IMMEDIATE on SQLite)
    expected = 4 if engine.dialect.name == "sqlite" else 3
    assert counts == dict.fromkeys((*SIZES, 0), expected)


@pytest.mark.parametrize("images_per_item", [0, 2])
def test_bulk_cancellation_statements_do_not_grow_with_items(
    engine: sa.Engine,
    store: SqlAlchemyStore,
    record_statements: RecordStatements,
    images_per_item: int,
) -> None:
    orders = [
        guest_order(n, number=f"N-{n}", item_pks=range(n * 1000, n * 1000 + n)) for n in SIZES
    ]
    seed(store, *orders)
    counts = {}
    for order in orders:
        command = cancel_command(
            order.number, [item.pk for item in order.items], images_per_item=images_per_item
        )
        with record_statements(engine) as statements:
            created = request_cancellation(command, uow=store, clock=clock(), policy=POLICY)
        assert len(created) == len(order.items)
        counts[len(order.items)] = len(statements)

    # order+items, active requests, carriers, reasons, SAVEPOINT, INSERT requests, RELEASE,
    # INSERT events (the outbox); with images also the references and, at commit, the
    # bytes; BEGIN IMMEDIATE on SQLite, the order's row lock for the events on PostgreSQL.
    expected = 8 + (2 if images_per_item else 0) + 1
    assert counts == dict.fromkeys(SIZES, expected)


# --- concurrent writers ------------------------------------------------------------------


def _cancel(store: SqlAlchemyStore, command: CancellationCommand) -> list[CancellationRequest]:
    return request_cancellation(command, uow=store, clock=clock(), policy=POLICY)


def _assert_one_winner(outcomes: Sequence[object]) -> None:
    winners = [o for o in outcomes if isinstance(o, list)]
    losers = [o for o in outcomes if not isinstance(o, list)]
    unexpected = [o for o in losers if not isinstance(o, InvalidRequest) or o.code != ACTIVE_EXISTS]
    assert not unexpected, unexpected
    assert len(winners) == 1, f"{len(winners)} winners"


def test_32_threads_asking_for_the_same_item_one_wins(threaded_engine: sa.Engine) -> None:
    store = SqlAlchemyStore(threaded_engine)
    order = guest_order(1, number="RACE", item_pks=range(1, ROUNDS + 1))
    seed(store, order)

    for item in order.items:
        command = cancel_command(order.number, [item.pk])
        outcomes = run_together([functools.partial(_cancel, store, command)] * THREADS)
        _assert_one_winner(outcomes)

    assert active_counts(threaded_engine) == {item.pk: 1 for item in order.items}


# --- widened race windows (PostgreSQL) ----------------------------------------------------


class _WaitAfterReading(SqlAlchemyCancellationRequestRepository):
    """Reads, then waits for every other thread to have read too; counts the batches
    the database refused."""

    def __init__(self, connection: sa.Connection, store: _ReadAllThenWriteStore) -> None:
        super().__init__(connection)
        self._store = store

    def active_for_items(self, order_items: Collection[int]) -> Mapping[int, CancellationRequest]:
        found = super().active_for_items(order_items)
        self._store.barrier.wait(timeout=60)
        return found

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        try:
            return super().add_all(requests)
        except ActiveRequestExists:
            with self._store.lock:
                self._store.refused_by_database += 1
            raise


class _ReadAllThenWriteStore(SqlAlchemyStore):
    def __init__(self, engine: sa.Engine, parties: int) -> None:
        super().__init__(engine)
        self.barrier = threading.Barrier(parties)
        self.lock = threading.Lock()
        self.refused_by_database = 0

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[SqlAlchemyRepositories]:
        with super().transaction(read_only=read_only) as repos:
            yield attrs.evolve(
                repos, cancellation_requests=_WaitAfterReading(repos.connection, self)
            )


def _drop_one_active_index(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP INDEX {ONE_ACTIVE_INDEX}")


@pytest.mark.postgres
def test_widened_race_with_the_index_one_wins(pg_engine: sa.Engine) -> None:
    order = guest_order(1, number="RACE", item_pks=range(1, ROUNDS + 1))
    seed(SqlAlchemyStore(pg_engine), order)

    for item in order.items:
        store = _ReadAllThenWriteStore(pg_engine, THREADS)
        command = cancel_command(order.number, [item.pk])
        outcomes = run_together([functools.partial(_cancel, store, command)] * THREADS)
        _assert_one_winner(outcomes)
        # Every loser had passed the read-time check: the index stopped all 31.
        assert store.refused_by_database == THREADS - 1

    assert active_counts(pg_engine) == {item.pk: 1 for item in order.items}


@pytest.mark.postgres
def test_widened_race_without_the_index_breaks_the_rule(pg_engine: sa.Engine) -> None:
    """The control experiment: the read-time check alone lets every thread through."""
    order = guest_order(1, number="RACE", item_pks=[1])
    seed(SqlAlchemyStore(pg_engine), order)
    _drop_one_active_index(pg_engine)
    store = _ReadAllThenWriteStore(pg_engine, THREADS)

    outcomes = run_together(
        [functools.partial(_cancel, store, cancel_command(order.number, [1]))] * THREADS
    )

    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    assert active_counts(pg_engine)[1] == THREADS  # 32 active requests for one item


@pytest.mark.postgres
def test_single_and_bulk_requests_over_overlapping_items(pg_engine: sa.Engine) -> None:
    """Never two active requests on one item, never a part of a batch: per round, two
    bulk requests (items listed in opposite orders) and a single request share item b;
    a third bulk request shares nothing and always succeeds."""
    items_per_round = 5
    order = guest_order(1, number="RACE", item_pks=range(1, ROUNDS * items_per_round + 1))
    seed(SqlAlchemyStore(pg_engine), order)

    for round_ in range(ROUNDS):
        a, b, c, d, e = range(round_ * items_per_round + 1, (round_ + 1) * items_per_round + 1)
        commands = {
            "bulk-abc": cancel_command(order.number, [a, b, c], description="bulk-abc"),
            "bulk-cb": cancel_command(order.number, [c, b], description="bulk-cb"),
            "single-b": cancel_command(order.number, [b], description="single-b"),
            "bulk-de": cancel_command(order.number, [d, e], description="bulk-de"),
        }
        store = _ReadAllThenWriteStore(pg_engine, len(commands))
        outcomes = dict(
            zip(
                commands,
                run_together([functools.partial(_cancel, store, c) for c in commands.values()]),
                strict=True,
            )
        )

        assert isinstance(outcomes.pop("bulk-de"), list)
        _assert_one_winner(list(outcomes.values()))
        assert store.refused_by_database == 2
        stored = _stored_by_description(pg_engine, (a, b, c, d, e))
        winner = next(name for name, outcome in outcomes.items() if isinstance(outcome, list))
        assert stored == {
            winner: len(commands[winner].items),
            "bulk-de": 2,
        }, stored

    assert set(active_counts(pg_engine).values()) == {1}


def _stored_by_description(engine: sa.Engine, items: Collection[int]) -> dict[str, int]:
    query = (
        sa.select(cancellation_requests.c.description, sa.func.count())
        .where(cancellation_requests.c.order_item_id.in_(list(items)))
        .group_by(cancellation_requests.c.description)
    )
    with engine.connect() as connection:
        return {row[0]: row[1] for row in connection.execute(query)}
