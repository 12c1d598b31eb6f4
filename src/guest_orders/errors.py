"""The library's errors.

Every error is a :class:`GuestOrderError` with a stable ``code``, a safe message (no
personal data, no internals) and an ``http_status`` hint that a transport maps onto its
own responses. :func:`guest_orders.render_error` turns any of them into a Django REST
framework style body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, TypeAlias, Union

import attrs

__all__ = [
    "DuplicateKey",
    "ErrorDetail",
    "ErrorTree",
    "GuestOrderError",
    "IdempotencyKeyReused",
    "InvalidRequest",
    "MalformedJson",
    "OrderNotFound",
    "TooManyAttempts",
    "TooManyJsonValues",
]


@attrs.frozen
class ErrorDetail:
    """One problem with one field: a stable machine-readable code and a safe message."""

    code: str
    message: str


#: Errors addressed by field path, in Django REST framework's nesting: a mapping of
#: field name to a list of details, to a nested tree, or to a list of trees (one per
#: element of a list field, ``{}`` for the elements that are fine).
ErrorTree: TypeAlias = Mapping[
    str, Union[Sequence[ErrorDetail], "ErrorTree", Sequence["ErrorTree"]]
]

NON_FIELD_ERRORS = "non_field_errors"


class GuestOrderError(Exception):
    """Base of every error the library raises on purpose.

    ``code`` is stable and documented; ``http_status`` is a hint for web adapters.
    """

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    message: ClassVar[str] = "The request could not be processed."

    def __init__(self) -> None:
        super().__init__(self.message)

    @property
    def errors(self) -> ErrorTree:
        """The errors in Django REST framework shape."""
        return {NON_FIELD_ERRORS: [ErrorDetail(self.code, self.message)]}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r})"


class OrderNotFound(GuestOrderError):
    """The one failure for every miss.

    An unknown number, an order of a registered customer and a wrong email all raise this,
    with the same code and message, so nobody can learn which orders exist.
    """

    code = "order_not_found"
    message = "We couldn't locate an order with the information provided."


class InvalidRequest(GuestOrderError):
    """The request broke one or more rules; ``errors`` names every field at fault.

    ``code`` is the code of the first problem found, so a caller that only looks at one
    code still gets a precise one (for example ``cancellation_request_100_1``).
    """

    message = "The request is invalid."

    def __init__(self, errors: ErrorTree) -> None:
        first = _first_detail(errors)
        if first is None:
            raise ValueError("InvalidRequest needs at least one error detail")
        self._errors = errors
        self.code = first.code  # type: ignore[misc]  # per-instance code, documented above
        Exception.__init__(self, first.message)

    @property
    def errors(self) -> ErrorTree:
        return self._errors

    @property
    def details(self) -> list[tuple[str, ErrorDetail]]:
        """Every detail with its dotted path, e.g. ``cancel_order_items[3].quantity``."""
        return list(iter_details(self._errors))


class TooManyAttempts(GuestOrderError):
    """Too many failed attempts for this order number or client; try again later."""

    code = "too_many_attempts"
    http_status = 429
    message = "Too many attempts. Please try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class MalformedJson(GuestOrderError):
    """The body is not one JSON value encoded in UTF-8 (see
    :func:`guest_orders.wire.decode_json`)."""

    code = "parse_error"
    message = "Malformed JSON: the body must be one JSON value, encoded in UTF-8."


class DuplicateKey(MalformedJson):
    """A JSON object of the body names one key twice: refused, because a proxy or a
    firewall that reads the first one would see another request than the library."""

    code = "duplicate_key"
    message = "Malformed JSON: an object names the same key more than once."


class TooManyJsonValues(MalformedJson):
    """The body holds more JSON values than any valid request: refused before decoding."""

    code = "too_many_values"
    message = "The JSON body holds more values than any valid request."


class IdempotencyKeyReused(GuestOrderError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"
    http_status = 422
    message = "This idempotency key was already used for a different request."


def iter_details(tree: ErrorTree, prefix: str = "") -> list[tuple[str, ErrorDetail]]:
    """Flatten an error tree into ``(path, detail)`` pairs."""
    out: list[tuple[str, ErrorDetail]] = []
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, Mapping):
            out.extend(iter_details(value, path))
            continue
        for index, element in enumerate(value):
            if isinstance(element, ErrorDetail):
                out.append((path, element))
            elif isinstance(element, Mapping):
                out.extend(iter_details(element, f"{path}[{index}]"))
    return out


def _first_detail(tree: ErrorTree) -> ErrorDetail | None:
    details = iter_details(tree)
    return details[0][1] if details else None
