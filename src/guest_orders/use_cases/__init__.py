"""The use cases: plain functions over the ports. No I/O of their own."""

from guest_orders.use_cases.cancel import request_cancellation
from guest_orders.use_cases.lookup import lookup_order
from guest_orders.use_cases.reasons import list_cancellation_reasons

__all__ = ["list_cancellation_reasons", "lookup_order", "request_cancellation"]
