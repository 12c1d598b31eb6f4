"""The repositories on SQLite and PostgreSQL: what goes in comes out equal, field by
field, and ``add_all`` stores a whole batch or nothing, one active request per item."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from guest_orders.adapters.sqlalchemy import (
    ONE_ACTIVE_INDEX,
    ExactDecimal,
    SqlAlchemyImageStore,
    SqlAlchemyStore,
    UtcDateTime,
    _rows,
    cancellation_request_images,
    cancellation_requests,
    create_schema,
    images,
    make_engine,
)
from guest_orders.domain import (
    Address,
    Bank,
    CancellationReason,
    CancellationRequest,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    ImageRef,
    ImageUpload,
    Order,
    OrderItem,
    OrderStatus,
    OrderType,
    PaymentType,
    PickupDate,
    Product,
    ShippingCompany,
)
from guest_orders.ports import ActiveRequestExists
from sql._tables import RecordStatements

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
ISTANBUL = timezone(timedelta(hours=3))
GUEST_EMAIL = "Guest.Buyer@example.com"
CUSTOMER_ID = 7001
CANCEL_REASON = 1
REFUND_REASON = 2
COMPANY = 10
ADDRESS = 20
IBAN = "TR330006100519786457841326"
PNG = ImageUpload(content=b"\x89PNG\r\n\x1a\n\x00fake", media_type="image/png", description="box")
EMPTY = {"cancellation_requests": 0, "cancellation_request_images": 0, "images": 0}


# --- builders ---------------------------------------------------------------------------


def full_item(pk: int, *, position: int = 0) -> OrderItem:
    """An item with every optional field set."""
    return OrderItem(
        pk=pk,
        status=OrderStatus.APPROVED,
        quantity=3,
        price=Decimal("1.10") + position,
        product=Product(
            pk=5000 + pk, name=f"Ürün {pk} — çay", sku=f"SKU-{pk}", image="https://cdn/p.png"
        ),
        delivered_date=datetime(2024, 6, 1, 9, 30, 15, 123456, tzinfo=ISTANBUL),
    )


def full_order(
    pk: int = 1, *, number: str = "2745403029312170", item_pks: Sequence[int] = (101, 102)
) -> Order:
    """An order with every optional field set, non-default values throughout."""
    return Order(
        pk=pk,
        number=number,
        customer=Customer(id=CUSTOMER_ID, kind=CustomerKind.GUEST),
        user_email=GUEST_EMAIL,
        status=OrderStatus.APPROVED,
        currency=Currency(code="TRY"),
        payment_type=PaymentType.PAY_ON_DELIVERY,
        amount=Decimal("12345678901234.5678"),
        discount_amount=Decimal("1.10"),
        shipping_amount=Decimal("29.990"),
        shipping_tax_rate=Decimal("0.18"),
        refund_amount=Decimal("0.0001"),
        discount_refund_amount=Decimal(2),
        shipping_refund_amount=Decimal("0.00"),
        installment_count=6,
        installment_interest_amount=Decimal("12.3400"),
        order_type=OrderType.REPLACEMENT,
        tracking_url="https://track.example/1",
        tracking_number="TRK-1",
        invoice_number="INV-1",
        invoice_date=datetime(
            2024, 6, 2, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(hours=5, minutes=30))
        ),
        e_archive_url="https://e-archive.example/1",
        has_gift_box=False,
        gift_box_note="Mutlu yıllar!",
        notes="Kapıya bırakın",
        bin_number="45454545",
        shipping_company=ShippingCompany(value="yurtici", label="Yurtiçi Kargo"),
        bank=Bank(pk=3, name="Akbank", slug="akbank", logo="https://cdn/akbank.png"),
        extra_field={"rewards": [1, 2.5, None, True], "nested": {"ş": "ğ", "n": {"deep": []}}},
        created_date=datetime(2024, 6, 1, 8, 0, tzinfo=ISTANBUL),
        modified_date=NOW,
        items=[full_item(item_pk, position=index) for index, item_pk in enumerate(item_pks)],
    )


def minimal_order(pk: int = 2, *, number: str = "ORD-2024-001234") -> Order:
    """An order with every optional field left at its default (and no items)."""
    return Order(
        pk=pk,
        number=number,
        customer=Customer(id=CUSTOMER_ID + 1, kind=CustomerKind.REGISTERED),
        user_email="someone@example.com",
        status=OrderStatus.WAITING,
        currency=Currency(code="EUR"),
        payment_type=PaymentType.CREDIT_CARD,
        amount=Decimal(0),
        created_date=NOW,
        modified_date=NOW,
        items=[],
    )


def reasons() -> list[CancellationReason]:
    return [
        CancellationReason(
            pk=CANCEL_REASON,
            subject="Changed my mind",
            cancellation_type=CancellationType.CANCEL,
            order=2,
            translations={"tr": "Fikrimi değiştirdim", "de": "Meinung geändert"},
            uuid=uuid.UUID("6f1c1e0e-0000-4000-8000-000000000001"),
            created_date=datetime(2023, 1, 1, tzinfo=ISTANBUL),
            modified_date=NOW,
        ),
        CancellationReason(
            pk=REFUND_REASON,
            subject="Damaged",
            cancellation_type=CancellationType.REFUND,
            extra_information_needed=True,
            order=1,
            uuid=uuid.UUID("6f1c1e0e-0000-4000-8000-000000000002"),
        ),
        CancellationReason(
            pk=3,
            subject="Retired",
            cancellation_type=CancellationType.CANCEL,
            is_active=False,
            order=0,
            uuid=uuid.UUID("6f1c1e0e-0000-4000-8000-000000000003"),
        ),
    ]


def companies() -> list[EasyReturnShippingCompany]:
    return [
        EasyReturnShippingCompany(
            pk=COMPANY, shipping_company=ShippingCompany(value="yurtici", label="Yurtiçi Kargo")
        ),
        EasyReturnShippingCompany(
            pk=11,
            shipping_company=ShippingCompany(value="aras", label="Aras Kargo"),
            is_active=False,
        ),
        EasyReturnShippingCompany(
            pk=9, shipping_company=ShippingCompany(value="mng", label="MNG Kargo")
        ),
    ]


def addresses() -> list[Address]:
    return [Address(pk=ADDRESS, customer_id=CUSTOMER_ID), Address(pk=21, customer_id=1)]


def full_request(order: Order, order_item: int, **overrides: Any) -> CancellationRequest:
    """A stored-looking request with every optional field set."""
    fields: dict[str, Any] = {
        "uuid": uuid.uuid4(),
        "order": order.pk,
        "order_item": order_item,
        "reason": REFUND_REASON,
        "cancellation_type": CancellationType.REFUND,
        "status": CancellationRequestStatus.APPROVED,
        "description": "Kutusu ezik geldi",
        "quantity": 2,
        "iban": Iban(IBAN),
        "holder_name": "Ayşe Yılmaz",
        "easy_return": EasyReturn(code="ABCD234567", shipping_company=companies()[0]),
        "pickup_address": ADDRESS,
        "pickup_date": PickupDate(date=date(2024, 6, 20), start=time(9, 0), end=time(12, 30)),
        "images": [
            ImageRef(image="https://img.example/1.png", description="front"),
            ImageRef(image="https://img.example/2.png"),
            ImageRef(image="db://images/elsewhere", description="third"),
        ],
        "fully_refund_as_loyalty_money": True,
        "created_date": datetime(2024, 6, 14, 10, 0, 0, 1, tzinfo=ISTANBUL),
        "modified_date": NOW,
    }
    fields.update(overrides)
    return CancellationRequest(**fields)


def minimal_request(order: Order, order_item: int, **overrides: Any) -> CancellationRequest:
    fields: dict[str, Any] = {
        "uuid": uuid.uuid4(),
        "order": order.pk,
        "order_item": order_item,
        "reason": CANCEL_REASON,
        "cancellation_type": CancellationType.CANCEL,
        "created_date": NOW,
        "modified_date": NOW,
    }
    fields.update(overrides)
    return CancellationRequest(**fields)


def seed(store: SqlAlchemyStore, *orders: Order) -> None:
    store.load(
        orders=orders, reasons=reasons(), shipping_companies=companies(), addresses=addresses()
    )


def count_rows(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


def count_request_rows(engine: sa.Engine) -> dict[str, int]:
    return {
        table.name: count_rows(engine, table)
        for table in (cancellation_requests, cancellation_request_images, images)
    }


# --- round trips ------------------------------------------------------------------------


def test_a_miss_does_the_work_of_a_hit(
    engine: sa.Engine,
    store: SqlAlchemyStore,
    record_statements: RecordStatements,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown number sends the statement a known one does and converts as many rows
    (the decoy's, a one-item order): it does not answer sooner (docs/security.md)."""
    known = full_order(item_pks=(101,))
    seed(store, known)
    converted: list[int] = []
    convert = _rows.order_from_rows

    def counting(rows: Sequence[Any]) -> Order:
        converted.append(len(rows))
        return convert(rows)

    monkeypatch.setattr(_rows, "order_from_rows", counting)
    sent: dict[str, list[str]] = {}
    for number in (known.number, "9999999999"):
        with record_statements(engine) as statements, store.transaction() as repos:
            repos.orders.find_by_number(number)
        sent[number] = statements
    assert sent[known.number] == sent["9999999999"]
    assert converted == [1, 1]


