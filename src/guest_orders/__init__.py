"""Guest order lookup and cancellation/refund requests, for any Python web stack.

The public surface is re-exported here; the modules behind it are the layers described in
``docs/concepts.md``.
"""

from guest_orders.adapters.memory import InMemoryStore
from guest_orders.clocks import FixedClock, SystemClock
from guest_orders.domain import (
    Address,
    Bank,
    CancelItem,
    CancellationCommand,
    CancellationReason,
    CancellationRequest,
    CancellationRequested,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    IdempotencyRecord,
    ImageRef,
    ImageUpload,
    ItemEligibility,
    LookupQuery,
    Order,
    OrderItem,
    OrderSnapshot,
    OrderStatus,
    OrderType,
    PaymentType,
    PickupDate,
    Product,
    ShippingCompany,
)
from guest_orders.errors import (
    ErrorDetail,
    GuestOrderError,
    IdempotencyKeyReused,
    InvalidRequest,
    OrderNotFound,
    RulesViolated,
    TooManyAttempts,
    Violation,
)
from guest_orders.policy import EmailMatch, Policy
from guest_orders.ports import (
    ActiveRequestExists,
    AttemptReservation,
    IdempotencyKeyExists,
)
from guest_orders.service import GuestOrders
from guest_orders.throttling import AttemptLimits, InMemoryAttemptLimiter, NoAttemptLimiter
from guest_orders.use_cases import list_cancellation_reasons, lookup_order, request_cancellation
from guest_orders.wire import (
    parse_bulk_cancellation,
    parse_cancellation,
    parse_lookup,
    render_cancellation_request,
    render_error,
    render_lookup,
    render_order,
    render_reasons,
)

#: The package's version: the one place it is written (the build reads it from here).
__version__ = "0.1.0.dev0"

__all__ = [
    "ActiveRequestExists",
    "Address",
    "AttemptLimits",
    "AttemptReservation",
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
    "EmailMatch",
    "ErrorDetail",
    "FixedClock",
    "GuestOrderError",
    "GuestOrders",
    "Iban",
    "IdempotencyKeyExists",
    "IdempotencyKeyReused",
    "IdempotencyRecord",
    "ImageRef",
    "ImageUpload",
    "InMemoryAttemptLimiter",
    "InMemoryStore",
    "InvalidRequest",
    "ItemEligibility",
    "LookupQuery",
    "NoAttemptLimiter",
    "Order",
    "OrderItem",
    "OrderNotFound",
    "OrderSnapshot",
    "OrderStatus",
    "OrderType",
    "PaymentType",
    "PickupDate",
    "Policy",
    "Product",
    "RulesViolated",
    "ShippingCompany",
    "SystemClock",
    "TooManyAttempts",
    "Violation",
    "list_cancellation_reasons",
    "lookup_order",
    "parse_bulk_cancellation",
    "parse_cancellation",
    "parse_lookup",
    "render_cancellation_request",
    "render_error",
    "render_lookup",
    "render_order",
    "render_reasons",
    "request_cancellation",
]
