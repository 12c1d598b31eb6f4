"""The repositories of one transaction, bound to one connection.

Every statement is a Core statement built once, below, and run with
``Connection.execute``: SQLAlchemy compiles each one once per engine and keeps it in the
engine's compiled cache, and the column types (:class:`ExactDecimal`,
:class:`UtcDateTime`, the enums) process every value read or written.

Every method issues a fixed number of statements, whatever the number of items:
``find_by_number`` one (orders LEFT JOIN order_items), ``active_for_items`` and ``get_many``
one each (requests LEFT JOIN their image references), ``add_all`` three or four (SAVEPOINT,
one multi-row INSERT ... RETURNING of the requests, one INSERT of their image references
when there are any, RELEASE; SQLAlchemy splits a multi-row INSERT only past 1,000 rows),
the idempotency ``get`` and ``add`` one each (``add`` three on a database other than
PostgreSQL and SQLite).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

import attrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from guest_orders.adapters.sqlalchemy import _rows
from guest_orders.adapters.sqlalchemy._schema import (
    ACTIVE_STATUSES,
    IDEMPOTENCY_KEY_CONSTRAINT,
    ONE_ACTIVE_INDEX,
    addresses,
    cancellation_reasons,
    cancellation_request_images,
    cancellation_requests,
    easy_return_shipping_companies,
    idempotency_keys,
    images,
    order_items,
    orders,
    outbox,
)
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
from guest_orders.domain.order import DECOY_ORDER
from guest_orders.ports import ActiveRequestExists, IdempotencyKeyExists, ImageStore
from guest_orders.wire.events import parse_event, render_event

__all__ = [
    "IMAGE_URL_PREFIX",
    "SqlAlchemyAddressRepository",
    "SqlAlchemyCancellationReasonRepository",
    "SqlAlchemyCancellationRequestRepository",
    "SqlAlchemyEasyReturnShippingCompanyRepository",
    "SqlAlchemyIdempotencyRepository",
    "SqlAlchemyImageStore",
    "SqlAlchemyOrderRepository",
    "SqlAlchemyOutbox",
    "SqlAlchemyRepositories",
]

#: How :class:`SqlAlchemyImageStore` addresses the images it keeps.
IMAGE_URL_PREFIX = "db://images/"

# --- statements, built once (SQLAlchemy caches their compiled form) ---------------------

_FIND_ORDER = (
    sa.select(
        orders,
        *(column.label(f"{_rows.ITEM_PREFIX}{column.name}") for column in order_items.c),
    )
    .select_from(orders.outerjoin(order_items, order_items.c.order_id == orders.c.pk))
    .where(orders.c.number == sa.bindparam("number"))
    .order_by(order_items.c.position)
)

_SELECT_REQUESTS = (
    sa.select(
        cancellation_requests,
        cancellation_request_images.c.image.label(_rows.IMAGE),
        cancellation_request_images.c.description.label(_rows.IMAGE_DESCRIPTION),
    )
    .select_from(
        cancellation_requests.outerjoin(
            cancellation_request_images,
            cancellation_request_images.c.cancellation_request_id == cancellation_requests.c.id,
        )
    )
    .order_by(cancellation_requests.c.id, cancellation_request_images.c.position)
)
# The status values are rendered inline so PostgreSQL's planner can match the predicate
# of the partial unique index and use it.
_IS_ACTIVE = cancellation_requests.c.status.in_(
    sa.bindparam("active", list(ACTIVE_STATUSES), expanding=True, literal_execute=True)
)
_ACTIVE_FOR_ITEMS = _SELECT_REQUESTS.where(
    cancellation_requests.c.order_item_id.in_(sa.bindparam("items", expanding=True)), _IS_ACTIVE
)
_GET_REQUESTS = _SELECT_REQUESTS.where(
    cancellation_requests.c.id.in_(sa.bindparam("ids", expanding=True))
)
_INSERT_REQUESTS = sa.insert(cancellation_requests).returning(
    cancellation_requests.c.id, cancellation_requests.c.uuid
)
_INSERT_REQUEST_IMAGES = sa.insert(cancellation_request_images)

_GET_REASONS = (
    sa.select(cancellation_reasons)
    .where(cancellation_reasons.c.pk.in_(sa.bindparam("pks", expanding=True)))
    .order_by(cancellation_reasons.c.pk)
)
_ACTIVE_REASONS = (
    sa.select(cancellation_reasons)
    .where(cancellation_reasons.c.is_active.is_(True))
    .order_by(cancellation_reasons.c.sort_order, cancellation_reasons.c.pk)
)
_ACTIVE_COMPANIES = (
    sa.select(easy_return_shipping_companies)
    .where(easy_return_shipping_companies.c.is_active.is_(True))
    .order_by(easy_return_shipping_companies.c.pk)
)
_GET_ADDRESS = sa.select(addresses).where(addresses.c.pk == sa.bindparam("pk"))
_GET_IMAGE = sa.select(images).where(images.c.id == sa.bindparam("id"))
_DELETE_IMAGE = sa.delete(images).where(images.c.id == sa.bindparam("id"))
_GET_IDEMPOTENCY_KEY = sa.select(idempotency_keys).where(
    idempotency_keys.c.order_id == sa.bindparam("order"),
    idempotency_keys.c.key == sa.bindparam("key"),
)
_INSERT_IDEMPOTENCY_KEY = sa.insert(idempotency_keys)
# One statement that never raises on a taken key (no row comes back): the transaction stays
# usable, and a concurrent writer of the same key is waited for, then lost to.
_KEY_COLUMNS = [idempotency_keys.c.order_id, idempotency_keys.c.key]
_INSERT_NEW_IDEMPOTENCY_KEY = {
    "postgresql": postgresql.insert(idempotency_keys)
    .on_conflict_do_nothing(index_elements=_KEY_COLUMNS)
    .returning(idempotency_keys.c.id),
    "sqlite": sqlite.insert(idempotency_keys)
    .on_conflict_do_nothing(index_elements=_KEY_COLUMNS)
    .returning(idempotency_keys.c.id),
}


_DECOY_ROWS: Final = _rows.joined_rows(DECOY_ORDER)


class _Bound:
    """Bound to the transaction's connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection


