"""Cancellation requests and what they refer to: reasons, easy-return carriers, addresses,
pickup dates and images."""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time

import attrs
from attrs import validators as v

from guest_orders.domain._validators import AS_CREATED, aware_datetime, positive_int_or_none
from guest_orders.domain.codes import CancellationRequestStatus, CancellationType
from guest_orders.domain.order import ShippingCompany

__all__ = [
    "Address",
    "CancellationReason",
    "CancellationRequest",
    "EasyReturn",
    "EasyReturnShippingCompany",
    "Iban",
    "ImageRef",
    "ImageUpload",
    "PickupDate",
    "free_text_repr",
    "mask",
]


def free_text_repr(text: str | None) -> str:
    """How free text a guest wrote shows in a ``repr``: its length only (it may hold
    anything, personal data included)."""
    return "None" if text is None else f"<{len(text)} characters>"


def mask(secret: str, visible: int = 4) -> str:
    """Hide all but the last ``visible`` characters: ``"**********************1326"``."""
    if len(secret) <= visible:
        return "*" * len(secret)
    hidden = len(secret) - visible
    return "*" * hidden + secret[hidden:]  # not secret[-visible:]: all of it when visible=0


@attrs.frozen
class Iban:
    """A validated IBAN in compact form. Its ``repr`` and ``str`` are masked."""

    compact: str = attrs.field(validator=v.and_(v.min_len(5), v.max_len(34)))

    @property
    def masked(self) -> str:
        return mask(self.compact)

    def __repr__(self) -> str:
        return f"Iban({self.masked!r})"

    def __str__(self) -> str:
        return self.masked


@attrs.frozen(kw_only=True)
class CancellationReason:
    """Why a guest cancels; each reason is for cancellations or for refunds."""

    pk: int
    subject: str = attrs.field(validator=v.max_len(100))
    cancellation_type: CancellationType
    is_active: bool = True
    #: When true the guest must explain in ``description``.
    extra_information_needed: bool = False
    order: int = 0
    translations: Mapping[str, str] | None = None
    uuid: uuid_module.UUID = attrs.field(factory=uuid_module.uuid4)
    created_date: datetime | None = None
    modified_date: datetime | None = None


@attrs.frozen(kw_only=True)
class EasyReturnShippingCompany:
    """A carrier the shop enabled for easy returns; refunds must name an active one."""

    pk: int
    shipping_company: ShippingCompany
    is_active: bool = True


@attrs.frozen(kw_only=True)
class Address:
    """A customer address a carrier can pick returns up from."""

    pk: int
    customer_id: int

    def __repr__(self) -> str:
        return f"Address(pk={self.pk!r})"


@attrs.frozen(kw_only=True)
class PickupDate:
    """When a carrier should pick a return up: a date and an hour range."""

    date: date
    start: time
    end: time

    def __attrs_post_init__(self) -> None:  # a rule between two fields
        if not self.start < self.end:
            raise ValueError("pickup hour range must start before it ends")


@attrs.frozen(kw_only=True)
class ImageUpload:
    """An image a guest attached, already decoded and checked by its magic bytes."""

    content: bytes = attrs.field(repr=lambda c: f"<{len(c)} bytes>")
    media_type: str
    description: str | None = attrs.field(default=None, repr=free_text_repr)


@attrs.frozen(kw_only=True)
class ImageRef:
    """What an image store returns for a stored image: where it can be fetched."""

    image: str
    description: str | None = attrs.field(default=None, repr=free_text_repr)


@attrs.frozen(kw_only=True)
class EasyReturn:
    """The easy-return shipment of a refund: the code the guest shows the carrier."""

    code: str
    shipping_company: EasyReturnShippingCompany


def _image_refs(refs: Iterable[ImageRef]) -> tuple[ImageRef, ...]:
    return tuple(refs)


@attrs.frozen(kw_only=True)
class CancellationRequest:
    """A guest's request to cancel or refund one order item (or ``quantity`` units of it).

    ``id`` is ``None`` until a repository stores the request.
    """

    id: int | None = None
    uuid: uuid_module.UUID = attrs.field(factory=uuid_module.uuid4)
    order: int
    order_item: int
    reason: int
    cancellation_type: CancellationType
    status: CancellationRequestStatus = CancellationRequestStatus.WAITING
    description: str | None = attrs.field(default=None, repr=free_text_repr)
    quantity: int | None = attrs.field(default=None, validator=positive_int_or_none)
    iban: Iban | None = None
    holder_name: str | None = attrs.field(default=None, repr=False)
    easy_return: EasyReturn | None = None
    pickup_address: int | None = None
    pickup_date: PickupDate | None = None
    images: tuple[ImageRef, ...] = attrs.field(default=(), converter=_image_refs)
    fully_refund_as_loyalty_money: bool = False
    created_date: datetime = attrs.field(validator=aware_datetime)
    modified_date: datetime = attrs.field(default=AS_CREATED, validator=aware_datetime)

    @property
    def is_active(self) -> bool:
        return self.status.is_active
