"""The demo data file: a JSON document of orders, reasons, carriers, addresses and
requests, structured straight into the domain classes with the library's cattrs converter.

Each record takes the fields of its domain class, with the domain's defaults; each field
is checked by the domain's own validator, so a problem is named by its path
(``orders[2].items[0].price``). What the loader adds: the JSON forms of amounts, times,
codes and currencies, unique keys, and the references of cancellation requests (by pk).
The format is documented in ``docs/demo-data.md``; the built-in sample
(``sample-data.json`` next to this module) is a complete example. A file is loaded whole
or not at all.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar, get_args

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override

from guest_orders.domain import (
    Address,
    CancellationReason,
    CancellationRequest,
    Currency,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    Order,
    OrderStatus,
)
from guest_orders.wire.converter import converter as wire_converter

__all__ = ["DataFileError", "DemoData", "load_data", "load_data_file"]

T = TypeVar("T")
Hook = Callable[[Any, Any], Any]

#: The document's key for the requests: they are read once the records they name are.
_REQUESTS = "cancellation_requests"
#: The document's keys for the other fields of :class:`DemoData` it names otherwise.
_FILE_KEYS = {
    "reasons": "cancellation_reasons",
    "shipping_companies": "easy_return_shipping_companies",
}


@attrs.frozen(kw_only=True)
class DemoData:
    """Everything a demo store is seeded with, as domain objects."""

    orders: tuple[Order, ...] = ()
    reasons: tuple[CancellationReason, ...] = ()
    shipping_companies: tuple[EasyReturnShippingCompany, ...] = ()
    addresses: tuple[Address, ...] = ()
    cancellation_requests: tuple[CancellationRequest, ...] = ()


class DataFileError(Exception):
    """A data file that cannot be loaded; ``problems`` are ``(path, message)`` pairs."""

    def __init__(self, file: str, problems: list[tuple[str, str]]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(
            "\n".join(
                f"{file}: {path}: {message}" if path else f"{file}: {message}"
                for path, message in problems
            )
        )


# --- the JSON forms of the values ----------------------------------------------------------


def _object(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError("expected an object")
    return value


def _parsed(parse: Callable[[str], T], expected: str) -> Callable[[Any, Any], T]:
    """A hook parsing a string with ``parse``; anything else is not ``expected``."""

    def structure(value: Any, _type: Any) -> T:
        try:
            if type(value) is str:
                return parse(value)
        except (ValueError, ArithmeticError):
            pass
        raise ValueError(f"expected {expected}")

    return structure


def _decimal(text: str) -> Decimal:
    number = Decimal(text)
    if not number.is_finite():
        raise ValueError(text)
    return number


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.utcoffset() is None:
        raise ValueError(text)
    return moment


_amount = _parsed(_decimal, 'an amount as a string, such as "12.50"')


def _number(value: Any, type_: Any) -> Decimal:
    return Decimal(value) if type(value) is int else _amount(value, type_)


@functools.cache
def _members(enum_type: type[Enum]) -> tuple[dict[str, Enum], str]:
    """By value; an order status by its name in lower case too."""
    members = {str(member.value): member for member in enum_type}
    choices = ", ".join(members)
    if enum_type is OrderStatus:
        members.update({member.name.lower(): member for member in enum_type})
        choices += ' (or a name in lower case, such as "approved")'
    return members, choices


def _enum(value: Any, enum_type: type[Enum]) -> Enum:
    members, choices = _members(enum_type)
    if type(value) is str and value in members:
        return members[value]
    raise ValueError(f"expected one of: {choices}")


def _mapping(type_: Any) -> Hook:
    strings = get_args(type_)[1] is str

    def structure(value: Any, _type: Any) -> Mapping[str, Any]:
        if type(value) is not dict or (strings and any(type(v) is not str for v in value.values())):
            raise TypeError("expected an object of strings" if strings else "expected an object")
        return value

    return structure


def _sequence(type_: Any) -> Hook:
    list_type: Any = list[get_args(type_)[0]]  # type: ignore[misc]  # a type made at run time
    items = list_structure_factory(list_type, _converter)

    def structure(value: Any, _type: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise TypeError("expected a list")
        return tuple(items(value, list))

    return structure


def _record(
    cls: type[T], rename: Mapping[str, str] | None = None, **hooks: Hook | None
) -> Callable[[Any, Any], T]:
    """``cls`` from a JSON object: unknown keys refused, each field checked by the domain's
    validator as it is structured (so its path names it). A ``None`` hook leaves a field
    out of the file."""
    record: Any = cls
    rename = rename or {}
    overrides: dict[str, Any] = {}
    for field in attrs.fields(attrs.resolve_types(record)):
        hook = hooks.get(field.name)
        if field.name in hooks and hook is None:
            overrides[field.name] = override(omit=True)
            continue
        if field.validator is not None:
            hook = _validated(
                field, field.validator, hook or _converter.get_structure_hook(field.type)
            )
        if hook is not None or field.name in rename:
            overrides[field.name] = override(rename=rename.get(field.name), struct_hook=hook)
    generated = make_dict_structure_fn(
        cls,
        _converter,
        _cattrs_forbid_extra_keys=True,
        _cattrs_detailed_validation=True,
        **overrides,
    )

    def structure(value: Any, type_: Any) -> T:
        return generated(_object(value), type_)

    return structure


def _validated(
    field: attrs.Attribute[Any], validator: Callable[[Any, Any, Any], Any], hook: Hook
) -> Hook:
    def structure(value: Any, type_: Any) -> Any:
        structured = hook(value, type_)
        validator(None, field, structured)
        return structured

    return structure


# The library's converter (strict int, str and bool), checking every field. The hooks above
# find it here when they are called.
_converter = wire_converter.copy(detailed_validation=True)
_converter.register_structure_hook(Decimal, _number)
_converter.register_structure_hook(
    datetime,
    _parsed(_aware, 'an ISO 8601 date-time with a time zone, such as "2025-01-31T10:00:00Z"'),
)
_converter.register_structure_hook(date, _parsed(date.fromisoformat, 'a date such as "2025-03-20"'))
_converter.register_structure_hook(time, _parsed(time.fromisoformat, 'a time such as "09:00"'))
_converter.register_structure_hook(uuid.UUID, _parsed(uuid.UUID, "a UUID"))
_converter.register_structure_hook(
    Currency,
    _parsed(
        lambda code: Currency(code=code), 'an ISO 4217 currency code in capitals, such as "TRY"'
    ),
)
_converter.register_structure_hook(Iban, _parsed(Iban, "an IBAN"))
_converter.register_structure_hook(Enum, _enum)  # and so every enum
_converter.register_structure_hook_factory(
    lambda t: getattr(t, "__origin__", None) is Mapping, _mapping
)
_converter.register_structure_hook_factory(
    lambda t: getattr(t, "__origin__", None) is tuple, _sequence
)
_converter.register_structure_hook_factory(attrs.has, _record)
_converter.register_structure_hook(
    DemoData, _record(DemoData, rename=_FILE_KEYS, cancellation_requests=None)
)


# --- problems --------------------------------------------------------------------------------


def _problems(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    """``(path, message)`` for every leaf of a cattrs validation error."""
    if isinstance(exc, cattrs.ClassValidationError | cattrs.IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            if isinstance(note, cattrs.AttributeValidationNote):
                step = f"{path}.{note.name}" if path else _FILE_KEYS.get(note.name, note.name)
            else:
                step = f"{path}[{note.index}]"
            yield from _problems(inner, step)
        for inner in without:
            yield from _problems(inner, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        yield path, "unknown field(s): " + ", ".join(sorted(exc.extra_fields))
    elif isinstance(exc, KeyError):
        yield path, "required field missing"
    else:
        yield path, str(exc)


_FAILURES = (cattrs.BaseValidationError, TypeError, ValueError, KeyError)


def _duplicates(path: str, what: str, keys: list[Any]) -> Iterator[tuple[str, str]]:
    seen: dict[Any, int] = {}
    for index, key in enumerate(keys):
        if key in seen:
            yield f"{path}[{index}]", f"{what} {key!r} also at {path}[{seen[key]}]"
        seen.setdefault(key, index)


def _unique_keys(data: DemoData) -> Iterator[tuple[str, str]]:
    yield from _duplicates("orders", "order number", [o.number for o in data.orders])
    yield from _duplicates("orders", "order pk", [o.pk for o in data.orders])
    yield from _duplicates("cancellation_reasons", "reason pk", [r.pk for r in data.reasons])
    yield from _duplicates(
        "easy_return_shipping_companies",
        "shipping company pk",
        [c.pk for c in data.shipping_companies],
    )
    yield from _duplicates("addresses", "address pk", [a.pk for a in data.addresses])
    taken: set[int] = set()
    for index, order in enumerate(data.orders):
        for position, item in enumerate(order.items):
            if item.pk in taken:
                yield f"orders[{index}].items[{position}].pk", f"item pk {item.pk} is taken"
            taken.add(item.pk)


# --- cancellation requests: they name other records by pk ----------------------------------


def _known(records: Mapping[int, T], what: str) -> Callable[[Any, Any], T]:
    def structure(value: Any, _type: Any) -> T:
        pk = _converter.structure(value, int)
        if pk not in records:
            raise ValueError(f"no {what} {pk}")
        return records[pk]

    return structure


def _request_hook(data: DemoData) -> Callable[[Any, Any], CancellationRequest]:
    """A request as the file writes it: its item, reason, pickup address and easy-return
    carrier by pk; its order is its item's, its ``created_date`` by default the order's
    ``modified_date``; its ``id`` is the store's."""
    item_order = _known({i.pk: o for o in data.orders for i in o.items}, "order item")
    reason = _known({r.pk: r for r in data.reasons}, "cancellation reason")
    address = _known({a.pk: a for a in data.addresses}, "address")
    easy_return = _record(
        EasyReturn,
        shipping_company=_known(
            {c.pk: c for c in data.shipping_companies}, "easy-return shipping company"
        ),
    )
    generated = _record(
        CancellationRequest,
        id=None,
        # Read from the item's key, so that the file cannot write it.
        rename={"order": "order_item"},
        order=lambda pk, _type: item_order(pk, int).pk,
        reason=lambda pk, _type: reason(pk, int).pk,
        pickup_address=lambda pk, _type: None if pk is None else address(pk, int).pk,
        easy_return=lambda raw, _type: None if raw is None else easy_return(raw, EasyReturn),
    )

    def structure(value: Any, type_: Any) -> CancellationRequest:
        raw = _object(value)
        try:
            order = item_order(raw["order_item"], int)
        except (KeyError, TypeError, ValueError) as error:
            # Its order and default time are its item's: without one, only that is reported.
            error.add_note(cattrs.AttributeValidationNote("", "order_item", int))
            raise cattrs.ClassValidationError("", [error], CancellationRequest) from None
        return generated({"created_date": order.modified_date.isoformat(), **raw}, type_)

    return structure


