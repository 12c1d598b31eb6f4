"""The library's contract suite over the shop's own models, through the Django adapter:
two-place ``DecimalField`` money, items by pk, no column added for guest_orders. Then
the same checks over the async views' store (``AsyncDjangoStore``). None of them leaves a
file in the shop's media storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import on_postgres, require_postgres
from guest_orders.contrib.django.testing import AsyncDjangoStoreContract, DjangoStoreContract
from shop.guest_orders import MAPPING


@pytest.fixture(autouse=True)
def _media_storage_stays_empty(settings: Any, tmp_path: Path) -> Iterator[None]:
    """The shop's media storage (a directory of the check's own here) gets no file: the
    images the checks attach go to a temporary directory of the contract's."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    yield
    assert not media.exists() or not any(media.rglob("*.*"))


@pytest.mark.django_db(transaction=True)
class TestShopOnSqlite(DjangoStoreContract):
    mapping = MAPPING
    # SQLite runs one writer at a time: a smaller race is as telling and faster.
    concurrent_writers = 8
    concurrent_guests = 8


class _OnPostgres:
    mapping = MAPPING
    using = "postgres"
    # The 32-way races: 32 guests ask for the same item at once, exactly one wins.
    concurrent_writers = 32
    concurrent_guests = 32

    @pytest.fixture(autouse=True)
    def _server(self) -> None:
        require_postgres()


@on_postgres()
class TestShopOnPostgres(_OnPostgres, DjangoStoreContract):
    pass


@pytest.mark.django_db(transaction=True)
class TestShopOnSqliteAsync(AsyncDjangoStoreContract):
    mapping = MAPPING
    concurrent_writers = TestShopOnSqlite.concurrent_writers
    concurrent_guests = TestShopOnSqlite.concurrent_guests


@on_postgres()
class TestShopOnPostgresAsync(_OnPostgres, AsyncDjangoStoreContract):
    pass
