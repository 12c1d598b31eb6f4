"""Hypothesis entry point: ``st.from_type`` works for every domain type once installed.

Hypothesis calls :func:`_register_strategies` when it is imported, through the
``[project.entry-points.hypothesis]`` table of ``pyproject.toml``. It must stay cheap and
must not fail: it imports only the domain and defers building each strategy (and importing
:mod:`guest_orders.testing.strategies`) until a test first asks for the type.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

__all__: list[str] = []

#: Builds a type's strategy from the (lazily imported) strategies module.
_Build = Callable[[Any], st.SearchStrategy[Any]]


def _strategies() -> Any:
    from guest_orders.testing import strategies  # noqa: PLC0415  # deferred on purpose

    return strategies


def _lazy(build: _Build) -> Callable[[type], st.SearchStrategy[Any]]:
    return lambda _type: build(_strategies())


def _register_strategies() -> None:
    from guest_orders.domain import (  # noqa: PLC0415  # imported when Hypothesis loads us
        Address,
        Bank,
        CancelItem,
        CancellationCommand,
        CancellationReason,
        CancellationRequest,
        Currency,
        Customer,
        EasyReturn,
        EasyReturnShippingCompany,
        Iban,
        IdempotencyRecord,
        ImageRef,
        ImageUpload,
        LookupQuery,
        Order,
        OrderItem,
        PickupDate,
        Product,
        ShippingCompany,
    )
    from guest_orders.policy import Policy  # noqa: PLC0415
    from guest_orders.testing._seed import Seed  # noqa: PLC0415

    registry: dict[type, _Build] = {
        Order: lambda s: s.orders(),
        OrderItem: lambda s: s.order_items(),
        Customer: lambda s: s.customers(),
        Product: lambda s: s.products(),
        Bank: lambda s: s.banks(),
        Currency: lambda s: s.currencies(),
        ShippingCompany: lambda s: s.shipping_companies(),
        CancellationReason: lambda s: s.cancellation_reasons(),
        EasyReturnShippingCompany: lambda s: s.easy_return_shipping_companies(),
        Address: lambda s: s.addresses(),
        Iban: lambda s: s.ibans(),
        IdempotencyRecord: lambda s: s.idempotency_records(),
        PickupDate: lambda s: s.pickup_dates(),
        ImageRef: lambda s: s.image_refs(),
        ImageUpload: lambda s: s.image_uploads(),
        EasyReturn: lambda s: st.builds(
            EasyReturn,
            code=s.easy_return_codes(),
            shipping_company=s.easy_return_shipping_companies(),
        ),
        Seed: lambda s: s.seeds(),
        CancellationRequest: lambda s: s.seeds().flatmap(s.cancellation_requests),
        LookupQuery: lambda s: s.seeds().flatmap(s.lookup_queries),
        CancelItem: lambda s: s.seeds().flatmap(
            lambda seed: st.sampled_from(seed.orders).flatmap(
                lambda order: s.cancel_items(order, seed)
            )
        ),
        CancellationCommand: lambda s: st.tuples(s.seeds(), st.booleans()).flatmap(
            lambda pair: s.cancellation_commands(pair[0], bulk=pair[1])
        ),
        Policy: lambda s: s.policies(),
    }
    for type_, build in registry.items():
        st.register_type_strategy(type_, _lazy(build))
