"""The ``guest-orders`` command: a demo server, the OpenAPI document, the sample data.

``guest-orders serve`` seeds a database (SQLite by default) with the built-in sample data
or a data file, serves the endpoints with uvicorn and prints curl commands that work
against it. Ctrl-C stops it cleanly, with exit status 0.

Needs the ``web`` extra (``pip install 'guest_orders[web]'``).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

try:
    import sqlalchemy as sa
    import uvicorn
    from sqlalchemy.exc import SQLAlchemyError

    from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine
    from guest_orders.adapters.web import create_app, openapi_document
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "the guest-orders command needs the web extra: pip install 'guest_orders[web]'"
    ) from error

from guest_orders.__main__ import VERSION_LINE
from guest_orders.adapters.memory import InMemoryStore
from guest_orders.demo import (
    DataFileError,
    DemoData,
    curl_command,
    demo_requests,
    describe_orders,
    load_data_file,
    sample_data,
    sample_data_text,
)
from guest_orders.policy import Policy
from guest_orders.ports import AttemptLimiter, UnitOfWork
from guest_orders.service import GuestOrders

if TYPE_CHECKING:
    import socket

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

    openapi = commands.add_parser("openapi", help="print the OpenAPI document the server serves")
    openapi.add_argument("--output", metavar="FILE", type=Path, help="write it to FILE instead")

    commands.add_parser("sample-data", help="print the built-in sample data file")
    return parser


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


def _build_service(store: UnitOfWork, args: argparse.Namespace | None = None) -> GuestOrders:
    """The service the server runs: the store with the default policy and clock, and an
    attempt limiter: in process, or in Redis with ``--redis``."""
    redis_url: str | None = getattr(args, "redis", None)
    if redis_url is None:
        return GuestOrders(store=store)
    return GuestOrders(store=store, limiter=_redis_limiter(redis_url))


def _redis_limiter(url: str) -> AttemptLimiter:
    """A :class:`RedisAttemptLimiter` on ``url``, checked to answer now rather than at the
    first request."""
    try:
        from guest_orders.adapters.redis import RedisAttemptLimiter  # noqa: PLC0415
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise CommandError(
            "--redis needs the redis extra: pip install 'guest_orders[redis]'"
        ) from None
    try:
        limiter = RedisAttemptLimiter(url)
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


def _database_url(database: str | None) -> str:
    """The URL to use; the default demo file is deleted first, to start afresh."""
    if database is not None:
        return database
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(DEMO_DATABASE_FILE + suffix).unlink(missing_ok=True)
    return f"sqlite:///{DEMO_DATABASE_FILE}"


def _seed(engine: sa.Engine, data: DemoData) -> str:
    """Load ``data`` unless the database already holds it; says which happened."""
    store = SqlAlchemyStore(engine)
    try:
        create_schema(engine)
        with store.transaction() as repositories:
            present = sum(
                repositories.orders.find_by_number(order.number) is not None
                for order in data.orders
            )
        if data.orders and present == len(data.orders):
            return "already in the database, not loaded again"
        if present:
            raise CommandError(
                f"the database holds {present} of the {len(data.orders)} orders of the data: "
                "use an empty database or the one this data was loaded into"
            )
        store.load(
            orders=data.orders,
            reasons=data.reasons,
            shipping_companies=data.shipping_companies,
            addresses=data.addresses,
            cancellation_requests=data.cancellation_requests,
        )
    except SQLAlchemyError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CommandError(f"cannot use the database: {first_line}") from None
    return "loaded"


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


def _make_server(config: uvicorn.Config, on_ready: Callable[[int], None]) -> uvicorn.Server:
    class Server(uvicorn.Server):
        """Calls ``on_ready`` with the port once it listens."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                on_ready(self.servers[0].sockets[0].getsockname()[1])

    return Server(config)


def _serve(args: argparse.Namespace) -> int:
    data = _load(args.data)
    url = _database_url(args.database)
    try:
        engine = make_engine(url)
    except Exception as error:  # noqa: BLE001  # bad URL, missing driver: one line for the user
        raise CommandError(f"cannot use the database URL: {error}") from None
    try:
        seeded = _seed(engine, data)
        service = _build_service(SqlAlchemyStore(engine), args)
        app = create_app(service)
        shown_database = url if args.database is not None else f"{url} (recreated on start)"
        source = str(args.data) if args.data is not None else "built-in sample"
        limiter = (
            f"in Redis at {_redis_location(args.redis)} (shared)"
            if args.redis is not None
            else "in this process"
        )

        def ready(port: int) -> None:
            base_url = _public_base_url(args.host, port)
            text = _banner(
                base_url,
                database=shown_database,
                source=source,
                seeded=seeded,
                data=data,
                policy=service.policy,
                limiter=limiter,
            )
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

        config = uvicorn.Config(
            app,
            host=args.host,
            port=args.port,
            # The app decides whether to trust X-Forwarded-For (create_app's option);
            # uvicorn must not rewrite the client address behind its back.
            proxy_headers=False,
            lifespan="off",
            log_level="info",
        )
        server = _make_server(config, ready)
        _run(server)
    finally:
        engine.dispose()
    return 0


def _run(server: uvicorn.Server) -> None:
    """Run until SIGINT or SIGTERM, then return normally.

    uvicorn re-raises the signal that stopped it once it is done; with the server's own
    handler installed around it, that repeat is a no-op instead of a KeyboardInterrupt.
    """
    handled = (signal.SIGINT, signal.SIGTERM)
    previous: dict[int, Any] = {sig: signal.signal(sig, server.handle_exit) for sig in handled}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
