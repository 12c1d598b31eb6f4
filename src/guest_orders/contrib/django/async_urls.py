"""The endpoints' URLs with the async views, for a project served under ASGI:
``path("", include("guest_orders.contrib.django.async_urls"))`` instead of
:mod:`~guest_orders.contrib.django.urls` (the same paths, names and namespace).

Each request's service call is awaited on the event loop: the attempt limiter's cache
calls and each store transaction run in a thread (see
:class:`~guest_orders.contrib.django.store.AsyncDjangoStore`), and the loop serves other
requests meanwhile."""

from __future__ import annotations

from guest_orders.contrib.django import views
from guest_orders.contrib.django.urls import app_name, patterns

__all__ = ["app_name", "urlpatterns"]

urlpatterns = patterns(
    views.async_lookup,
    views.async_cancellation,
    views.async_bulk_cancellation,
    views.async_cancellation_reasons,
)
