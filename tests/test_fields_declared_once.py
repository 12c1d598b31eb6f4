"""Every field of ``Order``, ``OrderItem`` and ``CancellationRequest`` reaches every place
that must carry it, and a test names the place that does not.

The places: the SQL tables and the row mapping (``guest_orders/adapters/sqlalchemy``), the
committed response schema and OpenAPI document (``docs/``), the Hypothesis strategies of
the testing kit, and the demo data loader (it structures a file straight into the domain
classes: what it can miss is a hook for a field's type). A field is probed by setting it
to a value unlike its default (made from its type), so a new field is checked without
being named here.
"""

from __future__ import annotations

import json
import re
import types
import typing
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from guest_orders.adapters.sqlalchemy import _rows, _schema
from guest_orders.demo import load_data
from guest_orders.domain import (
    Address,
    Bank,
    CancellationReason,
    CancellationRequest,
    Currency,
    Customer,
    CustomerKind,
    EasyReturn,
    EasyReturnShippingCompany,
    Iban,
    ImageRef,
    Order,
    OrderItem,
    PickupDate,
    Product,
    ShippingCompany,
)
from guest_orders.testing import strategies
from guest_orders.wire.schema import SHAPES
from wire._wire_support import make_order, make_request

REPO_ROOT = Path(__file__).parents[1]
SCHEMA_FILE = "docs/schemas/lookup-response.schema.json"
OPENAPI_FILE = "docs/openapi.json"

# --- probes: a value of each type unlike the defaults ------------------------------------

_SHIPPING = ShippingCompany(value="probe", label="Probe")
_PROBES: dict[Any, Any] = {
    str: "probe-text",
    int: 424242,
    bool: True,
    Decimal: Decimal("4.20"),
    datetime: datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC),
    date: date(2031, 3, 4),
    time: time(7, 30),
    uuid.UUID: uuid.UUID(int=42),
    Iban: Iban("GB82WEST12345698765432"),
    ShippingCompany: _SHIPPING,
    Customer: Customer(id=4242, kind=CustomerKind.REGISTERED),
    Currency: Currency(code="EUR"),
    Product: Product(pk=4242, name="Probe", sku="PRB-1", image="probe.png"),
    Bank: Bank(pk=42, name="Probe", slug="probe", logo="probe.png"),
    EasyReturn: EasyReturn(
        code="PROBE42",
        shipping_company=EasyReturnShippingCompany(pk=42, shipping_company=_SHIPPING),
    ),
    PickupDate: PickupDate(date=date(2031, 3, 4), start=time(9), end=time(12)),
}


def _probe(tp: Any, current: Any) -> Any:
    """A value of type ``tp`` other than ``current``."""
    args = [arg for arg in typing.get_args(tp) if arg is not type(None)]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return _probe(args[0], current)
    if origin is tuple and args[0] is ImageRef:
        return (ImageRef(image="https://img.invalid/probe.png", description="probe"),)
    if origin is Mapping:
        return {"probe": "value"}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return next(member for member in tp if member != current)
    value = _PROBES[tp]
    if value == current and isinstance(value, int | Decimal):
        return (not value) if isinstance(value, bool) else value + 1
    return value


def probes(instance: Any, skip: Iterable[str] = ()) -> Iterable[tuple[str, Any]]:
    """``(field, instance with that field set to a probe)`` for every field of its class."""
    hints = typing.get_type_hints(type(instance))
    for field in attrs.fields(type(instance)):
        if field.name in skip:
            continue
        value = _probe(hints[field.name], getattr(instance, field.name))
        yield field.name, attrs.evolve(instance, **{field.name: value})


# --- the places ----------------------------------------------------------------------------


def order_round_trip(
    order: Order, order_row: Callable[[Order], dict[str, Any]] = _rows.order_row
) -> Order:
    """``order`` written as rows and read back, as the SQL store does."""
    head = order_row(order)
    rows = [
        {**head, **{f"{_rows.ITEM_PREFIX}{key}": value for key, value in item.items()}}
        for item in _rows.item_rows(order)
    ]
    return _rows.order_from_rows(rows)


