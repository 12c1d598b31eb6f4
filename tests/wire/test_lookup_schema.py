"""The committed JSON Schema of the lookup response (docs/schemas/) and the renderer agree."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from guest_orders.domain import OrderSnapshot
from guest_orders.wire import render_lookup
from wire._wire_support import lookup_schema_validator, make_snapshot, snapshots

VALIDATOR = lookup_schema_validator()
SCHEMA: dict[str, Any] = VALIDATOR.schema


def _json(value: Any) -> Any:
    """Through JSON text and back, as a client receives it."""
    return json.loads(json.dumps(value))


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(snapshot=snapshots())
def test_rendered_lookups_validate_against_the_schema(snapshot: OrderSnapshot) -> None:
    body = _json(render_lookup(snapshot))
    errors = sorted(VALIDATOR.iter_errors(body), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(snapshot=snapshots())
def test_the_schema_names_exactly_the_rendered_fields(snapshot: OrderSnapshot) -> None:
    (order,) = render_lookup(snapshot)
    defs = SCHEMA["$defs"]
    assert set(order) == set(defs["order"]["required"]) == set(defs["order"]["properties"])
    for item in order["orderitem_set"]:
        assert set(item) == set(defs["order_item"]["required"])
        request = item["active_cancellation_request"]
        if request is not None:
            assert set(request) == set(defs["cancellation_request"]["required"])


@pytest.fixture(scope="module")
def valid_body() -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = _json(render_lookup(make_snapshot()))
    assert VALIDATOR.is_valid(body)
    return body


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda b: b[0].update(surprise=1), "an unknown field"),
        (lambda b: b[0].pop("amount"), "a missing field"),
        (lambda b: b[0].update(amount="12.5"), "money with one place"),
        (lambda b: b[0].update(amount=12.5), "money as a number"),
        (lambda b: b[0].update(amount="1e3"), "money in scientific notation"),
        (lambda b: b[0].update(created_date="2024-06-10T09:30:00+00:00"), "a datetime without Z"),
        (lambda b: b[0].update(created_date="2024-06-10 09:30:00Z"), "a datetime with a space"),
        (lambda b: b[0].update(order_type="gift"), "an unknown order type"),
        (lambda b: b[0]["status"].update(value="401"), "an unknown status"),
        (lambda b: b[0]["currency"].update(value="TRY"), "an upper-case currency value"),
        (lambda b: b[0].update(is_payable="false"), "a boolean as a string"),
        (lambda b: b.append(b[0]), "two orders"),
        (lambda b: b.clear(), "no order"),
    ],
)
def test_the_schema_is_strict(valid_body: list[dict[str, Any]], change: Any, why: str) -> None:
    body = copy.deepcopy(valid_body)
    change(body)
    assert not VALIDATOR.is_valid(body), why
