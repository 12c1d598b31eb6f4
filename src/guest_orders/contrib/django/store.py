"""The storage adapter: every port over the host's models and the app's own tables.

:class:`DjangoStore` is a :class:`guest_orders.ports.UnitOfWork`: each
:meth:`~DjangoStore.transaction` is one ``transaction.atomic()`` block (a savepoint when
the host already runs one, as with ``ATOMIC_REQUESTS``). The one-active-request rule is
the conditional unique constraint of the app's ``CancellationRequestRecord`` model; its
``IntegrityError`` becomes :class:`guest_orders.ActiveRequestExists`.

:class:`AsyncDjangoStore` is the same store behind
:class:`guest_orders.ports.AsyncUnitOfWork`, for :class:`guest_orders.AsyncGuestOrders`
and the async views: each transaction in a thread of its own.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import uuid as uuid_module
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar, cast

import attrs
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import IntegrityError, connections, models, transaction

from guest_orders.contrib.django import models as tables
from guest_orders.contrib.django.fields import field_of, rows_of
from guest_orders.contrib.django.mapping import StoreMapping
from guest_orders.domain import (
    DECOY_ORDER,
    Address,
    Bank,
    CancellationReason,
    CancellationRequest,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    Customer,
    EasyReturn,
    EasyReturnShippingCompany,
    Event,
    Iban,
    IdempotencyRecord,
    ImageRef,
    ImageUpload,
    Order,
    OrderItem,
    PickupDate,
    Product,
    ShippingCompany,
    StoredEvent,
)
from guest_orders.ports import ActiveRequestExists, AsyncRepositories, IdempotencyKeyExists
from guest_orders.wire.events import parse_event, render_event

__all__ = ["AsyncDjangoStore", "DjangoStore"]

T = TypeVar("T")

_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


class _Rows:
    """Reading the host's models through the mapping."""

    def __init__(self, mapping: StoreMapping, using: str) -> None:
        self.mapping = mapping
        self.using = using

    def model(self, role: str) -> type[models.Model]:
        model: type[models.Model] = apps.get_model(self.mapping.roles()[role].model)
        return model

    def rows(self, role: str, **filters: Any) -> list[dict[str, Any]]:
        """The mapped fields of ``role``'s rows matching ``filters``, by domain name."""
        paths = self.mapping.paths(role)
        query = rows_of(self.model(role), self.using).filter(**filters)
        if role == "item":
            query = query.order_by(*self.mapping.item.ordering)
        names = ["pk", *paths]
        return [
            {
                name: self.mapping.from_stored(role, name, value)
                for name, value in zip(names, row, strict=True)
            }
            for row in query.values_list("pk", *paths.values())
        ]

    def path(self, role: str, name: str) -> str | None:
        return self.mapping.paths(role).get(name)


def _decoy_row(rows: _Rows, role: str, value: object) -> dict[str, Any]:
    """``value``'s fields as :meth:`_Rows.rows` gives ``role``'s, by the mapped domain
    names (``"product.pk"`` is ``value.product.pk``; a currency is its code)."""

    def at(path: str) -> object:
        found = value
        for name in path.split("."):
            found = getattr(found, name, None)
        return found.code if isinstance(found, Currency) else found

    return {
        "pk": getattr(value, "pk", None),
        **{name: at(name) for name in rows.mapping.paths(role)},
    }


def _given(row: Mapping[str, Any], *names: str) -> dict[str, Any]:
    """The plain fields of ``row`` that are set: a missing or ``None`` value takes the
    domain's default."""
    return {name: row[name] for name in names if row.get(name) is not None}


def _order(row: dict[str, Any], items: list[OrderItem]) -> Order:
    plain = [name for name in row if "." not in name and name not in {"pk", "currency"}]
    company = None
    if row.get("shipping_company.value") is not None:
        company = ShippingCompany(
            value=row["shipping_company.value"], label=row.get("shipping_company.label") or ""
        )
    bank = None
    if row.get("bank.pk") is not None:
        bank = Bank(
            pk=row["bank.pk"],
            name=row.get("bank.name") or "",
            slug=row.get("bank.slug") or "",
            logo=row.get("bank.logo"),
        )
    return Order(
        pk=row["pk"],
        customer=Customer(id=row["customer.id"], kind=row["customer.kind"]),
        currency=Currency(code=row["currency"]),
        shipping_company=company,
        bank=bank,
        items=items,
        **_given(row, *plain),
    )


