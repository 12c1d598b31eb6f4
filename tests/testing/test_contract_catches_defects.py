"""The contract suite catches real defects: each broken adapter here fails the checks that
guard the rule it breaks (and a correct adapter passes them, see test_memory_contract)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import Phase, settings

from guest_orders.domain import (
    Address,
    CancellationReason,
    CancellationRequest,
    CustomerKind,
    EasyReturnShippingCompany,
    Event,
    IdempotencyRecord,
    Order,
    StoredEvent,
)
from guest_orders.ports import (
    ActiveRequestExists,
    AddressRepository,
    CancellationReasonRepository,
    CancellationRequestRepository,
    EasyReturnShippingCompanyRepository,
    IdempotencyRepository,
    ImageStore,
    OrderRepository,
    OutboxRepository,
    Repositories,
    UnitOfWork,
)
from guest_orders.testing import (
    InMemoryIdempotencyRepository,
    InMemoryOrderRepository,
    InMemoryOutbox,
    InMemoryStore,
    example_seed,
)
from guest_orders.testing.contract import StoreContract, fit_seed

pytest_plugins = ["pytester"]

# These runs are meant to fail: find the failure, don't spend a minute shrinking it.
_NO_SHRINKING = "guest-orders-contract-defects"
_BEFORE = "guest-orders-before-contract-defects"
settings.register_profile(
    _NO_SHRINKING, phases=[Phase.explicit, Phase.generate], database=None, deadline=None
)


@pytest.fixture(autouse=True)
def _no_shrinking() -> Iterator[None]:
    # The settings in force, kept as a profile of their own (every supported Hypothesis
    # can load a profile by name; naming the current one came later).
    settings.register_profile(_BEFORE, settings())
    settings.load_profile(_NO_SHRINKING)
    try:
        yield
    finally:
        settings.load_profile(_BEFORE)


# --------------------------------------------------------------- broken adapters


@attrs.frozen(kw_only=True)
class _Repositories:
    orders: OrderRepository
    cancellation_requests: CancellationRequestRepository
    reasons: CancellationReasonRepository
    shipping_companies: EasyReturnShippingCompanyRepository
    addresses: AddressRepository
    images: ImageStore
    idempotency: IdempotencyRepository
    outbox: OutboxRepository


class PatchedStore:
    """An in-memory store with some repositories swapped for broken ones."""

    def __init__(
        self,
        base: InMemoryStore,
        *,
        orders: OrderRepository | None = None,
        cancellation_requests: CancellationRequestRepository | None = None,
        idempotency: IdempotencyRepository | None = None,
        outbox: OutboxRepository | None = None,
        rolls_back: bool = True,
    ) -> None:
        self._base = base
        self._rolls_back = rolls_back
        base_repos = base.repositories
        self._repos = _Repositories(
            orders=orders or base_repos.orders,
            cancellation_requests=cancellation_requests or base_repos.cancellation_requests,
            reasons=base_repos.reasons,
            shipping_companies=base_repos.shipping_companies,
            addresses=base_repos.addresses,
            images=base_repos.images,
            idempotency=idempotency or base_repos.idempotency,
            outbox=outbox or base_repos.outbox,
        )

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Repositories]:
        if not self._rolls_back:
            yield self._repos
            return
        with self._base.transaction(read_only=read_only):
            yield self._repos


class StaleReadOnlyStore:
    """Read-only transactions read a copy made with the store, as a lagging replica or a
    cache would: what later transactions commit never shows in them."""

    def __init__(self, base: InMemoryStore, copy: InMemoryStore) -> None:
        self._base = base
        self._copy = copy

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Repositories]:
        with (self._copy if read_only else self._base).transaction() as repos:
            yield repos


def _memory(
    orders: Sequence[Order],
    reasons: Sequence[CancellationReason],
    shipping_companies: Sequence[EasyReturnShippingCompany],
    addresses: Sequence[Address],
) -> InMemoryStore:
    return InMemoryStore(
        orders=orders, reasons=reasons, shipping_companies=shipping_companies, addresses=addresses
    )


class GuestsOnlyOrders(InMemoryOrderRepository):
    """Loses the customer kind on the way out: every order looks like a guest's."""

    def find_by_number(self, number: str) -> Order | None:
        order = super().find_by_number(number)
        if order is None:
            return None
        return attrs.evolve(order, customer=attrs.evolve(order.customer, kind=CustomerKind.GUEST))


