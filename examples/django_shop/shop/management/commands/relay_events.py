"""``manage.py relay_events``: deliver the outbox's events to the back office until
stopped (Ctrl-C, SIGTERM: after the batch in hand); ``--once`` delivers what is pending
and returns (for cron)."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from guest_orders.contrib.django.conf import get_mapping, setting
from guest_orders.contrib.django.store import DjangoStore
from guest_orders.domain import Event
from guest_orders.relay import deliver_pending, run_relay
from guest_orders.wire import render_event


class Command(BaseCommand):
    help = "Deliver the outbox's events to the back office (here: one JSON line each)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is pending")

    def handle(self, *args: Any, **options: Any) -> None:
        store = DjangoStore(get_mapping(), using=setting("DATABASE"))
        if options["once"]:
            while deliver_pending(store, self.deliver):
                pass
            return
        stop = threading.Event()
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda *_: stop.set())
        run_relay(store, self.deliver, stop=stop)

    def deliver(self, event: Event) -> None:
        """Hand ``event`` to the back office; raise when it was not accepted (the relay
        then delivers it again). A webhook: ``guest_orders.adapters.webhook.Webhook``."""
        self.stdout.write(json.dumps(render_event(event)))
