"""The ``guest-orders`` command: a demo server, the OpenAPI document, the sample data.

``guest-orders serve`` seeds a database (SQLite by default) with the built-in sample data
or a data file, serves the endpoints with uvicorn and prints curl commands that work
against it; with ``--webhook URL`` a relay beside it posts every created request's event
there. Ctrl-C stops it cleanly, with exit status 0.

``guest-orders relay --database URL --to URL`` delivers the outbox's events to a webhook
(or, with ``--to module:function``, to a Python callable) until stopped.

Needs the ``web`` extra (``pip install 'guest_orders[web]'``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Final
from urllib.parse import urlsplit

try:
    import sqlalchemy as sa
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError
    from starlette.routing import Route

    from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine
    from guest_orders.adapters.sqlalchemy.asyncio import AsyncSqlAlchemyStore, make_async_engine
    from guest_orders.adapters.web import ACCESS_LOGGER_NAME, AccessLog, create_app
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the guest-orders command needs the web extra: pip install 'guest_orders[web]'"
    ) from error

from guest_orders import logs
from guest_orders.__main__ import VERSION_LINE
from guest_orders.adapters.webhook import Webhook
from guest_orders.clocks import SystemClock
from guest_orders.demo import (
    DataFileError,
    DemoData,
    curl_command,
    demo_requests,
    describe_orders,
    load_data_file,
    sample_data,
    sample_data_text,
    with_active_requests,
)
from guest_orders.policy import Policy
from guest_orders.ports import AsyncAttemptLimiter, AsyncUnitOfWork, UnitOfWork
from guest_orders.relay import (
    Deliver,
    DeliveryFailed,
    deliver_pending,
    purge_delivered_events,
    run_relay,
)
from guest_orders.service import AsyncGuestOrders
from guest_orders.throttling import AsyncInMemoryAttemptLimiter, AttemptLimits
from guest_orders.wire.openapi import openapi_bytes, openapi_document
from guest_orders.wire.schema import lookup_response_schema

__all__ = ["main"]

#: The database when ``--database`` is not given: recreated on every start, so the
#: printed commands always work.
DEMO_DATABASE_FILE: Final = "guest-orders-demo.sqlite3"

EXIT_ERROR: Final = 2

#: The environment variable holding the webhook's HMAC secret (never a command-line
#: argument: other users of the machine can read those).
WEBHOOK_SECRET_VARIABLE: Final = "GUEST_ORDERS_WEBHOOK_SECRET"  # noqa: S105  # a name


class CommandError(Exception):
    """A failure reported as one line on stderr, with exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="guest-orders", description="Guest order lookup and cancellation/refund requests."
    )
    parser.add_argument("-V", "--version", action="version", version=VERSION_LINE)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the demo server",
        description=(
            "Serve the guest order endpoints over a seeded database and print curl commands "
            "to try them. Stop with Ctrl-C."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    serve.add_argument(
        "--port", type=int, default=8000, help="port to listen on, 0 for any (%(default)s)"
    )
    serve.add_argument(
        "--database",
        metavar="URL",
        help=(
            "any SQLAlchemy URL; data already there is not loaded again "
            f"(default: ./{DEMO_DATABASE_FILE}, recreated on every start)"
        ),
    )
    serve.add_argument(
        "--data",
        metavar="FILE",
        type=Path,
        help="a JSON data file to load (format: docs/demo-data.md); default: the built-in sample",
    )
    serve.add_argument(
        "--redis",
        metavar="URL",
        help=(
            "count failed ownership attempts in Redis (redis://host:6379/0), shared by every "
            "server process using it; needs the redis extra (default: in this process)"
        ),
    )

    defaults = AttemptLimits()
    serve.add_argument(
        "--max-failures",
        type=_positive_int,
        default=defaults.max_failures,
        metavar="N",
        help="failed ownership attempts per order number and per client before every "
        "attempt is refused (%(default)s)",
    )
    serve.add_argument(
        "--throttle-window",
        type=_positive_int,
        default=int(defaults.window.total_seconds()),
        metavar="SECONDS",
        help="the sliding window those failures are counted in (%(default)s)",
    )

    serve.add_argument(
        "--webhook",
        metavar="URL",
        help=(
            "post every created request's event to URL as JSON, from a relay beside the "
            f"server (signed with ${WEBHOOK_SECRET_VARIABLE} when set)"
        ),
    )

    relay = commands.add_parser(
        "relay",
        help="deliver the outbox's events to a webhook or a Python callable",
        description=(
            "Deliver the events of the outbox, in order and at least once, to a webhook URL "
            f"(POSTed as JSON, signed with ${WEBHOOK_SECRET_VARIABLE} when set) or to a "
            "Python callable (--to package.module:function), and mark them delivered. "
            "Several relays may run at once on PostgreSQL; run one on SQLite. Stop with "
            "Ctrl-C."
        ),
    )
    relay.add_argument("--database", metavar="URL", required=True, help="a SQLAlchemy URL")
    relay.add_argument(
        "--to",
        metavar="TARGET",
        required=True,
        help="an http(s):// webhook URL, or module:function called with each event",
    )
    relay.add_argument(
        "--batch-size", type=int, default=100, help="events per transaction (%(default)s)"
    )
    relay.add_argument(
        "--poll-interval",
        type=float,
        default=1.0,
        help="seconds between looks at a drained outbox (%(default)s)",
    )
    relay.add_argument(
        "--retention-days",
        type=float,
        default=7.0,
        help="purge events delivered longer ago than this (%(default)s)",
    )
    relay.add_argument(
        "--once",
        action="store_true",
        help="deliver what is pending, then exit (status 1 when an event was refused)",
    )

    openapi = commands.add_parser("openapi", help="print the OpenAPI document the server serves")
    openapi.add_argument("--output", metavar="FILE", type=Path, help="write it to FILE instead")
    schema = commands.add_parser("response-schema", help="print the lookup response's JSON Schema")
    schema.add_argument("--output", metavar="FILE", type=Path, help="write it to FILE instead")

    commands.add_parser("sample-data", help="print the built-in sample data file")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "relay":
            return _relay(args)
        if args.command in _GENERATED:
            return _write(openapi_bytes(_GENERATED[args.command]()), args.output)
        return _sample_data()
    except CommandError as error:
        sys.stderr.write(f"guest-orders: error: {error}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:  # before the server took over Ctrl-C
        return 130


def _limits(args: argparse.Namespace | None) -> AttemptLimits:
    if args is None:
        return AttemptLimits()
    return AttemptLimits(
        max_failures=args.max_failures, window=timedelta(seconds=args.throttle_window)
    )


def _build_service(
    store: AsyncUnitOfWork, args: argparse.Namespace | None = None
) -> AsyncGuestOrders:
    """The service the server runs, on the event loop: the store with the default policy
    and clock, and an attempt limiter with ``--max-failures`` and ``--throttle-window``: in
    process, or in Redis with ``--redis``."""
    redis_url: str | None = getattr(args, "redis", None)
    clock = SystemClock()
    limits = _limits(args)
    if redis_url is None:
        limiter: AsyncAttemptLimiter = AsyncInMemoryAttemptLimiter(clock, limits)
    else:
        limiter = _redis_limiter(redis_url, limits)
    return AsyncGuestOrders(store=store, clock=clock, limiter=limiter)


def _redis_limiter(url: str, limits: AttemptLimits) -> AsyncAttemptLimiter:
    """An :class:`AsyncRedisAttemptLimiter` on ``url``, checked (with a sync client) to
    answer now rather than at the first request."""
    try:
        from guest_orders.adapters.redis import (  # noqa: PLC0415
            AsyncRedisAttemptLimiter,
            RedisAttemptLimiter,
        )
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise CommandError(
            "--redis needs the redis extra: pip install 'guest_orders[redis]'"
        ) from None
    try:
        RedisAttemptLimiter(url, limits).ping()
        limiter = AsyncRedisAttemptLimiter(url, limits)
    except Exception as error:  # noqa: BLE001  # bad URL, no server: one line for the user
        location = _redis_location(url)
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        first_line = first_line.replace(url, location)  # some errors quote the whole URL
        password = _redis_password(url)
        if password:
            first_line = first_line.replace(password, "***")
        raise CommandError(f"cannot use Redis at {location}: {first_line}") from None
    return limiter


def _redis_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _redis_location(url: str) -> str:
    """``redis://user:secret@host:6379/0`` -> ``host:6379`` (never the password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "the given URL"
    host = parts.hostname or "localhost"
    return f"{host}:{port}" if port is not None else host


#: The commands that write a generated document, and what they write.
_GENERATED: Final = {"openapi": openapi_document, "response-schema": lookup_response_schema}


def _write(document: bytes, output: Path | None) -> int:
    """The generated ``document`` to ``output``, or to standard output."""
    if output is None:
        sys.stdout.buffer.write(document)
    else:
        output.write_bytes(document)
    return 0


def _sample_data() -> int:
    sys.stdout.write(sample_data_text())
    return 0


# --- serve -----------------------------------------------------------------------------------


def _load(data_file: Path | None) -> DemoData:
    if data_file is None:
        return sample_data()
    try:
        return load_data_file(data_file)
    except DataFileError as error:
        raise CommandError(f"cannot load the data file, nothing was loaded:\n{error}") from None


def _shown_url(url: str) -> str:
    """``url`` as it may be printed: the password masked (``***``)."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return "the given URL"


def _hide(text: str, url: str) -> str:
    """``text`` without the password of ``url``, wherever it is quoted."""
    try:
        password = sa.make_url(url).password
    except (sa.exc.ArgumentError, ValueError):
        password = None
    text = text.replace(url, _shown_url(url))
    return text.replace(str(password), "***") if password else text


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, made before anything else is touched: when
    the port is taken, nothing has changed yet."""
    if not 0 <= port <= 65535:
        raise CommandError(f"--port must be 0 (any free port) to 65535, not {port}")
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        raise CommandError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)
    return sock


@contextlib.contextmanager
def _demo_database() -> Iterator[str]:
    """The default demo database, recreated: only while no other demo server uses it (a
    lock file next to it says so), so a second start never deletes a running one's data."""
    lock_path = Path(DEMO_DATABASE_FILE + ".lock")
    with lock_path.open("a+b") as lock:
        if not _try_lock(lock):
            raise CommandError(
                f"another demo server uses ./{DEMO_DATABASE_FILE}: stop it first, or give "
                "this one its own --database"
            )
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(DEMO_DATABASE_FILE + suffix).unlink(missing_ok=True)
        yield f"sqlite:///{DEMO_DATABASE_FILE}"


def _try_lock(file: BinaryIO) -> bool:
    """Take an exclusive lock on ``file`` for as long as it is open, without waiting."""
    try:
        if sys.platform == "win32":
            import msvcrt  # noqa: PLC0415

            msvcrt.locking(file.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl  # noqa: PLC0415

            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _make_engine(url: str) -> sa.Engine:
    try:
        return make_engine(url)
    except ModuleNotFoundError as error:
        extra = _EXTRA_OF_DRIVER.get((error.name or "").partition(".")[0])
        hint = f": pip install 'guest_orders[{extra}]'" if extra else ""
        raise CommandError(
            f"cannot use {_shown_url(url)}: the driver {error.name} is not installed{hint}"
        ) from None
    except Exception as error:  # noqa: BLE001  # bad URL, missing driver: one line for the user
        raise CommandError(f"cannot use the database URL: {_hide(str(error), url)}") from None


#: The extra that installs a database driver.
_EXTRA_OF_DRIVER: Final = {"psycopg": "postgresql", "psycopg2": "postgresql"}


def _seed(engine: sa.Engine, data: DemoData, url: str) -> tuple[str, DemoData]:
    """Load ``data`` unless the database already holds it; says which happened, and gives
    ``data`` with the active requests the database holds now (for the banner)."""
    store = SqlAlchemyStore(engine)
    try:
        create_schema(engine)
        with store.transaction() as repositories:
            present = sum(
                repositories.orders.find_by_number(order.number) is not None
                for order in data.orders
            )
        if data.orders and present == len(data.orders):
            seeded = "already in the database, not loaded again"
        elif present:
            raise CommandError(
                f"the database holds {present} of the {len(data.orders)} orders of the data: "
                "use an empty database or the one this data was loaded into"
            )
        else:
            store.load(
                orders=data.orders,
                reasons=data.reasons,
                shipping_companies=data.shipping_companies,
                addresses=data.addresses,
                cancellation_requests=data.cancellation_requests,
            )
            seeded = "loaded"
        with store.transaction(read_only=True) as repositories:
            items = [item.pk for order in data.orders for item in order.items]
            active = repositories.cancellation_requests.active_for_items(items)
    except SQLAlchemyError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CommandError(f"cannot use the database: {_hide(first_line, url)}") from None
    return seeded, with_active_requests(data, active.values())


def _public_base_url(host: str, port: int) -> str:
    """A URL a local client can use: a wildcard address becomes the loopback one."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def _banner(
    base_url: str,
    *,
    database: str,
    source: str,
    seeded: str,
    data: DemoData,
    policy: Policy,
    limiter: str,
    events: str,
) -> str:
    now = datetime.now(UTC)
    lines = [
        f"guest_orders demo server on {base_url}",
        f"  database: {database}",
        f"  data: {source} ({seeded})",
        f"  failed attempts counted: {limiter}",
        f"  events: {events}",
        f"  OpenAPI document: {base_url}/openapi.json",
        "",
        "Orders (number, email, what a guest may do):",
        *(f"  {line}" for line in describe_orders(data, policy=policy, now=now)),
        "",
        "Try it (each creation succeeds once):",
    ]
    for request in demo_requests(data, policy=policy, now=now):
        lines += ["", f"# {request.title}", curl_command(base_url, request)]
    lines += ["", "Stop with Ctrl-C."]
    return "\n".join(lines)


def _make_server(
    config: uvicorn.Config,
    on_ready: Callable[[], None],
    on_exit: Callable[[], Awaitable[None]] | None = None,
) -> uvicorn.Server:
    class Server(uvicorn.Server):
        """Calls ``on_ready`` once it serves, and awaits ``on_exit`` (closing the async
        engine's connections) on its event loop once it has shut down."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                on_ready()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await super().shutdown(sockets=sockets)
            finally:
                if on_exit is not None:
                    await on_exit()

    return Server(config)


def _serve(args: argparse.Namespace) -> int:
    data = _load(args.data)
    limits = _limits(args)  # checked before anything is touched
    sock = _bind(args.host, args.port)
    with contextlib.ExitStack() as stack:
        stack.callback(sock.close)
        if args.database is not None:
            url = args.database
            shown_database = _shown_url(url)
        else:
            url = stack.enter_context(_demo_database())
            shown_database = f"{url} (recreated on start)"
        engine = _make_engine(url)
        stack.callback(engine.dispose)
        seeded, now_data = _seed(engine, data, url)
        # Seeded above with the sync engine, before the server accepts anything; served
        # through the async one, on the event loop.
        async_engine = make_async_engine(url)
        service = _build_service(AsyncSqlAlchemyStore(async_engine), args)
        app = create_app(service)
        limiter = (
            f"in Redis at {_redis_location(args.redis)} (shared)"
            if args.redis is not None
            else "in this process"
        )
        deliver = _webhook(args.webhook) if args.webhook is not None else None
        events = (
            f"posted to {_shown_webhook(args.webhook)} by a relay beside the server"
            if args.webhook is not None
            else "kept in the outbox (deliver them with --webhook URL or guest-orders relay)"
        )
        limiter += f", {limits.max_failures} per {int(limits.window.total_seconds())} s"
        banner = _banner(
            _public_base_url(args.host, sock.getsockname()[1]),
            database=shown_database,
            source=str(args.data) if args.data is not None else "built-in sample",
            seeded=seeded,
            data=now_data,
            policy=service.policy,
            limiter=limiter,
            events=events,
        )

        def ready() -> None:
            sys.stdout.write(banner + "\n")
            sys.stdout.flush()

        config = uvicorn.Config(
            AccessLog(app, paths=[r.path for r in app.routes if isinstance(r, Route)]),
            # The app decides whether to trust X-Forwarded-For (create_app's option);
            # uvicorn must not rewrite the client address behind its back.
            proxy_headers=False,
            lifespan="off",
            log_level="info",
            ws="none",  # no endpoint speaks WebSocket: load no WebSocket protocol at all
            # uvicorn's access log writes the query string, where a client may put an
            # email: AccessLog writes method, path, status and duration instead.
            access_log=False,
        )
        _log_access_to_stderr()
        server = _make_server(config, ready, on_exit=async_engine.dispose)
        with _relay_beside(SqlAlchemyStore(engine), deliver):
            _run(server, sock)
    return 0


def _log_access_to_stderr() -> None:
    """Write :class:`AccessLog`'s records to stderr, as uvicorn writes its own."""
    logger = logging.getLogger(ACCESS_LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    """Serve on ``sock`` until SIGINT or SIGTERM, then return normally.

    uvicorn re-raises the signal that stopped it once it is done; with the server's own
    handler installed around it, that repeat is a no-op instead of a KeyboardInterrupt.
    """
    handled = (signal.SIGINT, signal.SIGTERM)
    previous: dict[int, Any] = {sig: signal.signal(sig, server.handle_exit) for sig in handled}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- events ------------------------------------------------------------------------------


@contextmanager
def _relay_warnings_shown() -> Iterator[None]:
    """Print the relay's warnings (an event refused, the database unreachable) on stderr
    while the block runs: the library itself configures no handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("guest-orders: %(message)s"))
    level = logs.logger.level
    logs.logger.addHandler(handler)
    if logs.logger.getEffectiveLevel() > logging.WARNING:
        logs.logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logs.logger.removeHandler(handler)
        logs.logger.setLevel(level)


def _webhook(url: str) -> Webhook:
    try:
        return Webhook(url, secret=os.environ.get(WEBHOOK_SECRET_VARIABLE) or None)
    except ValueError as error:
        raise CommandError(str(error)) from None


def _shown_webhook(url: str) -> str:
    """The webhook URL without credentials or query (they may hold secrets)."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port is not None else ""
    return f"{parts.scheme}://{parts.hostname}{port}{parts.path}"


def _target(target: str) -> Deliver:
    """``--to``: a webhook URL, or ``module:function``."""
    if "://" in target:
        return _webhook(target)
    module_name, _, name = target.partition(":")
    if not module_name or not name:
        raise CommandError(f"--to must be an http(s):// URL or module:function, not {target!r}")
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # as `python -m` would: modules of this folder
    try:
        deliver = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise CommandError(f"cannot load {target}: {error}") from None
    if not callable(deliver):
        raise CommandError(f"{target} is not callable")
    return deliver  # type: ignore[no-any-return]  # checked callable; called with each event


@contextmanager
def _relay_beside(store: UnitOfWork, deliver: Deliver | None) -> Iterator[None]:
    """Run a relay on a thread while the block runs (nothing when ``deliver`` is None)."""
    if deliver is None:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=run_relay,
        args=(store, deliver),
        kwargs={"stop": stop, "poll_interval": 0.2},
        name="guest-orders-relay",
        daemon=True,
    )
    with _relay_warnings_shown():
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=30)


def _relay(args: argparse.Namespace) -> int:
    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1")
    deliver = _target(args.to)
    engine = _make_engine(args.database)
    store = SqlAlchemyStore(engine)
    retention = timedelta(days=args.retention_days)
    try:
        with _relay_warnings_shown():
            if args.once:
                return _relay_once(store, deliver, args.batch_size, retention)
            _relay_until_stopped(store, deliver, args, retention)
    finally:
        engine.dispose()
    return 0


def _relay_until_stopped(
    store: UnitOfWork, deliver: Deliver, args: argparse.Namespace, retention: timedelta
) -> None:
    """Run the relay until SIGINT or SIGTERM."""
    stop = threading.Event()
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in handled}
    try:
        run_relay(
            store,
            deliver,
            stop=stop,
            batch_size=args.batch_size,
            poll_interval=args.poll_interval,
            retention=retention,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _relay_once(store: UnitOfWork, deliver: Deliver, batch_size: int, retention: timedelta) -> int:
    delivered = 0
    try:
        purge_delivered_events(store, older_than=retention)
        while count := deliver_pending(store, deliver, batch_size=batch_size):
            delivered += count
    except DeliveryFailed as failure:
        delivered += failure.delivered
        sys.stderr.write(
            f"guest-orders: {delivered} events delivered, then event "
            f"{failure.event.event_id} was refused: {failure.reason}\n"
        )
        return 1
    except SQLAlchemyError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CommandError(f"cannot use the database: {first_line}") from None
    sys.stdout.write(f"{delivered} events delivered\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
