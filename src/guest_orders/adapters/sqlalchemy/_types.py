"""Column types that round-trip the domain's values exactly on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

__all__ = ["ExactDecimal", "UtcDateTime"]


class ExactDecimal(sa.types.TypeDecorator[Decimal]):
    """A :class:`~decimal.Decimal` that comes back exactly as it went in, scale included.

    PostgreSQL: an unconstrained ``NUMERIC``, which keeps the scale it is given
    (``Decimal("1.10")`` stays ``1.10``). Its one normalisation: a positive exponent
    comes back as scale 0 (``Decimal("1E+2")`` reads back as ``Decimal("100")``, equal by
    value). Other dialects (SQLite): the canonical string, because SQLite's ``NUMERIC``
    affinity goes through a float and loses digits.
    """

    impl = sa.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.Numeric(asdecimal=True))
        return dialect.type_descriptor(sa.Text())

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if type(value) is not Decimal or not value.is_finite():
            raise TypeError("ExactDecimal stores finite Decimal values only")
        return value if dialect.name == "postgresql" else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return self.result_value(value)

    @staticmethod
    def result_value(value: Any) -> Decimal | None:
        """What :meth:`process_result_value` makes of the value the driver returned."""
        if value is None or isinstance(value, Decimal):
            return value
        return Decimal(value)


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime, read back in UTC (the same instant, so ``==`` holds).

    PostgreSQL: ``TIMESTAMP WITH TIME ZONE``. Other dialects (SQLite): fixed-width ISO 8601
    text in UTC, ``2024-06-15T12:00:00.000000+00:00``, which sorts like the instants it
    holds. Naive datetimes are refused.
    """

    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(sa.DateTime(timezone=True))
        return dialect.type_descriptor(sa.String(32))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise TypeError("UtcDateTime stores timezone-aware datetimes only")
        if dialect.name == "postgresql":
            return value
        return value.astimezone(UTC).isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return self.result_value(value)

    @staticmethod
    def result_value(value: Any) -> datetime | None:
        """What :meth:`process_result_value` makes of the value the driver returned."""
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
