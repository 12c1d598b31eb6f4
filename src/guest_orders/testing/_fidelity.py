"""Strict equality for round trips: what a store returns must be what it was given."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

__all__ = ["assert_faithful", "fidelity_differences"]


def assert_faithful(actual: object, expected: object) -> None:
    """Fail unless ``actual`` is a faithful copy of ``expected``.

    Stricter than ``==``, which calls ``Decimal("1.1")`` equal to ``Decimal("1.10")`` and
    ``1`` equal to ``True``:

    - a ``Decimal`` keeps its value *and* its scale (``"1.10"`` stays ``"1.10"``);
    - a ``datetime`` stays timezone-aware and denotes the same instant, to the microsecond
      (its UTC offset may change: databases commonly hand times back in UTC);
    - every other value keeps its exact type (``True`` is not ``1``, a list is not a tuple)
      and compares equal; attrs instances, mappings and sequences are compared field by
      field, and the message names the path of every difference.
    """
    differences = fidelity_differences(actual, expected)
    if differences:
        listed = "\n  ".join(differences)
        raise AssertionError(f"not a faithful copy:\n  {listed}")


def fidelity_differences(actual: object, expected: object, path: str = "") -> list[str]:
    """Every difference :func:`assert_faithful` would report, as ``"path: why"`` lines."""
    out: list[str] = []
    _compare(actual, expected, path or "value", out)
    return out


def _compare(actual: Any, expected: Any, path: str, out: list[str]) -> None:
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        _compare_mappings(actual, expected, path, out)
    elif type(actual) is not type(expected):
        out.append(
            f"{path}: expected {type(expected).__name__} {expected!r}, "
            f"got {type(actual).__name__} {actual!r}"
        )
    elif isinstance(expected, Decimal):
        if actual.as_tuple() != expected.as_tuple():
            out.append(f"{path}: expected Decimal('{expected}'), got Decimal('{actual}')")
    elif isinstance(expected, datetime):
        _compare_datetimes(actual, expected, path, out)
    elif attrs.has(type(expected)):
        for field in attrs.fields(type(expected)):
            name = field.name
            _compare(getattr(actual, name), getattr(expected, name), f"{path}.{name}", out)
    elif isinstance(expected, list | tuple):
        _compare_sequences(actual, expected, path, out)
    elif actual != expected:
        out.append(f"{path}: expected {expected!r}, got {actual!r}")


def _compare_datetimes(actual: datetime, expected: datetime, path: str, out: list[str]) -> None:
    if actual.utcoffset() is None:
        out.append(f"{path}: expected an aware datetime, got naive {actual.isoformat()}")
    elif expected.utcoffset() is None or actual != expected:
        out.append(f"{path}: expected {expected.isoformat()}, got {actual.isoformat()}")


def _compare_sequences(
    actual: list[Any] | tuple[Any, ...],
    expected: list[Any] | tuple[Any, ...],
    path: str,
    out: list[str],
) -> None:
    if len(actual) != len(expected):
        out.append(f"{path}: expected {len(expected)} elements, got {len(actual)}")
        return
    for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
        _compare(got, want, f"{path}[{index}]", out)


def _compare_mappings(
    actual: Mapping[Any, Any], expected: Mapping[Any, Any], path: str, out: list[str]
) -> None:
    """Any two mappings (dict, MappingProxyType, ...) with the same faithful items."""
    missing = [key for key in expected if key not in actual]
    extra = [key for key in actual if key not in expected]
    if missing or extra:
        out.append(f"{path}: missing keys {missing!r}, unexpected keys {extra!r}")
    for key, want in expected.items():
        if key in actual:
            _compare(actual[key], want, f"{path}[{key!r}]", out)
