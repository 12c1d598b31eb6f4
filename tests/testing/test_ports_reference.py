"""docs/reference/ports.md names every method of every port, every attribute of
``Repositories`` and every field of the domain types a store keeps: it fails when a port
or a type changes and the page does not."""

from __future__ import annotations

import inspect
import typing
from pathlib import Path

import attrs

from guest_orders import ports
from guest_orders.domain import (
    Address,
    CancellationReason,
    CancellationRequest,
    EasyReturnShippingCompany,
    IdempotencyRecord,
    Order,
    OrderItem,
)

PAGE = (Path(__file__).parents[2] / "docs" / "reference" / "ports.md").read_text()


def _protocols() -> list[type]:
    return [
        value
        for _, value in inspect.getmembers(ports, inspect.isclass)
        if typing.Protocol in value.__bases__ and value.__module__ == ports.__name__
    ]


def _members(protocol: type) -> list[str]:
    return [name for name in vars(protocol) if not name.startswith("_")]


def test_every_port_and_method_is_documented() -> None:
    protocols = _protocols()
    assert protocols
    for protocol in protocols:
        assert f"`{protocol.__name__}`" in PAGE, protocol.__name__
        for name in _members(protocol):
            if not protocol.__name__.endswith("Repositories"):  # attributes, not methods
                assert f"`{name}(" in PAGE, f"{protocol.__name__}.{name}"


def test_every_repositories_attribute_is_documented() -> None:
    for name in _members(ports.Repositories):
        assert f"| `{name}` |" in PAGE, name


def test_every_field_of_the_stored_types_is_documented() -> None:
    for cls in (
        Order,
        OrderItem,
        CancellationRequest,
        CancellationReason,
        EasyReturnShippingCompany,
        Address,
        IdempotencyRecord,
    ):
        row = next(line for line in PAGE.splitlines() if line.startswith(f"| `{cls.__name__}` |"))
        for field in attrs.fields(cls):
            assert f"`{field.name}`" in row, f"{cls.__name__}.{field.name}"
