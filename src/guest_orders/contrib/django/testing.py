"""The contract suite over a Django mapping (needs ``guest_orders[testing]`` too).

::

    import pytest
    from guest_orders.contrib.django.testing import DjangoStoreContract
    from shop.guest_orders import MAPPING

    @pytest.mark.django_db(transaction=True)
    class TestShopStore(DjangoStoreContract):
        mapping = MAPPING

:class:`AsyncDjangoStoreContract` runs the same checks over
:class:`~guest_orders.contrib.django.store.AsyncDjangoStore`, the store of the async views,
through an event loop (:class:`~guest_orders.testing.contract.AsyncStoreContract`).

Every check empties the app's tables and the mapped models (and the models their paths
reach), then writes its rows through :meth:`DjangoStore.load
<guest_orders.contrib.django.store.DjangoStore.load>`. The optional fields the mapping does
not store are handed over at their default.

While a check runs, Django's default file storage is a temporary directory, removed
afterwards (:func:`temporary_media`): the images the checks attach never reach the host's
media storage.

The checks need a **transactional** test database (pytest-django's
``django_db(transaction=True)``, Django's ``TransactionTestCase``): the concurrency checks
write from other threads, with other connections, which cannot see rows a test
transaction never commits. In a test transaction every check fails at once saying so.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connections, models
from django.test import override_settings

from guest_orders.contrib.django import models as tables
from guest_orders.contrib.django.fields import field_of, rows_of
from guest_orders.contrib.django.mapping import StoreMapping
from guest_orders.contrib.django.store import AsyncDjangoStore, DjangoStore
from guest_orders.domain import Address, CancellationReason, EasyReturnShippingCompany, Order
from guest_orders.ports import UnitOfWork
from guest_orders.testing._seed import Seed
from guest_orders.testing.contract import AsyncStoreContract, StoreContract, fit_seed

__all__ = [
    "NOT_TRANSACTIONAL",
    "AsyncDjangoStoreContract",
    "DjangoStoreContract",
    "empty_tables",
    "temporary_media",
]

NOT_TRANSACTIONAL = (
    "The contract suite runs inside a test transaction: its concurrency checks write from "
    "other threads, whose connections cannot see this transaction's rows, and would wait "
    "on them forever. Use a transactional test database: mark the class "
    "@pytest.mark.django_db(transaction=True) (pytest-django) or base it on "
    "django.test.TransactionTestCase."
)


def _reached(model: type[models.Model], path: str) -> list[type[models.Model]]:
    """The models a path's foreign keys lead to."""
    reached: list[type[models.Model]] = []
    current = model
    for part in path.split("__"):
        field = field_of(current, part)
        if field is None:
            break
        remote = field.related_model
        if not field.is_relation or not isinstance(remote, type):
            break
        reached.append(remote)
        current = remote
    return reached


def empty_tables(mapping: StoreMapping, using: str = "default") -> None:
    """Delete every row of the app's tables, of the mapped models and of the models
    their paths reach (for tests)."""
    ordered: list[type[models.Model]] = [
        tables.CancellationRequestImageRecord,
        tables.CancellationRequestRecord,
        tables.IdempotencyKey,
        tables.UploadedImage,
        tables.OutboxEvent,
    ]
    reached: list[type[models.Model]] = []
    for role in ("item", "order", "address", "reason", "carrier"):
        model = apps.get_model(mapping.roles()[role].model)
        ordered.append(model)
        for path in mapping.paths(role).values():
            reached.extend(_reached(model, path))
    for model in [*ordered, *reached]:
        rows_of(model, using).delete()


@contextmanager
def temporary_media() -> Iterator[str]:
    """Django's default file storage in a new temporary directory (its path given), which
    is removed with every file in it on leaving: the storage ``STORAGES["default"]``
    names, whatever it is, is not touched meanwhile. (Settings are process-wide: every
    thread saves there.)"""
    with tempfile.TemporaryDirectory(prefix="guest_orders-media-") as location:
        storage = {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        }
        with override_settings(STORAGES={**settings.STORAGES, "default": storage}):
            yield location


class _TestStore(DjangoStore):
    """A store that closes the connection of a thread other than the main one after each
    transaction: the contract's racing threads end without closing theirs, and an open
    connection keeps the test database from being dropped."""

    @contextmanager
    def transaction(self, *, read_only: bool = False) -> Iterator[Any]:
        try:
            with super().transaction(read_only=read_only) as repositories:
                yield repositories
        finally:
            if threading.current_thread() is not threading.main_thread():
                connections[self.using].close()


class _OnDjango:
    """What both contracts share: the mapping, the alias, and a store loaded with the
    check's rows."""

    #: The host's mapping.
    mapping: ClassVar[StoreMapping]
    #: The database alias the store uses.
    using: ClassVar[str] = "default"

    # The contract's own settings (StoreContract's).
    exact_money: ClassVar[bool]
    items_in_pk_order: ClassVar[bool]
    unstored_fields: ClassVar[Collection[str]]

    @pytest.fixture(autouse=True)
    def temporary_media_storage(self) -> Iterator[str]:
        """Each check saves images in a temporary directory (:func:`temporary_media`)."""
        with temporary_media() as location:
            yield location

    def fit(self, seed: Seed) -> Seed:
        return fit_seed(
            seed,
            exact_money=self.exact_money,
            items_in_pk_order=self.items_in_pk_order,
            unstored_fields={*self.unstored_fields, *self.mapping.unstored_fields},
        )

    def concurrent_relays(self) -> bool:
        """Whether the database claims events with ``SKIP LOCKED`` (PostgreSQL); SQLite
        serializes its transactions and runs one relay."""
        return bool(connections[self.using].features.has_select_for_update_skip_locked)

    def require_transactional(self) -> None:
        """Fail at once inside a test transaction (:data:`NOT_TRANSACTIONAL`); call it in
        the test's own thread."""
        if connections[self.using].in_atomic_block:
            pytest.fail(NOT_TRANSACTIONAL, pytrace=False)

    def loaded_store(self, **rows: Any) -> DjangoStore:
        """A store over emptied tables holding exactly ``rows``."""
        store = _TestStore(self.mapping, using=self.using)
        empty_tables(self.mapping, self.using)
        store.load(**rows)
        return store


class DjangoStoreContract(_OnDjango, StoreContract):
    """:class:`~guest_orders.testing.contract.StoreContract` over :attr:`mapping`."""

    def make_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> DjangoStore:
        self.require_transactional()
        return self.loaded_store(
            orders=orders,
            reasons=reasons,
            shipping_companies=shipping_companies,
            addresses=addresses,
        )


class AsyncDjangoStoreContract(_OnDjango, AsyncStoreContract):
    """:class:`~guest_orders.testing.contract.AsyncStoreContract` over
    ``AsyncDjangoStore(DjangoStore(mapping))``: every transaction in a thread of its own,
    the races as many tasks on one event loop."""

    def make_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> UnitOfWork:
        self.require_transactional()
        return super().make_store(
            orders=orders,
            reasons=reasons,
            shipping_companies=shipping_companies,
            addresses=addresses,
        )

    async def make_async_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> AsyncDjangoStore:
        def load() -> DjangoStore:
            try:
                return self.loaded_store(
                    orders=orders,
                    reasons=reasons,
                    shipping_companies=shipping_companies,
                    addresses=addresses,
                )
            finally:
                connections.close_all()  # this worker thread's

        return AsyncDjangoStore(await asyncio.to_thread(load))
