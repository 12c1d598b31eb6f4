"""Idempotent retries: the same key and request answers the first response and creates
nothing; the same key with another request is refused; keys are scoped to the order and
looked up only once ownership is proven; the record is written atomically with the
requests (ASVS 2.3.3, 2.3.4)."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _builders import (
    APPROVED_ITEM,
    CASH_CANCELLABLE_ITEM,
    CASH_NUMBER,
    GUEST_EMAIL,
    GUEST_NUMBER,
    NOW,
    PNG,
    PREPARING_ITEM,
    REGISTERED_NUMBER,
    UNKNOWN_NUMBER,
    WAITING_ITEM,
    BeforeWriteUnitOfWork,
    RecordingClock,
    RecordingUnitOfWork,
    World,
    barrier_before_write,
    bulk,
    cancel_item,
    new_store,
    refund_item,
    single,
)
from guest_orders.adapters.memory import InMemoryIdempotencyRepository, InMemoryStore
from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    CancellationCommand,
    CancellationRequest,
    CancellationRequestStatus,
    IdempotencyRecord,
    command_fingerprint,
    is_valid_idempotency_key,
)
from guest_orders.errors import IdempotencyKeyReused, InvalidRequest, OrderNotFound
from guest_orders.policy import Policy
from guest_orders.ports import IdempotencyKeyExists, Repositories, UnitOfWork
from guest_orders.service import GuestOrders
from guest_orders.throttling import NoAttemptLimiter
from guest_orders.use_cases import request_cancellation
from guest_orders.wire import parse_bulk_cancellation, parse_cancellation, render_error

KEY = "8c1f7a52-3b1e-4f0e-9d4c-2a7b5e6f9a01"
ACTIVE_EXISTS = "cancellation_request_100_1"


def cancel(
    world: World, command: CancellationCommand, key: str | None = KEY, uow: UnitOfWork | None = None
) -> list[CancellationRequest]:
    return request_cancellation(
        command,
        uow=uow or world.store,
        clock=world.clock,
        policy=world.policy,
        idempotency_key=key,
    )


def records(world: World) -> list[IdempotencyRecord]:
    return world.store.repositories.idempotency.all()


COMMANDS = {
    "single": lambda: single(cancel_item(APPROVED_ITEM)),
    "bulk": lambda: bulk(cancel_item(APPROVED_ITEM), refund_item(PREPARING_ITEM, images=[PNG])),
}
commands = pytest.mark.parametrize("make", COMMANDS.values(), ids=list(COMMANDS))


# --- the use case ---------------------------------------------------------------------------


@commands
def test_a_retry_answers_the_first_response_and_creates_nothing(make: Any) -> None:
    world = World()
    first = cancel(world, make())
    stored, images = world.stored, dict(world.images.images)
    world.clock.advance(timedelta(minutes=5))  # a retry comes later

    again = cancel(world, make())

    assert again == first
    assert world.stored == stored
    assert world.images.images == images
    [record] = records(world)
    assert record.order == 1
    assert record.key == KEY
    assert record.request_ids == tuple(r.id for r in first)
    assert record.created_date == NOW


@commands
def test_the_same_key_with_another_request_is_refused(make: Any) -> None:
    world = World()
    cancel(world, make())
    stored = world.stored
    other = bulk(cancel_item(WAITING_ITEM))
    with pytest.raises(IdempotencyKeyReused) as caught:
        cancel(world, other)
    assert world.stored == stored
    assert render_error(caught.value) == {
        "non_field_errors": ["This idempotency key was already used for a different request."],
        "code": "idempotency_key_reused",
        "codes": {"non_field_errors": ["idempotency_key_reused"]},
    }
    assert caught.value.http_status == 422


def test_single_and_bulk_requests_for_the_same_item_are_different_requests() -> None:
    world = World()
    cancel(world, single(cancel_item(APPROVED_ITEM)))
    with pytest.raises(IdempotencyKeyReused):
        cancel(world, bulk(cancel_item(APPROVED_ITEM)))


def test_without_a_key_a_retry_is_a_second_request() -> None:
    world = World()
    cancel(world, single(cancel_item(APPROVED_ITEM)), key=None)
    with pytest.raises(InvalidRequest) as caught:
        cancel(world, single(cancel_item(APPROVED_ITEM)), key=None)
    assert caught.value.code == ACTIVE_EXISTS
    assert records(world) == []


def test_a_key_is_scoped_to_its_order() -> None:
    world = World()
    first = cancel(world, single(cancel_item(APPROVED_ITEM)))
    other = cancel(world, single(cancel_item(CASH_CANCELLABLE_ITEM), number=CASH_NUMBER))
    assert [r.order_item for r in other] == [CASH_CANCELLABLE_ITEM]
    assert other[0].id != first[0].id
    assert {(r.order, r.key) for r in records(world)} == {(1, KEY), (2, KEY)}
    # And each order's retry answers its own response.
    assert cancel(world, single(cancel_item(CASH_CANCELLABLE_ITEM), number=CASH_NUMBER)) == other


@pytest.mark.parametrize(
    ("number", "email"),
    [(UNKNOWN_NUMBER, GUEST_EMAIL), (REGISTERED_NUMBER, GUEST_EMAIL), (GUEST_NUMBER, "x@y.org")],
)
def test_a_known_key_reveals_nothing_without_ownership(number: str, email: str) -> None:
    world = World()
    cancel(world, single(cancel_item(APPROVED_ITEM)))

    def calls(key: str | None) -> list[str]:
        uow = RecordingUnitOfWork(world.store)
        clock = RecordingClock(world.clock, uow.log)
        with pytest.raises(OrderNotFound):
            request_cancellation(
                single(cancel_item(APPROVED_ITEM), number=number, email=email),
                uow=uow,
                clock=clock,
                policy=world.policy,
                idempotency_key=key,
            )
        return uow.log

    # The key is never looked up: the same port calls as without one.
    assert calls(KEY) == calls(None) == calls("another-key")
    assert "idempotency.get" not in calls(KEY)


def test_the_port_calls_of_a_first_request_and_of_a_replay() -> None:
    store = new_store()
    uow = RecordingUnitOfWork(store)
    clock = FixedClock(NOW)
    command = single(cancel_item(APPROVED_ITEM))
    request_cancellation(command, uow=uow, clock=clock, policy=Policy(), idempotency_key=KEY)
    assert uow.log == [
        "transaction",
        "orders.find_by_number",
        "cancellation_requests.active_for_items",
        "shipping_companies.list_active",
        "idempotency.get",
        "reasons.get_many",
        "cancellation_requests.add_all",
        "idempotency.add",
        "outbox.add_all",
        "commit",
    ]
    uow.log.clear()
    request_cancellation(command, uow=uow, clock=clock, policy=Policy(), idempotency_key=KEY)
    assert uow.log == [
        "transaction",
        "orders.find_by_number",
        "cancellation_requests.active_for_items",
        "shipping_companies.list_active",
        "idempotency.get",
        "cancellation_requests.get_many",
        "commit",
    ]


def test_a_replay_shows_the_requests_as_they_are_now() -> None:
    store = new_store()
    world = World(store=store)
    [first] = cancel(world, single(cancel_item(APPROVED_ITEM)))
    assert first.id is not None
    # The back office approves it; the repository keeps the latest state.
    requests = store.repositories.cancellation_requests
    approved = attrs.evolve(first, status=CancellationRequestStatus.APPROVED)
    requests._requests[first.id] = approved
    assert cancel(world, single(cancel_item(APPROVED_ITEM))) == [approved]


def test_a_replay_whose_requests_are_gone_is_refused() -> None:
    world = World()
    world.store.repositories.idempotency.add(
        IdempotencyRecord(
            order=1,
            key=KEY,
            fingerprint=command_fingerprint(single(cancel_item(APPROVED_ITEM))),
            request_ids=[404],
            created_date=NOW,
        )
    )
    with pytest.raises(IdempotencyKeyReused):
        cancel(world, single(cancel_item(APPROVED_ITEM)))
    assert world.stored == []


def test_a_rule_failure_stores_no_key() -> None:
    world = World()
    with pytest.raises(InvalidRequest):
        cancel(world, single(cancel_item(PREPARING_ITEM)))  # not cancellable
    assert records(world) == []
    # The key is still free: the corrected request succeeds.
    cancel(world, single(cancel_item(APPROVED_ITEM)))
    assert len(records(world)) == 1


# --- key format -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "",
        " ",
        "a b",
        " key",
        "key\n",
        "\x00",
        "\x7f",
        "clé",
        "ｋｅｙ",
        "\ud800",
        "k" * 256,
    ],
)
def test_a_malformed_key_is_refused_before_anything(key: str) -> None:
    store = new_store()
    uow = RecordingUnitOfWork(store)
    with pytest.raises(InvalidRequest) as caught:
        request_cancellation(
            single(cancel_item(APPROVED_ITEM)),
            uow=uow,
            clock=FixedClock(NOW),
            policy=Policy(),
            idempotency_key=key,
        )
    assert uow.log == []
    assert render_error(caught.value) == {
        "non_field_errors": ["The idempotency key must be 1 to 255 visible ASCII characters."],
        "code": "invalid_idempotency_key",
        "codes": {"non_field_errors": ["invalid_idempotency_key"]},
    }


@pytest.mark.parametrize("key", ["k", "!", "~" * 255, "a:b/c=d+e_f-g.h", KEY])
def test_well_formed_keys(key: str) -> None:
    assert is_valid_idempotency_key(key)
    cancel(World(), single(cancel_item(APPROVED_ITEM)), key=key)


@given(st.text(max_size=300))
def test_key_validity_is_visible_ascii_of_1_to_255(key: str) -> None:
    expected = 1 <= len(key) <= 255 and all("!" <= char <= "~" for char in key)
    assert is_valid_idempotency_key(key) is expected


# --- atomic with the requests ---------------------------------------------------------------


class _KeyTakenAtWrite(InMemoryIdempotencyRepository):
    """An idempotency repository whose ``add`` loses to a concurrent writer."""

    def add(self, record: IdempotencyRecord) -> None:
        raise IdempotencyKeyExists(record.order)


class _LosingStore:
    def __init__(self, store: InMemoryStore) -> None:
        self.store = store

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Repositories]:
        with self.store.transaction(read_only=read_only) as repos:
            yield attrs.evolve(repos, idempotency=_KeyTakenAtWrite())


def test_when_the_key_cannot_be_written_no_request_is_left() -> None:
    world = World()
    command = bulk(cancel_item(APPROVED_ITEM), refund_item(PREPARING_ITEM, images=[PNG]))
    with pytest.raises(IdempotencyKeyReused):
        cancel(world, command, uow=_LosingStore(world.store))
    assert world.stored == []
    assert world.images.images == {}
    assert records(world) == []
    cancel(world, command)  # nothing was left behind to conflict with
    assert len(world.stored) == 2


def test_when_a_later_step_fails_the_key_is_forgotten_too() -> None:
    world = World()

    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with world.store.transaction() as repos:
            repos.idempotency.add(
                IdempotencyRecord(
                    order=1, key=KEY, fingerprint="0" * 64, request_ids=[1], created_date=NOW
                )
            )
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    assert records(world) == []


# --- concurrent retries with one key -----------------------------------------------------------

THREADS = 8


def _race(uow: UnitOfWork, world: World, commands: Sequence[CancellationCommand]) -> list[Any]:
    start = threading.Barrier(len(commands))

    def run(command: CancellationCommand) -> Any:
        start.wait(timeout=10)
        try:
            return cancel(world, command, uow=uow)
        except Exception as error:  # noqa: BLE001  # the outcome is what the test checks
            return error

    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(run, commands))


@pytest.mark.parametrize("widened", [False, True], ids=["plain", "all read before any write"])
def test_concurrent_retries_with_one_key_create_once(widened: bool) -> None:  # noqa: FBT001
    world = World()
    command = bulk(cancel_item(APPROVED_ITEM), cancel_item(WAITING_ITEM))
    uow: UnitOfWork = barrier_before_write(world.store, THREADS) if widened else world.store
    outcomes = _race(uow, world, [command] * THREADS)

    created = [o for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if not isinstance(o, list)]
    assert created
    assert all(o == created[0] for o in created)  # the winner's response, replayed
    # A loser that could not see the winner's key yet is refused by the one-active rule.
    assert all(isinstance(o, InvalidRequest) and o.code == ACTIVE_EXISTS for o in refused)
    assert len(world.stored) == 2
    assert len(records(world)) == 1
    # Its retry now gets the winner's response.
    assert cancel(world, command) == created[0]


def test_concurrent_requests_with_one_key_and_different_items_one_wins() -> None:
    world = World()
    commands = [single(cancel_item(APPROVED_ITEM)), single(cancel_item(WAITING_ITEM))]
    uow = BeforeWriteUnitOfWork(world.store, lambda: None)
    outcomes = _race(uow, world, commands)
    winners = [o for o in outcomes if isinstance(o, list)]
    losers = [o for o in outcomes if not isinstance(o, list)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert isinstance(losers[0], IdempotencyKeyReused)
    assert world.stored == winners[0]


# --- fingerprints ---------------------------------------------------------------------------


def test_the_fingerprint_does_not_depend_on_key_order_spaces_or_domain_case() -> None:
    body = {
        "number": GUEST_NUMBER,
        "email": GUEST_EMAIL,
        "order_item": APPROVED_ITEM,
        "reason": 1,
        "cancellation_type": "cancel",
        "description": "Ordered twice",
    }
    reordered = dict(reversed(list(body.items())))
    spaced = {**body, "number": f" {GUEST_NUMBER} ", "email": "Guest.Buyer@EXAMPLE.com"}
    fingerprints = {command_fingerprint(parse_cancellation(b)) for b in (body, reordered, spaced)}
    assert len(fingerprints) == 1


def test_the_fingerprint_is_stable_across_processes_and_releases() -> None:
    command = parse_bulk_cancellation(
        {
            "number": GUEST_NUMBER,
            "email": GUEST_EMAIL,
            "cancel_order_items": [
                {"order_item": 1, "reason": 2, "cancellation_type": "refund", "quantity": 3},
            ],
            "pickup_address": 20,
        }
    )
    # A changed value means every stored key stops matching its retries: bump the version.
    assert command_fingerprint(command) == (
        "6c222ffff8dd44a9f7bcea322ff387d45019be26c707eddcc62e134c83af2538"
    )


_BASE = bulk(cancel_item(APPROVED_ITEM), refund_item(PREPARING_ITEM))
_CHANGES: dict[str, CancellationCommand] = {
    "number": attrs.evolve(_BASE, number="1"),
    "email": attrs.evolve(_BASE, email="guest.buyer@example.com"),
    "single": attrs.evolve(_BASE, items=_BASE.items[:1], bulk=False),
    "pickup address": attrs.evolve(_BASE, pickup_address=20),
    "loyalty": attrs.evolve(_BASE, fully_refund_as_loyalty_money=True),
    "item order": attrs.evolve(_BASE, items=tuple(reversed(_BASE.items))),
    "reason": bulk(cancel_item(APPROVED_ITEM, reason=5), refund_item(PREPARING_ITEM)),
    "quantity": bulk(cancel_item(APPROVED_ITEM, quantity=1), refund_item(PREPARING_ITEM)),
    "description": bulk(cancel_item(APPROVED_ITEM, description="x"), refund_item(PREPARING_ITEM)),
    "image": bulk(cancel_item(APPROVED_ITEM), refund_item(PREPARING_ITEM, images=[PNG])),
    "image bytes": bulk(
        cancel_item(APPROVED_ITEM),
        refund_item(PREPARING_ITEM, images=[attrs.evolve(PNG, content=PNG.content + b"!")]),
    ),
}


@pytest.mark.parametrize("changed", _CHANGES.values(), ids=list(_CHANGES))
def test_any_change_changes_the_fingerprint(changed: CancellationCommand) -> None:
    assert command_fingerprint(changed) != command_fingerprint(_BASE)
    assert command_fingerprint(changed) == command_fingerprint(attrs.evolve(changed))


# --- the service ----------------------------------------------------------------------------

ITEM = {"order_item": APPROVED_ITEM, "reason": 1, "cancellation_type": "cancel"}
SINGLE = {"number": GUEST_NUMBER, "email": GUEST_EMAIL, **ITEM}
BULK = {"number": GUEST_NUMBER, "email": GUEST_EMAIL, "cancel_order_items": [ITEM]}


def service() -> GuestOrders:
    return GuestOrders(store=new_store(), clock=FixedClock(NOW), limiter=NoAttemptLimiter())


def test_the_service_replays_a_single_request() -> None:
    guest = service()
    first = guest.request_cancellation(SINGLE, idempotency_key=KEY)
    assert guest.request_cancellation(dict(reversed(SINGLE.items())), idempotency_key=KEY) == first
    with pytest.raises(IdempotencyKeyReused):
        guest.request_cancellation({**SINGLE, "description": "changed"}, idempotency_key=KEY)


def test_the_service_replays_a_bulk_request() -> None:
    guest = service()
    first = guest.request_bulk_cancellation(BULK, idempotency_key=KEY)
    assert guest.request_bulk_cancellation(BULK, idempotency_key=KEY) == first
    with pytest.raises(IdempotencyKeyReused):
        guest.request_bulk_cancellation(
            {**BULK, "cancel_order_items": [{**ITEM, "order_item": WAITING_ITEM}]},
            idempotency_key=KEY,
        )
    assert len(guest.store.repositories.cancellation_requests.all()) == 1  # type: ignore[attr-defined]


def test_the_service_scopes_keys_to_the_order() -> None:
    guest = service()
    guest.request_cancellation(SINGLE, idempotency_key=KEY)
    other = guest.request_cancellation(
        {**SINGLE, "number": CASH_NUMBER, "order_item": CASH_CANCELLABLE_ITEM},
        idempotency_key=KEY,
    )
    assert other["order_item"] == CASH_CANCELLABLE_ITEM


def test_the_service_reports_a_bad_key_with_the_bodys_problems() -> None:
    guest = service()
    with pytest.raises(InvalidRequest) as caught:
        guest.request_cancellation(SINGLE, idempotency_key="bad key")
    assert caught.value.code == "invalid_idempotency_key"
    with pytest.raises(InvalidRequest) as caught:
        guest.request_bulk_cancellation({**BULK, "email": "nope"}, idempotency_key="")
    assert render_error(caught.value)["codes"] == {
        "email": ["invalid_email"],
        "non_field_errors": ["invalid_idempotency_key"],
    }
    with pytest.raises(InvalidRequest) as caught:
        guest.request_bulk_cancellation([], idempotency_key="é")  # type: ignore[arg-type]
    assert render_error(caught.value)["codes"] == {
        "non_field_errors": ["invalid", "invalid_idempotency_key"]
    }
