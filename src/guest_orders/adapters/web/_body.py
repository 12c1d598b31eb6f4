"""Reading a request body: content type, size limit, then JSON or form fields.

Nothing here knows the endpoints' fields: a body becomes a JSON value (``form=False``) or
a mapping of form fields (``form=True``) and goes to the service as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import ClientDisconnect, Request
from starlette.types import Message

from guest_orders.transport import (
    JSON,
    MAX_FORM_FIELDS,
    MULTIPART,
    URLENCODED,
    FileUploadRefused,
    MalformedBody,
    MalformedForm,
    RequestTooLarge,
    check_media_type,
    decode_body,
    form_fields,
)

__all__ = ["JSON", "MULTIPART", "URLENCODED", "read_payload"]


async def read_payload(request: Request, *, limit: int) -> tuple[Any, bool]:
    """The body as ``(payload, form)``.

    Raises :class:`UnsupportedMediaType` (before reading anything), :class:`RequestTooLarge`
    (from ``Content-Length`` up front, else as soon as the stream passes ``limit``), or a
    :class:`MalformedBody`.
    """
    content_type = request.headers.get("content-type", "")
    if check_media_type(content_type) == MULTIPART:
        body = await _read_body(request, limit)
        return await _multipart(request, body, limit), True
    return decode_body(content_type, await _read_body(request, limit))


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.isdigit():
            raise MalformedBody
        if int(declared) > limit:
            raise RequestTooLarge
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge
            chunks.append(chunk)
    except ClientDisconnect:
        # Nobody is left to answer; this ends the request without a server error.
        raise MalformedBody from None
    return b"".join(chunks)


async def _multipart(request: Request, body: bytes, limit: int) -> Mapping[str, Any]:
    """Text fields of a multipart body. File parts are refused: no endpoint takes files
    (images travel as data URLs in a JSON body)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

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
