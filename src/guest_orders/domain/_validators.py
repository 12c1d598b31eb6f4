"""attrs validators and defaults shared by the domain objects."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

__all__ = [
    "AS_CREATED",
    "aware_datetime",
    "finite_decimal",
    "non_empty",
    "non_negative_money",
    "optional_aware_datetime",
    "positive_int",
    "positive_int_or_none",
]


def finite_decimal(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not Decimal or not value.is_finite():
        raise ValueError(f"{attribute.name} must be a finite Decimal, got {type(value).__name__}")


def non_negative_money(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    finite_decimal(instance, attribute, value)
    if value < 0:
        raise ValueError(f"{attribute.name} must be non-negative")


def aware_datetime(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be a timezone-aware datetime")


def optional_aware_datetime(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        aware_datetime(instance, attribute, value)


def positive_int(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not int:  # bool is an int subclass: refused too
        raise TypeError(f"{attribute.name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{attribute.name} must be an integer of at least 1")


def positive_int_or_none(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (type(value) is not int or value < 1):
        raise ValueError(f"{attribute.name} must be a positive int or None")


def non_empty(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if type(value) is not str or not value:
        raise ValueError(f"{attribute.name} must be a non-empty string")


#: The default of a ``modified_date``: the record's ``created_date`` (never modified).
AS_CREATED: Any = attrs.Factory(lambda record: record.created_date, takes_self=True)
