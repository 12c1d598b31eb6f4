"""Figure 5: requests per second of the demo server's lookup endpoint, against the same
endpoint as users would otherwise write it (the peers of ``peers.py``: FastAPI + pydantic
v2 + SQLAlchemy ORM under uvicorn, Django REST framework under gunicorn), on the same
SQLite database seeded with the demo's sample data, the same request.

Each server runs in a process of its own, one worker (the library's and FastAPI's under
uvicorn, ``--no-access-log``); the load comes from a third process on loopback (``wrk``
when it is installed, else ``loadgen.py``), bounded in time and count. Runs alternate
between the servers and each ratio (library ÷ peer, higher is better) is taken per round.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from guest_orders.adapters.web import LOOKUP_PATH
from harness import QUICK, Report
from http_apps import DB_VARIABLE, demo_service, seed_demo
from peers import PEERS

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
ROUNDS = 2 if QUICK else 3
SECONDS = 3.0 if QUICK else 5.0
CONNECTIONS = 8


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_factory(factory: str) -> Callable[[str, int], list[str]]:
    """The command serving ``http_apps:<factory>`` under uvicorn, one worker."""

    def command(host: str, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            f"http_apps:{factory}",
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

    return command


def _start(
    name: str, env: dict[str, str], command: Callable[[str, int], list[str]] | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """Start a server (by default ``http_apps:<name>`` under uvicorn) on a free port."""
    port = _free_port()
    argv = (command or uvicorn_factory(name))(HOST, port)
    process = subprocess.Popen(argv, env=env, cwd=HERE)  # noqa: S603
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"{name} did not start listening")


def _wrk(port: int, body: str, workdir: Path) -> dict[str, float]:
    script = workdir / "post.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("RESULT %d %d %d\\n", summary.requests, summary.duration,'
        " summary.errors.status + summary.errors.connect + summary.errors.read"
        " + summary.errors.write + summary.errors.timeout))\n"
        "end\n"
    )
    wrk = shutil.which("wrk")
    assert wrk is not None
    output = subprocess.run(  # noqa: S603
        [
            wrk,
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{int(SECONDS)}s",
            "-s",
            str(script),
            f"http://{HOST}:{port}{LOOKUP_PATH}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=SECONDS + 60,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    requests, micros, errors = (int(x) for x in line.split()[1:])
    return {"rps": requests / (micros / 1e6), "errors": errors, "requests": requests}


def _load(port: int, body: str, workdir: Path) -> dict[str, float]:
    if shutil.which("wrk"):
        return _wrk(port, body, workdir)
    output = subprocess.run(  # noqa: S603
        [
            sys.executable,
            str(HERE / "loadgen.py"),
            "--port",
            str(port),
            "--path",
            LOOKUP_PATH,
            "--body",
            body,
            "--seconds",
            str(SECONDS),
            "--connections",
            str(CONNECTIONS),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=SECONDS + 60,
    ).stdout
    result: dict[str, float] = json.loads(output)
    return result


def run(report: Report) -> None:
    section = "5. HTTP"
    print(f"\n{section}", flush=True)
    commands = {"library": uvicorn_factory("demo_app")} | {p.key: p.server for p in PEERS}
    with tempfile.TemporaryDirectory(prefix="guest_orders_bench_http_") as tmp:
        workdir = Path(tmp)
        database = workdir / "demo.sqlite3"
        payload = seed_demo(database)
        service = demo_service(database)
        expected = service.lookup(payload)  # the library's answer: every server must find it
        service.store.engine.dispose()  # type: ignore[attr-defined]
        env = {**os.environ, DB_VARIABLE: str(database)}
        request_body = json.dumps(payload)

        servers = {name: _start(name, env, command) for name, command in commands.items()}
        try:
            for name, (_process, port) in servers.items():
                _check_answer(name, port, payload, expected)
            rps: dict[str, list[float]] = {name: [] for name in servers}
            errors = dict.fromkeys(servers, 0)
            for _ in range(ROUNDS):
                for name, (_process, port) in servers.items():
                    result = _load(port, request_body, workdir)
                    rps[name].append(result["rps"])
                    errors[name] += int(result["errors"])
        finally:
            for process, _port in servers.values():
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    generator = "wrk" if shutil.which("wrk") else "loadgen.py"
    medians = {name: statistics.median(values) for name, values in rps.items()}
    report.add(
        section,
        f"lookup endpoint, requests/s ({generator}, {CONNECTIONS} keep-alive connections)",
        ", ".join(f"{name} {medians[name]:.0f}" for name in servers),
        note=", ".join(f"{name}: {n} non-200 responses" for name, n in errors.items() if n),
    )
    for peer in PEERS:
        ratio = statistics.median(
            mine / theirs for mine, theirs in zip(rps["library"], rps[peer.key], strict=True)
        )
        report.add(
            section,
            f"lookup endpoint, requests/s: library ÷ {peer.name}",
            f"{ratio:.2f}× ({medians['library']:.0f} vs {medians[peer.key]:.0f} requests/s)",
            value=ratio,
            better="higher",
        )


def _check_answer(name: str, port: int, payload: dict[str, str], expected: object) -> None:
    """The server finds the order the library finds (same number, same items)."""
    response = httpx.post(f"http://{HOST}:{port}{LOOKUP_PATH}", json=payload, timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"{name} answered {response.status_code}: {response.text[:200]}")
    [order] = response.json()
    [want] = expected  # type: ignore[misc]
    found = (order["number"], [item["pk"] for item in _items(order)])
    if found != (want["number"], [item["pk"] for item in _items(want)]):
        raise RuntimeError(f"{name} found another order: {found}")


def _items(order: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of an order as the library (DRF's ``orderitem_set``) or a peer names them."""
    items: list[dict[str, Any]] = order.get("orderitem_set", order.get("items", []))
    return items
