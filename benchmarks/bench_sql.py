"""Figure 4: the SQLAlchemy adapter on SQLite and PostgreSQL.

- Statements per lookup and per bulk request (N = 1…1000), counted with SQLAlchemy's
  ``before_cursor_execute`` event: they must not grow with N. The listener is there only
  while counting: with one, the lookup's SELECTs go through ``exec_driver_sql`` so that it
  sees them, and the timings measure the store as a host without listeners runs it.
- Lookup latency with 100,000 orders (three items each): the storage work of one lookup
  (one transaction: the order with its items, the active requests of its items, the active
  easy-return carriers, as domain objects) through ``SqlAlchemyStore``, against the same
  three SELECTs written by hand through the same driver (``sqlite3`` / ``psycopg``) on a
  kept-open connection, building the same domain objects. Target ≤ 1.5×.

The databases are seeded once and reused: SQLite in a file in the system's temporary
directory (``GUEST_ORDERS_BENCH_SQLITE`` overrides), PostgreSQL in a database of its own,
``guest_orders_bench``, created next to the one ``GUEST_ORDERS_BENCH_POSTGRES_URL`` names
(or, without the right to create databases, in a schema of that name). A fingerprint of
the schema and the seed decides whether to seed again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex, CreateTable

from fixtures import (
    BULK_POLICY,
    CLOCK,
    COMPANIES,
    REASONS,
    bulk_payload,
    make_order,
    order_email,
    order_number,
)
from guest_orders.adapters.sqlalchemy import (
    SqlAlchemyStore,
    create_schema,
    make_engine,
    metadata,
)
from guest_orders.domain import (
    Bank,
    Currency,
    Customer,
    CustomerKind,
    EasyReturnShippingCompany,
    LookupQuery,
    Order,
    OrderItem,
    OrderStatus,
    OrderType,
    PaymentType,
    Product,
    ShippingCompany,
)
from guest_orders.use_cases import lookup_order, request_cancellation
from guest_orders.wire import parse_bulk_cancellation
from harness import BATCH_SECONDS, ROUNDS, Report, at_most, compare, ms, time_calls, us

ORDERS = int(os.environ.get("GUEST_ORDERS_BENCH_ORDERS", "100000"))
SEED_VERSION = "1"
SEED_BATCH = 5_000
BULK_SIZES = (1, 10, 100, 1000)
BULK_ORDER_PK = 1_000_000  # bulk orders: pks above every lookup order's
POSTGRES_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "guest_orders_bench"
META_TABLE = "guest_orders_bench_seed"


def bulk_order(size: int) -> Order:
    pk = BULK_ORDER_PK + size
    return make_order(pk=pk, number=f"9{pk:015d}", items=size, cancellable_only=True)


# --- seeding -----------------------------------------------------------------------------


def _fingerprint(engine: sa.Engine) -> str:
    ddl = [str(CreateTable(table).compile(engine)) for table in metadata.sorted_tables]
    ddl += [
        str(CreateIndex(index).compile(engine))
        for table in metadata.sorted_tables
        for index in sorted(table.indexes, key=lambda i: i.name or "")
    ]
    return hashlib.sha256("\n".join([SEED_VERSION, str(ORDERS), *ddl]).encode()).hexdigest()


def _seeded(engine: sa.Engine, fingerprint: str) -> bool:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(META_TABLE):
            return False
        found = connection.exec_driver_sql(
            f"SELECT fingerprint FROM {META_TABLE}"  # noqa: S608  # constants only
        ).scalar()
    return found == fingerprint


def _seed(engine: sa.Engine, fingerprint: str, reset: Callable[[], None]) -> None:
    reset()
    create_schema(engine)
    store = SqlAlchemyStore(engine)
    started = time.perf_counter()
    store.load(reasons=REASONS, shipping_companies=COMPANIES)
    for first in range(1, ORDERS + 1, SEED_BATCH):
        last = min(first + SEED_BATCH, ORDERS + 1)
        store.load(
            orders=[
                make_order(pk=i, number=order_number(i), email=order_email(i))
                for i in range(first, last)
            ]
        )
    store.load(orders=[bulk_order(size) for size in BULK_SIZES])
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {META_TABLE} (fingerprint TEXT NOT NULL)")
        connection.exec_driver_sql(
            f"INSERT INTO {META_TABLE} (fingerprint) VALUES (?)"  # noqa: S608  # a constant
            if engine.dialect.name == "sqlite"
            else f"INSERT INTO {META_TABLE} (fingerprint) VALUES (%s)",  # noqa: S608
            (fingerprint,),
        )
    print(f"    seeded {ORDERS:,} orders in {time.perf_counter() - started:.0f} s", flush=True)


def sqlite_target() -> tuple[sa.Engine, Path]:
    path = Path(
        os.environ.get("GUEST_ORDERS_BENCH_SQLITE")
        or Path(tempfile.gettempdir()) / "guest_orders_bench.sqlite3"
    )
    engine = make_engine(f"sqlite:///{path}")
    fingerprint = _fingerprint(engine)
    if not path.exists() or not _seeded(engine, fingerprint):

        def reset() -> None:
            engine.dispose()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        print(f"    seeding SQLite ({ORDERS:,} orders, once)…", flush=True)
        _seed(engine, fingerprint, reset)
    return engine, path


def postgres_target() -> tuple[sa.Engine, str, dict[str, Any]] | str:
    """The engine, a libpq conninfo and its options; or why PostgreSQL is skipped."""
    import psycopg  # noqa: PLC0415  # only when PostgreSQL is benchmarked

    url = sa.make_url(os.environ.get("GUEST_ORDERS_BENCH_POSTGRES_URL") or POSTGRES_DEFAULT)
    libpq = url.set(drivername="postgresql")
    try:
        with psycopg.connect(
            libpq.render_as_string(hide_password=False), autocommit=True, connect_timeout=3
        ) as admin:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (BENCH_DATABASE,)
            ).fetchone()
            options: dict[str, Any] = {}
            if exists is None:
                try:
                    admin.execute(f"CREATE DATABASE {BENCH_DATABASE}")
                except psycopg.Error:
                    # No right to create databases: a schema of our own in this one.
                    admin.execute(f"CREATE SCHEMA IF NOT EXISTS {BENCH_DATABASE}")
                    options = {"options": f"-c search_path={BENCH_DATABASE}"}
    except (psycopg.Error, OSError) as error:
        return f"PostgreSQL at {url.render_as_string()} unreachable ({type(error).__name__})"
    if not options:
        url = url.set(database=BENCH_DATABASE)
        libpq = libpq.set(database=BENCH_DATABASE)
    engine = make_engine(url, connect_args=options)
    fingerprint = _fingerprint(engine)
    if not _seeded(engine, fingerprint):

        def reset() -> None:
            schema = BENCH_DATABASE if options else "public"
            with engine.begin() as connection:
                connection.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
                connection.exec_driver_sql(f"CREATE SCHEMA {schema}")

        print(f"    seeding PostgreSQL ({ORDERS:,} orders, once)…", flush=True)
        _seed(engine, fingerprint, reset)
    return engine, libpq.render_as_string(hide_password=False), options


# --- the hand-written lookup --------------------------------------------------------------

_ORDER_COLUMNS = (
    "o.pk, o.number, o.customer_id, o.customer_kind, o.user_email, o.status, o.currency,"
    " o.payment_type, o.amount, o.discount_amount, o.shipping_amount, o.shipping_tax_rate,"
    " o.refund_amount, o.discount_refund_amount, o.shipping_refund_amount,"
    " o.installment_count, o.installment_interest_amount, o.order_type, o.tracking_url,"
    " o.tracking_number, o.invoice_number, o.invoice_date, o.e_archive_url, o.has_gift_box,"
    " o.gift_box_note, o.notes, o.bin_number, o.shipping_company_value,"
    " o.shipping_company_label, o.bank_pk, o.bank_name, o.bank_slug, o.bank_logo,"
    " o.extra_field, o.created_date, o.modified_date,"
    " i.pk, i.status, i.quantity, i.price, i.product_pk, i.product_name, i.product_sku,"
    " i.product_image, i.delivered_date"
)
ORDER_SQL = (
    f"SELECT {_ORDER_COLUMNS} FROM orders o"  # noqa: S608  # constants only
    " LEFT JOIN order_items i ON i.order_id = o.pk"
    " WHERE o.number = {p} ORDER BY i.position"
)
REQUESTS_SQL = (
    "SELECT r.*, c.shipping_company_value, c.shipping_company_label, c.is_active,"
    " m.image, m.description FROM cancellation_requests r"
    " LEFT JOIN easy_return_shipping_companies c ON c.pk = r.easy_return_shipping_company_id"
    " LEFT JOIN cancellation_request_images m ON m.cancellation_request_id = r.id"
    " WHERE r.order_item_id IN ({items}) AND r.status IN ('waiting', 'approved')"
    " ORDER BY r.id, m.position"
)
COMPANIES_SQL = (
    "SELECT pk, shipping_company_value, shipping_company_label, is_active"
    " FROM easy_return_shipping_companies WHERE is_active ORDER BY pk"
)


def _build_order(
    rows: list[tuple[Any, ...]],
    money: Callable[[Any], Decimal],
    when: Callable[[Any], datetime | None],
    loads: Callable[[Any], Any],
) -> Order:
    """The domain order from the joined rows, as a hand-written mapper would build it."""
    h = rows[0]
    items = [
        OrderItem(
            pk=r[36],
            status=OrderStatus(r[37]),
            quantity=r[38],
            price=money(r[39]),
            product=Product(pk=r[40], name=r[41], sku=r[42], image=r[43]),
            delivered_date=when(r[44]),
        )
        for r in rows
        if r[36] is not None
    ]
    return Order(
        pk=h[0],
        number=h[1],
        customer=Customer(id=h[2], kind=CustomerKind(h[3])),
        user_email=h[4],
        status=OrderStatus(h[5]),
        currency=Currency(code=h[6]),
        payment_type=PaymentType(h[7]),
        amount=money(h[8]),
        discount_amount=money(h[9]),
        shipping_amount=money(h[10]),
        shipping_tax_rate=None if h[11] is None else money(h[11]),
        refund_amount=money(h[12]),
        discount_refund_amount=money(h[13]),
        shipping_refund_amount=money(h[14]),
        installment_count=h[15],
        installment_interest_amount=money(h[16]),
        order_type=None if h[17] is None else OrderType(h[17]),
        tracking_url=h[18],
        tracking_number=h[19],
        invoice_number=h[20],
        invoice_date=when(h[21]),
        e_archive_url=h[22],
        has_gift_box=None if h[23] is None else bool(h[23]),
        gift_box_note=h[24],
        notes=h[25],
        bin_number=h[26],
        shipping_company=None if h[27] is None else ShippingCompany(value=h[27], label=h[28]),
        bank=None if h[29] is None else Bank(pk=h[29], name=h[30], slug=h[31], logo=h[32]),
        extra_field=loads(h[33]),
        created_date=when(h[34]),  # type: ignore[arg-type]
        modified_date=when(h[35]),  # type: ignore[arg-type]
        items=items,
    )


def _companies(rows: list[tuple[Any, ...]]) -> list[EasyReturnShippingCompany]:
    return [
        EasyReturnShippingCompany(
            pk=r[0], shipping_company=ShippingCompany(value=r[1], label=r[2]), is_active=bool(r[3])
        )
        for r in rows
    ]


def _sqlite_when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).astimezone(UTC)


def _sqlite_loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _pg_when(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _identity(value: Any) -> Any:
    return value


def hand_sqlite(path: Path) -> Callable[[str], tuple[Order, dict[int, Any], list[Any]]]:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA foreign_keys = ON")
    order_sql = ORDER_SQL.format(p="?")

    def lookup(number: str) -> tuple[Order, dict[int, Any], list[Any]]:
        connection.execute("BEGIN")
        try:
            order = _build_order(
                connection.execute(order_sql, (number,)).fetchall(),
                Decimal,
                _sqlite_when,
                _sqlite_loads,
            )
            pks = [item.pk for item in order.items]
            requests = connection.execute(
                REQUESTS_SQL.format(items=",".join("?" * len(pks))), pks
            ).fetchall()
            assert not requests, "the lookup orders have no cancellation requests"
            companies = _companies(connection.execute(COMPANIES_SQL).fetchall())
        finally:
            connection.execute("COMMIT")
        return order, {}, companies

    return lookup


def hand_postgres(
    conninfo: str, options: dict[str, Any]
) -> Callable[[str], tuple[Order, dict[int, Any], list[Any]]]:
    import psycopg  # noqa: PLC0415

    connection = psycopg.connect(conninfo, **options)
    order_sql = ORDER_SQL.format(p="%s")

    def lookup(number: str) -> tuple[Order, dict[int, Any], list[Any]]:
        with connection.transaction():
            order = _build_order(
                connection.execute(order_sql, (number,)).fetchall(),
                _identity,
                _pg_when,
                _identity,
            )
            pks = [item.pk for item in order.items]
            requests = connection.execute(
                REQUESTS_SQL.format(items=",".join(["%s"] * len(pks))), pks
            ).fetchall()
            assert not requests, "the lookup orders have no cancellation requests"
            companies = _companies(connection.execute(COMPANIES_SQL).fetchall())
        return order, {}, companies

    return lookup


# --- measuring -----------------------------------------------------------------------------


class StatementCounter:
    """Counts statements with the ``before_cursor_execute`` event, only inside
    :meth:`counting`: the timings run without a listener, as a host's would (with one, the
    lookup's SELECTs go through ``exec_driver_sql`` so that it sees them)."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine
        self.statements: Counter[str] = Counter()

    def _count(self, *args: Any) -> None:
        statement: str = args[2]
        self.statements[statement.split(None, 1)[0].upper()] += 1

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        self.statements.clear()
        sa.event.listen(self._engine, "before_cursor_execute", self._count)
        try:
            yield self.statements
        finally:
            sa.event.remove(self._engine, "before_cursor_execute", self._count)


