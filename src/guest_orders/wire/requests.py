"""Untrusted request mappings -> the domain's command objects.

Each request is read as :mod:`guest_orders.wire.spec` declares it, field by field, so
the codes and paths of Django REST framework's error tree fall out directly and nothing
converts silently (``True`` is not ``1``, ``2.7`` is not ``2``, ``12`` is not ``"12"``).
Every problem of a request is collected before :class:`InvalidRequest` is raised; no
other exception leaves these functions, whatever the input.

``form=True`` reads HTML form fields: a multi-value field (a list) counts by its last
value, an empty value counts as absent, integers may be strings of ASCII digits and
booleans one of ``true/false/1/0/on/off`` (any case). A field a form cannot carry (a bulk
request's ``cancel_order_items``) is absent in a form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from guest_orders.domain import CancellationCommand, LookupQuery
from guest_orders.errors import NON_FIELD_ERRORS, ErrorDetail, InvalidRequest
from guest_orders.policy import Policy
from guest_orders.wire import _values, spec

__all__ = ["parse_bulk_cancellation", "parse_cancellation", "parse_lookup"]

_DEFAULT_POLICY: Final = Policy()
_INVALID_BODY: Final = ErrorDetail.of("invalid")


def _parse(request: spec.ObjectSpec, data: Any, policy: Policy, *, form: bool) -> Any:
    if not isinstance(data, Mapping):
        raise InvalidRequest({NON_FIELD_ERRORS: [_INVALID_BODY]})
    try:
        return spec.read(request, _values.Fields(data, policy, form=form))
    except _values.Fail as failure:
        raise InvalidRequest(failure.node) from None


def parse_lookup(
    data: Mapping[str, Any], *, policy: Policy = _DEFAULT_POLICY, form: bool = False
) -> LookupQuery:
    """``{"number", "email"}`` -> :class:`LookupQuery`, or :class:`InvalidRequest`."""
    query: LookupQuery = _parse(spec.LOOKUP, data, policy, form=form)
    return query


def parse_cancellation(
    data: Mapping[str, Any], *, policy: Policy = _DEFAULT_POLICY, form: bool = False
) -> CancellationCommand:
    """One item's cancellation or refund -> ``CancellationCommand(bulk=False)``."""
    command: CancellationCommand = _parse(spec.CANCELLATION, data, policy, form=form)
    return command


def parse_bulk_cancellation(
    data: Mapping[str, Any], *, policy: Policy = _DEFAULT_POLICY, form: bool = False
) -> CancellationCommand:
    """Several items' cancellations or refunds -> ``CancellationCommand(bulk=True)``."""
    command: CancellationCommand = _parse(spec.BULK_CANCELLATION, data, policy, form=form)
    return command
