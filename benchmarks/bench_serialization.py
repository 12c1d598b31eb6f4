"""Figure 1: the lookup response, object -> JSON-ready dict -> JSON bytes.

Contenders, all rendering the same three-item order to the same JSON:

- the library: ``render_order(snapshot)`` (+ ``orjson.dumps`` for bytes: the library has
  no bytes API of its own);
- a hand-written dict builder producing the very same dict (checked once);
- an equivalent pydantic v2 model (``model_dump(mode="json")``, ``model_dump_json()``);
- an equivalent msgspec Struct (``msgspec.json.encode``).

The pydantic and msgspec objects hold the domain's values (``Decimal``, ``datetime``,
nested records) and format them themselves; they are built once, outside the timing,
like the library's snapshot.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
import orjson
import pydantic

from fixtures import lookup_snapshot
from guest_orders.domain import (
    CancellationRequest,
    EasyReturnShippingCompany,
    Order,
    OrderItem,
    OrderSnapshot,
    OrderStatus,
)
from guest_orders.wire import render_order
from harness import Report, at_least, at_most, compare, us

# --- (a) the hand-written dict builder -----------------------------------------------------

_CENT = Decimal("0.01")
_STATUS = {s: {"value": s.value, "label": s.label} for s in OrderStatus}


def _money(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _when(value: datetime | None) -> str | None:
    if value is None:
        return None
    # The fastest spelling found: in UTC, isoformat() ends with "+00:00".
    return value.astimezone(UTC).isoformat()[:-6] + "Z"


def _company(company: EasyReturnShippingCompany) -> dict[str, Any]:
    carrier = company.shipping_company
    return {"pk": company.pk, "shipping_company": {"value": carrier.value, "label": carrier.label}}


def _request(req: CancellationRequest) -> dict[str, Any]:
    easy_return = req.easy_return
    pickup = req.pickup_date
    return {
        "id": req.id,
        "uuid": str(req.uuid),
        "order_item": req.order_item,
        "reason": req.reason,
        "cancellation_type": req.cancellation_type.value,
        "status": req.status.value,
        "description": req.description,
        "quantity": req.quantity,
        "iban": None if req.iban is None else req.iban.masked,
        "holder_name": None
        if req.holder_name is None
        else " ".join(f"{word[0]}***" for word in req.holder_name.split()),
        "easy_return": None
        if easy_return is None
        else {"code": easy_return.code, "shipping_company": _company(easy_return.shipping_company)},
        "pickup_address": req.pickup_address,
        "pickup_date": None
        if pickup is None
        else {
            "date": pickup.date.isoformat(),
            "hour_range": {
                "start": pickup.start.isoformat(timespec="minutes"),
                "end": pickup.end.isoformat(timespec="minutes"),
            },
        },
        "cancellation_request_image_set": [
            {"image": image.image, "description": image.description} for image in req.images
        ],
        "fully_refund_as_loyalty_money": req.fully_refund_as_loyalty_money,
        "created_date": _when(req.created_date),
        "modified_date": _when(req.modified_date),
    }


def _item(item: OrderItem, snapshot: OrderSnapshot) -> dict[str, Any]:
    product = item.product
    allowed = snapshot.eligibility[item.pk]
    request = snapshot.active_requests.get(item.pk)
    return {
        "pk": item.pk,
        "status": dict(_STATUS[item.status]),
        "quantity": item.quantity,
        "price": _money(item.price),
        "product": {
            "pk": product.pk,
            "name": product.name,
            "sku": product.sku,
            "image": product.image,
        },
        "is_cancelled": item.status is OrderStatus.CANCELLED,
        "is_cancellable": allowed.can_cancel,
        "is_refundable": allowed.can_refund,
        "active_cancellation_request": None if request is None else _request(request),
        "available_easy_return_shipping_companies": [
            _company(c) for c in snapshot.easy_return_shipping_companies
        ]
        if allowed.can_refund
        else [],
    }


def hand_written(snapshot: OrderSnapshot) -> dict[str, Any]:
    order: Order = snapshot.order
    carrier = order.shipping_company
    bank = order.bank
    eligibility = snapshot.eligibility.values()
    return {
        "pk": order.pk,
        "number": order.number,
        "user_email": order.user_email,
        "status": dict(_STATUS[order.status]),
        "currency": {"value": order.currency.code.lower(), "label": order.currency.code},
        "amount": _money(order.amount),
        "discount_amount": _money(order.discount_amount),
        "shipping_amount": _money(order.shipping_amount),
        "shipping_tax_rate": None
        if order.shipping_tax_rate is None
        else format(order.shipping_tax_rate, "f"),
        "refund_amount": _money(order.refund_amount),
        "discount_refund_amount": _money(order.discount_refund_amount),
        "shipping_refund_amount": _money(order.shipping_refund_amount),
        "installment_count": order.installment_count,
        "installment_interest_amount": _money(order.installment_interest_amount),
        "order_type": None if order.order_type is None else order.order_type.value,
        "tracking_url": order.tracking_url,
        "tracking_number": order.tracking_number,
        "invoice_number": order.invoice_number,
        "invoice_date": _when(order.invoice_date),
        "e_archive_url": order.e_archive_url,
        "has_gift_box": order.has_gift_box,
        "gift_box_note": order.gift_box_note,
        "notes": order.notes,
        "bin_number": order.bin_number,
        "shipping_company": None
        if carrier is None
        else {"value": carrier.value, "label": carrier.label},
        "bank": None
        if bank is None
        else {"pk": bank.pk, "name": bank.name, "slug": bank.slug, "logo": bank.logo},
        "extra_field": None if order.extra_field is None else dict(order.extra_field),
        "created_date": _when(order.created_date),
        "modified_date": _when(order.modified_date),
        "amount_without_discount": _money(order.amount + order.discount_amount),
        "is_cancelled": bool(order.items)
        and all(i.status is OrderStatus.CANCELLED for i in order.items),
        "is_cancellable": any(e.can_cancel for e in eligibility),
        "is_refundable": any(e.can_refund for e in eligibility),
        "is_payable": order.is_payable,
        "orderitem_set": [_item(item, snapshot) for item in order.items],
    }


# --- (b) pydantic v2 -----------------------------------------------------------------------


class PLabel(pydantic.BaseModel):
    value: str
    label: str


class PBank(pydantic.BaseModel):
    pk: int
    name: str
    slug: str
    logo: str | None


class PProduct(pydantic.BaseModel):
    pk: int
    name: str
    sku: str
    image: str | None


class PCompany(pydantic.BaseModel):
    pk: int
    shipping_company: PLabel


class PEasyReturn(pydantic.BaseModel):
    code: str
    shipping_company: PCompany


class PRequest(pydantic.BaseModel):
    id: int | None
    uuid: pydantic.UUID4 | Any
    order_item: int
    reason: int
    cancellation_type: str
    status: str
    description: str | None
    quantity: int | None
    iban: str | None
    holder_name: str | None
    easy_return: PEasyReturn | None
    pickup_address: int | None
    pickup_date: dict[str, Any] | None
    cancellation_request_image_set: list[dict[str, Any]]
    fully_refund_as_loyalty_money: bool
    created_date: datetime
    modified_date: datetime


class PItem(pydantic.BaseModel):
    pk: int
    status: PLabel
    quantity: int
    price: Decimal
    product: PProduct
    is_cancelled: bool
    is_cancellable: bool
    is_refundable: bool
    active_cancellation_request: PRequest | None
    available_easy_return_shipping_companies: list[PCompany]


class POrder(pydantic.BaseModel):
    pk: int
    number: str
    user_email: str
    status: PLabel
    currency: PLabel
    amount: Decimal
    discount_amount: Decimal
    shipping_amount: Decimal
    shipping_tax_rate: Decimal | None
    refund_amount: Decimal
    discount_refund_amount: Decimal
    shipping_refund_amount: Decimal
    installment_count: int
    installment_interest_amount: Decimal
    order_type: str | None
    tracking_url: str | None
    tracking_number: str | None
    invoice_number: str | None
    invoice_date: datetime | None
    e_archive_url: str | None
    has_gift_box: bool | None
    gift_box_note: str | None
    notes: str | None
    bin_number: str | None
    shipping_company: PLabel | None
    bank: PBank | None
    extra_field: dict[str, Any] | None
    created_date: datetime
    modified_date: datetime
    amount_without_discount: Decimal
    is_cancelled: bool
    is_cancellable: bool
    is_refundable: bool
    is_payable: bool
    orderitem_set: list[PItem]


# --- (c) msgspec ---------------------------------------------------------------------------


class MLabel(msgspec.Struct):
    value: str
    label: str


class MBank(msgspec.Struct):
    pk: int
    name: str
    slug: str
    logo: str | None


class MProduct(msgspec.Struct):
    pk: int
    name: str
    sku: str
    image: str | None


class MCompany(msgspec.Struct):
    pk: int
    shipping_company: MLabel


class MEasyReturn(msgspec.Struct):
    code: str
    shipping_company: MCompany


class MRequest(msgspec.Struct):
    id: int | None
    uuid: Any
    order_item: int
    reason: int
    cancellation_type: str
    status: str
    description: str | None
    quantity: int | None
    iban: str | None
    holder_name: str | None
    easy_return: MEasyReturn | None
    pickup_address: int | None
    pickup_date: dict[str, Any] | None
    cancellation_request_image_set: list[dict[str, Any]]
    fully_refund_as_loyalty_money: bool
    created_date: datetime
    modified_date: datetime


class MItem(msgspec.Struct):
    pk: int
    status: MLabel
    quantity: int
    price: Decimal
    product: MProduct
    is_cancelled: bool
    is_cancellable: bool
    is_refundable: bool
    active_cancellation_request: MRequest | None
    available_easy_return_shipping_companies: list[MCompany]


class MOrder(msgspec.Struct):
    pk: int
    number: str
    user_email: str
    status: MLabel
    currency: MLabel
    amount: Decimal
    discount_amount: Decimal
    shipping_amount: Decimal
    shipping_tax_rate: Decimal | None
    refund_amount: Decimal
    discount_refund_amount: Decimal
    shipping_refund_amount: Decimal
    installment_count: int
    installment_interest_amount: Decimal
    order_type: str | None
    tracking_url: str | None
    tracking_number: str | None
    invoice_number: str | None
    invoice_date: datetime | None
    e_archive_url: str | None
    has_gift_box: bool | None
    gift_box_note: str | None
    notes: str | None
    bin_number: str | None
    shipping_company: MLabel | None
    bank: MBank | None
    extra_field: dict[str, Any] | None
    created_date: datetime
    modified_date: datetime
    amount_without_discount: Decimal
    is_cancelled: bool
    is_cancellable: bool
    is_refundable: bool
    is_payable: bool
    orderitem_set: list[MItem]


def _typed_values(snapshot: OrderSnapshot) -> dict[str, Any]:
    """The hand-written dict, but with the domain's typed values (Decimal, datetime) where
    the rendered one has strings: what a pydantic or msgspec model would hold."""
    order = snapshot.order
    body = hand_written(snapshot)
    for key in (
        "amount",
        "discount_amount",
        "shipping_amount",
        "shipping_tax_rate",
        "refund_amount",
        "discount_refund_amount",
        "shipping_refund_amount",
        "installment_interest_amount",
        "invoice_date",
        "created_date",
        "modified_date",
    ):
        body[key] = getattr(order, key)
    body["amount_without_discount"] = order.amount_without_discount
    for rendered, item in zip(body["orderitem_set"], order.items, strict=True):
        rendered["price"] = item.price
        request = snapshot.active_requests.get(item.pk)
        if request is not None:
            rendered["active_cancellation_request"]["uuid"] = request.uuid
            rendered["active_cancellation_request"]["created_date"] = request.created_date
            rendered["active_cancellation_request"]["modified_date"] = request.modified_date
    return body


#: The bytes targets apply "if the library offers bytes, via an optional fast encoder": it
#: offers JSON-ready data only (the host encodes it), so they are measured, for
#: information, and not judged.
NO_BYTES_API = "no bytes API"


def run(report: Report) -> None:
    section = "1. lookup response"
    print(f"\n{section}", flush=True)
    snapshot = lookup_snapshot()
    library = render_order(snapshot)
    if hand_written(snapshot) != library:
        report.note("the hand-written builder no longer matches render_order: update it")
        raise AssertionError("hand-written builder != render_order")

    typed = _typed_values(snapshot)
    model = POrder.model_validate(typed)
    struct = msgspec.convert(typed, MOrder)
    expected = orjson.loads(orjson.dumps(library))
    assert model.model_dump(mode="json") == expected, "pydantic model renders other JSON"
    assert orjson.loads(model.model_dump_json()) == expected, "pydantic JSON differs"
    assert orjson.loads(msgspec.json.encode(struct)) == expected, "msgspec JSON differs"

    timing = compare(
        {
            "library dict": lambda: render_order(snapshot),
            "hand-written dict": lambda: hand_written(snapshot),
            "pydantic dict": lambda: model.model_dump(mode="json"),
            "library bytes": lambda: orjson.dumps(render_order(snapshot)),
            "hand-written bytes": lambda: orjson.dumps(hand_written(snapshot)),
            "pydantic bytes": model.model_dump_json,
            "msgspec bytes": lambda: msgspec.json.encode(struct),
            # Building the model per response, as a service must (from the values, which
            # still favours them: the domain -> dict mapping is not counted).
            "pydantic build + bytes": lambda: POrder.model_validate(typed).model_dump_json(),
            "msgspec build + bytes": lambda: msgspec.json.encode(msgspec.convert(typed, MOrder)),
        }
    )
    t = timing.per_call
    print(
        "    per call: " + ", ".join(f"{name} {us(seconds)}" for name, seconds in t.items()),
        flush=True,
    )
    vs_hand = timing.ratio("library dict", "hand-written dict")
    report.add(
        section,
        "render_order -> dict vs hand-written builder",
        f"{vs_hand:.2f}× ({us(t['library dict'])} vs {us(t['hand-written dict'])})",
        "≤ 1.15×",
        value=vs_hand,
        check=at_most(1.15),
    )
    report.add(
        section,
        "pydantic model_dump(mode='json') vs library dict",
        f"{timing.ratio('pydantic dict', 'library dict'):.2f}× the library's time "
        f"({us(t['pydantic dict'])})",
    )
    faster = timing.ratio("pydantic bytes", "library bytes")
    report.add(
        section,
        "JSON bytes: speed-up of the library (render_order + orjson) over pydantic model_dump_json",
        f"{faster:.2f}× (pydantic's time ÷ the library's: {us(t['pydantic bytes'])} vs "
        f"{us(t['library bytes'])})",
        "≥ 2.5× (2.5 times faster)",
        value=faster,
        check=at_least(2.5),
        not_applicable=NO_BYTES_API,
    )
    vs_msgspec = timing.ratio("library bytes", "msgspec bytes")
    report.add(
        section,
        "JSON bytes: library vs msgspec.json.encode",
        f"{vs_msgspec:.2f}× msgspec's time ({us(t['msgspec bytes'])})",
        "≤ 1.5×",
        value=vs_msgspec,
        check=at_most(1.5),
        not_applicable=NO_BYTES_API,
    )
    report.add(
        section,
        "JSON bytes, model built per response: pydantic validate + dump_json / msgspec "
        "convert + encode, vs the library",
        f"{timing.ratio('pydantic build + bytes', 'library bytes'):.2f}× / "
        f"{timing.ratio('msgspec build + bytes', 'library bytes'):.2f}× the library's time",
    )
    report.add(
        section,
        "JSON bytes: hand-written dict + orjson vs msgspec (what any dict path can reach)",
        f"{timing.ratio('hand-written bytes', 'msgspec bytes'):.2f}× msgspec's time",
    )