def test_orders_round_trip_with_every_field(store: SqlAlchemyStore) -> None:
    full = full_order(item_pks=(103, 101, 102))  # items keep their order, not pk order
    minimal = minimal_order()
    store.load(orders=[full, minimal])

    with store.transaction() as repos:
        assert repos.orders.find_by_number(full.number) == full
        assert repos.orders.find_by_number(minimal.number) == minimal
        assert repos.orders.find_by_number("no such order") is None


def test_loaded_values_have_the_domain_types(store: SqlAlchemyStore) -> None:
    order = full_order()
    store.load(orders=[order])

    with store.transaction() as repos:
        loaded = repos.orders.find_by_number(order.number)

    assert loaded is not None
    assert type(loaded.amount) is Decimal
    assert loaded.status is OrderStatus.APPROVED
    assert loaded.created_date.utcoffset() == timedelta(0)  # normalized to UTC...
    assert loaded.created_date == order.created_date  # ...the same instant
    assert loaded.extra_field == order.extra_field


def test_reasons_companies_and_addresses_round_trip(store: SqlAlchemyStore) -> None:
    store.load(reasons=reasons(), shipping_companies=companies(), addresses=addresses())
    by_pk = {reason.pk: reason for reason in reasons()}

    with store.transaction() as repos:
        assert repos.reasons.get_many([1, 2, 3, 99]) == by_pk
        assert repos.reasons.get_many([]) == {}
        # Active only, by ``order`` then pk.
        assert list(repos.reasons.list_active()) == [by_pk[2], by_pk[1]]
        # Active only, by pk.
        assert list(repos.shipping_companies.list_active()) == [
            companies()[2],
            companies()[0],
        ]
        assert repos.addresses.get(20) == addresses()[0]
        assert repos.addresses.get(99) is None


