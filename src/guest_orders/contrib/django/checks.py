"""System checks: a mapping that names a field the host's models lack fails at startup
(``manage.py check``, ``runserver``, ``migrate``), naming the field.

- ``E000``: the ``GUEST_ORDERS`` setting names no mapping;
- ``E001``: a field path does not resolve on the host's model;
- ``E002``: the mapping names a field the domain does not have;
- ``E003``: a required field is mapped to ``None``;
- ``E004``: a mapped model is not installed;
- ``E005``: ``USE_TZ`` is off;
- ``E006``: a ``values`` table gives no stored value for a member of the domain's
  enumeration (writing it would fail);
- ``E007``: money (a ``Decimal`` domain field) is mapped to a field that is not decimal;
- ``E008``: an enumeration's field declares a value (a choice, or a boolean) that no
  member reads as (reading a row holding it would fail).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from guest_orders.contrib.django.conf import get_mapping
from guest_orders.contrib.django.fields import field_of, label
from guest_orders.contrib.django.mapping import DECIMALS, ENUMS, StoreMapping

__all__ = ["check_mapping"]

_ID = "guest_orders"


def _follow(model: type[models.Model], path: str) -> tuple[Any, str | None]:
    """The field ``path`` leads to from ``model``, or ``None`` and why it cannot be
    followed."""
    current: type[models.Model] = model
    parts = path.split("__")
    field: Any = None
    for index, part in enumerate(parts):
        field = field_of(current, part)
        if field is None:
            return None, f"{label(current)} has no field {part!r}"
        if index < len(parts) - 1:
            remote = field.related_model
            if not field.is_relation or not isinstance(remote, type):
                return None, f"{label(current)}.{part} is no relation to follow"
            current = remote
    return field, None


def _declared_values(field: Any) -> list[Any]:
    """The values ``field`` says it may hold: its choices, or both booleans."""
    if field.choices:
        return [value for value, _label in field.flatchoices]
    if isinstance(field, models.BooleanField):
        return [True, False]
    return []


def _field_errors(
    mapping: StoreMapping, role: str, name: str, path: str, field: Any
) -> list[checks.CheckMessage]:
    """What is wrong with the host's ``field`` (at ``path``) holding the domain's ``name``:
    money in a field that is not decimal, a declared value no domain member reads as."""
    model_map = mapping.roles()[role]
    where = f"The {role} field {name!r} (path {path!r})"
    errors: list[checks.CheckMessage] = []
    if name in DECIMALS[role] and field.get_internal_type() != "DecimalField":
        errors.append(
            checks.Error(
                f"{where} is a {field.get_internal_type()}: it holds money, which must be a"
                " DecimalField (a float loses cents, text does not compare as an amount)",
                hint="Map it to a DecimalField (two decimal places are enough), or to None"
                " when the host does not store it (optional fields only).",
                obj=field.model,
                id=f"{_ID}.E007",
            )
        )
    enum_class = ENUMS[role].get(name)
    if enum_class is not None:
        for value in _declared_values(field):
            try:
                mapping.from_stored(role, name, value)
            except (LookupError, ValueError):
                errors.append(
                    checks.Error(
                        f"{where} may hold {value!r}, which is no {enum_class.__name__}:"
                        " reading a row that holds it would fail",
                        hint=f"Map it in ModelMap({model_map.model!r}, values={{{name!r}:"
                        " {...}}).",
                        obj=field.model,
                        id=f"{_ID}.E008",
                    )
                )
    return errors


def mapping_errors(mapping: StoreMapping) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = [
        checks.Error(f"The mapping names no domain field {problem}", id=f"{_ID}.E002")
        for problem in mapping.unknown_fields()
    ]
    errors.extend(
        checks.Error(f"The mapping cannot leave out {problem}: it is required", id=f"{_ID}.E003")
        for problem in mapping.unstored_required()
    )
    errors.extend(
        checks.Error(
            f"The mapping's values of the {role} field {name!r} give no stored value for"
            f" {type(member).__name__}.{member.name}: writing it would fail"
            " (DjangoStore.load, and so the contract suite, which writes every member)",
            hint="Map every member, also one the shop never stores (any value it never"
            " holds will do); reading needs every value the shop stores mapped too.",
            id=f"{_ID}.E006",
        )
        for role, name, member in mapping.unmapped_members()
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
            field, problem = _follow(model, path)
            if field is not None:
                errors.extend(_field_errors(mapping, role, name, path, field))
            else:
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
