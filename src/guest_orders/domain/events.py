"""Domain events: facts the host's back office learns of, as values.

The use cases build them where requests are created and hand them to the outbox
(:class:`guest_orders.ports.OutboxRepository`) in the same transaction; a relay
(:mod:`guest_orders.relay`) delivers them. Nothing here does I/O.

An event carries what the host needs to act and already holds: ids, the order number,
the item, the type, the quantity, the reason and the time. Never the IBAN, the holder's
name, the guest's description or images: the host reads those from its own tables by
``request_id`` when it needs them.
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import datetime
from typing import ClassVar, Final

import attrs

from guest_orders.domain._validators import aware_datetime, positive_int_or_none
from guest_orders.domain.cancellation import CancellationRequest
from guest_orders.domain.codes import CancellationType

__all__ = ["CANCELLATION_REQUESTED", "CancellationRequested", "Event", "StoredEvent"]

#: The ``type`` of :class:`CancellationRequested` on the wire and in the outbox.
CANCELLATION_REQUESTED: Final = "cancellation.requested"


@attrs.frozen(kw_only=True)
class CancellationRequested:
    """A guest asked to cancel or refund one order item: one event per created request.

    ``event_id`` is stable: a relay that delivers the event again (at least once) sends
    the same id, so a receiver de-duplicates on it.
    """

    type: ClassVar[str] = CANCELLATION_REQUESTED

    event_id: uuid_module.UUID
    request_id: int
    request_uuid: uuid_module.UUID
    order: int
    order_number: str
    order_item: int
    cancellation_type: CancellationType
    quantity: int | None = attrs.field(default=None, validator=positive_int_or_none)
    reason: int
    created_date: datetime = attrs.field(validator=aware_datetime)

    @classmethod
    def of(
        cls, request: CancellationRequest, *, order_number: str, event_id: uuid_module.UUID
    ) -> CancellationRequested:
        """The event of a stored request (its ``id`` set)."""
        if request.id is None:
            raise ValueError("an event names a stored request: its id must be set")
        return cls(
            event_id=event_id,
            request_id=request.id,
            request_uuid=request.uuid,
            order=request.order,
            order_number=order_number,
            order_item=request.order_item,
            cancellation_type=request.cancellation_type,
            quantity=request.quantity,
            reason=request.reason,
            created_date=request.created_date,
        )


#: Every event type (one so far; a union as more come).
Event = CancellationRequested


@attrs.frozen(kw_only=True)
class StoredEvent:
    """An event as the outbox holds it: ``position`` orders the events of the outbox
    (increasing with commit order among the events of one order)."""

    position: int
    event: Event