def test_cancellation_requests_round_trip_with_every_field(store: SqlAlchemyStore) -> None:
    order = full_order(item_pks=(101, 102, 103))
    seed(store, order)
    full = full_request(order, 101)
    minimal = minimal_request(order, 102)

    with store.transaction() as repos:
        stored = repos.cancellation_requests.add_all([full, minimal])

    assert [request.id for request in stored] == [1, 2]
    assert stored == [attrs.evolve(full, id=1), attrs.evolve(minimal, id=2)]
    with store.transaction() as repos:
        assert repos.cancellation_requests.active_for_items([101, 102, 103]) == {
            101: stored[0],
            102: stored[1],
        }


def test_inactive_requests_are_stored_but_not_active(store: SqlAlchemyStore) -> None:
    order = full_order(item_pks=(101,))
    seed(store, order)
    old = [
        minimal_request(order, 101, status=status)
        for status in (CancellationRequestStatus.REJECTED, CancellationRequestStatus.COMPLETED)
        for _ in range(2)
    ]

    with store.transaction() as repos:
        repos.cancellation_requests.add_all(old)
        assert repos.cancellation_requests.active_for_items([101]) == {}
        (active,) = repos.cancellation_requests.add_all([minimal_request(order, 101)])
        assert repos.cancellation_requests.active_for_items([101]) == {101: active}


def test_load_keeps_given_request_ids_and_later_ids_follow(store: SqlAlchemyStore) -> None:
    order = full_order(item_pks=(101, 102, 103))
    seed(store, order)
    kept = store.load(cancellation_requests=[full_request(order, 101, id=41)])

    with store.transaction() as repos:
        (fresh,) = repos.cancellation_requests.add_all([minimal_request(order, 102)])
        assert repos.cancellation_requests.active_for_items([101]) == {101: kept[0]}

    assert kept[0].id == 41
    assert fresh.id is not None
    assert fresh.id > 41


DECIMALS = [
    "12345678901234.5678",
    "1.10",
    "1.1",
    "0",
    "0.00",
    "0.0001",
    "99999999999999999999999999999.999999999999",
    "1E-12",
]


