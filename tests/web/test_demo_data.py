"""The demo data: the built-in sample, the data file loader and the example requests."""

from __future__ import annotations

import copy
import json
import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guest_orders.adapters.web import create_app
from guest_orders.demo import (
    DataFileError,
    DemoData,
    curl_command,
    demo_requests,
    describe_orders,
    load_data,
    load_data_file,
    sample_data,
    sample_data_text,
)
from guest_orders.domain import CustomerKind, PaymentType
from guest_orders.policy import Policy
from web._web_support import REPO_ROOT, AppClient, make_service, sample_store

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
Document = dict[str, Any]


def sample_document() -> Document:
    document: Document = json.loads(sample_data_text())
    return document


def problems_of(document: Document) -> list[tuple[str, str]]:
    with pytest.raises(DataFileError) as raised:
        load_data(document, source="shop.json")
    return raised.value.problems


# --- the built-in sample --------------------------------------------------------------------


def test_the_sample_has_what_the_demo_shows() -> None:
    data = sample_data()
    kinds = [order.customer.kind for order in data.orders]
    assert kinds.count(CustomerKind.GUEST) == 4
    assert kinds.count(CustomerKind.REGISTERED) == 1
    assert any(order.payment_type is PaymentType.PAY_ON_DELIVERY for order in data.orders)
    assert [r.order_item for r in data.cancellation_requests if r.is_active] == [4001]
    assert {reason.cancellation_type.value for reason in data.reasons} == {"cancel", "refund"}
    assert any(not company.is_active for company in data.shipping_companies)


def test_describe_orders_names_every_order() -> None:
    lines = describe_orders(sample_data(), policy=Policy(), now=NOW)
    assert len(lines) == 5
    assert "can be cancelled" in lines[0]
    assert "can be refunded" in lines[1]
    assert "IBAN" in lines[2]
    assert "active request" in lines[3]
    assert "never found" in lines[4]


# --- the loader -----------------------------------------------------------------------------


def _set(path: list[Any], value: Any) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        node = document
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


def _delete(path: list[Any]) -> Callable[[Document], None]:
    def change(document: Document) -> None:
        node = document
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return change


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (_set(["orders", 2, "items", 0, "price"], 12.5), "orders[2].items[0].price", "amount"),
        (_set(["orders", 2, "items", 0, "price"], "-1.00"), "orders[2].items[0].price", "non-neg"),
        (_set(["orders", 2, "items", 0, "price"], "abc"), "orders[2].items[0].price", "amount"),
        (_set(["orders", 0, "items", 1, "quantity"], 0), "orders[0].items[1].quantity", "least 1"),
        (
            _set(["orders", 0, "items", 1, "quantity"], value=True),
            "orders[0].items[1].quantity",
            "",
        ),
        (_set(["orders", 1, "status"], "bogus"), "orders[1].status", "one of"),
        (
            _set(["orders", 1, "created_date"], "2025-01-01T00:00:00"),
            "orders[1].created_date",
            "time zone",
        ),
        (_set(["orders", 1, "currency"], "try"), "orders[1].currency", "ISO 4217"),
        (_set(["orders", 1, "number"], ""), "orders[1].number", "non-empty"),
        (_set(["orders", 1, "pk"], "1"), "orders[1].pk", "int"),
        (_set(["orders", 3, "colour"], "red"), "orders[3]", "unknown field(s): colour"),
        (_delete(["orders", 4, "user_email"]), "orders[4].user_email", "required field missing"),
        (_set(["orders", 0, "items"], {}), "orders[0].items", "list"),
        (_set(["orders", 0, "items", 0], "x"), "orders[0].items[0]", "object"),
        (_set(["orders", 0, "customer", "kind"], "vip"), "orders[0].customer.kind", "guest"),
        (
            _set(["cancellation_reasons", 0, "subject"], "x" * 101),
            "cancellation_reasons[0].subject",
            "100",
        ),
        (
            _set(["cancellation_reasons", 0, "translations"], {"tr": 1}),
            "cancellation_reasons[0].translations",
            "strings",
        ),
        (_set(["addresses"], "x"), "addresses", "list"),
        (_set(["typo"], []), "", "unknown field(s): typo"),
    ],
)
def test_a_bad_field_is_named_by_its_path(
    change: Callable[[Document], None], path: str, message: str
) -> None:
    document = sample_document()
    change(document)
    problems = problems_of(document)
    assert [p for p, _ in problems] == [path]
    assert message in problems[0][1]


