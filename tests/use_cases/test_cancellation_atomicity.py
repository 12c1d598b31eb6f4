"""All or nothing, and one active request per item even against concurrent writers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import attrs
import pytest

from _builders import (
    APPROVED_ITEM,
    CANCELLED_ITEM,
    DELIVERED_ITEM,
    JPEG,
    NOT_AN_ITEM,
    PNG,
    PREPARING_ITEM,
    SHIPPED_ITEM,
    UNKNOWN_REASON,
    WAITING_ITEM,
    BeforeWriteUnitOfWork,
    RecordingUnitOfWork,
    World,
    barrier_before_write,
    bulk,
    cancel_item,
    codes_by_path,
    new_store,
    refund_item,
    rejected,
    single,
    stored_request,
)
from guest_orders.adapters.memory import InMemoryCancellationRequestRepository
from guest_orders.domain import CancellationCommand, CancellationRequest, CancellationRequestStatus
from guest_orders.errors import ErrorDetail, InvalidRequest
from guest_orders.ports import ActiveRequestExists, UnitOfWork

ACTIVE_EXISTS = "cancellation_request_100_1"


# --- all or nothing ---------------------------------------------------------------------


def test_one_failing_item_stores_nothing_and_every_failure_is_listed_by_index() -> None:
    world = World()
    command = bulk(
        cancel_item(APPROVED_ITEM),
        refund_item(PREPARING_ITEM, quantity=9),
        cancel_item(WAITING_ITEM),
        cancel_item(NOT_AN_ITEM),
        refund_item(SHIPPED_ITEM, images=[PNG]),
    )
    error = rejected(world, command)
    assert error.code == "quantity_exceeds_item"  # the first problem found
    items = error.errors["cancel_order_items"]
    assert isinstance(items, list)
    assert len(items) == 5
    assert items[0] == {}
    assert items[2] == {}
    assert items[4] == {}
    assert codes_by_path(error) == {
        "cancel_order_items[1].quantity": ["quantity_exceeds_item"],
        "cancel_order_items[3].order_item": ["order_item_not_in_order"],
    }
    assert world.stored == []
    assert world.images.images == {}
    # And the good items are still free afterwards.
    assert world.lookup().eligibility[APPROVED_ITEM].can_cancel


def test_error_details_carry_messages() -> None:
    error = rejected(World(), single(cancel_item(reason=UNKNOWN_REASON)))
    ((path, detail),) = error.details
    assert path == "reason"
    assert detail == ErrorDetail("invalid_reason", "This cancellation reason is not available.")
    assert str(error) == detail.message


def test_failed_request_makes_no_write_and_puts_no_image() -> None:
    uow = RecordingUnitOfWork(new_store())
    world = World(store=uow.store)
    with pytest.raises(InvalidRequest):
        world.cancel(bulk(cancel_item(images=[PNG]), cancel_item(CANCELLED_ITEM)), uow=uow)
    assert "cancellation_requests.add_all" not in uow.log
    assert "images.put" not in uow.log


def test_successful_request_writes_once() -> None:
    uow = RecordingUnitOfWork(new_store())
    world = World(store=uow.store)
    world.cancel(bulk(cancel_item(APPROVED_ITEM), refund_item(PREPARING_ITEM)), uow=uow)
    assert uow.log.count("cancellation_requests.add_all") == 1
    assert uow.log[-1] == "commit"


# --- a concurrent writer wins between our read and our write ----------------------------


def competitor(world: World, order_item: int) -> BeforeWriteUnitOfWork:
    """A unit of work in which another writer stores an active request for ``order_item``
    after the use case has read (and found none) and before it writes."""

    def write() -> None:
        world.requests.add_all([stored_request(order_item)])

    def sneak_in() -> None:
        other = threading.Thread(target=write)  # another writer: not our transaction
        other.start()
        other.join()

    return BeforeWriteUnitOfWork(world.store, sneak_in)


def test_conflict_at_write_time_in_bulk() -> None:
    world = World()
    command = bulk(
        cancel_item(APPROVED_ITEM, images=[JPEG]),
        refund_item(PREPARING_ITEM, images=[PNG]),
        cancel_item(WAITING_ITEM),
    )
    with pytest.raises(InvalidRequest) as caught:
        world.cancel(command, uow=competitor(world, PREPARING_ITEM))
    error = caught.value
    assert error.code == ACTIVE_EXISTS
    assert codes_by_path(error) == {"cancel_order_items[1].non_field_errors": [ACTIVE_EXISTS]}
    assert error.errors["cancel_order_items"][0] == {}  # type: ignore[index]
    assert error.errors["cancel_order_items"][2] == {}  # type: ignore[index]
    # Only the competitor's request is stored; our images are gone again.
    ((winner,),) = world.active_by_item().values()
    assert winner.order_item == PREPARING_ITEM
    assert len(world.stored) == 1
    assert world.images.images == {}


def test_conflict_at_write_time_in_a_single_request() -> None:
    world = World()
    with pytest.raises(InvalidRequest) as caught:
        world.cancel(single(cancel_item(APPROVED_ITEM)), uow=competitor(world, APPROVED_ITEM))
    assert caught.value.code == ACTIVE_EXISTS
    assert codes_by_path(caught.value) == {"non_field_errors": [ACTIVE_EXISTS]}
    assert len(world.stored) == 1


def test_conflict_on_another_item_does_not_block() -> None:
    world = World()
    created = world.cancel(single(cancel_item(APPROVED_ITEM)), uow=competitor(world, WAITING_ITEM))
    assert [r.order_item for r in created] == [APPROVED_ITEM]
    assert sorted(world.active_by_item()) == [APPROVED_ITEM, WAITING_ITEM]


class BlindRequests(InMemoryCancellationRequestRepository):
    """Never sees an active request when reading: only the write can catch a conflict."""

    def active_for_items(self, order_items: object) -> dict[int, CancellationRequest]:
        return {}


def test_the_write_refuses_what_the_read_missed() -> None:
    world = World()
    blind = BlindRequests([stored_request(SHIPPED_ITEM)])
    world.store.repositories = attrs.evolve(world.store.repositories, cancellation_requests=blind)
    command = bulk(refund_item(DELIVERED_ITEM, images=[PNG]), refund_item(SHIPPED_ITEM))
    with pytest.raises(InvalidRequest) as caught:
        world.cancel(command)
    assert caught.value.code == ACTIVE_EXISTS
    assert codes_by_path(caught.value) == {
        "cancel_order_items[1].non_field_errors": [ACTIVE_EXISTS]
    }
    assert [r.order_item for r in blind.all()] == [SHIPPED_ITEM]
    assert world.images.images == {}


# --- the in-memory repository keeps the rule itself -------------------------------------


def test_add_all_refuses_a_batch_with_one_conflict_and_stores_none_of_it() -> None:
    repo = InMemoryCancellationRequestRepository([stored_request(2)])
    with pytest.raises(ActiveRequestExists) as caught:
        repo.add_all([stored_request(1), stored_request(2), stored_request(3)])
    assert caught.value.order_items == frozenset({2})
    assert caught.value.code == ACTIVE_EXISTS
    assert [r.order_item for r in repo.all()] == [2]
    assert set(repo.active_for_items([1, 2, 3])) == {2}


def test_add_all_refuses_the_same_item_twice_in_one_batch() -> None:
    repo = InMemoryCancellationRequestRepository()
    with pytest.raises(ActiveRequestExists) as caught:
        repo.add_all([stored_request(1), stored_request(5), stored_request(1)])
    assert caught.value.order_items == frozenset({1})
    assert repo.all() == []


def test_add_all_accepts_inactive_requests_next_to_an_active_one() -> None:
    repo = InMemoryCancellationRequestRepository([stored_request(1)])
    rejected_again = stored_request(1, status=CancellationRequestStatus.REJECTED)
    (stored,) = repo.add_all([rejected_again])
    assert stored.id is not None
    assert repo.active_for_items([1])[1].id != stored.id


def test_add_all_assigns_fresh_ids_and_returns_them() -> None:
    repo = InMemoryCancellationRequestRepository()
    stored = repo.add_all([stored_request(1), stored_request(2)])
    assert [r.id for r in stored] == [1, 2]
    assert repo.all() == list(stored)
    assert repo.active_for_items([1, 2]) == {1: stored[0], 2: stored[1]}


def test_generated_ids_never_overwrite_seeded_ones() -> None:
    seeded = stored_request(1, request_id=1, status=CancellationRequestStatus.REJECTED)
    also_seeded = stored_request(2, request_id=2)
    repo = InMemoryCancellationRequestRepository([seeded, also_seeded])
    (new,) = repo.add_all([stored_request(3)])
    assert new.id not in {1, 2}
    assert repo.all() == [seeded, also_seeded, new]
    assert repo.active_for_items([2, 3]) == {2: also_seeded, 3: new}


def test_an_explicit_id_already_stored_is_refused() -> None:
    repo = InMemoryCancellationRequestRepository([stored_request(1, request_id=7)])
    with pytest.raises(ValueError, match="id"):
        repo.add_all([stored_request(2, request_id=7)])
    assert [r.order_item for r in repo.all()] == [1]


# --- threads ----------------------------------------------------------------------------

THREADS = 16


def race(world: World, command: CancellationCommand, uow: UnitOfWork) -> list[object]:
    def attempt(_: int) -> object:
        try:
            return world.cancel(command, uow=uow)
        except InvalidRequest as error:
            return error

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(attempt, range(THREADS)))


def assert_exactly_one_winner(world: World, outcomes: list[object], order_item: int) -> None:
    successes = [o for o in outcomes if isinstance(o, list)]
    failures = [o for o in outcomes if isinstance(o, InvalidRequest)]
    assert len(successes) == 1
    assert len(failures) == THREADS - 1
    assert {f.code for f in failures} == {ACTIVE_EXISTS}
    assert len(world.active_by_item()[order_item]) == 1
    assert len(world.stored) == 1


def test_threads_racing_for_one_item_yield_exactly_one_success() -> None:
    world = World()
    outcomes = race(world, single(cancel_item(APPROVED_ITEM)), world.store)
    assert_exactly_one_winner(world, outcomes, APPROVED_ITEM)


def test_threads_that_all_passed_the_read_yield_exactly_one_success() -> None:
    # Every thread reads "no active request" before any of them writes: only the
    # repository's atomic write can keep the rule.
    world = World()
    uow = barrier_before_write(world.store, THREADS)
    outcomes = race(world, bulk(refund_item(PREPARING_ITEM, images=[PNG])), uow)
    assert_exactly_one_winner(world, outcomes, PREPARING_ITEM)
    for outcome in outcomes:
        if isinstance(outcome, InvalidRequest):
            assert codes_by_path(outcome) == {
                "cancel_order_items[0].non_field_errors": [ACTIVE_EXISTS]
            }
    # Only the winner's image is kept.
    (winner,) = world.stored
    assert set(world.images.images) == {ref.image for ref in winner.images}


def test_threads_racing_for_overlapping_batches() -> None:
    world = World()
    commands = [
        bulk(cancel_item(APPROVED_ITEM), cancel_item(WAITING_ITEM)),
        bulk(cancel_item(WAITING_ITEM), refund_item(SHIPPED_ITEM)),
        bulk(refund_item(SHIPPED_ITEM), cancel_item(APPROVED_ITEM)),
    ]
    barrier = threading.Barrier(len(commands), timeout=10)

    def wait() -> None:
        barrier.wait()

    uow = BeforeWriteUnitOfWork(world.store, wait)
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        futures = [pool.submit(world.cancel, command, uow=uow) for command in commands]
        outcomes = [f.exception() or f.result() for f in futures]
    assert sum(isinstance(o, list) for o in outcomes) == 1  # every pair overlaps
    assert all(len(requests) == 1 for requests in world.active_by_item().values())
    assert len(world.stored) == 2