def _item(row: dict[str, Any]) -> OrderItem:
    return OrderItem(
        pk=row["pk"],
        product=Product(
            pk=row["product.pk"],
            name=row["product.name"],
            sku=row["product.sku"],
            image=row.get("product.image"),
        ),
        **_given(row, "status", "quantity", "price", "delivered_date"),
    )


class DjangoOrderRepository:
    def __init__(self, rows: _Rows) -> None:
        self._rows = rows

    def find_by_number(self, number: str) -> Order | None:
        """Two queries, hit or miss (the order's row, its items' rows by the order's number),
        and with no order the decoy's rows are converted: an unknown number does the work
        of a known one (docs/security.md)."""
        number_path = self._rows.path("order", "number")
        order_path = self._rows.path("item", "order")
        assert number_path is not None
        assert order_path is not None
        found = self._rows.rows("order", **{number_path: number})
        item_rows = self._rows.rows("item", **{f"{order_path}__{number_path}": number})
        if len(found) != 1:
            _order(_decoy_row(self._rows, "order", DECOY_ORDER), [_item(self._decoy_item)])
            return None
        (row,) = found
        return _order(row, [_item(item) for item in item_rows])

    @property
    def _decoy_item(self) -> dict[str, Any]:
        return _decoy_row(self._rows, "item", DECOY_ORDER.items[0])


class DjangoCancellationReasonRepository:
    def __init__(self, rows: _Rows) -> None:
        self._rows = rows

    def _reason(self, row: dict[str, Any]) -> CancellationReason:
        given = _given(
            row,
            "subject",
            "cancellation_type",
            "is_active",
            "extra_information_needed",
            "order",
            "created_date",
            "modified_date",
            "translations",
        )
        return CancellationReason(pk=row["pk"], uuid=row["uuid"], **given)

    def get_many(self, pks: Collection[int]) -> Mapping[int, CancellationReason]:
        if not pks:
            return {}
        return {row["pk"]: self._reason(row) for row in self._rows.rows("reason", pk__in=pks)}

    def list_active(self) -> Sequence[CancellationReason]:
        active = self._rows.path("reason", "is_active")
        filters = {active: True} if active is not None else {}
        reasons = [self._reason(row) for row in self._rows.rows("reason", **filters)]
        return sorted(reasons, key=lambda r: (r.order, r.pk))


def _carrier(row: dict[str, Any]) -> EasyReturnShippingCompany:
    return EasyReturnShippingCompany(
        pk=row["pk"],
        shipping_company=ShippingCompany(
            value=row["shipping_company.value"], label=row["shipping_company.label"]
        ),
        **_given(row, "is_active"),
    )


class DjangoEasyReturnShippingCompanyRepository:
    def __init__(self, rows: _Rows) -> None:
        self._rows = rows

    def list_active(self) -> Sequence[EasyReturnShippingCompany]:
        active = self._rows.path("carrier", "is_active")
        filters = {active: True} if active is not None else {}
        return sorted(
            (_carrier(row) for row in self._rows.rows("carrier", **filters)), key=lambda c: c.pk
        )


class DjangoAddressRepository:
    def __init__(self, rows: _Rows) -> None:
        self._rows = rows

    def get(self, pk: int) -> Address | None:
        found = self._rows.rows("address", pk=pk)
        if not found:
            return None
        return Address(pk=found[0]["pk"], customer_id=found[0]["customer_id"])