def _through_float(value: Decimal) -> Decimal:
    return Decimal(str(float(value)))


class FloatMoneyOrders(InMemoryOrderRepository):
    """Stores money in a float column: ``Decimal("1.10")`` comes back as ``Decimal("1.1")``."""

    def find_by_number(self, number: str) -> Order | None:
        order = super().find_by_number(number)
        if order is None:
            return None
        money: dict[str, Any] = {
            field.name: _through_float(getattr(order, field.name))
            for field in attrs.fields(Order)
            if isinstance(getattr(order, field.name), Decimal)
        }
        items = [attrs.evolve(item, price=_through_float(item.price)) for item in order.items]
        return attrs.evolve(order, items=items, **money)


def _to_cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"))


def _to_units(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1))


class RoundedMoneyOrders(InMemoryOrderRepository):
    """Stores money in a fixed-scale column: ``DecimalField(decimal_places=2)`` (cents),
    or one without decimal places (whole units)."""

    def __init__(self, orders: Sequence[Order], rounding: Callable[[Decimal], Decimal]) -> None:
        super().__init__(orders)
        self._rounding = rounding

    def find_by_number(self, number: str) -> Order | None:
        order = super().find_by_number(number)
        if order is None:
            return None
        money: dict[str, Any] = {
            field.name: self._rounding(getattr(order, field.name))
            for field in attrs.fields(Order)
            if isinstance(getattr(order, field.name), Decimal) and field.name != "shipping_tax_rate"
        }
        items = [attrs.evolve(item, price=self._rounding(item.price)) for item in order.items]
        return attrs.evolve(order, items=items, **money)


class LaxRequests:
    """Never refuses: trusts the use case's read to keep one active request per item."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[CancellationRequest] = []
        self.pause = 0.0

    def active_for_items(self, order_items: Collection[int]) -> Mapping[int, CancellationRequest]:
        with self._lock:
            return {
                r.order_item: r
                for r in self._requests
                if r.is_active and r.order_item in order_items
            }

    def _store(self, requests: Sequence[CancellationRequest]) -> list[CancellationRequest]:
        with self._lock:
            start = len(self._requests) + 1
            stored = [attrs.evolve(r, id=start + i) for i, r in enumerate(requests)]
            self._requests.extend(stored)
            return stored

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        return self._store(requests)

    def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        with self._lock:
            by_id = {r.id: r for r in self._requests}
            return [by_id[i] for i in ids if i in by_id]


class ReadThenInsertRequests(LaxRequests):
    """Checks before it writes, but not atomically: concurrent writers slip through."""

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        items = [r.order_item for r in requests if r.is_active]
        taken = set(self.active_for_items(items))
        duplicates = {item for item in items if items.count(item) > 1}
        if taken or duplicates:
            raise ActiveRequestExists(taken | duplicates)
        time.sleep(0.005)  # the window a real database round trip leaves open
        return self._store(requests)


class OneByOneRequests(LaxRequests):
    """Refuses conflicts, but writes a batch one request at a time: a conflict in the
    middle leaves the requests before it stored."""

    def __init__(self) -> None:
        super().__init__()
        self._write_lock = threading.Lock()

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        stored: list[CancellationRequest] = []
        for request in requests:
            with self._write_lock:  # each request on its own is checked and written atomically
                if request.is_active and self.active_for_items([request.order_item]):
                    raise ActiveRequestExists([request.order_item])
                stored += self._store([request])
        return stored


class CaseBlindKeys(InMemoryIdempotencyRepository):
    """Compares keys case-insensitively, as a database column with a case-insensitive
    collation would: ``Key-1`` and ``key-1`` become one key."""

    def get(self, order: int, key: str) -> IdempotencyRecord | None:
        return super().get(order, key.lower())

    def add(self, record: IdempotencyRecord) -> None:
        super().add(attrs.evolve(record, key=record.key.lower()))


class OutboxOutsideTheTransaction(InMemoryOutbox):
    """Writes events on a connection of its own, committed at once: a rollback of the
    requests' transaction leaves their events behind."""

    def add_all(self, events: Sequence[Event]) -> None:
        self._publish(events)


