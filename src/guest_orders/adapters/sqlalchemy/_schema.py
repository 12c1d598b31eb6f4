"""The tables: one ``MetaData`` a host can create, migrate (Alembic) or read as a recipe."""

from __future__ import annotations

import enum
from typing import Any

import sqlalchemy as sa

from guest_orders.adapters.sqlalchemy._types import ExactDecimal, UtcDateTime
from guest_orders.domain import (
    CancellationRequestStatus,
    CancellationType,
    CustomerKind,
    OrderStatus,
    OrderType,
    PaymentType,
)

__all__ = [
    "ACTIVE_STATUSES",
    "IDEMPOTENCY_KEY_CONSTRAINT",
    "ONE_ACTIVE_INDEX",
    "addresses",
    "cancellation_reasons",
    "cancellation_request_images",
    "cancellation_requests",
    "create_schema",
    "easy_return_shipping_companies",
    "idempotency_keys",
    "images",
    "metadata",
    "order_items",
    "orders",
    "outbox",
]

#: Name of the partial unique index that keeps one active request per order item.
ONE_ACTIVE_INDEX = "uq_cancellation_requests_one_active"

#: Name of the unique constraint that scopes an idempotency key to its order.
IDEMPOTENCY_KEY_CONSTRAINT = "uq_idempotency_keys_order_id_key"

#: The stored values of the statuses that count as active.
ACTIVE_STATUSES: tuple[str, ...] = tuple(
    status.value for status in CancellationRequestStatus if status.is_active
)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT keys; on SQLite a plain INTEGER so an autoincrementing key is the rowid.
_Key = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_class]


