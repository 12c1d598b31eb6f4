"""JSON bytes for responses: :func:`guest_orders.transport.encode_json`."""

from __future__ import annotations

from guest_orders.transport import encode_json as dumps

__all__ = ["dumps"]
