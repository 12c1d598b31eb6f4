"""Example requests that work against freshly loaded demo data, and their curl commands.

They are derived from the data with the shop's :class:`guest_orders.Policy`, so they work
for the built-in sample and for any data file: a lookup of the first guest order (as JSON,
and as form data without the trailing slash, the way the storefront client sends it), a
cancellation of the first cancellable item, a bulk refund of the order with the most
refundable items, and the list of reasons.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

import attrs

from guest_orders.demo._file import DemoData
from guest_orders.domain import (
    CancellationReason,
    CancellationRequest,
    CancellationType,
    ItemEligibility,
    Order,
)
from guest_orders.policy import Policy

__all__ = [
    "DemoRequest",
    "curl_command",
    "demo_requests",
    "describe_orders",
    "with_active_requests",
]

_ANONYMOUS: Final = "/users/orders/anonymous"
#: A valid IBAN (the ISO 13616 example for Turkey), for refunds of cash-paid orders.
DEMO_IBAN: Final = "TR330006100519786457841326"
DEMO_HOLDER_NAME: Final = "Demo Customer"
_DEMO_DESCRIPTION: Final = "Sent from the demo."


@attrs.frozen(kw_only=True)
class DemoRequest:
    """One example request: ``json`` or ``form`` is its body (neither for a GET)."""

    title: str
    method: str
    path: str
    json: Mapping[str, Any] | None = None
    form: Mapping[str, str] | None = None


def with_active_requests(data: DemoData, active: Iterable[CancellationRequest]) -> DemoData:
    """``data`` whose active requests are ``active`` (what a store holds now, for example
    after a restart on a kept database); its inactive ones are kept."""
    return attrs.evolve(
        data,
        cancellation_requests=(
            *(r for r in data.cancellation_requests if not r.is_active),
            *(r for r in active if r.is_active),
        ),
    )


_Active = Mapping[int, CancellationRequest]


def _active_requests(data: DemoData) -> dict[int, CancellationRequest]:
    return {r.order_item: r for r in data.cancellation_requests if r.is_active}


def _eligibility(
    order: Order, active: _Active, policy: Policy, now: datetime
) -> dict[int, ItemEligibility]:
    return {item.pk: policy.eligibility(item, active.get(item.pk), now) for item in order.items}


def _reason(data: DemoData, kind: CancellationType) -> CancellationReason | None:
    reasons = sorted(
        (r for r in data.reasons if r.is_active and r.cancellation_type is kind),
        key=lambda r: (r.extra_information_needed, r.order, r.pk),
    )
    return reasons[0] if reasons else None


def _item_fields(
    order: Order, reason: CancellationReason, kind: CancellationType
) -> dict[str, Any]:
    fields: dict[str, Any] = {"reason": reason.pk, "cancellation_type": kind.value}
    if reason.extra_information_needed:
        fields["description"] = _DEMO_DESCRIPTION
    if kind is CancellationType.REFUND and order.payment_type.is_cash:
        fields["iban"] = DEMO_IBAN
        fields["holder_name"] = DEMO_HOLDER_NAME
    return fields


def _owner(order: Order) -> dict[str, str]:
    return {"number": order.number, "email": order.user_email}


def demo_requests(data: DemoData, *, policy: Policy, now: datetime) -> list[DemoRequest]:
    """Requests that succeed (2xx) once against a store freshly loaded with ``data``."""
    guest_orders = [order for order in data.orders if order.customer.is_guest]
    active = _active_requests(data)
    out: list[DemoRequest] = []
    if guest_orders:
        first = guest_orders[0]
        out.append(
            DemoRequest(
                title="Look up a guest order (JSON)",
                method="POST",
                path=f"{_ANONYMOUS}/",
                json=_owner(first),
            )
        )
        out.append(
            DemoRequest(
                title="Look up the same order as the storefront does (form data, no slash)",
                method="POST",
                path=_ANONYMOUS,
                form=_owner(first),
            )
        )
    cancel = _single_cancel(guest_orders, data, active, policy, now)
    if cancel is not None:
        out.append(cancel)
    refund = _bulk_refund(guest_orders, data, active, policy, now)
    if refund is not None:
        out.append(refund)
    out.append(
        DemoRequest(
            title="List the cancellation reasons",
            method="GET",
            path="/users/orders/cancellation_reasons/",
        )
    )
    return out


def _single_cancel(
    orders: list[Order], data: DemoData, active: _Active, policy: Policy, now: datetime
) -> DemoRequest | None:
    reason = _reason(data, CancellationType.CANCEL)
    if reason is None:
        return None
    for order in orders:
        eligibility = _eligibility(order, active, policy, now)
        for item in order.items:
            if eligibility[item.pk].can_cancel:
                body = {
                    **_owner(order),
                    "order_item": item.pk,
                    **_item_fields(order, reason, CancellationType.CANCEL),
                }
                return DemoRequest(
                    title=f"Cancel one item ({item.product.name})",
                    method="POST",
                    path=f"{_ANONYMOUS}/cancellation_requests/",
                    json=body,
                )
    return None


def _bulk_refund(
    orders: list[Order], data: DemoData, active: _Active, policy: Policy, now: datetime
) -> DemoRequest | None:
    reason = _reason(data, CancellationType.REFUND)
    companies = sorted(c.pk for c in data.shipping_companies if c.is_active)
    if reason is None or not companies:
        return None
    best: tuple[Order, list[int]] | None = None
    for order in orders:
        eligibility = _eligibility(order, active, policy, now)
        refundable = [item.pk for item in order.items if eligibility[item.pk].can_refund]
        if refundable and (best is None or len(refundable) > len(best[1])):
            best = (order, refundable)
    if best is None:
        return None
    order, items = best
    body: dict[str, Any] = {
        **_owner(order),
        "cancel_order_items": [
            {
                "order_item": pk,
                **_item_fields(order, reason, CancellationType.REFUND),
                "shipping_company": companies[0],
            }
            for pk in items
        ],
    }
    address = next((a.pk for a in data.addresses if a.customer_id == order.customer.id), None)
    if address is not None:
        body["pickup_address"] = address
    return DemoRequest(
        title=f"Refund {len(items)} item(s) of one order at once (bulk, easy return)",
        method="POST",
        path=f"{_ANONYMOUS}/bulk_cancellation_requests/",
        json=body,
    )


def curl_command(base_url: str, request: DemoRequest) -> str:
    """A one-line shell command; every argument quoted for POSIX shells."""
    parts = ["curl", "-sS", base_url.rstrip("/") + request.path]
    if request.json is not None:
        body = json.dumps(request.json, ensure_ascii=False, separators=(",", ":"))
        parts += ["-H", "Content-Type: application/json", "--data-binary", body]
    elif request.form is not None:
        for name, value in request.form.items():
            parts += ["--data-urlencode", f"{name}={value}"]
    elif request.method != "GET":
        parts += ["-X", request.method]
    return shlex.join(parts)


def describe_orders(data: DemoData, *, policy: Policy, now: datetime) -> list[str]:
    """One line per order: number, email and what a guest may do with it."""
    active = _active_requests(data)
    lines = []
    for order in data.orders:
        if not order.customer.is_guest:
            what = "a registered customer's order: never found (the uniform miss)"
        else:
            notes = []
            eligibility = _eligibility(order, active, policy, now)
            for item in order.items:
                allowed = eligibility[item.pk]
                if item.pk in active:
                    notes.append(f"item {item.pk} has an active request")
                elif allowed.can_cancel:
                    notes.append(f"item {item.pk} can be cancelled")
                elif allowed.can_refund:
                    notes.append(f"item {item.pk} can be refunded")
            if order.payment_type.is_cash:
                notes.append("cash on delivery: refunds need an IBAN")
            what = "; ".join(notes) or "nothing to cancel or refund"
        lines.append(f"{order.number}  {order.user_email}  {what}")
    return lines
