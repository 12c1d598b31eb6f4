"""The use cases written once, run sync or async: steps that name port calls.

A use case is a generator over plain data. It does no I/O: where it needs a port, it
yields a :class:`Call` (or opens a :class:`Transaction`) and gets the result sent back, or
the port's exception thrown in, at that very ``yield``. Two small drivers do the I/O:
:func:`run` calls the sync ports, :func:`run_async` awaits the async ones. Every rule,
every branch and the order of the port calls live in the generator, so the sync and the
async service make the same decisions and the same calls in the same order (h11's
"sans-I/O" shape).

The functions below are the vocabulary: one per port method, typed, so a use case reads
``order = yield from find_order(number)``.
"""

from __future__ import annotations

from collections.abc import Collection, Generator, Mapping, Sequence
from typing import Any, Final, TypeAlias, TypeVar

import attrs

from guest_orders.domain import (
    Address,
    CancellationReason,
    CancellationRequest,
    EasyReturnShippingCompany,
    Event,
    IdempotencyRecord,
    ImageRef,
    ImageUpload,
    Order,
)
from guest_orders.ports import AsyncUnitOfWork, UnitOfWork

__all__ = [
    "LIMITER",
    "Call",
    "Steps",
    "Transaction",
    "run",
    "run_async",
]

T = TypeVar("T")

#: The port name of the attempt limiter; every other name is a repository of the open
#: transaction (``orders``, ``cancellation_requests``...).
LIMITER: Final = "limiter"


@attrs.frozen
class Call:
    """Call ``method`` of ``port`` with ``args``; the result (or exception) comes back."""

    port: str
    method: str
    args: tuple[Any, ...] = ()


@attrs.frozen
class Transaction:
    """Run ``body`` in one transaction of the unit of work: committed when it returns,
    rolled back when it raises (and the exception raised at the ``yield``)."""

    body: Steps[Any]
    read_only: bool = False


Step: TypeAlias = Call | Transaction
Steps: TypeAlias = Generator[Step, Any, T]


# --------------------------------------------------------------------------- drivers


def run(steps: Steps[T], *, uow: UnitOfWork, limiter: object) -> T:
    """Run ``steps`` over the sync ports."""
    return _run(steps, None, uow, limiter)


def _run(steps: Steps[T], repos: object, uow: UnitOfWork, limiter: object) -> T:
    result: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.send(result) if error is None else steps.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        result = error = None
        try:
            if type(step) is Call:
                port = limiter if step.port == LIMITER else getattr(repos, step.port)
                result = getattr(port, step.method)(*step.args)
            else:
                assert type(step) is Transaction
                with uow.transaction(read_only=step.read_only) as opened:
                    result = _run(step.body, opened, uow, limiter)
        except BaseException as raised:  # noqa: BLE001  # thrown into the use case
            error = raised


async def run_async(steps: Steps[T], *, uow: AsyncUnitOfWork, limiter: object) -> T:
    """Run ``steps`` over the async ports, on the running event loop."""
    return await _run_async(steps, None, uow, limiter)


async def _run_async(steps: Steps[T], repos: object, uow: AsyncUnitOfWork, limiter: object) -> T:
    result: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = steps.send(result) if error is None else steps.throw(error)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        result = error = None
        try:
            if type(step) is Call:
                port = limiter if step.port == LIMITER else getattr(repos, step.port)
                result = await getattr(port, step.method)(*step.args)
            else:
                assert type(step) is Transaction
                async with uow.transaction(read_only=step.read_only) as opened:
                    result = await _run_async(step.body, opened, uow, limiter)
        except BaseException as raised:  # noqa: BLE001  # thrown into the use case
            error = raised


# ------------------------------------------------------------------------ vocabulary


def transaction(body: Steps[T], *, read_only: bool = False) -> Steps[T]:
    result: T = yield Transaction(body, read_only)
    return result


def find_order(number: str) -> Steps[Order | None]:
    result: Order | None = yield Call("orders", "find_by_number", (number,))
    return result


def active_requests(order_items: Collection[int]) -> Steps[Mapping[int, CancellationRequest]]:
    result: Mapping[int, CancellationRequest] = yield Call(
        "cancellation_requests", "active_for_items", (order_items,)
    )
    return result


def add_requests(requests: Sequence[CancellationRequest]) -> Steps[Sequence[CancellationRequest]]:
    result: Sequence[CancellationRequest] = yield Call(
        "cancellation_requests", "add_all", (requests,)
    )
    return result


def get_requests(ids: Sequence[int]) -> Steps[Sequence[CancellationRequest]]:
    result: Sequence[CancellationRequest] = yield Call("cancellation_requests", "get_many", (ids,))
    return result


def get_reasons(pks: Collection[int]) -> Steps[Mapping[int, CancellationReason]]:
    result: Mapping[int, CancellationReason] = yield Call("reasons", "get_many", (pks,))
    return result


def active_reasons() -> Steps[Sequence[CancellationReason]]:
    result: Sequence[CancellationReason] = yield Call("reasons", "list_active")
    return result


def active_shipping_companies() -> Steps[Sequence[EasyReturnShippingCompany]]:
    result: Sequence[EasyReturnShippingCompany] = yield Call("shipping_companies", "list_active")
    return result


def get_address(pk: int) -> Steps[Address | None]:
    result: Address | None = yield Call("addresses", "get", (pk,))
    return result


def put_image(image: ImageUpload) -> Steps[ImageRef]:
    result: ImageRef = yield Call("images", "put", (image,))
    return result


def delete_image(ref: ImageRef) -> Steps[None]:
    yield Call("images", "delete", (ref,))


def get_idempotency_record(order: int, key: str) -> Steps[IdempotencyRecord | None]:
    result: IdempotencyRecord | None = yield Call("idempotency", "get", (order, key))
    return result


def add_idempotency_record(record: IdempotencyRecord) -> Steps[None]:
    yield Call("idempotency", "add", (record,))


def add_events(events: Sequence[Event]) -> Steps[None]:
    yield Call("outbox", "add_all", (events,))


def limiter_call(method: str, *args: Any) -> Steps[Any]:
    """A call of the attempt limiter (outside any transaction)."""
    return (yield Call(LIMITER, method, args))
