"""Builders shared by the domain and use-case tests: plain functions, no fixtures.

Test modules import this as ``_builders`` (``tests/`` is on ``sys.path`` because
``tests/conftest.py`` lives there). Every builder returns valid objects; tests override
the one field they are about.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs

from guest_orders.adapters.memory import (
    InMemoryAddressRepository,
    InMemoryCancellationReasonRepository,
    InMemoryCancellationRequestRepository,
    InMemoryEasyReturnShippingCompanyRepository,
    InMemoryIdempotencyRepository,
    InMemoryImageStore,
    InMemoryOrderRepository,
    InMemoryOutbox,
    InMemoryStore,
)
from guest_orders.clocks import FixedClock
from guest_orders.domain import (
    Address,
    CancelItem,
    CancellationCommand,
    CancellationReason,
    CancellationRequest,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturnShippingCompany,
    Event,
    Iban,
    IdempotencyRecord,
    ImageRef,
    ImageUpload,
    LookupQuery,
    Order,
    OrderItem,
    OrderSnapshot,
    OrderStatus,
    PaymentType,
    Product,
    ShippingCompany,
    StoredEvent,
)
from guest_orders.errors import InvalidRequest
from guest_orders.policy import Policy
from guest_orders.ports import UnitOfWork
from guest_orders.use_cases import lookup_order, request_cancellation

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
DELIVERED_AT = NOW - timedelta(days=3)

GUEST_NUMBER = "2745403029312170"
GUEST_EMAIL = "Guest.Buyer@example.com"
GUEST_CUSTOMER_ID = 7001
CASH_NUMBER = "2745403029312171"
REGISTERED_NUMBER = "2745403029312172"
REGISTERED_CUSTOMER_ID = 7002
UNKNOWN_NUMBER = "9999999999999999"

# Items of the standard guest order: pk -> (status, quantity).
APPROVED_ITEM = 101  # cancellable
PREPARING_ITEM = 102  # refundable
DELIVERED_ITEM = 103  # refundable
CANCELLED_ITEM = 104  # neither
WAITING_ITEM = 105  # cancellable
SHIPPED_ITEM = 106  # refundable
STANDARD_ITEMS: Mapping[int, tuple[OrderStatus, int]] = {
    APPROVED_ITEM: (OrderStatus.APPROVED, 3),
    PREPARING_ITEM: (OrderStatus.PREPARING, 2),
    DELIVERED_ITEM: (OrderStatus.DELIVERED, 1),
    CANCELLED_ITEM: (OrderStatus.CANCELLED, 1),
    WAITING_ITEM: (OrderStatus.WAITING, 4),
    SHIPPED_ITEM: (OrderStatus.SHIPPED, 1),
}
CANCELLABLE_ITEMS = (APPROVED_ITEM, WAITING_ITEM)
REFUNDABLE_ITEMS = (PREPARING_ITEM, DELIVERED_ITEM, SHIPPED_ITEM)
CASH_ITEM = 201  # the refundable item of the cash-paid order
CASH_CANCELLABLE_ITEM = 202  # the cancellable item of the cash-paid order
REGISTERED_ITEM = 301  # the one (cancellable) item of the registered customer's order
NOT_AN_ITEM = 999

# Reasons.
CANCEL_REASON = 1
REFUND_REASON = 2
INACTIVE_CANCEL_REASON = 3
INACTIVE_REFUND_REASON = 4
CANCEL_REASON_NEEDS_INFO = 5
REFUND_REASON_NEEDS_INFO = 6
UNKNOWN_REASON = 99

# Easy-return shipping companies.
ACTIVE_COMPANY = 10
SECOND_ACTIVE_COMPANY = 12
INACTIVE_COMPANY = 11
UNKNOWN_COMPANY = 98

# Addresses.
GUEST_ADDRESS = 20
OTHER_CUSTOMERS_ADDRESS = 21
UNKNOWN_ADDRESS = 97

VALID_IBAN = "TR330006100519786457841326"
HOLDER_NAME = "Ayşe Yılmaz"

PNG = ImageUpload(content=b"\x89PNG\r\n\x1a\nfake", media_type="image/png", description="box")
JPEG = ImageUpload(content=b"\xff\xd8\xff\xe0fake", media_type="image/jpeg")


def product(pk: int = 1) -> Product:
    return Product(pk=pk, name=f"Product {pk}", sku=f"SKU-{pk}")


def order_item(
    pk: int,
    status: OrderStatus = OrderStatus.APPROVED,
    *,
    quantity: int = 1,
    price: Decimal = Decimal("10.00"),
    delivered_date: datetime | None = None,
) -> OrderItem:
    return OrderItem(
        pk=pk,
        status=status,
        quantity=quantity,
        price=price,
        product=product(pk),
        delivered_date=delivered_date,
    )


def order(
    *,
    pk: int = 1,
    number: str = GUEST_NUMBER,
    user_email: str = GUEST_EMAIL,
    customer_id: int = GUEST_CUSTOMER_ID,
    kind: CustomerKind = CustomerKind.GUEST,
    status: OrderStatus = OrderStatus.APPROVED,
    payment_type: PaymentType = PaymentType.CREDIT_CARD,
    items: Sequence[OrderItem] = (),
    **overrides: Any,
) -> Order:
    fields: dict[str, Any] = {
        "pk": pk,
        "number": number,
        "customer": Customer(id=customer_id, kind=kind),
        "user_email": user_email,
        "status": status,
        "currency": Currency(code="TRY"),
        "payment_type": payment_type,
        "amount": Decimal("100.00"),
        "created_date": NOW - timedelta(days=10),
        "modified_date": NOW - timedelta(days=1),
        "items": items,
    }
    fields.update(overrides)
    return Order(**fields)


def standard_items() -> list[OrderItem]:
    return [
        order_item(
            pk,
            status,
            quantity=quantity,
            delivered_date=DELIVERED_AT if status is OrderStatus.DELIVERED else None,
        )
        for pk, (status, quantity) in STANDARD_ITEMS.items()
    ]


def guest_order() -> Order:
    return order(items=standard_items())


def cash_order() -> Order:
    return order(
        pk=2,
        number=CASH_NUMBER,
        payment_type=PaymentType.PAY_ON_DELIVERY,
        items=[
            order_item(CASH_ITEM, OrderStatus.DELIVERED, delivered_date=DELIVERED_AT),
            order_item(CASH_CANCELLABLE_ITEM, OrderStatus.APPROVED),
        ],
    )


def registered_order() -> Order:
    return order(
        pk=3,
        number=REGISTERED_NUMBER,
        customer_id=REGISTERED_CUSTOMER_ID,
        kind=CustomerKind.REGISTERED,
        items=[order_item(REGISTERED_ITEM, OrderStatus.APPROVED)],
    )


def reason(
    pk: int,
    cancellation_type: CancellationType,
    *,
    is_active: bool = True,
    extra_information_needed: bool = False,
) -> CancellationReason:
    return CancellationReason(
        pk=pk,
        subject=f"Reason {pk}",
        cancellation_type=cancellation_type,
        is_active=is_active,
        extra_information_needed=extra_information_needed,
        order=pk,
    )


def reasons() -> list[CancellationReason]:
    cancel, refund = CancellationType.CANCEL, CancellationType.REFUND
    return [
        reason(CANCEL_REASON, cancel),
        reason(REFUND_REASON, refund),
        reason(INACTIVE_CANCEL_REASON, cancel, is_active=False),
        reason(INACTIVE_REFUND_REASON, refund, is_active=False),
        reason(CANCEL_REASON_NEEDS_INFO, cancel, extra_information_needed=True),
        reason(REFUND_REASON_NEEDS_INFO, refund, extra_information_needed=True),
    ]


def company(pk: int, *, is_active: bool = True) -> EasyReturnShippingCompany:
    return EasyReturnShippingCompany(
        pk=pk,
        shipping_company=ShippingCompany(value=f"carrier-{pk}", label=f"Carrier {pk}"),
        is_active=is_active,
    )


def companies() -> list[EasyReturnShippingCompany]:
    return [
        company(ACTIVE_COMPANY),
        company(SECOND_ACTIVE_COMPANY),
        company(INACTIVE_COMPANY, is_active=False),
    ]


def addresses() -> list[Address]:
    return [
        Address(pk=GUEST_ADDRESS, customer_id=GUEST_CUSTOMER_ID),
        Address(pk=OTHER_CUSTOMERS_ADDRESS, customer_id=REGISTERED_CUSTOMER_ID),
    ]


def stored_request(
    order_item: int,
    *,
    order: int = 1,
    status: CancellationRequestStatus = CancellationRequestStatus.WAITING,
    cancellation_type: CancellationType = CancellationType.CANCEL,
    reason: int = CANCEL_REASON,
    request_id: int | None = None,
) -> CancellationRequest:
    """A request as if created earlier (for seeding a store directly)."""
    return CancellationRequest(
        id=request_id,
        uuid=uuid.uuid4(),
        order=order,
        order_item=order_item,
        reason=reason,
        cancellation_type=cancellation_type,
        status=status,
        created_date=NOW - timedelta(days=1),
        modified_date=NOW - timedelta(days=1),
    )


def new_store(*, cancellation_requests: Sequence[CancellationRequest] = ()) -> InMemoryStore:
    """A store with the guest order, the cash order, a registered customer's order, the
    reasons, the carriers and the addresses above."""
    return InMemoryStore(
        orders=[guest_order(), cash_order(), registered_order()],
        reasons=reasons(),
        shipping_companies=companies(),
        addresses=addresses(),
        cancellation_requests=cancellation_requests,
    )


# --- commands ---------------------------------------------------------------------------


def cancel_item(order_item: int = APPROVED_ITEM, **overrides: Any) -> CancelItem:
    """A valid ``cancel`` item for a cancellable item."""
    fields: dict[str, Any] = {
        "order_item": order_item,
        "reason": CANCEL_REASON,
        "cancellation_type": CancellationType.CANCEL,
    }
    fields.update(overrides)
    return CancelItem(**fields)


def refund_item(order_item: int = PREPARING_ITEM, **overrides: Any) -> CancelItem:
    """A valid ``refund`` item for a refundable item of a card-paid order."""
    fields: dict[str, Any] = {
        "order_item": order_item,
        "reason": REFUND_REASON,
        "cancellation_type": CancellationType.REFUND,
        "shipping_company": ACTIVE_COMPANY,
    }
    fields.update(overrides)
    return CancelItem(**fields)


def cash_refund_item(**overrides: Any) -> CancelItem:
    """A valid refund item of the cash-paid order: it carries a bank account."""
    fields: dict[str, Any] = {"iban": Iban(VALID_IBAN), "holder_name": HOLDER_NAME}
    fields.update(overrides)
    return refund_item(CASH_ITEM, **fields)


def bulk(
    *items: CancelItem,
    number: str = GUEST_NUMBER,
    email: str = GUEST_EMAIL,
    pickup_address: int | None = None,
    fully_refund_as_loyalty_money: bool = False,
) -> CancellationCommand:
    return CancellationCommand(
        number=number,
        email=email,
        items=items,
        pickup_address=pickup_address,
        fully_refund_as_loyalty_money=fully_refund_as_loyalty_money,
        bulk=True,
    )


def single(
    item: CancelItem, *, number: str = GUEST_NUMBER, email: str = GUEST_EMAIL
) -> CancellationCommand:
    return CancellationCommand(number=number, email=email, items=[item], bulk=False)


# --- running the use cases --------------------------------------------------------------


@attrs.define
class World:
    """A store, a clock and a policy: what the use cases run against."""

    store: InMemoryStore = attrs.field(factory=new_store)
    clock: FixedClock = attrs.field(factory=lambda: FixedClock(NOW))
    policy: Policy = attrs.field(factory=Policy)

    def cancel(
        self, command: CancellationCommand, *, uow: UnitOfWork | None = None
    ) -> list[CancellationRequest]:
        return request_cancellation(
            command, uow=uow or self.store, clock=self.clock, policy=self.policy
        )

    def lookup(self, number: str = GUEST_NUMBER, email: str = GUEST_EMAIL) -> OrderSnapshot:
        return lookup_order(
            LookupQuery(number=number, email=email),
            uow=self.store,
            clock=self.clock,
            policy=self.policy,
        )

    @property
    def requests(self) -> InMemoryCancellationRequestRepository:
        return self.store.repositories.cancellation_requests

    @property
    def stored(self) -> list[CancellationRequest]:
        return self.requests.all()

    @property
    def images(self) -> InMemoryImageStore:
        return self.store.repositories.images

    def active_by_item(self) -> dict[int, list[CancellationRequest]]:
        out: dict[int, list[CancellationRequest]] = {}
        for request in self.stored:
            if request.is_active:
                out.setdefault(request.order_item, []).append(request)
        return out


def codes_by_path(error: InvalidRequest) -> dict[str, list[str]]:
    """``{"cancel_order_items[1].quantity": ["quantity_exceeds_item"], ...}``."""
    out: dict[str, list[str]] = {}
    for path, detail in error.details:
        out.setdefault(path, []).append(detail.code)
    return out


# --- port wrappers ----------------------------------------------------------------------


class RecordingRepositories:
    """The repositories of an :class:`InMemoryStore` that log which methods are called,
    never with which arguments."""

    def __init__(self, inner: Any, log: list[str]) -> None:
        self._inner = inner
        self.log = log

    @property
    def orders(self) -> _RecordingOrders:
        return _RecordingOrders(self._inner.orders, self.log)

    @property
    def cancellation_requests(self) -> _RecordingRequests:
        return _RecordingRequests(self._inner.cancellation_requests, self.log)

    @property
    def reasons(self) -> _RecordingReasons:
        return _RecordingReasons(self._inner.reasons, self.log)

    @property
    def shipping_companies(self) -> _RecordingCompanies:
        return _RecordingCompanies(self._inner.shipping_companies, self.log)

    @property
    def addresses(self) -> _RecordingAddresses:
        return _RecordingAddresses(self._inner.addresses, self.log)

    @property
    def images(self) -> _RecordingImages:
        return _RecordingImages(self._inner.images, self.log)

    @property
    def idempotency(self) -> _RecordingIdempotency:
        return _RecordingIdempotency(self._inner.idempotency, self.log)

    @property
    def outbox(self) -> _RecordingOutbox:
        return _RecordingOutbox(self._inner.outbox, self.log)


@attrs.frozen
class _RecordingOutbox:
    inner: InMemoryOutbox
    log: list[str]

    def add_all(self, events: Sequence[Event]) -> None:
        self.log.append("outbox.add_all")
        self.inner.add_all(events)

    def pending(self, limit: int) -> Sequence[StoredEvent]:
        self.log.append("outbox.pending")
        return self.inner.pending(limit)

    def mark_delivered(self, positions: Sequence[int], at: datetime) -> None:
        self.log.append("outbox.mark_delivered")
        self.inner.mark_delivered(positions, at)

    def purge_delivered(self, before: datetime) -> int:
        self.log.append("outbox.purge_delivered")
        return self.inner.purge_delivered(before)


@attrs.frozen
class _RecordingOrders:
    inner: InMemoryOrderRepository
    log: list[str]

    def find_by_number(self, number: str) -> Order | None:
        self.log.append("orders.find_by_number")
        return self.inner.find_by_number(number)


@attrs.frozen
class _RecordingRequests:
    inner: InMemoryCancellationRequestRepository
    log: list[str]

    def active_for_items(self, order_items: Collection[int]) -> Mapping[int, CancellationRequest]:
        self.log.append("cancellation_requests.active_for_items")
        return self.inner.active_for_items(order_items)

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        self.log.append("cancellation_requests.add_all")
        return self.inner.add_all(requests)

    def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        self.log.append("cancellation_requests.get_many")
        return self.inner.get_many(ids)


@attrs.frozen
class _RecordingIdempotency:
    inner: InMemoryIdempotencyRepository
    log: list[str]

    def get(self, order: int, key: str) -> IdempotencyRecord | None:
        self.log.append("idempotency.get")
        return self.inner.get(order, key)

    def add(self, record: IdempotencyRecord) -> None:
        self.log.append("idempotency.add")
        self.inner.add(record)


@attrs.frozen
class _RecordingReasons:
    inner: InMemoryCancellationReasonRepository
    log: list[str]

    def get_many(self, pks: Collection[int]) -> Mapping[int, CancellationReason]:
        self.log.append("reasons.get_many")
        return self.inner.get_many(pks)

    def list_active(self) -> Sequence[CancellationReason]:
        self.log.append("reasons.list_active")
        return self.inner.list_active()


@attrs.frozen
class _RecordingCompanies:
    inner: InMemoryEasyReturnShippingCompanyRepository
    log: list[str]

    def list_active(self) -> Sequence[EasyReturnShippingCompany]:
        self.log.append("shipping_companies.list_active")
        return self.inner.list_active()


@attrs.frozen
class _RecordingAddresses:
    inner: InMemoryAddressRepository
    log: list[str]

    def get(self, pk: int) -> Address | None:
        self.log.append("addresses.get")
        return self.inner.get(pk)


@attrs.frozen
class _RecordingImages:
    inner: InMemoryImageStore
    log: list[str]

    def put(self, image: ImageUpload) -> ImageRef:
        self.log.append("images.put")
        return self.inner.put(image)

    def delete(self, ref: ImageRef) -> None:
        self.log.append("images.delete")
        self.inner.delete(ref)


class RecordingClock:
    def __init__(self, inner: FixedClock, log: list[str]) -> None:
        self._inner = inner
        self.log = log

    def now(self) -> datetime:
        self.log.append("clock.now")
        return self._inner.now()


class RecordingUnitOfWork:
    """An :class:`InMemoryStore` whose every port call is appended to ``log``."""

    def __init__(self, store: InMemoryStore) -> None:
        self.store = store
        self.log: list[str] = []

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[RecordingRepositories]:
        self.log.append("transaction(read_only)" if read_only else "transaction")
        with self.store.transaction(read_only=read_only) as repos:
            yield RecordingRepositories(repos, self.log)
        self.log.append("commit")


class _HookedRequests:
    """Cancellation requests whose ``add_all`` runs a hook first: the gap between the
    use case's read and its write, where a concurrent writer can slip in."""

    def __init__(
        self, inner: InMemoryCancellationRequestRepository, before_write: Callable[[], None]
    ) -> None:
        self._inner = inner
        self._before_write = before_write

    def active_for_items(self, order_items: Collection[int]) -> Mapping[int, CancellationRequest]:
        return self._inner.active_for_items(order_items)

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        self._before_write()
        return self._inner.add_all(requests)

    def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        return self._inner.get_many(ids)


