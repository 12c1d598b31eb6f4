"""The endpoints' URLs, each with and without its trailing slash (served directly: no
``APPEND_SLASH`` redirect, which would turn a POST into a GET). Mount them at the root of
the host's API: ``path("", include("guest_orders.contrib.django.urls"))``."""

from __future__ import annotations

from django.urls import URLPattern, path

from guest_orders.contrib.django import views
from guest_orders.transport import (
    BULK_CANCELLATION_PATH,
    CANCELLATION_PATH,
    LOOKUP_PATH,
    REASONS_PATH,
)

app_name = "guest_orders"


def _both(route: str, view: views.View, name: str) -> list[URLPattern]:
    route = route.lstrip("/")
    return [path(route, view, name=name), path(route.rstrip("/"), view)]


urlpatterns = [
    *_both(LOOKUP_PATH, views.lookup, "lookup"),
    *_both(CANCELLATION_PATH, views.cancellation, "cancellation"),
    *_both(BULK_CANCELLATION_PATH, views.bulk_cancellation, "bulk-cancellation"),
    *_both(REASONS_PATH, views.cancellation_reasons, "cancellation-reasons"),
]
