"""In-memory implementations of every port, sync and async.

They keep the rules a real adapter must keep — batches are atomic, an item never has two
active requests, even with concurrent writers — so they are fit for a host's own tests and
for examples. One :class:`InMemoryStore` holds the data; :meth:`InMemoryStore.transaction`
hands out its repositories. :class:`AsyncInMemoryStore` is the same store behind the async
ports: it wraps an :class:`InMemoryStore`, so both keep one copy of the rules (and can share
one data set).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from datetime import datetime

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
from guest_orders.ports import ActiveRequestExists, IdempotencyKeyExists

__all__ = [
    "AsyncInMemoryImageStore",
    "AsyncInMemoryStore",
    "InMemoryAddressRepository",
    "InMemoryCancellationReasonRepository",
    "InMemoryCancellationRequestRepository",
    "InMemoryEasyReturnShippingCompanyRepository",
    "InMemoryIdempotencyRepository",
    "InMemoryImageStore",
    "InMemoryOrderRepository",
    "InMemoryOutbox",
    "InMemoryStore",
]


class InMemoryOrderRepository:
    def __init__(self, orders: Iterable[Order] = ()) -> None:
        self._by_number = {order.number: order for order in orders}

    def add(self, order: Order) -> None:
        self._by_number[order.number] = order

    def find_by_number(self, number: str) -> Order | None:
        return self._by_number.get(number)


class InMemoryCancellationRequestRepository:
    """Requests with the one-active rule kept under a lock, atomically per batch."""

    def __init__(self, requests: Iterable[CancellationRequest] = ()) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._requests: dict[int, CancellationRequest] = {}
        self._active_by_item: dict[int, int] = {}
        # Ids stored by the open transaction of each thread or task, to undo if it raises.
        self._journal: ContextVar[list[int] | None] = ContextVar("request_ids", default=None)
        for request in requests:
            self.add_all([request])

    def active_for_items(self, order_items: Collection[int]) -> Mapping[int, CancellationRequest]:
        with self._lock:
            return {
                item: self._requests[self._active_by_item[item]]
                for item in order_items
                if item in self._active_by_item
            }

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        with self._lock:
            conflicts: set[int] = set()
            seen: set[int] = set()
            for request in requests:
                if not request.is_active:
                    continue
                if request.order_item in self._active_by_item or request.order_item in seen:
                    conflicts.add(request.order_item)
                seen.add(request.order_item)
            if conflicts:
                raise ActiveRequestExists(conflicts)
            given = [r.id for r in requests if r.id is not None]
            if len(set(given)) != len(given) or any(pk in self._requests for pk in given):
                raise ValueError("a request with this id is already stored")
            taken = set(given)
            stored = [
                attrs.evolve(r, id=self._next_id(taken)) if r.id is None else r for r in requests
            ]
            for request in stored:
                assert request.id is not None
                self._requests[request.id] = request
                if request.is_active:
                    self._active_by_item[request.order_item] = request.id
            journal = self._journal.get()
            if journal is not None:
                journal.extend(request.id for request in stored if request.id is not None)
            return stored

    @contextmanager
    def _undone_on_error(self) -> Iterator[None]:
        """Forget what this thread or task stores inside the block if the block raises."""
        outer = self._journal.get()
        ids: list[int] = []
        token = self._journal.set(ids)
        try:
            yield
        except BaseException:
            with self._lock:
                for request_id in ids:
                    request = self._requests.pop(request_id, None)
                    if request is not None and self._active_by_item.get(request.order_item) == (
                        request_id
                    ):
                        del self._active_by_item[request.order_item]
            raise
        else:
            if outer is not None:
                outer.extend(ids)
        finally:
            self._journal.reset(token)

    def _next_id(self, taken: set[int]) -> int:
        """A fresh id, skipping ids given explicitly (seeded requests). Call under the lock."""
        candidate = next(self._ids)
        while candidate in self._requests or candidate in taken:
            candidate = next(self._ids)
        return candidate

    def all(self) -> list[CancellationRequest]:
        """Every stored request, oldest first (for tests and examples)."""
        with self._lock:
            return list(self._requests.values())

    def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        with self._lock:
            return [self._requests[pk] for pk in ids if pk in self._requests]


class InMemoryIdempotencyRepository:
    """Idempotency records by (order, key); ``add`` refuses a key the order already has,
    under a lock, and a transaction that raises forgets the records it added."""

    def __init__(self, records: Iterable[IdempotencyRecord] = ()) -> None:
        self._lock = threading.Lock()
        self._records: dict[tuple[int, str], IdempotencyRecord] = {}
        # (order, key) added by the open transaction of each thread or task, to undo if it
        # raises.
        self._journal: ContextVar[list[tuple[int, str]] | None] = ContextVar(
            "idempotency_slots", default=None
        )
        for record in records:
            self.add(record)

    def get(self, order: int, key: str) -> IdempotencyRecord | None:
        with self._lock:
            return self._records.get((order, key))

    def add(self, record: IdempotencyRecord) -> None:
        slot = (record.order, record.key)
        with self._lock:
            if slot in self._records:
                raise IdempotencyKeyExists(record.order)
            self._records[slot] = record
        journal = self._journal.get()
        if journal is not None:
            journal.append(slot)

    @contextmanager
    def _undone_on_error(self) -> Iterator[None]:
        """Forget what this thread or task adds inside the block if the block raises."""
        outer = self._journal.get()
        slots: list[tuple[int, str]] = []
        token = self._journal.set(slots)
        try:
            yield
        except BaseException:
            with self._lock:
                for slot in slots:
                    self._records.pop(slot, None)
            raise
        else:
            if outer is not None:
                outer.extend(slots)
        finally:
            self._journal.reset(token)

    def all(self) -> list[IdempotencyRecord]:
        """Every stored record, oldest first (for tests and examples)."""
        with self._lock:
            return list(self._records.values())


@attrs.define
class _OutboxTransaction:
    """What one transaction did to the outbox, applied when it commits."""

    added: list[Event] = attrs.Factory(list)
    claimed: set[int] = attrs.Factory(set)
    delivered: dict[int, datetime] = attrs.Factory(dict)


class InMemoryOutbox:
    """The outbox of :class:`InMemoryStore`: events a transaction adds are published
    (given their positions) when it commits, claims are released when it ends, and
    several threads' relays never hold one event at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._positions = itertools.count(1)
        self._events: dict[int, StoredEvent] = {}  # by position, in position order
        self._delivered: dict[int, datetime] = {}
        self._claimed: set[int] = set()  # by every open transaction
        # The open transaction of each thread or task.
        self._open: ContextVar[_OutboxTransaction | None] = ContextVar(
            "outbox_transaction", default=None
        )

    def _current(self) -> _OutboxTransaction | None:
        return self._open.get()

    def add_all(self, events: Sequence[Event]) -> None:
        current = self._current()
        if current is None:  # outside a transaction: committed at once
            self._publish(events)
        else:
            current.added.extend(events)

    def _publish(self, events: Iterable[Event]) -> None:
        with self._lock:
            for event in events:
                position = next(self._positions)
                self._events[position] = StoredEvent(position=position, event=event)

    def pending(self, limit: int) -> Sequence[StoredEvent]:
        current = self._current()
        mine = current.claimed if current is not None else set()
        done = current.delivered if current is not None else {}
        found: list[StoredEvent] = []
        held_orders: set[int] = set()  # orders with an older event another one holds
        with self._lock:
            for position, stored in self._events.items():
                if len(found) >= limit:
                    break
                if position in self._delivered or position in done:
                    continue
                order = stored.event.order
                if position in self._claimed and position not in mine:
                    held_orders.add(order)
                elif order not in held_orders:
                    found.append(stored)
            if current is not None:
                taken = {stored.position for stored in found}
                current.claimed |= taken
                self._claimed |= taken
        return found

    def mark_delivered(self, positions: Sequence[int], at: datetime) -> None:
        current = self._current()
        if current is None:
            with self._lock:
                self._delivered.update(dict.fromkeys(positions, at))
        else:
            current.delivered.update(dict.fromkeys(positions, at))

    def purge_delivered(self, before: datetime) -> int:
        with self._lock:
            old = [position for position, at in self._delivered.items() if at < before]
            for position in old:
                del self._delivered[position]
                del self._events[position]
        return len(old)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """Publish what the block adds (and marks delivered) if it ends normally; release
        its claims either way. A nested block joins the enclosing one."""
        if self._current() is not None:
            yield
            return
        current = _OutboxTransaction()
        token = self._open.set(current)
        try:
            yield
        except BaseException:
            with self._lock:
                self._claimed -= current.claimed
            raise
        else:
            self._publish(current.added)
            with self._lock:
                self._delivered.update(current.delivered)
                self._claimed -= current.claimed
        finally:
            self._open.reset(token)

    def all(self) -> list[tuple[StoredEvent, datetime | None]]:
        """Every stored event by position, with when it was delivered (for tests and
        examples)."""
        with self._lock:
            return [(stored, self._delivered.get(p)) for p, stored in self._events.items()]


