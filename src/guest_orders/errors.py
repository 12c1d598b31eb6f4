"""The library's errors.

Every error is a :class:`GuestOrderError` with a stable ``code``, a safe message (no
personal data, no internals) and an ``http_status`` hint that a transport maps onto its
own responses. :func:`guest_orders.render_error` turns any of them into a Django REST
framework style body, its messages in the guest's locale (:mod:`guest_orders.i18n`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar, TypeAlias, Union

import attrs

from guest_orders.i18n import DEFAULT_LOCALE, translate
from guest_orders.messages import format_message
from guest_orders.messages import message as _message

__all__ = [
    "DuplicateKey",
    "ErrorDetail",
    "ErrorTree",
    "GuestOrderError",
    "IdempotencyKeyReused",
    "InvalidRequest",
    "MalformedJson",
    "OrderNotFound",
    "RulesViolated",
    "TooManyAttempts",
    "TooManyJsonValues",
    "Violation",
]


@attrs.frozen
class ErrorDetail:
    """One problem with one field: a stable machine-readable code and a safe message.

    ``message`` is in English; :meth:`in_locale` says it in another locale. A detail made
    by :meth:`of` keeps its message id and values for that (they take no part in
    equality); another detail's message is translated as written, when a catalog has it.
    """

    code: str
    message: str
    message_id: str | None = attrs.field(default=None, kw_only=True, eq=False, repr=False)
    params: Mapping[str, object] = attrs.field(factory=dict, kw_only=True, eq=False, repr=False)

    @classmethod
    def of(cls, code: str, /, **params: object) -> ErrorDetail:
        """The detail of ``code`` with its message from :mod:`guest_orders.messages`."""
        return cls(code, format_message(code, params), message_id=code, params=params)

    def in_locale(self, locale: str) -> str:
        """The message in ``locale`` (see :func:`guest_orders.i18n.resolve_locale`)."""
        if self.message_id is None:
            return translate(self.message, locale)
        return format_message(self.message_id, self.params, locale=locale)


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
    message: ClassVar[str] = _message("error")
    #: The locale :func:`guest_orders.render_error` says the messages in, unless told
    #: otherwise: :class:`guest_orders.GuestOrders` sets the one it was called with.
    locale: str = DEFAULT_LOCALE

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
    message = _message(code)


class InvalidRequest(GuestOrderError):
    """The request broke one or more rules; ``errors`` names every field at fault.

    ``code`` is the code of the first problem found, so a caller that only looks at one
    code still gets a precise one (for example ``cancellation_request_100_1``).
    """

    message = _message("invalid_request")

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
    message = _message(code)

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class MalformedJson(GuestOrderError):
    """The body is not one JSON value encoded in UTF-8 (see
    :func:`guest_orders.wire.decode_json`)."""

    code = "parse_error"
    message = _message("parse_error.json")


class DuplicateKey(MalformedJson):
    """A JSON object of the body names one key twice: refused, because a proxy or a
    firewall that reads the first one would see another request than the library."""

    code = "duplicate_key"
    message = _message(code)


class TooManyJsonValues(MalformedJson):
    """The body holds more JSON values than any valid request: refused before decoding."""

    code = "too_many_values"
    message = _message(code)


class IdempotencyKeyReused(GuestOrderError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_key_reused"
    http_status = 422
    message = _message(code)


@attrs.frozen
class Violation:
    """One business rule a request broke, in the domain's terms.

    Attributes:
        code: the rule's stable code (``"quantity_exceeds_item"``); its message is
            ``guest_orders.messages.MESSAGES[code]``.
        field: the field at fault, named as in :class:`guest_orders.CancelItem` (for a
            violation of an item) or :class:`guest_orders.CancellationCommand` (for one of
            the request); ``None`` for the item or the request as a whole.
        item: the index of the item in ``CancellationCommand.items``; ``None`` for the
            request as a whole.
    """

    code: str
    field: str | None = None
    item: int | None = None


class RulesViolated(InvalidRequest):
    """The request is well formed but breaks business rules.

    ``violations`` lists every rule broken, as :class:`Violation` values in the order
    they were found; ``errors`` is the same in the wire's tree. The use cases build it
    with :func:`guest_orders.wire.errors.rules_violated`, which renders the tree.
    """

    def __init__(self, violations: Iterable[Violation], errors: ErrorTree) -> None:
        self.violations = tuple(violations)
        if not self.violations:
            raise ValueError("RulesViolated needs at least one violation")
        super().__init__(errors)

    def __repr__(self) -> str:
        return f"RulesViolated({list(self.violations)!r})"


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
