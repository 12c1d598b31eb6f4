"""The shop's rules, as one frozen value the host passes in. No global configuration."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

import attrs
from attrs import validators as v

from guest_orders.domain import CancellationRequest, ItemEligibility, OrderItem, OrderStatus

__all__ = ["EmailMatch", "Policy"]


class EmailMatch(enum.Enum):
    """How the guest's email is compared with the order's.

    ``NORMALIZED`` (default): the domain is case-insensitive, the local part exact (RFC 5321),
    both in NFC. ``CASE_INSENSITIVE`` also folds ASCII letters of the local part; no other
    folding is done, so confusables such as ``dılek``/``dilek`` never match.
    """

    NORMALIZED = "normalized"
    CASE_INSENSITIVE = "case_insensitive"


_NONE = ItemEligibility(can_cancel=False, can_refund=False)

DEFAULT_CANCELLABLE = frozenset(
    {
        OrderStatus.WAITING,
        OrderStatus.PAYMENT_WAITING,
        OrderStatus.CONFIRMATION_WAITING,
        OrderStatus.APPROVED,
    }
)
DEFAULT_REFUNDABLE = frozenset(
    {
        OrderStatus.PREPARING,
        OrderStatus.SHIPPED,
        OrderStatus.SHIPPED_AND_INFORMED,
        OrderStatus.READY_FOR_PICKUP,
        OrderStatus.ATTEMPTED_DELIVERY,
        OrderStatus.DELIVERED,
    }
)


def _statuses(statuses: Iterable[OrderStatus]) -> frozenset[OrderStatus]:
    # A typed converter: with plain ``frozenset`` mypy cannot type-check the argument.
    return frozenset(statuses)


@attrs.frozen(kw_only=True)
class Policy:
    """Everything a shop can tune. Every field has a documented, safe default.

    Attributes:
        cancellable_statuses: item statuses that allow ``cancel``.
        refundable_statuses: item statuses that allow ``refund``.
        return_window: when set, a delivered item may be refunded only this long after
            delivery. Off by default.
        email_match: how emails are compared (see :class:`EmailMatch`).
        loyalty_money_enabled: whether guests may ask for refunds as loyalty money.
        max_bulk_items: most items one bulk request may list.
        max_description_length: longest ``description`` accepted.
        max_images: most images one item may carry.
        max_image_bytes: largest decoded image accepted.
        max_number_length: longest order number accepted.
    """

    cancellable_statuses: frozenset[OrderStatus] = attrs.field(
        default=DEFAULT_CANCELLABLE, converter=_statuses
    )
    refundable_statuses: frozenset[OrderStatus] = attrs.field(
        default=DEFAULT_REFUNDABLE, converter=_statuses
    )
    return_window: timedelta | None = attrs.field(
        default=None, validator=v.optional(v.gt(timedelta(0)))
    )
    email_match: EmailMatch = EmailMatch.NORMALIZED
    loyalty_money_enabled: bool = False
    max_bulk_items: int = attrs.field(default=100, validator=v.ge(1))
    max_description_length: int = attrs.field(default=1000, validator=v.ge(1))
    max_images: int = attrs.field(default=5, validator=v.ge(0))
    max_image_bytes: int = attrs.field(default=5 * 1024 * 1024, validator=v.ge(1))
    max_number_length: int = attrs.field(default=64, validator=v.ge(1))

    def eligibility(
        self, item: OrderItem, active_request: CancellationRequest | None, now: datetime
    ) -> ItemEligibility:
        """What the guest may ask for this item now.

        Nothing for a cancelled or refunded item or one with an active request.
        """
        if active_request is not None or item.status in _FINAL:
            return _NONE
        can_refund = item.status in self.refundable_statuses and self._within_return_window(
            item, now
        )
        return ItemEligibility(
            can_cancel=item.status in self.cancellable_statuses, can_refund=can_refund
        )

    def _within_return_window(self, item: OrderItem, now: datetime) -> bool:
        if self.return_window is None or item.delivered_date is None:
            return True
        return now - item.delivered_date <= self.return_window


_FINAL = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})
