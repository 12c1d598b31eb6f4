"""Reaching a model's fields and rows through public names only: a model attribute's
``field`` (the descriptor Django puts on the class for every concrete field and foreign
key) and a plain :class:`~django.db.models.QuerySet` over the model."""

from __future__ import annotations

from typing import Any

from django.db import models

__all__ = ["field_of", "label", "rows_of"]


def field_of(model: type[models.Model], name: str) -> Any:
    """The field ``name`` of ``model`` (a concrete field or a foreign key), or ``None``."""
    field = getattr(getattr(model, name, None), "field", None)
    return field if isinstance(field, models.Field) else None


def label(model: type[models.Model]) -> str:
    """``"app.Model"``-style name of ``model`` for messages."""
    return f"{model.__module__.split('.')[0]}.{model.__name__}"


def rows_of(model: type[models.Model], using: str) -> models.QuerySet[Any]:
    """Every row of ``model`` in the database ``using``, without any manager's filter."""
    return models.QuerySet(model=model, using=using)
