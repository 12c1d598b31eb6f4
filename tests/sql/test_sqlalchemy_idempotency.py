"""Idempotency keys on the SQL store: the repository, replays that are byte for byte the
first response, a constant number of statements, atomicity with the requests, and
concurrent retries with one key (SQLite and PostgreSQL)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from _builders import (
    APPROVED_ITEM,
    CASH_ITEM,
    CASH_NUMBER,
    GUEST_EMAIL,
    GUEST_NUMBER,
    HOLDER_NAME,
    NOW,
    PREPARING_ITEM,
    SHIPPED_ITEM,
    VALID_IBAN,
    WAITING_ITEM,
    addresses,
    cash_order,
    companies,
    guest_order,
    reasons,
    registered_order,
)
from guest_orders.adapters.sqlalchemy import (
    SqlAlchemyIdempotencyRepository,
    SqlAlchemyRepositories,
    SqlAlchemyStore,
    cancellation_request_images,
    cancellation_requests,
    idempotency_keys,
    images,
)
from guest_orders.adapters.sqlalchemy import _repositories as sql_repositories
from guest_orders.adapters.web._json import dumps
from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    CancelItem,
    CancellationCommand,
    CancellationRequest,
    CancellationType,
    Customer,
    CustomerKind,
    IdempotencyRecord,
    Order,
    OrderItem,
    OrderStatus,
    Product,
)
from guest_orders.errors import IdempotencyKeyReused
from guest_orders.policy import Policy
from guest_orders.ports import IdempotencyKeyExists
from guest_orders.service import GuestOrders
from guest_orders.throttling import NoAttemptLimiter
from guest_orders.use_cases import request_cancellation
from sql._tables import RecordStatements

KEY = "retry-7f3c9a"
PNG_URL = "data:image/png;base64,iVBORw0KGgoAAAAAAAAAAA=="
POLICY = Policy(max_bulk_items=200)
THREADS = 32

T = TypeVar("T")


def seeded(engine: sa.Engine, *orders: Order) -> SqlAlchemyStore:
    store = SqlAlchemyStore(engine)
    store.load(
        orders=orders or (guest_order(), cash_order(), registered_order()),
        reasons=reasons(),
        shipping_companies=companies(),
        addresses=addresses(),
    )
    return store


def service(store: SqlAlchemyStore) -> GuestOrders:
    return GuestOrders(store=store, clock=FixedClock(NOW), limiter=NoAttemptLimiter())


def count_rows(engine: sa.Engine) -> dict[str, int]:
    tables = (cancellation_requests, cancellation_request_images, images, idempotency_keys)
    with engine.connect() as connection:
        return {
            table.name: int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)
            for table in tables
        }


def record(order: int = 1, key: str = KEY, ids: Sequence[int] = (1, 2)) -> IdempotencyRecord:
    return IdempotencyRecord(
        order=order,
        key=key,
        fingerprint="ab" * 32,
        request_ids=ids,
        created_date=datetime(2024, 6, 15, 14, 0, 0, 123456, tzinfo=UTC),
    )


# --- the repository -------------------------------------------------------------------------


def test_a_record_round_trips(engine: sa.Engine) -> None:
    store = seeded(engine)
    with store.transaction() as repos:
        assert repos.idempotency.get(1, KEY) is None
        repos.idempotency.add(record(ids=(7, 3, 5)))
    with store.transaction() as repos:
        assert repos.idempotency.get(1, KEY) == record(ids=(7, 3, 5))
        assert repos.idempotency.get(2, KEY) is None  # scoped to the order
        assert repos.idempotency.get(1, KEY.upper()) is None  # keys are exact


def test_a_taken_key_raises_and_leaves_the_transaction_usable(engine: sa.Engine) -> None:
    store = seeded(engine)
    with store.transaction() as repos:
        repos.idempotency.add(record())
    with store.transaction() as repos:
        with pytest.raises(IdempotencyKeyExists) as caught:
            repos.idempotency.add(record(ids=(9,)))
        assert caught.value.code == "idempotency_key_reused"
        assert repos.idempotency.get(1, KEY) == record()  # still readable, unchanged
        repos.idempotency.add(record(order=2))  # and writable
    assert count_rows(engine)["idempotency_keys"] == 2


def test_the_plain_insert_path_for_other_databases(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Databases without ``ON CONFLICT``: a SAVEPOINT and the unique constraint's error."""
    monkeypatch.setattr(sql_repositories, "_INSERT_NEW_IDEMPOTENCY_KEY", {})
    store = seeded(engine)
    with store.transaction() as repos:
        repos.idempotency.add(record())
    with store.transaction() as repos:
        with pytest.raises(IdempotencyKeyExists):
            repos.idempotency.add(record(ids=(9,)))
        repos.idempotency.add(record(order=2))
        assert repos.idempotency.get(1, KEY) == record()
    assert count_rows(engine)["idempotency_keys"] == 2


