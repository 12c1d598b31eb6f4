"""The contract suite: what every implementation of the ports must do, as pytest classes.

Subclass a contract in your own tests (under a ``Test*`` name), implement its one factory
method, and pytest runs every check against your adapter::

    class TestMyStore(StoreContract):
        def make_store(self, *, orders, reasons, shipping_companies, addresses):
            store = MyStore(new_test_database())
            store.load(orders=orders, reasons=reasons,
                       shipping_companies=shipping_companies, addresses=addresses)
            return store

Every storage contract shares that one factory, ``make_store``: it returns a **new**
:class:`~guest_orders.ports.UnitOfWork` holding exactly the rows given (and no
cancellation request), and the checks reach the repositories through
``store.transaction()``, as the use cases do. So a store whose requests refer to orders,
reasons, carriers and addresses by foreign key gets every row it needs.

- :class:`OrderRepositoryContract`: round trips, exact-number lookup, registered
  customers' orders are found (see below);
- :class:`CancellationRequestRepositoryContract`: round trips, atomic batches, one active
  request per item (also under concurrent writers), inactive requests don't block;
- :class:`CancellationReasonRepositoryContract`: round trips, ``get_many``,
  ``list_active``;
- :class:`EasyReturnShippingCompanyRepositoryContract`: round trips, ``list_active``;
- :class:`AddressRepositoryContract`: round trips, unknown pks;
- :class:`IdempotencyRepositoryContract`: round trips, one record per key and order (keys
  are case-sensitive; also under concurrent writers), rolled back with the transaction;
- :class:`UnitOfWorkContract`: commit, rollback when the block raises, many threads;
  read-only transactions read what the others read;
- :class:`UseCaseContract`: the use cases over the store: guest-only lookup,
  all-or-nothing requests, idempotent retries, one winner among concurrent guests, and
  :class:`UseCaseStateMachine`, comparing the store with the in-memory reference step by
  step;
- :class:`StoreContract`: all of the above;
- :class:`ImageStoreContract` (factory ``make_image_store()``): put and delete;
- :class:`ClockContract` (factory ``make_clock()``): aware, never backwards;
- :class:`AttemptLimiterContract` (factory ``make_limiter(clock, limits)``): the limit,
  the sliding window on the clock port, all-or-nothing reservations, isolated keys, and a
  burst of 32 threads of which exactly ``max_failures`` get through.

Async stores (:class:`~guest_orders.ports.AsyncUnitOfWork`) pass the same checks through
an event loop: each contract has an async twin (:class:`AsyncStoreContract`,
:class:`AsyncOrderRepositoryContract`, ...) whose one factory is a coroutine,
``async def make_async_store(...)``, run on the event loop the checks use (anyio's
blocking portal, ``asyncio`` backend, one loop per check). Every transaction, repository
call and use case of a check runs on that loop; the checks that race threads race as many
tasks on it. Make the store's engine inside ``make_async_store`` (or dispose of it on that
loop): connections belong to the loop that opened them::

    class TestMyAsyncStore(AsyncStoreContract):
        async def make_async_store(self, *, orders, reasons, shipping_companies, addresses):
            store = MyAsyncStore(await new_test_database())
            await store.load(orders=orders, reasons=reasons,
                             shipping_companies=shipping_companies, addresses=addresses)
            return store

:class:`AsyncImageStoreContract` (factory ``async def make_async_image_store()``) is the
async twin of :class:`ImageStoreContract`.

Decisions the suite enforces:

- **Faithful round trips** (:func:`~guest_orders.testing.assert_faithful`), as faithful
  as the API needs and no more: money the API shows with two places (amounts, prices)
  is handed to the store rounded to the cent and compared by value (``Decimal("0")``
  equals ``Decimal("0.00")``), so a ``DecimalField(decimal_places=2)`` passes; a contract
  with ``exact_money = True`` hands over and compares every ``Decimal`` as is, scale and
  all. ``shipping_tax_rate``, which the API shows as stored, keeps its scale. A datetime
  comes back aware and denoting the same instant to the microsecond, in any UTC offset;
  text comes back unchanged (trailing spaces, case and all); ``extra_field`` and
  ``translations`` come back as equal JSON.
- **Items in primary-key order**: the suite hands a store each order's items sorted by pk
  and expects them back so; a contract with ``items_in_pk_order = False`` hands them over
  in any order and expects them back in that (insertion) order.
- **Only what the store keeps**: a contract lists in ``unstored_fields`` the optional
  fields its store does not keep (``"order.bank"``, ``"order.extra_field"``,
  ``"item.product.image"``, ``"reason.translations"``...); the suite hands those over at
  their default (``None``) and expects the default back. Required fields cannot be listed.
- **The repository is a mirror; the use case decides who may see what.**
  ``OrderRepository.find_by_number`` returns the order with exactly that number whoever
  its customer is — registered customers' orders included, with their customer kind
  intact. ``lookup_order`` then refuses them. Access control lives in one place, is tested
  once, and an adapter cannot weaken it by returning registered orders as guests'.
- **One active request per item is the store's job**, atomically with the whole batch and
  against concurrent writers (``concurrent_writers``
  threads released together by a barrier): a read-then-insert is not enough.

Hypothesis checks run with :func:`contract_settings`: the loaded profile (which sets
``max_examples`` and ``stateful_step_count``) without a deadline, without the ``too_slow``
health check (a real database is slow to set up) and, unless a class sets
``shrink_failures = True``, without shrinking.
"""

from __future__ import annotations

import abc
import functools
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from time import monotonic
from typing import Any, ClassVar, TypeVar

import attrs
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from guest_orders.adapters.memory import InMemoryStore
from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    Address,
    CancelItem,
    CancellationCommand,
    CancellationReason,
    CancellationRequest,
    CancellationRequested,
    CancellationRequestStatus,
    CancellationType,
    EasyReturnShippingCompany,
    Iban,
    IdempotencyRecord,
    ImageRef,
    ImageUpload,
    LookupQuery,
    Order,
    OrderItem,
    OrderSnapshot,
    OrderStatus,
    PickupDate,
    Product,
    StoredEvent,
)
from guest_orders.errors import (
    GuestOrderError,
    IdempotencyKeyReused,
    InvalidRequest,
    OrderNotFound,
    TooManyAttempts,
)
from guest_orders.policy import Policy
from guest_orders.ports import (
    ActiveRequestExists,
    AsyncAttemptLimiter,
    AsyncImageStore,
    AsyncUnitOfWork,
    AttemptLimiter,
    AttemptReservation,
    Clock,
    IdempotencyKeyExists,
    ImageStore,
    UnitOfWork,
)
from guest_orders.testing import strategies as gst
from guest_orders.testing._blocking import BlockingUnitOfWork
from guest_orders.testing._fidelity import assert_faithful
from guest_orders.testing._seed import Seed, example_seed
from guest_orders.throttling import IN_FLIGHT_RETRY_AFTER, AttemptLimits
from guest_orders.use_cases import (
    async_lookup_order,
    async_request_cancellation,
    lookup_order,
    request_cancellation,
)

__all__ = [
    "AddressRepositoryContract",
    "AsyncAddressRepositoryContract",
    "AsyncAttemptLimiterContract",
    "AsyncCancellationReasonRepositoryContract",
    "AsyncCancellationRequestRepositoryContract",
    "AsyncEasyReturnShippingCompanyRepositoryContract",
    "AsyncIdempotencyRepositoryContract",
    "AsyncImageStoreContract",
    "AsyncOrderRepositoryContract",
    "AsyncStoreContract",
    "AsyncUnitOfWorkContract",
    "AsyncUseCaseContract",
    "AttemptLimiterContract",
    "CancellationReasonRepositoryContract",
    "CancellationRequestRepositoryContract",
    "ClockContract",
    "EasyReturnShippingCompanyRepositoryContract",
    "IdempotencyRepositoryContract",
    "ImageStoreContract",
    "OrderRepositoryContract",
    "OutboxRepositoryContract",
    "StoreContract",
    "UnitOfWorkContract",
    "UseCaseContract",
    "UseCaseStateMachine",
    "contract_settings",
    "fit_seed",
]

T = TypeVar("T")

_NIL_UUID = uuid.UUID(int=0)
_CLOCK = FixedClock(gst.DEFAULT_NOW)
_IBAN = Iban("TR960006100000000000000001")
# Few keys, so that requests reuse them: retries, and other requests with a used key.
_KEYS = st.sampled_from([None, None, "retry-1", "retry-2"])
# Mostly history (rejected, completed), sometimes a request that is still active.
_BACK_OFFICE_STATUSES = [
    CancellationRequestStatus.REJECTED,
    CancellationRequestStatus.COMPLETED,
    CancellationRequestStatus.REJECTED,
    CancellationRequestStatus.COMPLETED,
    CancellationRequestStatus.REJECTED,
    CancellationRequestStatus.COMPLETED,
    CancellationRequestStatus.WAITING,
    CancellationRequestStatus.APPROVED,
]
_TIMEOUT = 60.0  # seconds a concurrent check waits for its threads


def contract_settings(*, shrink: bool = False) -> settings:
    """The settings every Hypothesis check of the suite runs with: the loaded profile
    (``max_examples``, ``stateful_step_count``, database...), without a deadline or the
    ``too_slow`` health check (a real database is slow to set up), and unless ``shrink``,
    without shrinking: a store's data is big, and shrinking a failure can take minutes,
    while the suite's messages already name what differs."""
    current = settings.default
    assert current is not None
    phases = tuple(current.phases)
    if not shrink:
        phases = tuple(p for p in phases if p not in {Phase.shrink, Phase.explain})
    return settings(
        deadline=None,
        suppress_health_check=[*current.suppress_health_check, HealthCheck.too_slow],
        phases=phases,
    )


def _for_all(strategy: st.SearchStrategy[T], check: Callable[[T], None], *, shrink: bool) -> None:
    """Run ``check`` on examples of ``strategy`` with :func:`contract_settings`.

    ``check`` itself is the Hypothesis test, so each check keeps its own examples in the
    example database."""
    contract_settings(shrink=shrink)(given(strategy)(check))()