def _request(row: tables.CancellationRequestRecord) -> CancellationRequest:
    easy_return = None
    if row.easy_return_code is not None:
        assert row.easy_return_company_id is not None
        easy_return = EasyReturn(
            code=row.easy_return_code,
            shipping_company=EasyReturnShippingCompany(
                pk=row.easy_return_company_id,
                shipping_company=ShippingCompany(
                    value=row.easy_return_company_value or "",
                    label=row.easy_return_company_label or "",
                ),
                is_active=bool(row.easy_return_company_is_active),
            ),
        )
    pickup = None
    if row.pickup_date is not None:
        assert row.pickup_start is not None
        assert row.pickup_end is not None
        pickup = PickupDate(date=row.pickup_date, start=row.pickup_start, end=row.pickup_end)
    return CancellationRequest(
        id=row.pk,
        uuid=row.uuid,
        order=row.order_id,
        order_item=row.order_item_id,
        reason=row.reason_id,
        cancellation_type=CancellationType(row.cancellation_type),
        status=CancellationRequestStatus(row.status),
        description=row.description,
        quantity=row.quantity,
        iban=Iban(row.iban) if row.iban is not None else None,
        holder_name=row.holder_name,
        easy_return=easy_return,
        pickup_address=row.pickup_address_id,
        pickup_date=pickup,
        images=[
            ImageRef(image=image.image, description=image.description)
            for image in sorted(row.images.all(), key=lambda image: image.position)
        ],
        fully_refund_as_loyalty_money=row.fully_refund_as_loyalty_money,
        created_date=row.created_date,
        modified_date=row.modified_date,
    )


def _row(request: CancellationRequest) -> tables.CancellationRequestRecord:
    easy_return = request.easy_return
    company = easy_return.shipping_company if easy_return is not None else None
    pickup = request.pickup_date
    return tables.CancellationRequestRecord(
        pk=request.id,
        uuid=request.uuid,
        order_id=request.order,
        order_item_id=request.order_item,
        reason_id=request.reason,
        cancellation_type=request.cancellation_type.value,
        status=request.status.value,
        description=request.description,
        quantity=request.quantity,
        iban=request.iban.compact if request.iban is not None else None,
        holder_name=request.holder_name,
        easy_return_code=easy_return.code if easy_return is not None else None,
        easy_return_company_id=company.pk if company is not None else None,
        easy_return_company_value=company.shipping_company.value if company else None,
        easy_return_company_label=company.shipping_company.label if company else None,
        easy_return_company_is_active=company.is_active if company is not None else None,
        pickup_address_id=request.pickup_address,
        pickup_date=pickup.date if pickup is not None else None,
        pickup_start=pickup.start if pickup is not None else None,
        pickup_end=pickup.end if pickup is not None else None,
        fully_refund_as_loyalty_money=request.fully_refund_as_loyalty_money,
        created_date=request.created_date,
        modified_date=request.modified_date,
    )


class DjangoCancellationRequestRepository:
    """Requests in the app's table; the one-active rule is its conditional unique
    constraint, so it holds against concurrent writers too."""

    def __init__(self, using: str) -> None:
        self._using = using

    def _objects(self) -> models.QuerySet[tables.CancellationRequestRecord]:
        return tables.CancellationRequestRecord.objects.using(self._using).prefetch_related(
            "images"
        )

    def active_for_items(self, order_items: Collection[int]) -> Mapping[int, CancellationRequest]:
        if not order_items:
            return {}
        rows = self._objects().filter(
            order_item_id__in=list(order_items), status__in=tables.ACTIVE_STATUSES
        )
        return {row.order_item_id: _request(row) for row in rows}

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        active_items = [r.order_item for r in requests if r.is_active]
        twice = {item for item in active_items if active_items.count(item) > 1}
        if twice:
            raise ActiveRequestExists(twice)
        try:
            with transaction.atomic(using=self._using):  # a savepoint: all or nothing
                stored = []
                for request in requests:
                    row = _row(request)
                    row.save(using=self._using, force_insert=True)
                    tables.CancellationRequestImageRecord.objects.using(self._using).bulk_create(
                        tables.CancellationRequestImageRecord(
                            request=row,
                            position=position,
                            image=ref.image,
                            description=ref.description,
                        )
                        for position, ref in enumerate(request.images)
                    )
                    stored.append(attrs.evolve(request, id=row.pk))
        except IntegrityError:
            # Which items? Those of the batch that now have an active request (the
            # concurrent writer that won has committed by the time the insert fails).
            taken = set(self.active_for_items(active_items))
            if not taken:
                raise
            raise ActiveRequestExists(taken) from None
        return stored

    def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        if not ids:
            return []
        found = {row.pk: row for row in self._objects().filter(pk__in=list(ids))}
        return [_request(found[pk]) for pk in ids if pk in found]


