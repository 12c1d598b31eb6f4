"""The library's log events, on the standard :mod:`logging` logger ``"guest_orders"``.

The library configures no handler (only a :class:`logging.NullHandler`): the host decides
where records go. Every record carries its event name in the attribute
``guest_orders_event`` and its fields as attributes of their own, for structured logging.

No record ever carries personal data: no email, IBAN, account holder, address, client
address or order number. Where an event concerns a number or a client that has not been
proven to own an order, it carries a *pseudonym*: a keyed hash (HMAC-SHA256, 64 bits) whose
key is drawn at random when the process starts and never leaves it. Pseudonyms let one
process's records be correlated ("this number failed ten times") but cannot be reversed,
not even by trying every order number or IPv4 address.

=============================  =======  ====================================================
event                          level    attributes
=============================  =======  ====================================================
``ownership_failed``           INFO     ``operation``, ``number_ref``, ``client_ref``
``throttled``                  WARNING  ``operation``, ``number_ref``, ``client_ref``,
                                        ``retry_after``
``attempt_limiter_full``       WARNING  ``tracked_keys``, ``retry_after``
``cancellation_created``       INFO     ``order``, ``request_ids``, ``bulk``,
                                        ``idempotency_key_given``
``idempotent_replay``          INFO     ``order``, ``request_ids``
``idempotency_key_reused``     INFO     ``order``
``events_delivered``           DEBUG    ``count``
``event_delivery_failed``      WARNING  ``event_id``, ``reason``, ``retry_in``
``events_purged``              INFO     ``count``
=============================  =======  ====================================================

``operation`` is ``lookup`` or ``cancellation``; ``order`` and ``request_ids`` are the
storage's internal ids, logged only once ownership is proven. The relay's events
(:mod:`guest_orders.relay`) name an event by its id and a failure by a short reason (an
HTTP status, an exception's class), never by a URL or a response body.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from typing import Final

__all__ = [
    "LOGGER_NAME",
    "attempt_limiter_full",
    "cancellation_created",
    "event_delivery_failed",
    "events_delivered",
    "events_purged",
    "idempotency_key_reused",
    "idempotent_replay",
    "logger",
    "ownership_failed",
    "pseudonym",
    "throttled",
]

#: The name of the library's logger.
LOGGER_NAME: Final = "guest_orders"

logger = logging.getLogger(LOGGER_NAME)
logger.addHandler(logging.NullHandler())

# Drawn once per process, never logged, never stored.
_PSEUDONYM_KEY: Final = secrets.token_bytes(32)


def pseudonym(value: str | None) -> str | None:
    """A keyed, irreversible 16-hex-digit stand-in for ``value`` (``None`` stays ``None``),
    stable for the life of the process."""
    if value is None:
        return None
    data = value.encode("utf-8", "surrogatepass")
    return hmac.new(_PSEUDONYM_KEY, data, hashlib.sha256).hexdigest()[:16]


def ownership_failed(operation: str, number: str, client: str | None) -> None:
    """A number and email did not prove ownership (any of the indistinguishable misses)."""
    if logger.isEnabledFor(logging.INFO):
        number_ref, client_ref = pseudonym(number), pseudonym(client)
        logger.info(
            "guest order ownership not proven: operation=%s number_ref=%s client_ref=%s",
            operation,
            number_ref,
            client_ref,
            extra={
                "guest_orders_event": "ownership_failed",
                "operation": operation,
                "number_ref": number_ref,
                "client_ref": client_ref,
            },
        )


def throttled(operation: str, number: str, client: str | None, retry_after: int) -> None:
    """An attempt was refused before any storage access: too many failures."""
    if logger.isEnabledFor(logging.WARNING):
        number_ref, client_ref = pseudonym(number), pseudonym(client)
        logger.warning(
            "guest order attempt throttled: operation=%s number_ref=%s client_ref=%s"
            " retry_after=%d",
            operation,
            number_ref,
            client_ref,
            retry_after,
            extra={
                "guest_orders_event": "throttled",
                "operation": operation,
                "number_ref": number_ref,
                "client_ref": client_ref,
                "retry_after": retry_after,
            },
        )


def attempt_limiter_full(tracked_keys: int, retry_after: int) -> None:
    """The in-process limiter tracks as many keys as it may: attempts needing a new key
    are refused until some leave the window (logged once per episode)."""
    if logger.isEnabledFor(logging.WARNING):
        logger.warning(
            "attempt limiter full, refusing attempts on new keys: tracked_keys=%d retry_after=%d",
            tracked_keys,
            retry_after,
            extra={
                "guest_orders_event": "attempt_limiter_full",
                "tracked_keys": tracked_keys,
                "retry_after": retry_after,
            },
        )


def cancellation_created(
    order: int, request_ids: Sequence[int | None], *, bulk: bool, idempotency_key_given: bool
) -> None:
    """Cancellation requests were stored."""
    if logger.isEnabledFor(logging.INFO):
        ids = list(request_ids)
        logger.info(
            "cancellation requests created: order=%d request_ids=%s bulk=%s",
            order,
            ids,
            bulk,
            extra={
                "guest_orders_event": "cancellation_created",
                "order": order,
                "request_ids": ids,
                "bulk": bulk,
                "idempotency_key_given": idempotency_key_given,
            },
        )


def idempotent_replay(order: int, request_ids: Sequence[int]) -> None:
    """A retry with a known key and the same request got the first response again."""
    if logger.isEnabledFor(logging.INFO):
        ids = list(request_ids)
        logger.info(
            "idempotent retry answered with the first response: order=%d request_ids=%s",
            order,
            ids,
            extra={"guest_orders_event": "idempotent_replay", "order": order, "request_ids": ids},
        )


def idempotency_key_reused(order: int) -> None:
    """A known key came with another request and was refused."""
    if logger.isEnabledFor(logging.INFO):
        logger.info(
            "idempotency key reused for another request: order=%d",
            order,
            extra={"guest_orders_event": "idempotency_key_reused", "order": order},
        )


def events_delivered(count: int) -> None:
    """A relay delivered a batch of events and marked them delivered."""
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "events delivered: count=%d",
            count,
            extra={"guest_orders_event": "events_delivered", "count": count},
        )


def event_delivery_failed(event_id: str | None, reason: str, retry_in: float) -> None:
    """A relay could not deliver an event (or reach its store) and will try again."""
    if logger.isEnabledFor(logging.WARNING):
        logger.warning(
            "event delivery failed: event_id=%s reason=%s retry_in=%.1fs",
            event_id,
            reason,
            retry_in,
            extra={
                "guest_orders_event": "event_delivery_failed",
                "event_id": event_id,
                "reason": reason,
                "retry_in": retry_in,
            },
        )


def events_purged(count: int) -> None:
    """A relay deleted delivered events older than the retention period."""
    if logger.isEnabledFor(logging.INFO):
        logger.info(
            "delivered events purged: count=%d",
            count,
            extra={"guest_orders_event": "events_purged", "count": count},
        )
