"""The relay: delivers the outbox's events to the host, at least once, in order per order.

The use cases write each event to the outbox in the transaction of the requests it
describes (:class:`guest_orders.ports.OutboxRepository`). A relay reads the undelivered
events, hands each to ``deliver`` (a host callback, or a
:class:`guest_orders.adapters.webhook.Webhook` that posts it as JSON) and marks them
delivered, in one transaction per batch::

    import threading
    from guest_orders.relay import run_relay

    stop = threading.Event()
    run_relay(store, lambda event: print(event), stop=stop)  # until stop.set()

Guarantees:

- **At least once.** An event is marked delivered only in the transaction that claimed
  it, after ``deliver`` returned. A relay killed mid-batch (or a commit that fails)
  leaves its events undelivered: they are delivered again, with the same
  ``event_id``, so a receiver de-duplicates on it.
- **In order per order.** Events are delivered by position; an event whose order has an
  older event another relay holds waits for it. When ``deliver`` raises, the batch stops
  there (the events before it are marked delivered) and the relay tries again after a
  backoff, from that event.
- **One relay per event at a time.** The store's ``pending`` claims a batch for the
  transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL): run as many relays as you like
  there. On SQLite run one.
- **Retention.** :func:`run_relay` purges events delivered more than ``retention`` ago.

``deliver`` runs inside the batch's transaction: keep it quick (a webhook's timeout
bounds it) and let it raise when the event was not accepted.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import attrs

from guest_orders import logs
from guest_orders.clocks import SystemClock
from guest_orders.domain import Event
from guest_orders.ports import Clock, UnitOfWork

__all__ = [
    "Backoff",
    "Deliver",
    "DeliveryFailed",
    "deliver_pending",
    "purge_delivered_events",
    "run_relay",
]

#: What a relay hands each event to; it raises when the event was not accepted.
Deliver = Callable[[Event], object]

_SYSTEM_CLOCK = SystemClock()


class DeliveryFailed(Exception):
    """``deliver`` raised for ``event``; the ``delivered`` events before it in the batch
    were marked delivered, this one and those after it were not."""

    def __init__(self, event: Event, reason: str, *, delivered: int = 0) -> None:
        super().__init__(f"event {event.event_id} not delivered: {reason}")
        self.event = event
        self.reason = reason
        self.delivered = delivered


@attrs.frozen(kw_only=True)
class Backoff:
    """Waits between attempts after failures: ``initial`` seconds after the first,
    doubling (``multiplier``) up to ``maximum``, each jittered to between half and all of
    it so that relays do not retry in step."""

    initial: float = 0.5
    maximum: float = 60.0
    multiplier: float = 2.0

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1 or more)."""
        ceiling = min(self.maximum, self.initial * self.multiplier ** max(failures - 1, 0))
        return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311  # jitter, not a secret


def deliver_pending(
    uow: UnitOfWork, deliver: Deliver, *, batch_size: int = 100, clock: Clock = _SYSTEM_CLOCK
) -> int:
    """Deliver one batch of up to ``batch_size`` undelivered events, in order, in one
    transaction; returns how many were delivered.

    Raises :class:`DeliveryFailed` when ``deliver`` raises an :class:`Exception` (the
    events before it are marked delivered first). Anything else ``deliver`` raises
    (``KeyboardInterrupt``, ``SystemExit``...) rolls the batch back: every event of it is
    delivered again later.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    delivered: list[int] = []
    failure: DeliveryFailed | None = None
    with uow.transaction() as repos:
        for stored in repos.outbox.pending(batch_size):
            try:
                deliver(stored.event)
            except Exception as error:  # noqa: BLE001  # any refusal: retried, from this event
                failure = DeliveryFailed(stored.event, _reason(error), delivered=len(delivered))
                break
            delivered.append(stored.position)
        repos.outbox.mark_delivered(delivered, clock.now())
    if delivered:
        logs.events_delivered(len(delivered))
    if failure is not None:
        raise failure
    return len(delivered)


def purge_delivered_events(
    uow: UnitOfWork, *, older_than: timedelta, clock: Clock = _SYSTEM_CLOCK
) -> int:
    """Delete the events delivered more than ``older_than`` ago; how many."""
    with uow.transaction() as repos:
        count = repos.outbox.purge_delivered(clock.now() - older_than)
    if count:
        logs.events_purged(count)
    return count


def run_relay(  # noqa: PLR0913  # keyword-only settings, each with a default
    uow: UnitOfWork,
    deliver: Deliver,
    *,
    stop: threading.Event,
    batch_size: int = 100,
    poll_interval: float = 1.0,
    backoff: Backoff = Backoff(),  # frozen, so one shared default is safe
    retention: timedelta | None = timedelta(days=7),
    purge_interval: timedelta = timedelta(hours=1),
    clock: Clock = _SYSTEM_CLOCK,
) -> None:
    """Deliver events until ``stop`` is set (checked between batches and during waits).

    Batches follow each other at once while the outbox is full, and every
    ``poll_interval`` seconds once it is drained. A failure (``deliver`` raised, the store
    could not be reached) is logged (``event_delivery_failed``) and retried after
    ``backoff``. Every ``purge_interval``, and at the start, the events delivered more
    than ``retention`` ago are deleted (``retention=None`` keeps them).
    """
    failures = 0
    next_purge = time.monotonic()
    while not stop.is_set():
        if retention is not None and time.monotonic() >= next_purge:
            next_purge = time.monotonic() + purge_interval.total_seconds()
            try:
                purge_delivered_events(uow, older_than=retention, clock=clock)
            except Exception as error:  # noqa: BLE001  # the store is down: logged, retried
                logs.event_delivery_failed(None, f"purge: {_reason(error)}", 0.0)
        try:
            count = deliver_pending(uow, deliver, batch_size=batch_size, clock=clock)
        except DeliveryFailed as failure:
            failures += 1
            wait = backoff.delay(failures)
            logs.event_delivery_failed(str(failure.event.event_id), failure.reason, wait)
            stop.wait(wait)
            continue
        except Exception as error:  # noqa: BLE001  # the store is down: logged, retried
            failures += 1
            wait = backoff.delay(failures)
            logs.event_delivery_failed(None, _reason(error), wait)
            stop.wait(wait)
            continue
        failures = 0
        if count < batch_size:
            stop.wait(poll_interval)


def _reason(error: BaseException) -> str:
    """A short, safe description: an error may say what it wants to show
    (``log_reason``), else its class name (messages may quote URLs or data)."""
    reason = getattr(error, "log_reason", None)
    return reason if isinstance(reason, str) else type(error).__name__
