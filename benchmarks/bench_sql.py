"""Figure 4: the SQLAlchemy adapter on SQLite and PostgreSQL, against the peers.

- Statements per lookup and per bulk request (N = 1…1000), counted with SQLAlchemy's
  ``before_cursor_execute`` event: they must not grow with N.
- Lookup latency with 100,000 orders (three items each): the storage work of one lookup
  (one read-only transaction: the order with its items, the active requests of its items,
  the active easy-return carriers, as domain objects) through ``SqlAlchemyStore``, against
  the same reads as each peer of ``peers.py`` writes them (the SQLAlchemy ORM with
  ``selectinload``, the Django ORM with ``prefetch_related``), on the same database. The
  ratios (library ÷ peer, lower is better) are compared with the previous release's.

The databases are seeded once and reused: SQLite in a file in the system's temporary
directory (``GUEST_ORDERS_BENCH_SQLITE`` overrides), PostgreSQL in a database of its own,
``guest_orders_bench``, created next to the one ``GUEST_ORDERS_BENCH_POSTGRES_URL`` names
(or, without the right to create databases, in a schema of that name). A fingerprint of
the schema and the seed decides whether to seed again.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    LookupQuery,
    Order,
)
from guest_orders.use_cases import lookup_order, request_cancellation
from guest_orders.wire import parse_bulk_cancellation
from harness import BATCH_SECONDS, ROUNDS, Report, compare, ms, time_calls, us
from peers import PEERS, StorageTarget

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


# --- measuring -----------------------------------------------------------------------------


class StatementCounter:
    """Counts statements with the ``before_cursor_execute`` event, only inside
    :meth:`counting`: the timings run without a listener, as a host's would."""

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
    target: StorageTarget,
    engine: sa.Engine,
) -> None:
    backend = target.backend
    store = SqlAlchemyStore(engine)
    counter = StatementCounter(engine)
    rng = random.Random(8)
    numbers = [order_number(rng.randint(1, ORDERS)) for _ in range(2_000)]
    library = library_lookup(store)
    peers = {peer.key: peer.storage(target) for peer in PEERS}
    mine = library(numbers[0])
    for key, peer in peers.items():
        theirs: Any = peer(numbers[0])
        assert theirs[0].number == mine[0].number, f"{key} read another order"

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
        {"library": _cycle(numbers, library)}
        | {key: _cycle(numbers, peer) for key, peer in peers.items()},
        rounds=max(ROUNDS, 11),
        batch_seconds=4 * BATCH_SECONDS,  # enough lookups per batch to average I/O jitter
    )
    t = timing.per_call
    report.add(
        section,
        f"{backend}: lookup storage work, 100k orders",
        ", ".join(f"{name} {us(seconds)}" for name, seconds in t.items()),
    )
    for peer in PEERS:
        ratio = timing.ratio("library", peer.key)
        report.add(
            section,
            f"{backend}: lookup storage work, SqlAlchemyStore ÷ {peer.name}",
            f"{ratio:.2f}× ({us(t['library'])} vs {us(t[peer.key])})",
            value=ratio,
            better="lower",
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


def _sqlite_storage_target(path: Path) -> StorageTarget:
    return StorageTarget(
        backend="SQLite",
        url=sa.make_url(f"sqlite:///{path}"),
        engine_options={},
        django={"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)},
    )


def _postgres_storage_target(engine: sa.Engine, options: dict[str, Any]) -> StorageTarget:
    url = engine.url
    django: dict[str, Any] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": url.database,
        "USER": url.username or "",
        "PASSWORD": url.password or "",
        "HOST": url.host or "",
        "PORT": str(url.port or ""),
    }
    if options:
        django["OPTIONS"] = options
    return StorageTarget(
        backend="PostgreSQL",
        url=url,
        engine_options={"connect_args": options} if options else {},
        django=django,
    )


def run(report: Report) -> None:
    section = "4. SQL"
    print(f"\n{section}", flush=True)
    sqlite_engine, path = sqlite_target()
    targets = [(_sqlite_storage_target(path), sqlite_engine)]
    postgres = postgres_target()
    if isinstance(postgres, str):
        report.note(f"PostgreSQL skipped: {postgres}")
    else:
        pg_engine, _conninfo, options = postgres
        targets.append((_postgres_storage_target(pg_engine, options), pg_engine))
    for peer in PEERS:
        peer.prepare([target for target, _engine in targets])
    for target, engine in targets:
        measure_backend(report, section, target, engine)
        engine.dispose()
