"""What a guest asks for, parsed and checked for shape: the inputs of the use cases.

The wire layer builds these from untrusted mappings; the use cases check them against the
stored order. Emails, IBANs, holder names and free text never appear in their ``repr``.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from guest_orders.domain._validators import positive_int_or_none
from guest_orders.domain.cancellation import Iban, ImageUpload, PickupDate, free_text_repr
from guest_orders.domain.codes import CancellationType

__all__ = ["CancelItem", "CancellationCommand", "LookupQuery"]


@attrs.frozen(kw_only=True)
class LookupQuery:
    """Prove ownership of an order: its number and the checkout email (normalized)."""

    number: str
    email: str = attrs.field(repr=lambda _: "<hidden>")


def _uploads(images: Iterable[ImageUpload]) -> tuple[ImageUpload, ...]:
    return tuple(images)


@attrs.frozen(kw_only=True)
class CancelItem:
    """One item of a cancellation request."""

    order_item: int
    reason: int
    cancellation_type: CancellationType
    description: str | None = attrs.field(default=None, repr=free_text_repr)
    shipping_company: int | None = None
    quantity: int | None = attrs.field(default=None, validator=positive_int_or_none)
    iban: Iban | None = None
    holder_name: str | None = attrs.field(default=None, repr=False)
    pickup_date: PickupDate | None = None
    images: tuple[ImageUpload, ...] = attrs.field(default=(), converter=_uploads)


def _cancel_items(items: Iterable[CancelItem]) -> tuple[CancelItem, ...]:
    return tuple(items)


def _item_count(
    instance: CancellationCommand, _attribute: object, items: tuple[CancelItem, ...]
) -> None:
    if not items:
        raise ValueError("a cancellation needs at least one item")
    if not instance.bulk and len(items) != 1:
        raise ValueError("a single cancellation has exactly one item")


@attrs.frozen(kw_only=True)
class CancellationCommand:
    """Cancel or refund one item (``bulk=False``) or several (``bulk=True``) of an order."""

    number: str
    email: str = attrs.field(repr=lambda _: "<hidden>")
    items: tuple[CancelItem, ...] = attrs.field(converter=_cancel_items, validator=_item_count)
    pickup_address: int | None = None
    fully_refund_as_loyalty_money: bool = False
    bulk: bool = True

    @property
    def lookup(self) -> LookupQuery:
        return LookupQuery(number=self.number, email=self.email)
