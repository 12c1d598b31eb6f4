"""A small HTTP/1.1 load generator: keep-alive connections on loopback, one request in
flight per connection, bounded in time and in count. Prints one JSON object.

    python benchmarks/loadgen.py --port 8000 --path /users/orders/anonymous/ \
        --body '{"number": "…", "email": "…"}' --seconds 5 --connections 8
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

HOST = "127.0.0.1"  # loopback only, whatever the arguments


class _Stats:
    def __init__(self) -> None:
        self.done = 0
        self.errors = 0
        self.statuses: dict[str, int] = {}
        self.counting = False
        self.stop = False


def _request(path: str, body: bytes) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


async def _skip_chunks(reader: asyncio.StreamReader) -> None:
    """Read a chunked body (a WSGI server sends one when the app sets no length)."""
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        await reader.readexactly(size + 2)  # the chunk and its CRLF
        if size == 0:
            return


async def _connection(port: int, request: bytes, stats: _Stats, limit: int) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while not stats.stop and stats.done < limit:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = head[9:12].decode("ascii", "replace")
            length = 0
            chunked = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding":
                    chunked = b"chunked" in value.lower()
            if chunked:
                await _skip_chunks(reader)
            elif length:
                await reader.readexactly(length)
            if stats.counting:
                stats.done += 1
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
                if status != "200":
                    stats.errors += 1
    finally:
        writer.close()


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    stats = _Stats()
    request = _request(args.path, args.body.encode())
    tasks = [
        asyncio.create_task(_connection(args.port, request, stats, args.max_requests))
        for _ in range(args.connections)
    ]
    await asyncio.sleep(args.warmup)
    stats.counting = True
    started = time.perf_counter()
    deadline = started + args.seconds
    while time.perf_counter() < deadline and stats.done < args.max_requests:
        await asyncio.sleep(0.05)
        if all(task.done() for task in tasks):
            break
    elapsed = time.perf_counter() - started
    done = stats.done
    stats.stop = True
    results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [repr(r) for r in results if isinstance(r, BaseException)]
    return {
        "requests": done,
        "seconds": elapsed,
        "rps": done / elapsed if elapsed else 0.0,
        "errors": stats.errors + len(failures),
        "statuses": stats.statuses,
        "failures": failures[:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--body", required=True)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=200_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(_run(args))))


if __name__ == "__main__":
    main()
