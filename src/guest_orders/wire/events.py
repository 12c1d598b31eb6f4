"""Domain events <-> JSON: what a relay posts to a webhook and an outbox table stores.

An event renders as ``{"id": ..., "type": ..., "data": {...}}``; ``id`` is the event's
stable id (a receiver de-duplicates on it) and ``type`` names the shape of ``data``::

    {
      "id": "0b6f5c1e-...",
      "type": "cancellation.requested",
      "data": {
        "request_id": 12, "request_uuid": "5d1c...", "order_id": 101,
        "order_number": "2745403029312190", "order_item": 1001,
        "cancellation_type": "refund", "quantity": 1, "reason": 3,
        "created_date": "2024-05-02T09:30:00Z"
      }
    }

The field names are the platform's: ``cancellation_type``, ``reason`` and ``created_date``
as in the cancellation request responses.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from guest_orders.domain import (
    CANCELLATION_REQUESTED,
    CancellationRequested,
    CancellationType,
    Event,
)
from guest_orders.wire.converter import format_datetime

__all__ = ["EVENT_DATA_FIELDS", "parse_event", "render_event"]

#: The fields of each event type's ``data``, in the order they render.
EVENT_DATA_FIELDS: Mapping[str, tuple[str, ...]] = {
    CANCELLATION_REQUESTED: (
        "request_id",
        "request_uuid",
        "order_id",
        "order_number",
        "order_item",
        "cancellation_type",
        "quantity",
        "reason",
        "created_date",
    ),
}


def render_event(event: Event) -> dict[str, Any]:
    """The JSON-ready form of ``event``."""
    return {
        "id": str(event.event_id),
        "type": event.type,
        "data": {
            "request_id": event.request_id,
            "request_uuid": str(event.request_uuid),
            "order_id": event.order,
            "order_number": event.order_number,
            "order_item": event.order_item,
            "cancellation_type": event.cancellation_type.value,
            "quantity": event.quantity,
            "reason": event.reason,
            "created_date": format_datetime(event.created_date),
        },
    }


def parse_event(body: Mapping[str, Any]) -> Event:
    """The event ``render_event`` rendered (``ValueError`` for anything else)."""
    if body.get("type") != CANCELLATION_REQUESTED:
        raise ValueError(f"unknown event type {body.get('type')!r}")
    data = body.get("data")
    if not isinstance(data, Mapping) or set(data) != set(EVENT_DATA_FIELDS[CANCELLATION_REQUESTED]):
        raise ValueError("the event's data does not have the fields of its type")
    try:
        return CancellationRequested(
            event_id=uuid.UUID(body["id"]),
            request_id=_int(data["request_id"]),
            request_uuid=uuid.UUID(data["request_uuid"]),
            order=_int(data["order_id"]),
            order_number=_str(data["order_number"]),
            order_item=_int(data["order_item"]),
            cancellation_type=CancellationType(data["cancellation_type"]),
            quantity=None if data["quantity"] is None else _int(data["quantity"]),
            reason=_int(data["reason"]),
            created_date=datetime.fromisoformat(_str(data["created_date"])),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"malformed event: {error}") from None


def _int(value: Any) -> int:
    if type(value) is not int:
        raise TypeError(f"expected an int, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value