def test_every_problem_is_reported_at_once() -> None:
    document = sample_document()
    document["orders"][2]["items"][0]["price"] = 12.5
    document["orders"][0]["status"] = "bogus"
    document["easy_return_shipping_companies"][1]["shipping_company"]["value"] = ""
    paths = {path for path, _ in problems_of(document)}
    assert paths == {
        "orders[0].status",
        "orders[2].items[0].price",
        "easy_return_shipping_companies[1].shipping_company.value",
    }


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (_set(["orders", 1, "number"], "2745403029312170"), "orders[1]", "also at orders[0]"),
        (_set(["orders", 1, "items", 0, "pk"], 1001), "orders[1].items[0].pk", "taken"),
        (_set(["orders", 1, "items", 1, "pk"], 2001), "orders[1].items", "distinct"),
        (_set(["addresses", 1, "pk"], 1), "addresses[1]", "also at addresses[0]"),
        (
            _set(["cancellation_requests", 0, "order_item"], 9),
            "cancellation_requests[0].order_item",
            "no order",
        ),
        (
            _set(["cancellation_requests", 0, "reason"], 99),
            "cancellation_requests[0].reason",
            "no cancellation reason",
        ),
        (
            _set(["cancellation_requests", 0, "easy_return", "shipping_company"], 9),
            "cancellation_requests[0].easy_return.shipping_company",
            "no easy-return",
        ),
    ],
)
def test_references_and_keys_are_checked(
    change: Callable[[Document], None], path: str, message: str
) -> None:
    document = sample_document()
    change(document)
    problems = problems_of(document)
    assert [p for p, _ in problems] == [path]
    assert message in problems[0][1]


def test_an_item_has_at_most_one_active_request() -> None:
    document = sample_document()
    document["cancellation_requests"].append(copy.deepcopy(document["cancellation_requests"][0]))
    assert problems_of(document) == [
        (
            "cancellation_requests[1].order_item",
            "item 4001 already has an active request (cancellation_requests[0])",
        )
    ]
    document["cancellation_requests"][1]["status"] = "rejected"
    assert len(load_data(document).cancellation_requests) == 2


def test_a_minimal_file_and_defaults() -> None:
    assert load_data({}) == DemoData()
    order = sample_document()["orders"][0]
    for optional in ("order_type", "bin_number", "bank", "notes"):
        del order[optional]
    (loaded,) = load_data({"orders": [order]}).orders
    assert loaded.modified_date == loaded.created_date
    assert loaded.bank is None


def test_status_names_are_accepted_too() -> None:
    document = sample_document()
    document["orders"][0]["items"][0]["status"] = "approved"
    assert load_data(document).orders[0].items[0].status.value == "400"


