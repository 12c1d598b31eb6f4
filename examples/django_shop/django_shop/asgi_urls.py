"""The example shop's URLs under ASGI: the guest_orders endpoints as async views."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("guest_orders.contrib.django.async_urls")),  # guest_orders
]