class DjangoIdempotencyRepository:
    def __init__(self, using: str) -> None:
        self._using = using

    def get(self, order: int, key: str) -> IdempotencyRecord | None:
        row = (
            tables.IdempotencyKey.objects.using(self._using).filter(order_id=order, key=key).first()
        )
        if row is None or row.key != key:  # a case-insensitive collation would match more
            return None
        return IdempotencyRecord(
            order=row.order_id,
            key=row.key,
            fingerprint=row.fingerprint,
            request_ids=[int(pk) for pk in row.request_ids],
            created_date=row.created_date,
        )

    def add(self, record: IdempotencyRecord) -> None:
        try:
            with transaction.atomic(using=self._using):
                tables.IdempotencyKey.objects.using(self._using).create(
                    order_id=record.order,
                    key=record.key,
                    fingerprint=record.fingerprint,
                    request_ids=list(record.request_ids),
                    created_date=record.created_date,
                )
        except IntegrityError:
            raise IdempotencyKeyExists(record.order) from None


class DjangoOutbox:
    """The outbox in the app's ``OutboxEvent`` table (see
    :class:`guest_orders.ports.OutboxRepository`): ``add_all`` first locks the events'
    orders' rows in the host's order table (``SELECT ... FOR NO KEY UPDATE`` on
    PostgreSQL; nothing on SQLite, whose writers take turns), so that the events of one
    order get their ids in commit order; ``pending`` claims with ``FOR UPDATE SKIP
    LOCKED`` and keeps, of each order, only its oldest undelivered events."""

    def __init__(self, rows: _Rows, using: str) -> None:
        self._rows = rows
        self._using = using

    def _objects(self) -> models.QuerySet[tables.OutboxEvent]:
        return tables.OutboxEvent.objects.using(self._using)

    def add_all(self, events: Sequence[Event]) -> None:
        if not events:
            return
        orders = rows_of(self._rows.model("order"), self._using)
        list(
            orders.filter(pk__in=sorted({event.order for event in events}))
            .order_by("pk")
            .select_for_update(no_key=True)
            .values_list("pk", flat=True)
        )
        self._objects().bulk_create(
            tables.OutboxEvent(
                event_id=event.event_id,
                type=event.type,
                order_id=event.order,
                payload=render_event(event),
                created_date=event.created_date,
            )
            for event in events
        )

    def pending(self, limit: int) -> Sequence[StoredEvent]:
        claimed = list(
            self._objects()
            .filter(delivered_date__isnull=True)
            .order_by("id")
            .select_for_update(skip_locked=True)
            .values_list("id", "order_id", "payload")[:limit]
        )
        if not claimed:
            return []
        # An order's older undelivered event not in this batch is held by another relay:
        # keep, of each order, only the events before the first one missing.
        ours = {row[0] for row in claimed}
        undelivered = (
            self._objects()
            .filter(
                delivered_date__isnull=True,
                order_id__in=sorted({row[1] for row in claimed}),
                id__lte=claimed[-1][0],
            )
            .order_by("id")
            .values_list("id", "order_id")
        )
        kept: set[int] = set()
        stopped: set[int] = set()
        for position, order in undelivered:
            if order in stopped:
                continue
            if position in ours:
                kept.add(position)
            else:
                stopped.add(order)
        return [
            StoredEvent(position=position, event=parse_event(payload))
            for position, _order, payload in claimed
            if position in kept
        ]

    def mark_delivered(self, positions: Sequence[int], at: datetime) -> None:
        if positions:
            self._objects().filter(id__in=list(positions)).update(delivered_date=at)

    def purge_delivered(self, before: datetime) -> int:
        deleted, _ = self._objects().filter(delivered_date__lt=before).delete()
        return int(deleted)


