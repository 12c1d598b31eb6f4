"""docs/how-to/fastapi.md's example app, as written, in a real uvicorn process (uvloop and
httptools where installed) on a free loopback port: the storefront's slash-less form post,
a creation with ``Idempotency-Key``, the host's own route and its OpenAPI document."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from guest_orders.demo import sample_data
from web._web_support import CANCELLABLE, REPO_ROOT

DOC = REPO_ROOT / "docs" / "how-to" / "fastapi.md"
_BLOCK = re.compile(r"^```python\n(# app\.py\n.*?)^```$", re.DOTALL | re.MULTILINE)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    match = _BLOCK.search(DOC.read_text())
    assert match, "the how-to must hold the app as one ```python block starting `# app.py`"
    (tmp_path / "app.py").write_text(match.group(1))
    port = _free_port()
    env = {**os.environ, "SHOP_DATABASE": f"sqlite:///{tmp_path / 'shop.sqlite3'}"}
    server = subprocess.Popen(  # noqa: S603  # our own interpreter and arguments
        [sys.executable, "-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"the example app did not start:\n{output}")
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()


def test_the_example_app_serves_the_guest_endpoints(served: str) -> None:
    with httpx.Client(base_url=served, timeout=10) as client:
        found = client.post("/users/orders/anonymous", data=CANCELLABLE)
        assert found.status_code == 200, found.text
        (order,) = found.json()
        assert order["number"] == CANCELLABLE["number"]

        reasons = client.get("/users/orders/cancellation_reasons").json()["results"]
        assert reasons

        body = {
            **CANCELLABLE,
            "order_item": _first_item(),
            "reason": 1,
            "cancellation_type": "cancel",
        }
        headers = {"Idempotency-Key": "try-1"}
        created = client.post(
            "/users/orders/anonymous/cancellation_requests", json=body, headers=headers
        )
        again = client.post(
            "/users/orders/anonymous/cancellation_requests/", json=body, headers=headers
        )
        assert created.status_code == again.status_code == 201, created.text
        assert again.json() == created.json()

        wrong = client.post("/users/orders/anonymous/", json={**CANCELLABLE, "email": "x@y.z"})
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "order_not_found"

        document = client.get("/openapi.json").json()
        assert {"/health", "/users/orders/anonymous/", "/users/orders/anonymous"} <= set(
            document["paths"]
        )
        assert client.get("/docs").status_code == 200


def _first_item() -> int:
    order = next(o for o in sample_data().orders if o.number == CANCELLABLE["number"])
    return order.items[0].pk