class OutboxDroppingEvents(InMemoryOutbox):
    """Loses the events of a bulk request but its first: the back office never hears of
    the others."""

    def add_all(self, events: Sequence[Event]) -> None:
        super().add_all(events[:1])


class OutboxWithoutClaims(InMemoryOutbox):
    """Reads pending events without claiming them (a plain SELECT, no ``FOR UPDATE SKIP
    LOCKED``): concurrent relays deliver the same events at once."""

    def pending(self, limit: int) -> Sequence[StoredEvent]:
        return [stored for stored, at in self.all() if at is None][:limit]


StoreMaker = Callable[
    [
        Sequence[Order],
        Sequence[CancellationReason],
        Sequence[EasyReturnShippingCompany],
        Sequence[Address],
    ],
    UnitOfWork,
]

BROKEN: dict[str, StoreMaker] = {
    "guests_only_orders": lambda o, r, s, a: PatchedStore(
        _memory(o, r, s, a), orders=GuestsOnlyOrders(o)
    ),
    "float_money": lambda o, r, s, a: PatchedStore(_memory(o, r, s, a), orders=FloatMoneyOrders(o)),
    "whole_money": lambda o, r, s, a: PatchedStore(
        _memory(o, r, s, a), orders=RoundedMoneyOrders(o, _to_units)
    ),
    "two_active_requests": lambda o, r, s, a: PatchedStore(
        _memory(o, r, s, a), cancellation_requests=LaxRequests()
    ),
    "read_then_insert": lambda o, r, s, a: PatchedStore(
        _memory(o, r, s, a), cancellation_requests=ReadThenInsertRequests()
    ),
    "non_atomic_batch": lambda o, r, s, a: PatchedStore(
        _memory(o, r, s, a), cancellation_requests=OneByOneRequests()
    ),
    "no_rollback": lambda o, r, s, a: PatchedStore(_memory(o, r, s, a), rolls_back=False),
    "case_blind_idempotency_keys": lambda o, r, s, a: PatchedStore(
        _memory(o, r, s, a), idempotency=CaseBlindKeys()
    ),
    "outbox_outside_the_transaction": lambda o, r, s, a: _with_outbox(
        _memory(o, r, s, a), OutboxOutsideTheTransaction()
    ),
    "outbox_dropping_events": lambda o, r, s, a: _with_outbox(
        _memory(o, r, s, a), OutboxDroppingEvents()
    ),
    "outbox_without_claims": lambda o, r, s, a: _with_outbox(
        _memory(o, r, s, a), OutboxWithoutClaims()
    ),
    "stale_read_only": lambda o, r, s, a: StaleReadOnlyStore(
        _memory(o, r, s, a), _memory(o, r, s, a)
    ),
}


#: Defects only a contract with ``exact_money = True`` must catch: the API shows money with
#: two places, so a store that keeps its value but not its scale serves it faithfully.
EXACT_ONLY = frozenset({"float_money"})


def _with_outbox(base: InMemoryStore, outbox: InMemoryOutbox) -> InMemoryStore:
    """``base`` with its outbox replaced (its transactions still publish and release it)."""
    base.repositories = attrs.evolve(base.repositories, outbox=outbox)
    return base


def contract_for(defect: str) -> StoreContract:
    """The whole suite, over the broken store named ``defect``."""
    maker = BROKEN[defect]

    class Broken(StoreContract):
        exact_money = defect in EXACT_ONLY

        def make_store(
            self,
            *,
            orders: Sequence[Order],
            reasons: Sequence[CancellationReason],
            shipping_companies: Sequence[EasyReturnShippingCompany],
            addresses: Sequence[Address],
        ) -> UnitOfWork:
            return maker(orders, reasons, shipping_companies, addresses)

    return Broken()