class DjangoImageStore:
    """Images in the storage of :class:`~guest_orders.contrib.django.models.UploadedImage`'s
    ``file`` (Django's default file storage), one row each, named by its ``upload_to``
    (``guest_orders/<year>/<month>/<random hex>.<extension>``); an image's reference is the
    storage's URL of the file."""

    def __init__(self, using: str) -> None:
        self._using = using

    def put(self, image: ImageUpload) -> ImageRef:
        extension = _EXTENSIONS.get(image.media_type, "bin")
        row = tables.UploadedImage(media_type=image.media_type, description=image.description)
        # The field names the file (its upload_to) and saves it in its storage.
        row.file.save(
            f"{uuid_module.uuid4().hex}.{extension}", ContentFile(image.content), save=False
        )
        row.url = row.file.url
        row.save(using=self._using)
        return ImageRef(image=row.url, description=image.description)

    def delete(self, ref: ImageRef) -> None:
        for row in tables.UploadedImage.objects.using(self._using).filter(url=ref.image):
            row.file.delete(save=False)
            row.delete()


@attrs.frozen(kw_only=True)
class _Repositories:
    orders: DjangoOrderRepository
    cancellation_requests: DjangoCancellationRequestRepository
    reasons: DjangoCancellationReasonRepository
    shipping_companies: DjangoEasyReturnShippingCompanyRepository
    addresses: DjangoAddressRepository
    images: DjangoImageStore
    idempotency: DjangoIdempotencyRepository
    outbox: DjangoOutbox


class DjangoStore:
    """Every port over the host's models (``mapping``) and the app's own tables.

    Args:
        mapping: where the host keeps orders, items, reasons, carriers and addresses.
        using: the database alias (``"default"``).
    """

    def __init__(self, mapping: StoreMapping, *, using: str = "default") -> None:
        self.mapping = mapping
        self.using = using
        rows = _Rows(mapping, using)
        self._rows = rows
        self.repositories = _Repositories(
            orders=DjangoOrderRepository(rows),
            cancellation_requests=DjangoCancellationRequestRepository(using),
            reasons=DjangoCancellationReasonRepository(rows),
            shipping_companies=DjangoEasyReturnShippingCompanyRepository(rows),
            addresses=DjangoAddressRepository(rows),
            images=DjangoImageStore(using),
            idempotency=DjangoIdempotencyRepository(using),
            outbox=DjangoOutbox(rows, using),
        )

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[_Repositories]:
        """One ``transaction.atomic()`` block; ``read_only`` changes nothing."""
        del read_only
        with transaction.atomic(using=self.using):
            yield self.repositories

    # ------------------------------------------------------------------ writing rows

    def load(
        self,
        *,
        orders: Iterable[Order] = (),
        reasons: Iterable[CancellationReason] = (),
        shipping_companies: Iterable[EasyReturnShippingCompany] = (),
        addresses: Iterable[Address] = (),
    ) -> None:
        """Write domain rows into the host's models through the mapping (for tests and
        demos): a related row a path reaches (``buyer__is_guest``) is created or updated
        by its pk. Fields the mapping does not store are left out."""
        with transaction.atomic(using=self.using):
            for order in orders:
                self._write("order", order.pk, _order_values(order))
                for item in order.items:
                    self._write("item", item.pk, _item_values(order, item))
            for reason in reasons:
                self._write("reason", reason.pk, _plain_values(reason))
            for company in shipping_companies:
                self._write(
                    "carrier",
                    company.pk,
                    {
                        "is_active": company.is_active,
                        "shipping_company.value": company.shipping_company.value,
                        "shipping_company.label": company.shipping_company.label,
                    },
                )
            for address in addresses:
                self._write("address", address.pk, {"customer_id": address.customer_id})

    def _write(self, role: str, pk: int, values: Mapping[str, Any]) -> None:
        model = self._rows.model(role)
        own: dict[str, Any] = {}
        related: dict[str, dict[str, Any]] = {}
        for name, path in self.mapping.paths(role).items():
            if name not in values:
                continue
            value = self.mapping.to_stored(role, name, values[name])
            head, _, rest = path.partition("__")
            if rest:
                related.setdefault(head, {})[rest] = value
            else:
                own[head] = value
        for head, fields in related.items():
            field = field_of(model, head)
            key = own.get(head)
            if key is None:
                continue
            remote: Any = field.related_model
            rows_of(remote, self.using).update_or_create(pk=key, defaults=fields)
        for head in list(own):
            field = field_of(model, head)
            if field.is_relation and own[head] is not None:
                target: Any = field.related_model
                rows_of(target, self.using).get_or_create(pk=own[head])
            own[field.attname] = own.pop(head)
        rows_of(model, self.using).update_or_create(pk=pk, defaults=own)


