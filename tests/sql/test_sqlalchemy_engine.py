"""``make_engine``'s defaults, and the adapter's place outside the core."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine
from guest_orders.domain import Address
from sql._tables import RecordStatements


def _sqlite(tmp_path: Path, **kwargs: object) -> sa.Engine:
    return make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}", **kwargs)  # type: ignore[arg-type]


def test_sqlite_connections_get_foreign_keys_wal_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path, sqlite_busy_timeout=2.5)
    with engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA busy_timeout").scalar() == 2500
    assert engine.hide_parameters
    engine.dispose()


def test_sqlite_transactions_begin_immediate_and_savepoints_nest(
    tmp_path: Path, record_statements: RecordStatements
) -> None:
    engine = _sqlite(tmp_path)
    create_schema(engine)
    with record_statements(engine) as statements, engine.begin() as connection:
        connection.exec_driver_sql("SELECT 1")
        with connection.begin_nested():
            connection.exec_driver_sql("SELECT 2")
    assert statements == [
        "BEGIN IMMEDIATE",
        "SELECT 1",
        "SAVEPOINT sa_savepoint_1",
        "SELECT 2",
        "RELEASE SAVEPOINT sa_savepoint_1",
    ]
    engine.dispose()


def test_sqlite_writers_queue_at_begin(tmp_path: Path) -> None:
    """A transaction that has only read still holds the write lock: another writer waits
    at BEGIN (here: gives up after its busy timeout) instead of failing half-way."""
    engine = _sqlite(tmp_path, sqlite_busy_timeout=0.05)
    with engine.begin() as first:
        first.exec_driver_sql("SELECT 1")
        with pytest.raises(sa.exc.OperationalError, match="locked"), engine.begin():
            pass
    engine.dispose()


def test_sqlite_begin_mode_is_configurable(
    tmp_path: Path, record_statements: RecordStatements
) -> None:
    engine = _sqlite(tmp_path, sqlite_begin="DEFERRED")
    with record_statements(engine) as statements, engine.begin():
        pass
    assert statements == ["BEGIN DEFERRED"]
    engine.dispose()
    with pytest.raises(ValueError, match="sqlite_begin"):
        _sqlite(tmp_path, sqlite_begin="NOW")


def test_in_memory_sqlite_keeps_one_database() -> None:
    engine = make_engine("sqlite://")
    create_schema(engine)
    store = SqlAlchemyStore(engine)
    address = Address(pk=1, customer_id=2)
    store.load(addresses=[address])
    with store.transaction() as repos:
        assert repos.addresses.get(1) == address
    engine.dispose()


def test_engine_arguments_win_over_the_defaults(tmp_path: Path) -> None:
    engine = _sqlite(tmp_path, hide_parameters=False, pool_size=7)
    assert not engine.hide_parameters
    assert isinstance(engine.pool, sa.QueuePool)
    assert engine.pool.size() == 7
    engine.dispose()


def test_postgresql_urls_use_psycopg_3_without_pre_ping() -> None:
    """No round trip per checkout by default; a host that needs it turns it on."""
    engine = make_engine("postgresql://user@db.invalid/shop")  # no connection is made
    assert engine.dialect.driver == "psycopg"
    assert not engine.pool._pre_ping
    assert engine.hide_parameters
    explicit = make_engine(
        "postgresql+psycopg://user@db.invalid/shop", pool_pre_ping=True, pool_recycle=300
    )
    assert explicit.pool._pre_ping
    assert explicit.pool._recycle == 300


@pytest.mark.postgres
def test_postgresql_engine_connects_through_psycopg(postgres_url: str) -> None:
    engine = make_engine(postgres_url.replace("postgresql+psycopg://", "postgresql://"))
    with engine.connect() as connection:
        now = datetime.now(UTC)
        moment = connection.scalar(sa.select(sa.literal(now, sa.DateTime(timezone=True))))
    assert engine.dialect.driver == "psycopg"
    assert moment == now
    engine.dispose()


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # our own interpreter and code
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )


def test_the_core_does_not_import_sqlalchemy() -> None:
    result = _python(
        "import sys\n"
        "import guest_orders.domain, guest_orders.ports, guest_orders.use_cases\n"
        "import guest_orders.adapters.memory\n"
        "assert 'sqlalchemy' not in sys.modules, 'the core imported sqlalchemy'\n"
    )
    assert result.returncode == 0, result.stderr


def test_without_sqlalchemy_the_adapter_says_which_extra_to_install() -> None:
    result = _python(
        "import sys\n"
        "sys.modules['sqlalchemy'] = None  # as if it were not installed\n"
        "import guest_orders.adapters.sqlalchemy\n"
    )
    assert result.returncode != 0
    assert "guest_orders[sqlalchemy]" in result.stderr
