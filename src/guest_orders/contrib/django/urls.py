"""The endpoints' URLs, each with and without its trailing slash (served directly: no
``APPEND_SLASH`` redirect, which would turn a POST into a GET). Mount them at the root of
the host's API: ``path("", include("guest_orders.contrib.django.urls"))``; under ASGI,
the same URLs with the async views: :mod:`~guest_orders.contrib.django.async_urls`."""

from __future__ import annotations

from django.urls import URLPattern, path

from guest_orders.contrib.django import views
from guest_orders.transport import (
    BULK_CANCELLATION_PATH,
    CANCELLATION_PATH,
    LOOKUP_PATH,
    REASONS_PATH,
)

__all__ = ["app_name", "patterns", "urlpatterns"]

app_name = "guest_orders"


def _both(route: str, view: views.View | views.AsyncView, name: str) -> list[URLPattern]:
    route = route.lstrip("/")
    return [path(route, view, name=name), path(route.rstrip("/"), view)]


def patterns(
    lookup: views.View | views.AsyncView,
    cancellation: views.View | views.AsyncView,
    bulk_cancellation: views.View | views.AsyncView,
    cancellation_reasons: views.View | views.AsyncView,
) -> list[URLPattern]:
    """The URL patterns of these four views (URL names ``lookup``, ``cancellation``,
    ``bulk-cancellation``, ``cancellation-reasons``)."""
    return [
        *_both(LOOKUP_PATH, lookup, "lookup"),
        *_both(CANCELLATION_PATH, cancellation, "cancellation"),
        *_both(BULK_CANCELLATION_PATH, bulk_cancellation, "bulk-cancellation"),
        *_both(REASONS_PATH, cancellation_reasons, "cancellation-reasons"),
    ]


urlpatterns = patterns(
    views.lookup, views.cancellation, views.bulk_cancellation, views.cancellation_reasons
)
