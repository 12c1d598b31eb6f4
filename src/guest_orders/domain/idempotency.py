"""Idempotent retries of the creating operations: keys, records and request fingerprints.

A client that is unsure whether its cancellation request arrived (a timeout, a dropped
connection) sends it again with the same ``Idempotency-Key``. The first request stores an
:class:`IdempotencyRecord` — scoped to its order — next to the requests it created; a retry
with the same key and the same request gets those requests again and creates nothing, a
retry with the same key and another request is refused.
"""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any, Final

import attrs
from attrs import validators as v

from guest_orders.domain._validators import aware_datetime
from guest_orders.domain.commands import CancellationCommand

__all__ = [
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "IdempotencyRecord",
    "command_fingerprint",
    "is_valid_idempotency_key",
]

#: Longest idempotency key accepted.
MAX_IDEMPOTENCY_KEY_LENGTH: Final = 255

# Visible ASCII: "!" (0x21) to "~" (0x7E). No spaces, no control characters, no non-ASCII.
_KEY: Final = re.compile(rf"[!-~]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}")

# Bumped whenever the canonical form changes (an old fingerprint then matches nothing).
_FINGERPRINT_VERSION: Final = "guest_orders.cancellation.v1"


def is_valid_idempotency_key(key: object) -> bool:
    """Whether ``key`` is 1 to 255 visible ASCII characters (``!`` to ``~``)."""
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def _request_ids(ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(ids)


def _valid_key(_instance: object, _attribute: object, key: str) -> None:
    if not is_valid_idempotency_key(key):
        raise ValueError("an idempotency key is 1 to 255 visible ASCII characters")


@attrs.frozen(kw_only=True)
class IdempotencyRecord:
    """What the first request with a key created, to answer its retries.

    Attributes:
        order: pk of the order the key is scoped to: the same key on another order is
            another key.
        key: the client's idempotency key.
        fingerprint: :func:`command_fingerprint` of the first request.
        request_ids: ids of the requests it created, in the order they were answered.
        created_date: when (a host may purge old records by it).
    """

    order: int
    key: str = attrs.field(validator=_valid_key)
    fingerprint: str = attrs.field(validator=v.matches_re(r"[0-9a-f]{64}"))
    request_ids: tuple[int, ...] = attrs.field(converter=_request_ids, validator=v.min_len(1))
    created_date: datetime = attrs.field(validator=aware_datetime)


def command_fingerprint(command: CancellationCommand) -> str:
    """SHA-256 (hex) of a canonical form of every field of the parsed command.

    Two requests that parse to the same command have the same fingerprint, whatever the
    order of their JSON keys, their surrounding spaces or the case of their email's
    domain; any difference in what they ask for (an item, a quantity, a description, an
    image's bytes, single or bulk) gives another one. Stable across processes and runs.
    """
    canonical = json.dumps(
        [_FINGERPRINT_VERSION, _plain(command)],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,  # lone surrogates become \\u escapes: encoding never fails
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _plain(value: Any) -> Any:
    """``value`` as JSON-ready data, with the type of every attrs object named."""
    if attrs.has(type(value)):
        plain = {
            field.name: _plain(getattr(value, field.name)) for field in attrs.fields(type(value))
        }
        plain["__type__"] = type(value).__name__
        return plain
    if isinstance(value, tuple | list):
        return [_plain(element) for element in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(element) for key, element in value.items()}
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, str | int):  # bool is an int
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"sha256": hashlib.sha256(value).hexdigest(), "size": len(value)}
    raise TypeError(f"no canonical form for {type(value).__name__}")
