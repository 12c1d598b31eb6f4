"""Guest order lookup and cancellation/refund requests, for any Python web stack."""

from guest_orders.domain import *  # noqa: F403  # re-exported below through __all__
from guest_orders.domain import __all__ as _domain_all
from guest_orders.errors import (
    ErrorDetail,
    GuestOrderError,
    IdempotencyKeyReused,
    InvalidRequest,
    OrderNotFound,
    TooManyAttempts,
)
from guest_orders.policy import EmailMatch, Policy

__all__ = [  # noqa: PLE0604  # the domain's names are part of the public surface
    *_domain_all,
    "EmailMatch",
    "ErrorDetail",
    "GuestOrderError",
    "IdempotencyKeyReused",
    "InvalidRequest",
    "OrderNotFound",
    "Policy",
    "TooManyAttempts",
]
