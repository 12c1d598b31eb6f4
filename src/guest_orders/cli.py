"""The ``guest-orders`` command: a demo server, the OpenAPI document, the sample data.

``guest-orders serve`` seeds a database (SQLite by default) with the built-in sample data
or a data file, serves the endpoints with uvicorn and prints curl commands that work
against it. Ctrl-C stops it cleanly, with exit status 0.

Needs the ``web`` extra (``pip install 'guest_orders[web]'``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
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
    from guest_orders.adapters.web import (
        ACCESS_LOGGER_NAME,
        AccessLog,
        create_app,
        openapi_document,
    )
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the guest-orders command needs the web extra: pip install 'guest_orders[web]'"
    ) from error

from guest_orders.__main__ import VERSION_LINE
from guest_orders.adapters.memory import InMemoryStore
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
from guest_orders.ports import AttemptLimiter, UnitOfWork
from guest_orders.service import GuestOrders
from guest_orders.throttling import AttemptLimits, InMemoryAttemptLimiter

__all__ = ["main"]

#: The database when ``--database`` is not given: recreated on every start, so the
#: printed commands always work.
DEMO_DATABASE_FILE: Final = "guest-orders-demo.sqlite3"

EXIT_ERROR: Final = 2


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

    openapi = commands.add_parser("openapi", help="print the OpenAPI document the server serves")
    openapi.add_argument("--output", metavar="FILE", type=Path, help="write it to FILE instead")

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
        if args.command == "openapi":
            return _openapi(args.output)
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


def _build_service(store: UnitOfWork, args: argparse.Namespace | None = None) -> GuestOrders:
    """The service the server runs: the store with the default policy and clock, and an
    attempt limiter with ``--max-failures`` and ``--throttle-window``: in process, or in
    Redis with ``--redis``."""
    redis_url: str | None = getattr(args, "redis", None)
    clock = SystemClock()
    limits = _limits(args)
    if redis_url is None:
        return GuestOrders(store=store, clock=clock, limiter=InMemoryAttemptLimiter(clock, limits))
    return GuestOrders(store=store, clock=clock, limiter=_redis_limiter(redis_url, limits))


def _redis_limiter(url: str, limits: AttemptLimits) -> AttemptLimiter:
    """A :class:`RedisAttemptLimiter` on ``url``, checked to answer now rather than at the
    first request."""
    try:
        from guest_orders.adapters.redis import RedisAttemptLimiter  # noqa: PLC0415
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise CommandError(
            "--redis needs the redis extra: pip install 'guest_orders[redis]'"
        ) from None
    try:
        limiter = RedisAttemptLimiter(url, limits)
        limiter.ping()
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


def _openapi(output: Path | None) -> int:
    document = openapi_document(_build_service(InMemoryStore()))
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
) -> str:
    now = datetime.now(UTC)
    lines = [
        f"guest_orders demo server on {base_url}",
        f"  database: {database}",
        f"  data: {source} ({seeded})",
        f"  failed attempts counted: {limiter}",
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


def _make_server(config: uvicorn.Config, on_ready: Callable[[], None]) -> uvicorn.Server:
    class Server(uvicorn.Server):
        """Calls ``on_ready`` once it serves."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                on_ready()

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
        service = _build_service(SqlAlchemyStore(engine), args)
        app = create_app(service)
        limiter = (
            f"in Redis at {_redis_location(args.redis)} (shared)"
            if args.redis is not None
            else "in this process"
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
            # uvicorn's access log writes the query string, where a client may put an
            # email: AccessLog writes method, path, status and duration instead.
            access_log=False,
        )
        _log_access_to_stderr()
        server = _make_server(config, ready)
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


if __name__ == "__main__":
    sys.exit(main())