class InMemoryCancellationReasonRepository:
    def __init__(self, reasons: Iterable[CancellationReason] = ()) -> None:
        self._reasons = {reason.pk: reason for reason in reasons}

    def get_many(self, pks: Collection[int]) -> Mapping[int, CancellationReason]:
        return {pk: self._reasons[pk] for pk in pks if pk in self._reasons}

    def list_active(self) -> Sequence[CancellationReason]:
        active = (r for r in self._reasons.values() if r.is_active)
        return sorted(active, key=lambda r: (r.order, r.pk))


class InMemoryEasyReturnShippingCompanyRepository:
    def __init__(self, companies: Iterable[EasyReturnShippingCompany] = ()) -> None:
        self._companies = {company.pk: company for company in companies}

    def list_active(self) -> Sequence[EasyReturnShippingCompany]:
        return sorted((c for c in self._companies.values() if c.is_active), key=lambda c: c.pk)


class InMemoryAddressRepository:
    def __init__(self, addresses: Iterable[Address] = ()) -> None:
        self._addresses = {address.pk: address for address in addresses}

    def get(self, pk: int) -> Address | None:
        return self._addresses.get(pk)


class InMemoryImageStore:
    """Keeps image bytes in a dict and hands out ``memory://images/N`` references."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.images: dict[str, ImageUpload] = {}

    def put(self, image: ImageUpload) -> ImageRef:
        with self._lock:
            url = f"memory://images/{next(self._ids)}"
            self.images[url] = image
        return ImageRef(image=url, description=image.description)

    def delete(self, ref: ImageRef) -> None:
        with self._lock:
            self.images.pop(ref.image, None)


@attrs.frozen(kw_only=True)
class _Repositories:
    orders: InMemoryOrderRepository
    cancellation_requests: InMemoryCancellationRequestRepository
    reasons: InMemoryCancellationReasonRepository
    shipping_companies: InMemoryEasyReturnShippingCompanyRepository
    addresses: InMemoryAddressRepository
    images: InMemoryImageStore
    idempotency: InMemoryIdempotencyRepository
    outbox: InMemoryOutbox


class InMemoryStore:
    """Every in-memory repository behind one :class:`guest_orders.ports.UnitOfWork`.

    Writes are atomic per call (``add_all`` stores a whole batch or nothing) and visible to
    other transactions at once; a transaction that raises forgets the requests (and the
    idempotency records) it stored. Outbox events are the exception: they are published
    when their transaction ends normally, never before (see :class:`InMemoryOutbox`).
    """

    def __init__(
        self,
        *,
        orders: Iterable[Order] = (),
        reasons: Iterable[CancellationReason] = (),
        shipping_companies: Iterable[EasyReturnShippingCompany] = (),
        addresses: Iterable[Address] = (),
        cancellation_requests: Iterable[CancellationRequest] = (),
    ) -> None:
        self.repositories = _Repositories(
            orders=InMemoryOrderRepository(orders),
            cancellation_requests=InMemoryCancellationRequestRepository(cancellation_requests),
            reasons=InMemoryCancellationReasonRepository(reasons),
            shipping_companies=InMemoryEasyReturnShippingCompanyRepository(shipping_companies),
            addresses=InMemoryAddressRepository(addresses),
            images=InMemoryImageStore(),
            idempotency=InMemoryIdempotencyRepository(),
            outbox=InMemoryOutbox(),
        )

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[_Repositories]:
        """One transaction (see :meth:`guest_orders.ports.UnitOfWork.transaction`);
        ``read_only`` changes nothing here."""
        del read_only
        with (
            self.repositories.cancellation_requests._undone_on_error(),  # noqa: SLF001
            self.repositories.idempotency._undone_on_error(),  # noqa: SLF001
            self.repositories.outbox._transaction(),  # noqa: SLF001
        ):
            yield self.repositories


# --------------------------------------------------------------------------- async


class _AsyncOrders:
    __slots__ = ("_repo",)

    def __init__(self, repo: InMemoryOrderRepository) -> None:
        self._repo = repo

    async def find_by_number(self, number: str) -> Order | None:
        return self._repo.find_by_number(number)


class _AsyncRequests:
    __slots__ = ("_repo",)

    def __init__(self, repo: InMemoryCancellationRequestRepository) -> None:
        self._repo = repo

    async def active_for_items(
        self, order_items: Collection[int]
    ) -> Mapping[int, CancellationRequest]:
        return self._repo.active_for_items(order_items)

    async def add_all(
        self, requests: Sequence[CancellationRequest]
    ) -> Sequence[CancellationRequest]:
        return self._repo.add_all(requests)

    async def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        return self._repo.get_many(ids)


class _AsyncReasons:
    __slots__ = ("_repo",)

    def __init__(self, repo: InMemoryCancellationReasonRepository) -> None:
        self._repo = repo

    async def get_many(self, pks: Collection[int]) -> Mapping[int, CancellationReason]:
        return self._repo.get_many(pks)

    async def list_active(self) -> Sequence[CancellationReason]:
        return self._repo.list_active()


class _AsyncCompanies:
    __slots__ = ("_repo",)

    def __init__(self, repo: InMemoryEasyReturnShippingCompanyRepository) -> None:
        self._repo = repo

    async def list_active(self) -> Sequence[EasyReturnShippingCompany]:
        return self._repo.list_active()


class _AsyncAddresses:
    __slots__ = ("_repo",)

    def __init__(self, repo: InMemoryAddressRepository) -> None:
        self._repo = repo

    async def get(self, pk: int) -> Address | None:
        return self._repo.get(pk)


class _AsyncOutbox:
    __slots__ = ("_repo",)

    def __init__(self, repo: InMemoryOutbox) -> None:
        self._repo = repo

    async def add_all(self, events: Sequence[Event]) -> None:
        self._repo.add_all(events)

    async def pending(self, limit: int) -> Sequence[StoredEvent]:
        return self._repo.pending(limit)

    async def mark_delivered(self, positions: Sequence[int], at: datetime) -> None:
        self._repo.mark_delivered(positions, at)

    async def purge_delivered(self, before: datetime) -> int:
        return self._repo.purge_delivered(before)


class _AsyncIdempotency:
    __slots__ = ("_repo",)

    def __init__(self, repo: InMemoryIdempotencyRepository) -> None:
        self._repo = repo

    async def get(self, order: int, key: str) -> IdempotencyRecord | None:
        return self._repo.get(order, key)

    async def add(self, record: IdempotencyRecord) -> None:
        self._repo.add(record)


class AsyncInMemoryImageStore:
    """:class:`InMemoryImageStore` behind :class:`guest_orders.ports.AsyncImageStore`."""

    __slots__ = ("sync",)

    def __init__(self, images: InMemoryImageStore | None = None) -> None:
        #: The wrapped store (its ``images`` dict holds what was put).
        self.sync = images if images is not None else InMemoryImageStore()

    async def put(self, image: ImageUpload) -> ImageRef:
        return self.sync.put(image)

    async def delete(self, ref: ImageRef) -> None:
        self.sync.delete(ref)


@attrs.frozen(kw_only=True)
class _AsyncRepositories:
    orders: _AsyncOrders
    cancellation_requests: _AsyncRequests
    reasons: _AsyncReasons
    shipping_companies: _AsyncCompanies
    addresses: _AsyncAddresses
    images: AsyncInMemoryImageStore
    idempotency: _AsyncIdempotency
    outbox: _AsyncOutbox


class AsyncInMemoryStore:
    """:class:`InMemoryStore` behind :class:`guest_orders.ports.AsyncUnitOfWork`.

    Takes the same keywords as :class:`InMemoryStore`, or wraps an existing one
    (:meth:`over`), whose data it then shares. Each task's transaction is its own: a
    transaction that raises forgets what it stored, also with other tasks' transactions
    open at the same time.
    """

    def __init__(
        self,
        *,
        orders: Iterable[Order] = (),
        reasons: Iterable[CancellationReason] = (),
        shipping_companies: Iterable[EasyReturnShippingCompany] = (),
        addresses: Iterable[Address] = (),
        cancellation_requests: Iterable[CancellationRequest] = (),
    ) -> None:
        self._bind(
            InMemoryStore(
                orders=orders,
                reasons=reasons,
                shipping_companies=shipping_companies,
                addresses=addresses,
                cancellation_requests=cancellation_requests,
            )
        )

    @classmethod
    def over(cls, store: InMemoryStore) -> AsyncInMemoryStore:
        """The async face of ``store``: the same data, seen by both."""
        async_store = cls.__new__(cls)
        async_store._bind(store)  # noqa: SLF001  # the constructor's own helper
        return async_store

    def _bind(self, store: InMemoryStore) -> None:
        #: The wrapped sync store.
        self.sync = store
        #: Its repositories (``repositories.cancellation_requests.all()`` in tests).
        self.repositories = store.repositories
        repos = store.repositories
        self._async = _AsyncRepositories(
            orders=_AsyncOrders(repos.orders),
            cancellation_requests=_AsyncRequests(repos.cancellation_requests),
            reasons=_AsyncReasons(repos.reasons),
            shipping_companies=_AsyncCompanies(repos.shipping_companies),
            addresses=_AsyncAddresses(repos.addresses),
            images=AsyncInMemoryImageStore(repos.images),
            idempotency=_AsyncIdempotency(repos.idempotency),
            outbox=_AsyncOutbox(repos.outbox),
        )

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[_AsyncRepositories]:
        """One transaction (see :meth:`guest_orders.ports.AsyncUnitOfWork.transaction`)."""
        with self.sync.transaction(read_only=read_only):
            yield self._async
