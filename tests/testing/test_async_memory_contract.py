"""The async in-memory adapters pass the whole contract suite through an event loop."""

from __future__ import annotations

from collections.abc import Sequence

from guest_orders.adapters.memory import AsyncInMemoryImageStore, AsyncInMemoryStore
from guest_orders.domain import Address, CancellationReason, EasyReturnShippingCompany, Order
from guest_orders.ports import AsyncImageStore, AsyncUnitOfWork
from guest_orders.testing.contract import AsyncImageStoreContract, AsyncStoreContract


class TestAsyncInMemoryStore(AsyncStoreContract):
    async def make_async_store(
        self,
        *,
        orders: Sequence[Order],
        reasons: Sequence[CancellationReason],
        shipping_companies: Sequence[EasyReturnShippingCompany],
        addresses: Sequence[Address],
    ) -> AsyncUnitOfWork:
        return AsyncInMemoryStore(
            orders=orders,
            reasons=reasons,
            shipping_companies=shipping_companies,
            addresses=addresses,
        )


class TestAsyncInMemoryImageStore(AsyncImageStoreContract):
    async def make_async_image_store(self) -> AsyncImageStore:
        return AsyncInMemoryImageStore()
