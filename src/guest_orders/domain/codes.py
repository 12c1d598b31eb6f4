"""Enumerations of the platform: statuses, order types, payment types, cancellation types."""

from __future__ import annotations

import enum

__all__ = [
    "CancellationRequestStatus",
    "CancellationType",
    "CustomerKind",
    "OrderStatus",
    "OrderType",
    "PaymentType",
]


class OrderStatus(enum.Enum):
    """Order and order-item status codes, rendered as ``{"value": "400", "label": "Approved"}``."""

    CANCELLATION_WAITING = "50"
    CANCELLED = "100"
    WAITING = "200"
    PAYMENT_WAITING = "300"
    CONFIRMATION_WAITING = "350"
    APPROVED = "400"
    PREPARING = "450"
    SHIPPED = "500"
    SHIPPED_AND_INFORMED = "510"
    READY_FOR_PICKUP = "520"
    ATTEMPTED_DELIVERY = "540"
    REVIEW_STARTED = "544"
    REVIEW_WAITING = "545"
    WAITING_FOR_PAYMENT = "546"
    PAID = "547"
    DELIVERED = "550"
    REFUNDED = "600"

    @property
    def label(self) -> str:
        """Human label, e.g. ``"Shipped and informed"``."""
        return self.name.replace("_", " ").capitalize()


class OrderType(enum.Enum):
    """Kind of order; ``None`` stands for legacy orders created before the field existed."""

    REGULAR = "regular"
    ADDON = "addon"
    REPLACEMENT = "replacement"


class PaymentType(enum.Enum):
    """How the order was paid. Pay-on-delivery is cash: refunds need an IBAN."""

    CREDIT_CARD = "credit_card"
    FUNDS_TRANSFER = "funds_transfer"
    PAY_ON_DELIVERY = "pay_on_delivery"
    LOYALTY_MONEY = "loyalty_money"
    OTHER = "other"

    @property
    def is_cash(self) -> bool:
        return self is PaymentType.PAY_ON_DELIVERY


class CustomerKind(enum.Enum):
    GUEST = "guest"
    REGISTERED = "registered"


class CancellationType(enum.Enum):
    CANCEL = "cancel"
    REFUND = "refund"


class CancellationRequestStatus(enum.Enum):
    """Lifecycle of a cancellation request; *active* means waiting or approved."""

    WAITING = "waiting"
    APPROVED = "approved"
    REJECTED = "rejected"
    COMPLETED = "completed"

    @property
    def is_active(self) -> bool:
        return self in _ACTIVE


_ACTIVE = frozenset({CancellationRequestStatus.WAITING, CancellationRequestStatus.APPROVED})