class _Rollback(Exception):
    """Raised inside a transaction to see it rolled back."""


# -------------------------------------------------------------------------- helpers


def _draft(
    order: Order,
    item: OrderItem,
    *,
    status: CancellationRequestStatus = CancellationRequestStatus.WAITING,
    reason: int | None = None,
) -> CancellationRequest:
    """A plain cancel request for ``item``, as the use case would hand it to ``add_all``."""
    return CancellationRequest(
        uuid=uuid.uuid4(),
        order=order.pk,
        order_item=item.pk,
        reason=reason if reason is not None else 1,
        cancellation_type=CancellationType.CANCEL,
        status=status,
        created_date=gst.DEFAULT_NOW,
        modified_date=gst.DEFAULT_NOW,
    )


def _id_of(request: CancellationRequest) -> int:
    assert request.id is not None, "a stored request must have an id"
    return request.id


def _record(
    order: Order, request_ids: Sequence[int], *, key: str = "retry-1", fingerprint: str = "0" * 64
) -> IdempotencyRecord:
    return IdempotencyRecord(
        order=order.pk,
        key=key,
        fingerprint=fingerprint,
        request_ids=request_ids,
        created_date=gst.DEFAULT_NOW,
    )


def _normalized_request(request: CancellationRequest) -> CancellationRequest:
    """A request without what every store makes up on its own: id, uuid, return code and
    image URLs."""
    easy_return = request.easy_return
    return attrs.evolve(
        request,
        id=None,
        uuid=_NIL_UUID,
        easy_return=attrs.evolve(easy_return, code="") if easy_return is not None else None,
        images=tuple(ImageRef(image="", description=ref.description) for ref in request.images),
    )


def _normalized_active(
    active: Mapping[int, CancellationRequest],
) -> dict[int, CancellationRequest]:
    return {item: _normalized_request(request) for item, request in active.items()}


def _wide_seed(items: int) -> Seed:
    """:func:`example_seed` plus a guest's order of ``items`` approved items (pk 104,
    item pks from 2001)."""
    seed = example_seed()
    template = seed.orders[0]
    wide = attrs.evolve(
        template,
        pk=104,
        number="2745403029312199",
        items=[
            OrderItem(
                pk=2001 + index,
                status=OrderStatus.APPROVED,
                quantity=1,
                price=Decimal("1.00"),
                product=Product(pk=9100 + index, name=f"Item {index}", sku=f"W-{index}"),
            )
            for index in range(items)
        ],
    )
    return attrs.evolve(seed, orders=(*seed.orders, wide))


def _lookup_order(
    query: LookupQuery, *, uow: UnitOfWork, clock: Clock, policy: Policy
) -> OrderSnapshot:
    """The lookup use case: the async one, on the check's event loop, for an async store."""
    if isinstance(uow, BlockingUnitOfWork):
        return uow.portal.call(
            functools.partial(async_lookup_order, query, uow=uow.store, clock=clock, policy=policy)
        )
    return lookup_order(query, uow=uow, clock=clock, policy=policy)


def _request_cancellation(
    command: CancellationCommand,
    *,
    uow: UnitOfWork,
    clock: Clock,
    policy: Policy,
    idempotency_key: str | None,
) -> list[CancellationRequest]:
    """The cancellation use case, async for an async store (as :func:`_lookup_order`)."""
    if isinstance(uow, BlockingUnitOfWork):
        return uow.portal.call(
            functools.partial(
                async_request_cancellation,
                command,
                uow=uow.store,
                clock=clock,
                policy=policy,
                idempotency_key=idempotency_key,
            )
        )
    return request_cancellation(
        command, uow=uow, clock=clock, policy=policy, idempotency_key=idempotency_key
    )


_STUCK = (
    "{stuck} of {workers} threads of a concurrency check did not finish within {timeout:.0f} s: "
    "they are blocked, most likely waiting on rows a transaction never commits. If the "
    "suite runs inside a test transaction (pytest-django's default django_db, Django's "
    "TestCase, a fixture that wraps each test in a transaction), other threads cannot see "
    "its rows: use a transactional test database (django_db(transaction=True), "
    "TransactionTestCase)."
)


def _run_together(workers: int, job: Callable[[int], T], *, timeout: float = _TIMEOUT) -> list[T]:
    """Run ``job(0..workers-1)`` on as many threads, released together by a barrier.

    Fails (never hangs) when a thread is still blocked after the timeout: the threads are
    daemons, left behind without keeping the process alive."""
    barrier = threading.Barrier(workers)
    results: list[Any] = [None] * workers
    errors: list[BaseException | None] = [None] * workers

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[index] = job(index)
        except BaseException as error:  # noqa: BLE001  # re-raised in the calling thread
            errors[index] = error

    threads = [
        threading.Thread(target=run, args=(index,), name=f"contract-{index}", daemon=True)
        for index in range(workers)
    ]
    for thread in threads:
        thread.start()
    deadline = monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        pytest.fail(_STUCK.format(stuck=stuck, workers=workers, timeout=timeout), pytrace=False)
    for error in errors:
        if error is not None:
            raise error
    return results


_CENT = Decimal("0.01")
#: The money the API shows with two places (``shipping_tax_rate`` is shown as stored).
_ORDER_MONEY = (
    "amount",
    "discount_amount",
    "shipping_amount",
    "refund_amount",
    "discount_refund_amount",
    "shipping_refund_amount",
    "installment_interest_amount",
)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _money_by_value(order: Order) -> Order:
    """Every money field the API shows with two places, at two places."""
    money: dict[str, Any] = {name: _cents(getattr(order, name)) for name in _ORDER_MONEY}
    items = [attrs.evolve(item, price=_cents(item.price)) for item in order.items]
    return attrs.evolve(order, items=items, **money)


def _map_orders(value: Any, change: Callable[[Order], Order]) -> Any:
    if isinstance(value, Order):
        return change(value)
    if isinstance(value, list | tuple):
        return type(value)(_map_orders(element, change) for element in value)
    return value


def _unstore(value: Any, path: str) -> Any:
    """``value`` with the attribute at ``path`` (``"bank.logo"``) at its default; a nested
    value whose own field is required becomes ``None`` as a whole (when it may)."""
    head, _, rest = path.partition(".")
    field = attrs.fields_dict(type(value))[head]
    if rest:
        inner = getattr(value, head)
        if inner is None:
            return value
        try:
            return attrs.evolve(value, **{head: _unstore(inner, rest)})
        except ValueError:
            if field.default is not None:
                raise
            return attrs.evolve(value, **{head: None})
    if field.default is attrs.NOTHING:
        raise ValueError(f"{head!r} is required: a store must keep it")
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]  # attrs' Factory is a class
        default = default.factory(value) if default.takes_self else default.factory()
    return attrs.evolve(value, **{head: default})


def fit_seed(
    seed: Seed,
    *,
    exact_money: bool = False,
    items_in_pk_order: bool = True,
    unstored_fields: Collection[str] = (),
) -> Seed:
    """``seed`` as a store is expected to give it back (see the module's doc): money the
    API shows with two places rounded to the cent unless ``exact_money``; items sorted by
    pk when ``items_in_pk_order``; each of ``unstored_fields`` (``"order.bank"``,
    ``"item.product.image"``, ``"reason.translations"``) at its default."""
    by_role: dict[str, list[str]] = {"order": [], "item": [], "reason": []}
    for name in unstored_fields:
        role, _, path = name.partition(".")
        if role not in by_role or not path:
            raise ValueError(f"unstored_fields: {name!r} is not order.*, item.* or reason.*")
        by_role[role].append(path)

    def fit_item(item: OrderItem) -> OrderItem:
        for path in by_role["item"]:
            item = _unstore(item, path)
        return item

    def fit_order(order: Order) -> Order:
        for path in by_role["order"]:
            order = _unstore(order, path)
        items = [fit_item(item) for item in order.items]
        if items_in_pk_order:
            items.sort(key=lambda item: item.pk)
        order = attrs.evolve(order, items=items)
        return order if exact_money else _money_by_value(order)

    def fit_reason(reason: CancellationReason) -> CancellationReason:
        for path in by_role["reason"]:
            reason = _unstore(reason, path)
        return reason

    return attrs.evolve(
        seed,
        orders=tuple(fit_order(order) for order in seed.orders),
        reasons=tuple(fit_reason(reason) for reason in seed.reasons),
    )


class _StoreContract(abc.ABC):
    """Base of every storage contract: the one factory, shared by all of them."""

    #: Shrink failing Hypothesis examples to minimal ones (slow: minutes for a whole store);
    #: off by default, see :func:`contract_settings`.
    shrink_failures: ClassVar[bool] = False
    #: How many threads race in the concurrency checks of the repositories.
    concurrent_writers: ClassVar[int] = 16
    #: Seconds a concurrency check waits for its threads before it fails, naming the
    #: likely cause (a test transaction other threads cannot see into).
    concurrency_timeout: ClassVar[float] = _TIMEOUT
    #: Keep and compare every ``Decimal`` exactly, scale included (see the module's doc).
    exact_money: ClassVar[bool] = False
    #: Items come back in pk order (``False``: in the order they were stored).
    items_in_pk_order: ClassVar[bool] = True
    #: The optional fields the store does not keep, ``"order.bank"``-style paths.
    unstored_fields: ClassVar[Collection[str]] = ()

    @abc.abstractmethod
    def make_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> UnitOfWork:
        """A new store holding exactly these rows and no cancellation request.

        Called once per check (and per Hypothesis example): return a fresh store each
        time, e.g. over a new in-memory database or freshly emptied tables. Order pks,
        numbers and item pks are unique; addresses may belong to customers without orders.
        """

    def fit(self, seed: Seed) -> Seed:
        """``seed`` as this store is expected to give it back: see :func:`fit_seed`."""
        return fit_seed(
            seed,
            exact_money=self.exact_money,
            items_in_pk_order=self.items_in_pk_order,
            unstored_fields=self.unstored_fields,
        )

    def assert_same_orders(self, actual: object, expected: object) -> None:
        """:func:`assert_faithful` on orders (or lists of them) the way the suite compares
        them: ``expected`` fitted, money by value unless ``exact_money``."""
        fitted = _map_orders(expected, lambda order: self.fit(Seed(orders=(order,))).orders[0])
        if self.exact_money:
            assert_faithful(actual, fitted)
        else:
            assert_faithful(
                _map_orders(actual, _money_by_value), _map_orders(fitted, _money_by_value)
            )

    def store_for(self, seed: Seed) -> UnitOfWork:
        """:meth:`make_store` with the rows of ``seed``, fitted (:meth:`fit`)."""
        seed = self.fit(seed)
        return self.make_store(
            orders=seed.orders,
            reasons=seed.reasons,
            shipping_companies=seed.shipping_companies,
            addresses=seed.addresses,
        )


