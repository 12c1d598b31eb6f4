"""The Django admin for cancellation requests: list, filter by status, type and date,
search by order number (the host's, through the mapping), order or item pk, or uuid;
staff change the status, everything else is read-only and personal data is masked."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from guest_orders.contrib.django.conf import get_mapping, setting
from guest_orders.contrib.django.fields import rows_of
from guest_orders.contrib.django.models import (
    CancellationRequestImageRecord,
    CancellationRequestRecord,
)
from guest_orders.domain import mask
from guest_orders.wire.converter import mask_holder_name


class ImageInline(admin.TabularInline):
    model = CancellationRequestImageRecord
    fields = ("position", "image", "description")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _orders_numbered(number: str) -> list[int]:
    """The pks of the host's orders numbered exactly ``number`` (through the mapping)."""
    mapping = get_mapping()
    number_path = mapping.paths("order")["number"]
    orders = rows_of(apps.get_model(mapping.order.model), setting("DATABASE"))
    return list(orders.filter(**{number_path: number}).values_list("pk", flat=True))


@admin.register(CancellationRequestRecord)
class CancellationRequestAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "order_id",
        "order_item_id",
        "cancellation_type",
        "status",
        "quantity",
        "created_date",
    )
    list_filter = ("status", "cancellation_type", "created_date")
    date_hierarchy = "created_date"
    search_fields = ("=order_id", "=order_item_id", "=uuid")
    ordering = ("-created_date", "-id")
    inlines = (ImageInline,)
    fields = (
        "uuid",
        "order_id",
        "order_item_id",
        "reason_id",
        "cancellation_type",
        "status",
        "quantity",
        "description",
        "masked_iban",
        "masked_holder_name",
        "easy_return_code",
        "easy_return_company_label",
        "pickup_address_id",
        "pickup_date",
        "pickup_start",
        "pickup_end",
        "fully_refund_as_loyalty_money",
        "created_date",
        "modified_date",
    )
    readonly_fields = tuple(name for name in fields if name != "status")

    @admin.display(description="IBAN")
    def masked_iban(self, obj: CancellationRequestRecord) -> str:
        return mask(obj.iban) if obj.iban else "-"

    @admin.display(description="Account holder")
    def masked_holder_name(self, obj: CancellationRequestRecord) -> str:
        return mask_holder_name(obj.holder_name) if obj.holder_name else "-"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        """The requests the search fields match, and those of the order whose number is
        the term: staff type the number the guest quotes, not the order's pk."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = search_term.strip()
        if number:
            orders = _orders_numbered(number)
            if orders:
                found |= queryset.filter(order_id__in=orders)
        return found, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # requests come from guests, through the endpoints

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a request is history: reject it instead
