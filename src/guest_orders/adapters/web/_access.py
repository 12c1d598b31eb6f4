"""An access log that never writes personal data: method, path, status and duration.

A server's own access log writes the whole request target, query string included, so
``POST /users/orders/anonymous/?email=…`` put an email in the log. This middleware logs
what an operator needs and nothing a client chose freely: the query string never, a path
only when it is one of the app's own (else ``-``), a method only when it is a standard one
(else ``OTHER``), and no client address.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ACCESS_LOGGER_NAME", "AccessLog"]

#: The logger of :class:`AccessLog` (a child of the library's ``guest_orders``).
ACCESS_LOGGER_NAME: Final = "guest_orders.access"

_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_logger = logging.getLogger(ACCESS_LOGGER_NAME)


class AccessLog:
    """ASGI middleware: one INFO record per HTTP request on ``guest_orders.access``,
    ``"POST /users/orders/anonymous/ 200 3.1ms"``, with the attributes
    ``guest_orders_event="http_request"``, ``method``, ``path``, ``status`` and
    ``duration_ms``.

    ``paths``: the paths that are logged as they are (the app's routes); any other path
    is logged as ``-``. Turn the server's own access log off (uvicorn: ``access_log=False``).
    """

    def __init__(self, app: ASGIApp, *, paths: Collection[str]) -> None:
        self._app = app
        self._paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app fails before starting a response

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receive, send_and_note)
        finally:
            if _logger.isEnabledFor(logging.INFO):
                self._log(scope, status, (time.perf_counter() - started) * 1000)

    def _log(self, scope: Scope, status: int, duration_ms: float) -> None:
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        path = scope["path"] if scope["path"] in self._paths else "-"
        _logger.info(
            "%s %s %d %.1fms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "guest_orders_event": "http_request",
                "method": method,
                "path": path,
                "status": status,
                "duration_ms": round(duration_ms, 3),
            },
        )
