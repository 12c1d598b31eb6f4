"""What any HTTP transport needs, without any web framework: the paths, the request
body's media types and decoding, the transport's own errors and the response headers.

The Starlette adapter and the Django app are built from these; a host serving the
endpoints from another framework uses them the same way (see ``docs/how-to/web.md``):

1. read the body (at most :data:`DEFAULT_MAX_BODY_BYTES`, else :class:`RequestTooLarge`)
   and decode it with :func:`decode_body` into ``(payload, form)``;
2. call the :class:`guest_orders.GuestOrders` method of the path with ``payload``,
   ``form=form``, ``client=`` the caller's address and, for the two creating endpoints,
   ``idempotency_key=`` the ``Idempotency-Key`` header;
3. answer its result as JSON with :data:`SUCCESS_STATUS` of the path, or a
   :class:`guest_orders.GuestOrderError` as :func:`guest_orders.render_error` with its
   ``http_status`` (and ``Retry-After`` from :func:`error_headers`), always with
   :data:`RESPONSE_HEADERS`.
"""

from __future__ import annotations

import importlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

from guest_orders.errors import GuestOrderError, MalformedJson, TooManyAttempts
from guest_orders.wire import RESPONSE_HEADERS, decode_json, spec
from guest_orders.wire.spec import (
    BULK_CANCELLATION_PATH,
    CANCELLATION_PATH,
    LOOKUP_PATH,
    REASONS_PATH,
)
from guest_orders.wire.transport import (
    DEFAULT_MAX_BODY_BYTES,
    BadRequest,
    FileUploadRefused,
    MalformedBody,
    MalformedForm,
    MethodNotAllowed,
    NotFound,
    RequestTooLarge,
    ServerError,
    TransportError,
    UnsupportedMediaType,
)

__all__ = [
    "BULK_CANCELLATION_PATH",
    "CANCELLATION_PATH",
    "DEFAULT_MAX_BODY_BYTES",
    "JSON",
    "LOOKUP_PATH",
    "MAX_FORM_FIELDS",
    "MULTIPART",
    "NOT_IN_FORMS",
    "REASONS_PATH",
    "RESPONSE_HEADERS",
    "SUCCESS_STATUS",
    "URLENCODED",
    "BadRequest",
    "FileUploadRefused",
    "MalformedBody",
    "MalformedForm",
    "MalformedJson",
    "MethodNotAllowed",
    "NotFound",
    "RequestTooLarge",
    "ServerError",
    "TransportError",
    "UnsupportedMediaType",
    "client_from",
    "decode_body",
    "decode_json",
    "decode_urlencoded",
    "encode_json",
    "error_headers",
    "form_fields",
    "language_headers",
    "media_type",
]

#: The status of a successful answer, by path.
SUCCESS_STATUS: Final[Mapping[str, int]] = {
    LOOKUP_PATH: 200,
    CANCELLATION_PATH: 201,
    BULK_CANCELLATION_PATH: 201,
    REASONS_PATH: 200,
}

#: The fields a form body cannot carry, by path: left out of a form payload, so that it
#: gets the service's ordinary ``required`` error for them.
NOT_IN_FORMS: Final[Mapping[str, tuple[str, ...]]] = {
    LOOKUP_PATH: spec.form_fields_left_out(spec.LOOKUP),
    CANCELLATION_PATH: spec.form_fields_left_out(spec.CANCELLATION),
    BULK_CANCELLATION_PATH: spec.form_fields_left_out(spec.BULK_CANCELLATION),
}

JSON: Final = "application/json"
URLENCODED: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"

#: Most fields one form body may have; a real one has a handful.
MAX_FORM_FIELDS: Final = 1000

_UTF8: Final = frozenset({"utf-8", "utf8"})
_PARAM: Final = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')