def request_round_trip(request: CancellationRequest) -> CancellationRequest:
    row = {**_rows.request_row(request), "id": request.id}
    rows = [
        {**row, _rows.IMAGE: ref.image, _rows.IMAGE_DESCRIPTION: ref.description}
        for ref in request.images
    ] or [{**row, _rows.IMAGE: None, _rows.IMAGE_DESCRIPTION: None}]
    (back,) = _rows.requests_from_rows(rows)
    return back


def _schema_properties(cls: type, *, openapi: bool) -> set[str]:
    document = json.loads((REPO_ROOT / (OPENAPI_FILE if openapi else SCHEMA_FILE)).read_text())
    if openapi:
        return set(document["components"]["schemas"][cls.__name__]["properties"])
    name = "".join(f"_{c.lower()}" if c.isupper() else c for c in cls.__name__).lstrip("_")
    return set(document["$defs"][name]["properties"])


def missing_in_response(cls: type, *, openapi: bool = False) -> list[str]:
    shape = SHAPES[cls]
    rendered = _schema_properties(cls, openapi=openapi)
    place = OPENAPI_FILE if openapi else SCHEMA_FILE
    command = "openapi" if openapi else "response-schema"
    return [
        f"{place} has no {cls.__name__}.{field.name}: regenerate it with "
        f"guest-orders {command} --output {place}"
        for field in attrs.fields(cls)
        if field.name not in shape.omit and shape.rename.get(field.name, field.name) not in rendered
    ]


def missing_in_table(rows: dict[str, Any], table: Any, cls: type) -> list[str]:
    columns = set(table.c.keys())
    return [
        f"the SQL table {table.name} (guest_orders/adapters/sqlalchemy/_schema.py) has no "
        f"column {key!r} for {cls.__name__}"
        for key in rows
        if key not in columns
    ]


def lost_in_round_trip(
    instance: Any, round_trip: Callable[[Any], Any], place: str, skip: Iterable[str] = ()
) -> list[str]:
    lost = []
    for name, probe in probes(instance, skip):
        if getattr(round_trip(probe), name) != getattr(probe, name):
            lost.append(f"{place} loses {type(instance).__name__}.{name}")
    return lost


ROW_MAPPING = "the SQL row mapping (guest_orders/adapters/sqlalchemy/_rows.py)"


def order_problems(
    order_row: Callable[[Order], dict[str, Any]] = _rows.order_row,
) -> list[str]:
    order = make_order()
    problems = missing_in_table(order_row(order), _schema.orders, Order)
    problems += missing_in_table(next(_rows.item_rows(order)), _schema.order_items, OrderItem)
    problems += lost_in_round_trip(
        order, lambda o: order_round_trip(o, order_row), ROW_MAPPING, skip={"items"}
    )
    item = order.items[0]

    def item_round_trip(probe: OrderItem) -> OrderItem:
        with_probe = attrs.evolve(order, items=(probe, *order.items[1:]))
        return order_round_trip(with_probe, order_row).items[0]

    problems += lost_in_round_trip(item, item_round_trip, ROW_MAPPING)
    return problems


DEMO_LOADER = "the demo data loader (guest_orders/demo/_file.py)"


#: How a demo data file writes the values that are not JSON's own.
_FILE_FORMS: tuple[tuple[Any, Callable[[Any], Any]], ...] = (
    (Currency, lambda currency: currency.code),
    (Iban, lambda iban: iban.compact),
    (Enum, lambda member: str(member.value)),
    (Decimal | uuid.UUID, str),
    (date | time, lambda moment: moment.isoformat()),  # datetime too
)


