"""Profile the library side of a figure with cProfile and print where the time goes.

    .venv/bin/python benchmarks/profile_hotspots.py render     # figure 1
    .venv/bin/python benchmarks/profile_hotspots.py lookup     # figure 2: parse_lookup
    .venv/bin/python benchmarks/profile_hotspots.py bulk       # figure 2: 1000-item parse
    .venv/bin/python benchmarks/profile_hotspots.py cancel     # figure 3: 1000-item cancel
    .venv/bin/python benchmarks/profile_hotspots.py sqlite     # figure 4: SQLite lookup
    .venv/bin/python benchmarks/profile_hotspots.py service    # figure 5: service.lookup

Add ``--sort cumulative`` to sort by cumulative time (default: own time).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
from collections.abc import Callable
from pathlib import Path

import fixtures

_TEMPORARY: list[tempfile.TemporaryDirectory[str]] = []


def _render() -> Callable[[], object]:
    from guest_orders.wire import render_order  # noqa: PLC0415

    snapshot = fixtures.lookup_snapshot()
    return lambda: render_order(snapshot)


def _lookup() -> Callable[[], object]:
    from guest_orders.wire import parse_lookup  # noqa: PLC0415

    payload = fixtures.lookup_payload()
    return lambda: parse_lookup(payload)


def _bulk() -> Callable[[], object]:
    from guest_orders.wire import parse_bulk_cancellation  # noqa: PLC0415

    order = fixtures.make_order(items=1000, cancellable_only=True)
    payload = fixtures.bulk_payload(order, 1000)
    return lambda: parse_bulk_cancellation(payload, policy=fixtures.BULK_POLICY)


def _cancel() -> Callable[[], object]:
    from bench_use_cases import FreshRequestsStore  # noqa: PLC0415
    from guest_orders.use_cases import request_cancellation  # noqa: PLC0415
    from guest_orders.wire import parse_bulk_cancellation  # noqa: PLC0415

    order = fixtures.make_order(items=1000, cancellable_only=True)
    store = FreshRequestsStore([order])
    command = parse_bulk_cancellation(
        fixtures.bulk_payload(order, 1000), policy=fixtures.BULK_POLICY
    )
    return lambda: request_cancellation(
        command, uow=store, clock=fixtures.CLOCK, policy=fixtures.BULK_POLICY
    )


def _sqlite() -> Callable[[], object]:
    import bench_sql  # noqa: PLC0415
    from guest_orders.adapters.sqlalchemy import SqlAlchemyStore  # noqa: PLC0415

    engine, _path = bench_sql.sqlite_target()
    lookup = bench_sql.library_lookup(SqlAlchemyStore(engine))
    number = fixtures.order_number(1)
    return lambda: lookup(number)


def _service() -> Callable[[], object]:
    from http_apps import demo_service, seed_demo  # noqa: PLC0415

    # Kept referenced, so the directory is removed when the interpreter exits.
    _TEMPORARY.append(tempfile.TemporaryDirectory(prefix="guest_orders_profile_"))
    database = Path(_TEMPORARY[-1].name) / "demo.sqlite3"
    payload = seed_demo(database)
    service = demo_service(database)
    return lambda: service.lookup(payload)


TARGETS = {
    "render": (_render, 20_000),
    "lookup": (_lookup, 5_000),
    "bulk": (_bulk, 20),
    "cancel": (_cancel, 20),
    "sqlite": (_sqlite, 2_000),
    "service": (_service, 2_000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    parser.add_argument("--lines", type=int, default=25)
    args = parser.parse_args()
    make, calls = TARGETS[args.target]
    fn = make()
    for _ in range(max(1, calls // 10)):  # warm caches and generated code
        fn()
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(calls):
        fn()
    profile.disable()
    print(f"{args.target}: {calls} calls")
    pstats.Stats(profile).strip_dirs().sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
