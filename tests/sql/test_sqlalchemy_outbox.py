"""The SQL outbox: written with the requests, ids that only grow, one order's events in
commit order, and relays on PostgreSQL that never hold one event at the same time (a
4-relay run over 10,000 events)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from _builders import (
    APPROVED_ITEM,
    GUEST_NUMBER,
    NOW,
    WAITING_ITEM,
    addresses,
    bulk,
    cancel_item,
    companies,
    guest_order,
    reasons,
    single,
)
from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, outbox
from guest_orders.clocks import FixedClock
from guest_orders.domain import CancellationRequested, CancellationType, Event
from guest_orders.policy import Policy
from guest_orders.relay import DeliveryFailed, deliver_pending, purge_delivered_events
from guest_orders.use_cases import request_cancellation


def _seeded(engine: sa.Engine) -> SqlAlchemyStore:
    store = SqlAlchemyStore(engine)
    store.load(
        orders=[guest_order()],
        reasons=reasons(),
        shipping_companies=companies(),
        addresses=addresses(),
    )
    return store


def _event(order: int, n: int) -> CancellationRequested:
    return CancellationRequested(
        event_id=uuid.uuid4(),
        request_id=n,
        request_uuid=uuid.uuid4(),
        order=order,
        order_number=f"N-{order}",
        order_item=n,
        cancellation_type=CancellationType.CANCEL,
        reason=1,
        created_date=NOW,
    )


def test_events_are_stored_with_the_requests_and_read_back_faithfully(engine: sa.Engine) -> None:
    store = _seeded(engine)
    created = request_cancellation(
        bulk(cancel_item(APPROVED_ITEM), cancel_item(WAITING_ITEM)),
        uow=store,
        clock=FixedClock(NOW),
        policy=Policy(),
    )
    with store.transaction() as repos:
        pending = repos.outbox.pending(10)
    assert [stored.event.request_id for stored in pending] == [r.id for r in created]
    assert all(stored.event.order_number == GUEST_NUMBER for stored in pending)
    positions = [stored.position for stored in pending]
    assert positions == sorted(positions)
    received: list[Event] = []
    assert deliver_pending(store, received.append, clock=FixedClock(NOW)) == 2
    assert received == [stored.event for stored in pending]
    with store.transaction() as repos:
        assert repos.outbox.pending(10) == []


def test_a_rolled_back_transaction_leaves_no_event(engine: sa.Engine) -> None:
    store = _seeded(engine)

    class Rollback(Exception):
        pass

    def write_then_fail() -> None:
        with store.transaction() as repos:
            repos.outbox.add_all([_event(1, 1)])
            raise Rollback

    with pytest.raises(Rollback):
        write_then_fail()
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 0


def test_ids_only_grow_even_after_a_purge(engine: sa.Engine) -> None:
    store = _seeded(engine)
    request_cancellation(
        single(cancel_item(APPROVED_ITEM)), uow=store, clock=FixedClock(NOW), policy=Policy()
    )
    with store.transaction() as repos:
        (first,) = repos.outbox.pending(10)
    deliver_pending(store, lambda _event: None, clock=FixedClock(NOW))
    later = FixedClock(NOW + timedelta(days=8))
    assert purge_delivered_events(store, older_than=timedelta(days=7), clock=later) == 1
    with store.transaction() as repos:
        repos.outbox.add_all([_event(1, 2)])
        (second,) = repos.outbox.pending(10)
    assert second.position > first.position


def test_purge_keeps_undelivered_and_recently_delivered_events(engine: sa.Engine) -> None:
    store = _seeded(engine)
    with store.transaction() as repos:
        repos.outbox.add_all([_event(1, n) for n in range(1, 4)])
    deliver_pending(store, lambda _event: None, batch_size=1, clock=FixedClock(NOW))
    deliver_pending(
        store, lambda _event: None, batch_size=1, clock=FixedClock(NOW + timedelta(days=5))
    )
    purge_at = FixedClock(NOW + timedelta(days=8))
    assert purge_delivered_events(store, older_than=timedelta(days=7), clock=purge_at) == 1
    with store.transaction() as repos:
        assert [s.event.request_id for s in repos.outbox.pending(10)] == [3]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 2


# --- PostgreSQL: concurrent writers and relays ------------------------------------------------


@pytest.mark.postgres
def test_a_second_writer_on_one_order_waits_so_ids_follow_commit_order(
    pg_engine: sa.Engine,
) -> None:
    store = _seeded(pg_engine)
    order = guest_order().pk
    second_done = threading.Event()

    def second_writer() -> None:
        with store.transaction() as repos:
            repos.outbox.add_all([_event(order, 2)])
        second_done.set()

    with store.transaction() as repos:
        repos.outbox.add_all([_event(order, 1)])
        with ThreadPoolExecutor(1) as pool:
            future = pool.submit(second_writer)
            _wait_for_a_lock_wait(pg_engine)
            assert not second_done.is_set(), "the second writer must wait for the first"
            repos.connection.commit()  # the first commits (id 1), then the second goes on
            future.result(timeout=30)
    with store.transaction() as repos:
        assert [s.event.request_id for s in repos.outbox.pending(10)] == [1, 2]


def _wait_for_a_lock_wait(engine: sa.Engine) -> None:
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(query).scalar():
                return
        time.sleep(0.01)
    pytest.fail("the second writer never waited for the order's lock")


EVENTS = 10_000
ORDERS = 100
RELAYS = 4


class _Killed(BaseException):
    """A relay's process dies mid-batch: its transaction is lost."""


