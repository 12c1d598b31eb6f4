"""The one converter: strict structure hooks, and the hooks the renderers are built from."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from cattrs.errors import ClassValidationError

import guest_orders.wire
from guest_orders.wire import converter
from guest_orders.wire import converter as converter_module  # the attribute, not the module
from guest_orders.wire.converter import format_datetime, format_money, mask_holder_name


@attrs.frozen
class _Shape:
    count: int
    name: str
    flag: bool


def test_the_package_exports_the_module_level_converter() -> None:
    module = importlib.import_module("guest_orders.wire.converter")
    assert converter_module is module.converter is guest_orders.wire.converter


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        (1, int),
        (-(2**80), int),
        ("", str),
        ("text", str),
        (True, bool),
        (False, bool),
    ],
)
def test_exact_types_structure_as_themselves(value: Any, type_: type) -> None:
    result: object = converter.structure(value, type_)
    assert result == value
    assert type(result) is type_


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        (True, int),
        (2.7, int),
        (2.0, int),
        ("12", int),
        (None, int),
        (12, str),
        (b"text", str),
        (None, str),
        (1, bool),
        ("true", bool),
        (None, bool),
    ],
)
def test_nothing_is_converted(value: Any, type_: type) -> None:
    with pytest.raises(TypeError):
        converter.structure(value, type_)


def test_attrs_classes_structure_strictly_with_every_problem() -> None:
    assert converter.structure({"count": 2, "name": "x", "flag": False}, _Shape) == _Shape(
        2, "x", flag=False
    )
    with pytest.raises(ClassValidationError) as caught:
        converter.structure({"count": True, "name": 1, "flag": "yes"}, _Shape)
    assert len(caught.value.exceptions) == 3


def test_value_formats() -> None:
    assert format_money(Decimal("1.005")) == "1.01"
    assert format_money(Decimal("-0.001")) == "0.00"
    assert format_datetime(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
    assert mask_holder_name("Ali Veli") == "A*** V***"


def test_unstructure_uses_the_registered_hooks() -> None:
    assert converter.unstructure(Decimal("3.1")) == "3.10"
    assert converter.unstructure(datetime(2024, 1, 1, tzinfo=UTC)) == "2024-01-01T00:00:00Z"