# Every check named here must fail for its defect.
MUST_FAIL: dict[str, list[str]] = {
    "guests_only_orders": [
        "test_orders_round_trip_faithfully",
        "test_orders_keep_decimal_scale_and_aware_times",
        "test_orders_registered_customers_orders_are_found",
        "test_use_case_lookup_refuses_a_registered_customers_order",
        "test_use_cases_agree_with_the_reference_model",
    ],
    "float_money": [
        "test_orders_round_trip_faithfully",
        "test_orders_keep_decimal_scale_and_aware_times",
        "test_use_case_lookup_finds_a_guests_order",
    ],
    "whole_money": [
        "test_orders_round_trip_faithfully",
        "test_orders_keep_decimal_scale_and_aware_times",
        "test_use_case_lookup_finds_a_guests_order",
        "test_use_cases_agree_with_the_reference_model",
    ],
    "two_active_requests": [
        "test_requests_second_active_request_is_refused",
        "test_requests_approved_request_blocks_too",
        "test_requests_batch_with_one_conflict_stores_nothing",
        "test_requests_duplicate_items_in_one_batch_are_refused",
        "test_requests_one_active_rule_holds_under_concurrent_writers",
        "test_use_cases_agree_with_the_reference_model",
    ],
    "read_then_insert": [
        "test_requests_one_active_rule_holds_under_concurrent_writers",
        "test_requests_overlapping_batches_under_concurrent_writers",
        "test_use_case_one_guest_wins_a_race",
    ],
    "non_atomic_batch": [
        "test_requests_batch_with_one_conflict_stores_nothing",
        "test_requests_duplicate_items_in_one_batch_are_refused",
        "test_requests_overlapping_batches_under_concurrent_writers",
    ],
    "no_rollback": [
        "test_unit_of_work_rolls_back_when_the_block_raises",
        "test_idempotency_record_is_rolled_back_with_its_transaction",
    ],
    "case_blind_idempotency_keys": [
        "test_idempotency_records_round_trip_faithfully",
        "test_idempotency_keys_are_per_order_and_case_sensitive",
    ],
    "outbox_outside_the_transaction": [
        "test_outbox_nothing_is_written_when_the_transaction_fails",
    ],
    "outbox_dropping_events": [
        "test_outbox_events_are_written_with_the_requests",
        "test_use_cases_agree_with_the_reference_model",
    ],
    "outbox_without_claims": [
        "test_outbox_concurrent_relays_claim_disjoint_batches",
        "test_outbox_an_orders_events_wait_for_its_older_one_held_elsewhere",
    ],
    "stale_read_only": [
        "test_unit_of_work_read_only_transactions_read_the_same",
        "test_unit_of_work_read_only_transactions_serve_many_threads",
        "test_use_case_request_is_stored_and_shown_by_lookup",
        "test_use_cases_agree_with_the_reference_model",
    ],
}

_FAILURES = (AssertionError, pytest.fail.Exception, ExceptionGroup)


def _fails(check: Callable[[], Any]) -> bool:
    try:
        check()
    except _FAILURES:
        return True
    return False


@pytest.mark.parametrize(
    ("defect", "check"),
    [(defect, check) for defect, checks in MUST_FAIL.items() for check in checks],
)
def test_the_suite_catches(defect: str, check: str) -> None:
    contract = contract_for(defect)
    assert _fails(getattr(contract, check)), f"{check} passed over the {defect} adapter"


def test_read_then_insert_passes_every_sequential_check() -> None:
    """Only the concurrency checks can see a read-then-insert race: the suite needs them."""
    contract = contract_for("read_then_insert")
    for check in [
        "test_requests_second_active_request_is_refused",
        "test_requests_batch_with_one_conflict_stores_nothing",
        "test_requests_inactive_requests_do_not_block",
        "test_use_case_request_is_stored_and_shown_by_lookup",
    ]:
        getattr(contract, check)()


_MONEY_CHECKS = (
    "test_orders_round_trip_faithfully",
    "test_orders_keep_decimal_scale_and_aware_times",
    "test_orders_registered_customers_orders_are_found",
    "test_use_case_lookup_finds_a_guests_order",
    "test_unit_of_work_read_only_transactions_read_the_same",
)