def language_headers(locale: str) -> dict[str, str]:
    """The headers of an answer whose messages are in ``locale`` (negotiated from
    ``Accept-Language`` with :func:`guest_orders.i18n.negotiate_locale`)."""
    return {"Content-Language": locale, "Vary": "Accept-Language"}


def error_headers(error: GuestOrderError, locale: str | None = None) -> dict[str, str]:
    """The headers of an error answer: :data:`RESPONSE_HEADERS`, the language of its
    messages (``locale``, else the error's own), and ``Retry-After`` for
    :class:`guest_orders.TooManyAttempts`."""
    headers = {**dict(RESPONSE_HEADERS), **language_headers(locale or error.locale)}
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    return headers


# ------------------------------------------------------------------------ the body


def media_type(header: str) -> tuple[str, dict[str, str]]:
    """``"application/json; charset=UTF-8"`` -> ``("application/json", {"charset": "UTF-8"})``."""
    kind, _, rest = header.partition(";")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(";" + rest):
        value = match[2]
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[match[1].lower()] = value
    return kind.strip().lower(), params


def form_fields(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Form pairs -> a mapping; a repeated field holds the list of its values."""
    fields: dict[str, str | list[str]] = {}
    for name, value in pairs:
        previous = fields.get(name)
        if previous is None:
            fields[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            fields[name] = [previous, value]
    return fields


def decode_urlencoded(body: bytes) -> dict[str, str | list[str]]:
    """A UTF-8 ``application/x-www-form-urlencoded`` body, or :class:`MalformedForm`."""
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except ValueError:  # bad UTF-8 (raw or %-encoded), too many fields
        raise MalformedForm from None
    return form_fields(pairs)


def check_media_type(content_type: str) -> str:
    """The media type of a body the endpoints take (JSON, urlencoded or multipart form,
    in UTF-8), or :class:`UnsupportedMediaType`."""
    kind, params = media_type(content_type)
    charset = params.get("charset")
    if kind not in (JSON, URLENCODED, MULTIPART) or (
        charset is not None and charset.lower() not in _UTF8 and kind != MULTIPART
    ):
        raise UnsupportedMediaType
    return kind


def decode_body(content_type: str, body: bytes) -> tuple[Any, bool]:
    """A JSON or urlencoded body as ``(payload, form)``; a transport decodes multipart
    bodies with its own parser (text fields only, see :class:`FileUploadRefused`)."""
    kind = check_media_type(content_type)
    if kind == JSON:
        return decode_json(body), False
    if kind == URLENCODED:
        return decode_urlencoded(body), True
    raise UnsupportedMediaType


# ------------------------------------------------------------------------ answers


def client_from(peer: str | None, forwarded_for: Iterable[str], *, trust: bool) -> str | None:
    """The address failed attempts are counted against.

    With ``trust`` the app sits behind one reverse proxy that appends the address it saw to
    ``X-Forwarded-For`` (``forwarded_for``: every value of that header): the last entry is
    used (the earlier ones are whatever the client wrote). Without it, or when that entry
    is not an IP address, ``peer``, the address of the connection.
    """
    if trust:
        last = ",".join(forwarded_for).rpartition(",")[2].strip()
        if last:
            try:
                return str(ipaddress.ip_address(last))
            except ValueError:
                pass
    return peer


def _load_orjson() -> Callable[[Any], bytes] | None:
    try:
        module = importlib.import_module("orjson")
    except ImportError:
        return None
    encode: Callable[[Any], bytes] = module.dumps
    return encode


_orjson_dumps = _load_orjson()


def encode_json(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON, non-ASCII characters unescaped, keys in insertion
    order: orjson when it is importable, else the standard library. A value either encoder
    refuses (a lone surrogate, an integer beyond 64 bits for orjson) falls back to the
    standard library with ``\\u`` escapes: encoding never fails on a string."""
    if _orjson_dumps is not None:
        try:
            return _orjson_dumps(value)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8: escape it instead
        return json.dumps(value, separators=(",", ":")).encode()