# --------------------------------------------------------------------------- orders


_FAITHFUL_SEEDS = gst.seeds(amounts=gst.money() | gst.precise_money())


class OrderRepositoryContract(_StoreContract):
    """:class:`~guest_orders.ports.OrderRepository`: faithful, exact, customer-blind."""

    def test_orders_round_trip_faithfully(self) -> None:
        def check(seed: Seed) -> None:
            store = self.store_for(seed)
            with store.transaction() as repos:
                for order in seed.orders:
                    self.assert_same_orders(repos.orders.find_by_number(order.number), order)

        _for_all(_FAITHFUL_SEEDS, check, shrink=self.shrink_failures)

    def test_orders_keep_decimal_scale_and_aware_times(self) -> None:
        seed = example_seed()
        store = self.store_for(seed)
        with store.transaction() as repos:
            for order in seed.orders:
                found = repos.orders.find_by_number(order.number)
                assert found is not None, f"order {order.number!r} not found"
                self.assert_same_orders(found, order)
        card = seed.orders[0]
        assert str(card.amount) == "1234567.1234"
        assert str(card.discount_amount) == "1.10"

    def test_orders_registered_customers_orders_are_found(self) -> None:
        """The repository returns every order; :func:`lookup_order` filters out registered
        customers' orders. So the customer kind must survive the round trip."""
        seed = example_seed()
        (registered,) = seed.registered_orders
        with self.store_for(seed).transaction() as repos:
            found = repos.orders.find_by_number(registered.number)
        assert found is not None, "find_by_number must return registered customers' orders too"
        assert not found.customer.is_guest, "a registered customer's order came back as a guest's"
        self.assert_same_orders(found, registered)

    def test_orders_number_must_match_exactly(self) -> None:
        seed = example_seed()
        card, cash, _ = seed.orders
        near_misses = [
            "",
            " ",
            f"{card.number} ",
            f" {card.number}",
            card.number[:-1],
            f"{card.number}0",
            cash.number.lower(),
            f"{cash.number}\n",
            cash.number[:-1] + "%",
            cash.number[:-1] + "_",
            "%",
            "unknown",
        ]
        with self.store_for(seed).transaction() as repos:
            for number in near_misses:
                found = repos.orders.find_by_number(number)
                assert found is None, f"find_by_number({number!r}) found order {found!r}"


# ------------------------------------------------------------- cancellation requests


