"""List the cancellation reasons a guest can choose from."""

from __future__ import annotations

from guest_orders.domain import CancellationReason
from guest_orders.ports import UnitOfWork

__all__ = ["list_cancellation_reasons"]


def list_cancellation_reasons(*, uow: UnitOfWork) -> list[CancellationReason]:
    """The active reasons, in the shop's order."""
    with uow.transaction(read_only=True) as repos:
        return list(repos.reasons.list_active())