class _Relays:
    """``RELAYS`` relays on threads, each with its own connections, recording which
    events are being delivered at any moment. With ``faults``, a receiver refuses an
    event (``ConnectionError``) or a relay dies after handing one over, each about once
    in ``1 / faults`` deliveries."""

    def __init__(self, events: int, *, faults: float = 0.0) -> None:
        self._events = events
        self._faults = faults
        self._lock = threading.Lock()
        self._in_flight: set[uuid.UUID] = set()
        self._accepted: set[uuid.UUID] = set()
        self.doubles: list[uuid.UUID] = []
        self.received: list[Event] = []  # accepted, in the order deliveries started
        self.per_relay = [0] * RELAYS

    def _deliver(self, index: int, event: Event, luck: random.Random) -> None:
        with self._lock:
            if event.event_id in self._in_flight:
                self.doubles.append(event.event_id)
            self._in_flight.add(event.event_id)
        try:
            time.sleep(0)  # let the other relays run while this one "posts"
            roll = luck.random()
            if roll < self._faults:
                raise ConnectionError("the receiver refused it")
            with self._lock:
                self.received.append(event)
                self._accepted.add(event.event_id)
                self.per_relay[index] += 1
            if roll < 2 * self._faults:
                raise _Killed
        finally:
            with self._lock:
                self._in_flight.discard(event.event_id)

    def run(self, store: SqlAlchemyStore, index: int) -> None:
        luck = random.Random(index)  # fault injection, reproducible
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with self._lock:
                if len(self._accepted) >= self._events:
                    return
            try:
                delivered = deliver_pending(
                    store, lambda event: self._deliver(index, event, luck), batch_size=50
                )
            except (DeliveryFailed, _Killed):
                continue
            if delivered == 0:
                time.sleep(0.002)

    def first_deliveries_by_order(self) -> dict[int, list[uuid.UUID]]:
        seen: set[uuid.UUID] = set()
        by_order: dict[int, list[uuid.UUID]] = defaultdict(list)
        for event in self.received:
            if event.event_id not in seen:
                seen.add(event.event_id)
                by_order[event.order].append(event.event_id)
        return by_order


def _write(store: SqlAlchemyStore, count: int) -> dict[int, list[uuid.UUID]]:
    """``count`` events over ``ORDERS`` orders, in transactions of 2,000; each order's
    event ids in commit order."""
    expected: dict[int, list[uuid.UUID]] = defaultdict(list)
    for start in range(0, count, 2_000):
        with store.transaction() as repos:
            events = [_event(1 + n % ORDERS, n) for n in range(start, min(count, start + 2_000))]
            repos.outbox.add_all(events)
        for event in events:
            expected[event.order].append(event.event_id)
    return expected


def _run(relays: _Relays, store: SqlAlchemyStore) -> None:
    with ThreadPoolExecutor(RELAYS) as pool:
        for future in [pool.submit(relays.run, store, index) for index in range(RELAYS)]:
            future.result()


@pytest.mark.postgres
@pytest.mark.slow
def test_four_relays_deliver_ten_thousand_events_none_twice_at_once(
    pg_engine: sa.Engine,
) -> None:
    store = SqlAlchemyStore(pg_engine)
    expected = _write(store, EVENTS)
    relays = _Relays(EVENTS)
    _run(relays, store)

    doubles, received = relays.doubles, relays.received
    assert doubles == [], f"{len(doubles)} events were in flight twice at once"
    assert len(received) == EVENTS, "each event delivered exactly once (nothing failed)"
    assert len({event.event_id for event in received}) == EVENTS
    assert sum(1 for count in relays.per_relay if count) > 1, "the relays shared the work"
    assert relays.first_deliveries_by_order() == expected, "each order's events in order"
    with store.transaction() as repos:
        assert repos.outbox.pending(10) == []


@pytest.mark.postgres
@pytest.mark.slow
def test_four_relays_with_refusals_and_deaths_deliver_everything_in_order(
    pg_engine: sa.Engine,
) -> None:
    store = SqlAlchemyStore(pg_engine)
    expected = _write(store, 2_000)
    relays = _Relays(2_000, faults=0.01)
    _run(relays, store)
    # A relay that died after the last first delivery left its batch pending: drain it.
    while deliver_pending(store, relays.received.append, batch_size=500):
        pass
    assert relays.doubles == [], "no event in flight twice at once, even redelivered"
    assert relays.first_deliveries_by_order() == expected, "each event, each order in order"
    assert len(relays.received) > 2_000, "some events were delivered again after a death"
    with store.transaction() as repos:
        assert repos.outbox.pending(10) == []
