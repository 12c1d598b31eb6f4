"""The Django app of ``guest_orders``: add ``"guest_orders.contrib.django"`` to
``INSTALLED_APPS``."""

from __future__ import annotations

from django.apps import AppConfig


class GuestOrdersConfig(AppConfig):
    name = "guest_orders.contrib.django"
    label = "guest_orders"
    verbose_name = "Guest orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from guest_orders.contrib.django import checks  # noqa: F401, PLC0415  # registers the checks