def test_a_record_for_an_unknown_order_is_a_bug_not_a_conflict(engine: sa.Engine) -> None:
    store = seeded(engine)
    with pytest.raises(IntegrityError), store.transaction() as repos:
        repos.idempotency.add(record(order=999))


def test_get_many_keeps_the_order_asked_and_skips_unknown_ids(engine: sa.Engine) -> None:
    store = seeded(engine)
    command = CancellationCommand(
        number=GUEST_NUMBER,
        email=GUEST_EMAIL,
        items=[
            CancelItem(order_item=item, reason=1, cancellation_type=CancellationType.CANCEL)
            for item in (APPROVED_ITEM, WAITING_ITEM)
        ],
    )
    created = request_cancellation(command, uow=store, clock=FixedClock(NOW), policy=POLICY)
    ids = [request.id for request in created]
    assert None not in ids
    with store.transaction() as repos:
        forward = repos.cancellation_requests.get_many([i for i in ids if i is not None])
        backward = repos.cancellation_requests.get_many([404, *reversed(ids)])  # type: ignore[list-item]
        assert list(forward) == created
        assert list(backward) == list(reversed(created))
        assert repos.cancellation_requests.get_many([]) == []


# --- replays through the service ------------------------------------------------------------


def _bodies() -> dict[str, tuple[str, dict[str, Any]]]:
    item = {"order_item": APPROVED_ITEM, "reason": 1, "cancellation_type": "cancel"}
    refund = {
        "order_item": PREPARING_ITEM,
        "reason": 2,
        "cancellation_type": "refund",
        "shipping_company": 10,
        "description": "Arrived broken",
        "pickup_date": {"date": "2024-06-20", "hour_range": {"start": "09:00", "end": "12:00"}},
        "cancellation_request_image_set": [{"image": PNG_URL, "description": "box"}],
    }
    return {
        "single": ("single", {"number": GUEST_NUMBER, "email": GUEST_EMAIL, **item}),
        "bulk": (
            "bulk",
            {
                "number": GUEST_NUMBER,
                "email": GUEST_EMAIL,
                "cancel_order_items": [item, refund],
                "pickup_address": 20,
            },
        ),
        "cash refund": (
            "single",
            {
                "number": CASH_NUMBER,
                "email": GUEST_EMAIL,
                "order_item": CASH_ITEM,
                "reason": 2,
                "cancellation_type": "refund",
                "shipping_company": 10,
                "iban": VALID_IBAN,
                "holder_name": HOLDER_NAME,
            },
        ),
    }


@pytest.mark.parametrize("name", list(_bodies()))
def test_a_replay_is_the_first_response_byte_for_byte(engine: sa.Engine, name: str) -> None:
    kind, body = _bodies()[name]
    guest = service(seeded(engine))
    call = guest.request_cancellation if kind == "single" else guest.request_bulk_cancellation
    first = dumps(call(body, idempotency_key=KEY))
    rows = count_rows(engine)
    assert rows["idempotency_keys"] == 1

    assert dumps(call(body, idempotency_key=KEY)) == first
    assert count_rows(engine) == rows
    changed = (
        {**body, "description": "Changed my mind"}
        if kind == "single"
        else {key: value for key, value in body.items() if key != "pickup_address"}
    )
    with pytest.raises(IdempotencyKeyReused):
        call(changed, idempotency_key=KEY)
    assert count_rows(engine) == rows


# --- statements: a key costs two, a replay a fixed five ------------------------------------

