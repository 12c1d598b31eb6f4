"""The lookup's SELECTs, compiled once per engine and run on the DBAPI connection.

Every lookup, and every cancellation, starts with the same three SELECTs: the order with
its items, the active requests of its items, the active easy-return carriers. Through
``Connection.execute`` SQLAlchemy spends far more time on each of them than the database
does (an execution context, parameter processing, a ``RowMapping`` per row; through
``exec_driver_sql`` it even rebuilds the result's column metadata at every call). So these
three are compiled once per engine, on first use, by SQLAlchemy itself (the same SQL,
quoting and parameter style as Core would send), and run on the transaction's own DBAPI
connection (``connection.connection.driver_connection``), inside the transaction the
store opened. Each value goes through the result processor SQLAlchemy would apply to its
column, for the column type the driver reports (for :class:`ExactDecimal` and
:class:`UtcDateTime`, whose base type needs no processing on these drivers, straight
through their ``result_value``), so the rows read exactly as through Core.

Writes and every other statement go through Core. The DBAPI connection is used only when
nothing observes the connection's statements: when a connection event listener is
registered (``before_cursor_execute``, ``before_execute``...; statement counters and
tracing do that) or SQL logging is on, the same SQL goes through
``Connection.exec_driver_sql``, so listeners and logs see every statement, as before (and
bound values stay hidden under ``hide_parameters``). A DBAPI error is handed to
SQLAlchemy's own error handling, so it is raised as the same ``sqlalchemy.exc.DBAPIError``
(parameters hidden under ``hide_parameters``), ``handle_error`` listeners run, and a lost
connection is invalidated in the pool, as with Core. (That handler, and the flags that
say whether anything listens, are SQLAlchemy's private API: the tests of this adapter
cover both paths.)

Read-only transactions (``SqlAlchemyStore.transaction(read_only=True)``, the lookup's)
go one step further when nothing watches the engine: no ``Connection`` at all. A
:class:`Link` checks a connection out of the pool, begins the transaction on it (a plain
``BEGIN`` on SQLite), runs the SELECTs on it and commits; SQLAlchemy's ``Connection``,
transaction and event machinery cost a lookup more than its three statements on SQLite. A
``Connection`` is made on the same pooled connection, in the same transaction, only when
a statement needs Core. (This uses more private API: the class-level listener registry,
the handler of a failed checkout, and the pool's check-in of a connection whose
transaction was already ended; the generated converters read an ``Enum``'s member lookup,
checked against its processor. The tests cover each.)

The item list of ``active_for_items`` is rendered as one placeholder per item at each call
(as Core's expanding ``IN`` does: on PostgreSQL it plans faster than ``= ANY`` of one
array). On SQLite, :func:`execute` sends ``make_engine``'s ``BEGIN IMMEDIATE`` the same
way. Drivers other than ``pysqlite`` and ``psycopg`` (3), and connections with a
``schema_translate_map``, run these SELECTs through Core.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, NoReturn

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from guest_orders.adapters.sqlalchemy._types import ExactDecimal, UtcDateTime

__all__ = [
    "READ_ONLY",
    "DriverSelect",
    "Link",
    "drivable",
    "execute",
    "list_in",
    "observed",
    "watched",
]

#: The (dialect, driver, parameter style) of the DBAPI connections the lookups run on.
#: (The ones the tests run on: any other goes through Core.)
_DRIVERS = frozenset({("sqlite", "pysqlite", "qmark"), ("postgresql", "psycopg", "pyformat")})
#: The execution option that marks a read-only transaction's ``Connection`` (on the paths
#: that use one): ``make_engine``'s SQLite engines begin it with a plain ``BEGIN``.
READ_ONLY = "guest_orders_read_only"
#: Stands for the variable-length list of placeholders in a statement's SQL.
_LIST_MARK = "__guest_orders_list__"

_Processor = Callable[[Any], Any]
_Converter = Callable[[Sequence[Any]], dict[str, Any]]


class DriverSelect:
    """One SELECT, compiled on first use for each engine, run on the DBAPI connection.

    The statement may hold one list parameter, named ``list_param`` and written with
    :func:`list_in`. The first ``shared`` columns hold the same values in every row (a
    parent joined to its children): they are processed, and returned, in the first row
    only.
    """

    def __init__(
        self,
        name: str,
        statement: sa.Select[Any],
        *,
        list_param: str | None = None,
        shared: int = 0,
    ) -> None:
        self.name = name
        self._statement = statement
        self._list_param = list_param
        self._shared = shared
        # Per dialect instance, that is per engine: the result processors depend on the
        # engine's settings (a JSON deserializer...), not only on the backend.
        self._compiled: weakref.WeakKeyDictionary[Dialect, _Compiled] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._last: tuple[weakref.ref[Dialect], _Compiled] | None = None

    def compiled(self, dialect: Dialect) -> _Compiled | None:
        """The statement compiled for ``dialect``, or ``None`` where Core runs it."""
        last = self._last  # an application has one engine, mostly: skip the lookups
        if last is not None and last[0]() is dialect:
            return last[1]
        if (dialect.name, dialect.driver, dialect.paramstyle) not in _DRIVERS:
            return None
        found = self._compiled.get(dialect)
        if found is None:
            with self._lock:
                found = self._compiled.get(dialect)
                if found is None:
                    found = _compile(self._statement, dialect, self._list_param, self._shared)
                    self._compiled[dialect] = found
        self._last = (weakref.ref(dialect), found)
        return found


@attrs.define
class _Compiled:
    """SQL text, how to pass the parameters, and the columns' result processors (known
    once the driver has described a result: the type codes can matter, on PostgreSQL)."""

    sql: str
    #: Positional parameters: their names, in order; ``None`` for named parameters.
    positions: tuple[str, ...] | None
    #: The SQL around the list's placeholders, else ``None``.
    around_list: tuple[str, str] | None
    list_param: str | None
    #: The positional placeholder (``?`` or ``%s``).
    placeholder: str
    types: tuple[sa.types.TypeEngine[Any], ...]
    keys: tuple[str, ...]
    shared: int
    #: Row to dict, for the first row and for the others (without the shared columns);
    #: made once the driver has described a result.
    converters: tuple[_Converter, _Converter] | None = None

    def statement(self, params: Mapping[str, Any]) -> tuple[str, Any]:
        """The SQL and the parameters to send for these values."""
        positions = self.positions
        if self.around_list is None:
            if positions is None:
                return self.sql, dict(params)
            if len(positions) == 1:  # the lookup's order query: no loop for one value
                return self.sql, (params[positions[0]],)
            return self.sql, tuple([params[name] for name in positions])
        assert self.list_param is not None
        values = list(params[self.list_param])
        before, after = self.around_list
        if positions is None:  # named parameters: one per value, numbered
            names = [f"{self.list_param}_{i}" for i in range(len(values))]
            named = {k: v for k, v in params.items() if k != self.list_param}
            named.update(zip(names, values, strict=True))
            marks = ", ".join(f"%({name})s" for name in names)
            return f"{before}{marks or 'NULL'}{after}", named
        positional: list[Any] = []
        for name in positions:
            if name == self.list_param:
                positional.extend(values)
            else:
                positional.append(params[name])
        marks = ", ".join([self.placeholder] * len(values))
        # ``IN (NULL)`` holds for no row, as an empty ``IN`` would, and parses everywhere.
        return f"{before}{marks or 'NULL'}{after}", tuple(positional)

    def converters_for(
        self, dialect: Dialect, description: Sequence[Sequence[Any]]
    ) -> tuple[_Converter, _Converter]:
        found = self.converters
        if found is None:
            processors = {
                index: processor
                for index, (type_, column) in enumerate(zip(self.types, description, strict=True))
                if (processor := _processor(type_, dialect, column[1])) is not None
            }
            found = (
                _converter(self.keys, self.types, processors, 0),
                _converter(self.keys, self.types, processors, self.shared),
            )
            self.converters = found
        return found


#: Processors whose work the generated converter writes out (``{v}``: the value), so a
#: value costs no Python call: the same results as calling them.
_WRITTEN_OUT: dict[Any, str] = {
    ExactDecimal.result_value: "{v} if {v} is None or isinstance({v}, Decimal) else Decimal({v})",
    UtcDateTime.result_value: (
        "None if {v} is None else"
        " (fromisoformat({v}) if isinstance({v}, str) else {v}).astimezone(UTC)"
    ),
}


def _enum_lookup(type_: sa.types.TypeEngine[Any], processor: _Processor) -> dict[Any, Any] | None:
    """For an ``Enum`` column whose processor only maps the stored values to the enum's
    members (no processing of its own before): that mapping, else ``None``."""
    if not isinstance(type_, sa.Enum):
        return None
    lookup: Any = getattr(type_, "_object_lookup", None)  # private: checked right here
    if not isinstance(lookup, dict):
        return None
    try:
        if all(processor(stored) is member for stored, member in lookup.items()):
            return dict(lookup)
    except Exception:  # noqa: BLE001  # not the processor expected: keep calling it
        return None
    return None


def _converter(
    keys: Sequence[str],
    types: Sequence[sa.types.TypeEngine[Any]],
    processors: Mapping[int, _Processor],
    start: int,
) -> _Converter:
    """A function from a row (a tuple) to the dict of its columns from ``start`` on, each
    value through its processor: generated, as attrs and cattrs do, so that a row costs
    one call and one dict display. The common processors are written out (money,
    datetimes, enums: a dict lookup, the processor itself for a value it must refuse)."""
    namespace: dict[str, Any] = {
        "Decimal": Decimal,
        "fromisoformat": datetime.fromisoformat,
        "UTC": UTC,
    }
    lines = []
    entries = []
    for index in range(start, len(keys)):  # keys are identifiers (see _compile)
        value = f"row[{index}]"
        processor = processors.get(index)
        if processor is not None:
            name = f"c{index}"
            lines.append(f"    {name} = {value}")
            template = _WRITTEN_OUT.get(processor)
            lookup = _enum_lookup(types[index], processor) if template is None else None
            if template is not None:
                lines.append(f"    {name} = {template.format(v=name)}")
            elif lookup is not None:
                namespace[f"m{index}"] = lookup
                namespace[f"p{index}"] = processor
                lines.append(
                    f"    {name} = m{index}[{name}] if {name} in m{index} else p{index}({name})"
                )
            else:
                namespace[f"p{index}"] = processor
                lines.append(f"    {name} = p{index}({name})")
            value = name
        entries.append(f"{keys[index]!r}: {value}")
    body = "\n".join(lines)
    source = f"def convert(row):\n{body}\n    return {{{', '.join(entries)}}}\n"
    exec(source, namespace)  # noqa: S102  # column keys and indices of our own statements
    converter: _Converter = namespace["convert"]
    return converter


def _processor(
    type_: sa.types.TypeEngine[Any], dialect: Dialect, coltype: Any
) -> _Processor | None:
    """What SQLAlchemy does to a value of this column read through Core."""
    if isinstance(type_, ExactDecimal | UtcDateTime):
        base: _Processor | None = type_.load_dialect_impl(dialect).result_processor(
            dialect, coltype
        )
        if base is None:  # the driver's value goes to process_result_value as it is
            return type_.result_value
    processor: _Processor | None = type_.dialect_impl(dialect).result_processor(dialect, coltype)
    return processor


def _compile(
    statement: sa.Select[Any], dialect: Dialect, list_param: str | None, shared: int
) -> _Compiled:
    # render_postcompile: the status list of ``active_for_items`` is rendered inline once,
    # here, instead of at every execution.
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    sql = str(compiled)
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    around_list: tuple[str, str] | None = None
    if _LIST_MARK in sql:
        if list_param is None or sql.count(_LIST_MARK) != 1:
            raise AssertionError(f"one list parameter, named, is expected: {sql}")
        before, after = sql.split(_LIST_MARK)
        around_list = (before, after)
        if positions is not None:
            # The list's values go where the mark is, between the parameters around it.
            marks_before = before.count(placeholder)
            positions = (*positions[:marks_before], list_param, *positions[marks_before:])
    columns = list(statement.selected_columns)
    keys = tuple(column.key for column in columns)
    if not all(isinstance(key, str) and key.isidentifier() for key in keys):
        raise AssertionError(f"every column needs a name: {keys}")
    return _Compiled(
        sql=sql,
        positions=positions,
        around_list=around_list,
        list_param=list_param,
        placeholder=placeholder,
        types=tuple(column.type for column in columns),
        keys=keys,  # type: ignore[arg-type]  # checked above
        shared=shared,
    )


def list_in(column: sa.ColumnElement[Any], param: str) -> sa.ColumnElement[bool]:
    """``column IN (...)`` the values of the list parameter ``param``, one placeholder per
    value, rendered at each call (what Core's expanding ``IN`` does; on PostgreSQL it
    plans faster than ``= ANY`` of one array parameter)."""
    del param  # named by the DriverSelect: one list per statement
    return column.in_([sa.literal_column(_LIST_MARK)])


#: The connection events that see statements.
_STATEMENT_EVENTS = (
    "before_cursor_execute",
    "after_cursor_execute",
    "before_execute",
    "after_execute",
)


def _watching(dispatch: Any) -> bool:
    # The _STATEMENT_EVENTS, spelled out: this runs at every statement.
    return bool(
        dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or dispatch.before_execute
        or dispatch.after_execute
    )


def _logging(engine: sa.Engine) -> bool:
    logger: Any = engine.logger
    return bool(logger.isEnabledFor(logging.INFO))


def observed(connection: sa.Connection) -> bool:
    """True when something watches this connection's statements: a listener of a
    statement event (on the engine, the connection or their classes) or SQL logging."""
    engine = connection.engine
    # SQLAlchemy's own flags (what Core checks before it fires any event): cheap, where
    # the connection's joined dispatch is built anew for every connection. ``make_engine``
    # listens to ``begin`` on SQLite, so the engine's flag alone says little.
    if connection._has_events:  # noqa: SLF001  # listeners on this connection or its class
        dispatch: Any = connection.dispatch
    elif engine._has_events:  # noqa: SLF001
        dispatch = engine.dispatch
    else:
        dispatch = None
    return (dispatch is not None and _watching(dispatch)) or _logging(engine)


def drivable(engine: sa.Engine) -> bool:
    """Whether a read-only transaction of ``engine`` can run on the pooled DBAPI
    connection (:meth:`Link.reading`), as far as the engine's settings go: a driver this
    module knows, no schema translation. (An engine's execution options never change: a
    new option makes a new engine.) At each transaction, :func:`watched` says the rest."""
    dialect = engine.dialect
    if (dialect.name, dialect.driver, dialect.paramstyle) not in _DRIVERS:
        return False
    return not engine.get_execution_options().get("schema_translate_map")


def watched(engine: sa.Engine) -> bool:
    """Whether something watches the statements of ``engine``'s connections: a statement
    listener on the engine or on the ``Engine`` or ``Connection`` classes, or SQL logging.
    (A listener on one connection cannot exist before the transaction makes it.)"""
    if engine._has_events and _watching(engine.dispatch):  # noqa: SLF001
        return True
    connection_class: Any = sa.Connection
    # Its flag stays set once a listener was added: look at the listeners themselves (the
    # class-level dispatch keeps them per class; private, like the flags).
    if connection_class._has_events and any(  # noqa: SLF001
        getattr(connection_class.dispatch, event)._clslevel.get(connection_class)  # noqa: SLF001
        for event in _STATEMENT_EVENTS
    ):
        return True
    return _logging(engine)


def execute(connection: sa.Connection, sql: str, parameters: Any = ()) -> None:
    """Run a statement that returns no rows (``BEGIN``) on the DBAPI connection, or
    through ``exec_driver_sql`` when it is observed (see :func:`observed`)."""
    if observed(connection):
        connection.exec_driver_sql(sql, parameters)
        return
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, parameters)
    except BaseException as error:  # noqa: BLE001  # SQLAlchemy decides what it becomes
        _raise(connection, error, sql, parameters, cursor)
    finally:
        cursor.close()


def _raise(
    connection: sa.Connection, error: BaseException, sql: str, parameters: Any, cursor: Any
) -> NoReturn:
    """SQLAlchemy's handling of an error of its own cursor execution: the same exception
    class and message, parameters hidden under ``hide_parameters``, ``handle_error``
    listeners, a lost connection (or an interrupted statement) invalidated. Always
    raises."""
    connection._handle_dbapi_exception(  # noqa: SLF001  # private: see the module docstring
        error, sql, parameters, cursor, None
    )


class Link:
    """What the repositories of one transaction run their statements on.

    ``Link.of(connection)``: a :class:`sqlalchemy.Connection` in a transaction SQLAlchemy
    began. The DriverSelects run on its DBAPI connection, or through ``exec_driver_sql``
    when something observes it (checked at each statement).

    :meth:`Link.reading`: a read-only transaction begun on a pooled DBAPI connection,
    without a ``Connection`` (see :func:`drivable`, :func:`watched`). The DriverSelects run on that
    DBAPI connection; a ``Connection`` is made on the same pooled connection, inside the
    same database transaction, only when a statement needs Core (:attr:`connection`).
    """

    __slots__ = ("_connection", "_dbapi", "_dialect", "_ended", "_engine", "_pooled")

    def __init__(
        self, engine: sa.Engine, connection: sa.Connection | None, pooled: Any = None
    ) -> None:
        self._engine = engine
        self._dialect = engine.dialect
        self._connection = connection
        self._pooled = pooled
        #: Whether this link ended its transaction on the DBAPI connection itself.
        self._ended = False
        #: A read-only link's DBAPI connection (a Connection's may change: it reconnects).
        self._dbapi: Any = pooled.driver_connection if pooled is not None else None

    @classmethod
    def of(cls, connection: sa.Connection) -> Link:
        return cls(connection.engine, connection)

    @classmethod
    def reading(cls, engine: sa.Engine, begin: str | None) -> Link:
        """Check out a pooled connection and send ``begin`` (``None`` where the driver
        begins a transaction by itself, at the first statement)."""
        try:
            pooled = engine.raw_connection()
        except engine.dialect.loaded_dbapi.Error as error:
            # What Engine.connect() raises for it: the sqlalchemy.exc class, handle_error.
            sa.Connection._handle_dbapi_exception_noconnection(  # noqa: SLF001
                error, engine.dialect, engine
            )
            raise
        link = cls(engine, None, pooled)
        if begin is not None:
            try:
                link.execute(begin)
            except BaseException:
                link.close()
                raise
        return link

    @property
    def connection(self) -> sa.Connection:
        """The transaction's ``Connection`` (on a read-only link, made on first use: its
        first Core statement joins the database transaction already open; on SQLite,
        ``make_engine``'s ``begin`` listener sees it is open and sends no ``BEGIN``)."""
        if self._connection is None:
            self._connection = sa.Connection(self._engine, self._pooled)
        return self._connection

    def rows(self, select: DriverSelect, params: Mapping[str, Any]) -> list[dict[str, Any]] | None:
        """The rows of ``select``, as dicts keyed like Core's ``RowMapping`` (after the
        first row, without the shared columns); ``None`` when Core must run it."""
        dialect = self._dialect
        dbapi = self._dbapi
        if dbapi is None:
            connection = self._connection
            assert connection is not None
            compiled = select.compiled(dialect)
            if compiled is None or connection.get_execution_options().get("schema_translate_map"):
                return None  # Core renders the statement (the schemas) for this execution
            if observed(connection):
                sql, parameters = compiled.statement(params)
                result = connection.exec_driver_sql(sql, parameters)
                converters = compiled.converters or compiled.converters_for(
                    dialect, result.cursor.description
                )
                return _convert(converters, result.fetchall())
            dbapi = connection.connection.driver_connection
        else:
            found = select.compiled(dialect)
            assert found is not None, "drivable() said this driver is known"
            compiled = found
        sql, parameters = compiled.statement(params)
        try:
            # Connection.execute: a cursor made by the driver (in C, on sqlite3).
            cursor = dbapi.execute(sql, parameters)
            # The description only until the converters are made: psycopg builds it
            # anew, in Python, at every access.
            converters = compiled.converters or compiled.converters_for(dialect, cursor.description)
            rows = cursor.fetchall()
        except BaseException as error:  # noqa: BLE001  # SQLAlchemy decides what it becomes
            _raise(self.connection, error, sql, parameters, None)
        return _convert(converters, rows)

    def execute(self, sql: str, parameters: Any = ()) -> None:
        """Run a statement that returns no rows (``BEGIN``) on a read-only link's DBAPI
        connection (a link over a ``Connection`` uses the module's :func:`execute`)."""
        dbapi = self._dbapi
        assert dbapi is not None, "only a read-only link runs statements on its own"
        try:
            dbapi.execute(sql, parameters)
        except BaseException as error:  # noqa: BLE001  # SQLAlchemy decides what it becomes
            _raise(self.connection, error, sql, parameters, None)

    def commit(self) -> None:
        """End a read-only link's transaction, its block done."""
        connection = self._connection
        if connection is not None and connection.in_transaction():
            connection.commit()  # SQLAlchemy's: its events, its error handling
            return
        try:
            self._dbapi.commit()
        except BaseException as error:  # noqa: BLE001  # SQLAlchemy decides what it becomes
            _raise(self.connection, error, "COMMIT", (), None)
        self._ended = True

    def rollback(self) -> None:
        """End a read-only link's transaction, its block failed."""
        connection = self._connection
        if connection is not None and connection.in_transaction():
            connection.rollback()
            return
        if self._pooled.is_valid:  # not if an error invalidated it
            try:
                self._dbapi.rollback()
            except BaseException as error:  # noqa: BLE001
                _raise(self.connection, error, "ROLLBACK", (), None)
            self._ended = True

    def close(self) -> None:
        """Give the pooled connection back. After a commit or rollback of its own, without
        the pool's reset on return (a second rollback): what a ``Connection`` that ended
        its transaction does (private, as the module docstring says)."""
        if self._connection is not None:
            self._connection.close()
        else:
            self._pooled._close_special(transaction_reset=self._ended)  # noqa: SLF001


def _convert(
    converters: tuple[_Converter, _Converter], rows: Sequence[Sequence[Any]]
) -> list[dict[str, Any]]:
    if not rows:
        return []
    first, rest = converters
    out = [first(rows[0])]
    out.extend(map(rest, rows[1:]))
    return out
