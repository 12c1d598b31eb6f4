"""ASGI entry point of the example shop (``uvicorn django_shop.asgi:application``): its
settings route the guest_orders endpoints to the async views."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_shop.settings_asgi")
application = get_asgi_application()
