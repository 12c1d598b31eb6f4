"""The demo data file: a JSON document of orders, reasons, carriers, addresses and
requests, checked field by field with the library's cattrs converter.

The format is documented in ``docs/demo-data.md``; the built-in sample
(``sample-data.json`` next to this module) is a complete example. A file is loaded whole
or not at all: every problem is reported with its path (``orders[2].items[0].price``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Any, NewType, TypeVar

import attrs
import cattrs
from cattrs.cols import list_structure_factory
from cattrs.errors import ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override

from guest_orders.domain import (
    Address,
    Bank,
    CancellationReason,
    CancellationRequest,
    CancellationRequestStatus,
    CancellationType,
    Currency,
    Customer,
    CustomerKind,
    EasyReturn,
    EasyReturnShippingCompany,
    Order,
    OrderItem,
    OrderStatus,
    OrderType,
    PaymentType,
    Product,
    ShippingCompany,
)
from guest_orders.wire.converter import converter as wire_converter

__all__ = ["DataFileError", "DemoData", "load_data", "load_data_file"]

E = TypeVar("E", bound=Enum)

#: A non-negative amount, written as a string ("12.50") or an integer.
Money = NewType("Money", Decimal)
#: An integer of at least 1.
Positive = NewType("Positive", int)
#: A string that is not empty.
NonEmpty = NewType("NonEmpty", str)


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


# --- the file's shape ----------------------------------------------------------------------
# Records the file writes as the domain does (products, customers, banks, carriers,
# addresses) are structured straight into the domain classes. These are the others: their
# defaults or values differ, or they refer to other records by pk. Field names are the
# domain's.


@attrs.frozen(kw_only=True)
class _Item:
    pk: int
    status: OrderStatus
    quantity: Positive = Positive(1)
    price: Money
    product: Product
    delivered_date: datetime | None = None


_ZERO = Money(Decimal("0.00"))


@attrs.frozen(kw_only=True)
class _Order:
    pk: int
    number: NonEmpty
    customer: Customer
    user_email: str
    status: OrderStatus
    currency: Currency
    payment_type: PaymentType
    amount: Money
    discount_amount: Money = _ZERO
    shipping_amount: Money = _ZERO
    shipping_tax_rate: Money | None = None
    refund_amount: Money = _ZERO
    discount_refund_amount: Money = _ZERO
    shipping_refund_amount: Money = _ZERO
    installment_count: Positive = Positive(1)
    installment_interest_amount: Money = _ZERO
    order_type: OrderType | None = None
    tracking_url: str | None = None
    tracking_number: str | None = None
    invoice_number: str | None = None
    invoice_date: datetime | None = None
    e_archive_url: str | None = None
    has_gift_box: bool | None = None
    gift_box_note: str | None = None
    notes: str | None = None
    bin_number: str | None = None
    shipping_company: ShippingCompany | None = None
    bank: Bank | None = None
    extra_field: dict[str, Any] | None = None
    created_date: datetime
    modified_date: datetime | None = None
    items: list[_Item]


_Subject = NewType("_Subject", str)


@attrs.frozen(kw_only=True)
class _Reason:
    pk: int
    subject: _Subject
    cancellation_type: CancellationType
    is_active: bool = True
    extra_information_needed: bool = False
    order: int = 0
    translations: dict[str, str] | None = None


@attrs.frozen(kw_only=True)
class _EasyReturn:
    code: str
    shipping_company: int


@attrs.frozen(kw_only=True)
class _Request:
    order_item: int
    reason: int
    cancellation_type: CancellationType
    status: CancellationRequestStatus = CancellationRequestStatus.WAITING
    description: str | None = None
    quantity: Positive | None = None
    easy_return: _EasyReturn | None = None
    created_date: datetime | None = None


@attrs.frozen(kw_only=True)
class _File:
    orders: list[_Order] = attrs.Factory(list)
    cancellation_reasons: list[_Reason] = attrs.Factory(list)
    easy_return_shipping_companies: list[EasyReturnShippingCompany] = attrs.Factory(list)
    addresses: list[Address] = attrs.Factory(list)
    cancellation_requests: list[_Request] = attrs.Factory(list)


# --- the converter ---------------------------------------------------------------------------


def _money(value: Any, _type: Any) -> Decimal:
    if type(value) is int:
        amount = Decimal(value)
    elif type(value) is str:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            amount = Decimal("NaN")
    else:
        raise TypeError('expected an amount as a string, such as "12.50"')
    if not amount.is_finite() or amount < 0:
        raise ValueError('expected a non-negative amount, such as "12.50"')
    return amount


def _positive(value: Any, _type: Any) -> int:
    if type(value) is not int or value < 1:
        raise ValueError("expected an integer of at least 1")
    return value


def _non_empty(value: Any, _type: Any) -> str:
    if type(value) is not str or not value:
        raise ValueError("expected a non-empty string")
    return value


def _currency(value: Any, _type: Any) -> Currency:
    if type(value) is not str or not re.fullmatch("[A-Z]{3}", value):
        raise ValueError('expected an ISO 4217 currency code in capitals, such as "TRY"')
    return Currency(code=value)


def _subject(value: Any, _type: Any) -> str:
    if type(value) is not str or not 0 < len(value) <= 100:
        raise ValueError("expected a string of 1 to 100 characters")
    return value


def _datetime(value: Any, _type: Any) -> datetime:
    if type(value) is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.utcoffset() is not None:
            return parsed
    raise ValueError(
        'expected an ISO 8601 date-time with a time zone, such as "2025-01-31T10:00:00Z"'
    )


def _enum_hook(enum_type: type[E], *, by_name: bool = False) -> Callable[[Any, Any], E]:
    members: dict[str, E] = {str(member.value): member for member in enum_type}
    if by_name:
        members.update({member.name.lower(): member for member in enum_type})
    choices = ", ".join(str(member.value) for member in enum_type)
    if by_name:
        example = next(iter(enum_type)).name.lower()
        choices += f' (or a name in lower case, such as "{example}")'

    def structure(value: Any, _type: Any) -> E:
        if type(value) is str and value in members:
            return members[value]
        raise ValueError(f"expected one of: {choices}")

    return structure


def _object(value: Any, _type: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError("expected an object")
    return value


def _text_map(value: Any, _type: Any) -> dict[str, str]:
    if type(value) is not dict or not all(type(v) is str for v in value.values()):
        raise TypeError("expected an object of strings")
    return value


def _build() -> cattrs.Converter:
    # The library's converter (strict int, str and bool), checking every field and
    # refusing unknown keys.
    conv = wire_converter.copy(detailed_validation=True, forbid_extra_keys=True)
    conv.register_structure_hook(Money, _money)
    conv.register_structure_hook(datetime, _datetime)
    conv.register_structure_hook(Positive, _positive)
    conv.register_structure_hook(NonEmpty, _non_empty)
    conv.register_structure_hook(Currency, _currency)
    conv.register_structure_hook(_Subject, _subject)
    conv.register_structure_hook(OrderStatus, _enum_hook(OrderStatus, by_name=True))
    for enum_type in (
        CustomerKind,
        PaymentType,
        OrderType,
        CancellationType,
        CancellationRequestStatus,
    ):
        conv.register_structure_hook(enum_type, _enum_hook(enum_type))
    conv.register_structure_hook_func(lambda t: t == dict[str, Any], _object)
    conv.register_structure_hook_func(lambda t: t == dict[str, str], _text_map)

    def lists(list_type: Any) -> Callable[[Any, Any], Any]:
        items = list_structure_factory(list_type, conv)

        def structure(value: Any, type_: Any) -> Any:
            if type(value) is not list:
                raise TypeError("expected a list")
            return items(value, type_)

        return structure

    conv.register_structure_hook_factory(lambda t: getattr(t, "__origin__", None) is list, lists)
    # A carrier's value is checked here, so that an empty one is named by its path.
    overrides: dict[type, dict[str, Any]] = {
        ShippingCompany: {"value": override(struct_hook=_non_empty)}
    }
    # Innermost first: a class's generated function looks its fields' hooks up once.
    for cls in (
        ShippingCompany,
        Product,
        _Item,
        Customer,
        Bank,
        _Order,
        _Reason,
        EasyReturnShippingCompany,
        Address,
        _EasyReturn,
        _Request,
        _File,
    ):
        generated = make_dict_structure_fn(cls, conv, **overrides.get(cls, {}))

        def structure(value: Any, type_: Any, generated: Any = generated) -> Any:
            if type(value) is not dict:
                raise TypeError("expected an object")
            return generated(value, type_)

        conv.register_structure_hook(cls, structure)
    return conv


_converter = _build()


def _problems(exc: BaseException, path: str) -> Iterator[tuple[str, str]]:
    """``(path, message)`` for every leaf of a cattrs validation error."""
    if isinstance(exc, cattrs.ClassValidationError | cattrs.IterableValidationError):
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            if isinstance(note, cattrs.AttributeValidationNote):
                step = f"{path}.{note.name}" if path else note.name
            else:
                index = note.index
                step = f"{path}[{index}]" if type(index) is int else f"{path}[{json.dumps(index)}]"
            yield from _problems(inner, step)
        for inner in without:
            yield from _problems(inner, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        yield path, "unknown field(s): " + ", ".join(sorted(exc.extra_fields))
    elif isinstance(exc, KeyError):
        yield path, "required field missing"
    else:
        yield path, str(exc)


# --- to domain objects ---------------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def unique(self, path: str, what: str, keys: list[Any]) -> None:
        seen: dict[Any, int] = {}
        for index, key in enumerate(keys):
            if key in seen:
                self.add(f"{path}[{index}]", f"{what} {key!r} also at {path}[{seen[key]}]")
            else:
                seen[key] = index


def _order(raw: _Order) -> Order:
    return Order(
        **{
            **attrs.asdict(raw, recurse=False),
            "modified_date": raw.modified_date or raw.created_date,
            "items": [OrderItem(**attrs.asdict(item, recurse=False)) for item in raw.items],
        }
    )


def _to_domain(raw: _File) -> DemoData | list[tuple[str, str]]:
    found = _Collector()
    found.unique("orders", "order number", [o.number for o in raw.orders])
    found.unique("orders", "order pk", [o.pk for o in raw.orders])
    found.unique("cancellation_reasons", "reason pk", [r.pk for r in raw.cancellation_reasons])
    found.unique(
        "easy_return_shipping_companies",
        "shipping company pk",
        [c.pk for c in raw.easy_return_shipping_companies],
    )
    found.unique("addresses", "address pk", [a.pk for a in raw.addresses])
    item_order: dict[int, Order] = {}
    orders: list[Order] = []
    for index, raw_order in enumerate(raw.orders):
        try:
            order = _order(raw_order)
        except ValueError as error:  # the domain's own invariants
            found.add(f"orders[{index}]", str(error))
            continue
        orders.append(order)
        for position, item in enumerate(order.items):
            if item.pk in item_order:
                found.add(f"orders[{index}].items[{position}].pk", f"item pk {item.pk} is taken")
            item_order[item.pk] = order
    reasons = [
        CancellationReason(**attrs.asdict(r, recurse=False)) for r in raw.cancellation_reasons
    ]
    companies = {c.pk: c for c in raw.easy_return_shipping_companies}
    requests = _requests(raw, item_order, {r.pk for r in reasons}, companies, found)
    if found.problems:
        return found.problems
    return DemoData(
        orders=tuple(orders),
        reasons=tuple(reasons),
        shipping_companies=tuple(companies.values()),
        addresses=tuple(raw.addresses),
        cancellation_requests=tuple(requests),
    )


def _requests(
    raw: _File,
    item_order: Mapping[int, Order],
    reason_pks: set[int],
    companies: Mapping[int, EasyReturnShippingCompany],
    found: _Collector,
) -> list[CancellationRequest]:
    requests: list[CancellationRequest] = []
    active: dict[int, int] = {}
    for index, r in enumerate(raw.cancellation_requests):
        path = f"cancellation_requests[{index}]"
        order = item_order.get(r.order_item)
        if order is None:
            found.add(f"{path}.order_item", f"no order has an item {r.order_item}")
        if r.reason not in reason_pks:
            found.add(f"{path}.reason", f"no cancellation reason {r.reason}")
        company = None
        if r.easy_return is not None:
            company = companies.get(r.easy_return.shipping_company)
            if company is None:
                found.add(
                    f"{path}.easy_return.shipping_company",
                    f"no easy-return shipping company {r.easy_return.shipping_company}",
                )
        if r.status.is_active:
            if r.order_item in active:
                found.add(
                    f"{path}.order_item",
                    f"item {r.order_item} already has an active request "
                    f"(cancellation_requests[{active[r.order_item]}])",
                )
            active[r.order_item] = index
        if order is None or found.problems:
            continue
        created = r.created_date or order.modified_date
        requests.append(
            CancellationRequest(
                uuid=uuid.uuid4(),
                order=order.pk,
                order_item=r.order_item,
                reason=r.reason,
                cancellation_type=r.cancellation_type,
                status=r.status,
                description=r.description,
                quantity=r.quantity,
                easy_return=(
                    EasyReturn(code=r.easy_return.code, shipping_company=company)
                    if r.easy_return is not None and company is not None
                    else None
                ),
                created_date=created,
                modified_date=created,
            )
        )
    return requests


# --- entry points --------------------------------------------------------------------------


def load_data(document: Any, *, source: str = "<data>") -> DemoData:
    """Check a parsed data document and turn it into domain objects.

    Raises :class:`DataFileError` naming ``source`` and the path of every problem.
    """
    try:
        raw = _converter.structure(document, _File)
    except (cattrs.BaseValidationError, TypeError, ValueError, KeyError) as error:
        # cattrs groups every field's failure in one error; the top level fails alone.
        raise DataFileError(source, list(_problems(error, ""))) from None
    result = _to_domain(raw)
    if isinstance(result, list):
        raise DataFileError(source, result)
    return result


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
