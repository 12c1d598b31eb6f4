"""A testing kit for hosts and adapter authors (the ``guest_orders[testing]`` extra).

- **Fakes** for every port, fit for a host's own tests: :class:`InMemoryStore` (the unit of
  work and all its repositories), each in-memory repository on its own,
  :class:`InMemoryImageStore`, and the clocks :class:`FixedClock` and :class:`SystemClock`.
  They keep the rules a real adapter must keep: batches are atomic, an item never has two
  active requests (not even with concurrent writers), a transaction that raises stores
  nothing, and :class:`InMemoryOutbox` publishes events only when their transaction commits.
- :class:`Seed` and :func:`example_seed`: the rows a store starts with.
- :func:`assert_faithful`: equality strict about ``Decimal`` scale, aware datetimes and
  exact types, for round-trip tests.
- :mod:`guest_orders.testing.strategies`: Hypothesis strategies (needs ``hypothesis``).
- :mod:`guest_orders.testing.contract`: the contract suite an adapter must pass (needs
  ``hypothesis`` and ``pytest``).

This module itself imports neither Hypothesis nor pytest, and nothing in the core imports
``guest_orders.testing``.
"""

from guest_orders.adapters.memory import (
    InMemoryAddressRepository,
    InMemoryCancellationReasonRepository,
    InMemoryCancellationRequestRepository,
    InMemoryEasyReturnShippingCompanyRepository,
    InMemoryIdempotencyRepository,
    InMemoryImageStore,
    InMemoryOrderRepository,
    InMemoryOutbox,
    InMemoryStore,
)
from guest_orders.clocks import FixedClock, SystemClock
from guest_orders.testing._fidelity import assert_faithful, fidelity_differences
from guest_orders.testing._seed import Seed, example_seed

__all__ = [
    "FixedClock",
    "InMemoryAddressRepository",
    "InMemoryCancellationReasonRepository",
    "InMemoryCancellationRequestRepository",
    "InMemoryEasyReturnShippingCompanyRepository",
    "InMemoryIdempotencyRepository",
    "InMemoryImageStore",
    "InMemoryOrderRepository",
    "InMemoryOutbox",
    "InMemoryStore",
    "Seed",
    "SystemClock",
    "assert_faithful",
    "example_seed",
    "fidelity_differences",
]