SIZES = (1, 10, 100)


def _big_order(n: int) -> Order:
    return attrs.evolve(
        guest_order(),
        pk=n,
        number=f"N-{n}",
        customer=Customer(id=7001, kind=CustomerKind.GUEST),
        items=[
            OrderItem(
                pk=pk,
                status=OrderStatus.APPROVED,
                quantity=1,
                price=guest_order().items[0].price,
                product=Product(pk=pk, name="P", sku="S"),
            )
            for pk in range(n * 1000, n * 1000 + n)
        ],
    )


def _command(order: Order) -> CancellationCommand:
    return CancellationCommand(
        number=order.number,
        email=GUEST_EMAIL,
        items=[
            CancelItem(order_item=item.pk, reason=1, cancellation_type=CancellationType.CANCEL)
            for item in order.items
        ],
    )


def test_statements_with_a_key_do_not_grow_with_items(
    engine: sa.Engine, record_statements: RecordStatements
) -> None:
    orders = [_big_order(n) for n in SIZES]
    store = seeded(engine, *orders)
    created_counts, replay_counts = {}, {}
    for order in orders:
        command = _command(order)
        with record_statements(engine) as statements:
            created = request_cancellation(
                command, uow=store, clock=FixedClock(NOW), policy=POLICY, idempotency_key=KEY
            )
        created_counts[len(order.items)] = len(statements)
        with record_statements(engine) as statements:
            again = request_cancellation(
                command, uow=store, clock=FixedClock(NOW), policy=POLICY, idempotency_key=KEY
            )
        assert again == created
        replay_counts[len(order.items)] = len(statements)

    sqlite = engine.dialect.name == "sqlite"  # BEGIN IMMEDIATE is a statement there
    # Without a key: 9 (see test_sqlalchemy_use_cases); the key adds its SELECT and INSERT.
    assert created_counts == dict.fromkeys(SIZES, 9 + 2)
    # Order+items, active requests, carriers, the key, the requests it names.
    assert replay_counts == dict.fromkeys(SIZES, 5 + sqlite)


# --- atomic with the requests ---------------------------------------------------------------


class _BlindToKeys(SqlAlchemyIdempotencyRepository):
    """Does not see existing keys: as if a concurrent writer stored this one just now."""

    def get(self, order: int, key: str) -> IdempotencyRecord | None:
        return None


class _BlindStore(SqlAlchemyStore):
    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[SqlAlchemyRepositories]:
        with super().transaction(read_only=read_only) as repos:
            yield attrs.evolve(repos, idempotency=_BlindToKeys(repos.connection))


def test_a_key_that_cannot_be_stored_leaves_no_request(engine: sa.Engine) -> None:
    _, body = _bodies()["bulk"]
    cancel, refund = body["cancel_order_items"]
    seeded(engine)
    service(SqlAlchemyStore(engine)).request_bulk_cancellation(
        {"number": GUEST_NUMBER, "email": GUEST_EMAIL, "cancel_order_items": [cancel]},
        idempotency_key=KEY,
    )
    other_items = {**body, "cancel_order_items": [refund]}  # with an image
    before = count_rows(engine)

    with pytest.raises(IdempotencyKeyReused):
        service(_BlindStore(engine)).request_bulk_cancellation(other_items, idempotency_key=KEY)

    assert count_rows(engine) == before  # no request, image reference or image bytes


# --- concurrent retries ------------------------------------------------------------------------


def run_together(calls: Sequence[Callable[[], T]]) -> list[T | BaseException]:
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | BaseException:
        barrier.wait(timeout=60)
        try:
            return call()
        except Exception as error:  # noqa: BLE001  # the outcome is what the test checks
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return [f.result(timeout=120) for f in [pool.submit(run, call) for call in calls]]


def _cancel(
    store: SqlAlchemyStore, command: CancellationCommand, key: str
) -> list[CancellationRequest]:
    return request_cancellation(
        command, uow=store, clock=FixedClock(NOW), policy=POLICY, idempotency_key=key
    )


