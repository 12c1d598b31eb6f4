"""The use case writes one ``CancellationRequested`` per created request to the outbox, in
the transaction of the requests: none on failure, none on an idempotent replay."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _builders import (
    APPROVED_ITEM,
    CANCELLED_ITEM,
    CASH_NUMBER,
    DELIVERED_ITEM,
    GUEST_NUMBER,
    NOW,
    VALID_IBAN,
    WAITING_ITEM,
    World,
    bulk,
    cancel_item,
    cash_refund_item,
    guest_order,
    refund_item,
    single,
)
from guest_orders.adapters.memory import InMemoryStore
from guest_orders.domain import (
    CANCELLATION_REQUESTED,
    CancellationRequested,
    CancellationType,
    Event,
    StoredEvent,
)
from guest_orders.errors import IdempotencyKeyReused, InvalidRequest
from guest_orders.ports import Repositories
from guest_orders.use_cases import request_cancellation
from guest_orders.wire import parse_event, render_event
from guest_orders.wire.events import EVENT_DATA_FIELDS


def _events(world: World) -> list[Event]:
    return [stored.event for stored, _ in world.store.repositories.outbox.all()]


def test_a_single_request_writes_one_event_naming_it() -> None:
    world = World()
    (created,) = world.cancel(single(cancel_item(APPROVED_ITEM, quantity=2)))
    (event,) = _events(world)
    assert isinstance(event, CancellationRequested)
    assert event.type == CANCELLATION_REQUESTED
    assert event.request_id == created.id
    assert event.request_uuid == created.uuid
    assert event.order == guest_order().pk
    assert event.order_number == GUEST_NUMBER
    assert event.order_item == APPROVED_ITEM
    assert event.cancellation_type is CancellationType.CANCEL
    assert event.quantity == 2
    assert event.reason == created.reason
    assert event.created_date == NOW


def test_a_bulk_request_writes_one_event_per_item_in_item_order() -> None:
    world = World()
    created = world.cancel(
        bulk(cancel_item(WAITING_ITEM), refund_item(DELIVERED_ITEM), cancel_item(APPROVED_ITEM))
    )
    events = _events(world)
    assert [e.request_id for e in events] == [r.id for r in created]
    assert [e.order_item for e in events] == [WAITING_ITEM, DELIVERED_ITEM, APPROVED_ITEM]
    assert len({e.event_id for e in events}) == 3, "every event has its own id"


def test_a_failed_bulk_request_writes_nothing() -> None:
    world = World()
    with pytest.raises(InvalidRequest):
        world.cancel(bulk(cancel_item(APPROVED_ITEM), cancel_item(CANCELLED_ITEM)))
    assert _events(world) == []


def test_a_request_refused_by_the_one_active_rule_writes_nothing_more() -> None:
    world = World()
    world.cancel(single(cancel_item(APPROVED_ITEM)))
    with pytest.raises(InvalidRequest):
        world.cancel(single(cancel_item(APPROVED_ITEM)))
    assert len(_events(world)) == 1


def test_an_idempotent_replay_writes_nothing_new() -> None:
    world = World()
    command = bulk(cancel_item(APPROVED_ITEM), cancel_item(WAITING_ITEM))

    def run(key: str) -> list[int | None]:
        created = request_cancellation(
            command, uow=world.store, clock=world.clock, policy=world.policy, idempotency_key=key
        )
        return [r.id for r in created]

    first = run("k-1")
    assert run("k-1") == first
    assert [e.request_id for e in _events(world)] == first
    with pytest.raises(IdempotencyKeyReused):
        request_cancellation(
            single(cancel_item(APPROVED_ITEM)),
            uow=world.store,
            clock=world.clock,
            policy=world.policy,
            idempotency_key="k-1",
        )
    assert len(_events(world)) == 2


class _Boom(Exception):
    pass


class _FailsAfterTheWrite:
    """A unit of work whose transaction raises once the use case's block has ended: a
    commit that fails after every write was made."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Repositories]:
        with self.store.transaction(read_only=read_only) as repos:
            yield repos
            if not read_only:
                raise _Boom


def test_a_transaction_that_fails_at_commit_leaves_no_event() -> None:
    world = World()
    with pytest.raises(_Boom):
        world.cancel(single(cancel_item(APPROVED_ITEM)), uow=_FailsAfterTheWrite(world.store))
    assert world.stored == []
    assert _events(world) == []


def test_events_carry_no_bank_account_nor_free_text() -> None:
    world = World()
    world.cancel(
        single(cash_refund_item(description="Call me on +90 555 000 00 00"), number=CASH_NUMBER)
    )
    (event,) = _events(world)
    rendered = json.dumps(render_event(event))
    assert VALID_IBAN[-8:] not in rendered
    assert "555" not in rendered
    assert set(render_event(event)["data"]) == set(EVENT_DATA_FIELDS[CANCELLATION_REQUESTED])
    field_names = {field.name for field in attrs.fields(CancellationRequested)}
    assert not field_names & {"iban", "holder_name", "description", "images", "email"}


_EVENTS = st.builds(
    CancellationRequested,
    event_id=st.uuids(),
    request_id=st.integers(1, 2**63 - 1),
    request_uuid=st.uuids(),
    order=st.integers(1, 2**63 - 1),
    order_number=st.text(max_size=30),
    order_item=st.integers(1, 2**63 - 1),
    cancellation_type=st.sampled_from(CancellationType),
    quantity=st.none() | st.integers(1, 10_000),
    reason=st.integers(1, 2**31),
    created_date=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001  # Hypothesis takes naive bounds
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=3)), timezone(-timedelta(hours=5))]
        ),
    ),
)


@given(_EVENTS)
def test_events_round_trip_through_json(event: CancellationRequested) -> None:
    body = json.loads(json.dumps(render_event(event)))
    parsed = parse_event(body)
    assert parsed == attrs.evolve(event, created_date=event.created_date.astimezone(UTC))
    assert body["id"] == str(event.event_id)
    assert body["type"] == "cancellation.requested"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"type": "cancellation.approved", "id": str(uuid.uuid4()), "data": {}},
        {"type": CANCELLATION_REQUESTED, "id": str(uuid.uuid4()), "data": {"request_id": 1}},
        {"type": CANCELLATION_REQUESTED, "id": "x", "data": []},
    ],
)
def test_parse_event_refuses_what_render_event_never_writes(body: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_event(body)


def test_an_event_names_a_stored_request_only() -> None:
    world = World()
    (created,) = world.cancel(single(refund_item(DELIVERED_ITEM)))
    with pytest.raises(ValueError, match="id must be set"):
        CancellationRequested.of(
            attrs.evolve(created, id=None), order_number=GUEST_NUMBER, event_id=uuid.uuid4()
        )


def test_in_memory_events_are_published_only_when_their_transaction_commits() -> None:
    world = World()
    outbox = world.store.repositories.outbox
    with world.store.transaction() as repos:
        world.cancel(single(cancel_item(APPROVED_ITEM)), uow=_Joined(repos))
        assert outbox.all() == [], "visible before the commit"
        with world.store.transaction() as other:
            assert other.outbox.pending(10) == []
    ((stored, delivered),) = outbox.all()
    assert isinstance(stored, StoredEvent)
    assert delivered is None


class _Joined:
    """Runs the use case inside an already open transaction."""

    def __init__(self, repos: Repositories) -> None:
        self.repos = repos

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Repositories]:
        yield self.repos