def file_json(value: Any) -> Any:
    """``value`` as a demo data file writes it (``docs/demo-data.md``)."""
    for kind, form in _FILE_FORMS:
        if isinstance(value, kind):
            return form(value)
    if attrs.has(type(value)):
        return {f.name: file_json(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, tuple | list):
        return [file_json(element) for element in value]
    if isinstance(value, Mapping):
        return {key: file_json(element) for key, element in value.items()}
    return value


def demo_order_round_trip(order: Order) -> Order:
    (back,) = load_data({"orders": [file_json(order)]}, source=DEMO_LOADER).orders
    return back


def demo_request_round_trip(request: CancellationRequest) -> CancellationRequest:
    """``request`` written in a data file with the records it names, and loaded."""
    order = make_order(pk=request.order)
    order = attrs.evolve(order, items=[attrs.evolve(order.items[0], pk=request.order_item)])
    written = file_json(request)
    del written["id"], written["order"]  # the store's; its item's
    companies = []
    if request.easy_return is not None:
        companies = [file_json(request.easy_return.shipping_company)]
        written["easy_return"]["shipping_company"] = request.easy_return.shipping_company.pk
    reason = {"pk": request.reason, "subject": "Probe", "cancellation_type": "refund"}
    address = {"pk": request.pickup_address, "customer_id": order.customer.id}
    data = load_data(
        {
            "orders": [file_json(order)],
            "cancellation_reasons": [reason],
            "easy_return_shipping_companies": companies,
            "addresses": [] if request.pickup_address is None else [address],
            "cancellation_requests": [written],
        },
        source=DEMO_LOADER,
    )
    (back,) = data.cancellation_requests
    return back


# --- the tests -------------------------------------------------------------------------------


def test_every_order_field_is_stored_and_read_back() -> None:
    assert order_problems() == []


def test_every_request_field_is_stored_and_read_back() -> None:
    request = attrs.evolve(make_request(), id=7)
    problems = missing_in_table(
        _rows.request_row(request), _schema.cancellation_requests, CancellationRequest
    )
    problems += lost_in_round_trip(request, request_round_trip, ROW_MAPPING, skip={"id"})
    assert problems == []


@pytest.mark.parametrize("openapi", [False, True], ids=["response schema", "openapi"])
@pytest.mark.parametrize("cls", [Order, OrderItem, CancellationRequest], ids=lambda c: c.__name__)
def test_every_field_is_in_the_committed_response_schemas(cls: type, *, openapi: bool) -> None:
    assert missing_in_response(cls, openapi=openapi) == []


def test_the_demo_data_loader_keeps_every_field() -> None:
    order = make_order()
    problems = lost_in_round_trip(order, demo_order_round_trip, DEMO_LOADER, skip={"items"})

    def item_round_trip(probe: OrderItem) -> OrderItem:
        return demo_order_round_trip(attrs.evolve(order, items=[probe])).items[0]

    problems += lost_in_round_trip(order.items[0], item_round_trip, DEMO_LOADER)
    problems += lost_in_round_trip(
        make_request(), demo_request_round_trip, DEMO_LOADER, skip={"id"}
    )
    assert problems == []


def test_a_mapping_that_forgets_a_field_is_named() -> None:
    def forgetful_order_row(order: Order) -> dict[str, Any]:
        row = _rows.order_row(order)
        del row["notes"]
        return {**row, "notes": None, "nickname": "x"}

    table = "the SQL table orders (guest_orders/adapters/sqlalchemy/_schema.py)"
    assert order_problems(forgetful_order_row) == [
        f"{table} has no column 'nickname' for Order",
        f"{ROW_MAPPING} loses Order.notes",
    ]


def test_a_schema_without_a_field_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    shape = SHAPES[Order]
    monkeypatch.setitem(
        SHAPES, Order, attrs.evolve(shape, rename={**shape.rename, "notes": "remarks"})
    )
    regenerate = f"guest-orders response-schema --output {SCHEMA_FILE}"
    assert missing_in_response(Order) == [
        f"{SCHEMA_FILE} has no Order.notes: regenerate it with {regenerate}"
    ]


# --- the strategies --------------------------------------------------------------------------


#: Fields the strategies leave as they are on purpose: a request's ``id`` is the store's.
_LEFT_TO_THE_STORE = {(CancellationRequest, "id")}


def unset_by(values: list[Any], cls: type) -> list[str]:
    """The fields with a default that none of ``values`` sets to anything else."""
    return [
        f"{cls.__name__}.{field.name} is never set by the Hypothesis strategies "
        "(guest_orders/testing/strategies.py)"
        for field in attrs.fields(cls)
        if (cls, field.name) not in _LEFT_TO_THE_STORE
        and field.default is not attrs.NOTHING
        and not isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]
        and all(getattr(value, field.name) == field.default for value in values)
    ]


