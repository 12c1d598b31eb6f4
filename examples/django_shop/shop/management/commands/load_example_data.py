"""``manage.py load_example_data``: a few orders, reasons and carriers to try the
endpoints with (the guest_orders testing kit's example data)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guest_orders.contrib.django.conf import get_mapping
from guest_orders.contrib.django.store import DjangoStore
from guest_orders.testing import example_seed


class Command(BaseCommand):
    help = "Load example orders, reasons, carriers and addresses into the shop's tables."

    def handle(self, *args: Any, **options: Any) -> None:
        seed = example_seed()
        DjangoStore(get_mapping()).load(
            orders=seed.orders,
            reasons=seed.reasons,
            shipping_companies=seed.shipping_companies,
            addresses=seed.addresses,
        )
        for order in seed.guest_orders:
            self.stdout.write(f"guest order {order.number} of {order.user_email}")
