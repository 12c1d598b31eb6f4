"""The pure domain: frozen values with their invariants, no I/O."""

from guest_orders.domain.cancellation import (
    Address,
    CancellationReason,
    CancellationRequest,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    ImageRef,
    ImageUpload,
    PickupDate,
    mask,
)
from guest_orders.domain.codes import (
    CancellationRequestStatus,
    CancellationType,
    CustomerKind,
    OrderStatus,
    OrderType,
    PaymentType,
)
from guest_orders.domain.commands import CancelItem, CancellationCommand, LookupQuery
from guest_orders.domain.events import (
    CANCELLATION_REQUESTED,
    CancellationRequested,
    Event,
    StoredEvent,
)
from guest_orders.domain.idempotency import (
    MAX_IDEMPOTENCY_KEY_LENGTH,
    IdempotencyRecord,
    command_fingerprint,
    is_valid_idempotency_key,
)
from guest_orders.domain.order import (
    DECOY_ORDER,
    Bank,
    Currency,
    Customer,
    Order,
    OrderItem,
    Product,
    ShippingCompany,
)
from guest_orders.domain.snapshot import ItemEligibility, OrderSnapshot

__all__ = [
    "CANCELLATION_REQUESTED",
    "DECOY_ORDER",
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "Address",
    "Bank",
    "CancelItem",
    "CancellationCommand",
    "CancellationReason",
    "CancellationRequest",
    "CancellationRequestStatus",
    "CancellationRequested",
    "CancellationType",
    "Currency",
    "Customer",
    "CustomerKind",
    "EasyReturn",
    "EasyReturnShippingCompany",
    "Event",
    "Iban",
    "IdempotencyRecord",
    "ImageRef",
    "ImageUpload",
    "ItemEligibility",
    "LookupQuery",
    "Order",
    "OrderItem",
    "OrderSnapshot",
    "OrderStatus",
    "OrderType",
    "PaymentType",
    "PickupDate",
    "Product",
    "ShippingCompany",
    "StoredEvent",
    "command_fingerprint",
    "is_valid_idempotency_key",
    "mask",
]
