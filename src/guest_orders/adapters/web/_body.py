"""Reading a request body: content type, size limit, then JSON or form fields.

Nothing here knows the endpoints' fields: a body becomes a JSON value (``form=False``) or
a mapping of form fields (``form=True``) and goes to the service as is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from guest_orders.adapters.web.errors import (
    FileUploadRefused,
    MalformedBody,
    MalformedForm,
    RequestTooLarge,
    UnsupportedMediaType,
)
from guest_orders.errors import TooManyJsonValues
from guest_orders.transport import MAX_FORM_FIELDS, decode_urlencoded, form_fields, media_type
from guest_orders.wire.decoding import MAX_JSON_SEPARATORS, OFF_LOOP_BYTES, decode_json

__all__ = ["JSON", "MULTIPART", "URLENCODED", "read_payload"]

# python-multipart logs a WARNING for every malformed body, which the 400 already
# answers; without a handler of its own, Python's last-resort handler printed it on
# stderr. A host that configures logging still gets the records. (The package logs as
# ``python_multipart`` since 0.0.13, as ``multipart`` before.)
for _name in ("python_multipart", "multipart"):
    logging.getLogger(_name).addHandler(logging.NullHandler())

JSON: Final = "application/json"
URLENCODED: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"

_UTF8: Final = frozenset({"utf-8", "utf8"})


async def read_payload(request: Request, *, limit: int) -> tuple[Any, bool]:
    """The body as ``(payload, form)``.

    Raises :class:`UnsupportedMediaType` (before reading anything), :class:`RequestTooLarge`
    (from ``Content-Length`` up front, else as soon as the stream passes ``limit``), or a
    :class:`MalformedBody`.
    """
    kind, params = media_type(request.headers.get("content-type", ""))
    charset = params.get("charset")
    if kind == MULTIPART:
        body = await _read_body(request, limit)
        return await _multipart(request, body, limit), True
    if kind not in (JSON, URLENCODED) or (charset is not None and charset.lower() not in _UTF8):
        raise UnsupportedMediaType
    body = await _read_body(request, limit, json=kind == JSON)
    parse = decode_json if kind == JSON else decode_urlencoded
    if len(body) > OFF_LOOP_BYTES:  # milliseconds of CPU: not on the event loop
        return await run_in_threadpool(parse, body), kind != JSON
    return parse(body), kind != JSON


async def _read_body(request: Request, limit: int, *, json: bool = False) -> bytes:
    """The whole body, refused as soon as it passes ``limit`` or, for JSON, as soon as it
    holds more separators than :func:`decode_json` accepts: a hostile body of countless
    tiny values is neither read to its end nor decoded."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.isdigit():
            raise MalformedBody
        if int(declared) > limit:
            raise RequestTooLarge
    chunks: list[bytes] = []
    size = separators = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge
            if json:
                separators += chunk.count(b",") + chunk.count(b":")
                if separators > MAX_JSON_SEPARATORS:
                    raise TooManyJsonValues
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody is left to answer; this ends the request without a server error.
        raise MalformedBody from None
    return b"".join(chunks)


async def _multipart(request: Request, body: bytes, limit: int) -> Mapping[str, Any]:
    """Text fields of a multipart body. File parts are refused: no endpoint takes files
    (images travel as data URLs in a JSON body).

    The body is parsed in slices of :data:`OFF_LOOP_BYTES`, handing the event loop back
    between them, so that a large body never holds it for long."""
    offset = 0

    async def replay() -> Message:
        nonlocal offset
        if offset > len(body):
            return {"type": "http.disconnect"}
        if offset:
            await asyncio.sleep(0)
        chunk = body[offset : offset + OFF_LOOP_BYTES]
        offset += OFF_LOOP_BYTES
        return {"type": "http.request", "body": chunk, "more_body": offset < len(body)}

    try:
        form = await Request(request.scope, replay).form(
            max_files=MAX_FORM_FIELDS, max_fields=MAX_FORM_FIELDS, max_part_size=limit
        )
    # Starlette reports bad multipart bodies as MultiPartException or HTTPException(400);
    # python-multipart's own errors are ValueErrors, a bad charset a LookupError.
    except (MultiPartException, HTTPException, ValueError, LookupError, KeyError):
        raise MalformedForm from None
    try:
        pairs = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        if len(pairs) != len(form.multi_items()):
            raise FileUploadRefused
    finally:
        await form.close()
    return form_fields(pairs)
