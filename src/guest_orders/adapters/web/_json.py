"""JSON bytes for responses: orjson when it is importable, else the standard library.

Both produce compact UTF-8 JSON with non-ASCII characters unescaped, keys in insertion
order. A value either encoder refuses (a lone surrogate, an integer beyond 64 bits for
orjson) falls back to the standard library with ``\\u`` escapes: encoding never fails on
a string.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from typing import Any

__all__ = ["dumps"]


def _load_orjson() -> Callable[[Any], bytes] | None:
    try:
        module = importlib.import_module("orjson")
    except ImportError:
        return None
    encode: Callable[[Any], bytes] = module.dumps
    return encode


_orjson_dumps = _load_orjson()


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON."""
    if _orjson_dumps is not None:
        try:
            return _orjson_dumps(value)
        except TypeError:  # orjson.JSONEncodeError is a TypeError
            pass
    return _stdlib_dumps(value)


def _stdlib_dumps(value: Any) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    except UnicodeEncodeError:  # a lone surrogate cannot be UTF-8: escape it instead
        return json.dumps(value, separators=(",", ":")).encode()