def test_32_concurrent_retries_with_one_key_all_get_the_winners_response(
    threaded_engine: sa.Engine,
) -> None:
    store = seeded(threaded_engine)
    command = CancellationCommand(
        number=GUEST_NUMBER,
        email=GUEST_EMAIL,
        items=[
            CancelItem(order_item=item, reason=1, cancellation_type=CancellationType.CANCEL)
            for item in (APPROVED_ITEM, WAITING_ITEM)
        ],
    )
    outcomes = run_together([functools.partial(_cancel, store, command, KEY)] * THREADS)
    # PostgreSQL (READ COMMITTED): a loser waits on the winner's commit, then sees its key;
    # SQLite runs one writer at a time. Either way every loser replays the winner.
    assert all(isinstance(o, list) for o in outcomes), outcomes
    assert all(o == outcomes[0] for o in outcomes)
    assert count_rows(threaded_engine)["cancellation_requests"] == 2
    assert count_rows(threaded_engine)["idempotency_keys"] == 1


class _ReadAllThenWrite(SqlAlchemyStore):
    """Every transaction waits after its reads until all have read: they race to write."""

    def __init__(self, engine: sa.Engine, parties: int) -> None:
        super().__init__(engine)
        self.barrier = threading.Barrier(parties)

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[SqlAlchemyRepositories]:
        with super().transaction(read_only=read_only) as repos:
            yield attrs.evolve(repos, idempotency=_WaitAfterKeyRead(repos.connection, self))


class _WaitAfterKeyRead(SqlAlchemyIdempotencyRepository):
    def __init__(self, connection: sa.Connection, store: _ReadAllThenWrite) -> None:
        super().__init__(connection)
        self._store = store
        self._waited = False

    def get(self, order: int, key: str) -> IdempotencyRecord | None:
        found = super().get(order, key)
        if not self._waited:  # only the first read (a loser reads again after its conflict)
            self._waited = True
            self._store.barrier.wait(timeout=60)
        return found


@pytest.mark.postgres
def test_widened_race_every_loser_replays_the_winner(pg_engine: sa.Engine) -> None:
    seeded(pg_engine)
    store = _ReadAllThenWrite(pg_engine, THREADS)
    command = CancellationCommand(
        number=GUEST_NUMBER,
        email=GUEST_EMAIL,
        items=[
            CancelItem(
                order_item=SHIPPED_ITEM,
                reason=2,
                cancellation_type=CancellationType.REFUND,
                shipping_company=10,
            )
        ],
    )
    outcomes = run_together([functools.partial(_cancel, store, command, KEY)] * THREADS)
    assert all(isinstance(o, list) for o in outcomes), outcomes
    assert all(o == outcomes[0] for o in outcomes)
    assert count_rows(pg_engine)["cancellation_requests"] == 1


@pytest.mark.postgres
def test_widened_race_one_key_two_requests_one_wins(pg_engine: sa.Engine) -> None:
    seeded(pg_engine)
    store = _ReadAllThenWrite(pg_engine, 2)
    commands = [
        CancellationCommand(
            number=GUEST_NUMBER,
            email=GUEST_EMAIL,
            items=[
                CancelItem(order_item=item, reason=1, cancellation_type=CancellationType.CANCEL)
            ],
            bulk=False,
        )
        for item in (APPROVED_ITEM, WAITING_ITEM)
    ]
    outcomes = run_together([functools.partial(_cancel, store, c, KEY) for c in commands])
    winners = [o for o in outcomes if isinstance(o, list)]
    losers = [o for o in outcomes if not isinstance(o, list)]
    assert len(winners) == 1, outcomes
    assert [type(o) for o in losers] == [IdempotencyKeyReused]
    rows = count_rows(pg_engine)
    assert rows["cancellation_requests"] == 1  # the loser's request was rolled back
    assert rows["idempotency_keys"] == 1


def test_created_dates_survive_the_round_trip_in_records(engine: sa.Engine) -> None:
    store = seeded(engine)
    late = datetime(2024, 6, 15, 23, 59, 59, 999999, tzinfo=UTC)
    with store.transaction() as repos:
        repos.idempotency.add(attrs.evolve(record(), created_date=late))
    with store.transaction() as repos:
        found = repos.idempotency.get(1, KEY)
    assert found is not None
    assert found.created_date == late
    assert found.created_date.utcoffset() == timedelta(0)