class SqlAlchemyOrderRepository(_Bound):
    def find_by_number(self, number: str) -> Order | None:
        """One statement, hit or miss, so a miss costs the same round trip as a hit; with no
        rows the decoy's are converted, so an unknown number does the same work too."""
        rows = self._connection.execute(_FIND_ORDER, {"number": number}).mappings().all()
        if not rows:
            _rows.order_from_rows(_DECOY_ROWS)
            return None
        return _rows.order_from_rows(rows)


class SqlAlchemyCancellationRequestRepository(_Bound):
    """Requests, with the one-active rule enforced by the partial unique index
    ``uq_cancellation_requests_one_active``."""

    def active_for_items(self, order_items: Collection[int]) -> Mapping[int, CancellationRequest]:
        """One statement, also for no items (every lookup path does the same work)."""
        return self._active(order_items)

    def _active(self, order_items: Collection[int]) -> dict[int, CancellationRequest]:
        rows = self._connection.execute(_ACTIVE_FOR_ITEMS, {"items": list(order_items)})
        requests = _rows.requests_from_rows(rows.mappings())
        return {request.order_item: request for request in requests}

    def add_all(self, requests: Sequence[CancellationRequest]) -> Sequence[CancellationRequest]:
        """Store the batch inside a SAVEPOINT: all of it, or none of it and
        :class:`ActiveRequestExists`, with the enclosing transaction still usable.

        Rows go in sorted by order item, so concurrent batches over the same items take
        their index locks in the same order and cannot deadlock. A request whose ``id`` is
        set keeps it (for loading existing data).
        """
        if not requests:
            return []
        batch_active = _active_items(requests)
        try:
            with self._connection.begin_nested():
                ids = self._insert(requests)
        except IntegrityError as error:
            conflicts = self._conflicts(batch_active, error)
            if conflicts is None:
                raise
            # The driver error names values of the batch: do not chain it.
            raise ActiveRequestExists(conflicts) from None
        return [attrs.evolve(request, id=ids[request.uuid]) for request in requests]

    def _insert(self, requests: Sequence[CancellationRequest]) -> dict[uuid.UUID, int]:
        ordered = sorted(requests, key=lambda r: r.order_item)
        ids: dict[uuid.UUID, int] = {}
        fresh = [_rows.request_row(r) for r in ordered if r.id is None]
        if fresh:
            result = self._connection.execute(_INSERT_REQUESTS, fresh)
            ids.update((row.uuid, row.id) for row in result)
        preset = [{**_rows.request_row(r), "id": r.id} for r in ordered if r.id is not None]
        if preset:
            self._connection.execute(sa.insert(cancellation_requests), preset)
            ids.update((r.uuid, r.id) for r in ordered if r.id is not None)
            self._advance_id_sequence()
        refs = [
            row
            for request in requests
            for row in _rows.image_rows(ids[request.uuid], request.images)
        ]
        if refs:
            self._connection.execute(_INSERT_REQUEST_IMAGES, refs)
        return ids

    def _advance_id_sequence(self) -> None:
        """After explicit ids, move PostgreSQL's identity past them (SQLite needs nothing:
        its rowid follows the largest id)."""
        if self._connection.dialect.name == "postgresql":
            self._connection.execute(
                sa.text(
                    "SELECT setval(pg_get_serial_sequence('cancellation_requests', 'id'),"
                    " (SELECT max(id) FROM cancellation_requests))"
                )
            )

    def _conflicts(self, batch_active: Collection[int], error: IntegrityError) -> set[int] | None:
        """Which items of the batch already have an active request, or ``None`` when the
        integrity error is about something else (a missing reason, order item...)."""
        if not batch_active:
            return None
        found = set(self._active(batch_active))
        if found:
            return found
        # The conflicting request is not visible to this transaction (a snapshot older
        # than the writer's commit): the index still says which rule was broken.
        return set(batch_active) if _violates_one_active(error) else None

    def get_many(self, ids: Sequence[int]) -> Sequence[CancellationRequest]:
        """One statement; the requests that exist, in the order of ``ids``."""
        rows = self._connection.execute(_GET_REQUESTS, {"ids": list(ids)})
        found = {request.id: request for request in _rows.requests_from_rows(rows.mappings())}
        return [found[pk] for pk in ids if pk in found]