class CancellationRequestRepositoryContract(_StoreContract):
    """:class:`~guest_orders.ports.CancellationRequestRepository`: faithful, atomic, and at
    most one active request per item, whoever writes at the same time."""

    def test_requests_round_trip_faithfully(self) -> None:
        def check(drawn: tuple[Seed, list[CancellationRequest]]) -> None:
            seed, drafts = drawn
            store = self.store_for(seed)
            with store.transaction() as repos:
                stored = list(repos.cancellation_requests.add_all(drafts))
            assert len(stored) == len(drafts), "add_all must return every request it stored"
            ids = [request.id for request in stored]
            assert None not in ids, "add_all must return the requests with their ids"
            assert len(set(ids)) == len(ids), f"ids must be distinct, got {ids}"
            for got, draft in zip(stored, drafts, strict=True):
                assert_faithful(attrs.evolve(got, id=None), draft)
            with store.transaction() as repos:
                active = repos.cancellation_requests.active_for_items(
                    [draft.order_item for draft in drafts]
                )
            expected = {r.order_item: r for r in stored if r.is_active}
            assert_faithful(dict(active), expected)

        batches = gst.seeds().flatmap(
            lambda seed: st.tuples(
                st.just(seed),
                st.lists(
                    gst.cancellation_requests(seed),
                    max_size=4,
                    unique_by=lambda r: r.order_item,
                ),
            )
        )
        _for_all(batches, check, shrink=self.shrink_failures)

    def test_requests_active_for_items_returns_only_asked_active_items(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        first, second, _, fourth = card.items
        store = self.store_for(seed)
        with store.transaction() as repos:
            repos.cancellation_requests.add_all(
                [
                    _draft(card, first),
                    _draft(card, second, status=CancellationRequestStatus.REJECTED),
                    _draft(card, fourth, status=CancellationRequestStatus.APPROVED),
                ]
            )
        with store.transaction() as repos:
            requests = repos.cancellation_requests
            assert dict(requests.active_for_items([])) == {}
            assert dict(requests.active_for_items([999_999])) == {}
            assert set(requests.active_for_items([first.pk, second.pk])) == {first.pk}
            assert set(requests.active_for_items([first.pk, fourth.pk])) == {first.pk, fourth.pk}

    def test_requests_second_active_request_is_refused(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        item = card.items[0]
        store = self.store_for(seed)
        with store.transaction() as repos:
            (first,) = repos.cancellation_requests.add_all([_draft(card, item)])
        for status in (CancellationRequestStatus.WAITING, CancellationRequestStatus.APPROVED):
            with pytest.raises(ActiveRequestExists) as refused, store.transaction() as repos:
                repos.cancellation_requests.add_all([_draft(card, item, status=status)])
            assert refused.value.order_items == {item.pk}
        with store.transaction() as repos:
            active = repos.cancellation_requests.active_for_items([item.pk])
        assert_faithful(dict(active), {item.pk: first})

    def test_requests_approved_request_blocks_too(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        item = card.items[0]
        store = self.store_for(seed)
        with store.transaction() as repos:
            repos.cancellation_requests.add_all(
                [_draft(card, item, status=CancellationRequestStatus.APPROVED)]
            )
        with pytest.raises(ActiveRequestExists), store.transaction() as repos:
            repos.cancellation_requests.add_all([_draft(card, item)])

    def test_requests_batch_with_one_conflict_stores_nothing(self) -> None:
        """``add_all`` is atomic on its own: a refused batch leaves nothing behind even when
        the caller catches the refusal and its transaction commits (a database adapter
        writes the batch inside a savepoint)."""
        seed = example_seed()
        card = seed.orders[0]
        taken, free, also_free = card.items[0], card.items[1], card.items[3]
        store = self.store_for(seed)
        with store.transaction() as repos:
            repos.cancellation_requests.add_all([_draft(card, taken)])
        batch = [_draft(card, free), _draft(card, taken), _draft(card, also_free)]
        with store.transaction() as repos:
            with pytest.raises(ActiveRequestExists) as refused:
                repos.cancellation_requests.add_all(batch)
            left = repos.cancellation_requests.active_for_items([free.pk, also_free.pk])
            assert dict(left) == {}, "a refused batch must store nothing"
        assert refused.value.order_items == {taken.pk}
        with store.transaction() as repos:
            active = repos.cancellation_requests.active_for_items([free.pk, also_free.pk])
        assert dict(active) == {}, "a refused batch must store nothing"
        with store.transaction() as repos:
            stored = repos.cancellation_requests.add_all([_draft(card, free)])
        assert len(stored) == 1

    def test_requests_duplicate_items_in_one_batch_are_refused(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        item, other = card.items[0], card.items[1]
        store = self.store_for(seed)
        batch = [_draft(card, other), _draft(card, item), _draft(card, item)]
        with store.transaction() as repos, pytest.raises(ActiveRequestExists) as refused:
            repos.cancellation_requests.add_all(batch)
        assert refused.value.order_items == {item.pk}
        with store.transaction() as repos:
            active = repos.cancellation_requests.active_for_items([item.pk, other.pk])
        assert dict(active) == {}, "a refused batch must store nothing"

    def test_requests_inactive_requests_do_not_block(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        item = card.items[0]
        store = self.store_for(seed)
        history = [
            _draft(card, item, status=CancellationRequestStatus.REJECTED),
            _draft(card, item, status=CancellationRequestStatus.COMPLETED),
            _draft(card, item, status=CancellationRequestStatus.REJECTED),
        ]
        with store.transaction() as repos:
            repos.cancellation_requests.add_all(history)
        with store.transaction() as repos:
            assert dict(repos.cancellation_requests.active_for_items([item.pk])) == {}
            (new,) = repos.cancellation_requests.add_all([_draft(card, item)])
        with store.transaction() as repos:
            active = repos.cancellation_requests.active_for_items([item.pk])
        assert_faithful(dict(active), {item.pk: new})

    def test_requests_get_many_in_the_order_asked(self) -> None:
        """``get_many`` (replaying an idempotent retry): the requests with these ids, active
        or not, in the order of the ids; unknown ids are skipped."""
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        drafts = [
            _draft(card, card.items[0]),
            _draft(card, card.items[1], status=CancellationRequestStatus.REJECTED),
            _draft(card, card.items[3]),
        ]
        with store.transaction() as repos:
            stored = list(repos.cancellation_requests.add_all(drafts))
        ids = [_id_of(request) for request in stored]
        with store.transaction() as repos:
            assert list(repos.cancellation_requests.get_many([])) == []
            found = list(
                repos.cancellation_requests.get_many([ids[2], max(ids) + 1000, ids[0], ids[1]])
            )
        assert_faithful(found, [stored[2], stored[0], stored[1]])

    def test_requests_one_active_rule_holds_under_concurrent_writers(self) -> None:
        writers = self.concurrent_writers
        seed = example_seed()
        card = seed.orders[0]
        item = card.items[0]
        store = self.store_for(seed)

        def write(_index: int) -> str:
            try:
                with store.transaction() as repos:
                    repos.cancellation_requests.add_all([_draft(card, item)])
            except ActiveRequestExists:
                return "refused"
            return "stored"

        outcomes = _run_together(writers, write, timeout=self.concurrency_timeout)
        assert outcomes.count("stored") == 1, (
            f"{outcomes.count('stored')} of {writers} concurrent writers stored an active "
            f"request for the same item; exactly one may"
        )
        with store.transaction() as repos:
            assert set(repos.cancellation_requests.active_for_items([item.pk])) == {item.pk}

    def test_requests_overlapping_batches_under_concurrent_writers(self) -> None:
        """Each writer asks for a shared item and an item of its own: exactly one batch
        wins, and no loser leaves its own item behind."""
        writers = self.concurrent_writers
        seed = _wide_seed(writers + 1)
        wide = seed.orders[-1]
        shared, own = wide.items[0], wide.items[1:]
        store = self.store_for(seed)

        def write(index: int) -> str:
            try:
                with store.transaction() as repos:
                    repos.cancellation_requests.add_all(
                        [_draft(wide, own[index]), _draft(wide, shared)]
                    )
            except ActiveRequestExists:
                return "refused"
            return "stored"

        outcomes = _run_together(writers, write, timeout=self.concurrency_timeout)
        assert outcomes.count("stored") == 1, f"{outcomes.count('stored')} batches won"
        winner = outcomes.index("stored")
        with store.transaction() as repos:
            active = repos.cancellation_requests.active_for_items([i.pk for i in wide.items])
        assert set(active) == {shared.pk, own[winner].pk}, "losing batches must store nothing"


# ---------------------------------------------------------------- reasons, carriers


class CancellationReasonRepositoryContract(_StoreContract):
    """:class:`~guest_orders.ports.CancellationReasonRepository`."""

    def test_reasons_round_trip_faithfully(self) -> None:
        def check(drawn: list[CancellationReason]) -> None:
            seed = Seed(reasons=tuple(drawn))
            store = self.store_for(seed)
            reasons = self.fit(seed).reasons
            with store.transaction() as repos:
                found = repos.reasons.get_many([r.pk for r in reasons])
                active = list(repos.reasons.list_active())
            assert_faithful(dict(found), {r.pk: r for r in reasons})
            expected = sorted((r for r in reasons if r.is_active), key=lambda r: (r.order, r.pk))
            assert_faithful(active, expected)

        _for_all(
            st.lists(gst.cancellation_reasons(), max_size=6, unique_by=lambda r: r.pk),
            check,
            shrink=self.shrink_failures,
        )

    def test_reasons_get_many_skips_unknown_and_keeps_inactive(self) -> None:
        seed = example_seed()
        with self.store_for(seed).transaction() as repos:
            assert dict(repos.reasons.get_many([])) == {}
            found = repos.reasons.get_many([4, 3, 999])
        fitted = self.fit(seed).reasons
        assert_faithful(dict(found), {r.pk: r for r in fitted if r.pk in {3, 4}})

    def test_reasons_list_active_sorted_by_order_then_pk(self) -> None:
        seed = example_seed()
        with self.store_for(seed).transaction() as repos:
            active = [r.pk for r in repos.reasons.list_active()]
        assert active == [2, 3, 1]


class EasyReturnShippingCompanyRepositoryContract(_StoreContract):
    """:class:`~guest_orders.ports.EasyReturnShippingCompanyRepository`."""

    def test_shipping_companies_list_active_faithfully_by_pk(self) -> None:
        def check(companies: list[EasyReturnShippingCompany]) -> None:
            store = self.make_store(
                orders=(), reasons=(), shipping_companies=companies, addresses=()
            )
            with store.transaction() as repos:
                active = list(repos.shipping_companies.list_active())
            expected = sorted((c for c in companies if c.is_active), key=lambda c: c.pk)
            assert_faithful(active, expected)

        _for_all(
            st.lists(gst.easy_return_shipping_companies(), max_size=5, unique_by=lambda c: c.pk),
            check,
            shrink=self.shrink_failures,
        )


class AddressRepositoryContract(_StoreContract):
    """:class:`~guest_orders.ports.AddressRepository`."""

    def test_addresses_round_trip_faithfully(self) -> None:
        def check(addresses: list[Address]) -> None:
            store = self.make_store(
                orders=(), reasons=(), shipping_companies=(), addresses=addresses
            )
            with store.transaction() as repos:
                for address in addresses:
                    assert_faithful(repos.addresses.get(address.pk), address)

        _for_all(
            st.lists(gst.addresses(), max_size=5, unique_by=lambda a: a.pk),
            check,
            shrink=self.shrink_failures,
        )

    def test_addresses_unknown_pk_is_none(self) -> None:
        with self.store_for(example_seed()).transaction() as repos:
            assert repos.addresses.get(999_999) is None


# -------------------------------------------------------------------- idempotency


class IdempotencyRepositoryContract(_StoreContract):
    """:class:`~guest_orders.ports.IdempotencyRepository`: faithful records, one per key
    and order (also under concurrent writers), stored with their transaction."""

    def _requests(self, store: UnitOfWork, order: Order, count: int = 1) -> list[int]:
        """Store requests for the first ``count`` items of ``order``; their ids."""
        with store.transaction() as repos:
            stored = repos.cancellation_requests.add_all(
                [_draft(order, item) for item in order.items[:count]]
            )
        return [_id_of(request) for request in stored]

    def test_idempotency_records_round_trip_faithfully(self) -> None:
        def check(drawn: tuple[Seed, IdempotencyRecord]) -> None:
            seed, drawn_record = drawn
            order = seed.orders[0]
            store = self.store_for(seed)
            with store.transaction() as repos:
                stored = repos.cancellation_requests.add_all(
                    [_draft(order, item, reason=seed.reasons[0].pk) for item in order.items]
                )
                record = attrs.evolve(
                    drawn_record,
                    order=order.pk,
                    request_ids=[_id_of(request) for request in stored],
                )
                repos.idempotency.add(record)
            with store.transaction() as repos:
                assert_faithful(repos.idempotency.get(order.pk, record.key), record)
                assert repos.idempotency.get(order.pk, record.key + "x") is None

        _for_all(
            st.tuples(gst.seeds(), gst.idempotency_records()), check, shrink=self.shrink_failures
        )

    def test_idempotency_keys_are_per_order_and_case_sensitive(self) -> None:
        seed = example_seed()
        card, cash = seed.guest_orders
        store = self.store_for(seed)
        card_ids, cash_ids = self._requests(store, card), self._requests(store, cash)
        records = [
            _record(card, card_ids, key="Key-1"),
            _record(card, card_ids, key="key-1", fingerprint="1" * 64),
            _record(cash, cash_ids, key="Key-1", fingerprint="2" * 64),
        ]
        for record in records:
            try:
                with store.transaction() as repos:
                    repos.idempotency.add(record)
            except IdempotencyKeyExists:
                pytest.fail(
                    f"key {record.key!r} on order {record.order} was refused: keys are "
                    "case-sensitive and scoped to their order"
                )
        with store.transaction() as repos:
            for record in records:
                assert_faithful(repos.idempotency.get(record.order, record.key), record)
            assert repos.idempotency.get(card.pk, "KEY-1") is None
            assert repos.idempotency.get(card.pk, "Key-1 ") is None

    def test_idempotency_second_record_with_a_key_is_refused(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        ids = self._requests(store, card)
        first = _record(card, ids)
        with store.transaction() as repos:
            repos.idempotency.add(first)

        def add_again() -> None:
            with store.transaction() as repos:
                repos.idempotency.add(_record(card, ids, fingerprint="f" * 64))

        with pytest.raises(IdempotencyKeyExists) as refused:
            add_again()
        assert refused.value.order == card.pk
        with store.transaction() as repos:
            assert_faithful(repos.idempotency.get(card.pk, first.key), first)

    def test_idempotency_record_is_rolled_back_with_its_transaction(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        item = card.items[0]
        store = self.store_for(seed)

        def write_then_fail() -> None:
            with store.transaction() as repos:
                (stored,) = repos.cancellation_requests.add_all([_draft(card, item)])
                repos.idempotency.add(_record(card, [_id_of(stored)]))
                raise _Rollback

        with pytest.raises(_Rollback):
            write_then_fail()
        with store.transaction() as repos:
            assert repos.idempotency.get(card.pk, "retry-1") is None
            assert dict(repos.cancellation_requests.active_for_items([item.pk])) == {}

    def test_idempotency_one_record_wins_under_concurrent_writers(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        ids = self._requests(store, card)

        def write(index: int) -> str:
            try:
                with store.transaction() as repos:
                    repos.idempotency.add(_record(card, ids, fingerprint=f"{index:064x}"))
            except IdempotencyKeyExists:
                return "refused"
            return "stored"

        outcomes = _run_together(self.concurrent_writers, write, timeout=self.concurrency_timeout)
        assert outcomes.count("stored") == 1, f"{outcomes.count('stored')} records stored"
        with store.transaction() as repos:
            found = repos.idempotency.get(card.pk, "retry-1")
        assert found is not None
        assert found.fingerprint == f"{outcomes.index('stored'):064x}"


# ------------------------------------------------------------------------- outbox


def _event(order: Order, item: int, *, request_id: int = 1) -> CancellationRequested:
    return CancellationRequested(
        event_id=uuid.uuid4(),
        request_id=request_id,
        request_uuid=uuid.uuid4(),
        order=order.pk,
        order_number=order.number,
        order_item=item,
        cancellation_type=CancellationType.CANCEL,
        quantity=None,
        reason=1,
        created_date=gst.DEFAULT_NOW,
    )


def _pending(store: UnitOfWork, limit: int = 1_000) -> list[StoredEvent]:
    with store.transaction() as repos:
        return list(repos.outbox.pending(limit))


class OutboxRepositoryContract(_StoreContract):
    """:class:`~guest_orders.ports.OutboxRepository`: events written with the requests and
    rolled back with them, read back in order, marked delivered, purged; where
    :meth:`concurrent_relays`, concurrent relays claim disjoint batches and one order's
    events wait for its older ones that another relay holds."""

    def concurrent_relays(self) -> bool:
        """Whether relays may run concurrently on the store: ``True`` (PostgreSQL...). A
        store that serializes its transactions, like SQLite, runs one relay: return
        ``False`` there to skip the checks of concurrent relays."""
        return True

    def test_outbox_events_are_written_with_the_requests(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        command = CancellationCommand(
            number=card.number,
            email=card.user_email,
            items=[
                CancelItem(
                    order_item=1002,
                    reason=3,
                    cancellation_type=CancellationType.REFUND,
                    shipping_company=13,
                ),
                CancelItem(
                    order_item=1001, reason=1, cancellation_type=CancellationType.CANCEL, quantity=1
                ),
            ],
        )
        created = request_cancellation(command, uow=store, clock=_CLOCK, policy=Policy())
        pending = _pending(store)
        assert [stored.event.request_id for stored in pending] == [_id_of(r) for r in created], (
            "one event per created request, in the order of the items"
        )
        for stored, request in zip(pending, created, strict=True):
            expected = CancellationRequested.of(
                request, order_number=card.number, event_id=stored.event.event_id
            )
            assert_faithful(stored.event, expected)

    def test_outbox_nothing_is_written_when_the_transaction_fails(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)

        def write_then_fail() -> None:
            with store.transaction() as repos:
                repos.cancellation_requests.add_all([_draft(card, card.items[0])])
                repos.outbox.add_all([_event(card, card.items[0].pk)])
                raise _Rollback

        with pytest.raises(_Rollback):
            write_then_fail()
        assert _pending(store) == [], "a rolled-back transaction must leave no event"
        refused = CancellationCommand(
            number=card.number,
            email=card.user_email,
            items=[
                CancelItem(order_item=1001, reason=1, cancellation_type=CancellationType.CANCEL),
                CancelItem(order_item=999_999, reason=1, cancellation_type=CancellationType.CANCEL),
            ],
        )
        with pytest.raises(InvalidRequest):
            request_cancellation(refused, uow=store, clock=_CLOCK, policy=Policy())
        assert _pending(store) == [], "a refused request must leave no event"

    def test_outbox_events_come_back_in_commit_order(self) -> None:
        seed = example_seed()
        card, cash = seed.guest_orders
        store = self.store_for(seed)
        written: list[CancellationRequested] = []
        for batch in (
            [_event(card, 1, request_id=1), _event(cash, 2, request_id=2)],
            [_event(card, 3, request_id=3)],
            [_event(cash, 4, request_id=4), _event(card, 5, request_id=5)],
        ):
            with store.transaction() as repos:
                repos.outbox.add_all(batch)
            written += batch
        pending = _pending(store)
        assert_faithful([stored.event for stored in pending], written)
        positions = [stored.position for stored in pending]
        assert positions == sorted(set(positions)), "positions must be distinct and grow"
        assert [s.event.request_id for s in _pending(store, 2)] == [1, 2], "the oldest first"

    def test_outbox_delivered_events_are_not_pending_and_are_purged(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        with store.transaction() as repos:
            repos.outbox.add_all([_event(card, n, request_id=n) for n in (1, 2, 3)])
        first, second, _ = _pending(store)
        now = gst.DEFAULT_NOW
        with store.transaction() as repos:
            repos.outbox.pending(1)
            repos.outbox.mark_delivered([first.position], now)
        with store.transaction() as repos:
            repos.outbox.pending(1)
            repos.outbox.mark_delivered([second.position], now + timedelta(days=2))
        assert [s.event.request_id for s in _pending(store)] == [3]
        with store.transaction() as repos:
            assert repos.outbox.purge_delivered(now + timedelta(days=1)) == 1
        with store.transaction() as repos:
            assert repos.outbox.purge_delivered(now + timedelta(days=1)) == 0
            assert repos.outbox.purge_delivered(now + timedelta(days=30)) == 1
        assert [s.event.request_id for s in _pending(store)] == [3], "never purge pending"

    def test_outbox_marks_are_rolled_back_with_their_transaction(self) -> None:
        """A relay that dies after delivering leaves its events pending: at least once."""
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        with store.transaction() as repos:
            repos.outbox.add_all([_event(card, 1)])

        def deliver_then_die() -> None:
            with store.transaction() as repos:
                (stored,) = repos.outbox.pending(10)
                repos.outbox.mark_delivered([stored.position], gst.DEFAULT_NOW)
                raise _Rollback

        with pytest.raises(_Rollback):
            deliver_then_die()
        assert len(_pending(store)) == 1

    def _needs_concurrent_relays(self) -> None:
        if not self.concurrent_relays():
            pytest.skip("the store runs one relay at a time (concurrent_relays() is False)")

    def test_outbox_concurrent_relays_claim_disjoint_batches(self) -> None:
        self._needs_concurrent_relays()
        base = _wide_seed(1)
        wide = base.orders[-1]
        orders = [  # 40 orders, so that no order's events hold another relay back
            attrs.evolve(
                wide,
                pk=wide.pk + n,
                number=f"{int(wide.number) + n}",
                items=[attrs.evolve(wide.items[0], pk=wide.items[0].pk + n)],
            )
            for n in range(40)
        ]
        seed = attrs.evolve(base, orders=(*base.orders[:-1], *orders))
        store = self.store_for(seed)
        with store.transaction() as repos:
            repos.outbox.add_all([_event(o, 1, request_id=n) for n, o in enumerate(orders)])
        relays = 4
        barrier = threading.Barrier(relays)

        def claim(_index: int) -> list[int]:
            with store.transaction() as repos:
                batch = [stored.position for stored in repos.outbox.pending(5)]
                barrier.wait(timeout=_TIMEOUT)  # every relay holds its batch now
            return batch

        batches = _run_together(relays, claim)
        claimed = [position for batch in batches for position in batch]
        assert len(claimed) == len(set(claimed)), f"relays claimed one event twice: {batches}"
        assert all(len(batch) == 5 for batch in batches), f"a relay got less: {batches}"

    def test_outbox_an_orders_events_wait_for_its_older_one_held_elsewhere(self) -> None:
        self._needs_concurrent_relays()
        seed = example_seed()
        card, cash = seed.guest_orders
        store = self.store_for(seed)
        with store.transaction() as repos:
            repos.outbox.add_all(
                [
                    _event(card, 1, request_id=1),
                    _event(card, 2, request_id=2),
                    _event(cash, 3, request_id=3),
                ]
            )
        holding = threading.Event()
        release = threading.Event()

        def first_relay() -> list[int]:
            with store.transaction() as repos:
                batch = [s.event.request_id for s in repos.outbox.pending(1)]
                holding.set()
                release.wait(timeout=_TIMEOUT)
            return batch

        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(first_relay)
            assert holding.wait(timeout=_TIMEOUT)
            try:
                second = [s.event.request_id for s in _pending(store)]
            finally:
                release.set()
            assert first.result(timeout=_TIMEOUT) == [1]
        assert second == [3], (
            f"while another relay holds the card order's first event, got {second}: its "
            "second event must wait, the other order's may go"
        )


# ------------------------------------------------------------------- unit of work


class UnitOfWorkContract(_StoreContract):
    """:class:`~guest_orders.ports.UnitOfWork`: commit on success, roll back on error."""

    def test_unit_of_work_commits_when_the_block_ends(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        item = card.items[0]
        store = self.store_for(seed)
        with store.transaction() as repos:
            (stored,) = repos.cancellation_requests.add_all([_draft(card, item)])
        with store.transaction() as repos:
            active = repos.cancellation_requests.active_for_items([item.pk])
        assert_faithful(dict(active), {item.pk: stored})

    def test_unit_of_work_rolls_back_when_the_block_raises(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        item, other = card.items[0], card.items[1]
        store = self.store_for(seed)

        def write_then_fail() -> None:
            with store.transaction() as repos:
                repos.cancellation_requests.add_all([_draft(card, item)])
                repos.cancellation_requests.add_all([_draft(card, other)])
                raise _Rollback

        with pytest.raises(_Rollback):
            write_then_fail()
        with store.transaction() as repos:
            active = repos.cancellation_requests.active_for_items([item.pk, other.pk])
        assert dict(active) == {}, "a transaction that raised must store nothing"
        with store.transaction() as repos:
            stored = repos.cancellation_requests.add_all([_draft(card, item), _draft(card, other)])
        assert len(stored) == 2, "the items must be free again after a rollback"

    def test_unit_of_work_read_only_transactions_read_the_same(self) -> None:
        """``transaction(read_only=True)`` (the lookup's, the reasons') reads exactly what
        a transaction without the flag reads, committed writes included."""
        seed = example_seed()
        card = seed.orders[0]
        item = card.items[0]
        store = self.store_for(seed)
        with store.transaction() as repos:
            (stored,) = repos.cancellation_requests.add_all([_draft(card, item)])
        stored_id = stored.id
        assert stored_id is not None

        def everything(*, read_only: bool) -> tuple[object, ...]:
            with store.transaction(read_only=read_only) as repos:
                return (
                    [repos.orders.find_by_number(order.number) for order in seed.orders],
                    repos.orders.find_by_number("no such order"),
                    dict(repos.cancellation_requests.active_for_items([i.pk for i in card.items])),
                    list(repos.cancellation_requests.get_many([stored_id])),
                    list(repos.shipping_companies.list_active()),
                    list(repos.reasons.list_active()),
                    dict(repos.reasons.get_many([reason.pk for reason in seed.reasons])),
                    [repos.addresses.get(address.pk) for address in seed.addresses],
                )

        read_only = everything(read_only=True)
        assert_faithful(read_only, everything(read_only=False))
        self.assert_same_orders(read_only[0], list(seed.orders))
        assert_faithful(read_only[2], {item.pk: stored})

    def test_unit_of_work_read_only_transactions_serve_many_threads(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        numbers = [order.number for order in seed.orders]

        def read_or_write(index: int) -> str | None:
            if index == 0:  # one writer among the readers
                with store.transaction() as repos:
                    repos.cancellation_requests.add_all([_draft(card, card.items[0])])
                return None
            with store.transaction(read_only=True) as repos:
                found = repos.orders.find_by_number(numbers[index % len(numbers)])
            return found.number if found is not None else None

        results = _run_together(8, read_or_write, timeout=self.concurrency_timeout)
        assert results == [None] + [numbers[i % len(numbers)] for i in range(1, 8)]
        with store.transaction(read_only=True) as repos:
            active = repos.cancellation_requests.active_for_items([card.items[0].pk])
        assert list(active) == [card.items[0].pk], "the writer's request must be committed"

    def test_unit_of_work_serves_many_threads(self) -> None:
        seed = example_seed()
        store = self.store_for(seed)
        numbers = [order.number for order in seed.orders]

        def read(index: int) -> str | None:
            with store.transaction() as repos:
                found = repos.orders.find_by_number(numbers[index % len(numbers)])
            return found.number if found is not None else None

        assert _run_together(8, read, timeout=self.concurrency_timeout) == [
            numbers[i % len(numbers)] for i in range(8)
        ]


# --------------------------------------------------------------------- use cases


def _outcome(call: Callable[[], T]) -> T | GuestOrderError:
    try:
        return call()
    except GuestOrderError as error:
        return error


def _same_error(actual: GuestOrderError, expected: GuestOrderError) -> None:
    assert type(actual) is type(expected), f"expected {expected!r}, got {actual!r}"
    assert actual.code == expected.code, f"expected code {expected.code}, got {actual.code}"
    assert actual.errors == expected.errors, (
        f"expected errors {expected.errors!r}, got {actual.errors!r}"
    )
    if isinstance(expected, ActiveRequestExists):
        assert isinstance(actual, ActiveRequestExists)
        assert actual.order_items == expected.order_items


def _normalized_snapshot(snapshot: OrderSnapshot) -> OrderSnapshot:
    """Without what stores make up, money by value (fidelity is checked elsewhere)."""
    return attrs.evolve(
        snapshot,
        order=_money_by_value(snapshot.order),
        active_requests=_normalized_active(snapshot.active_requests),
    )


def _normalized_requests(requests: Sequence[CancellationRequest]) -> list[CancellationRequest]:
    assert all(request.id is not None for request in requests), "stored requests need ids"
    return [_normalized_request(request) for request in requests]


class UseCaseStateMachine(RuleBasedStateMachine):
    """Random sequences of lookups, single and bulk cancellations and back-office writes,
    run against the store under test and against the in-memory reference, which must
    agree at every step: the same result (up to ids, uuids, return codes and image URLs)
    or the same error with the same code and field errors, and the same active request
    for every item.

    Subclass it and implement :meth:`make_store`, or get a ready subclass from
    :meth:`UseCaseContract.state_machine`. ``MyMachine.TestCase`` is a unittest case.
    """

    def make_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> UnitOfWork:
        """The store under test, holding exactly these rows (see
        :meth:`StoreContract.make_store`)."""
        raise NotImplementedError("subclass UseCaseStateMachine and implement make_store")

    def __init__(self) -> None:
        super().__init__()
        self.seed = Seed()
        self.policy = Policy()
        self.clock = FixedClock(gst.DEFAULT_NOW)
        self.reference: InMemoryStore | None = None
        self.tested: UnitOfWork | None = None
        self.last: tuple[CancellationCommand, str | None] | None = None

    def fit_seed(self, seed: Seed) -> Seed:
        """``seed`` as the store under test keeps it (see :func:`fit_seed`); as is here."""
        return seed

    @initialize(seed=gst.seeds(), policy=gst.policies())
    def load(self, seed: Seed, policy: Policy) -> None:
        seed = self.fit_seed(seed)
        self.seed = seed
        self.policy = policy
        self.reference = seed.in_memory_store()
        self.tested = self.make_store(
            orders=seed.orders,
            reasons=seed.reasons,
            shipping_companies=seed.shipping_companies,
            addresses=seed.addresses,
        )

    def _stores(self) -> tuple[UnitOfWork, UnitOfWork]:
        assert self.reference is not None
        assert self.tested is not None
        return self.reference, self.tested

    def _agree(
        self, what: str, call: Callable[[UnitOfWork], T], normalize: Callable[[T], Any]
    ) -> None:
        reference, tested = self._stores()
        expected = _outcome(lambda: call(reference))
        actual = _outcome(lambda: call(tested))
        event(f"{what}: {expected.code if isinstance(expected, GuestOrderError) else 'ok'}")
        if isinstance(expected, GuestOrderError):
            if not isinstance(actual, GuestOrderError):
                pytest.fail(f"the reference raised {expected!r}, the store under test did not")
            _same_error(actual, expected)
        else:
            if isinstance(actual, GuestOrderError):
                pytest.fail(f"the store under test raised {actual!r}, the reference did not")
            assert_faithful(normalize(actual), normalize(expected))

    @rule(data=st.data())
    def lookup(self, data: st.DataObject) -> None:
        query: LookupQuery = data.draw(gst.lookup_queries(self.seed, policy=self.policy))
        self._agree(
            "lookup",
            lambda uow: _lookup_order(query, uow=uow, clock=self.clock, policy=self.policy),
            _normalized_snapshot,
        )

    def _busy_items(self) -> frozenset[int]:
        """The items with an active request (in the reference), which well-formed commands
        avoid so that requests keep succeeding as the run goes on."""
        reference, _ = self._stores()
        items = [item.pk for order in self.seed.orders for item in order.items]
        with reference.transaction() as repos:
            return frozenset(repos.cancellation_requests.active_for_items(items))

    def _command(self, data: st.DataObject, *, bulk: bool) -> CancellationCommand:
        strategy = gst.cancellation_commands(
            self.seed, bulk=bulk, policy=self.policy, now=self.clock.now(), busy=self._busy_items()
        )
        command: CancellationCommand = data.draw(strategy)
        return command

    def _cancel(self, command: CancellationCommand, key: str | None) -> None:
        self.last = (command, key)
        self._agree(
            "bulk cancellation" if command.bulk else "cancellation",
            lambda uow: _request_cancellation(
                command, uow=uow, clock=self.clock, policy=self.policy, idempotency_key=key
            ),
            _normalized_requests,
        )

    @rule(data=st.data(), key=_KEYS)
    def cancel_one(self, data: st.DataObject, key: str | None) -> None:
        self._cancel(self._command(data, bulk=False), key)

    @rule(data=st.data(), key=_KEYS)
    def cancel_many(self, data: st.DataObject, key: str | None) -> None:
        self._cancel(self._command(data, bulk=True), key)

    @precondition(lambda machine: machine.last is not None)
    @rule()
    def retry(self) -> None:
        """The guest sends the last request again, with the same idempotency key."""
        assert self.last is not None
        self._cancel(*self.last)

    @rule(data=st.data())
    def back_office_records(self, data: st.DataObject) -> None:
        """A request written straight to the store: rejected and completed ones make
        history that must not block; active ones must be refused if the item has one."""
        status = data.draw(st.sampled_from(_BACK_OFFICE_STATUSES))
        request = data.draw(gst.cancellation_requests(self.seed, status=status))

        def add(uow: UnitOfWork) -> list[CancellationRequest]:
            with uow.transaction() as repos:
                return list(repos.cancellation_requests.add_all([request]))

        self._agree("add_all", add, _normalized_requests)

    @rule(days=st.integers(1, 20))
    def time_passes(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))

    @invariant()
    def same_active_requests(self) -> None:
        if self.tested is None:
            return
        items = [item.pk for order in self.seed.orders for item in order.items]
        reference, tested = self._stores()
        with reference.transaction() as repos:
            expected = repos.cancellation_requests.active_for_items(items)
        with tested.transaction() as repos:
            actual = repos.cancellation_requests.active_for_items(items)
        assert_faithful(_normalized_active(actual), _normalized_active(expected))

    def teardown(self) -> None:
        """At the end of each run, the outbox holds one event per created request, in the
        reference's order (checked once per run, not per step: it reads every event)."""
        if self.tested is None:
            return
        reference, tested = self._stores()
        assert_faithful(_normalized_events(tested), _normalized_events(reference))


def _normalized_events(store: UnitOfWork) -> list[CancellationRequested]:
    """The pending events without what every store makes up: ids and uuids."""
    return [
        attrs.evolve(stored.event, event_id=_NIL_UUID, request_id=1, request_uuid=_NIL_UUID)
        for stored in _pending(store, 100_000)
    ]


class UseCaseContract(_StoreContract):
    """The use cases over the store under test."""

    #: How many guests race for the same item in :meth:`test_use_case_one_guest_wins_a_race`.
    concurrent_guests: ClassVar[int] = 16
    #: Settings of the state machine run; ``None``: :func:`contract_settings`.
    state_machine_settings: ClassVar[settings | None] = None

    def _lookup(self, store: UnitOfWork, order: Order) -> OrderSnapshot:
        query = LookupQuery(number=order.number, email=order.user_email)
        return _lookup_order(query, uow=store, clock=_CLOCK, policy=Policy())

    def _cancel(
        self, store: UnitOfWork, command: CancellationCommand, key: str | None = None
    ) -> list[CancellationRequest]:
        return _request_cancellation(
            command, uow=store, clock=_CLOCK, policy=Policy(), idempotency_key=key
        )

    def test_use_case_lookup_finds_a_guests_order(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        snapshot = self._lookup(self.store_for(seed), card)
        self.assert_same_orders(snapshot.order, card)
        assert dict(snapshot.active_requests) == {}
        assert snapshot.eligibility[1001].can_cancel
        assert snapshot.eligibility[1002].can_refund
        assert [c.pk for c in snapshot.easy_return_shipping_companies] == [11, 13]

    def test_use_case_lookup_refuses_a_registered_customers_order(self) -> None:
        """Even with the right number and email: only guests' orders are reachable."""
        seed = example_seed()
        (registered,) = seed.registered_orders
        store = self.store_for(seed)
        with pytest.raises(OrderNotFound):
            self._lookup(store, registered)

    def test_use_case_lookup_refuses_wrong_email_and_unknown_number(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        with pytest.raises(OrderNotFound):
            self._lookup(store, attrs.evolve(card, user_email="someone.else@example.com"))
        with pytest.raises(OrderNotFound):
            self._lookup(store, attrs.evolve(card, number="0000000000000000"))

    def test_use_case_request_is_stored_and_shown_by_lookup(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        command = CancellationCommand(
            number=card.number,
            email=card.user_email,
            items=[
                CancelItem(
                    order_item=1001,
                    reason=2,
                    cancellation_type=CancellationType.CANCEL,
                    description="Ordered twice",
                )
            ],
            bulk=False,
        )
        (created,) = self._cancel(store, command)
        assert created.id is not None
        snapshot = self._lookup(store, card)
        assert_faithful(dict(snapshot.active_requests), {1001: created})
        assert not snapshot.eligibility[1001].can_cancel
        with pytest.raises(InvalidRequest) as again:
            self._cancel(store, command)
        assert again.value.code == ActiveRequestExists.code

    def test_use_case_refund_keeps_every_detail(self) -> None:
        """A cash refund with an easy return, bank account, quantity, pickup address and
        date, an image and loyalty money: all of it comes back from the store."""
        seed = example_seed()
        cash = seed.orders[1]
        store = self.store_for(seed)
        command = CancellationCommand(
            number=cash.number,
            email=cash.user_email,
            items=[
                CancelItem(
                    order_item=1012,
                    reason=3,
                    cancellation_type=CancellationType.REFUND,
                    description="Two of them arrived broken",
                    shipping_company=11,
                    quantity=2,
                    iban=_IBAN,
                    holder_name="Mehmet Öztürk",
                    pickup_date=PickupDate(
                        date=date(2024, 6, 3), start=time(9, 0), end=time(12, 30)
                    ),
                    images=[
                        ImageUpload(
                            content=b"\x89PNG\r\n\x1a\nbroken",
                            media_type="image/png",
                            description="the crack",
                        )
                    ],
                ),
                CancelItem(order_item=1011, reason=1, cancellation_type=CancellationType.CANCEL),
            ],
            pickup_address=22,
            fully_refund_as_loyalty_money=False,
            bulk=True,
        )
        created = self._cancel(store, command)
        assert [r.order_item for r in created] == [1012, 1011]
        refund = created[0]
        assert refund.easy_return is not None
        assert refund.easy_return.shipping_company == seed.shipping_companies[0]
        snapshot = self._lookup(store, cash)
        assert_faithful(dict(snapshot.active_requests), {r.order_item: r for r in created})

    def test_use_case_retry_with_the_same_key_creates_nothing(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        item = CancelItem(order_item=1001, reason=1, cancellation_type=CancellationType.CANCEL)
        command = CancellationCommand(
            number=card.number, email=card.user_email, items=[item], bulk=False
        )
        first = self._cancel(store, command, "retry-1")
        assert_faithful(self._cancel(store, command, "retry-1"), first)
        assert_faithful(dict(self._lookup(store, card).active_requests), {1001: first[0]})
        other = attrs.evolve(command, items=[attrs.evolve(item, reason=2, description="Twice")])
        with pytest.raises(IdempotencyKeyReused):
            self._cancel(store, other, "retry-1")

    def test_use_case_bulk_request_is_all_or_nothing(self) -> None:
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        cancel_first = CancelItem(
            order_item=1001, reason=1, cancellation_type=CancellationType.CANCEL
        )
        self._cancel(
            store,
            CancellationCommand(
                number=card.number, email=card.user_email, items=[cancel_first], bulk=False
            ),
        )
        refund_fourth = CancelItem(
            order_item=1004,
            reason=3,
            cancellation_type=CancellationType.REFUND,
            shipping_company=13,
        )
        bulk = CancellationCommand(
            number=card.number, email=card.user_email, items=[refund_fourth, cancel_first]
        )
        with pytest.raises(InvalidRequest) as refused:
            self._cancel(store, bulk)
        assert refused.value.code == ActiveRequestExists.code
        assert set(self._lookup(store, card).active_requests) == {1001}

    def test_use_case_one_guest_wins_a_race(self) -> None:
        """Concurrent guests asking for the same item: one request, every other guest is
        told ``cancellation_request_100_1``."""
        seed = example_seed()
        card = seed.orders[0]
        store = self.store_for(seed)
        command = CancellationCommand(
            number=card.number,
            email=card.user_email,
            items=[
                CancelItem(order_item=1001, reason=1, cancellation_type=CancellationType.CANCEL)
            ],
            bulk=False,
        )

        def ask(_index: int) -> str:
            try:
                self._cancel(store, command)
            except InvalidRequest as refused:
                return refused.code
            return "created"

        outcomes = _run_together(self.concurrent_guests, ask, timeout=self.concurrency_timeout)
        assert outcomes.count("created") == 1, f"{outcomes.count('created')} guests won"
        assert set(outcomes) == {"created", ActiveRequestExists.code}

    def state_machine(self) -> type[UseCaseStateMachine]:
        """A :class:`UseCaseStateMachine` over this contract's ``make_store``."""
        contract = self

        class Machine(UseCaseStateMachine):
            def fit_seed(self, seed: Seed) -> Seed:
                return contract.fit(seed)

            def make_store(
                self,
                *,
                orders: Sequence[Order],
                reasons: Sequence[CancellationReason],
                shipping_companies: Sequence[EasyReturnShippingCompany],
                addresses: Sequence[Address],
            ) -> UnitOfWork:
                return contract.make_store(
                    orders=orders,
                    reasons=reasons,
                    shipping_companies=shipping_companies,
                    addresses=addresses,
                )

        Machine.__name__ = Machine.__qualname__ = f"{type(self).__name__}StateMachine"
        return Machine

    def test_use_cases_agree_with_the_reference_model(self) -> None:
        configured = self.state_machine_settings or contract_settings(shrink=self.shrink_failures)
        run_state_machine_as_test(self.state_machine(), settings=configured)


# ----------------------------------------------------------------------- everything


class StoreContract(
    OrderRepositoryContract,
    CancellationRequestRepositoryContract,
    CancellationReasonRepositoryContract,
    EasyReturnShippingCompanyRepositoryContract,
    AddressRepositoryContract,
    IdempotencyRepositoryContract,
    OutboxRepositoryContract,
    UnitOfWorkContract,
    UseCaseContract,
):
    """Every storage contract at once, for a store that implements all the repositories."""


# ------------------------------------------------------------- images and clocks


class ImageStoreContract(abc.ABC):
    """:class:`~guest_orders.ports.ImageStore`."""

    @abc.abstractmethod
    def make_image_store(self) -> ImageStore:
        """A new, empty image store."""

    def test_images_put_returns_a_reference(self) -> None:
        store = self.make_image_store()
        upload = ImageUpload(content=b"\x89PNG\r\n\x1a\n", media_type="image/png", description="x")
        ref = store.put(upload)
        assert isinstance(ref, ImageRef)
        assert ref.image, "put must return where the image can be fetched"
        assert ref.description == "x"

    def test_images_identical_uploads_get_distinct_references(self) -> None:
        store = self.make_image_store()
        upload = ImageUpload(content=b"\xff\xd8\xff same", media_type="image/jpeg")
        first, second = store.put(upload), store.put(upload)
        assert first.image != second.image, "deleting one must not delete the other"

    def test_images_delete_is_idempotent(self) -> None:
        store = self.make_image_store()
        ref = store.put(ImageUpload(content=b"\x89PNG\r\n\x1a\n", media_type="image/png"))
        store.delete(ref)
        store.delete(ref)
        store.delete(ImageRef(image=ref.image + "-never-stored"))


class ClockContract(abc.ABC):
    """:class:`~guest_orders.ports.Clock`."""

    @abc.abstractmethod
    def make_clock(self) -> Clock:
        """The clock under test."""

    def test_clock_is_timezone_aware(self) -> None:
        now = self.make_clock().now()
        assert now.utcoffset() is not None, "Clock.now() must return an aware datetime"

    def test_clock_does_not_run_backwards(self) -> None:
        clock = self.make_clock()
        readings = [clock.now() for _ in range(100)]
        assert readings == sorted(readings)


# ------------------------------------------------------------------ attempt limiters


_LIMITER_T0 = gst.DEFAULT_NOW


class AttemptLimiterContract(abc.ABC):
    """:class:`~guest_orders.ports.AttemptLimiter` (factory ``make_limiter(clock, limits)``).

    Sequential limit, sliding window timed by the clock port, all-or-nothing reservations
    over several keys, isolation of keys, attempts in flight counting, and a burst of
    ``concurrent_attempts`` threads of which exactly ``max_failures`` get through.
    """

    #: How many threads reserve at once in the burst check.
    concurrent_attempts: ClassVar[int] = 32

    @abc.abstractmethod
    def make_limiter(self, clock: Clock, limits: AttemptLimits) -> AttemptLimiter:
        """A new limiter with these limits, timed by ``clock`` (a :class:`FixedClock` the
        checks move), that has counted nothing: called once per check and example (give
        a shared limiter a fresh namespace each time)."""

    def _fresh(
        self, max_failures: int = 3, window: timedelta = timedelta(minutes=15)
    ) -> tuple[AttemptLimiter, FixedClock, AttemptLimits]:
        clock = FixedClock(_LIMITER_T0)
        limits = AttemptLimits(max_failures=max_failures, window=window)
        return self.make_limiter(clock, limits), clock, limits

    @staticmethod
    def _fail(limiter: AttemptLimiter, keys: Sequence[str], times: int = 1) -> None:
        for _ in range(times):
            limiter.confirm(limiter.reserve(keys))

    @staticmethod
    def _refused(limiter: AttemptLimiter, keys: Sequence[str]) -> int:
        """The ``retry_after`` of a reservation that must be refused."""
        with pytest.raises(TooManyAttempts) as refused:
            limiter.reserve(keys)
        return refused.value.retry_after

    def test_limiter_refuses_once_the_failures_reach_the_limit(self) -> None:
        def check(case: tuple[int, int]) -> None:
            max_failures, window_seconds = case
            limiter, _clock, _limits = self._fresh(max_failures, timedelta(seconds=window_seconds))
            key = f"number:{uuid.uuid4().hex}"
            self._fail(limiter, [key], max_failures)
            assert self._refused(limiter, [key]) == window_seconds, (
                "retry_after must be the seconds until the oldest failure leaves the window"
            )

        _for_all(st.tuples(st.integers(1, 12), st.integers(2, 3_600)), check, shrink=True)

    def test_limiter_released_attempts_cost_nothing(self) -> None:
        limiter, _clock, limits = self._fresh()
        key = f"number:{uuid.uuid4().hex}"
        for _ in range(limits.max_failures * 5):
            limiter.release(limiter.reserve([key]))
        self._fail(limiter, [key], limits.max_failures)
        self._refused(limiter, [key])

    def test_limiter_a_refusal_counts_nothing(self) -> None:
        limiter, clock, _limits = self._fresh(max_failures=2, window=timedelta(seconds=60))
        key = f"number:{uuid.uuid4().hex}"
        self._fail(limiter, [key], 2)
        clock.advance(timedelta(seconds=30))
        for _ in range(5):
            assert self._refused(limiter, [key]) == 30
        clock.advance(timedelta(seconds=30))
        self._fail(limiter, [key], 2)  # the refusals made the window no longer

    def test_limiter_window_slides_on_the_clock_port(self) -> None:
        limiter, clock, _limits = self._fresh(max_failures=2, window=timedelta(seconds=60))
        key = f"number:{uuid.uuid4().hex}"
        self._fail(limiter, [key])
        clock.advance(timedelta(seconds=20))
        self._fail(limiter, [key])
        assert self._refused(limiter, [key]) == 40
        clock.advance(timedelta(seconds=39))
        assert self._refused(limiter, [key]) == 1
        clock.advance(timedelta(seconds=1))
        self._fail(limiter, [key])  # the first failure left the window
        assert self._refused(limiter, [key]) == 20
        clock.advance(timedelta(seconds=60))
        self._fail(limiter, [key], 2)  # both left

    def test_limiter_keys_are_isolated(self) -> None:
        limiter, _clock, limits = self._fresh()
        blocked, other = f"number:{uuid.uuid4().hex}", f"number:{uuid.uuid4().hex}"
        self._fail(limiter, [blocked], limits.max_failures)
        self._refused(limiter, [blocked])
        self._fail(limiter, [other], limits.max_failures)
        self._refused(limiter, [other])

    def test_limiter_reserves_every_key_or_none(self) -> None:
        limiter, _clock, limits = self._fresh()
        number, client = f"number:{uuid.uuid4().hex}", f"client:{uuid.uuid4().hex}"
        self._fail(limiter, [client], limits.max_failures)
        for _ in range(limits.max_failures + 2):
            self._refused(limiter, [number, client])
        # The refusals counted nothing against the number; one failure of both counts
        # against both.
        self._fail(limiter, [number], limits.max_failures - 1)
        limiter.release(limiter.reserve([number]))
        self._fail(limiter, [number])
        self._refused(limiter, [number])

    def test_limiter_attempts_in_flight_count(self) -> None:
        limiter, _clock, limits = self._fresh()
        key = f"number:{uuid.uuid4().hex}"
        in_flight = [limiter.reserve([key]) for _ in range(limits.max_failures)]
        wait = self._refused(limiter, [key])
        assert wait <= IN_FLIGHT_RETRY_AFTER, (
            f"a key blocked only by attempts in flight waits {wait} s, not a whole window"
        )
        limiter.release(in_flight.pop())
        limiter.confirm(limiter.reserve([key]))
        self._refused(limiter, [key])
        for reservation in in_flight:
            limiter.release(reservation)
        limiter.release(limiter.reserve([key]))

    def test_limiter_burst_lets_exactly_the_limit_through(self) -> None:
        """``concurrent_attempts`` threads, released together by a barrier, reserve for
        one number and one client: exactly ``max_failures`` get an attempt."""
        limiter, _clock, limits = self._fresh(max_failures=10)
        keys = [f"number:{uuid.uuid4().hex}", f"client:{uuid.uuid4().hex}"]

        def guess(_index: int) -> bool:
            try:
                reservation = limiter.reserve(keys)
            except TooManyAttempts:
                return False
            limiter.confirm(reservation)
            return True

        outcomes = _run_together(self.concurrent_attempts, guess)
        assert outcomes.count(True) == limits.max_failures, (
            f"{outcomes.count(True)} of {self.concurrent_attempts} concurrent attempts got "
            f"through a limit of {limits.max_failures}"
        )
        self._refused(limiter, keys[:1])
        self._refused(limiter, keys[1:])


# ----------------------------------------------------------------- async twins


class _EventLoop:
    """One event loop per check, in its own thread (an anyio blocking portal)."""

    portal: BlockingPortal
    #: Passed to anyio's ``start_blocking_portal`` (``{"use_uvloop": True}``...).
    event_loop_options: ClassVar[dict[str, Any]] = {}

    @pytest.fixture(autouse=True)
    def event_loop_portal(self) -> Iterator[BlockingPortal]:
        """The event loop of one check (a fixture of the subclass that needs the loop
        requests it by name: it is then set up after it and torn down before)."""
        with start_blocking_portal("asyncio", self.event_loop_options) as portal:
            self.portal = portal
            yield portal


class _OnEventLoop(_EventLoop):
    """The sync checks, through an event loop: ``make_store`` is the async store under
    test behind :class:`~guest_orders.testing._blocking.BlockingUnitOfWork`."""

    @abc.abstractmethod
    async def make_async_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> AsyncUnitOfWork:
        """A new async store holding exactly these rows and no cancellation request (see
        :meth:`StoreContract.make_store`); awaited on the check's event loop."""

    def make_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> UnitOfWork:
        store = self.portal.call(
            functools.partial(
                self.make_async_store,
                orders=orders,
                reasons=reasons,
                shipping_companies=shipping_companies,
                addresses=addresses,
            )
        )
        return BlockingUnitOfWork(store, self.portal)


class AsyncOrderRepositoryContract(_OnEventLoop, OrderRepositoryContract):
    """:class:`OrderRepositoryContract` for :class:`~guest_orders.ports.AsyncOrderRepository`."""


class AsyncCancellationRequestRepositoryContract(
    _OnEventLoop, CancellationRequestRepositoryContract
):
    """:class:`CancellationRequestRepositoryContract`, async."""


class AsyncCancellationReasonRepositoryContract(_OnEventLoop, CancellationReasonRepositoryContract):
    """:class:`CancellationReasonRepositoryContract`, async."""


class AsyncEasyReturnShippingCompanyRepositoryContract(
    _OnEventLoop, EasyReturnShippingCompanyRepositoryContract
):
    """:class:`EasyReturnShippingCompanyRepositoryContract`, async."""


class AsyncAddressRepositoryContract(_OnEventLoop, AddressRepositoryContract):
    """:class:`AddressRepositoryContract`, async."""


class AsyncIdempotencyRepositoryContract(_OnEventLoop, IdempotencyRepositoryContract):
    """:class:`IdempotencyRepositoryContract`, async."""


class AsyncUnitOfWorkContract(_OnEventLoop, UnitOfWorkContract):
    """:class:`UnitOfWorkContract`, async: many tasks at once."""


class AsyncUseCaseContract(_OnEventLoop, UseCaseContract):
    """:class:`UseCaseContract`, async: the use cases of
    :class:`~guest_orders.AsyncGuestOrders` over the async store."""


class AsyncStoreContract(_OnEventLoop, StoreContract):
    """Every storage contract at once, for an async store."""


class AsyncImageStoreContract(_EventLoop, ImageStoreContract):
    """:class:`ImageStoreContract` for :class:`~guest_orders.ports.AsyncImageStore`."""

    @abc.abstractmethod
    async def make_async_image_store(self) -> AsyncImageStore:
        """A new, empty async image store."""

    def make_image_store(self) -> ImageStore:
        return _BlockingImages(self.portal.call(self.make_async_image_store), self.portal)


class _BlockingImages:
    def __init__(self, store: AsyncImageStore, portal: BlockingPortal) -> None:
        self._store = store
        self._portal = portal

    def put(self, image: ImageUpload) -> ImageRef:
        return self._portal.call(self._store.put, image)

    def delete(self, ref: ImageRef) -> None:
        self._portal.call(self._store.delete, ref)


class AsyncAttemptLimiterContract(_EventLoop, AttemptLimiterContract):
    """:class:`AttemptLimiterContract` for :class:`~guest_orders.ports.AsyncAttemptLimiter`
    (factory ``async def make_async_limiter(clock, limits)``): the burst's threads reserve
    as as many tasks on the check's event loop."""

    @abc.abstractmethod
    async def make_async_limiter(self, clock: Clock, limits: AttemptLimits) -> AsyncAttemptLimiter:
        """A new async limiter (see :meth:`AttemptLimiterContract.make_limiter`), made on
        the check's event loop."""

    def make_limiter(self, clock: Clock, limits: AttemptLimits) -> AttemptLimiter:
        limiter = self.portal.call(functools.partial(self.make_async_limiter, clock, limits))
        return _BlockingLimiter(limiter, self.portal)


class _BlockingLimiter:
    def __init__(self, limiter: AsyncAttemptLimiter, portal: BlockingPortal) -> None:
        self._limiter = limiter
        self._portal = portal

    def reserve(self, keys: Sequence[str]) -> AttemptReservation:
        return self._portal.call(self._limiter.reserve, keys)

    def confirm(self, reservation: AttemptReservation) -> None:
        self._portal.call(self._limiter.confirm, reservation)

    def release(self, reservation: AttemptReservation) -> None:
        self._portal.call(self._limiter.release, reservation)