def test_two_place_money_passes_unless_the_contract_asks_for_exact_money() -> None:
    """A ``DecimalField(decimal_places=2)`` keeps all the API shows: the suite asks for no
    more, unless the contract says ``exact_money = True``."""

    def cents_store(
        o: Sequence[Order],
        r: Sequence[CancellationReason],
        s: Sequence[EasyReturnShippingCompany],
        a: Sequence[Address],
    ) -> UnitOfWork:
        return PatchedStore(_memory(o, r, s, a), orders=RoundedMoneyOrders(o, _to_cents))

    class Cents(StoreContract):
        def make_store(
            self,
            *,
            orders: Sequence[Order],
            reasons: Sequence[CancellationReason],
            shipping_companies: Sequence[EasyReturnShippingCompany],
            addresses: Sequence[Address],
        ) -> UnitOfWork:
            return cents_store(orders, reasons, shipping_companies, addresses)

    class ExactCents(Cents):
        exact_money = True

    for check in _MONEY_CHECKS:
        getattr(Cents(), check)()
        assert _fails(getattr(ExactCents(), check)) == (
            check != "test_orders_registered_customers_orders_are_found"
        ), check


def test_unstored_fields_are_handed_over_and_expected_at_their_default() -> None:
    """A store without a column for an optional field passes once its contract lists it;
    a required field cannot be listed."""

    class WithoutBank(InMemoryOrderRepository):
        def find_by_number(self, number: str) -> Order | None:
            order = super().find_by_number(number)
            return None if order is None else attrs.evolve(order, bank=None, notes=None)

    class Contract(StoreContract):
        unstored_fields = ("order.bank", "order.notes")

        def make_store(
            self,
            *,
            orders: Sequence[Order],
            reasons: Sequence[CancellationReason],
            shipping_companies: Sequence[EasyReturnShippingCompany],
            addresses: Sequence[Address],
        ) -> UnitOfWork:
            memory = _memory(orders, reasons, shipping_companies, addresses)
            return PatchedStore(memory, orders=WithoutBank(orders))

    Contract().test_orders_round_trip_faithfully()
    Contract().test_use_case_lookup_finds_a_guests_order()
    with pytest.raises(ValueError, match="required"):
        fit_seed(example_seed(), unstored_fields=["order.number"])
    fitted = fit_seed(example_seed(), unstored_fields=["item.product.image"])
    assert all(item.product.image is None for o in fitted.orders for item in o.items)


def test_a_users_run_of_the_suite_fails_over_a_broken_adapter(pytester: pytest.Pytester) -> None:
    """Run as a user would, with pytest: the suite reports the broken rule by name."""
    pytester.makepyfile(
        test_broken_store="""
        from test_contract_catches_defects import BROKEN
        from guest_orders.testing.contract import CancellationRequestRepositoryContract

        class TestMyStore(CancellationRequestRepositoryContract):
            def make_store(self, *, orders, reasons, shipping_companies, addresses):
                return BROKEN["non_atomic_batch"](orders, reasons, shipping_companies, addresses)
        """
    )
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(
        [
            "FAILED*TestMyStore::test_requests_batch_with_one_conflict_stores_nothing*",
            "FAILED*TestMyStore::test_requests_duplicate_items_in_one_batch_are_refused*",
            "FAILED*TestMyStore::test_requests_overlapping_batches_under_concurrent_writers*",
        ],
        consecutive=False,
    )
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] == 3
    assert outcomes["passed"] >= 6


def test_a_race_that_cannot_finish_fails_fast_naming_the_fix() -> None:
    """Threads blocked for good (as on rows a test transaction never commits) make a
    concurrency check fail after its timeout, saying why; they never hang the run."""
    never = threading.Event()

    class BlockedRequests(LaxRequests):
        def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
            never.wait()  # as a connection waiting on another transaction's lock
            return super().add_all(requests)

    class Blocked(StoreContract):
        concurrency_timeout = 0.5

        def make_store(
            self,
            *,
            orders: Sequence[Order],
            reasons: Sequence[CancellationReason],
            shipping_companies: Sequence[EasyReturnShippingCompany],
            addresses: Sequence[Address],
        ) -> UnitOfWork:
            memory = _memory(orders, reasons, shipping_companies, addresses)
            return PatchedStore(memory, cancellation_requests=BlockedRequests())

    with pytest.raises(pytest.fail.Exception, match=r"transaction=True"):
        Blocked().test_requests_one_active_rule_holds_under_concurrent_writers()
    never.set()
