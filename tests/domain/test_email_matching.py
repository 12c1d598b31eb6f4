"""Comparing a guest's email with the order's: :mod:`guest_orders.domain.emails`."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guest_orders.domain.emails import (
    EmailNotValidError,
    emails_match,
    match_key,
    normalize_email,
)

BOTH_MODES = pytest.mark.parametrize("fold", [False, True], ids=["normalized", "ascii-folded"])

ascii_local = st.from_regex(r"[A-Za-z0-9]{1,12}(\.[A-Za-z0-9]{1,8}){0,2}", fullmatch=True)
ascii_domain = st.from_regex(r"[a-z][a-z0-9]{0,10}\.(com|org|example|net)", fullmatch=True)


def swap_ascii_case(text: str) -> str:
    return "".join(c.swapcase() if c.isascii() else c for c in text)


@BOTH_MODES
@pytest.mark.parametrize(
    "candidate",
    ["Guest.Buyer@EXAMPLE.COM", "Guest.Buyer@Example.Com", "Guest.Buyer@example.com"],
)
def test_domain_is_case_insensitive(*, fold: bool, candidate: str) -> None:
    assert emails_match(candidate, "Guest.Buyer@example.com", fold_local_ascii=fold)


def test_local_part_is_exact_by_default() -> None:
    stored = "Guest.Buyer@example.com"
    assert not emails_match("guest.buyer@example.com", stored, fold_local_ascii=False)
    assert not emails_match("GUEST.BUYER@example.com", stored, fold_local_ascii=False)
    assert not emails_match("Guest.Buyer2@example.com", stored, fold_local_ascii=False)


def test_case_insensitive_mode_folds_ascii_letters_of_the_local_part() -> None:
    stored = "Guest.Buyer@example.com"
    assert emails_match("guest.buyer@example.com", stored, fold_local_ascii=True)
    assert emails_match("GUEST.BUYER@EXAMPLE.COM", stored, fold_local_ascii=True)
    assert not emails_match("guest.buyer2@example.com", stored, fold_local_ascii=True)


@BOTH_MODES
@pytest.mark.parametrize(
    ("candidate", "stored"),
    [
        ("dılek@example.com", "dilek@example.com"),  # dotless i
        ("DILEK@example.com", "dılek@example.com"),
        ("DİLEK@example.com", "dilek@example.com"),  # dotted capital I
        ("straße@example.com", "strasse@example.com"),  # casefold would collide
        ("STRASSE@example.com", "straße@example.com"),
        ("ｄｉｌｅｋ@example.com", "dilek@example.com"),  # full-width letters
        ("ＤＩＬＥＫ@example.com", "ｄｉｌｅｋ@example.com"),
        ("ÇAĞLA@example.com", "çağla@example.com"),  # non-ASCII case is never folded
        ("ﬁle@example.com", "file@example.com"),  # compatibility ligature
    ],
)
def test_confusables_never_match(*, fold: bool, candidate: str, stored: str) -> None:
    assert not emails_match(candidate, stored, fold_local_ascii=fold)
    assert not emails_match(stored, candidate, fold_local_ascii=fold)


@BOTH_MODES
@pytest.mark.parametrize(
    ("candidate", "stored"),
    [
        ("jose\u0301@example.com", "jos\u00e9@example.com"),  # local part: NFD vs NFC
        ("user@mu\u0308nchen.example", "user@m\u00fcnchen.example"),  # domain: NFD vs NFC
        ("dılek@example.com", "dılek@example.com"),
        ("çağla@EXAMPLE.com", "çağla@example.com"),
    ],
)
def test_canonically_equivalent_addresses_match(*, fold: bool, candidate: str, stored: str) -> None:
    assert emails_match(candidate, stored, fold_local_ascii=fold)
    assert emails_match(stored, candidate, fold_local_ascii=fold)


@given(local=ascii_local, domain=ascii_domain)
def test_default_mode_matches_only_the_same_local_part(local: str, domain: str) -> None:
    stored = f"{local}@{domain}"
    other_case = swap_ascii_case(local)
    assert emails_match(f"{local}@{domain.upper()}", stored, fold_local_ascii=False)
    expected = other_case == local  # only when the local part has no letters
    assert emails_match(f"{other_case}@{domain}", stored, fold_local_ascii=False) is expected


@given(local=ascii_local, domain=ascii_domain)
def test_case_insensitive_mode_matches_any_ascii_casing(local: str, domain: str) -> None:
    stored = f"{local}@{domain}"
    candidate = f"{swap_ascii_case(local)}@{domain.upper()}"
    assert emails_match(candidate, stored, fold_local_ascii=True)


@given(
    first=ascii_local,
    second=ascii_local,
    domain=ascii_domain,
    fold=st.booleans(),
)
def test_different_local_parts_never_match(
    *, first: str, second: str, domain: str, fold: bool
) -> None:
    if first.lower() == second.lower():
        return
    assert not emails_match(f"{first}@{domain}", f"{second}@{domain}", fold_local_ascii=fold)


@given(
    local=st.text(
        st.characters(categories=["Ll", "Lu", "Lo", "Nd"], exclude_characters="@"),
        min_size=1,
        max_size=10,
    ),
    fold=st.booleans(),
)
def test_any_address_matches_itself_and_its_nfd_form(*, local: str, fold: bool) -> None:
    email = f"{local}@example.com"
    nfd = unicodedata.normalize("NFD", email)
    assert emails_match(email, email, fold_local_ascii=fold)
    assert emails_match(nfd, email, fold_local_ascii=fold)


def test_match_key_is_utf8_bytes() -> None:
    key = match_key("Dılek@EXAMPLE.com", fold_local_ascii=False)
    assert key == "Dılek@example.com".encode()
    assert match_key("Dılek@EXAMPLE.com", fold_local_ascii=True) == "dılek@example.com".encode()


def test_normalize_email_lowercases_the_domain_only() -> None:
    assert normalize_email("Guest.Buyer@EXAMPLE.com") == "Guest.Buyer@example.com"
    assert normalize_email("jose\u0301@example.com") == "jos\u00e9@example.com"


@pytest.mark.parametrize("email", ["no-at-sign", "two@@example.com", " a@example.com", "a@"])
def test_normalize_email_rejects_invalid_addresses(email: str) -> None:
    with pytest.raises(EmailNotValidError):
        normalize_email(email)


def test_legacy_invalid_stored_email_still_matches_exactly() -> None:
    stored = "old..address@Example.com"  # consecutive dots: invalid today
    with pytest.raises(EmailNotValidError):
        normalize_email(stored)
    assert emails_match("old..address@example.com", stored, fold_local_ascii=False)
    assert not emails_match("Old..address@example.com", stored, fold_local_ascii=False)
    assert emails_match("Old..address@example.com", stored, fold_local_ascii=True)
