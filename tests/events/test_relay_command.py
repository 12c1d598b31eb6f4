"""``guest-orders relay``: delivers a database's outbox to a webhook (a server these tests
start on 127.0.0.1) or to a Python callable."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from _builders import (
    APPROVED_ITEM,
    NOW,
    WAITING_ITEM,
    addresses,
    bulk,
    cancel_item,
    companies,
    guest_order,
    reasons,
)
from guest_orders import cli
from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, create_schema, make_engine
from guest_orders.adapters.webhook import SIGNATURE_HEADER, verify_signature
from guest_orders.clocks import FixedClock
from guest_orders.policy import Policy
from guest_orders.use_cases import request_cancellation

SECRET = "relay-command-test"  # noqa: S105  # a test key


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A SQLite database with two created requests, so two pending events."""
    url = f"sqlite:///{tmp_path / 'events.sqlite3'}"
    engine = make_engine(url)
    try:
        create_schema(engine)
        store = SqlAlchemyStore(engine)
        store.load(
            orders=[guest_order()],
            reasons=reasons(),
            shipping_companies=companies(),
            addresses=addresses(),
        )
        request_cancellation(
            bulk(cancel_item(APPROVED_ITEM), cancel_item(WAITING_ITEM)),
            uow=store,
            clock=FixedClock(NOW),
            policy=Policy(),
        )
    finally:
        engine.dispose()
    return url


@pytest.fixture
def hook() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]], list[int]]]:
    """A receiver on 127.0.0.1: its URL, what it received, statuses to answer (then 200)."""
    received: list[tuple[dict[str, str], bytes]] = []
    statuses: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers.items()), body))
            self.send_response(statuses.pop(0) if statuses else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/events", received, statuses
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_relay_once_posts_the_pending_events_signed(
    database: str,
    hook: tuple[str, list[tuple[dict[str, str], bytes]], list[int]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, received, _ = hook
    monkeypatch.setenv(cli.WEBHOOK_SECRET_VARIABLE, SECRET)
    assert cli.main(["relay", "--once", "--database", database, "--to", url]) == 0
    assert capsys.readouterr().out == "2 events delivered\n"
    items = [json.loads(body)["data"]["order_item"] for _, body in received]
    assert items == [APPROVED_ITEM, WAITING_ITEM]
    assert all(verify_signature(SECRET, body, h[SIGNATURE_HEADER]) for h, body in received)
    assert cli.main(["relay", "--once", "--database", database, "--to", url]) == 0
    assert capsys.readouterr().out == "0 events delivered\n", "delivered events are marked"


def test_relay_once_reports_a_refused_event_and_delivers_it_next_time(
    database: str,
    hook: tuple[str, list[tuple[dict[str, str], bytes]], list[int]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, received, statuses = hook
    statuses.extend([200, 500, 500, 500])
    assert cli.main(["relay", "--once", "--database", database, "--to", url]) == 1
    assert "1 events delivered, then event" in capsys.readouterr().err
    assert cli.main(["relay", "--once", "--database", database, "--to", url]) == 0
    ids = [h["X-Guest-Orders-Event-Id"] for h, _ in received]
    assert len(ids) == 5
    assert ids[1] == ids[4], "the refused event is delivered again, with its id"


def test_relay_to_a_python_callable(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "back_office.py").write_text(
        "received = []\n\ndef on_event(event):\n    received.append(event)\n"
    )
    monkeypatch.chdir(tmp_path)  # the module is found in the current folder, as with -m
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in {"", str(tmp_path)}])
    try:
        argv = ["relay", "--once", "--database", database, "--to", "back_office:on_event"]
        assert cli.main(argv) == 0
        back_office = sys.modules["back_office"]
    finally:
        sys.modules.pop("back_office", None)
    assert [event.order_item for event in back_office.received] == [APPROVED_ITEM, WAITING_ITEM]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("ftp://example.com/", "must be an http:// or https:// URL"),
        ("back_office", "must be an http(s):// URL or module:function"),
        ("no_such_module_here:f", "cannot load"),
        ("json:no_such_function", "cannot load"),
        ("json:__doc__", "is not callable"),
    ],
)
def test_a_bad_target_is_one_line_and_exit_2(
    database: str, target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["relay", "--once", "--database", database, "--to", target]) == 2
    assert message in capsys.readouterr().err


def test_the_relay_runs_until_ctrl_c(
    database: str,
    hook: tuple[str, list[tuple[dict[str, str], bytes]], list[int]],
    tmp_path: Path,
) -> None:
    url, received, _ = hook
    command = [sys.executable, "-m", "guest_orders.cli", "relay", "--database", database]
    command += ["--to", url, "--poll-interval", "0.05"]
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as stderr:
        process = subprocess.Popen(command, stderr=stderr)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while len(received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(received) == 2
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in errors.read_text()
