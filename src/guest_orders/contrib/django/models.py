"""The library's own tables: cancellation requests and their images, idempotency keys
and uploaded images.

Orders, items, reasons, carriers and addresses stay in the host's models (see
:mod:`guest_orders.contrib.django.mapping`); these tables refer to them by pk, without a
foreign key, so the app works over any host schema.
"""

from __future__ import annotations

from typing import Final

from django.db import models

from guest_orders.domain import CancellationRequestStatus, CancellationType

__all__ = [
    "ACTIVE_STATUSES",
    "IDEMPOTENCY_CONSTRAINT",
    "ONE_ACTIVE_CONSTRAINT",
    "CancellationRequestImageRecord",
    "CancellationRequestRecord",
    "IdempotencyKey",
    "OutboxEvent",
    "UploadedImage",
]

#: The stored values of the statuses that count as active.
ACTIVE_STATUSES: Final = tuple(s.value for s in CancellationRequestStatus if s.is_active)
#: The conditional unique constraint that keeps one active request per order item.
ONE_ACTIVE_CONSTRAINT: Final = "guest_orders_one_active_request"
#: The unique constraint that scopes an idempotency key to its order.
IDEMPOTENCY_CONSTRAINT: Final = "guest_orders_idempotency_key_per_order"


def _choices(
    enum_class: type[CancellationRequestStatus | CancellationType],
) -> list[tuple[str, str]]:
    return [(member.value, member.name.capitalize()) for member in enum_class]


class CancellationRequestRecord(models.Model):
    """A guest's request to cancel or refund one order item."""

    uuid = models.UUIDField(unique=True)
    order_id = models.BigIntegerField(db_index=True)
    order_item_id = models.BigIntegerField(db_index=True)
    reason_id = models.BigIntegerField()
    cancellation_type = models.CharField(max_length=6, choices=_choices(CancellationType))
    status = models.CharField(max_length=9, choices=_choices(CancellationRequestStatus))
    description = models.TextField(null=True, blank=True)  # noqa: DJ001  # None is not ""
    quantity = models.PositiveIntegerField(null=True, blank=True)
    iban = models.CharField(max_length=34, null=True, blank=True)  # noqa: DJ001
    holder_name = models.TextField(null=True, blank=True)  # noqa: DJ001
    # The easy return, with the carrier as it was when the request was made.
    easy_return_code = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    easy_return_company_id = models.BigIntegerField(null=True, blank=True)
    easy_return_company_value = models.TextField(null=True, blank=True)  # noqa: DJ001
    easy_return_company_label = models.TextField(null=True, blank=True)  # noqa: DJ001
    easy_return_company_is_active = models.BooleanField(null=True, blank=True)
    pickup_address_id = models.BigIntegerField(null=True, blank=True)
    pickup_date = models.DateField(null=True, blank=True)
    pickup_start = models.TimeField(null=True, blank=True)
    pickup_end = models.TimeField(null=True, blank=True)
    fully_refund_as_loyalty_money = models.BooleanField(default=False)
    created_date = models.DateTimeField(db_index=True)
    modified_date = models.DateTimeField()

    class Meta:
        db_table = "guest_orders_cancellation_request"
        verbose_name = "cancellation request"
        ordering = ("-created_date", "-pk")
        constraints = (
            models.UniqueConstraint(
                fields=["order_item_id"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name=ONE_ACTIVE_CONSTRAINT,
            ),
        )

    def __str__(self) -> str:
        return f"Cancellation request {self.pk} ({self.status})"


class CancellationRequestImageRecord(models.Model):
    """An image of a request: where it can be fetched, in the request's order."""

    request = models.ForeignKey(
        CancellationRequestRecord, on_delete=models.CASCADE, related_name="images"
    )
    position = models.PositiveIntegerField()
    image = models.TextField()
    description = models.TextField(null=True, blank=True)  # noqa: DJ001

    class Meta:
        db_table = "guest_orders_cancellation_request_image"
        verbose_name = "cancellation request image"
        ordering = ("request", "position")
        constraints = (
            models.UniqueConstraint(
                fields=["request", "position"], name="guest_orders_image_position"
            ),
        )

    def __str__(self) -> str:
        return f"Image {self.position} of request {self.request_id}"


class IdempotencyKey(models.Model):
    """What the first request with a key created, to answer its retries."""

    order_id = models.BigIntegerField()
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    request_ids = models.JSONField()
    created_date = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "guest_orders_idempotency_key"
        constraints = (
            models.UniqueConstraint(fields=["order_id", "key"], name=IDEMPOTENCY_CONSTRAINT),
        )

    def __str__(self) -> str:
        return f"Idempotency key of order {self.order_id}"


class UploadedImage(models.Model):
    """An image a guest attached, kept in Django's default file storage."""

    file = models.FileField(upload_to="guest_orders/%Y/%m/")
    #: What :class:`guest_orders.ImageRef` names: the file's URL in the storage.
    url = models.CharField(max_length=500, unique=True)
    media_type = models.CharField(max_length=32)
    description = models.TextField(null=True, blank=True)  # noqa: DJ001
    created_date = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "guest_orders_uploaded_image"

    def __str__(self) -> str:
        return str(self.file.name)


class OutboxEvent(models.Model):
    """The transactional outbox: domain events written in the transaction of the requests
    they describe, delivered by relays (``guest_orders.relay``) in ``id`` order. ``id``
    only grows (``AUTOINCREMENT`` on SQLite); ``payload`` is the event as
    ``guest_orders.wire.events.render_event`` renders it."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    type = models.CharField(max_length=100)
    order_id = models.BigIntegerField()
    payload = models.JSONField()
    created_date = models.DateTimeField()
    delivered_date = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        db_table = "guest_orders_outbox"
        indexes = (
            models.Index(
                fields=["order_id", "id"],
                name="guest_orders_outbox_by_order",
                condition=models.Q(delivered_date__isnull=True),
            ),
        )

    def __str__(self) -> str:
        return f"Event {self.id} ({self.type})"
