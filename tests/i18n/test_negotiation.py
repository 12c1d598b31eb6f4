"""Choosing the locale of a request: ``Accept-Language`` with q-values, explicit locales."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guest_orders.i18n import (
    DEFAULT_LOCALE,
    LOCALES,
    match_locale,
    negotiate_locale,
    resolve_locale,
)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("tr", "tr"),
        ("TR", "tr"),
        ("tr-TR", "tr"),
        ("tr-Latn-TR", "tr"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE, tr;q=0.8, en;q=0.5", "tr"),
        ("en;q=0.5, tr;q=0.8", "tr"),
        ("tr;q=0.8, en;q=0.8", "tr"),  # equal weights: the header's order
        ("en;q=0.8, tr;q=0.8", "en"),
        ("fr, de", "en"),  # nothing matches: English
        ("tr;q=0", "en"),  # refused
        ("tr;q=0, *", "en"),
        ("en;q=0, *", "tr"),  # anything but English
        ("*", "en"),
        ("fr;q=1, *;q=0.1", "en"),
        ("tr;q=1.0", "tr"),
        ("tr;q=0.001, fr", "tr"),
        (" tr ; q = 0.7 ", "tr"),
        ("tr;q=2, en;q=0.1", "en"),  # an invalid weight skips its entry only
        ("tr;q=abc", "en"),
        ("tr;q=0.0001", "en"),  # more than three decimals is malformed
        ("tr;level=1", "tr"),  # other parameters are ignored
        ("t@r, tr;q=0.3", "tr"),  # a malformed range is skipped
        ("tr_TR", "en"),  # not a language range in a header
        ("-tr, tr-", "en"),
        (",,,tr,,,", "tr"),
    ],
)
def test_accept_language(header: str | None, expected: str) -> None:
    assert negotiate_locale(header) == expected


def test_only_the_first_ranges_of_a_huge_header_count() -> None:
    header = ", ".join(["fr"] * 10_000 + ["tr"])
    assert negotiate_locale(header) == "en"
    assert negotiate_locale("fr, " * 5 + "tr") == "tr"


@given(st.text(max_size=200))
def test_any_header_gets_a_supported_locale(header: str) -> None:
    assert negotiate_locale(header) in LOCALES


@given(st.lists(st.sampled_from(["tr", "TR-tr", "tr-CY", "tr;q=0.5", "tr;q=1"]), min_size=1))
def test_a_header_naming_only_turkish_gets_turkish(ranges: list[str]) -> None:
    assert negotiate_locale(", ".join(ranges)) == "tr"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("tr", "tr"),
        ("tr_TR", "tr"),
        ("TR-tr", "tr"),
        ("en-GB", "en"),
        ("de", None),
        ("", None),
        ("tr--TR", None),
        ("turkish", None),
    ],
)
def test_match_locale(tag: str, expected: str | None) -> None:
    assert match_locale(tag) == expected


@pytest.mark.parametrize(
    ("locale", "expected"), [(None, "en"), ("", "en"), ("de", "en"), ("tr_TR", "tr")]
)
def test_an_explicit_locale_falls_back_to_english(locale: str | None, expected: str) -> None:
    assert resolve_locale(locale) == expected


def test_english_is_the_default_and_supported() -> None:
    assert DEFAULT_LOCALE == "en"
    assert set(LOCALES) == {"en", "tr"}
