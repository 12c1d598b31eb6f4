"""Peer: the lookup endpoint as a FastAPI user writes it, with pydantic v2 models and the
SQLAlchemy ORM, over the tables the demo creates.

Idiomatic, not tuned: mapped classes for the tables it reads, a ``Session`` per request
(a FastAPI dependency), ``selectinload`` for the items, one query for the items' active
cancellation requests and one for the active carriers, a sync endpoint (FastAPI runs it
in its thread pool, as the library's Starlette adapter runs the service), a pydantic
request body with ``EmailStr`` and a ``response_model``. Money and datetimes are mapped
as the database returns them and typed by the pydantic models (``Decimal``,
``datetime``), as a user mapping existing tables would.

``storage(url)`` is the storage work of one request (the three reads, as ORM objects) for
the storage figure; ``app()`` is the uvicorn factory for the HTTP figure (the database in
``GUEST_ORDERS_BENCH_HTTP_DB``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, EmailStr, Field
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
)

LOOKUP_PATH = "/users/orders/anonymous/"
ACTIVE = ("waiting", "approved")
DB_VARIABLE = "GUEST_ORDERS_BENCH_HTTP_DB"


class Base(DeclarativeBase):
    pass


class OrderRow(Base):
    __tablename__ = "orders"
    pk: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str]
    user_email: Mapped[str]
    customer_kind: Mapped[str]
    status: Mapped[str]
    currency: Mapped[str]
    payment_type: Mapped[str]
    amount: Mapped[Any] = mapped_column(sa.String)
    discount_amount: Mapped[Any] = mapped_column(sa.String)
    shipping_amount: Mapped[Any] = mapped_column(sa.String)
    refund_amount: Mapped[Any] = mapped_column(sa.String)
    installment_count: Mapped[int]
    order_type: Mapped[str | None]
    tracking_url: Mapped[str | None]
    tracking_number: Mapped[str | None]
    invoice_number: Mapped[str | None]
    has_gift_box: Mapped[bool | None]
    gift_box_note: Mapped[str | None]
    shipping_company_value: Mapped[str | None]
    shipping_company_label: Mapped[str | None]
    bank_name: Mapped[str | None]
    created_date: Mapped[Any] = mapped_column(sa.String)
    modified_date: Mapped[Any] = mapped_column(sa.String)
    items: Mapped[list[ItemRow]] = relationship(order_by="ItemRow.position", lazy="raise")


class ItemRow(Base):
    __tablename__ = "order_items"
    pk: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.pk"))
    position: Mapped[int]
    status: Mapped[str]
    quantity: Mapped[int]
    price: Mapped[Any] = mapped_column(sa.String)
    product_pk: Mapped[int]
    product_name: Mapped[str]
    product_sku: Mapped[str]
    product_image: Mapped[str | None]
    delivered_date: Mapped[Any] = mapped_column(sa.String, nullable=True)


class RequestRow(Base):
    __tablename__ = "cancellation_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_item_id: Mapped[int]
    cancellation_type: Mapped[str]
    status: Mapped[str]
    quantity: Mapped[int | None]
    created_date: Mapped[Any] = mapped_column(sa.String)


class CarrierRow(Base):
    __tablename__ = "easy_return_shipping_companies"
    pk: Mapped[int] = mapped_column(primary_key=True)
    shipping_company_value: Mapped[str]
    shipping_company_label: Mapped[str]
    is_active: Mapped[bool]


class LookupIn(BaseModel):
    number: Annotated[str, Field(min_length=1, max_length=64)]
    email: EmailStr


class RequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    cancellation_type: str
    status: str
    quantity: int | None
    created_date: datetime


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    pk: int
    status: str
    quantity: int
    price: Decimal
    product_pk: int
    product_name: str
    product_sku: str
    product_image: str | None
    delivered_date: datetime | None
    active_request: RequestOut | None = None


class CarrierOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    pk: int
    shipping_company_value: str
    shipping_company_label: str


class OrderOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    status: str
    currency: str
    payment_type: str
    amount: Decimal
    discount_amount: Decimal
    shipping_amount: Decimal
    refund_amount: Decimal
    installment_count: int
    order_type: str | None
    tracking_url: str | None
    tracking_number: str | None
    invoice_number: str | None
    has_gift_box: bool | None
    gift_box_note: str | None
    shipping_company_label: str | None
    bank_name: str | None
    created_date: datetime
    modified_date: datetime
    items: list[ItemOut]
    easy_return_shipping_companies: list[CarrierOut]


def read_order(
    session: Session, number: str
) -> tuple[OrderRow | None, list[RequestRow], list[CarrierRow]]:
    """The three reads of a lookup, as an ORM user writes them."""
    order = session.scalars(
        sa.select(OrderRow).options(selectinload(OrderRow.items)).where(OrderRow.number == number)
    ).one_or_none()
    items = [item.pk for item in order.items] if order is not None else []
    requests = session.scalars(
        sa.select(RequestRow).where(
            RequestRow.order_item_id.in_(items), RequestRow.status.in_(ACTIVE)
        )
    ).all()
    carriers = session.scalars(
        sa.select(CarrierRow).where(CarrierRow.is_active).order_by(CarrierRow.pk)
    ).all()
    return order, list(requests), list(carriers)


def _request(row: RequestRow | None) -> RequestOut | None:
    return None if row is None else RequestOut.model_validate(row)


def storage(url: str | sa.URL, **engine_options: Any) -> Callable[[str], object]:
    """The storage work of one lookup: a session, the three reads, as ORM objects."""
    engine = sa.create_engine(url, **engine_options)
    sessions = sessionmaker(engine)

    def lookup(number: str) -> object:
        with sessions() as session:
            order, requests, carriers = read_order(session, number)
            assert order is not None
            return order, requests, carriers

    return lookup


_sessions: list[sessionmaker[Session]] = []


def get_session() -> Iterator[Session]:
    with _sessions[0]() as session:
        yield session


def app() -> FastAPI:
    _sessions[:] = [sessionmaker(sa.create_engine(f"sqlite:///{os.environ[DB_VARIABLE]}"))]
    api = FastAPI()

    @api.post(LOOKUP_PATH, response_model=list[OrderOut])
    def lookup(body: LookupIn, db: Annotated[Session, Depends(get_session)]) -> list[OrderOut]:
        order, requests, carriers = read_order(db, body.number)
        if order is None or order.user_email.lower() != body.email.lower():
            raise HTTPException(status_code=400, detail="No order matches.")
        active = {request.order_item_id: request for request in requests}
        columns = set(OrderOut.model_fields) - {"items", "easy_return_shipping_companies"}
        out = OrderOut(
            **{name: getattr(order, name) for name in columns},
            items=[
                ItemOut.model_validate(item).model_copy(
                    update={"active_request": _request(active.get(item.pk))}
                )
                for item in order.items
            ],
            easy_return_shipping_companies=[CarrierOut.model_validate(c) for c in carriers],
        )
        return [out]

    return api