def test_load_data_file(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(sample_data_text(), encoding="utf-8")
    assert len(load_data_file(good).orders) == 5

    bad = tmp_path / "bad.json"
    document = sample_document()
    document["orders"][2]["items"][0]["price"] = 12.5
    bad.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(DataFileError) as raised:
        load_data_file(bad)
    assert str(raised.value).startswith(f"{bad}: orders[2].items[0].price: ")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the file"),
        (b"{", "not valid JSON: Expecting property name"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[]", "expected an object"),
        (b"[" * 100_000, "not valid JSON"),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "shop.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(DataFileError) as raised:
        load_data_file(path)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


# --- the example requests -------------------------------------------------------------------


def _send(client: AppClient, request: Any) -> int:
    if request.method == "GET":
        return client.get(request.path).status_code
    if request.form is not None:
        return client.post(request.path, data=dict(request.form)).status_code
    return client.post(request.path, json=dict(request.json)).status_code


def test_the_example_requests_succeed_against_the_sample() -> None:
    requests = demo_requests(sample_data(), policy=Policy(), now=NOW)
    assert [(r.method, r.path, r.form is not None) for r in requests] == [
        ("POST", "/users/orders/anonymous/", False),
        ("POST", "/users/orders/anonymous", True),
        ("POST", "/users/orders/anonymous/cancellation_requests/", False),
        ("POST", "/users/orders/anonymous/bulk_cancellation_requests/", False),
        ("GET", "/users/orders/cancellation_reasons/", False),
    ]
    client = AppClient()
    assert [_send(client, r) for r in requests] == [200, 200, 201, 201, 200]


def test_the_example_requests_adapt_to_the_data() -> None:
    # Only the cash-paid order is left: its refund needs a bank account.
    document = sample_document()
    document["orders"] = [document["orders"][2]]
    document["cancellation_requests"] = []
    data = load_data(document)
    requests = demo_requests(data, policy=Policy(), now=NOW)
    assert [r.path for r in requests][-2:] == [
        "/users/orders/anonymous/bulk_cancellation_requests/",
        "/users/orders/cancellation_reasons/",
    ]
    bulk = requests[-2].json
    assert bulk is not None
    assert bulk["cancel_order_items"][0]["iban"]
    client = AppClient(create_app(make_service(store=sample_store(data))))
    assert [_send(client, r) for r in requests] == [200, 200, 201, 200]


def test_no_guest_orders_leaves_only_the_reasons() -> None:
    document = sample_document()
    document["orders"] = [document["orders"][4]]
    document["cancellation_requests"] = []
    requests = demo_requests(load_data(document), policy=Policy(), now=NOW)
    assert [r.method for r in requests] == ["GET"]


def test_curl_commands_are_shell_quoted() -> None:
    requests = demo_requests(sample_data(), policy=Policy(), now=NOW)
    form = curl_command("http://127.0.0.1:8000/", requests[1])
    assert shlex.split(form) == [
        "curl",
        "-sS",
        "http://127.0.0.1:8000/users/orders/anonymous",
        "--data-urlencode",
        "number=2745403029312170",
        "--data-urlencode",
        "email=ayse.yilmaz@example.com",
    ]
    as_json = shlex.split(curl_command("http://h:1", requests[0]))
    assert as_json[3:5] == ["-H", "Content-Type: application/json"]
    assert json.loads(as_json[-1]) == {
        "number": "2745403029312170",
        "email": "ayse.yilmaz@example.com",
    }


def test_the_documented_example_loads() -> None:
    text = (REPO_ROOT / "docs/demo-data.md").read_text(encoding="utf-8")
    example = text.split("## Example", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    data = load_data(json.loads(example), source="docs/demo-data.md")
    assert [order.number for order in data.orders] == ["2745403029312171"]
    assert len(data.cancellation_requests) == 1


_json_leaves: st.SearchStrategy[Any] = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.just([])
    | st.just({})
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += _paths(value, (*prefix, index))
    return paths


_SAMPLE_PATHS = _paths(sample_document())[1:]


@given(changes=st.lists(st.tuples(st.sampled_from(_SAMPLE_PATHS), _json_leaves), max_size=3))
def test_any_damage_to_a_file_is_reported_with_a_path(
    changes: list[tuple[tuple[Any, ...], Any]],
) -> None:
    document = sample_document()
    for path, value in changes:
        node: Any = document
        try:
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    problems: list[tuple[str, str]] = []
    try:
        load_data(document, source="shop.json")
    except DataFileError as error:  # anything else escaping fails the test
        problems = error.problems
        assert problems
    assert all(isinstance(path, str) and message for path, message in problems)