@pytest.mark.parametrize("text", DECIMALS)
def test_money_keeps_value_and_scale(store: SqlAlchemyStore, text: str) -> None:
    amount = Decimal(text)
    item = OrderItem(
        pk=1,
        status=OrderStatus.APPROVED,
        quantity=1,
        price=amount,
        product=Product(pk=1, name="p", sku="s"),
    )
    # copy_negate, not unary minus: minus rounds to the context's 28 digits.
    negated = amount.copy_negate()
    order = attrs.evolve(minimal_order(), amount=amount, shipping_tax_rate=negated, items=[item])
    store.load(orders=[order])

    with store.transaction() as repos:
        loaded = repos.orders.find_by_number(order.number)

    assert loaded is not None
    assert loaded.shipping_tax_rate is not None
    for got, expected in (
        (loaded.amount, amount),
        (loaded.items[0].price, amount),
        (loaded.shipping_tax_rate, negated),
    ):
        assert got == expected
        assert got.as_tuple().exponent == expected.as_tuple().exponent, (got, expected)
    assert loaded == order


def test_money_with_a_positive_exponent_keeps_its_value(
    engine: sa.Engine, store: SqlAlchemyStore
) -> None:
    """PostgreSQL's NUMERIC has no negative scale: ``1E+2`` reads back as ``100`` (equal).
    SQLite keeps the exact text."""
    order = attrs.evolve(minimal_order(), amount=Decimal("1E+2"))
    store.load(orders=[order])

    with store.transaction() as repos:
        loaded = repos.orders.find_by_number(order.number)

    assert loaded is not None
    assert loaded.amount == Decimal(100)
    expected = "100" if engine.dialect.name == "postgresql" else "1E+2"
    assert str(loaded.amount) == expected


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 3, 31, 2, 30, 0, 1, tzinfo=timezone(timedelta(hours=14))),
        datetime(
            1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(hours=9, minutes=30))
        ),
        datetime(2038, 1, 19, 3, 14, 8, tzinfo=timezone(timedelta(hours=3))),
    ],
)
def test_datetimes_keep_their_instant(store: SqlAlchemyStore, moment: datetime) -> None:
    order = attrs.evolve(minimal_order(), created_date=moment, invoice_date=moment)
    store.load(orders=[order])

    with store.transaction() as repos:
        loaded = repos.orders.find_by_number(order.number)

    assert loaded is not None
    assert loaded.created_date == moment
    assert loaded.invoice_date == moment
    assert loaded.created_date.tzinfo is UTC


def test_customer_kind_and_nullable_fields(store: SqlAlchemyStore) -> None:
    order = attrs.evolve(
        minimal_order(),
        has_gift_box=True,
        extra_field={},
        customer=attrs.evolve(minimal_order().customer, id=CUSTOMER_ID),
    )
    store.load(orders=[order])

    with store.transaction() as repos:
        assert repos.orders.find_by_number(order.number) == order


def test_images_round_trip_through_the_database(store: SqlAlchemyStore) -> None:
    upload = ImageUpload(content=bytes(range(256)) * 10, media_type="image/webp")
    with store.transaction() as repos:
        ref = repos.images.put(upload)
        assert ref.image.startswith("db://images/")
        assert isinstance(repos.images, SqlAlchemyImageStore)
        assert repos.images.get(ref.image) == upload  # visible before the commit too
        described = repos.images.put(PNG)
        assert described.description == PNG.description

    with store.transaction() as repos:
        assert isinstance(repos.images, SqlAlchemyImageStore)
        assert repos.images.get(ref.image) == upload
        assert repos.images.get(described.image) == PNG
        repos.images.delete(ref)
        assert repos.images.get(ref.image) is None
        assert repos.images.get("https://elsewhere/x.png") is None
        assert repos.images.get("db://images/not-a-uuid") is None


def test_images_of_a_rolled_back_transaction_are_not_stored(store: SqlAlchemyStore) -> None:
    class Abort(Exception):
        pass

    refs: list[ImageRef] = []

    def put_then_fail() -> None:
        with store.transaction() as repos:
            refs.append(repos.images.put(PNG))
            raise Abort

    with pytest.raises(Abort):
        put_then_fail()

    (ref,) = refs
    with store.transaction() as repos:
        assert isinstance(repos.images, SqlAlchemyImageStore)
        assert repos.images.get(ref.image) is None


def test_column_types_refuse_what_they_cannot_keep(engine: sa.Engine) -> None:
    table = sa.Table(
        "type_probe",
        sa.MetaData(),
        sa.Column("money", ExactDecimal()),
        sa.Column("moment", UtcDateTime()),
    )
    table.create(engine)
    with engine.begin() as connection:
        for bad in (
            {"money": 1.5},
            {"money": Decimal("NaN")},
            {"moment": NOW.replace(tzinfo=None)},
        ):
            with pytest.raises(sa.exc.StatementError) as caught:
                connection.execute(sa.insert(table), bad)
            assert isinstance(caught.value.orig, TypeError)
        connection.execute(sa.insert(table), {"money": None, "moment": None})
        assert connection.execute(sa.select(table)).one() == (None, None)


