"""Engines with the settings the store relies on."""

from __future__ import annotations

import logging
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

__all__ = ["READ_ONLY", "make_engine"]

SqliteBegin = Literal["DEFERRED", "IMMEDIATE", "EXCLUSIVE"]

#: The execution option that marks a read-only transaction's ``Connection``
#: (``SqlAlchemyStore.transaction(read_only=True)``): ``make_engine``'s SQLite engines begin
#: it with a plain ``BEGIN``.
READ_ONLY: Final = "guest_orders_read_only"

#: The engines' ``logging_name``: they log as ``sqlalchemy.engine.Engine.guest_orders``.
LOGGING_NAME: Final = "guest_orders"


class _HideRows(logging.Filter):
    """SQLAlchemy logs every fetched row at DEBUG, and rows hold emails, IBANs and names:
    keep the record, drop the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg == "Row %r":
            record.msg = "Row (values hidden)"
            record.args = ()
        return True


def _hide_rows(engine: sa.Engine) -> sa.Engine:
    logger: Any = engine.logger
    name: str = getattr(logger, "logger", logger).name  # an InstanceLogger (echo=) wraps one
    target = logging.getLogger(name)
    if not any(isinstance(f, _HideRows) for f in target.filters):
        target.addFilter(_HideRows())
    return engine


def make_engine(
    url: str | sa.URL,
    *,
    sqlite_busy_timeout: float = 15.0,
    sqlite_begin: SqliteBegin = "IMMEDIATE",
    **kwargs: Any,
) -> sa.Engine:
    """An engine for :class:`SqlAlchemyStore`, with safe defaults per backend.

    Every backend: ``hide_parameters=True``, so error messages and logs never carry
    bound values (emails, IBANs, names); and the engine logs as
    ``sqlalchemy.engine.Engine.guest_orders`` (``logging_name``), a logger whose DEBUG
    records of fetched rows are kept without their values.

    PostgreSQL: a bare ``postgresql://`` URL uses psycopg 3. No ``pool_pre_ping``: it
    costs a round trip to the server at every connection checkout, that is once per
    transaction. Pass ``pool_pre_ping=True`` (and ``pool_recycle=...`` seconds, below
    the server's or a proxy's idle timeout) where pooled connections can go stale, for
    example behind PgBouncer or a firewall that drops idle connections.

    SQLite: foreign keys on, WAL journal, a busy timeout of ``sqlite_busy_timeout``
    seconds, and real transactions: the ``sqlite3`` module's legacy transaction handling is
    turned off (``isolation_level = None``) and every transaction starts with
    ``BEGIN IMMEDIATE``, so a transaction that reads and then writes cannot fail half-way
    with "database is locked": writers queue up at ``BEGIN`` instead. An in-memory database
    (``sqlite://``) lives on one shared connection and suits single-threaded use only.

    Anything in ``kwargs`` goes to :func:`sqlalchemy.create_engine` and wins over these
    defaults (``pool_size=...``, ``echo=True``...).
    """
    parsed = sa.make_url(url)
    kwargs.setdefault("hide_parameters", True)
    kwargs.setdefault("logging_name", LOGGING_NAME)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _hide_rows(sa.create_engine(parsed, **kwargs))
    if backend == "sqlite":
        return _hide_rows(
            _sqlite_engine(parsed, busy_timeout=sqlite_busy_timeout, begin=sqlite_begin, **kwargs)
        )
    return _hide_rows(sa.create_engine(parsed, **kwargs))


def _sqlite_engine(
    url: sa.URL, *, busy_timeout: float, begin: SqliteBegin, **kwargs: Any
) -> sa.Engine:
    kwargs = _sqlite_options(url, begin=begin, **kwargs)
    engine = sa.create_engine(url, **kwargs)
    _listen_sqlite(engine, busy_timeout=busy_timeout, begin=begin)
    return engine


def _sqlite_options(url: sa.URL, *, begin: SqliteBegin, **kwargs: Any) -> dict[str, Any]:
    if begin not in {"DEFERRED", "IMMEDIATE", "EXCLUSIVE"}:
        raise ValueError(f"sqlite_begin must be DEFERRED, IMMEDIATE or EXCLUSIVE, not {begin!r}")
    if url.database in {None, "", ":memory:"}:
        kwargs.setdefault("poolclass", StaticPool)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("check_same_thread", False)
        kwargs["connect_args"] = connect_args
    return kwargs


def _listen_sqlite(engine: sa.Engine, *, busy_timeout: float, begin: SqliteBegin) -> None:
    """The pragmas and the ``BEGIN`` of every SQLite engine (the sync engine of an async
    one too: SQLAlchemy's documented recipe for pysqlite and aiosqlite)."""
    pragmas = (
        "PRAGMA foreign_keys = ON",
        f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}",
        "PRAGMA journal_mode = WAL",
    )

    def on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take BEGIN/COMMIT away from the sqlite3 module: it would not BEGIN before a
        # SELECT or a SAVEPOINT, which breaks isolation and nested transactions.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    begin_sql = f"BEGIN {begin}"

    def on_begin(connection: sa.Connection) -> None:
        # SQLAlchemy's documented recipe for pysqlite and aiosqlite: emit BEGIN ourselves.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else begin_sql)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
