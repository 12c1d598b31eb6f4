"""The app's settings: one ``GUEST_ORDERS`` dict in the host's settings.

.. code-block:: python

    GUEST_ORDERS = {
        "MAPPING": "shop.guest_orders.MAPPING",  # required: a StoreMapping or its path
        "POLICY": None,                 # a guest_orders.Policy (or its path); the defaults
        "LIMITS": None,                 # a guest_orders.AttemptLimits; the defaults
        "CACHE": "default",             # the cache alias failed attempts are counted in
        "DATABASE": "default",          # the database alias of the store
        "MAX_BODY_BYTES": 8 * 1024 * 1024,  # larger bodies: JSON 413
        "TRUST_FORWARDED_FOR": False,   # count attempts by the last X-Forwarded-For entry
    }
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Final

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from guest_orders.contrib.django.mapping import StoreMapping
from guest_orders.policy import Policy
from guest_orders.service import AsyncGuestOrders, GuestOrders
from guest_orders.throttling import AttemptLimits

if TYPE_CHECKING:  # imported where used: the store needs the app registry
    from guest_orders.contrib.django.limiter import CacheAttemptLimiter
    from guest_orders.contrib.django.store import DjangoStore

__all__ = ["DEFAULTS", "get_async_service", "get_mapping", "get_service", "setting"]

#: Every setting and its default.
DEFAULTS: Final[dict[str, Any]] = {
    "MAPPING": None,
    "POLICY": None,
    "LIMITS": None,
    "CACHE": "default",
    "DATABASE": "default",
    "MAX_BODY_BYTES": 8 * 1024 * 1024,
    "TRUST_FORWARDED_FOR": False,
}


def setting(name: str) -> Any:
    """``GUEST_ORDERS[name]``, its default when unset; a dotted path is imported."""
    configured = getattr(settings, "GUEST_ORDERS", {})
    unknown = set(configured) - set(DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(f"GUEST_ORDERS has unknown keys: {sorted(unknown)}")
    value = configured.get(name, DEFAULTS[name])
    if name in {"MAPPING", "POLICY", "LIMITS"} and isinstance(value, str):
        value = import_string(value)
    return value


def get_mapping() -> StoreMapping:
    mapping = setting("MAPPING")
    if not isinstance(mapping, StoreMapping):
        raise ImproperlyConfigured(
            "GUEST_ORDERS['MAPPING'] must be a StoreMapping or the dotted path of one"
        )
    return mapping


def _parts() -> tuple[DjangoStore, CacheAttemptLimiter, Policy]:
    """The store, the limiter and the policy the settings name."""
    from guest_orders.contrib.django.limiter import CacheAttemptLimiter  # noqa: PLC0415
    from guest_orders.contrib.django.store import DjangoStore  # noqa: PLC0415

    limits = setting("LIMITS") or AttemptLimits()
    return (
        DjangoStore(get_mapping(), using=setting("DATABASE")),
        CacheAttemptLimiter(alias=setting("CACHE"), limits=limits),
        setting("POLICY") or Policy(),
    )


@functools.cache
def get_service() -> GuestOrders:
    """The one :class:`guest_orders.GuestOrders` the views call, built from the settings
    on first use."""
    store, limiter, policy = _parts()
    return GuestOrders(store=store, limiter=limiter, policy=policy)


@functools.cache
def get_async_service() -> AsyncGuestOrders:
    """The one :class:`guest_orders.AsyncGuestOrders` the async views await: the same
    settings, behind :class:`~guest_orders.contrib.django.store.AsyncDjangoStore` and
    :class:`~guest_orders.contrib.django.limiter.AsyncCacheAttemptLimiter`."""
    from guest_orders.contrib.django.limiter import AsyncCacheAttemptLimiter  # noqa: PLC0415
    from guest_orders.contrib.django.store import AsyncDjangoStore  # noqa: PLC0415

    store, limiter, policy = _parts()
    return AsyncGuestOrders(
        store=AsyncDjangoStore(store), limiter=AsyncCacheAttemptLimiter(limiter), policy=policy
    )


@receiver(setting_changed)
def _reset(*, setting: str, **_kwargs: Any) -> None:
    if setting == "GUEST_ORDERS":
        get_service.cache_clear()
        get_async_service.cache_clear()
