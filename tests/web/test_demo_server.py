"""The demo server as users run it: a separate process on a free loopback port, talked to
over HTTP, stopped with Ctrl-C (SIGINT). Also the command's other paths, in process."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import attrs
import httpx
import pytest
import sqlalchemy as sa

from guest_orders import cli
from guest_orders.adapters.memory import AsyncInMemoryStore
from guest_orders.adapters.redis import AsyncRedisAttemptLimiter, RedisAttemptLimiter
from guest_orders.adapters.sqlalchemy import SqlAlchemyStore, make_engine
from guest_orders.demo import (
    demo_requests,
    describe_orders,
    load_data,
    sample_data,
    sample_data_text,
)
from guest_orders.domain import CancellationRequest
from guest_orders.errors import OrderNotFound, TooManyAttempts
from guest_orders.policy import Policy
from guest_orders.service import AsyncGuestOrders, GuestOrders
from guest_orders.throttling import (
    AsyncInMemoryAttemptLimiter,
    AttemptLimits,
    attempt_keys,
)
from web._web_support import (
    CANCELLABLE,
    REASONS,
    REFUNDABLE,
    REGISTERED,
    REPO_ROOT,
    sample_store,
)

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="stops the server with SIGINT (POSIX signals)"
)

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
BANNER_END = "Stop with Ctrl-C."


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@attrs.frozen
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text(encoding="utf-8")

    def errors(self) -> str:
        return self.stderr.read_text(encoding="utf-8")

    def interrupt(self) -> int:
        """Ctrl-C, and the exit status once it has stopped."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=STOP_TIMEOUT)


def _wait_until_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode}:\n{server.errors()}")
        if BANNER_END in server.output():
            try:
                if httpx.get(server.base_url + REASONS, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.1)
    pytest.fail(f"the server did not answer within {READY_TIMEOUT} s:\n{server.errors()}")


@contextmanager
def running_server(tmp_path: Path, *args: str) -> Iterator[Server]:
    port = free_port()
    stdout = tmp_path / "stdout.txt"
    stderr = tmp_path / "stderr.txt"
    database = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    command = [sys.executable, "-m", "guest_orders.cli", "serve", "--port", str(port)]
    command += ["--database", database, *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=tmp_path, env=env)  # noqa: S603
    server = Server(process, f"http://127.0.0.1:{port}", stdout, stderr)
    try:
        _wait_until_ready(server)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


