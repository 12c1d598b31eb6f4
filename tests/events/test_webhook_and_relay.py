"""The webhook posts signed JSON (to servers these tests start on 127.0.0.1) and retries;
the relay loop delivers, backs off after failures, purges and stops when asked."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from _builders import APPROVED_ITEM, NOW, WAITING_ITEM, World, bulk, cancel_item, single
from guest_orders.adapters.webhook import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    Webhook,
    WebhookError,
    sign,
    verify_signature,
)
from guest_orders.clocks import FixedClock
from guest_orders.domain import Event
from guest_orders.relay import Backoff, DeliveryFailed, deliver_pending, run_relay
from guest_orders.wire import parse_event, render_event

SECRET = "whsec-test"  # noqa: S105  # a test key


@attrs.define
class Receiver:
    """A webhook receiver on 127.0.0.1 that answers with the queued statuses (then 204)."""

    url: str = ""
    statuses: list[int] = attrs.Factory(list)
    received: list[tuple[dict[str, str], bytes]] = attrs.Factory(list)

    def answer(self) -> int:
        return self.statuses.pop(0) if self.statuses else 204


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((dict(self.headers.items()), body))
            status = state.answer()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/orders"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _one_event() -> tuple[World, Event]:
    world = World()
    world.cancel(single(cancel_item(APPROVED_ITEM)))
    ((stored, _),) = world.store.repositories.outbox.all()
    return world, stored.event


def test_the_webhook_posts_the_event_as_signed_json(receiver: Receiver) -> None:
    _, event = _one_event()
    Webhook(receiver.url, secret=SECRET)(event)
    ((headers, body),) = receiver.received
    assert json.loads(body) == render_event(event)
    assert parse_event(json.loads(body)) == event
    assert headers["Content-Type"] == "application/json"
    assert headers[EVENT_ID_HEADER] == str(event.event_id)
    assert headers[EVENT_TYPE_HEADER] == "cancellation.requested"
    assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER])
    assert not verify_signature("another secret", body, headers[SIGNATURE_HEADER])
    assert not verify_signature(SECRET, body + b" ", headers[SIGNATURE_HEADER])


def test_without_a_secret_no_signature_is_sent(receiver: Receiver) -> None:
    _, event = _one_event()
    Webhook(receiver.url)(event)
    ((headers, _),) = receiver.received
    assert SIGNATURE_HEADER not in headers


def test_the_webhook_retries_then_succeeds(receiver: Receiver) -> None:
    _, event = _one_event()
    receiver.statuses = [500, 503]
    Webhook(receiver.url, secret=SECRET, attempts=3, backoff=0.01)(event)
    assert len(receiver.received) == 3
    assert {h[EVENT_ID_HEADER] for h, _ in receiver.received} == {str(event.event_id)}


@pytest.mark.parametrize(("status", "reason"), [(500, "HTTP 500"), (302, "HTTP 302")])
def test_the_webhook_gives_up_after_its_attempts(
    receiver: Receiver, status: int, reason: str
) -> None:
    _, event = _one_event()
    receiver.statuses = [status] * 5
    with pytest.raises(WebhookError) as refused:
        Webhook(receiver.url, attempts=2, backoff=0.01)(event)
    assert refused.value.log_reason == reason
    assert len(receiver.received) == 2, "a redirect is not followed"


def test_an_unreachable_webhook_is_a_webhook_error() -> None:
    _, event = _one_event()
    with pytest.raises(WebhookError):
        Webhook("http://127.0.0.1:9/", attempts=1, timeout=2)(event)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "127.0.0.1:80"])
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        Webhook(url)


def test_the_repr_hides_the_secret_and_the_query() -> None:
    hook = Webhook("https://user:pw@erp.example/hooks?token=abc", secret="s3cr3t")  # noqa: S106
    assert "s3cr3t" not in repr(hook)
    assert "abc" not in repr(hook)
    assert "pw" not in repr(hook)


@given(body=st.binary(), timestamp=st.integers(0, 2**40), skew=st.integers(-1000, 1000))
def test_signatures_verify_within_the_tolerance_only(
    body: bytes, timestamp: int, skew: int
) -> None:
    header = sign(SECRET, body, timestamp)
    assert verify_signature(SECRET, body, header, now=timestamp + skew) is (abs(skew) <= 300)


@pytest.mark.parametrize("header", [None, "", "garbage", "t=x,v1=00", "v1=00", "t=1"])
def test_malformed_signatures_do_not_verify(header: str | None) -> None:
    assert not verify_signature(SECRET, b"{}", header, now=1)


# --- the relay ---------------------------------------------------------------------------


def test_the_relay_posts_pending_events_and_marks_them(receiver: Receiver) -> None:
    world = World()
    world.cancel(bulk(cancel_item(APPROVED_ITEM), cancel_item(WAITING_ITEM)))
    hook = Webhook(receiver.url, secret=SECRET)
    assert deliver_pending(world.store, hook, clock=FixedClock(NOW)) == 2
    assert deliver_pending(world.store, hook, clock=FixedClock(NOW)) == 0
    assert [json.loads(body)["data"]["order_item"] for _, body in receiver.received] == [
        APPROVED_ITEM,
        WAITING_ITEM,
    ]
    assert [at for _, at in world.store.repositories.outbox.all()] == [NOW, NOW]


def test_a_refused_event_stops_the_batch_and_is_delivered_again(receiver: Receiver) -> None:
    world = World()
    world.cancel(bulk(cancel_item(APPROVED_ITEM), cancel_item(WAITING_ITEM)))
    receiver.statuses = [204, 500]
    hook = Webhook(receiver.url, attempts=1)
    with pytest.raises(DeliveryFailed) as failed:
        deliver_pending(world.store, hook, clock=FixedClock(NOW))
    assert failed.value.reason == "HTTP 500"
    assert failed.value.event.order_item == WAITING_ITEM
    assert [at for _, at in world.store.repositories.outbox.all()] == [NOW, None]
    assert deliver_pending(world.store, hook, clock=FixedClock(NOW)) == 1
    ids = [h[EVENT_ID_HEADER] for h, _ in receiver.received]
    assert ids[1] == ids[2], "the same event, with the same id"


def test_run_relay_backs_off_purges_and_stops(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    world = World()
    world.cancel(single(cancel_item(APPROVED_ITEM)))
    receiver.statuses = [500, 500]
    clock = FixedClock(NOW)
    stop = threading.Event()
    thread = threading.Thread(
        target=run_relay,
        args=(world.store, Webhook(receiver.url, attempts=1)),
        kwargs={
            "stop": stop,
            "poll_interval": 0.01,
            "backoff": Backoff(initial=0.01, maximum=0.02),
            "retention": timedelta(days=7),
            "purge_interval": timedelta(0),
            "clock": clock,
        },
    )
    with caplog.at_level("WARNING", logger="guest_orders"):
        thread.start()
        _wait_until(lambda: len(receiver.received) == 3)
        world.cancel(single(cancel_item(WAITING_ITEM)))
        _wait_until(lambda: len(receiver.received) == 4)
        clock.advance(timedelta(days=8))
        _wait_until(lambda: world.store.repositories.outbox.all() == [])
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive(), "the relay stops when asked"
    failures = [
        r for r in caplog.records if getattr(r, "guest_orders_event", "") == "event_delivery_failed"
    ]
    assert [r.reason for r in failures] == ["HTTP 500", "HTTP 500"]  # type: ignore[attr-defined]
    assert receiver.url not in caplog.text


def _wait_until(condition: object, timeout: float = 20) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.01)
    pytest.fail("the relay did not get there")


@given(failures=st.integers(1, 50))
def test_backoff_grows_up_to_its_maximum(failures: int) -> None:
    backoff = Backoff(initial=0.5, maximum=60)
    ceiling = min(60, 0.5 * 2 ** (failures - 1))
    assert ceiling / 2 <= backoff.delay(failures) <= ceiling
