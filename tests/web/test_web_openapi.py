"""The OpenAPI document: the committed copy is what the app serves, and the live app keeps
every promise it makes (schemathesis, in process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs are installed for it
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from guest_orders import wire
from guest_orders.adapters.web import create_app, openapi_document
from guest_orders.wire.openapi import openapi_bytes
from web._web_support import REPO_ROOT, AppClient, make_service

COMMITTED = REPO_ROOT / "docs" / "openapi.json"
REGENERATE = "regenerate it with: guest-orders openapi --output docs/openapi.json"

# IBANs with valid check digits, so more generated requests get past parsing.
schemathesis.openapi.format(
    "iban",
    st.sampled_from(
        ["TR330006100519786457841326", "DE89370400440532013000", "GB82WEST12345698765432"]
    ),
)

app = create_app(make_service())
# Each operation once: the slash-less paths are aliases of the slashed ones (checked
# below by test_the_slashless_paths_are_aliases), not operations of their own.
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"^/users/.*[^/]$")


def test_the_committed_document_is_what_the_app_serves() -> None:
    served = AppClient(app).get("/openapi.json").content
    assert COMMITTED.read_bytes() == served, REGENERATE


def test_openapi_document_equals_the_served_one() -> None:
    assert openapi_document(make_service()) == AppClient(app).get("/openapi.json").content


def test_the_committed_document_is_what_the_code_generates() -> None:
    assert COMMITTED.read_bytes() == openapi_bytes(wire.openapi_document()), REGENERATE


def test_the_committed_lookup_schema_is_what_the_code_generates() -> None:
    committed = REPO_ROOT / "docs/schemas/lookup-response.schema.json"
    assert committed.read_bytes() == openapi_bytes(wire.lookup_response_schema()), (
        "regenerate it with: guest-orders response-schema "
        "--output docs/schemas/lookup-response.schema.json"
    )


def test_a_lookup_response_is_valid_against_the_documented_schema() -> None:
    documented = json.loads((REPO_ROOT / "docs/schemas/lookup-response.schema.json").read_text())
    response = AppClient(app).post(
        "/users/orders/anonymous/",
        json={"number": "2745403029312173", "email": "can.ozturk@example.com"},
    )
    jsonschema.validate(response.json(), documented)


def test_the_document_is_openapi_3_1() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/users/orders/anonymous/",
        "/users/orders/anonymous",
        "/users/orders/anonymous/cancellation_requests/",
        "/users/orders/anonymous/cancellation_requests",
        "/users/orders/anonymous/bulk_cancellation_requests/",
        "/users/orders/anonymous/bulk_cancellation_requests",
        "/users/orders/cancellation_reasons/",
        "/users/orders/cancellation_reasons",
        "/openapi.json",
    }


def _aliases(document: dict[str, Any]) -> list[str]:
    return [path for path in document["paths"] if path.startswith("/users/") and path[-1] != "/"]


def _without_operation_id(operations: dict[str, Any]) -> dict[str, Any]:
    return {
        method: {key: value for key, value in operation.items() if key != "operationId"}
        for method, operation in operations.items()
    }


_ALIAS_BODIES: list[dict[str, Any]] = [
    {},
    {"number": "2745403029312173", "email": "can.ozturk@example.com"},
    {"number": "2745403029312173", "email": "not an email", "order_item": "x"},
    {"number": "0", "email": "nobody@example.com", "cancel_order_items": []},
]


def test_the_slashless_paths_are_aliases() -> None:
    """Every path documented without its trailing slash is the same operation as the
    slashed one, and the app answers it with the same status and bytes."""
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    aliases = _aliases(document)
    assert len(aliases) == 4
    client = AppClient(create_app(make_service()))  # a fresh app: no attempts counted yet
    for alias in aliases:
        slashed = document["paths"][f"{alias}/"]
        assert _without_operation_id(document["paths"][alias]) == _without_operation_id(slashed)
        for method in slashed:
            for body in _ALIAS_BODIES if method == "post" else [None]:
                slash, no_slash = (
                    client.request(method.upper(), path, json=body) for path in (f"{alias}/", alias)
                )
                assert (no_slash.status_code, no_slash.content) == (
                    slash.status_code,
                    slash.content,
                ), (alias, body)


# The uniform miss (`order_not_found`) shares status 400 with validation errors, so
# schemathesis' `positive_data_acceptance` (which wants no 400 for schema-valid data) cannot
# tell an accepted request for an unknown order from a rejected one. This check replaces it:
# a schema-valid body must get past parsing. It may still fail the rules that need stored
# data (no such order, an item already requested...) and what the document can only say in
# words: an IBAN's check digits, email-validator's rules (no special-use domains), and in a
# bulk request an item listed twice, an hour range ending before it starts, an image whose
# bytes are not of the type it declares.
_PARSE_CODES = frozenset(
    {
        "parse_error",
        "unsupported_media_type",
        "invalid",
        "required",
        "null",
        "blank",
        "empty",
        "invalid_type",
        "invalid_choice",
        "invalid_characters",
        "invalid_email",
        "invalid_iban",
        "invalid_date",
        "invalid_time",
        "min_value",
        "max_value",
        "max_length",
        "too_many_items",
        "too_many_images",
        "image_too_large",
        "duplicate_order_item",
        "invalid_hour_range",
        "invalid_image",
    }
)
_IN_WORDS = frozenset({"invalid_iban", "invalid_email"})
_IN_WORDS_BULK = frozenset({"duplicate_order_item", "invalid_hour_range", "invalid_image"})


def _codes(tree: object) -> set[str]:
    if isinstance(tree, str):
        return {tree}
    if isinstance(tree, dict):
        return set().union(*(_codes(value) for value in tree.values()))
    if isinstance(tree, list):
        return set().union(*(_codes(value) for value in tree))
    return set()


def _has_integral_float(value: object) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    if isinstance(value, dict):
        return any(_has_integral_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_integral_float(v) for v in value)
    return False


def schema_valid_requests_get_past_parsing(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code >= 500:
        return None
    if response.status_code not in {400, 413, 415}:
        return None
    refused = _codes(response.json()["codes"]) & _PARSE_CODES
    if _has_integral_float(case.body):
        # JSON Schema counts 2.0 as an integer; the service wants a JSON integer (2).
        refused.discard("invalid_type")
    refused -= _IN_WORDS
    if "bulk_cancellation_requests" in case.operation.path:
        refused -= _IN_WORDS_BULK
    if refused:
        raise AssertionError(f"a schema-valid request was refused: {response.json()['codes']}")
    return None


@schema.parametrize()
@settings(  # max_examples from the Hypothesis profile: 50 by default, more in CI
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_app_keeps_the_document(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance],
        additional_checks=[schema_valid_requests_get_past_parsing],
    )


def test_the_commands_write_the_committed_copies(tmp_path: Path) -> None:
    from guest_orders.cli import main  # noqa: PLC0415  # needs the web extra, like this module

    assert main(["openapi", "--output", str(tmp_path / "openapi.json")]) == 0
    assert main(["response-schema", "--output", str(tmp_path / "schema.json")]) == 0
    assert (tmp_path / "openapi.json").read_bytes() == COMMITTED.read_bytes()
    committed_schema = REPO_ROOT / "docs/schemas/lookup-response.schema.json"
    assert (tmp_path / "schema.json").read_bytes() == committed_schema.read_bytes()
