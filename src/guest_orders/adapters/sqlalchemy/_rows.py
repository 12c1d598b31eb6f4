"""Domain objects to rows and back. Pure functions: no connection, no statements.

A row read back is any mapping of column names (or labels) to values, as processed by the
column types: Core's ``RowMapping``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from guest_orders.domain import (
    Address,
    Bank,
    CancellationReason,
    CancellationRequest,
    Currency,
    Customer,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    IdempotencyRecord,
    ImageRef,
    Order,
    OrderItem,
    PickupDate,
    Product,
    ShippingCompany,
)

__all__ = [
    "ITEM_COLUMNS",
    "ITEM_PREFIX",
    "ORDER_COLUMNS",
    "RowLike",
    "address_from_row",
    "address_row",
    "company_from_row",
    "company_row",
    "idempotency_record_from_row",
    "idempotency_row",
    "image_rows",
    "item_rows",
    "order_from_rows",
    "order_row",
    "reason_from_row",
    "reason_row",
    "request_row",
    "requests_from_rows",
]

#: A row read back: Core's ``RowMapping`` (its keys are the columns' names or labels).
RowLike = Mapping[Any, Any]

#: Label prefix of the order-item columns in the joined order query.
ITEM_PREFIX = "item_"
#: Labels of the joined columns in the request queries.
IMAGE = "image"
IMAGE_DESCRIPTION = "image_description"


#: The fields of ``Order`` stored in a column of their own name, as they are; the others
#: (a value object or a list) are written out below. A new plain field needs only its
#: column in ``_schema.orders``.
_ORDER_COMPOSITE: Final = frozenset(
    {"customer", "currency", "shipping_company", "bank", "extra_field", "items"}
)
ORDER_COLUMNS: Final = tuple(
    field.name for field in attrs.fields(Order) if field.name not in _ORDER_COMPOSITE
)
#: The same for ``OrderItem`` (``product`` is written out), in ``_schema.order_items``.
ITEM_COLUMNS: Final = tuple(
    field.name for field in attrs.fields(OrderItem) if field.name != "product"
)


def order_row(order: Order) -> dict[str, Any]:
    company = order.shipping_company
    bank = order.bank
    return {
        **{name: getattr(order, name) for name in ORDER_COLUMNS},
        "customer_id": order.customer.id,
        "customer_kind": order.customer.kind,
        "currency": order.currency.code,
        "shipping_company_value": company.value if company is not None else None,
        "shipping_company_label": company.label if company is not None else None,
        "bank_pk": bank.pk if bank is not None else None,
        "bank_name": bank.name if bank is not None else None,
        "bank_slug": bank.slug if bank is not None else None,
        "bank_logo": bank.logo if bank is not None else None,
        "extra_field": dict(order.extra_field) if order.extra_field is not None else None,
    }


def item_rows(order: Order) -> Iterator[dict[str, Any]]:
    for position, item in enumerate(order.items):
        yield {
            **{name: getattr(item, name) for name in ITEM_COLUMNS},
            "order_id": order.pk,
            "position": position,
            "product_pk": item.product.pk,
            "product_name": item.product.name,
            "product_sku": item.product.sku,
            "product_image": item.product.image,
        }


def joined_rows(order: Order) -> list[dict[str, Any]]:
    """The rows ``orders LEFT JOIN order_items`` gives for ``order`` (the inverse of
    :func:`order_from_rows`)."""
    head = order_row(order)
    return [
        {**head, **{f"{ITEM_PREFIX}{name}": value for name, value in item.items()}}
        for item in item_rows(order)
    ]


def order_from_rows(rows: Sequence[RowLike]) -> Order:
    """One order from the rows of ``orders LEFT JOIN order_items`` (one row per item, or
    one row with NULL item columns for an order without items)."""
    head = rows[0]
    items = tuple(_item_from_row(row) for row in rows if row[_I_PK] is not None)
    return Order(
        **{name: head[name] for name in ORDER_COLUMNS},
        customer=Customer(id=head["customer_id"], kind=head["customer_kind"]),
        currency=Currency(code=head["currency"]),
        shipping_company=(
            ShippingCompany(
                value=head["shipping_company_value"], label=head["shipping_company_label"]
            )
            if head["shipping_company_value"] is not None
            else None
        ),
        bank=(
            Bank(
                pk=head["bank_pk"],
                name=head["bank_name"],
                slug=head["bank_slug"],
                logo=head["bank_logo"],
            )
            if head["bank_pk"] is not None
            else None
        ),
        extra_field=head["extra_field"],
        items=items,
    )


# The item columns' labels in the joined order query, spelled out once.
_I_PK = f"{ITEM_PREFIX}pk"
_I_COLUMNS: Final = tuple((name, f"{ITEM_PREFIX}{name}") for name in ITEM_COLUMNS)
_I_PRODUCT_PK, _I_PRODUCT_NAME, _I_PRODUCT_SKU, _I_PRODUCT_IMAGE = (
    f"{ITEM_PREFIX}product_{name}" for name in ("pk", "name", "sku", "image")
)


def _item_from_row(row: RowLike) -> OrderItem:
    return OrderItem(
        **{name: row[label] for name, label in _I_COLUMNS},
        product=Product(
            pk=row[_I_PRODUCT_PK],
            name=row[_I_PRODUCT_NAME],
            sku=row[_I_PRODUCT_SKU],
            image=row[_I_PRODUCT_IMAGE],
        ),
    )


def reason_row(reason: CancellationReason) -> dict[str, Any]:
    return {
        "pk": reason.pk,
        "uuid": reason.uuid,
        "subject": reason.subject,
        "cancellation_type": reason.cancellation_type,
        "is_active": reason.is_active,
        "extra_information_needed": reason.extra_information_needed,
        "sort_order": reason.order,
        "translations": dict(reason.translations) if reason.translations is not None else None,
        "created_date": reason.created_date,
        "modified_date": reason.modified_date,
    }


def reason_from_row(row: RowLike) -> CancellationReason:
    return CancellationReason(
        pk=row["pk"],
        uuid=row["uuid"],
        subject=row["subject"],
        cancellation_type=row["cancellation_type"],
        is_active=row["is_active"],
        extra_information_needed=row["extra_information_needed"],
        order=row["sort_order"],
        translations=row["translations"],
        created_date=row["created_date"],
        modified_date=row["modified_date"],
    )


def company_row(company: EasyReturnShippingCompany) -> dict[str, Any]:
    return {
        "pk": company.pk,
        "shipping_company_value": company.shipping_company.value,
        "shipping_company_label": company.shipping_company.label,
        "is_active": company.is_active,
    }


def company_from_row(row: RowLike) -> EasyReturnShippingCompany:
    return EasyReturnShippingCompany(
        pk=row["pk"],
        shipping_company=ShippingCompany(
            value=row["shipping_company_value"], label=row["shipping_company_label"]
        ),
        is_active=row["is_active"],
    )


def address_row(address: Address) -> dict[str, Any]:
    return {"pk": address.pk, "customer_id": address.customer_id}


def address_from_row(row: RowLike) -> Address:
    return Address(pk=row["pk"], customer_id=row["customer_id"])


def request_row(request: CancellationRequest) -> dict[str, Any]:
    """The ``cancellation_requests`` row, without ``id`` (see :func:`image_rows` for the
    images)."""
    easy_return = request.easy_return
    company = easy_return.shipping_company if easy_return is not None else None
    pickup = request.pickup_date
    return {
        "uuid": request.uuid,
        "order_id": request.order,
        "order_item_id": request.order_item,
        "reason_id": request.reason,
        "cancellation_type": request.cancellation_type,
        "status": request.status,
        "description": request.description,
        "quantity": request.quantity,
        "iban": request.iban.compact if request.iban is not None else None,
        "holder_name": request.holder_name,
        "easy_return_code": easy_return.code if easy_return is not None else None,
        "easy_return_shipping_company_id": company.pk if company is not None else None,
        "easy_return_shipping_company_value": (
            company.shipping_company.value if company is not None else None
        ),
        "easy_return_shipping_company_label": (
            company.shipping_company.label if company is not None else None
        ),
        "easy_return_shipping_company_is_active": (
            company.is_active if company is not None else None
        ),
        "pickup_address_id": request.pickup_address,
        "pickup_date": pickup.date if pickup is not None else None,
        "pickup_start": pickup.start if pickup is not None else None,
        "pickup_end": pickup.end if pickup is not None else None,
        "fully_refund_as_loyalty_money": request.fully_refund_as_loyalty_money,
        "created_date": request.created_date,
        "modified_date": request.modified_date,
    }


def image_rows(request_id: int, refs: Iterable[ImageRef]) -> Iterator[dict[str, Any]]:
    for position, ref in enumerate(refs):
        yield {
            "cancellation_request_id": request_id,
            "position": position,
            "image": ref.image,
            "description": ref.description,
        }


def requests_from_rows(rows: Iterable[RowLike]) -> Iterator[CancellationRequest]:
    """Requests from rows of ``cancellation_requests LEFT JOIN cancellation_request_images``
    ordered by request id then image position (one row per image, at least one per
    request)."""
    current: RowLike | None = None
    refs: list[ImageRef] = []
    for row in rows:
        if current is not None and row["id"] != current["id"]:
            yield _request_from_row(current, refs)
            refs = []
        current = row
        if row[IMAGE] is not None:
            refs.append(ImageRef(image=row[IMAGE], description=row[IMAGE_DESCRIPTION]))
    if current is not None:
        yield _request_from_row(current, refs)


def _request_from_row(row: RowLike, refs: Sequence[ImageRef]) -> CancellationRequest:
    easy_return = None
    if row["easy_return_code"] is not None:
        easy_return = EasyReturn(
            code=row["easy_return_code"],
            shipping_company=EasyReturnShippingCompany(
                pk=row["easy_return_shipping_company_id"],
                shipping_company=ShippingCompany(
                    value=row["easy_return_shipping_company_value"],
                    label=row["easy_return_shipping_company_label"],
                ),
                is_active=row["easy_return_shipping_company_is_active"],
            ),
        )
    pickup = None
    if row["pickup_date"] is not None:
        pickup = PickupDate(
            date=row["pickup_date"], start=row["pickup_start"], end=row["pickup_end"]
        )
    return CancellationRequest(
        id=row["id"],
        uuid=row["uuid"],
        order=row["order_id"],
        order_item=row["order_item_id"],
        reason=row["reason_id"],
        cancellation_type=row["cancellation_type"],
        status=row["status"],
        description=row["description"],
        quantity=row["quantity"],
        iban=Iban(row["iban"]) if row["iban"] is not None else None,
        holder_name=row["holder_name"],
        easy_return=easy_return,
        pickup_address=row["pickup_address_id"],
        pickup_date=pickup,
        images=tuple(refs),
        fully_refund_as_loyalty_money=row["fully_refund_as_loyalty_money"],
        created_date=row["created_date"],
        modified_date=row["modified_date"],
    )


def idempotency_row(record: IdempotencyRecord) -> dict[str, Any]:
    return {
        "order_id": record.order,
        "key": record.key,
        "fingerprint": record.fingerprint,
        "request_ids": list(record.request_ids),
        "created_date": record.created_date,
    }


def idempotency_record_from_row(row: RowLike) -> IdempotencyRecord:
    return IdempotencyRecord(
        order=row["order_id"],
        key=row["key"],
        fingerprint=row["fingerprint"],
        request_ids=row["request_ids"],
        created_date=row["created_date"],
    )
