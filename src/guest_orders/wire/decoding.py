"""Request bodies to JSON values: the library's one JSON parsing entry point.

Every adapter decodes a JSON body with :func:`decode_json`, so every transport is as
strict as the others:

- the body is UTF-8 and holds exactly one JSON value (RFC 8259), else
  :class:`~guest_orders.errors.MalformedJson` (``parse_error``);
- an object naming one key twice, at any depth, is refused
  (:class:`~guest_orders.errors.DuplicateKey`, ``duplicate_key``): with "last one wins"
  a proxy or firewall reading the first key would see another request than the library;
- ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON and are refused (``parse_error``);
- a body with more than :data:`MAX_JSON_SEPARATORS` commas and colons is refused before
  it is decoded (:class:`~guest_orders.errors.TooManyJsonValues`, ``too_many_values``):
  the largest valid request has a few thousand, and decoding millions of tiny values
  holds the interpreter for a quarter of a second.

Decoding a large body takes milliseconds of CPU: an asynchronous adapter should call
:func:`decode_json` off its event loop for bodies above :data:`OFF_LOOP_BYTES`.
"""

from __future__ import annotations

import json
from typing import Any, Final

from guest_orders.errors import DuplicateKey, MalformedJson, TooManyJsonValues

__all__ = ["MAX_JSON_SEPARATORS", "OFF_LOOP_BYTES", "decode_json"]

#: Most commas and colons a JSON body may hold. A bulk request at the default policy's
#: limits (100 items, 5 images each, every field given) has about 4,000, plus whatever its
#: free-text fields contain.
MAX_JSON_SEPARATORS: Final = 100_000

#: Bodies larger than this are best decoded off an event loop (64 KiB).
OFF_LOOP_BYTES: Final = 64 * 1024


def _reject_constant(_name: str) -> Any:
    raise MalformedJson


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise DuplicateKey
    return result


_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_unique_keys, parse_constant=_reject_constant, strict=True
)


def decode_json(body: bytes | str) -> Any:
    """The one JSON value of ``body`` (UTF-8 bytes, or text already decoded).

    Raises :class:`~guest_orders.errors.MalformedJson` or one of its subclasses
    (``duplicate_key``, ``too_many_values``); see the module's documentation.
    """
    if isinstance(body, bytes):
        separators = body.count(b",") + body.count(b":")
    else:
        separators = body.count(",") + body.count(":")
    if separators > MAX_JSON_SEPARATORS:
        raise TooManyJsonValues
    try:
        return _DECODER.decode(body.decode("utf-8") if isinstance(body, bytes) else body)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        raise MalformedJson from None
