"""The one JSON parsing entry point: strict JSON for every adapter."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guest_orders.errors import DuplicateKey, MalformedJson, TooManyJsonValues
from guest_orders.wire import decode_json
from guest_orders.wire.decoding import MAX_JSON_SEPARATORS

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
_FINITE = _SCALARS | st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    _FINITE,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_valid_json_decodes_as_the_standard_library_does(value: Any) -> None:
    body = json.dumps(value, ensure_ascii=False).encode()
    assert decode_json(body) == json.loads(body)
    assert decode_json(body.decode()) == json.loads(body)


def _with_duplicate(sibling: Any, path: list[int], key: str) -> str:
    """JSON text with an object holding ``key`` twice, nested along ``path`` (0: in an
    object, 1: in an array) next to ``sibling``."""
    if not path:
        return f'{{{json.dumps(key)}:1,"~sibling":{json.dumps(sibling)},{json.dumps(key)}:2}}'
    inner = _with_duplicate(sibling, path[1:], key)
    if path[0]:
        return f"[{json.dumps(sibling)},{inner}]"
    return f'{{"outer":{inner},"sibling":{json.dumps(sibling)}}}'


@given(JSON_VALUES, st.lists(st.integers(0, 1), max_size=6), st.text(max_size=6))
def test_a_duplicate_key_at_any_depth_is_refused(sibling: Any, path: list[int], key: str) -> None:
    """Finding: ``{"number":"1","number":"2"}`` was accepted, the last key winning."""
    body = _with_duplicate(sibling, path, key).encode()
    json.loads(body)  # the standard library accepts it
    with pytest.raises(DuplicateKey) as refused:
        decode_json(body)
    assert refused.value.code == "duplicate_key"
    assert isinstance(refused.value, MalformedJson)


def test_the_reported_request_is_refused() -> None:
    body = b'{"number":"1","number":"2","email":"a@example.com"}'
    with pytest.raises(DuplicateKey):
        decode_json(body)


@pytest.mark.parametrize("body", [b"NaN", b"[Infinity]", b'{"a":-Infinity}', b'{"quantity": NaN}'])
def test_nan_and_infinity_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedJson) as refused:
        decode_json(body)
    assert refused.value.code == "parse_error"


@pytest.mark.parametrize(
    "body",
    [b"", b" ", b"{", b"[1,]", b"{} {}", b"\xff", b"\xef\xbb\xbf{}", b"'a'", b"[1] x"],
)
def test_anything_but_one_json_value_in_utf8_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedJson) as refused:
        decode_json(body)
    assert type(refused.value) is MalformedJson


def test_a_body_of_countless_values_is_refused_before_decoding() -> None:
    at_limit = b"[" + b",".join([b"1"] * (MAX_JSON_SEPARATORS + 1)) + b"]"
    assert len(decode_json(at_limit)) == MAX_JSON_SEPARATORS + 1
    with pytest.raises(TooManyJsonValues) as refused:
        decode_json(at_limit[:-1] + b",1]")
    assert refused.value.code == "too_many_values"


def test_deep_nesting_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(MalformedJson):
        decode_json(b"[" * 100_000 + b"]" * 100_000)