# --- add_all: all or nothing, one active request per item --------------------------------


def test_a_batch_touching_an_item_with_an_active_request_stores_nothing(
    engine: sa.Engine, store: SqlAlchemyStore
) -> None:
    order = full_order(item_pks=(101, 102, 103))
    seed(store, order)
    store.load(cancellation_requests=[minimal_request(order, 102)])

    with pytest.raises(ActiveRequestExists) as caught, store.transaction() as repos:
        repos.cancellation_requests.add_all(
            [minimal_request(order, 101), minimal_request(order, 102), full_request(order, 103)]
        )

    assert caught.value.order_items == {102}
    assert caught.value.code == "cancellation_request_100_1"
    assert count_request_rows(engine) == {**EMPTY, "cancellation_requests": 1}


def test_an_item_twice_in_one_batch_is_refused(engine: sa.Engine, store: SqlAlchemyStore) -> None:
    order = full_order(item_pks=(101, 102))
    seed(store, order)

    with pytest.raises(ActiveRequestExists) as caught, store.transaction() as repos:
        repos.cancellation_requests.add_all(
            [minimal_request(order, 101), minimal_request(order, 102), full_request(order, 101)]
        )

    assert caught.value.order_items == {101}
    assert count_request_rows(engine) == EMPTY


def test_a_refused_batch_leaves_the_transaction_usable(
    engine: sa.Engine, store: SqlAlchemyStore
) -> None:
    """The batch runs in a SAVEPOINT: its failure undoes the batch, not the transaction."""
    order = full_order(item_pks=(101, 102, 103))
    seed(store, order)
    store.load(cancellation_requests=[minimal_request(order, 101)])

    with store.transaction() as repos:
        with pytest.raises(ActiveRequestExists):
            repos.cancellation_requests.add_all(
                [full_request(order, 102), minimal_request(order, 101)]
            )
        (stored,) = repos.cancellation_requests.add_all([minimal_request(order, 103)])

    with store.transaction() as repos:
        active = repos.cancellation_requests.active_for_items([101, 102, 103])
    assert sorted(active) == [101, 103]
    assert active[103] == stored
    assert count_request_rows(engine)["cancellation_request_images"] == 0


def test_the_database_itself_refuses_a_second_active_request(
    engine: sa.Engine, store: SqlAlchemyStore
) -> None:
    """Whoever writes to the table, even around the repository: the partial unique index."""
    order = full_order(item_pks=(101,))
    seed(store, order)
    store.load(cancellation_requests=[minimal_request(order, 101)])
    row = {
        "uuid": minimal_request(order, 101).uuid,
        "order_id": order.pk,
        "order_item_id": 101,
        "reason_id": 1,
        "cancellation_type": CancellationType.CANCEL,
        "fully_refund_as_loyalty_money": False,
        "created_date": order.created_date,
        "modified_date": order.created_date,
    }

    with pytest.raises(sa.exc.IntegrityError) as caught, engine.begin() as connection:
        connection.execute(
            sa.insert(cancellation_requests), {**row, "status": CancellationRequestStatus.APPROVED}
        )
    assert ONE_ACTIVE_INDEX in str(caught.value) or "order_item_id" in str(caught.value)

    with engine.begin() as connection:  # an inactive one is fine
        connection.execute(
            sa.insert(cancellation_requests), {**row, "status": CancellationRequestStatus.REJECTED}
        )


def test_other_integrity_errors_are_not_disguised(store: SqlAlchemyStore) -> None:
    """A missing reason or an item of another order is a bug of the caller, not a
    conflict: the driver's IntegrityError comes through (parameters hidden)."""
    order = full_order(item_pks=(101,))
    other = full_order(2, number="other", item_pks=(201,))
    seed(store, order, other)

    for bad in (minimal_request(order, 101, reason=999), minimal_request(order, 201)):
        with pytest.raises(sa.exc.IntegrityError) as caught, store.transaction() as repos:
            repos.cancellation_requests.add_all([bad])
        assert "parameters hidden" in str(caught.value)


def test_an_empty_batch_stores_nothing(store: SqlAlchemyStore) -> None:
    with store.transaction() as repos:
        assert list(repos.cancellation_requests.add_all([])) == []


def test_a_transaction_that_raises_is_rolled_back(
    engine: sa.Engine, store: SqlAlchemyStore
) -> None:
    order = full_order(item_pks=(101,))
    seed(store, order)

    class Boom(Exception):
        pass

    def write_then_fail() -> None:
        with store.transaction() as repos:
            repos.cancellation_requests.add_all([full_request(order, 101)])
            repos.images.put(PNG)
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()

    assert count_request_rows(engine) == EMPTY


