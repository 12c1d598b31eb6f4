"""Post events to a webhook URL as JSON, signed with HMAC-SHA256 (standard library only).

A :class:`Webhook` is a ``deliver`` callable for :mod:`guest_orders.relay`::

    from guest_orders.adapters.webhook import Webhook
    from guest_orders.relay import run_relay

    run_relay(store, Webhook("https://erp.example/hooks/orders", secret=SECRET), stop=stop)

Each event is one ``POST`` of ``render_event(event)`` (``application/json``) with the
headers

- ``X-Guest-Orders-Event-Id``: the event's stable id (the same on every redelivery:
  de-duplicate on it);
- ``X-Guest-Orders-Event-Type``: ``cancellation.requested``;
- ``X-Guest-Orders-Signature``: ``t=<unix time>,v1=<hex>``, where ``<hex>`` is the
  HMAC-SHA256, keyed with the shared secret, of ``"<unix time>." + body`` (sent when a
  secret is given). A receiver checks it with :func:`verify_signature`, which also
  refuses a signature older than five minutes (a replayed request).

Any 2xx answer accepts the event; anything else (another status, a redirect, a timeout,
a refused connection) is retried ``attempts`` times in all, with ``backoff`` seconds
doubling between them, then :class:`WebhookError` is raised and the relay tries again
later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlsplit

from guest_orders.domain import Event
from guest_orders.wire.events import render_event

__all__ = [
    "EVENT_ID_HEADER",
    "EVENT_TYPE_HEADER",
    "SIGNATURE_HEADER",
    "Webhook",
    "WebhookError",
    "sign",
    "verify_signature",
]

EVENT_ID_HEADER: Final = "X-Guest-Orders-Event-Id"
EVENT_TYPE_HEADER: Final = "X-Guest-Orders-Event-Type"
SIGNATURE_HEADER: Final = "X-Guest-Orders-Signature"

#: How old a signature :func:`verify_signature` accepts by default, in seconds.
SIGNATURE_TOLERANCE: Final = 300


class WebhookError(Exception):
    """The webhook did not accept the event. ``log_reason`` says why in a few safe
    words (``HTTP 500``, ``timeout``...): no URL, no response body."""

    def __init__(self, log_reason: str) -> None:
        super().__init__(f"webhook did not accept the event: {log_reason}")
        self.log_reason = log_reason


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(secret: str | bytes, body: bytes, timestamp: int) -> str:
    """The ``X-Guest-Orders-Signature`` value of ``body`` sent at ``timestamp``."""
    digest = hmac.new(_key(secret), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify_signature(
    secret: str | bytes,
    body: bytes,
    header: str | None,
    *,
    tolerance: int = SIGNATURE_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (the ``X-Guest-Orders-Signature`` received) signs ``body`` (the
    raw bytes received) with ``secret``, at most ``tolerance`` seconds ago."""
    if not header:
        return False
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
        received = parts["v1"]
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp).rpartition("v1=")[2]
    return hmac.compare_digest(expected, received)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer other than 2xx: not followed (it would turn the POST into
    a GET and lose the event)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Webhook:
    """Posts each event to ``url``; see the module's documentation.

    Args:
        url: an ``http`` or ``https`` URL.
        secret: the shared HMAC key; without it no signature header is sent.
        timeout: seconds to wait for each answer.
        attempts: posts per event before :class:`WebhookError` (at least 1).
        backoff: seconds before the second attempt, doubling for each further one.
        headers: more headers for every post (an ``Authorization`` for your gateway...).
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | bytes | None = None,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.2,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if urlsplit(url).scheme not in {"http", "https"}:
            raise ValueError("the webhook URL must be an http:// or https:// URL")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url
        self._secret = secret
        self._timeout = timeout
        self._attempts = attempts
        self._backoff = backoff
        self._headers = dict(headers or {})
        self._opener = urllib.request.build_opener(_NoRedirects)

    def __repr__(self) -> str:  # never the secret, nor the URL's query or credentials
        parts = urlsplit(self.url)
        return f"Webhook({parts.scheme}://{parts.hostname}{parts.path!s})"

    def __call__(self, event: Event) -> None:
        body = json.dumps(render_event(event), separators=(",", ":")).encode()
        reason = ""
        for attempt in range(self._attempts):
            if attempt:
                time.sleep(self._backoff * 2 ** (attempt - 1))
            reason = self._post(event, body)
            if not reason:
                return
        raise WebhookError(reason)

    def _post(self, event: Event, body: bytes) -> str:
        """Post once; ``""`` when accepted, else why not."""
        headers = {
            **self._headers,
            "Content-Type": "application/json",
            EVENT_ID_HEADER: str(event.event_id),
            EVENT_TYPE_HEADER: event.type,
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, body, int(time.time()))
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310  # the scheme is checked in __init__
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                status: int = response.status
        except urllib.error.HTTPError as error:
            error.close()
            return f"HTTP {error.code}"
        except TimeoutError:
            return "timeout"
        except (urllib.error.URLError, OSError) as error:
            cause = getattr(error, "reason", error)
            return "timeout" if isinstance(cause, TimeoutError) else type(cause).__name__
        return "" if 200 <= status < 300 else f"HTTP {status}"
