"""The use cases: plain functions over the ports. No I/O of their own.

Each is written once, as steps (:mod:`guest_orders.use_cases._steps`), and run by a sync
shell over the sync ports or by an async shell (``async_...``) over the async ones.
"""

from guest_orders.use_cases.cancel import async_request_cancellation, request_cancellation
from guest_orders.use_cases.lookup import async_lookup_order, lookup_order
from guest_orders.use_cases.reasons import (
    async_list_cancellation_reasons,
    list_cancellation_reasons,
)

__all__ = [
    "async_list_cancellation_reasons",
    "async_lookup_order",
    "async_request_cancellation",
    "list_cancellation_reasons",
    "lookup_order",
    "request_cancellation",
]
