"""The peers: what users would write instead of using the library, measured in the same
run, on the same data, by the storage figure (4) and the HTTP figure (5).

To add a peer: write its module (a storage function and a server, as ``peer_fastapi``
and ``peer_drf`` do) and append a :class:`Peer` to :data:`PEERS`. The figures, the
summary and the regression check against the previous release pick it up; record its
line of ``baseline.json`` by measuring the previous release (``docs/performance.md``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class StorageTarget:
    """One database of the storage figure, as each kind of peer names it."""

    backend: str  # "SQLite" or "PostgreSQL"
    url: sa.URL  # SQLAlchemy's
    engine_options: dict[str, Any]  # extra create_engine arguments (connect_args...)
    django: dict[str, Any]  # an entry of Django's DATABASES


@dataclass(frozen=True)
class Peer:
    key: str
    name: str
    #: Called once with every storage target before any is measured (per-process setup).
    prepare: Callable[[list[StorageTarget]], None]
    #: The storage work of one lookup on a target: number -> the order and its reads.
    storage: Callable[[StorageTarget], Callable[[str], object]]
    #: The command that serves the peer's lookup endpoint on (host, port); it finds the
    #: demo database in ``GUEST_ORDERS_BENCH_HTTP_DB`` and runs in ``benchmarks/``.
    server: Callable[[str, int], list[str]]


def _nothing(_targets: list[StorageTarget]) -> None:
    return None


def _fastapi_storage(target: StorageTarget) -> Callable[[str], object]:
    import peer_fastapi  # noqa: PLC0415  # the bench group's packages, imported when used

    return peer_fastapi.storage(target.url, **target.engine_options)


def _fastapi_server(host: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "peer_fastapi:app",
        "--factory",
        "--app-dir",
        str(HERE),
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--lifespan",
        "off",
        "--log-level",
        "warning",
    ]


def _fastapi_async_storage(target: StorageTarget) -> Callable[[str], object]:
    import peer_fastapi_async  # noqa: PLC0415

    return peer_fastapi_async.storage(target.url, **target.engine_options)


def _fastapi_async_server(host: str, port: int) -> list[str]:
    command = _fastapi_server(host, port)
    command[command.index("peer_fastapi:app")] = "peer_fastapi_async:app"
    return command


def _drf_prepare(targets: list[StorageTarget]) -> None:
    import peer_drf  # noqa: PLC0415

    peer_drf.configure(
        {"default": targets[0].django} | {target.backend: target.django for target in targets}
    )


def _drf_storage(target: StorageTarget) -> Callable[[str], object]:
    import peer_drf  # noqa: PLC0415

    return peer_drf.storage(target.backend)


def _drf_server(host: str, port: int) -> list[str]:
    # gunicorn with threads: Django's usual WSGI deployment; keep-alive works with gthread.
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--chdir",
        str(HERE),
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "--bind",
        f"{host}:{port}",
        "--log-level",
        "warning",
        "peer_drf:application()",
    ]


PEERS: list[Peer] = [
    Peer(
        key="fastapi",
        name="FastAPI + pydantic v2 + SQLAlchemy ORM",
        prepare=_nothing,
        storage=_fastapi_storage,
        server=_fastapi_server,
    ),
    Peer(
        key="fastapi_async",
        name="FastAPI + pydantic v2 + SQLAlchemy AsyncSession",
        prepare=_nothing,
        storage=_fastapi_async_storage,
        server=_fastapi_async_server,
    ),
    Peer(
        key="drf",
        name="Django REST framework (WSGI, gunicorn)",
        prepare=_drf_prepare,
        storage=_drf_storage,
        server=_drf_server,
    ),
]