# --------------------------------------------------------------------------- async


class _TransactionThread:
    """The one thread a transaction runs in: each call is awaited without blocking the
    event loop, and runs after the calls before it, on the thread's own connection."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="guest_orders-transaction"
        )

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        context = contextvars.copy_context()
        call = functools.partial(context.run, function, *args)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self) -> None:
        """Close the connections the thread opened, and let it end."""
        try:
            await self.run(connections.close_all)
        finally:
            self._executor.shutdown(wait=False)


class _InThread:
    """A repository whose every method is a coroutine run in the transaction's thread:
    the async port of the same name (:mod:`guest_orders.ports`: the async twins have the
    sync ports' methods, as coroutines)."""

    __slots__ = ("_repository", "_thread")

    def __init__(self, repository: object, thread: _TransactionThread) -> None:
        self._repository = repository
        self._thread = thread

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._repository, name)
        run = self._thread.run

        async def call(*args: Any) -> Any:
            return await run(method, *args)

        return call


class AsyncDjangoStore:
    """``store`` (a :class:`DjangoStore`) behind :class:`guest_orders.ports.AsyncUnitOfWork`.

    Django's ORM keeps one connection per thread and has no async ``atomic()``: its async
    query methods (``aget``, ``acreate``...) run the sync ones in a thread, and a
    transaction cannot span them. So each :meth:`transaction` runs in a thread of its own:
    the ``atomic()`` block is entered there, every repository method runs there, in order,
    and the block is left there; the calling task awaits each step, so the event loop
    serves other requests meanwhile, and concurrent transactions use their own
    connections, as in a threaded WSGI server. The thread closes its connections when the
    transaction ends (PostgreSQL's connection pool, ``OPTIONS: {"pool": True}``, makes
    that cheap). It shares ``store``'s mapping, database alias and data.
    """

    def __init__(self, store: DjangoStore) -> None:
        #: The wrapped sync store.
        self.sync = store

    @asynccontextmanager
    async def transaction(self, *, read_only: bool = False) -> AsyncIterator[AsyncRepositories]:
        """One ``transaction.atomic()`` block, in a thread of its own (see
        :meth:`guest_orders.ports.AsyncUnitOfWork.transaction`)."""
        thread = _TransactionThread()
        try:
            block = self.sync.transaction(read_only=read_only)
            repositories = await thread.run(block.__enter__)
            ports = attrs.asdict(repositories, recurse=False)
            in_thread = SimpleNamespace(
                **{name: _InThread(port, thread) for name, port in ports.items()}
            )
            try:
                yield cast("AsyncRepositories", in_thread)
            except BaseException as error:
                if not await thread.run(block.__exit__, type(error), error, error.__traceback__):
                    raise
            else:
                await thread.run(block.__exit__, None, None, None)
        finally:
            await thread.close()


def _plain_values(value: Any) -> dict[str, Any]:
    return {field.name: getattr(value, field.name) for field in attrs.fields(type(value))}


def _order_values(order: Order) -> dict[str, Any]:
    values = _plain_values(order)
    values.pop("items")
    values["customer.id"] = order.customer.id
    values["customer.kind"] = order.customer.kind
    values["currency"] = order.currency.code
    company = order.shipping_company
    values["shipping_company.value"] = company.value if company is not None else None
    values["shipping_company.label"] = company.label if company is not None else None
    bank = order.bank
    for name in ("pk", "name", "slug", "logo"):
        values[f"bank.{name}"] = getattr(bank, name) if bank is not None else None
    if bank is None:
        for name in ("name", "slug", "logo"):
            del values[f"bank.{name}"]
    return values


def _item_values(order: Order, item: OrderItem) -> dict[str, Any]:
    values = _plain_values(item)
    values["order"] = order.pk
    for name in ("pk", "name", "sku", "image"):
        values[f"product.{name}"] = getattr(item.product, name)
    return values
