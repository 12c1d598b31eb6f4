"""The ports: what the use cases need from storage and the outside world.

Each is a :class:`typing.Protocol`; a host implements them over its own storage. The
in-memory adapters in :mod:`guest_orders.adapters.memory` are the reference
implementations, and :mod:`guest_orders.testing` holds the contract suite every
implementation must pass.

The use cases call exactly these methods and nothing else.

Every storage port has an async twin (``Async...``) with the same methods as coroutines,
the same arguments, results and duties (the docstrings of the sync port apply word for
word): :class:`guest_orders.AsyncGuestOrders` runs the same use cases over them, on the
event loop, with no thread in between. The clock stays synchronous: reading it does no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from datetime import datetime
from typing import Protocol

import attrs

from guest_orders.domain import (
    Address,
    CancellationReason,
    CancellationRequest,
    EasyReturnShippingCompany,
    Event,
    IdempotencyRecord,
    ImageRef,
    ImageUpload,
    Order,
    StoredEvent,
)
from guest_orders.errors import GuestOrderError, IdempotencyKeyReused

__all__ = [
    "ActiveRequestExists",
    "AddressRepository",
    "AsyncAddressRepository",
    "AsyncAttemptLimiter",
    "AsyncCancellationReasonRepository",
    "AsyncCancellationRequestRepository",
    "AsyncEasyReturnShippingCompanyRepository",
    "AsyncIdempotencyRepository",
    "AsyncImageStore",
    "AsyncOrderRepository",
    "AsyncOutboxRepository",
    "AsyncRepositories",
    "AsyncUnitOfWork",
    "AttemptLimiter",
    "AttemptReservation",
    "CancellationReasonRepository",
    "CancellationRequestRepository",
    "Clock",
    "EasyReturnShippingCompanyRepository",
    "IdempotencyKeyExists",
    "IdempotencyRepository",
    "ImageStore",
    "OrderRepository",
    "OutboxRepository",
    "Repositories",
    "UnitOfWork",
]


class ActiveRequestExists(GuestOrderError):
    """Raised by :meth:`CancellationRequestRepository.add_all` when an item already has an
    active request. Nothing of the batch is stored."""

    code = "cancellation_request_100_1"
    message = "A cancellation request already exists for this order item."

    def __init__(self, order_items: Collection[int]) -> None:
        super().__init__()
        self.order_items = frozenset(order_items)


class IdempotencyKeyExists(IdempotencyKeyReused):
    """Raised by :meth:`IdempotencyRepository.add` when the order already has a record
    with this key (a concurrent request with the same key won). Nothing is stored.

    The use case rolls its transaction back and answers :class:`IdempotencyKeyReused`.
    """

    def __init__(self, order: int) -> None:
        super().__init__()
        self.order = order


class OrderRepository(Protocol):
    def find_by_number(self, number: str) -> Order | None:
        """The order with this number, whatever its customer, or ``None``."""
        ...


class CancellationRequestRepository(Protocol):
    def active_for_items(self, order_items: Collection[int]) -> Mapping[int, CancellationRequest]:
        """The active request of each of these items that has one, keyed by item pk."""
        ...

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        """Store every request or none, atomically, and return them with their ids.

        Must refuse (raise :class:`ActiveRequestExists`, store nothing) when any item already
        has an active request or appears twice in the batch: this is the one-active rule, and
        it must hold against concurrent writers, not only against a prior read.
        """
        ...

    def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        """The requests with these ids that exist, in the order of ``ids`` (replaying an
        idempotent retry)."""
        ...


class CancellationReasonRepository(Protocol):
    def get_many(self, pks: Collection[int]) -> Mapping[int, CancellationReason]:
        """The reasons with these pks that exist (active or not)."""
        ...

    def list_active(self) -> Sequence[CancellationReason]:
        """Active reasons, sorted by their ``order`` then pk."""
        ...


class EasyReturnShippingCompanyRepository(Protocol):
    def list_active(self) -> Sequence[EasyReturnShippingCompany]:
        """The easy-return carriers the shop has enabled, sorted by pk."""
        ...


class IdempotencyRepository(Protocol):
    """The records of idempotency keys, scoped to their order."""

    def get(self, order: int, key: str) -> IdempotencyRecord | None:
        """The record of ``key`` on the order with pk ``order``, or ``None``."""
        ...

    def add(self, record: IdempotencyRecord) -> None:
        """Store ``record`` in the current transaction, atomically with the requests it
        names.

        Must raise :class:`IdempotencyKeyExists` (storing nothing) when the order already
        has a record with this key, also one a concurrent transaction is writing. The
        transaction need not stay usable afterwards: the use case rolls it back.
        """
        ...


class OutboxRepository(Protocol):
    """The transactional outbox: events written in the transaction of the data they
    describe, read and marked delivered by relays (:mod:`guest_orders.relay`).

    Four methods, each called inside :meth:`UnitOfWork.transaction`. A store keeps them
    with its other repositories so that ``add_all`` shares the transaction of the
    requests: a rollback leaves no event, a commit loses none.
    """

    def add_all(self, events: Sequence[Event]) -> None:
        """Write ``events``, in this order, in the current transaction: relays see them
        once (and only if) it commits.

        Positions grow with commit order among the events of one order: a store where
        two transactions on one order can commit concurrently must order them, e.g. by
        locking the order's row here (SQLite's single writer needs nothing)."""
        ...

    def pending(self, limit: int) -> Sequence[StoredEvent]:
        """Claim up to ``limit`` undelivered events for this transaction, by position.

        A claimed event is held until the transaction ends, and a concurrent
        transaction's ``pending`` skips it: several relays never hold one event at once
        (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; a store that serializes its
        transactions, like SQLite, needs nothing). For every order, the events returned
        are its oldest undelivered ones: an order one of whose older events another
        transaction holds contributes none, so events of one order are delivered in order.
        """
        ...

    def mark_delivered(self, positions: Sequence[int], at: datetime) -> None:
        """Mark these events, claimed by this transaction, delivered at ``at``."""
        ...

    def purge_delivered(self, before: datetime) -> int:
        """Delete the events delivered before ``before``; how many were deleted.
        Undelivered events are never purged."""
        ...


class AddressRepository(Protocol):
    def get(self, pk: int) -> Address | None: ...


class ImageStore(Protocol):
    def put(self, image: ImageUpload) -> ImageRef:
        """Store an image and return where it can be fetched."""
        ...

    def delete(self, ref: ImageRef) -> None:
        """Forget an image whose request was not stored after all."""
        ...


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class Repositories(Protocol):
    """The repositories of one transaction."""

    @property
    def orders(self) -> OrderRepository: ...
    @property
    def cancellation_requests(self) -> CancellationRequestRepository: ...
    @property
    def reasons(self) -> CancellationReasonRepository: ...
    @property
    def shipping_companies(self) -> EasyReturnShippingCompanyRepository: ...
    @property
    def addresses(self) -> AddressRepository: ...
    @property
    def images(self) -> ImageStore: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...


class UnitOfWork(Protocol):
    def transaction(self, *, read_only: bool = False) -> AbstractContextManager[Repositories]:
        """Open one transaction: committed when the block ends normally, rolled back when
        it raises. Safe to call from many threads at once; each call is its own transaction.

        ``read_only=True`` is the caller's promise that the block only reads (the lookup,
        the reasons): a store may run it more cheaply, for example without taking a
        write lock. It must read exactly what a transaction without the flag reads; a
        store may ignore the flag. What a write does in such a block is up to the store.
        """
        ...


@attrs.frozen
class AttemptReservation:
    """One attempt counted by :meth:`AttemptLimiter.reserve`, to confirm or release.

    ``keys`` are the keys it counts against; ``at`` is when it was reserved (seconds since
    the epoch, by the limiter's clock); ``token`` tells it apart from every other
    reservation (a limiter that stores attempts by name uses it).
    """

    keys: tuple[str, ...]
    at: float
    token: str


class AttemptLimiter(Protocol):
    """Counts ownership attempts per key and refuses a key that has used up its window.

    The use cases call it around every ownership check, with one key for the order number
    and one for the client (when the transport names one):

    1. :meth:`reserve` **before any storage access**: one attempt is counted against every
       key, atomically — no two concurrent calls may both take the last free attempt of a
       key, in one process or across processes sharing the limiter — or, when any key has
       no attempt left, nothing is counted and :class:`guest_orders.TooManyAttempts`
       (with ``retry_after``) is raised;
    2. after the ownership check, exactly one of :meth:`confirm` (the check failed: the
       attempt stays counted for the window, as a failure) or :meth:`release` (it
       succeeded, or the block failed for another reason: the attempt is no longer
       counted).

    So with N concurrent wrong guesses at most ``max_failures`` reach the ownership check
    per key and window, and a guest with the right email costs nothing once answered.
    While an attempt is in flight it counts: a key with ``max_failures`` attempts in
    flight refuses the next one (with a ``retry_after`` of about a second when the
    in-flight attempts are what blocks it).
    """

    def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        """Count one attempt against every key, or raise
        :class:`guest_orders.TooManyAttempts` counting nothing."""
        ...

    def confirm(self, reservation: AttemptReservation) -> None:
        """The attempt failed: keep it counted, as a failure, for the window."""
        ...

    def release(self, reservation: AttemptReservation) -> None:
        """The attempt did not fail: stop counting it."""
        ...


# --------------------------------------------------------------------------- async twins


class AsyncOrderRepository(Protocol):
    async def find_by_number(self, number: str) -> Order | None: ...


class AsyncCancellationRequestRepository(Protocol):
    async def active_for_items(
        self, order_items: Collection[int]
    ) -> Mapping[int, CancellationRequest]: ...

    async def add_all(
        self, requests: Sequence[CancellationRequest]
    ) -> Sequence[CancellationRequest]: ...

    async def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]: ...


class AsyncCancellationReasonRepository(Protocol):
    async def get_many(self, pks: Collection[int]) -> Mapping[int, CancellationReason]: ...

    async def list_active(self) -> Sequence[CancellationReason]: ...


class AsyncEasyReturnShippingCompanyRepository(Protocol):
    async def list_active(self) -> Sequence[EasyReturnShippingCompany]: ...


class AsyncIdempotencyRepository(Protocol):
    async def get(self, order: int, key: str) -> IdempotencyRecord | None: ...

    async def add(self, record: IdempotencyRecord) -> None: ...


class AsyncOutboxRepository(Protocol):
    async def add_all(self, events: Sequence[Event]) -> None: ...

    async def pending(self, limit: int) -> Sequence[StoredEvent]: ...

    async def mark_delivered(self, positions: Sequence[int], at: datetime) -> None: ...

    async def purge_delivered(self, before: datetime) -> int: ...


class AsyncAddressRepository(Protocol):
    async def get(self, pk: int) -> Address | None: ...


class AsyncImageStore(Protocol):
    async def put(self, image: ImageUpload) -> ImageRef: ...

    async def delete(self, ref: ImageRef) -> None: ...


class AsyncRepositories(Protocol):
    """The async repositories of one transaction."""

    @property
    def orders(self) -> AsyncOrderRepository: ...
    @property
    def cancellation_requests(self) -> AsyncCancellationRequestRepository: ...
    @property
    def reasons(self) -> AsyncCancellationReasonRepository: ...
    @property
    def shipping_companies(self) -> AsyncEasyReturnShippingCompanyRepository: ...
    @property
    def addresses(self) -> AsyncAddressRepository: ...
    @property
    def images(self) -> AsyncImageStore: ...
    @property
    def idempotency(self) -> AsyncIdempotencyRepository: ...
    @property
    def outbox(self) -> AsyncOutboxRepository: ...


class AsyncUnitOfWork(Protocol):
    def transaction(
        self, *, read_only: bool = False
    ) -> AbstractAsyncContextManager[AsyncRepositories]:
        """``async with store.transaction() as repos:`` one transaction, as
        :meth:`UnitOfWork.transaction`: committed when the block ends normally, rolled
        back when it raises; safe to use from many tasks at once."""
        ...


class AsyncAttemptLimiter(Protocol):
    """:class:`AttemptLimiter` with coroutine methods (a limiter shared over the network,
    such as Redis): the same duties, awaited."""

    async def reserve(self, keys: Sequence[str]) -> AttemptReservation: ...

    async def confirm(self, reservation: AttemptReservation) -> None: ...

    async def release(self, reservation: AttemptReservation) -> None: ...
