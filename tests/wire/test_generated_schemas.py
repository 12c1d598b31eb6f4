"""The schemas other integrations take from the wire contract: generated, standalone,
and true to what the parsers accept and the renderers write."""

from __future__ import annotations

import subprocess
import sys

import jsonschema  # type: ignore[import-untyped]  # no stubs are installed for it
import pytest

from guest_orders import wire
from guest_orders.policy import Policy
from guest_orders.wire import render_lookup, spec
from guest_orders.wire.openapi import OPERATIONS
from wire._wire_support import make_snapshot

VALID_SINGLE = {
    "number": "2745403029312170",
    "email": "ayse.yilmaz@example.com",
    "order_item": 1001,
    "reason": 1,
    "cancellation_type": "cancel",
}


def test_the_generator_needs_no_web_framework() -> None:
    script = (
        "import sys\n"
        "from guest_orders.wire import openapi_document, request_schema, response_schema\n"
        "openapi_document(); request_schema('lookup_guest_order')\n"
        "response_schema('lookup_guest_order')\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(  # noqa: S603  # our own interpreter, our own script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(done.stdout.split())
    assert not {"starlette", "uvicorn", "multipart", "sqlalchemy"} & loaded


def test_every_operation_has_its_schemas_and_paths_from_the_spec() -> None:
    document = wire.openapi_document()
    for operation in OPERATIONS:
        assert operation.method in document["paths"][operation.path]
        assert operation.method in document["paths"][operation.path.rstrip("/")]
        wire.response_schema(operation.operation_id)
        if operation.request is not None:
            jsonschema.Draft202012Validator.check_schema(
                wire.request_schema(operation.operation_id)
            )


def test_the_creations_document_the_idempotency_key_header() -> None:
    document = wire.openapi_document()
    for operation in OPERATIONS:
        parameters = document["paths"][operation.path][operation.method].get("parameters", [])
        names = [parameter["name"] for parameter in parameters]
        assert names == ([spec.IDEMPOTENCY_KEY_HEADER] if operation.creates else [])


def test_a_request_schema_accepts_what_the_parser_accepts_and_refuses_a_bad_body() -> None:
    schema = wire.request_schema("request_guest_cancellation")
    jsonschema.validate(VALID_SINGLE, schema)
    wire.parse_cancellation(VALID_SINGLE)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**VALID_SINGLE, "quantity": 0}, schema)
    form = wire.request_schema("request_guest_cancellation", form=True)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**VALID_SINGLE, "quantity": None}, form)


def test_a_request_schema_states_the_policys_limits() -> None:
    policy = Policy(max_bulk_items=3)
    schema = wire.request_schema("request_guest_bulk_cancellation", policy=policy)
    assert schema["properties"][spec.ITEMS_FIELD]["maxItems"] == 3
    form = wire.request_schema("request_guest_bulk_cancellation", form=True)
    assert spec.ITEMS_FIELD not in form["properties"]
    assert spec.ITEMS_FIELD not in form["required"]


def test_a_response_schema_validates_a_rendered_body() -> None:
    jsonschema.validate(render_lookup(make_snapshot()), wire.response_schema("lookup_guest_order"))


def test_a_command_written_as_a_payload_parses_back_to_itself() -> None:
    command = wire.parse_cancellation(
        {**VALID_SINGLE, "iban": "TR33 0006 1005 1978 6457 8413 26", "holder_name": "Ayşe"}
    )
    assert wire.parse_cancellation(spec.payload(spec.CANCELLATION, command)) == command


def test_every_declared_code_has_a_message() -> None:
    from guest_orders.messages import MESSAGES  # noqa: PLC0415

    assert spec.request_codes() <= set(MESSAGES)
