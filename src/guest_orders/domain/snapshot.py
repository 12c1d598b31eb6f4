"""What a lookup shows: an order with everything the guest may do with it now."""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from guest_orders.domain.cancellation import CancellationRequest, EasyReturnShippingCompany
from guest_orders.domain.order import Order

__all__ = ["ItemEligibility", "OrderSnapshot"]


@attrs.frozen
class ItemEligibility:
    """What a guest may ask for one item: computed by :class:`guest_orders.Policy`."""

    can_cancel: bool
    can_refund: bool


@attrs.frozen(kw_only=True)
class OrderSnapshot:
    """An order as one lookup saw it: its items' active requests and eligibility."""

    order: Order
    active_requests: Mapping[int, CancellationRequest]
    eligibility: Mapping[int, ItemEligibility]
    easy_return_shipping_companies: tuple[EasyReturnShippingCompany, ...]

    @property
    def is_cancellable(self) -> bool:
        """True when any item can be cancelled."""
        return any(e.can_cancel for e in self.eligibility.values())

    @property
    def is_refundable(self) -> bool:
        """True when any item can be refunded."""
        return any(e.can_refund for e in self.eligibility.values())
