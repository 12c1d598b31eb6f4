"""The in-memory adapters pass the whole contract suite, as a host's adapter would."""

from __future__ import annotations

from collections.abc import Sequence

from guest_orders.domain import Address, CancellationReason, EasyReturnShippingCompany, Order
from guest_orders.ports import Clock, ImageStore, UnitOfWork
from guest_orders.testing import FixedClock, InMemoryImageStore, InMemoryStore, SystemClock
from guest_orders.testing.contract import ClockContract, ImageStoreContract, StoreContract
from guest_orders.testing.strategies import DEFAULT_NOW


class TestInMemoryStore(StoreContract):
    # This store keeps every Decimal exactly (any scale): hold it to that.
    exact_money = True

    def make_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> UnitOfWork:
        return InMemoryStore(
            orders=orders,
            reasons=reasons,
            shipping_companies=shipping_companies,
            addresses=addresses,
        )


class TestInMemoryImageStore(ImageStoreContract):
    def make_image_store(self) -> ImageStore:
        return InMemoryImageStore()


class TestSystemClock(ClockContract):
    def make_clock(self) -> Clock:
        return SystemClock()


class TestFixedClock(ClockContract):
    def make_clock(self) -> Clock:
        return FixedClock(DEFAULT_NOW)
