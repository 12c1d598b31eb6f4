"""List the cancellation reasons a guest can choose from."""

from __future__ import annotations

from guest_orders.domain import CancellationReason
from guest_orders.ports import AsyncUnitOfWork, UnitOfWork
from guest_orders.use_cases._steps import Steps, active_reasons, run, run_async, transaction

__all__ = ["async_list_cancellation_reasons", "list_cancellation_reasons", "reasons_steps"]


def reasons_steps() -> Steps[list[CancellationReason]]:
    """The active reasons, in the shop's order, as steps."""
    return (yield from transaction(_active_reasons(), read_only=True))


def _active_reasons() -> Steps[list[CancellationReason]]:
    return list((yield from active_reasons()))


def list_cancellation_reasons(*, uow: UnitOfWork) -> list[CancellationReason]:
    """The active reasons, in the shop's order."""
    return run(reasons_steps(), uow=uow, limiter=None)


async def async_list_cancellation_reasons(*, uow: AsyncUnitOfWork) -> list[CancellationReason]:
    """:func:`list_cancellation_reasons` over the async ports."""
    return await run_async(reasons_steps(), uow=uow, limiter=None)