def _active_items(requests: Sequence[CancellationRequest]) -> list[int]:
    """The items of the batch's active requests; an item listed twice is a conflict."""
    seen: set[int] = set()
    duplicates: set[int] = set()
    for request in requests:
        if request.is_active:
            (duplicates if request.order_item in seen else seen).add(request.order_item)
    if duplicates:
        raise ActiveRequestExists(duplicates)
    return sorted(seen)


def _violates_one_active(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)  # psycopg
    if diag is not None:
        return getattr(diag, "constraint_name", None) == ONE_ACTIVE_INDEX
    # sqlite3 says "UNIQUE constraint failed: " and the table.column of the index.
    return "cancellation_requests.order_item_id" in str(error.orig)


class SqlAlchemyCancellationReasonRepository(_Bound):
    def get_many(self, pks: Collection[int]) -> Mapping[int, CancellationReason]:
        rows = self._connection.execute(_GET_REASONS, {"pks": list(pks)}).mappings()
        return {row["pk"]: _rows.reason_from_row(row) for row in rows}

    def list_active(self) -> Sequence[CancellationReason]:
        rows = self._connection.execute(_ACTIVE_REASONS).mappings()
        return [_rows.reason_from_row(row) for row in rows]


class SqlAlchemyEasyReturnShippingCompanyRepository(_Bound):
    def list_active(self) -> Sequence[EasyReturnShippingCompany]:
        rows = self._connection.execute(_ACTIVE_COMPANIES).mappings()
        return [_rows.company_from_row(row) for row in rows]


class SqlAlchemyAddressRepository(_Bound):
    def get(self, pk: int) -> Address | None:
        row = self._connection.execute(_GET_ADDRESS, {"pk": pk}).mappings().one_or_none()
        return _rows.address_from_row(row) if row is not None else None