def _requests(data: DemoData, raw: Any) -> tuple[list[CancellationRequest], list[tuple[str, str]]]:
    if type(raw) is not list:
        return [], [(_REQUESTS, "expected a list")]
    structure = _request_hook(data)
    requests: list[CancellationRequest] = []
    problems: list[tuple[str, str]] = []
    active: dict[int, int] = {}
    for index, value in enumerate(raw):
        path = f"{_REQUESTS}[{index}]"
        try:
            request = structure(value, CancellationRequest)
        except _FAILURES as error:
            problems += _problems(error, path)
            continue
        if request.is_active:
            if request.order_item in active:
                problems.append(
                    (
                        f"{path}.order_item",
                        (
                            f"item {request.order_item} already has an active request "
                            f"({_REQUESTS}[{active[request.order_item]}])"
                        ),
                    )
                )
            active[request.order_item] = index
        requests.append(request)
    return requests, problems


# --- entry points --------------------------------------------------------------------------


def load_data(document: Any, *, source: str = "<data>") -> DemoData:
    """Check a parsed data document and turn it into domain objects.

    Raises :class:`DataFileError` naming ``source`` and the path of every problem.
    """
    raw_requests: Any = []
    if type(document) is dict:
        document = dict(document)
        raw_requests = document.pop(_REQUESTS, [])
    try:
        data = _converter.structure(document, DemoData)
    except _FAILURES as error:
        # cattrs groups every field's failure in one error; the top level fails alone.
        raise DataFileError(source, list(_problems(error, ""))) from None
    requests, problems = _requests(data, raw_requests)
    problems = [*_unique_keys(data), *problems]
    if problems:
        raise DataFileError(source, problems)
    return attrs.evolve(data, cancellation_requests=tuple(requests))


def load_data_file(path: str | Path) -> DemoData:
    """Read and check a data file (format: ``docs/demo-data.md``). All or nothing."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        message = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise DataFileError(source, [("", f"cannot read the file: {message}")]) from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        detail = (
            f"{error.msg} at line {error.lineno}, column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else "too deeply nested"
        )
        raise DataFileError(source, [("", f"not valid JSON: {detail}")]) from None
    return load_data(document, source=source)
