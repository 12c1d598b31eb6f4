"""The Django integration (the ``guest_orders[django]`` extra): a Django app serving the
guest order endpoints over the host's own models.

- :mod:`~guest_orders.contrib.django.mapping`: :class:`StoreMapping` and
  :class:`ModelMap`, where the host's models keep the domain;
- :mod:`~guest_orders.contrib.django.store`: :class:`DjangoStore`, every port over them,
  and :class:`AsyncDjangoStore`, the same for async views;
- :mod:`~guest_orders.contrib.django.views` and :mod:`~guest_orders.contrib.django.urls`:
  the endpoints, ``path("", include("guest_orders.contrib.django.urls"))``; under ASGI
  the async views, ``include("guest_orders.contrib.django.async_urls")``;
- :mod:`~guest_orders.contrib.django.limiter`: :class:`CacheAttemptLimiter` on Django's
  cache framework, and :class:`AsyncCacheAttemptLimiter`;
- :mod:`~guest_orders.contrib.django.models` and ``admin``: the library's own tables and
  their admin;
- :mod:`~guest_orders.contrib.django.testing`: the contract suite over a mapping.

Add ``"guest_orders.contrib.django"`` to ``INSTALLED_APPS`` and configure
``GUEST_ORDERS`` (see :mod:`~guest_orders.contrib.django.conf`); ``docs/how-to/django.md``
walks through it. Nothing is imported here: the modules need Django's app registry.
"""