class SqlAlchemyIdempotencyRepository(_Bound):
    """Idempotency records in ``idempotency_keys``; the unique constraint on
    ``(order_id, key)`` keeps one record per key and order against concurrent writers."""

    def get(self, order: int, key: str) -> IdempotencyRecord | None:
        row = (
            self._connection.execute(_GET_IDEMPOTENCY_KEY, {"order": order, "key": key})
            .mappings()
            .one_or_none()
        )
        return _rows.idempotency_record_from_row(row) if row is not None else None

    def add(self, record: IdempotencyRecord) -> None:
        """One ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` on PostgreSQL and SQLite;
        elsewhere a plain ``INSERT`` in a ``SAVEPOINT``. Raises :class:`IdempotencyKeyExists`
        when the key is taken; the transaction stays usable either way."""
        row = _rows.idempotency_row(record)
        statement = _INSERT_NEW_IDEMPOTENCY_KEY.get(self._connection.dialect.name)
        if statement is not None:
            if self._connection.execute(statement, row).first() is None:
                raise IdempotencyKeyExists(record.order)
            return
        try:
            with self._connection.begin_nested():
                self._connection.execute(_INSERT_IDEMPOTENCY_KEY, row)
        except IntegrityError as error:
            if not _violates_key_constraint(error):
                raise
            raise IdempotencyKeyExists(record.order) from None


def _violates_key_constraint(error: IntegrityError) -> bool:
    diag = getattr(error.orig, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None) == IDEMPOTENCY_KEY_CONSTRAINT
    text = str(error.orig)
    return IDEMPOTENCY_KEY_CONSTRAINT in text or "idempotency_keys.key" in text


