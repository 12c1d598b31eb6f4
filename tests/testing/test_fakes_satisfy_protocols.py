"""Every fake satisfies its port's protocol, as mypy --strict sees it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

_SATISFIED = """
from datetime import UTC, datetime

from guest_orders.ports import (
    AddressRepository,
    CancellationReasonRepository,
    CancellationRequestRepository,
    Clock,
    EasyReturnShippingCompanyRepository,
    IdempotencyRepository,
    ImageStore,
    OrderRepository,
    OutboxRepository,
    Repositories,
    UnitOfWork,
)
from guest_orders.testing import (
    FixedClock,
    InMemoryAddressRepository,
    InMemoryCancellationReasonRepository,
    InMemoryCancellationRequestRepository,
    InMemoryEasyReturnShippingCompanyRepository,
    InMemoryIdempotencyRepository,
    InMemoryImageStore,
    InMemoryOrderRepository,
    InMemoryOutbox,
    InMemoryStore,
    SystemClock,
)

orders: OrderRepository = InMemoryOrderRepository()
requests: CancellationRequestRepository = InMemoryCancellationRequestRepository()
reasons: CancellationReasonRepository = InMemoryCancellationReasonRepository()
companies: EasyReturnShippingCompanyRepository = InMemoryEasyReturnShippingCompanyRepository()
addresses: AddressRepository = InMemoryAddressRepository()
images: ImageStore = InMemoryImageStore()
idempotency: IdempotencyRepository = InMemoryIdempotencyRepository()
outbox: OutboxRepository = InMemoryOutbox()
store: UnitOfWork = InMemoryStore()
system_clock: Clock = SystemClock()
fixed_clock: Clock = FixedClock(datetime.now(UTC))


def repositories(memory: InMemoryStore) -> Repositories:
    with memory.transaction() as repos:
        return repos
"""

# A control: the same check must see a fake that does not fit.
_BROKEN = """
from guest_orders.ports import OrderRepository


class WrongOrders:
    def find_by_number(self, number: int) -> None:
        return None


orders: OrderRepository = WrongOrders()
"""


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """One strict mypy run over both snippets: the error lines of each."""
    folder = tmp_path_factory.mktemp("mypy")
    (folder / "satisfied.py").write_text(textwrap.dedent(_SATISFIED))
    (folder / "broken.py").write_text(textwrap.dedent(_BROKEN))
    config = folder / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\nwarn_unreachable = True\n")
    stdout, stderr, _status = mypy_api.run(
        [
            str(folder / "satisfied.py"),
            str(folder / "broken.py"),
            "--config-file",
            str(config),
            "--cache-dir",
            str(folder / ".mypy_cache"),
            "--no-error-summary",
        ]
    )
    assert not stderr, stderr
    lines = stdout.splitlines()
    return {
        name: [line for line in lines if Path(line.split(":", 1)[0]).name == f"{name}.py"]
        for name in ("satisfied", "broken")
    } | {"other": [line for line in lines if ".py:" not in line]}


def test_every_fake_satisfies_its_protocol(mypy_output: dict[str, list[str]]) -> None:
    assert mypy_output["satisfied"] == []
    assert mypy_output["other"] == []


def test_mypy_sees_a_fake_that_does_not_fit(mypy_output: dict[str, list[str]]) -> None:
    (error,) = [line for line in mypy_output["broken"] if ": error:" in line]
    assert "Incompatible types in assignment" in error
