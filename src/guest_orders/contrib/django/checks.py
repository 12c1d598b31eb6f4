"""System checks: a mapping that names a field the host's models lack fails at startup
(``manage.py check``, ``runserver``, ``migrate``), naming the field."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from guest_orders.contrib.django.conf import get_mapping
from guest_orders.contrib.django.fields import field_of, label
from guest_orders.contrib.django.mapping import StoreMapping

__all__ = ["check_mapping"]

_ID = "guest_orders"


def _resolve(model: type[models.Model], path: str) -> str | None:
    """Why ``path`` cannot be followed from ``model``, or ``None`` when it can."""
    current: type[models.Model] = model
    parts = path.split("__")
    for index, part in enumerate(parts):
        field = field_of(current, part)
        if field is None:
            return f"{label(current)} has no field {part!r}"
        if index < len(parts) - 1:
            remote = field.related_model
            if not field.is_relation or not isinstance(remote, type):
                return f"{label(current)}.{part} is no relation to follow"
            current = remote
    return None


def mapping_errors(mapping: StoreMapping) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = [
        checks.Error(f"The mapping names no domain field {problem}", id=f"{_ID}.E002")
        for problem in mapping.unknown_fields()
    ]
    errors.extend(
        checks.Error(f"The mapping cannot leave out {problem}: it is required", id=f"{_ID}.E003")
        for problem in mapping.unstored_required()
    )
    for role, model_map in mapping.roles().items():
        try:
            model = apps.get_model(model_map.model)
        except (LookupError, ValueError):
            errors.append(
                checks.Error(
                    f"The mapping's {role} model {model_map.model!r} is not installed",
                    id=f"{_ID}.E004",
                )
            )
            continue
        for name, path in mapping.paths(role).items():
            problem = _resolve(model, path)
            if problem is not None:
                errors.append(
                    checks.Error(
                        f"Cannot resolve the {role} field {name!r} (path {path!r}): {problem}",
                        hint=f"Map it in ModelMap({model_map.model!r}, fields={{{name!r}: ...}}),"
                        " or to None when the host does not store it (optional fields only).",
                        obj=model,
                        id=f"{_ID}.E001",
                    )
                )
    return errors


@checks.register("guest_orders")
def check_mapping(*_args: Any, **_kwargs: Any) -> list[checks.CheckMessage]:
    """Every path of the configured mapping resolves; ``USE_TZ`` is on."""
    errors: list[checks.CheckMessage] = []
    if not settings.USE_TZ:
        errors.append(
            checks.Error(
                "guest_orders needs USE_TZ = True: its times are timezone-aware",
                id=f"{_ID}.E005",
            )
        )
    try:
        mapping = get_mapping()
    except ImproperlyConfigured as error:
        return [*errors, checks.Error(str(error), id=f"{_ID}.E000")]
    return [*errors, *mapping_errors(mapping)]
