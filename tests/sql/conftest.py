"""Fresh databases for the SQLAlchemy adapter tests, on SQLite and PostgreSQL.

Isolation: SQLite runs on a new file under ``tmp_path``; PostgreSQL on a new schema
(selected with ``search_path``) per test, dropped afterwards, so reruns and parallel
workers never share tables. PostgreSQL tests skip, with the reason, when
``GUEST_ORDERS_TEST_POSTGRES_URL`` is unset (the ``postgres_url`` fixture).

Test modules here cannot import a helper module of this folder (at run time
``sqlalchemy`` is SQLAlchemy, not this folder), so whatever they share is a fixture.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.pool import NullPool

from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]

#: Enough connections for the 32-thread races: the store opens one per transaction.
THREADED = {"pool_size": 40, "max_overflow": 0}


@contextmanager
def _fresh_database(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    engine_kwargs: dict[str, Any] | None = None,
) -> Iterator[sa.Engine]:
    """A sync engine on a fresh database with the schema; ``engine.url`` and
    ``engine_kwargs`` (with the ``connect_args`` added here) reach the same database."""
    engine_kwargs = {} if engine_kwargs is None else engine_kwargs
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'guest_orders.sqlite3'}", **engine_kwargs)
        try:
            create_schema(engine)
            yield engine
        finally:
            engine.dispose()
        return
    url: str = request.getfixturevalue("postgres_url")  # skips with a reason when unset
    schema = f"guest_orders_test_{uuid.uuid4().hex[:16]}"
    admin = make_engine(url, poolclass=NullPool)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine_kwargs["connect_args"] = {"options": f"-c search_path={schema}"}
    engine = make_engine(url, **engine_kwargs)
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """A fresh database with the schema, on each backend."""
    with _fresh_database(request.param, request, tmp_path) as engine:
        yield engine


@pytest.fixture(params=BACKENDS)
def threaded_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """Like ``engine``, with a pool for 32 threads at once."""
    with _fresh_database(request.param, request, tmp_path, dict(THREADED)) as engine:
        yield engine


@pytest.fixture
def pg_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[sa.Engine]:
    """PostgreSQL only, with a pool for 32 threads at once."""
    with _fresh_database("postgresql", request, tmp_path, dict(THREADED)) as engine:
        yield engine


@pytest.fixture(params=BACKENDS)
def async_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[sa.URL, dict[str, Any]]]:
    """A fresh database with the schema, on each backend, as the URL and keywords for
    ``make_async_engine`` (with a pool for 32 tasks at once)."""
    kwargs: dict[str, Any] = dict(THREADED)
    with _fresh_database(request.param, request, tmp_path, kwargs) as engine:
        if request.param == "sqlite":
            # The async SQLite pool is SQLAlchemy's choice (NullPool before 2.1): no sizes.
            kwargs = {k: v for k, v in kwargs.items() if k not in THREADED}
        yield engine.url, kwargs


@pytest.fixture
def pg_async_database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[sa.URL, dict[str, Any]]]:
    """``async_database`` on PostgreSQL only."""
    kwargs: dict[str, Any] = dict(THREADED)
    with _fresh_database("postgresql", request, tmp_path, kwargs) as engine:
        yield engine.url, kwargs


@pytest.fixture
def store(engine: sa.Engine) -> SqlAlchemyStore:
    return SqlAlchemyStore(engine)


@pytest.fixture
def record_statements() -> Callable[[sa.Engine], AbstractContextManager[list[str]]]:
    """``with record_statements(engine) as statements:`` lists every statement sent to the
    database in the block (SQLAlchemy's ``before_cursor_execute`` event)."""

    @contextmanager
    def recording(engine: sa.Engine) -> Iterator[list[str]]:
        statements: list[str] = []

        def record(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return recording
