"""Errors -> the Django REST framework style error tree and body.

The use cases report broken business rules as :class:`guest_orders.errors.Violation`
values (an item index, a domain field name, a code); this module is where they become
the wire's tree: field names as the request spells them, a bulk request's items under
``cancel_order_items`` (``{}`` for the items that are fine), a single request's item at
the top level, ``non_field_errors`` for a whole item or request, each message from
:mod:`guest_orders.messages`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from guest_orders.domain import MAX_IDEMPOTENCY_KEY_LENGTH
from guest_orders.errors import (
    NON_FIELD_ERRORS,
    ErrorDetail,
    ErrorTree,
    GuestOrderError,
    InvalidRequest,
    RulesViolated,
    Violation,
)
from guest_orders.i18n import resolve_locale
from guest_orders.wire.spec import IMAGES_FIELD, ITEMS_FIELD

__all__ = [
    "render_error",
    "rules_violated",
    "violation_detail",
    "violation_tree",
    "with_violations",
]

#: The values a rule's message names (the violation itself carries only its code).
_PARAMS: Final[Mapping[str, Mapping[str, object]]] = {
    "invalid_idempotency_key": {"max_length": MAX_IDEMPOTENCY_KEY_LENGTH},
}

#: Domain field names that the wire spells otherwise.
_WIRE_NAMES: Final[Mapping[str, str]] = {"images": IMAGES_FIELD, "items": ITEMS_FIELD}


def violation_detail(violation: Violation) -> ErrorDetail:
    """The code and message of one violation."""
    return ErrorDetail.of(violation.code, **_PARAMS.get(violation.code, {}))


def _key(violation: Violation) -> str:
    field = violation.field
    return NON_FIELD_ERRORS if field is None else _WIRE_NAMES.get(field, field)


def violation_tree(
    violations: Iterable[Violation], *, bulk: bool, item_count: int = 1
) -> ErrorTree:
    """The error tree of ``violations`` for a request of ``item_count`` items.

    Violations of the request come first, then those of the items; within each, a field's
    details stay in the order they were found, grouped under the field's first place.
    """
    top: dict[str, list[ErrorDetail]] = {}
    items: list[dict[str, list[ErrorDetail]]] = [{} for _ in range(item_count)]
    for violation in violations:
        node = top if violation.item is None else items[violation.item]
        node.setdefault(_key(violation), []).append(violation_detail(violation))
    tree: dict[str, Any] = dict(top)
    if bulk:
        if any(items):
            tree[ITEMS_FIELD] = items
    else:
        for key, details in items[0].items():
            tree.setdefault(key, []).extend(details)
    return tree


def rules_violated(
    violations: Iterable[Violation], *, bulk: bool, item_count: int = 1
) -> RulesViolated:
    """The error the use cases raise: ``violations`` with their tree."""
    found = tuple(violations)
    return RulesViolated(found, violation_tree(found, bulk=bulk, item_count=item_count))


def with_violations(invalid: InvalidRequest, violations: Iterable[Violation]) -> InvalidRequest:
    """``invalid`` (a request body's problems) with the request-level ``violations``
    added under ``non_field_errors``, after the body's own."""
    tree = dict(invalid.errors)
    extra = [violation_detail(violation) for violation in violations]
    if not extra:
        return invalid
    existing = tree.get(NON_FIELD_ERRORS, ())
    tree[NON_FIELD_ERRORS] = [
        *(detail for detail in existing if isinstance(detail, ErrorDetail)),
        *extra,
    ]
    return InvalidRequest(tree)


def render_error(error: GuestOrderError, *, locale: str | None = None) -> dict[str, Any]:
    """A Django REST framework style error body.

    The error tree with messages (``{"field": ["message"]}``, one dict per item of a list
    field, ``{"non_field_errors": [...]}``), plus ``"code"`` (the error's code) and
    ``"codes"`` (the same tree with codes instead of messages).

    The messages are in ``locale`` (any spelling :func:`guest_orders.i18n.resolve_locale`
    takes; English for a language without a catalog), by default in ``error.locale``;
    the codes are the same in every locale.
    """
    chosen = error.locale if locale is None else resolve_locale(locale)
    tree = error.errors
    body: dict[str, Any] = _tree(tree, functools.partial(_message, locale=chosen))
    body["code"] = error.code
    body["codes"] = _tree(tree, _code)
    return body


def _message(detail: ErrorDetail, *, locale: str) -> str:
    return detail.in_locale(locale)


def _code(detail: ErrorDetail) -> str:
    return detail.code


def _tree(tree: Mapping[str, Any], leaf: Callable[[ErrorDetail], str]) -> dict[str, Any]:
    return {key: _node(value, leaf) for key, value in tree.items()}


def _node(node: Any, leaf: Callable[[ErrorDetail], str]) -> Any:
    if isinstance(node, ErrorDetail):
        return leaf(node)
    if isinstance(node, Mapping):
        return _tree(node, leaf)
    return [_node(element, leaf) for element in node]