def library_lookup(store: SqlAlchemyStore) -> Callable[[str], tuple[Order, Any, Any]]:
    """The storage calls of one lookup, exactly as ``load_owned_order`` makes them."""

    def lookup(number: str) -> tuple[Order, Any, Any]:
        with store.transaction(read_only=True) as repos:
            order = repos.orders.find_by_number(number)
            assert order is not None
            active = repos.cancellation_requests.active_for_items([i.pk for i in order.items])
            companies = repos.shipping_companies.list_active()
        return order, active, companies

    return lookup


def _cycle(numbers: list[str], fn: Callable[[str], object]) -> Callable[[], object]:
    it = itertools.cycle(numbers)
    return lambda: fn(next(it))


def _delete_requests(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"DELETE FROM cancellation_requests WHERE order_id > {BULK_ORDER_PK}"  # noqa: S608
        )


def measure_backend(
    report: Report,
    section: str,
    backend: str,
    engine: sa.Engine,
    hand: Callable[[str], tuple[Order, Any, Any]],
) -> None:
    store = SqlAlchemyStore(engine)
    counter = StatementCounter(engine)
    rng = random.Random(8)
    numbers = [order_number(rng.randint(1, ORDERS)) for _ in range(2_000)]
    library = library_lookup(store)
    mine, theirs = library(numbers[0]), hand(numbers[0])
    assert mine[0] == theirs[0], "the hand-written lookup builds another order"
    assert dict(mine[1]) == theirs[1]
    assert list(mine[2]) == theirs[2]

    index = rng.randint(1, ORDERS)
    query = LookupQuery(number=order_number(index), email=order_email(index))
    with counter.counting() as statements:
        lookup_order(query, uow=store, clock=CLOCK, policy=BULK_POLICY)
    report.add(
        section,
        f"{backend}: statements per lookup",
        f"{sum(statements.values())} ({', '.join(f'{k} {v}' for k, v in statements.items())})",
    )

    timing = compare(
        {"library": _cycle(numbers, library), "hand-written": _cycle(numbers, hand)},
        rounds=max(ROUNDS, 11),
        batch_seconds=4 * BATCH_SECONDS,  # enough lookups per batch to average I/O jitter
    )
    t = timing.per_call
    ratio = timing.ratio("library", "hand-written")
    report.add(
        section,
        f"{backend}: lookup storage work, 100k orders, SqlAlchemyStore vs hand-written "
        f"{'sqlite3' if backend == 'SQLite' else 'psycopg'}",
        f"{ratio:.2f}× ({us(t['library'])} vs {us(t['hand-written'])})",
        "≤ 1.5×",
        value=ratio,
        check=at_most(1.5),
    )
    whole = compare(
        {
            "lookup_order": _cycle(
                list(range(1, ORDERS + 1, max(1, ORDERS // 2000))),
                lambda i: lookup_order(
                    LookupQuery(number=order_number(i), email=order_email(i)),
                    uow=store,
                    clock=CLOCK,
                    policy=BULK_POLICY,
                ),
            )
        },
        rounds=5,
    )
    report.add(
        section,
        f"{backend}: lookup_order use case, end to end",
        us(whole.per_call["lookup_order"]),
    )

    counts: dict[int, int] = {}
    latency: dict[int, float] = {}
    _delete_requests(engine)
    for size in BULK_SIZES:
        order = bulk_order(size)
        command = parse_bulk_cancellation(bulk_payload(order, size), policy=BULK_POLICY)

        def cancel(command: Any = command) -> None:
            request_cancellation(command, uow=store, clock=CLOCK, policy=BULK_POLICY)

        with counter.counting() as statements:
            cancel()
        counts[size] = sum(statements.values())
        breakdown = ", ".join(f"{k} {v}" for k, v in statements.items())
        _delete_requests(engine)
        latency[size] = time_calls(
            cancel, count=1, repeat=5, setup=lambda: _delete_requests(engine)
        )
    _delete_requests(engine)
    report.add(
        section,
        f"{backend}: statements per bulk request, N = 1…1000",
        " / ".join(str(counts[size]) for size in BULK_SIZES) + f" ({breakdown})",
        "constant in N",
        met=len(set(counts.values())) == 1,
    )
    report.add(
        section,
        f"{backend}: bulk request latency, N = 1…1000",
        " / ".join(ms(latency[size]) for size in BULK_SIZES)
        + f" ({us(latency[1000] / 1000)} per item at 1000)",
    )


def run(report: Report) -> None:
    section = "4. SQL"
    print(f"\n{section}", flush=True)
    engine, path = sqlite_target()
    measure_backend(report, section, "SQLite", engine, hand_sqlite(path))
    engine.dispose()

    target = postgres_target()
    if isinstance(target, str):
        report.note(f"PostgreSQL skipped: {target}")
        return
    engine, conninfo, options = target
    measure_backend(report, section, "PostgreSQL", engine, hand_postgres(conninfo, options))
    engine.dispose()