def test_the_server_serves_every_endpoint_and_stops_cleanly(tmp_path: Path) -> None:
    with running_server(tmp_path) as server, httpx.Client(base_url=server.base_url) as http:
        lookup = http.post("/users/orders/anonymous/", json=CANCELLABLE)
        assert lookup.status_code == 200
        assert lookup.json()[0]["number"] == CANCELLABLE["number"]

        storefront = http.post("/users/orders/anonymous", data=CANCELLABLE)
        assert storefront.status_code == 200
        assert storefront.json() == lookup.json()

        cancel = http.post(
            "/users/orders/anonymous/cancellation_requests",
            json={**CANCELLABLE, "order_item": 1002, "reason": 2, "cancellation_type": "cancel"},
        )
        assert cancel.status_code == 201, cancel.text
        assert cancel.json()["order_item"] == 1002

        bulk = http.post(
            "/users/orders/anonymous/bulk_cancellation_requests/",
            json={
                **REFUNDABLE,
                "cancel_order_items": [
                    {
                        "order_item": 2001,
                        "reason": 4,
                        "cancellation_type": "refund",
                        "shipping_company": 2,
                    }
                ],
            },
        )
        assert bulk.status_code == 201, bulk.text
        assert bulk.json()[0]["easy_return"]["shipping_company"]["pk"] == 2

        after = http.post("/users/orders/anonymous/", json=REFUNDABLE).json()[0]
        assert after["orderitem_set"][0]["active_cancellation_request"]["id"]

        reasons = http.get(REASONS)
        assert reasons.status_code == 200
        assert reasons.json()["count"] == 5

        unknown = http.post("/users/orders/anonymous/", json={**CANCELLABLE, "number": "1"})
        registered = http.post("/users/orders/anonymous/", json=REGISTERED)
        assert unknown.status_code == registered.status_code
        assert unknown.content == registered.content

        too_large = http.post(
            "/users/orders/anonymous/",
            content=b"x" * (9 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
        )
        assert too_large.status_code == 413

        assert http.get("/nope").json()["code"] == "not_found"
        assert http.get("/openapi.json").content == (REPO_ROOT / "docs/openapi.json").read_bytes()

        assert server.interrupt() == 0
    errors = server.errors()
    assert "Traceback" not in errors
    assert "Finished server process" in errors


def test_sigterm_stops_it_cleanly_too(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=STOP_TIMEOUT) == 0
    assert "Traceback" not in server.errors()


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_printed_curl_commands_work(tmp_path: Path) -> None:
    curl = shutil.which("curl")
    assert curl is not None
    with running_server(tmp_path) as server:
        commands = [line for line in server.output().splitlines() if line.startswith("curl ")]
        assert len(commands) == 5
        for command in commands:
            argv = shlex.split(command)
            assert argv[0] == "curl"
            result = subprocess.run(  # noqa: S603
                [curl, *argv[1:], "-w", "\n%{http_code}"],
                capture_output=True,
                check=False,
                timeout=30,
            )
            assert result.returncode == 0, result.stderr
            body, _, status = result.stdout.decode().rpartition("\n")
            assert status.startswith("2"), f"{command}\n-> {status} {body}"
            json.loads(body)
        assert server.interrupt() == 0


def _readme_receiver() -> str:
    """The receiver the README shows."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^```python\n(# receiver\.py.*?)^```$", readme, re.DOTALL | re.MULTILINE)
    assert match is not None, "the README shows receiver.py"
    return match.group(1)


def test_the_readme_receiver_prints_the_events_of_the_printed_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the README shows: its receiver prints one line per request the printed curl
    commands create, the demo server's relay posting them signed."""
    curl = shutil.which("curl")
    assert curl is not None
    port = free_port()
    receiver_file = tmp_path / "receiver.py"
    receiver_file.write_text(_readme_receiver().replace("9000", str(port)), encoding="utf-8")
    monkeypatch.setenv("GUEST_ORDERS_WEBHOOK_SECRET", "demo-secret")  # receiver and server
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    printed = tmp_path / "printed.txt"
    with printed.open("wb") as out:
        receiver = subprocess.Popen(  # noqa: S603
            [sys.executable, str(receiver_file)], stdout=out, stderr=subprocess.DEVNULL, env=env
        )
    hook = f"http://127.0.0.1:{port}/events"
    created: list[tuple[str, int]] = []
    try:
        with running_server(tmp_path, "--webhook", hook) as server:
            assert f"events: posted to {hook}" in server.output()
            for command in server.output().splitlines():
                if not command.startswith("curl ") or "cancellation_requests" not in command:
                    continue
                result = subprocess.run(  # noqa: S603
                    [curl, *shlex.split(command)[1:]], capture_output=True, check=True, timeout=30
                )
                body = json.loads(result.stdout)
                number = json.loads(shlex.split(command)[-1])["number"]
                requests = body if isinstance(body, list) else [body]
                created.extend((number, request["order_item"]) for request in requests)
            deadline = time.monotonic() + READY_TIMEOUT
            while time.monotonic() < deadline:
                if len(printed.read_text().splitlines()) >= len(created):
                    break
                time.sleep(0.05)
            assert server.interrupt() == 0
    finally:
        receiver.kill()
        receiver.wait(timeout=STOP_TIMEOUT)
    assert created, "the printed commands create requests"
    lines = [line.split() for line in printed.read_text().splitlines()]
    assert {(words[0], words[1], int(words[2])) for words in lines} == {
        ("cancellation.requested", number, item) for number, item in created
    }
    assert len(lines) == len(created)
    assert "Traceback" not in server.errors()


def test_a_bad_data_file_loads_nothing_and_exits_2(tmp_path: Path) -> None:
    document = json.loads(sample_data_text())
    document["orders"][2]["items"][0]["price"] = 12.5
    data_file = tmp_path / "shop.json"
    data_file.write_text(json.dumps(document), encoding="utf-8")
    database = tmp_path / "demo.sqlite3"
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "guest_orders.cli",
            "serve",
            "--port",
            str(free_port()),
            "--database",
            f"sqlite:///{database}",
            "--data",
            str(data_file),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert f"{data_file}: orders[2].items[0].price: " in result.stderr
    assert "Traceback" not in result.stderr
    assert not database.exists()


def test_a_data_file_is_served(tmp_path: Path) -> None:
    document = json.loads(sample_data_text())
    document["orders"] = [document["orders"][1]]
    document["orders"][0]["number"] = "ORD-2025-000001"
    document["cancellation_requests"] = []
    data_file = tmp_path / "shop.json"
    data_file.write_text(json.dumps(document), encoding="utf-8")
    with running_server(tmp_path, "--data", str(data_file)) as server:
        assert "ORD-2025-000001" in server.output()
        response = httpx.post(
            server.base_url + "/users/orders/anonymous",
            data={"number": "ORD-2025-000001", "email": REFUNDABLE["email"]},
        )
        assert response.status_code == 200
        assert server.interrupt() == 0


# --- in process -----------------------------------------------------------------------------


def test_loading_twice_into_the_same_database_does_not_fail(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    engine = make_engine(url)
    try:
        assert cli._seed(engine, sample_data(), url)[0] == "loaded"
        assert cli._seed(engine, sample_data(), url)[0].startswith("already in the database")
        with engine.connect() as connection:
            count = connection.execute(sa.text("select count(*) from orders")).scalar_one()
        assert count == 5
        document = json.loads(sample_data_text())
        document["orders"].append({**document["orders"][0], "pk": 99, "number": "NEW-1"})
        document["orders"][-1]["items"] = []
        with pytest.raises(cli.CommandError, match="holds 5 of the 6 orders"):
            cli._seed(engine, load_data(document), url)
    finally:
        engine.dispose()


def test_the_default_database_is_recreated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / cli.DEMO_DATABASE_FILE).write_text("stale")
    (tmp_path / (cli.DEMO_DATABASE_FILE + "-wal")).write_text("stale")
    with cli._demo_database() as url:
        assert url == f"sqlite:///{cli.DEMO_DATABASE_FILE}"
        assert not (tmp_path / cli.DEMO_DATABASE_FILE).exists()
        assert not (tmp_path / (cli.DEMO_DATABASE_FILE + "-wal")).exists()


def test_a_bad_database_url_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--port", "0", "--database", "no-such-scheme://x"]) == 2
    assert "cannot use the database" in capsys.readouterr().err


def test_the_openapi_command_writes_the_committed_document(tmp_path: Path) -> None:
    output = tmp_path / "openapi.json"
    assert cli.main(["openapi", "--output", str(output)]) == 0
    assert output.read_bytes() == (REPO_ROOT / "docs/openapi.json").read_bytes()


def test_the_sample_data_command_prints_a_loadable_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["sample-data"]) == 0
    assert len(load_data(json.loads(capsys.readouterr().out)).orders) == 5


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000"),
        ("0.0.0.0", "http://127.0.0.1:8000"),  # noqa: S104
        ("::", "http://[::1]:8000"),
        ("::1", "http://[::1]:8000"),
        ("localhost", "http://localhost:8000"),
    ],
)
def test_printed_urls_are_reachable_locally(host: str, url: str) -> None:
    assert cli._public_base_url(host, 8000) == url


