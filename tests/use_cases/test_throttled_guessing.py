"""Throttled guessing: failed ownership checks count against the order number and the
client; past the limit every attempt is refused before storage is touched — even one with
the right email — until the window passes (ASVS 2.4.1, 6.1.1)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from _builders import (
    APPROVED_ITEM,
    CASH_NUMBER,
    GUEST_EMAIL,
    GUEST_NUMBER,
    NOW,
    REGISTERED_NUMBER,
    UNKNOWN_NUMBER,
    WAITING_ITEM,
    RecordingClock,
    RecordingUnitOfWork,
    bulk,
    cancel_item,
    new_store,
    single,
)
from guest_orders.clocks import FixedClock
from guest_orders.domain import LookupQuery
from guest_orders.errors import GuestOrderError, InvalidRequest, OrderNotFound, TooManyAttempts
from guest_orders.policy import Policy
from guest_orders.ports import AttemptLimiter, AttemptReservation, Clock, UnitOfWork
from guest_orders.service import GuestOrders
from guest_orders.throttling import AttemptLimits, InMemoryAttemptLimiter, attempt_keys
from guest_orders.use_cases import lookup_order, request_cancellation
from guest_orders.wire import render_error

WINDOW = timedelta(minutes=15)
LIMITS = AttemptLimits(max_failures=3, window=WINDOW)
WRONG_EMAIL = "someone.else@example.com"
CLIENT = "203.0.113.7"
OTHER_CLIENT = "198.51.100.23"

# One call of each use case: (number, email, client, uow, clock, limiter) -> None.
Operation = Callable[[str, str, str | None, UnitOfWork, Clock, AttemptLimiter], object]


def _lookup(
    number: str,
    email: str,
    client: str | None,
    uow: UnitOfWork,
    clock: Clock,
    limiter: AttemptLimiter,
) -> object:
    return lookup_order(
        LookupQuery(number=number, email=email),
        uow=uow,
        clock=clock,
        policy=Policy(),
        limiter=limiter,
        client=client,
    )


def _single(
    number: str,
    email: str,
    client: str | None,
    uow: UnitOfWork,
    clock: Clock,
    limiter: AttemptLimiter,
) -> object:
    return request_cancellation(
        single(cancel_item(APPROVED_ITEM), number=number, email=email),
        uow=uow,
        clock=clock,
        policy=Policy(),
        limiter=limiter,
        client=client,
    )


def _bulk(
    number: str,
    email: str,
    client: str | None,
    uow: UnitOfWork,
    clock: Clock,
    limiter: AttemptLimiter,
) -> object:
    return request_cancellation(
        bulk(cancel_item(APPROVED_ITEM), cancel_item(WAITING_ITEM), number=number, email=email),
        uow=uow,
        clock=clock,
        policy=Policy(),
        limiter=limiter,
        client=client,
        idempotency_key="retry-1",
    )


OPERATIONS: dict[str, Operation] = {"lookup": _lookup, "single": _single, "bulk": _bulk}
operations = pytest.mark.parametrize("operation", OPERATIONS.values(), ids=list(OPERATIONS))


class ThrottledFor:
    """Refuses exactly the keys of one number and/or client; records what it is asked."""

    def __init__(self, *, number: str | None = None, client: str | None = None) -> None:
        self.blocked: set[str] = set()
        if number is not None:
            self.blocked.add(attempt_keys(number, None)[0])
        if client is not None:
            self.blocked.add(attempt_keys("-", client)[1])
        self.reserved: list[list[str]] = []
        self.failures: list[list[str]] = []
        self.released: list[list[str]] = []

    def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        if self.blocked & set(keys):
            raise TooManyAttempts(retry_after=42)
        self.reserved.append(list(keys))
        return AttemptReservation(keys=tuple(keys), at=0.0, token=str(len(self.reserved)))

    def confirm(self, reservation: AttemptReservation) -> None:
        self.failures.append(list(reservation.keys))

    def release(self, reservation: AttemptReservation) -> None:
        self.released.append(list(reservation.keys))

    def settled(self) -> bool:
        """Every reservation was confirmed or released, exactly once."""
        return len(self.reserved) == len(self.failures) + len(self.released)


def _world() -> tuple[RecordingUnitOfWork, FixedClock]:
    return RecordingUnitOfWork(new_store()), FixedClock(NOW)


# --- refused before any repository access ----------------------------------------------


@operations
@pytest.mark.parametrize(
    "limiter",
    [ThrottledFor(number=GUEST_NUMBER), ThrottledFor(client=CLIENT)],
    ids=["by number", "by client"],
)
def test_a_throttled_attempt_touches_no_port(operation: Operation, limiter: ThrottledFor) -> None:
    uow, clock = _world()
    recording_clock = RecordingClock(clock, uow.log)
    with pytest.raises(TooManyAttempts) as caught:
        operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, uow, recording_clock, limiter)
    assert uow.log == []  # no transaction opened, no repository called, not even the clock
    assert caught.value.retry_after == 42
    assert limiter.reserved == limiter.failures == []  # a refusal is not another failure
    body = render_error(caught.value)
    assert body == {
        "non_field_errors": ["Too many attempts. Please try again later."],
        "code": "too_many_attempts",
        "codes": {"non_field_errors": ["too_many_attempts"]},
    }


@operations
def test_another_number_and_client_are_not_throttled(operation: Operation) -> None:
    uow, clock = _world()
    limiter = ThrottledFor(number=UNKNOWN_NUMBER, client=OTHER_CLIENT)
    operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, uow, clock, limiter)
    assert uow.log[0].startswith("transaction")  # storage was reached


# --- failures count against the number and the client -----------------------------------


@operations
@pytest.mark.parametrize(
    ("number", "email"),
    [
        (UNKNOWN_NUMBER, GUEST_EMAIL),
        (REGISTERED_NUMBER, GUEST_EMAIL),
        (GUEST_NUMBER, WRONG_EMAIL),
    ],
    ids=["unknown number", "registered customer's order", "wrong email"],
)
def test_every_kind_of_miss_counts_against_number_and_client(
    operation: Operation, number: str, email: str
) -> None:
    uow, clock = _world()
    limiter = ThrottledFor()
    with pytest.raises(OrderNotFound):
        operation(number, email, CLIENT, uow, clock, limiter)
    assert limiter.reserved == limiter.failures == [attempt_keys(number, CLIENT)]
    assert limiter.released == []


@operations
def test_a_success_and_a_refused_request_count_nothing(operation: Operation) -> None:
    uow, clock = _world()
    limiter = ThrottledFor()
    operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, uow, clock, limiter)
    # Again: refused by the one-active rule (or, with its idempotency key, answered again):
    # ownership was proven, so it is no failed guess.
    with contextlib.suppress(InvalidRequest):
        operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, uow, clock, limiter)
    assert limiter.failures == []
    assert limiter.released == limiter.reserved == [attempt_keys(GUEST_NUMBER, CLIENT)] * 2


@operations
def test_failures_of_one_client_throttle_it_on_every_number(operation: Operation) -> None:
    uow, clock = _world()
    limiter = InMemoryAttemptLimiter(clock, LIMITS)
    for number in ("1", "2", "3"):  # three different numbers, one client
        with pytest.raises(OrderNotFound):
            operation(number, GUEST_EMAIL, CLIENT, uow, clock, limiter)
    with pytest.raises(TooManyAttempts):
        operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, uow, clock, limiter)
    # Another client may still use the number.
    operation(GUEST_NUMBER, GUEST_EMAIL, OTHER_CLIENT, uow, clock, limiter)


@operations
def test_failures_on_one_number_throttle_it_for_every_client(operation: Operation) -> None:
    uow, clock = _world()
    limiter = InMemoryAttemptLimiter(clock, LIMITS)
    for index in range(3):  # three clients, one number
        with pytest.raises(OrderNotFound):
            operation(GUEST_NUMBER, WRONG_EMAIL, f"198.51.100.{index}", uow, clock, limiter)
    with pytest.raises(TooManyAttempts):
        operation(GUEST_NUMBER, GUEST_EMAIL, OTHER_CLIENT, uow, clock, limiter)
    with pytest.raises(TooManyAttempts):
        operation(GUEST_NUMBER, GUEST_EMAIL, None, uow, clock, limiter)
    # Another number is fine for a client that made no failed attempt.
    _lookup(CASH_NUMBER, GUEST_EMAIL, OTHER_CLIENT, uow, clock, limiter)


# --- once throttled, the right email is refused too, until the window passes -------------


@operations
def test_the_right_email_is_refused_until_the_window_passes(operation: Operation) -> None:
    uow, clock = _world()
    limiter = InMemoryAttemptLimiter(clock, LIMITS)
    for _ in range(3):
        with pytest.raises(OrderNotFound):
            operation(GUEST_NUMBER, WRONG_EMAIL, CLIENT, uow, clock, limiter)
        clock.advance(timedelta(seconds=10))
    uow.log.clear()
    with pytest.raises(TooManyAttempts) as caught:
        operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, uow, clock, limiter)
    assert caught.value.retry_after == int(WINDOW.total_seconds()) - 30
    assert uow.log == []  # refused, not looked up: the refusal is no oracle

    clock.advance(timedelta(seconds=int(WINDOW.total_seconds()) - 31))
    with pytest.raises(TooManyAttempts) as caught:
        operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, uow, clock, limiter)
    assert caught.value.retry_after == 1
    clock.advance(timedelta(seconds=1))
    operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, uow, clock, limiter)  # the window has passed


def test_failures_of_all_three_operations_add_up() -> None:
    uow, clock = _world()
    limiter = InMemoryAttemptLimiter(clock, LIMITS)
    for operation in OPERATIONS.values():
        with pytest.raises(OrderNotFound):
            operation(GUEST_NUMBER, WRONG_EMAIL, CLIENT, uow, clock, limiter)
    for operation in OPERATIONS.values():
        with pytest.raises(TooManyAttempts):
            operation(GUEST_NUMBER, GUEST_EMAIL, OTHER_CLIENT, uow, clock, limiter)


@operations
def test_a_block_failing_otherwise_releases_its_attempt(operation: Operation) -> None:
    """A storage error is no failed guess: the attempt is released, not confirmed."""

    class Broken(RecordingUnitOfWork):
        def transaction(self, *, read_only: bool = False) -> Any:
            raise OSError("the database went away")

    limiter = ThrottledFor()
    with pytest.raises(OSError, match="went away"):
        operation(GUEST_NUMBER, GUEST_EMAIL, CLIENT, Broken(new_store()), FixedClock(NOW), limiter)
    assert limiter.failures == []
    assert limiter.released == limiter.reserved == [attempt_keys(GUEST_NUMBER, CLIENT)]


@operations
def test_every_reservation_is_settled_once(operation: Operation) -> None:
    uow, clock = _world()
    limiter = ThrottledFor()
    for number, email in [(GUEST_NUMBER, WRONG_EMAIL), (GUEST_NUMBER, GUEST_EMAIL)]:
        with contextlib.suppress(GuestOrderError):
            operation(number, email, CLIENT, uow, clock, limiter)
    assert limiter.settled()
    assert len(limiter.reserved) == 2


# --- a burst of concurrent guesses: at most the limit reaches the ownership check ---------


class _SlowStore:
    """A store whose transactions take a few milliseconds to open, as a database's do:
    the window in which concurrent guesses overlap."""

    def __init__(self, store: UnitOfWork) -> None:
        self._store = store

    @contextlib.contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Any]:
        time.sleep(0.005)
        with self._store.transaction(read_only=read_only) as repos:
            yield repos


@operations
def test_a_concurrent_burst_of_wrong_guesses_gets_at_most_the_limit(
    operation: Operation,
) -> None:
    """32 threads guess at once (finding: the check and the count were two steps, so
    every guess that arrived before the first failure was recorded got through: all 32
    here, before)."""
    _uow, clock = _world()
    uow = _SlowStore(new_store())
    max_failures = 10
    limiter = InMemoryAttemptLimiter(clock, AttemptLimits(max_failures=max_failures))
    barrier = threading.Barrier(32)

    def guess(index: int) -> str:
        barrier.wait(timeout=30)
        try:
            operation(GUEST_NUMBER, WRONG_EMAIL, f"198.51.100.{index}", uow, clock, limiter)
        except GuestOrderError as error:
            return error.code
        return "answered"

    with ThreadPoolExecutor(max_workers=32) as pool:
        outcomes = list(pool.map(guess, range(32)))
    assert outcomes.count(OrderNotFound.code) == max_failures
    assert outcomes.count(TooManyAttempts.code) == 32 - max_failures


# --- the service: the default limiter throttles, on the service's clock -------------------


def _service_calls(service: GuestOrders) -> dict[str, Callable[[str, str | None], object]]:
    item = {"order_item": APPROVED_ITEM, "reason": 1, "cancellation_type": "cancel"}
    return {
        "lookup": lambda email, client: service.lookup(
            {"number": GUEST_NUMBER, "email": email}, client=client
        ),
        "single": lambda email, client: service.request_cancellation(
            {"number": GUEST_NUMBER, "email": email, **item}, client=client
        ),
        "bulk": lambda email, client: service.request_bulk_cancellation(
            {"number": GUEST_NUMBER, "email": email, "cancel_order_items": [item]},
            client=client,
            idempotency_key="k",
        ),
    }


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_the_service_throttles_by_default(name: str) -> None:
    clock = FixedClock(NOW)
    service = GuestOrders(store=new_store(), clock=clock)
    call = _service_calls(service)[name]
    for _ in range(AttemptLimits().max_failures):
        with pytest.raises(OrderNotFound):
            call(WRONG_EMAIL, CLIENT)
    with pytest.raises(TooManyAttempts) as caught:
        call(GUEST_EMAIL, OTHER_CLIENT)
    error: GuestOrderError = caught.value
    assert error.http_status == 429
    assert caught.value.retry_after == int(AttemptLimits().window.total_seconds())
    clock.advance(AttemptLimits().window)
    call(GUEST_EMAIL, OTHER_CLIENT)
