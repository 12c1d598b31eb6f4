"""The message catalogs: complete, current, compiled, and the same in every locale but
for the words.

A message added to :mod:`guest_orders.messages` without a translation in every shipped
catalog fails here, naming it; so does a catalog not refreshed from the source
(``make messages``) or a compiled ``.mo`` that does not match its ``.po``.
"""

from __future__ import annotations

import string

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from guest_orders.i18n import DEFAULT_LOCALE, LOCALE_DIR, LOCALES, MESSAGE_DOMAIN, translate
from guest_orders.messages import MESSAGES

PACKAGE_DIR = LOCALE_DIR.parent


def _po(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / f"{MESSAGE_DOMAIN}.po").open("rb") as file:
        return read_po(file, locale=locale)


def _ids(catalog: Catalog) -> set[str]:
    return {message.id for message in catalog if message.id and isinstance(message.id, str)}


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def _extracted() -> set[str]:
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(str(PACKAGE_DIR))
        if isinstance(message, str)
    }


def test_the_shipped_catalogs_are_the_supported_locales() -> None:
    shipped = sorted(
        path.parent.parent.name
        for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{MESSAGE_DOMAIN}.mo")
    )
    assert shipped == sorted(LOCALES)
    assert DEFAULT_LOCALE in LOCALES


def test_every_message_is_marked_for_extraction() -> None:
    assert set(MESSAGES.values()) <= _extracted()


def test_the_template_is_current() -> None:
    with (LOCALE_DIR / f"{MESSAGE_DOMAIN}.pot").open("rb") as file:
        template = read_po(file)
    assert _ids(template) == _extracted(), "run `make messages`"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    catalog = _po(locale)
    assert _ids(catalog) == _extracted(), "run `make messages`"
    untranslated = sorted(m.id for m in catalog if m.id and (not m.string or m.fuzzy))
    assert untranslated == [], f"translate these in the {locale} catalog"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_their_placeholders(locale: str) -> None:
    for message in _po(locale):
        if message.id and message.string:
            assert _fields(str(message.string)) == _fields(str(message.id)), message.id


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalog_matches_its_source(locale: str) -> None:
    directory = LOCALE_DIR / locale / "LC_MESSAGES"
    with (directory / f"{MESSAGE_DOMAIN}.mo").open("rb") as file:
        compiled = {m.id: m.string for m in read_mo(file) if m.id}
    source = {m.id: m.string for m in _po(locale) if m.id}
    assert compiled == source, "run `make messages` to compile"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_library_reads_the_compiled_catalog(locale: str) -> None:
    catalog = _po(locale)
    for text in MESSAGES.values():
        assert translate(text, locale) == catalog[text].string


def test_english_is_the_source_text() -> None:
    for text in MESSAGES.values():
        assert translate(text, "en") == text


def test_turkish_is_not_english() -> None:
    translated = [text for text in MESSAGES.values() if translate(text, "tr") != text]
    # Words a translation may keep (technical names) are the exception, not the rule.
    assert len(translated) >= len(set(MESSAGES.values())) - 2