class BeforeWriteUnitOfWork:
    """An :class:`InMemoryStore` that runs ``before_write`` just before every ``add_all``."""

    def __init__(self, store: InMemoryStore, before_write: Callable[[], None]) -> None:
        self.store = store
        self.before_write = before_write

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[_HookedRepositories]:
        with self.store.transaction(read_only=read_only) as repos:
            yield _HookedRepositories(
                orders=repos.orders,
                cancellation_requests=_HookedRequests(
                    repos.cancellation_requests, self.before_write
                ),
                reasons=repos.reasons,
                shipping_companies=repos.shipping_companies,
                addresses=repos.addresses,
                images=repos.images,
                idempotency=repos.idempotency,
                outbox=repos.outbox,
            )


@attrs.frozen(kw_only=True)
class _HookedRepositories:
    orders: InMemoryOrderRepository
    cancellation_requests: _HookedRequests
    reasons: InMemoryCancellationReasonRepository
    shipping_companies: InMemoryEasyReturnShippingCompanyRepository
    addresses: InMemoryAddressRepository
    images: InMemoryImageStore
    idempotency: InMemoryIdempotencyRepository
    outbox: InMemoryOutbox


def barrier_before_write(store: InMemoryStore, parties: int) -> BeforeWriteUnitOfWork:
    """Every writer waits until ``parties`` of them have read: they then race to write."""
    barrier = threading.Barrier(parties, timeout=10)
    return BeforeWriteUnitOfWork(store, lambda: _wait(barrier))


def _wait(barrier: threading.Barrier) -> None:
    barrier.wait()


def rejected(world: World, command: CancellationCommand) -> InvalidRequest:
    """Run ``command``, which must fail with :class:`InvalidRequest` and store nothing."""
    before = world.stored
    images_before = dict(world.images.images)
    try:
        world.cancel(command)
    except InvalidRequest as error:
        assert world.stored == before, "a failed request stored something"
        assert world.images.images == images_before, "a failed request left images behind"
        return error
    raise AssertionError("the request was accepted")


def rejected_codes(world: World, command: CancellationCommand) -> dict[str, list[str]]:
    return codes_by_path(rejected(world, command))