# --- the lookup's SELECTs ------------------------------------------------------------------
# find_by_number, active_for_items and the carriers' list_active: Core statements, read
# exactly (types, Decimal scales, offsets) in read-write and read-only transactions alike.


def _exact(value: Any) -> Any:
    """``value`` in a form where equal means identical: types, Decimal scales, offsets."""
    if attrs.has(type(value)):
        fields = attrs.fields(type(value))
        return (
            type(value).__name__,
            tuple((f.name, _exact(getattr(value, f.name))) for f in fields),
        )
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(k), _exact(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return (type(value).__name__, tuple(_exact(v) for v in value))
    if isinstance(value, datetime):
        return ("datetime", value.isoformat(), repr(value.tzinfo))
    return (type(value).__name__, str(value))


def _lookup_reads(
    store: SqlAlchemyStore,
    numbers: Sequence[str],
    items: Sequence[int],
    *,
    read_only: bool = False,
) -> Any:
    with store.transaction(read_only=read_only) as repos:
        return (
            [repos.orders.find_by_number(number) for number in numbers],
            dict(repos.cancellation_requests.active_for_items(items)),
            dict(repos.cancellation_requests.active_for_items([])),
            list(repos.shipping_companies.list_active()),
        )


def _seed_lookup_data(store: SqlAlchemyStore) -> tuple[list[str], list[int]]:
    full = full_order(item_pks=(103, 101, 102))
    seed(store, full, minimal_order())
    with store.transaction() as repos:
        repos.cancellation_requests.add_all(
            [
                full_request(full, 101),
                minimal_request(full, 102),
                minimal_request(full, 103, status=CancellationRequestStatus.REJECTED),
            ]
        )
    return [full.number, minimal_order().number, "no such order"], [101, 102, 103, 999]


class _Recorder:
    """Every statement that goes through SQLAlchemy's cursor execution (Core or
    exec_driver_sql), seen where the dialect executes it: no event listener involved."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, engine: sa.Engine) -> None:
        self.statements: list[str] = []
        dialect: Any = engine.dialect
        for name in ("do_execute", "do_execute_no_params"):
            original = getattr(dialect, name)
            monkeypatch.setattr(dialect, name, self._recording(original))

    def _recording(self, original: Any) -> Any:
        def record(cursor: Any, statement: str, *args: Any, **kwargs: Any) -> Any:
            self.statements.append(statement.split(None, 1)[0])
            return original(cursor, statement, *args, **kwargs)

        return record


def test_the_lookup_reads_alike_in_every_transaction(
    engine: sa.Engine, store: SqlAlchemyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers, items = _seed_lookup_data(store)
    recorder = _Recorder(monkeypatch, engine)
    sqlite = engine.dialect.name == "sqlite"

    read_write = _lookup_reads(store, numbers, items)
    # Every statement goes through SQLAlchemy's execution (what listeners and logs see).
    assert recorder.statements == ["BEGIN"] * sqlite + ["SELECT"] * 6
    recorder.statements.clear()
    read_only = _lookup_reads(store, numbers, items, read_only=True)
    assert recorder.statements == ["BEGIN"] * sqlite + ["SELECT"] * 6

    orders, active, none, carriers = read_write
    assert orders[0] == full_order(item_pks=(103, 101, 102))
    assert orders[1:] == [minimal_order(), None]
    assert sorted(active) == [101, 102]
    assert none == {}
    assert [c.pk for c in carriers] == [9, COMPANY]
    assert _exact(read_write) == _exact(read_only)


def test_a_schema_translate_map_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Core renders the schemas of each execution: the lookup's SELECTs honour a
    ``schema_translate_map``."""
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.sqlite3'}")
    create_schema(engine)
    seed(SqlAlchemyStore(engine), full_order())
    translated = engine.execution_options(schema_translate_map={None: "main"})
    recorder = _Recorder(monkeypatch, engine)
    try:
        with SqlAlchemyStore(translated).transaction() as repos:
            assert repos.orders.find_by_number(full_order().number) == full_order()
            assert dict(repos.cancellation_requests.active_for_items([101])) == {}
            assert len(repos.shipping_companies.list_active()) == 2
    finally:
        engine.dispose()
    assert [s for s in recorder.statements if s != "BEGIN"] == ["SELECT"] * 3


@pytest.mark.postgres
@pytest.mark.parametrize("read_only", [False, True], ids=["read-write", "read-only"])
def test_a_connection_lost_under_a_lookup_is_replaced(
    pg_engine: sa.Engine, *, read_only: bool
) -> None:
    """Without ``pool_pre_ping``, a dead pooled connection fails its first statement: the
    error is SQLAlchemy's, the connection is invalidated, and the next transaction gets a
    fresh one, in read-write and read-only transactions alike."""
    store, order = _with_full_order(pg_engine)
    with store.transaction() as repos:
        pid = repos.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    admin = sa.create_engine(pg_engine.url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql("SELECT pg_terminate_backend(%(pid)s)", {"pid": pid})
    admin.dispose()

    def lookup_on_the_dead_connection() -> None:
        with store.transaction(read_only=read_only) as repos:
            if not read_only:  # (the only pooled connection, in both cases)
                driver_connection: Any = repos.connection.connection.driver_connection
                assert driver_connection.info.backend_pid == pid
            repos.orders.find_by_number(order.number)

    with pytest.raises(sa.exc.OperationalError) as caught:
        lookup_on_the_dead_connection()
    assert caught.value.connection_invalidated
    assert pg_engine.pool.checkedout() == 0  # type: ignore[attr-defined]

    with store.transaction(read_only=read_only) as repos:
        assert repos.orders.find_by_number(order.number) == order


def test_sql_logging_sees_the_lookup_without_its_values(
    store: SqlAlchemyStore, caplog: pytest.LogCaptureFixture
) -> None:
    order = full_order()
    seed(store, order)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")

    with store.transaction() as repos:
        found = repos.orders.find_by_number(order.number)
        assert found is not None
        repos.cancellation_requests.active_for_items([item.pk for item in found.items])

    messages = [record.getMessage() for record in caplog.records]
    assert any("FROM orders LEFT OUTER JOIN order_items" in m for m in messages)
    assert any("FROM cancellation_requests" in m for m in messages)
    assert any("parameters hidden" in m for m in messages)
    assert "Row (values hidden)" in messages
    for message in messages:
        assert order.number not in message
        assert GUEST_EMAIL not in message


# --- read-only transactions -----------------------------------------------------------------
# transaction(read_only=True), the lookup's: on SQLite a plain BEGIN, which never waits for
# a writer; otherwise a transaction like any other.


class _Boom(Exception):
    pass


def _with_full_order(engine: sa.Engine) -> tuple[SqlAlchemyStore, Order]:
    store = SqlAlchemyStore(engine)
    order = full_order()
    seed(store, order)
    return store, order


def test_a_read_only_lookup_begins_without_a_write_lock(
    engine: sa.Engine, store: SqlAlchemyStore, record_statements: Any
) -> None:
    numbers, items = _seed_lookup_data(store)
    events: list[str] = []
    sa.event.listen(engine, "begin", lambda _connection: events.append("begin"))

    with record_statements(engine) as statements:
        read_only = _lookup_reads(store, numbers, items, read_only=True)
    sqlite = engine.dialect.name == "sqlite"
    # A plain BEGIN on SQLite, not make_engine's BEGIN IMMEDIATE: no write lock.
    assert [s.split(None, 1)[0] if s.startswith("SELECT") else s for s in statements] == [
        "BEGIN"
    ] * sqlite + ["SELECT"] * 6
    assert events == ["begin"]  # SQLAlchemy's own transaction: its events fire
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert _exact(read_only) == _exact(_lookup_reads(store, numbers, items))


def test_a_read_only_transaction_does_not_wait_for_a_sqlite_writer(tmp_path: Path) -> None:
    """No busy timeout at all: a transaction that waited for the write lock would fail at
    once with "database is locked"; a read-only one reads the last committed state."""
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.sqlite3'}", sqlite_busy_timeout=0)
    create_schema(engine)
    store, order = _with_full_order(engine)
    try:
        with engine.begin() as writer:  # BEGIN IMMEDIATE: holds the write lock
            writer.exec_driver_sql("UPDATE orders SET user_email = 'other@example.com'")

            with store.transaction(read_only=True) as repos:
                assert repos.orders.find_by_number(order.number) == order
                assert repos.reasons.list_active()

            with pytest.raises(sa.exc.OperationalError, match="locked"), store.transaction():
                pass
        with store.transaction(read_only=True) as repos:
            found = repos.orders.find_by_number(order.number)
        assert found is not None
        assert found.user_email == "other@example.com"
    finally:
        engine.dispose()


def _active_reasons(store: SqlAlchemyStore) -> list[int]:
    with store.transaction() as repos:
        return [reason.pk for reason in repos.reasons.list_active()]


def test_core_statements_join_the_read_only_transaction(engine: sa.Engine) -> None:
    """Every statement of a read-only transaction (``reasons``, ``.connection``) runs in
    the same database transaction, and the connection goes back to the pool."""
    store, order = _with_full_order(engine)
    active_reasons = _active_reasons(store)
    assert active_reasons
    with store.transaction(read_only=True) as repos:
        assert repos.orders.find_by_number(order.number) == order
        driver_connection: Any = repos.connection.connection.driver_connection
        if engine.dialect.name == "sqlite":
            assert driver_connection.in_transaction
            # SQLite (WAL): the snapshot taken by the first read holds for Core's reads.
            with engine.begin() as writer:
                writer.exec_driver_sql("DELETE FROM cancellation_reasons")
            assert [r.pk for r in repos.reasons.list_active()] == active_reasons
        else:
            started = driver_connection.execute("SELECT now()").fetchone()[0]
            assert repos.connection.exec_driver_sql("SELECT now()").scalar() == started
            assert [r.pk for r in repos.reasons.list_active()] == active_reasons
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("core_first", [False, True], ids=["dbapi", "core"])
def test_a_read_only_transaction_that_raises_gives_its_connection_back(
    engine: sa.Engine, *, core_first: bool
) -> None:
    store, order = _with_full_order(engine)

    def read_then_fail() -> None:
        with store.transaction(read_only=True) as repos:
            if core_first:
                repos.reasons.list_active()
            repos.orders.find_by_number(order.number)
            raise _Boom

    with pytest.raises(_Boom):
        read_then_fail()
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    with store.transaction(read_only=True) as repos:  # the connection is usable again
        assert repos.orders.find_by_number(order.number) == order


def test_what_a_read_only_transaction_writes_is_committed_or_rolled_back_with_it(
    engine: sa.Engine,
) -> None:
    store, order = _with_full_order(engine)

    def write_then_fail() -> None:
        with store.transaction(read_only=True) as repos:
            repos.cancellation_requests.add_all([minimal_request(order, 101)])
            raise _Boom

    with pytest.raises(_Boom):
        write_then_fail()
    assert count_request_rows(engine)["cancellation_requests"] == 0
    with store.transaction(read_only=True) as repos:
        repos.cancellation_requests.add_all([minimal_request(order, 101)])
        repos.images.put(PNG)
    assert count_request_rows(engine)["cancellation_requests"] == 1
    assert count_request_rows(engine)["images"] == 1


@pytest.mark.parametrize("read_only", [False, True], ids=["read-write", "read-only"])
def test_a_missing_table_fails_as_a_sqlalchemy_error_on_every_path(
    engine: sa.Engine, *, read_only: bool
) -> None:
    store, order = _with_full_order(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE orders RENAME TO orders_elsewhere")

    with pytest.raises(sa.exc.DBAPIError) as caught, store.transaction(read_only=read_only) as r:
        r.orders.find_by_number(order.number)
    message = str(caught.value)
    assert "orders" in message
    assert "parameters hidden" in message
    assert order.number not in message
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_an_unreachable_database_fails_as_a_sqlalchemy_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'shop.sqlite3'}")
    with (
        pytest.raises(sa.exc.OperationalError),
        SqlAlchemyStore(engine).transaction(read_only=True),
    ):
        pass
    engine.dispose()


def test_a_stored_value_outside_an_enum_is_refused_on_every_path(tmp_path: Path) -> None:
    """A stored value the enum does not know is refused by SQLAlchemy's enum type, in
    read-write and read-only transactions alike."""
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.sqlite3'}")
    create_schema(engine)
    store, order = _with_full_order(engine)
    with engine.begin() as connection:  # past the CHECK constraint, as a broken migration might
        connection.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
        connection.exec_driver_sql("UPDATE orders SET status = '999'")
    try:
        for read_only in (True, False):
            with (
                pytest.raises(LookupError, match="'999' is not among the defined enum values"),
                store.transaction(read_only=read_only) as repos,
            ):
                repos.orders.find_by_number(order.number)
    finally:
        engine.dispose()


def test_a_read_only_transaction_leaves_no_transaction_open(engine: sa.Engine) -> None:
    """Committed or rolled back, the pooled connection goes back with no transaction open."""
    store, order = _with_full_order(engine)
    with store.transaction(read_only=True) as repos:
        repos.orders.find_by_number(order.number)
    with pytest.raises(_Boom), store.transaction(read_only=True) as repos:
        raise _Boom
    raw: Any = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        open_transaction = (
            dbapi.in_transaction
            if engine.dialect.name == "sqlite"
            else dbapi.info.transaction_status != dbapi.info.transaction_status.IDLE
        )
        assert not open_transaction
    finally:
        raw.close()