_INSERT_EVENTS = sa.insert(outbox)
# The orders' rows, locked so that events of one order get their ids in commit order.
_LOCK_ORDERS = (
    sa.select(orders.c.pk)
    .where(orders.c.pk.in_(sa.bindparam("orders", expanding=True)))
    .order_by(orders.c.pk)
    .with_for_update(key_share=True)
)
_UNDELIVERED = outbox.c.delivered_date.is_(None)
_CLAIM_EVENTS = (
    sa.select(outbox.c.id, outbox.c.order_id, outbox.c.payload)
    .where(_UNDELIVERED)
    .order_by(outbox.c.id)
    .limit(sa.bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_UNDELIVERED_OF_ORDERS = (
    sa.select(outbox.c.id, outbox.c.order_id)
    .where(
        _UNDELIVERED,
        outbox.c.order_id.in_(sa.bindparam("orders", expanding=True)),
        outbox.c.id <= sa.bindparam("last"),
    )
    .order_by(outbox.c.id)
)
_MARK_DELIVERED = (
    sa.update(outbox)
    .where(outbox.c.id.in_(sa.bindparam("ids", expanding=True)))
    .values(delivered_date=sa.bindparam("at", type_=outbox.c.delivered_date.type))
)
_PURGE_DELIVERED = sa.delete(outbox).where(
    outbox.c.delivered_date.is_not(None), outbox.c.delivered_date < sa.bindparam("before")
)


class SqlAlchemyOutbox(_Bound):
    """The outbox in the ``outbox`` table (see
    :class:`guest_orders.ports.OutboxRepository`).

    ``add_all``: one INSERT, after locking the events' orders' rows (``SELECT ... FOR NO
    KEY UPDATE`` on PostgreSQL; nothing on SQLite, whose writers take turns), so that the
    events of one order get their ids in commit order. ``pending``: ``SELECT ... FOR
    UPDATE SKIP LOCKED`` on PostgreSQL (the lock clause is left out on SQLite, where one
    relay runs), then one SELECT to keep, for each order, only its oldest undelivered
    events. ``mark_delivered`` and ``purge_delivered``: one statement each.
    """

    def add_all(self, events: Sequence[Event]) -> None:
        if not events:
            return
        connection = self._connection
        if connection.dialect.name != "sqlite":
            connection.execute(_LOCK_ORDERS, {"orders": sorted({e.order for e in events})})
        connection.execute(
            _INSERT_EVENTS,
            [
                {
                    "event_id": event.event_id,
                    "type": event.type,
                    "order_id": event.order,
                    "payload": render_event(event),
                    "created_date": event.created_date,
                }
                for event in events
            ],
        )

    def pending(self, limit: int) -> Sequence[StoredEvent]:
        claimed = self._connection.execute(_CLAIM_EVENTS, {"limit": limit}).all()
        if not claimed:
            return []
        # An order's older undelivered event not in this batch is held by another relay:
        # keep, of each order, only the events before the first one missing.
        ours = {row.id for row in claimed}
        undelivered = self._connection.execute(
            _UNDELIVERED_OF_ORDERS,
            {"orders": sorted({row.order_id for row in claimed}), "last": claimed[-1].id},
        )
        kept: set[int] = set()
        stopped: set[int] = set()
        for row in undelivered:
            if row.order_id in stopped:
                continue
            if row.id in ours:
                kept.add(row.id)
            else:
                stopped.add(row.order_id)
        return [
            StoredEvent(position=row.id, event=parse_event(row.payload))
            for row in claimed
            if row.id in kept
        ]

    def mark_delivered(self, positions: Sequence[int], at: datetime) -> None:
        if positions:
            self._connection.execute(_MARK_DELIVERED, {"ids": list(positions), "at": at})

    def purge_delivered(self, before: datetime) -> int:
        return self._connection.execute(_PURGE_DELIVERED, {"before": before}).rowcount


class SqlAlchemyImageStore(_Bound):
    """Image bytes in the ``images`` table, addressed ``db://images/<uuid>``.

    ``put`` only queues the image; the queue is written with one INSERT when the
    transaction commits, so an image whose request is rolled back (or deleted before
    the commit) costs no statement at all, and a batch costs one INSERT whatever the
    number of images.
    """

    def __init__(self, connection: sa.Connection) -> None:
        super().__init__(connection)
        self._pending: dict[str, ImageUpload] = {}

    def put(self, image: ImageUpload) -> ImageRef:
        url = f"{IMAGE_URL_PREFIX}{uuid.uuid4()}"
        self._pending[url] = image
        return ImageRef(image=url, description=image.description)

    def delete(self, ref: ImageRef) -> None:
        if self._pending.pop(ref.image, None) is not None:
            return
        image_id = _image_id(ref.image)
        if image_id is not None:
            self._connection.execute(_DELETE_IMAGE, {"id": image_id})

    def get(self, url: str) -> ImageUpload | None:
        """The image stored under ``url`` (as this transaction sees it), or ``None``."""
        if url in self._pending:
            return self._pending[url]
        image_id = _image_id(url)
        if image_id is None:
            return None
        row = self._connection.execute(_GET_IMAGE, {"id": image_id}).mappings().one_or_none()
        if row is None:
            return None
        return ImageUpload(
            content=bytes(row["content"]),
            media_type=row["media_type"],
            description=row["description"],
        )

    def flush(self) -> None:
        """Write the queued images (one INSERT). :class:`SqlAlchemyStore` calls this just
        before it commits."""
        if not self._pending:
            return
        rows: list[dict[str, Any]] = [
            {
                "id": _image_id(url),
                "content": image.content,
                "media_type": image.media_type,
                "description": image.description,
            }
            for url, image in self._pending.items()
        ]
        self._connection.execute(sa.insert(images), rows)
        self._pending.clear()


def _image_id(url: str) -> uuid.UUID | None:
    if not url.startswith(IMAGE_URL_PREFIX):
        return None
    try:
        return uuid.UUID(url.removeprefix(IMAGE_URL_PREFIX))
    except ValueError:
        return None


@attrs.frozen(kw_only=True)
class SqlAlchemyRepositories:
    """The repositories of one transaction (see :meth:`SqlAlchemyStore.transaction`).

    ``connection`` is the transaction's connection, for a host's own statements in the
    same transaction.
    """

    connection: sa.Connection
    orders: SqlAlchemyOrderRepository
    cancellation_requests: SqlAlchemyCancellationRequestRepository
    reasons: SqlAlchemyCancellationReasonRepository
    shipping_companies: SqlAlchemyEasyReturnShippingCompanyRepository
    addresses: SqlAlchemyAddressRepository
    images: ImageStore
    idempotency: SqlAlchemyIdempotencyRepository
    outbox: SqlAlchemyOutbox

    @classmethod
    def bind(cls, connection: sa.Connection, *, images: ImageStore) -> SqlAlchemyRepositories:
        return cls(
            connection=connection,
            orders=SqlAlchemyOrderRepository(connection),
            cancellation_requests=SqlAlchemyCancellationRequestRepository(connection),
            reasons=SqlAlchemyCancellationReasonRepository(connection),
            shipping_companies=SqlAlchemyEasyReturnShippingCompanyRepository(connection),
            addresses=SqlAlchemyAddressRepository(connection),
            images=images,
            idempotency=SqlAlchemyIdempotencyRepository(connection),
            outbox=SqlAlchemyOutbox(connection),
        )
