"""assert_faithful: stricter than == where a store can silently lose information."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType

import attrs
import pytest

from guest_orders.domain import CustomerKind
from guest_orders.testing import assert_faithful, example_seed, fidelity_differences

_ORDER = example_seed().orders[0]


def test_an_equal_copy_is_faithful() -> None:
    assert_faithful(attrs.evolve(_ORDER), _ORDER)


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (Decimal("1.1"), Decimal("1.10")),
        (Decimal("1.100"), Decimal("1.10")),
        (Decimal("1234567.123"), Decimal("1234567.1234")),
        (1, True),
        (0, False),
        ([1], (1,)),
        ("a ", "a"),
        (None, ""),
        (datetime(2024, 1, 1, 12), datetime(2024, 1, 1, 12, tzinfo=UTC)),  # noqa: DTZ001
        (
            datetime(2024, 1, 1, 12, tzinfo=UTC),
            datetime(2024, 1, 1, 12, 0, 0, 1, tzinfo=UTC),
        ),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": 1}, {"a": True}),
    ],
)
def test_lost_information_is_reported(actual: object, expected: object) -> None:
    assert fidelity_differences(actual, expected)
    with pytest.raises(AssertionError):
        assert_faithful(actual, expected)


def test_equal_instants_in_other_offsets_are_faithful() -> None:
    istanbul = datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=3)))
    assert_faithful(istanbul.astimezone(UTC), istanbul)


def test_any_mapping_type_is_faithful_to_a_dict() -> None:
    assert_faithful(MappingProxyType({"a": [1, None]}), {"a": [1, None]})


def test_the_message_names_every_path() -> None:
    broken = attrs.evolve(
        _ORDER,
        customer=attrs.evolve(_ORDER.customer, kind=CustomerKind.REGISTERED),
        discount_amount=Decimal("1.1"),
        items=[attrs.evolve(_ORDER.items[0], price=Decimal("1234567.12")), *_ORDER.items[1:]],
    )
    assert [line.split(":")[0] for line in fidelity_differences(broken, _ORDER)] == [
        "value.customer.kind",
        "value.discount_amount",
        "value.items[0].price",
    ]
