"""The example shop's settings under ASGI (django_shop/asgi.py): the same, with the URLs
of the async views."""

from django_shop.settings import *  # noqa: F403

ROOT_URLCONF = "django_shop.asgi_urls"  # guest_orders
