"""The example shop's URLs."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("guest_orders.contrib.django.urls")),  # guest_orders
]