_DRAWS = settings(
    max_examples=150,  # a field set in one draw of eight is missed once in 10**8 runs
    database=None,
    deadline=None,
    phases=[Phase.generate],  # collecting, not failing: nothing to shrink
    suppress_health_check=list(HealthCheck),
)


def test_the_strategies_set_every_optional_field() -> None:
    drawn: dict[type, list[Any]] = {Order: [], OrderItem: [], CancellationRequest: []}

    @_DRAWS
    @given(order=strategies.orders(max_items=2))
    def draw_orders(order: Order) -> None:
        drawn[Order].append(order)
        drawn[OrderItem].extend(order.items)

    @_DRAWS
    @given(data=st.data())
    def draw_requests(data: st.DataObject) -> None:
        seed = data.draw(strategies.seeds(max_guest_orders=1, max_registered_orders=0))
        drawn[CancellationRequest].append(data.draw(strategies.cancellation_requests(seed)))

    draw_orders()
    draw_requests()
    assert [problem for cls, values in drawn.items() for problem in unset_by(values, cls)] == []


def test_a_strategy_that_forgets_a_field_is_named() -> None:
    orders = [attrs.evolve(make_order(), notes=None) for _ in range(3)]
    assert "Order.notes is never set" in " ".join(unset_by(orders, Order))


#: The record lists of a demo data file, as ``docs/demo-data.md`` heads their tables, and
#: the fields of their class a file cannot write.
DEMO_DATA_TABLES: dict[str, tuple[type, frozenset[str]]] = {
    "orders[]": (Order, frozenset()),
    "orders[].items[]": (OrderItem, frozenset()),
    "cancellation_reasons[]": (CancellationReason, frozenset()),
    "easy_return_shipping_companies[]": (EasyReturnShippingCompany, frozenset()),
    "addresses[]": (Address, frozenset()),
    "cancellation_requests[]": (CancellationRequest, frozenset({"id", "order"})),
}


def documented_fields(page: str) -> dict[str, set[str]]:
    """The field names of each ``### `list[]` `` section's table (its first column)."""
    found: dict[str, set[str]] = {}
    for section in re.split(r"^### ", page, flags=re.MULTILINE)[1:]:
        heading, _, body = section.partition("\n")
        names = found.setdefault(heading.strip().strip("`"), set())
        for line in body.splitlines():
            if line.startswith("| `"):
                names.update(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return found


def demo_data_page_problems(page: str) -> list[str]:
    """Each field the page's tables miss or name in vain, with its table."""
    documented = documented_fields(page)
    problems = [
        f"a table nobody loads: {heading}"
        for heading in documented.keys() - DEMO_DATA_TABLES.keys()
    ]
    for heading, (cls, not_written) in DEMO_DATA_TABLES.items():
        fields = {field.name for field in attrs.fields(cls)} - not_written
        names = documented.get(heading, set())
        problems += [
            f"docs/demo-data.md, {heading}: {name} is missing" for name in sorted(fields - names)
        ]
        problems += [
            f"docs/demo-data.md, {heading}: {name} is no field" for name in sorted(names - fields)
        ]
    return problems


DEMO_DATA_PAGE = REPO_ROOT / "docs" / "demo-data.md"


def test_the_demo_data_page_documents_every_field() -> None:
    """The tables of ``docs/demo-data.md`` name exactly the fields the loader takes."""
    assert demo_data_page_problems(DEMO_DATA_PAGE.read_text("utf-8")) == []


def test_a_page_without_a_field_is_named() -> None:
    page = DEMO_DATA_PAGE.read_text("utf-8").replace(", `bin_number`", "", 1)
    assert demo_data_page_problems(page) == ["docs/demo-data.md, orders[]: bin_number is missing"]