# --- a shared attempt limiter: --redis ---------------------------------------------------------


def test_without_redis_failed_attempts_are_counted_in_process() -> None:
    args = cli._parser().parse_args(["serve"])
    service = cli._build_service(AsyncInMemoryStore(), args)
    assert isinstance(service, AsyncGuestOrders)  # served on the event loop, no thread hop
    assert isinstance(service.limiter, AsyncInMemoryAttemptLimiter)


@pytest.mark.redis
def test_redis_makes_a_shared_limiter(redis_url: str) -> None:
    args = cli._parser().parse_args(["serve", "--redis", redis_url])
    service = cli._build_service(AsyncInMemoryStore(), args)
    assert isinstance(service.limiter, AsyncRedisAttemptLimiter)
    asyncio.run(service.limiter.aclose())


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://shop:s3cret@127.0.0.1:1/0", "127.0.0.1:1"),  # nothing listens on port 1
        ("nosuchscheme://shop:s3cret@host:6379", "host:6379"),
    ],
)
def test_an_unusable_redis_is_one_line_without_its_password(
    url: str, shown: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert cli.main(["serve", "--port", "0", "--database", database, "--redis", url]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"guest-orders: error: cannot use Redis at {shown}: ")
    assert "s3cret" not in error
    assert error.count("\n") == 1


@pytest.mark.redis
def test_the_server_counts_failed_attempts_in_redis(tmp_path: Path, redis_url: str) -> None:
    shared = RedisAttemptLimiter(redis_url)  # the server's namespace, from this process
    keys = attempt_keys(CANCELLABLE["number"], "127.0.0.1")
    shared.clear(keys)
    wrong = {**CANCELLABLE, "email": "someone.else@example.com"}
    try:
        with (
            running_server(tmp_path, "--redis", redis_url) as server,
            httpx.Client(base_url=server.base_url) as http,
        ):
            host = redis_url.split("//", 1)[1].split("/", 1)[0]
            assert f"failed attempts counted: in Redis at {host} (shared)" in server.output()
            for _ in range(AttemptLimits().max_failures):
                assert http.post("/users/orders/anonymous/", json=wrong).status_code == 400
            with pytest.raises(TooManyAttempts):  # another process sees the count
                shared.reserve(keys)
            refused = http.post("/users/orders/anonymous/", json=CANCELLABLE)
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 900
            assert server.interrupt() == 0
        assert "Traceback" not in server.errors()
    finally:
        shared.clear(keys)


# --- the demo never loses data, never shows secrets ---------------------------------------------


def _start(cwd: Path, *args: str) -> Server:
    """``guest-orders serve`` in ``cwd`` with the default demo database, on a free port."""
    port = free_port()
    out, err = cwd / f"stdout-{port}.txt", cwd / f"stderr-{port}.txt"
    command = [sys.executable, "-m", "guest_orders.cli", "serve", "--port", str(port), *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=cwd, env=env)  # noqa: S603
    return Server(process, f"http://127.0.0.1:{port}", out, err)


def _second(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "guest_orders.cli", "serve", *args]
    return subprocess.run(  # noqa: S603
        command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def test_a_second_demo_changes_nothing_of_the_first(tmp_path: Path) -> None:
    """Finding: a second ``make demo`` deleted and re-seeded the first one's database
    before it found the port busy."""
    first = _start(tmp_path)
    try:
        _wait_until_ready(first)
        database = tmp_path / cli.DEMO_DATABASE_FILE
        inode = database.stat().st_ino
        with httpx.Client(base_url=first.base_url) as http:
            created = http.post(
                "/users/orders/anonymous/cancellation_requests/",
                json={
                    **CANCELLABLE,
                    "order_item": 1002,
                    "reason": 2,
                    "cancellation_type": "cancel",
                },
            )
            assert created.status_code == 201
            port = first.base_url.rsplit(":", 1)[1]
            same_port = _second(tmp_path, "--port", port)
            other_port = _second(tmp_path, "--port", "0")
            assert database.stat().st_ino == inode
            again = http.post(
                "/users/orders/anonymous/cancellation_requests/",
                json={
                    **CANCELLABLE,
                    "order_item": 1002,
                    "reason": 2,
                    "cancellation_type": "cancel",
                },
            )
            assert again.json()["code"] == "cancellation_request_100_1"  # still stored
        assert same_port.returncode == other_port.returncode == 2
        assert same_port.stderr.startswith(
            f"guest-orders: error: cannot listen on 127.0.0.1:{port}"
        )
        assert other_port.stderr.startswith("guest-orders: error: another demo server uses")
        for second in (same_port, other_port):
            assert second.stderr.count("\n") == 1, second.stderr
            assert second.stdout == ""
        assert first.interrupt() == 0
    finally:
        if first.process.poll() is None:
            first.process.kill()


def test_an_impossible_port_is_one_line(tmp_path: Path) -> None:
    result = _second(tmp_path, "--port", "99999")
    assert result.returncode == 2
    assert (
        result.stderr
        == "guest-orders: error: --port must be 0 (any free port) to 65535, not 99999\n"
    )
    assert not (tmp_path / cli.DEMO_DATABASE_FILE).exists()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://shop:s3cret@127.0.0.1:1/shop", "postgresql://shop:***@127.0.0.1:1/shop"),
        ("sqlite:///nowhere/x.sqlite3?password=s3cret", None),
    ],
)
def test_an_unusable_database_is_one_line_without_its_password(
    url: str, shown: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding: the demo printed the password of ``--database postgresql://user:password@…``."""
    assert cli.main(["serve", "--port", "0", "--database", url]) == 2
    error = capsys.readouterr().err
    assert "s3cret" not in error
    assert error.count("\n") == 1
    if shown is not None:
        assert cli._shown_url(url) == shown


def test_a_missing_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if not installed
    url = "postgresql://shop:s3cret@127.0.0.1:1/shop"
    assert cli.main(["serve", "--port", "0", "--database", url]) == 2
    assert capsys.readouterr().err == (
        "guest-orders: error: cannot use postgresql://shop:***@127.0.0.1:1/shop: the driver "
        "psycopg is not installed: pip install 'guest_orders[postgresql]'\n"
    )


@pytest.mark.postgres
def test_the_banner_masks_the_database_password(tmp_path: Path, postgres_url: str) -> None:
    """On a schema of its own (``search_path``), dropped afterwards."""
    schema = f"guest_orders_demo_{uuid.uuid4().hex[:16]}"
    admin = make_engine(postgres_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = (
            sa.make_url(postgres_url)
            .set(password="s3cret-pw")  # noqa: S106  # a canary; trust authentication ignores it
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
        with running_server(tmp_path, "--database", url) as server:
            output = server.output()
            assert "s3cret-pw" not in output + server.errors()
            assert "postgres:***@" in output
            assert server.interrupt() == 0
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def test_after_a_restart_on_a_kept_database_the_banner_offers_only_what_still_works(
    tmp_path: Path,
) -> None:
    """Finding: after a restart on a kept database, the banner still offered items that
    already had a request."""
    url = f"sqlite:///{tmp_path / 'kept.sqlite3'}"
    engine = make_engine(url)
    try:
        _seeded, first_data = cli._seed(engine, sample_data(), url)
        service = GuestOrders(store=SqlAlchemyStore(engine))
        for request in demo_requests(first_data, policy=service.policy, now=datetime.now(UTC)):
            if request.json is not None and "cancellation_requests" in request.path:
                if "cancel_order_items" in request.json:
                    service.request_bulk_cancellation(request.json)
                else:
                    service.request_cancellation(request.json)
        seeded, kept_data = cli._seed(engine, sample_data(), url)
        assert seeded.startswith("already in the database")
        with GuestOrders(store=SqlAlchemyStore(engine)).store.transaction() as repos:
            items = [item.pk for order in kept_data.orders for item in order.items]
            taken = set(repos.cancellation_requests.active_for_items(items))
        now = datetime.now(UTC)
        for request in demo_requests(kept_data, policy=service.policy, now=now):
            body = dict(request.json or {})
            asked = {body.get("order_item")} | {
                item["order_item"] for item in body.get("cancel_order_items", [])
            }
            assert not asked & taken, f"{request.title} asks for an item that has a request"
        described = "\n".join(describe_orders(kept_data, policy=service.policy, now=now))
        for pk in taken:
            assert f"item {pk} has an active request" in described
    finally:
        engine.dispose()


def test_the_banner_takes_time_linear_in_orders_and_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Finding: it was quadratic (orders x requests): every order scanned every request.
    Counted in reads of ``is_active``, not in time."""
    reads = 0
    original = CancellationRequest.is_active

    def counted(self: CancellationRequest) -> bool:
        nonlocal reads
        reads += 1
        return bool(original.fget(self))  # type: ignore[attr-defined]

    data = sample_data()
    template = next(r for r in data.cancellation_requests if r.is_active)
    many = 400
    orders = tuple(
        attrs.evolve(order, pk=10_000 + index, number=f"N{index}")
        for index, order in enumerate(data.orders * (many // len(data.orders)))
    )
    requests = tuple(attrs.evolve(template, id=20_000 + index) for index in range(many))
    big = attrs.evolve(data, orders=orders, cancellation_requests=requests)
    monkeypatch.setattr(CancellationRequest, "is_active", property(counted))
    now = datetime.now(UTC)
    demo_requests(big, policy=Policy(), now=now)
    describe_orders(big, policy=Policy(), now=now)
    assert many <= reads <= 4 * many


def test_the_access_log_writes_no_query_string_and_stderr_no_stray_line(tmp_path: Path) -> None:
    """Findings: uvicorn's access log wrote ``?email=…``; python-multipart printed
    ``Expected boundary character…`` on stderr for a JSON body sent as multipart."""
    email = "query.canary-8812@example.com"
    with running_server(tmp_path) as server, httpx.Client(base_url=server.base_url) as http:
        response = http.post("/users/orders/anonymous/", params={"email": email}, json={})
        assert response.status_code == 400
        multipart = http.post(
            "/users/orders/anonymous/",
            content=json.dumps(CANCELLABLE).encode(),
            headers={"content-type": "multipart/form-data; boundary=xyz"},
        )
        assert multipart.status_code == 400
        assert server.interrupt() == 0
    errors = server.errors()
    assert "query.canary-8812" not in errors + server.output()
    assert re.search(r"^INFO: +POST /users/orders/anonymous/ 400 [0-9.]+ms$", errors, re.MULTILINE)
    assert "Expected boundary" not in errors
    assert "Traceback" not in errors


def test_demo_database_files_are_ignored_by_git() -> None:
    """Finding: the demo's ``-wal``/``-shm`` files were not in ``.gitignore``."""
    patterns = [
        line.strip()
        for line in (REPO_ROOT / ".gitignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for suffix in ("", "-wal", "-shm", "-journal", ".lock"):
        name = cli.DEMO_DATABASE_FILE + suffix
        assert any(fnmatch.fnmatch(name, pattern) for pattern in patterns), name


def test_make_demo_installs_the_extras_the_readme_demo_options_need() -> None:
    """Finding: ``make demo`` did not install the PostgreSQL or Redis extras the README's
    ``--database postgresql://…`` and ``--redis`` examples need."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    install = re.search(
        r"^\$\(DEMO_STAMP\):.*\n\t.*pip install.*'\.\[([a-z,]+)\]'", makefile, re.MULTILINE
    )
    assert install is not None
    extras = set(install[1].split(","))
    readme = (REPO_ROOT / "README.md").read_text()
    needed = {"web"}
    if "--database postgresql" in readme:
        needed.add("postgresql")
    if "--redis" in readme:
        needed.add("redis")
    assert needed <= extras


def test_max_failures_and_throttle_window_configure_the_limiter() -> None:
    args = cli._parser().parse_args(["serve", "--max-failures", "2", "--throttle-window", "120"])
    service = cli._build_service(AsyncInMemoryStore.over(sample_store()), args)
    wrong = {**CANCELLABLE, "email": "someone.else@example.com"}
    for _ in range(2):
        with pytest.raises(OrderNotFound):
            asyncio.run(service.lookup(wrong, client="203.0.113.1"))
    with pytest.raises(TooManyAttempts) as refused:
        asyncio.run(service.lookup(CANCELLABLE, client="203.0.113.1"))
    assert refused.value.retry_after == 120


@pytest.mark.parametrize("option", ["--max-failures", "--throttle-window"])
@pytest.mark.parametrize("value", ["0", "-3", "ten"])
def test_bad_limits_are_refused(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", option, value])
    assert exited.value.code == 2
    assert option in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["sample-data"], ["serve"]])
def test_without_the_web_extra_the_command_names_it_in_one_line(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Finding: on a core-only install ``guest-orders --help`` and ``sample-data`` printed
    a chained traceback."""
    from guest_orders import __main__ as entry  # noqa: PLC0415

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # as if the web extra were missing
    monkeypatch.delitem(sys.modules, "guest_orders.cli")
    monkeypatch.delattr(sys.modules["guest_orders"], "cli", raising=False)
    assert entry.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "guest-orders: error: the guest-orders command needs the web extra: "
        "pip install 'guest_orders[web]'\n"
    )
