"""The cancellations' misses are indistinguishable too: an unknown number, a registered
customer's order and a wrong email raise the same error after the same port calls, with or
without an idempotency key (ASVS 6.3.8, 16.5.1; the lookup's are in
``test_lookup_use_case.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from _builders import (
    APPROVED_ITEM,
    CASH_NUMBER,
    GUEST_EMAIL,
    GUEST_NUMBER,
    NOW,
    PNG,
    PREPARING_ITEM,
    REGISTERED_ITEM,
    REGISTERED_NUMBER,
    RecordingClock,
    RecordingUnitOfWork,
    bulk,
    cancel_item,
    cash_refund_item,
    new_store,
    refund_item,
    single,
)
from guest_orders.clocks import FixedClock
from guest_orders.domain import CancellationCommand, LookupQuery
from guest_orders.domain import emails as emails_module
from guest_orders.errors import GuestOrderError, OrderNotFound
from guest_orders.policy import Policy
from guest_orders.use_cases import lookup_order, request_cancellation
from guest_orders.wire import render_error

# The ownership check's calls: the same for the lookup, the single and the bulk request.
MISS_CALLS = [
    "transaction",
    "orders.find_by_number",
    "cancellation_requests.active_for_items",
    "shipping_companies.list_active",
]

Make = Callable[[str, str], CancellationCommand]

COMMANDS: dict[str, Make] = {
    "single cancel": lambda number, email: single(
        cancel_item(APPROVED_ITEM), number=number, email=email
    ),
    "single refund with a bank account": lambda number, email: single(
        cash_refund_item(), number=number, email=email
    ),
    "bulk": lambda number, email: bulk(
        cancel_item(APPROVED_ITEM),
        refund_item(PREPARING_ITEM, images=[PNG]),
        number=number,
        email=email,
        pickup_address=20,
    ),
    "bulk naming the registered order's item": lambda number, email: bulk(
        cancel_item(REGISTERED_ITEM), number=number, email=email
    ),
}


def _miss(command: CancellationCommand, key: str | None) -> tuple[GuestOrderError, list[str]]:
    uow = RecordingUnitOfWork(new_store())
    clock = RecordingClock(FixedClock(NOW), uow.log)
    with pytest.raises(OrderNotFound) as caught:
        request_cancellation(command, uow=uow, clock=clock, policy=Policy(), idempotency_key=key)
    return caught.value, uow.log


def _observable(error: GuestOrderError) -> tuple[object, ...]:
    return (
        type(error),
        error.code,
        error.message,
        error.http_status,
        str(error),
        repr(error),
        error.args,
        render_error(error),
    )


emails = st.emails().filter(lambda e: e.lower() != GUEST_EMAIL.lower())
numbers = st.text("0123456789", min_size=1, max_size=20).filter(
    lambda n: n not in {GUEST_NUMBER, REGISTERED_NUMBER, CASH_NUMBER}
)


@pytest.mark.parametrize("make", COMMANDS.values(), ids=list(COMMANDS))
@given(unknown_number=numbers, wrong_email=emails, key=st.sampled_from([None, "retry-1"]))
def test_the_misses_of_a_cancellation_are_indistinguishable(
    make: Make, unknown_number: str, wrong_email: str, key: str | None
) -> None:
    misses = [
        _miss(make(unknown_number, GUEST_EMAIL), key),  # no such order
        _miss(make(unknown_number, wrong_email), key),
        _miss(make(REGISTERED_NUMBER, GUEST_EMAIL), key),  # registered customer, its email
        _miss(make(REGISTERED_NUMBER, wrong_email), key),
        _miss(make(GUEST_NUMBER, wrong_email), key),  # a guest's order, wrong email
        _miss(make(CASH_NUMBER, wrong_email), None),  # another guest order, no key
    ]
    first_error, first_calls = misses[0]
    assert first_calls == MISS_CALLS  # nothing more: no reason, address or key looked up
    for error, calls in misses[1:]:
        assert _observable(error) == _observable(first_error)
        assert calls == first_calls


def test_a_cancellation_miss_makes_the_ownership_calls_of_a_hit() -> None:
    uow = RecordingUnitOfWork(new_store())
    request_cancellation(
        single(cancel_item(APPROVED_ITEM)), uow=uow, clock=FixedClock(NOW), policy=Policy()
    )
    assert uow.log[: len(MISS_CALLS)] == MISS_CALLS


def _validations(number: str, email: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """How each email validation of one lookup ended: ``ok`` or the error's type."""
    outcomes: list[str] = []

    def recording(address: str, **kwargs: Any) -> Any:
        try:
            result = validate_email(address, **kwargs)
        except EmailNotValidError as error:
            outcomes.append(type(error).__name__)
            raise
        outcomes.append("ok")
        return result

    monkeypatch.setattr(emails_module, "validate_email", recording)
    with pytest.raises(OrderNotFound):
        lookup_order(
            LookupQuery(number=number, email=email),
            uow=new_store(),
            clock=FixedClock(NOW),
            policy=Policy(),
        )
    monkeypatch.undo()
    return outcomes


def test_every_miss_takes_the_same_path_through_email_validation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Finding: an unknown number answered faster: its decoy (``nobody@example.invalid``)
    failed validation and took the validator's cheaper error path."""
    wrong = "someone.else@example.com"
    paths = {
        "unknown number": _validations("9999999999999999", wrong, monkeypatch),
        "registered customer's order": _validations(REGISTERED_NUMBER, GUEST_EMAIL, monkeypatch),
        "wrong email": _validations(GUEST_NUMBER, wrong, monkeypatch),
    }
    assert set(map(tuple, paths.values())) == {("ok", "ok")}, paths
