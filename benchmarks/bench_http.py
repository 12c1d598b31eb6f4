"""Figure 5: requests per second of the demo server's lookup endpoint, against a bare
Starlette endpoint returning a precomputed body.

For information, a third server shows the floor: a hand-written endpoint that does only
the lookup's storage work (``http_apps.floor_app``). Its ratio to the bare endpoint is
the best any implementation reading the order from the same SQLite database can reach.

Both run under uvicorn with the same settings (one worker, ``--no-access-log``), each in a
process of its own; the load comes from a third process on loopback (``wrk`` when it is
installed, else ``loadgen.py``), bounded in time and count. Runs alternate between the
two servers and the ratio is taken per pair of runs.
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
from pathlib import Path

import orjson

from guest_orders.adapters.web import LOOKUP_PATH
from harness import QUICK, Report, at_least
from http_apps import BODY_VARIABLE, DB_VARIABLE, demo_service, seed_demo

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


def _start(factory: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603  # fixed arguments, our own interpreter
        [
            sys.executable,
            "-m",
            "uvicorn",
            f"http_apps:{factory}",
            "--factory",
            "--app-dir",
            str(HERE),
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{factory} exited with {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"{factory} did not start listening")


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
    with tempfile.TemporaryDirectory(prefix="guest_orders_bench_http_") as tmp:
        workdir = Path(tmp)
        database = workdir / "demo.sqlite3"
        payload = seed_demo(database)
        service = demo_service(database)
        body_file = workdir / "body.json"
        # The bytes the demo app sends (its web adapter encodes with orjson when installed).
        body_file.write_bytes(orjson.dumps(service.lookup(payload)))
        service.store.engine.dispose()  # type: ignore[attr-defined]
        env = {**os.environ, DB_VARIABLE: str(database), BODY_VARIABLE: str(body_file)}
        request_body = json.dumps(payload)

        servers = {name: _start(name, env) for name in ("bare_app", "demo_app", "floor_app")}
        try:
            rps: dict[str, list[float]] = {name: [] for name in servers}
            errors = 0
            for _ in range(ROUNDS):
                for name, (_process, port) in servers.items():
                    result = _load(port, request_body, workdir)
                    rps[name].append(result["rps"])
                    errors += int(result["errors"])
        finally:
            for process, _port in servers.values():
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()

    def ratio_to_bare(name: str) -> float:
        return statistics.median(x / b for x, b in zip(rps[name], rps["bare_app"], strict=True))

    ratio, floor = ratio_to_bare("demo_app"), ratio_to_bare("floor_app")
    generator = "wrk" if shutil.which("wrk") else "loadgen.py"
    report.add(
        section,
        f"demo lookup endpoint vs bare Starlette endpoint ({generator}, {CONNECTIONS} "
        "keep-alive connections)",
        f"{ratio:.2f}× ({statistics.median(rps['demo_app']):.0f} vs "
        f"{statistics.median(rps['bare_app']):.0f} requests/s)",
        "≥ 0.6×",
        met=ratio >= 0.6 and errors == 0,
        value=ratio,
        check=at_least(0.6),
        note=f"{errors} non-200 responses" if errors else "",
    )
    report.add(
        section,
        "floor: a hand-written endpoint doing only the lookup's SQLite reads, inline, "
        "vs the bare endpoint",
        f"{floor:.2f}× ({statistics.median(rps['floor_app']):.0f} requests/s); "
        f"the demo reaches {ratio / floor:.2f}× of it",
    )
