"""Domain results -> JSON-ready data in the platform's shapes.

Everything goes through the one converter of :mod:`guest_orders.wire.converter`; its
generated functions are fetched once, here. Computed fields come from the domain
(``Order.amount_without_discount``, ``Order.is_cancelled``, ``Order.is_payable``,
``OrderSnapshot.is_cancellable``/``is_refundable``, the snapshot's per-item eligibility):
nothing is recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from guest_orders.domain import (
    CancellationReason,
    CancellationRequest,
    EasyReturnShippingCompany,
    ItemEligibility,
    Order,
    OrderItem,
    OrderSnapshot,
)
from guest_orders.i18n import match_locale, resolve_locale
from guest_orders.wire.converter import converter, format_money
from guest_orders.wire.errors import render_error

__all__ = [
    "reason_subject",
    "render_cancellation_request",
    "render_error",
    "render_lookup",
    "render_order",
    "render_reasons",
]

_Render = Callable[[Any], dict[str, Any]]

_order: _Render = converter.get_unstructure_hook(Order)
_order_item: _Render = converter.get_unstructure_hook(OrderItem)
_request: _Render = converter.get_unstructure_hook(CancellationRequest)
_reason: _Render = converter.get_unstructure_hook(CancellationReason)
_easy_return_company: _Render = converter.get_unstructure_hook(EasyReturnShippingCompany)

#: An item the snapshot has no eligibility for may be neither cancelled nor refunded.
_INELIGIBLE = ItemEligibility(can_cancel=False, can_refund=False)


def render_cancellation_request(req: CancellationRequest) -> dict[str, Any]:
    """A cancellation request; its IBAN and holder name are masked."""
    return _request(req)


def render_order(snapshot: OrderSnapshot) -> dict[str, Any]:
    """One order of the lookup response, with its items."""
    order = snapshot.order
    body = _order(order)
    body["amount_without_discount"] = format_money(order.amount_without_discount)
    body["is_cancelled"] = order.is_cancelled
    body["is_cancellable"] = snapshot.is_cancellable
    body["is_refundable"] = snapshot.is_refundable
    body["is_payable"] = order.is_payable

    eligibility = snapshot.eligibility
    active = snapshot.active_requests
    companies = snapshot.easy_return_shipping_companies
    items = []
    for item in order.items:
        rendered = _order_item(item)
        allowed = eligibility.get(item.pk, _INELIGIBLE)
        request = active.get(item.pk)
        rendered["is_cancelled"] = item.is_cancelled
        rendered["is_cancellable"] = allowed.can_cancel
        rendered["is_refundable"] = allowed.can_refund
        rendered["active_cancellation_request"] = None if request is None else _request(request)
        rendered["available_easy_return_shipping_companies"] = (
            [_easy_return_company(company) for company in companies] if allowed.can_refund else []
        )
        items.append(rendered)
    body["orderitem_set"] = items
    return body


def render_lookup(snapshot: OrderSnapshot) -> list[dict[str, Any]]:
    """The lookup response: a list holding the one order."""
    return [render_order(snapshot)]


def render_reasons(
    reasons: Sequence[CancellationReason], *, locale: str | None = None
) -> dict[str, Any]:
    """Cancellation reasons in the platform's paginated shape (one page holds them all).

    With ``locale``, each ``subject`` is the reason's translation for it
    (:func:`reason_subject`); ``translations`` is rendered as stored.
    """
    results = [_reason(reason) for reason in reasons]
    if locale is not None:
        chosen = resolve_locale(locale)
        for reason, result in zip(reasons, results, strict=True):
            result["subject"] = reason_subject(reason, chosen)
    return {"count": len(reasons), "next": None, "previous": None, "results": results}


def reason_subject(reason: CancellationReason, locale: str) -> str:
    """The reason's subject in ``locale``: its translation under that language's key
    (``tr``, else the first key ``tr-TR``, ``tr_TR``... that names it), else the
    ``subject`` as written."""
    translations = reason.translations or {}
    exact = translations.get(locale)
    if exact:
        return exact
    for key, text in translations.items():
        if text and match_locale(key) == locale:
            return text
    return reason.subject