def _enum(enum_class: type[enum.Enum], name: str) -> sa.Enum:
    """An enum stored by its value in a VARCHAR with a CHECK constraint (no native type,
    so adding a value later is a plain migration)."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        values_callable=_values,
        validate_strings=True,
        length=max(len(value) for value in _values(enum_class)),
    )


def _key(name: str, **kwargs: Any) -> sa.Column[int]:
    """A primary key the domain assigns (orders, items, reasons...)."""
    return sa.Column(name, _Key, primary_key=True, autoincrement=False, **kwargs)


def _money(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, ExactDecimal(), nullable=nullable)


orders = sa.Table(
    "orders",
    metadata,
    _key("pk"),
    sa.Column("number", sa.Text, nullable=False, unique=True),
    sa.Column("customer_id", _Key, nullable=False),
    sa.Column("customer_kind", _enum(CustomerKind, "customer_kind"), nullable=False),
    sa.Column("user_email", sa.Text, nullable=False),
    sa.Column("status", _enum(OrderStatus, "order_status"), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("payment_type", _enum(PaymentType, "payment_type"), nullable=False),
    _money("amount"),
    _money("discount_amount"),
    _money("shipping_amount"),
    _money("shipping_tax_rate", nullable=True),
    _money("refund_amount"),
    _money("discount_refund_amount"),
    _money("shipping_refund_amount"),
    sa.Column("installment_count", sa.Integer, nullable=False),
    _money("installment_interest_amount"),
    sa.Column("order_type", _enum(OrderType, "order_type"), nullable=True),
    sa.Column("tracking_url", sa.Text),
    sa.Column("tracking_number", sa.Text),
    sa.Column("invoice_number", sa.Text),
    sa.Column("invoice_date", UtcDateTime()),
    sa.Column("e_archive_url", sa.Text),
    sa.Column("has_gift_box", sa.Boolean),
    sa.Column("gift_box_note", sa.Text),
    sa.Column("notes", sa.Text),
    sa.Column("bin_number", sa.Text),
    # The carrier and the bank are small value objects: stored inline, NULL when absent.
    sa.Column("shipping_company_value", sa.Text),
    sa.Column("shipping_company_label", sa.Text),
    sa.Column("bank_pk", _Key),
    sa.Column("bank_name", sa.Text),
    sa.Column("bank_slug", sa.Text),
    sa.Column("bank_logo", sa.Text),
    sa.Column("extra_field", sa.JSON(none_as_null=True)),
    sa.Column("created_date", UtcDateTime(), nullable=False),
    sa.Column("modified_date", UtcDateTime(), nullable=False),
    sa.CheckConstraint(
        "(shipping_company_value IS NULL) = (shipping_company_label IS NULL)",
        name="shipping_company_whole",
    ),
    sa.CheckConstraint(
        "(bank_pk IS NULL) = (bank_name IS NULL) AND (bank_pk IS NULL) = (bank_slug IS NULL)",
        name="bank_whole",
    ),
)

order_items = sa.Table(
    "order_items",
    metadata,
    _key("pk"),
    sa.Column("order_id", _Key, sa.ForeignKey("orders.pk", ondelete="CASCADE"), nullable=False),
    # Where the item sits in ``Order.items``: the tuple comes back in the same order.
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("status", _enum(OrderStatus, "order_item_status"), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    _money("price"),
    sa.Column("product_pk", _Key, nullable=False),
    sa.Column("product_name", sa.Text, nullable=False),
    sa.Column("product_sku", sa.Text, nullable=False),
    sa.Column("product_image", sa.Text),
    sa.Column("delivered_date", UtcDateTime()),
    # Lets a cancellation request reference (order, item) and so prove they belong together.
    sa.UniqueConstraint("order_id", "pk"),
    sa.UniqueConstraint("order_id", "position"),
    sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
)

cancellation_reasons = sa.Table(
    "cancellation_reasons",
    metadata,
    _key("pk"),
    sa.Column("uuid", sa.Uuid, nullable=False, unique=True),
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column(
        "cancellation_type",
        _enum(CancellationType, "reason_cancellation_type"),
        nullable=False,
    ),
    sa.Column("is_active", sa.Boolean, nullable=False),
    sa.Column("extra_information_needed", sa.Boolean, nullable=False),
    sa.Column("sort_order", sa.Integer, nullable=False),
    sa.Column("translations", sa.JSON(none_as_null=True)),
    sa.Column("created_date", UtcDateTime()),
    sa.Column("modified_date", UtcDateTime()),
)

easy_return_shipping_companies = sa.Table(
    "easy_return_shipping_companies",
    metadata,
    _key("pk"),
    sa.Column("shipping_company_value", sa.Text, nullable=False),
    sa.Column("shipping_company_label", sa.Text, nullable=False),
    sa.Column("is_active", sa.Boolean, nullable=False),
)

addresses = sa.Table(
    "addresses",
    metadata,
    _key("pk"),
    sa.Column("customer_id", _Key, nullable=False, index=True),
)

cancellation_requests = sa.Table(
    "cancellation_requests",
    metadata,
    sa.Column("id", _Key, sa.Identity(), primary_key=True),
    sa.Column("uuid", sa.Uuid, nullable=False, unique=True),
    sa.Column("order_id", _Key, nullable=False),
    sa.Column("order_item_id", _Key, nullable=False, index=True),
    sa.Column("reason_id", _Key, sa.ForeignKey("cancellation_reasons.pk"), nullable=False),
    sa.Column(
        "cancellation_type",
        _enum(CancellationType, "request_cancellation_type"),
        nullable=False,
    ),
    sa.Column("status", _enum(CancellationRequestStatus, "request_status"), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("quantity", sa.Integer),
    sa.Column("iban", sa.String(34)),
    sa.Column("holder_name", sa.Text),
    sa.Column("easy_return_code", sa.Text),
    sa.Column(
        "easy_return_shipping_company_id",
        _Key,
        sa.ForeignKey("easy_return_shipping_companies.pk"),
    ),
    # The carrier as the request names it (``EasyReturn.shipping_company`` is a value):
    # the request reads back as it was stored, whatever later happens to the carrier.
    sa.Column("easy_return_shipping_company_value", sa.Text),
    sa.Column("easy_return_shipping_company_label", sa.Text),
    sa.Column("easy_return_shipping_company_is_active", sa.Boolean),
    sa.Column("pickup_address_id", _Key, sa.ForeignKey("addresses.pk")),
    sa.Column("pickup_date", sa.Date),
    sa.Column("pickup_start", sa.Time),
    sa.Column("pickup_end", sa.Time),
    sa.Column("fully_refund_as_loyalty_money", sa.Boolean, nullable=False),
    sa.Column("created_date", UtcDateTime(), nullable=False),
    sa.Column("modified_date", UtcDateTime(), nullable=False),
    # The item must belong to the order the request names.
    sa.ForeignKeyConstraint(
        ["order_id", "order_item_id"], ["order_items.order_id", "order_items.pk"]
    ),
    sa.CheckConstraint("quantity IS NULL OR quantity >= 1", name="quantity_positive"),
    sa.CheckConstraint(
        "(easy_return_code IS NULL) = (easy_return_shipping_company_id IS NULL)"
        " AND (easy_return_code IS NULL) = (easy_return_shipping_company_value IS NULL)"
        " AND (easy_return_code IS NULL) = (easy_return_shipping_company_label IS NULL)"
        " AND (easy_return_code IS NULL) = (easy_return_shipping_company_is_active IS NULL)",
        name="easy_return_whole",
    ),
    sa.CheckConstraint(
        "(pickup_date IS NULL) = (pickup_start IS NULL)"
        " AND (pickup_date IS NULL) = (pickup_end IS NULL)",
        name="pickup_date_whole",
    ),
)

# The one-active rule, kept by the database itself: at most one waiting-or-approved
# request per order item, whatever the number of concurrent writers.
sa.Index(
    ONE_ACTIVE_INDEX,
    cancellation_requests.c.order_item_id,
    unique=True,
    sqlite_where=cancellation_requests.c.status.in_(ACTIVE_STATUSES),
    postgresql_where=cancellation_requests.c.status.in_(ACTIVE_STATUSES),
)

cancellation_request_images = sa.Table(
    "cancellation_request_images",
    metadata,
    sa.Column("id", _Key, sa.Identity(), primary_key=True),
    sa.Column(
        "cancellation_request_id",
        _Key,
        sa.ForeignKey("cancellation_requests.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # Where the image sits in ``CancellationRequest.images``.
    sa.Column("position", sa.Integer, nullable=False),
    # A reference (URL), not the bytes: the bytes live in an image store.
    sa.Column("image", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
    sa.UniqueConstraint("cancellation_request_id", "position"),
)

#: The bytes of the images :class:`SqlAlchemyImageStore` keeps, addressed
#: ``db://images/<uuid>``.
images = sa.Table(
    "images",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("description", sa.Text),
)


#: What the first cancellation with an idempotency key created, to answer its retries.
#: A key is scoped to its order; ``request_ids`` is the JSON list of the requests' ids in
#: the order they were answered. Rows may be purged by ``created_date`` once retries are
#: no longer expected (a day is plenty): a purged key simply counts as new.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("id", _Key, sa.Identity(), primary_key=True),
    sa.Column("order_id", _Key, sa.ForeignKey("orders.pk", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("request_ids", sa.JSON, nullable=False),
    sa.Column("created_date", UtcDateTime(), nullable=False, index=True),
    sa.UniqueConstraint("order_id", "key", name=IDEMPOTENCY_KEY_CONSTRAINT),
)


#: The transactional outbox: domain events written in the transaction of the requests they
#: describe, delivered by relays (``guest_orders.relay``) in ``id`` order. ``id`` only
#: grows (``AUTOINCREMENT`` on SQLite: never reused, even after a purge); ``payload`` is
#: the event as ``guest_orders.wire.render_event`` renders it; ``delivered_date`` is set
#: once a relay has delivered it, and delivered rows are purged after a retention period.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", _Key, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.Uuid, nullable=False, unique=True),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("order_id", _Key, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_date", UtcDateTime(), nullable=False),
    sa.Column("delivered_date", UtcDateTime(), index=True),
    sqlite_autoincrement=True,
)

# What relays scan: the undelivered events, by id (delivered ones pile up until purged).
sa.Index(
    "ix_outbox_undelivered",
    outbox.c.id,
    sqlite_where=outbox.c.delivered_date.is_(None),
    postgresql_where=outbox.c.delivered_date.is_(None),
)


def create_schema(engine: sa.Engine) -> None:
    """Create every table and index that does not exist yet (idempotent).

    For production prefer migrations (Alembic's autogenerate reads :data:`metadata`).
    """
    metadata.create_all(engine)
