"""Comparing a guest's email with the order's: :mod:`guest_orders.domain.emails`."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from email_validator import validate_email
from hypothesis import given
from hypothesis import strategies as st

from guest_orders.domain import emails
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


# --- the candidate and the stored email compare by their match keys, whatever the spelling ---

# Characters that exercise every branch: ASCII case, atext and specials, dotless/dotted i,
# sharp s, a combining acute and caron (NFC composes é and ǰ, not J̌), full-width letters.
_TRICKY = "aAjJzZ09._+-!'\"\\<> ()[]ıİßéÉ\u0301\u030cｄ"
tricky_locals = st.one_of(
    ascii_local,
    st.text(_TRICKY, min_size=0, max_size=8),
    st.sampled_from(["Info", "info", "INFO", "postMaster", "mar\u212aeting", '"quoted"']),
)
tricky_domains = st.one_of(
    ascii_domain,
    ascii_domain.map(str.upper),
    st.sampled_from(
        ["xn--mnchen-3ya.de", "münchen.de", "MÜNCHEN.de", "example.invalid", "a..b", "[1.2.3.4]"]
    ),
    st.text("abcXYZ-.09ı", min_size=0, max_size=8),
)
tricky_emails = st.one_of(
    st.builds("{}@{}".format, tricky_locals, tricky_domains),
    st.emails(),
    st.text(_TRICKY + "@", max_size=12),
)


def _spellings(email: str) -> list[str]:
    """The address itself and spellings of it that may or may not match it."""
    local, _, domain = email.rpartition("@")
    return [
        email,
        f"{local}@{domain.upper()}",
        f"{local.lower()}@{domain}",
        f"{swap_ascii_case(local)}@{domain}",
        unicodedata.normalize("NFD", email),
        unicodedata.normalize("NFC", email),
    ]


def _validating_both(candidate: str, stored: str, *, fold: bool) -> bool:
    """The answer when the candidate is validated like the stored email."""
    return match_key(candidate, fold_local_ascii=fold) == match_key(stored, fold_local_ascii=fold)


@given(email=tricky_emails, data=st.data(), fold=st.booleans())
def test_any_spelling_compares_by_its_match_key(
    email: str, data: st.DataObject, *, fold: bool
) -> None:
    """A candidate that is not normalized (a ``LookupQuery`` built by hand) can never
    match an address its normalized form does not match, nor miss one it matches; the
    answer is the same either way round."""
    candidate = data.draw(st.sampled_from(_spellings(email)))
    stored = data.draw(st.one_of(st.sampled_from(_spellings(email)), tricky_emails))
    expected = _validating_both(candidate, stored, fold=fold)
    assert emails_match(candidate, stored, fold_local_ascii=fold) is expected
    assert emails_match(stored, candidate, fold_local_ascii=fold) is _validating_both(
        stored, candidate, fold=fold
    )


@BOTH_MODES
@pytest.mark.parametrize(
    ("candidate", "stored"),
    [
        ("j\u030c@example.com", "J\u030c@example.com"),  # NFC composes ǰ, not J̌
        ("J\u030c@example.com", "\u01f0@example.com"),
        ("info@example.com", "Info@example.com"),
        ("Info@example.com", "info@example.com"),
        ("user@münchen.de", "user@xn--mnchen-3ya.de"),
        ("user@xn--mnchen-3ya.de", "user@münchen.de"),
        ("old..address@example.com", "old..address@Example.com"),
        ("user@example.invalid", "user@EXAMPLE.invalid"),
    ],
)
def test_edge_cases_compare_by_their_match_keys(*, fold: bool, candidate: str, stored: str) -> None:
    expected = _validating_both(candidate, stored, fold=fold)
    assert emails_match(candidate, stored, fold_local_ascii=fold) is expected


@given(email=st.emails())
def test_normalizing_twice_changes_nothing(email: str) -> None:
    """What ``parse_lookup`` hands the use case compares as it did when validated again."""
    normalized = normalize_email(email)
    assert normalize_email(normalized) == normalized
    assert match_key(normalized, fold_local_ascii=False) == normalized.encode()


class _CountingValidator:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, email: str, **kwargs: Any) -> Any:
        self.calls += 1
        return validate_email(email, **kwargs)


@BOTH_MODES
def test_a_hit_and_a_miss_validate_the_same_number_of_emails(
    monkeypatch: pytest.MonkeyPatch, *, fold: bool
) -> None:
    counting = _CountingValidator()
    monkeypatch.setattr(emails, "validate_email", counting)
    candidate = "Guest.Buyer@example.com"  # as parse_lookup gives it
    calls = []
    for stored in ["Guest.Buyer@example.com", "other@example.com", "nobody@example.invalid"]:
        counting.calls = 0
        emails_match(candidate, stored, fold_local_ascii=fold)
        calls.append(counting.calls)
    assert calls == [2, 2, 2]  # both sides, the decoy too

    counting.calls = 0
    assert emails_match("Guest.Buyer@EXAMPLE.COM", "Guest.Buyer@example.com", fold_local_ascii=fold)
    assert counting.calls == 2
