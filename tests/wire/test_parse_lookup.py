"""parse_lookup: the number and the email, strictly."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from guest_orders.domain import LookupQuery
from guest_orders.errors import ErrorDetail
from guest_orders.policy import Policy
from guest_orders.wire import parse_lookup
from wire._wire_support import (
    EMAIL,
    NORMALIZED_EMAIL,
    NUMBER,
    codes,
    lookup_body,
    raises_invalid,
    without,
)


def test_valid_body_gives_the_query_with_the_normalized_email() -> None:
    query = parse_lookup(lookup_body())
    assert query == LookupQuery(number=NUMBER, email=NORMALIZED_EMAIL)


def test_the_email_keeps_its_local_part_and_lowercases_its_domain() -> None:
    assert parse_lookup(lookup_body(email="Ayse.Y+Shop@EXAMPLE.Com")).email == (
        "Ayse.Y+Shop@example.com"
    )


def test_values_are_stripped() -> None:
    query = parse_lookup(lookup_body(number=f"  {NUMBER}\n", email=f"\t{EMAIL} "))
    assert query == LookupQuery(number=NUMBER, email=NORMALIZED_EMAIL)


def test_an_integer_number_becomes_its_decimal_string() -> None:
    assert parse_lookup(lookup_body(number=2745403029312170)).number == NUMBER
    assert parse_lookup(lookup_body(number=-5)).number == "-5"


def test_unknown_keys_are_ignored() -> None:
    assert parse_lookup(lookup_body(extra=[1, {"x": None}], pk=3)).number == NUMBER


def test_any_mapping_is_a_body() -> None:
    assert parse_lookup(MappingProxyType(lookup_body())).number == NUMBER


@pytest.mark.parametrize("body", [None, [], [lookup_body()], "number=1", 12, 1.5, True, b"{}"])
def test_a_body_that_is_not_an_object_is_invalid(body: Any) -> None:
    error = raises_invalid(parse_lookup, body)
    assert error.errors == {
        "non_field_errors": [ErrorDetail("invalid", "Invalid data. Expected an object.")]
    }
    assert error.code == "invalid"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (True, "invalid_type"),
        (False, "invalid_type"),
        (12.0, "invalid_type"),
        ([NUMBER], "invalid_type"),
        ({"n": NUMBER}, "invalid_type"),
        (None, "null"),
        ("", "blank"),
        ("  \t ", "blank"),
        ("1" * 65, "max_length"),
        (10**64, "max_length"),
        (-(10**64), "max_length"),
        ("27454\x0003", "invalid_characters"),
        ("27454\t03", "invalid_characters"),
        ("27454\x9f03", "invalid_characters"),
        ("27454\ud80003", "invalid_characters"),
        ("\udfff", "invalid_characters"),
    ],
)
def test_bad_numbers(number: Any, code: str) -> None:
    error = raises_invalid(parse_lookup, lookup_body(number=number))
    assert codes(error) == {"number": [code]}


def test_a_huge_integer_number_is_too_long_without_being_converted() -> None:
    # str() refuses ints of more than 4300 digits: the bound is checked first.
    for number in (10**100_000, -(10**5000)):
        error = raises_invalid(parse_lookup, lookup_body(number=number))
        assert codes(error) == {"number": ["max_length"]}


def test_missing_number_is_required() -> None:
    assert codes(raises_invalid(parse_lookup, without(lookup_body(), "number"))) == {
        "number": ["required"]
    }


def test_number_length_limit_comes_from_the_policy() -> None:
    assert parse_lookup(lookup_body(number="1" * 64)).number == "1" * 64
    assert parse_lookup(lookup_body(number=10**63)).number == "1" + "0" * 63
    policy = Policy(max_number_length=4)
    assert parse_lookup(lookup_body(number="1234"), policy=policy).number == "1234"
    assert parse_lookup(lookup_body(number=9999), policy=policy).number == "9999"
    for number in ("12345", 10000):
        error = raises_invalid(parse_lookup, lookup_body(number=number), policy=policy)
        assert error.errors["number"] == [
            ErrorDetail("max_length", "Ensure this field has no more than 4 characters.")
        ]


def test_printable_unicode_numbers_are_opaque_and_kept() -> None:
    assert parse_lookup(lookup_body(number="ORD-2024-ÇĞ 01")).number == "ORD-2024-ÇĞ 01"


@pytest.mark.parametrize(
    ("email", "code"),
    [
        (None, "null"),
        (True, "invalid_type"),
        (12, "invalid_type"),
        (["a@example.com"], "invalid_type"),
        ("", "blank"),
        ("   ", "blank"),
        ("a" * 243 + "@example.com", "max_length"),
        ("not-an-email", "invalid_email"),
        ("guest@", "invalid_email"),
        ("@example.com", "invalid_email"),
        ("a b@example.com", "invalid_email"),
        ("a@@example.com", "invalid_email"),
        ('"quoted"@example.com', "invalid_email"),
        ("guest@[127.0.0.1]", "invalid_email"),
        ("gu\u200best@example.com", "invalid_email"),
        ("gu\ud800est@example.com", "invalid_email"),
        ("guest@exa\x00mple.com", "invalid_email"),
        ("guest@example", "invalid_email"),
    ],
)
def test_bad_emails(email: Any, code: str) -> None:
    error = raises_invalid(parse_lookup, lookup_body(email=email))
    assert codes(error) == {"email": [code]}


def test_missing_email_is_required() -> None:
    assert codes(raises_invalid(parse_lookup, without(lookup_body(), "email"))) == {
        "email": ["required"]
    }


def test_emails_of_up_to_254_characters_are_accepted() -> None:
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 60 + "." + "d" * 60 + ".com"
    assert len(email) == 254
    assert parse_lookup(lookup_body(email=email)).email == email
    error = raises_invalid(parse_lookup, lookup_body(email="x" + email))
    assert error.errors["email"] == [
        ErrorDetail("max_length", "Ensure this field has no more than 254 characters.")
    ]


def test_every_problem_is_reported_at_once() -> None:
    error = raises_invalid(parse_lookup, {"number": True})
    assert codes(error) == {"number": ["invalid_type"], "email": ["required"]}
    assert error.code == "invalid_type"


@pytest.mark.parametrize(
    "body",
    [
        lookup_body(email="secret.person@@example.com"),
        lookup_body(number="SECRET\x00NUMBER"),
        lookup_body(number="S" * 100),
    ],
)
def test_messages_hold_no_user_data(body: dict[str, Any]) -> None:
    error = raises_invalid(parse_lookup, body)
    text = " ".join([str(error), repr(error), *(d.message for _, d in error.details)])
    assert "secret" not in text.lower()
    assert "SSSS" not in text
