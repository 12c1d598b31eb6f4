"""For any sequence of single and bulk requests, with faults between commit and delivery
and relays killed mid-batch: every committed request's event is delivered at least once,
in commit order per order, and no event exists for a request that was rolled back.

Runs over the in-memory store and over SQLite (one relay, as there).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _builders import (
    CANCEL_REASON,
    NOW,
    addresses,
    companies,
    order,
    order_item,
    reasons,
)
from guest_orders.adapters.memory import InMemoryStore
from guest_orders.clocks import FixedClock
from guest_orders.domain import CancelItem, CancellationCommand, CancellationType, Event, Order
from guest_orders.errors import InvalidRequest
from guest_orders.policy import Policy
from guest_orders.ports import Repositories, UnitOfWork
from guest_orders.relay import DeliveryFailed, deliver_pending
from guest_orders.use_cases import request_cancellation

ORDERS = [
    order(
        pk=pk, number=f"27454030293121{pk:02d}", items=[order_item(pk * 100 + i) for i in range(6)]
    )
    for pk in (1, 2, 3)
]


class _Killed(BaseException):
    """The relay's process dies: nothing after this runs, its transaction is lost."""


class _Rollback(Exception):
    """The commit of a request's transaction fails after every write was made."""


@contextmanager
def _memory_store() -> Iterator[UnitOfWork]:
    yield InMemoryStore(
        orders=ORDERS, reasons=reasons(), shipping_companies=companies(), addresses=addresses()
    )


@contextmanager
def _sqlite_store() -> Iterator[UnitOfWork]:
    sqlalchemy = pytest.importorskip("guest_orders.adapters.sqlalchemy")
    with tempfile.TemporaryDirectory() as folder:
        engine = sqlalchemy.make_engine(f"sqlite:///{Path(folder) / 'events.sqlite3'}")
        try:
            sqlalchemy.create_schema(engine)
            store = sqlalchemy.SqlAlchemyStore(engine)
            store.load(
                orders=ORDERS,
                reasons=reasons(),
                shipping_companies=companies(),
                addresses=addresses(),
            )
            yield store
        finally:
            engine.dispose()


STORES = {"memory": _memory_store, "sqlite": _sqlite_store}
# The profile's number of examples (50 by default, 80 in CI), capped: each example runs a
# store, on SQLite a fresh database.
_EXAMPLES = min(settings.default.max_examples if settings.default else 50, 100)


@attrs.frozen
class _FailingCommit:
    """Runs the use case, then fails the commit: every write is rolled back."""

    store: UnitOfWork

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Repositories]:
        with self.store.transaction(read_only=read_only) as repos:
            yield repos
            raise _Rollback


@attrs.frozen
class _Request:
    """A single or bulk request on one order, committed or rolled back."""

    order: int
    items: list[int]
    bulk: bool
    rolled_back: bool


@attrs.frozen
class _Relay:
    """A relay pass that may fail (the receiver raises) or die (after handing events
    over), after ``after`` events."""

    batch: int
    fault: str
    after: int


_STEPS = st.lists(
    st.one_of(
        st.builds(
            _Request,
            order=st.integers(0, len(ORDERS) - 1),
            items=st.lists(st.integers(0, 5), min_size=1, max_size=4),
            bulk=st.booleans(),
            rolled_back=st.booleans(),
        ),
        st.builds(
            _Relay,
            batch=st.integers(1, 5),
            fault=st.sampled_from(["ok", "fails", "killed"]),
            after=st.integers(0, 4),
        ),
    ),
    max_size=25,
)


@attrs.define
class _Receiver:
    """What the host received, in order, duplicates included."""

    events: list[Event] = attrs.Factory(list)

    def first_deliveries(self) -> list[Event]:
        seen: set[object] = set()
        out = []
        for event in self.events:
            if event.event_id not in seen:
                seen.add(event.event_id)
                out.append(event)
        return out


def _relay_pass(store: UnitOfWork, receiver: _Receiver, step: _Relay) -> None:
    handed = 0

    def deliver(event: Event) -> None:
        nonlocal handed
        if step.fault != "ok" and handed == step.after:
            if step.fault == "fails":
                raise ConnectionError("the receiver is down")
            receiver.events.append(event)  # handed over, then the relay dies unmarked
            raise _Killed
        receiver.events.append(event)
        handed += 1

    with suppress(DeliveryFailed, _Killed):
        deliver_pending(store, deliver, batch_size=step.batch, clock=FixedClock(NOW))


def _command(target: Order, items: list[int], *, bulk: bool) -> CancellationCommand:
    chosen = list(dict.fromkeys(target.items[i].pk for i in items))
    if not bulk:
        chosen = chosen[:1]
    return CancellationCommand(
        number=target.number,
        email=target.user_email,
        items=[
            CancelItem(
                order_item=pk, reason=CANCEL_REASON, cancellation_type=CancellationType.CANCEL
            )
            for pk in chosen
        ],
        bulk=bulk,
    )


@pytest.mark.parametrize("backend", sorted(STORES))
@settings(max_examples=_EXAMPLES)
@given(steps=_STEPS)
def test_every_committed_request_is_delivered_in_commit_order_per_order(
    backend: str, steps: list[_Request | _Relay]
) -> None:
    with STORES[backend]() as store:
        receiver = _Receiver()
        committed: list[tuple[int, object]] = []  # (order pk, request uuid), commit order
        for step in steps:
            if isinstance(step, _Relay):
                _relay_pass(store, receiver, step)
                continue
            target = ORDERS[step.order]
            command = _command(target, step.items, bulk=step.bulk)
            uow = _FailingCommit(store) if step.rolled_back else store
            try:
                created = request_cancellation(
                    command, uow=uow, clock=FixedClock(NOW), policy=Policy()
                )
            except _Rollback:
                continue
            except InvalidRequest:
                continue  # an item already has an active request: nothing stored
            committed += [(target.pk, request.uuid) for request in created]

        # Finally a healthy relay drains the outbox.
        while deliver_pending(store, receiver.events.append, batch_size=7, clock=FixedClock(NOW)):
            pass

        delivered = receiver.first_deliveries()
        committed_uuids = {uuid for _, uuid in committed}
        assert {e.request_uuid for e in delivered} == committed_uuids, (
            "every committed request's event, and only those, is delivered"
        )
        assert len(delivered) == len(committed), "one event per created request"
        for pk in {pk for pk, _ in committed}:
            expected = [uuid for order_pk, uuid in committed if order_pk == pk]
            got = [e.request_uuid for e in delivered if e.order == pk]
            assert got == expected, f"events of order {pk} out of commit order"
        with store.transaction() as repos:
            assert repos.outbox.pending(100) == [], "everything delivered is marked so"
