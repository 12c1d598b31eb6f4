"""The message catalogs: complete, current, compiled, and the same in every locale but
for the words.

A message added to :mod:`guest_orders.messages` without a translation in every shipped
catalog fails here, naming it; so does a catalog not refreshed from the source
(``make messages``) or a compiled ``.mo`` that does not match its ``.po``.
"""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from guest_orders.i18n import DEFAULT_LOCALE, LOCALE_DIR, LOCALES, MESSAGE_DOMAIN, translate
from guest_orders.messages import KINDS, MESSAGES, message

PACKAGE_DIR = LOCALE_DIR.parent
#: Every text the library translates: the messages and the kinds of value they name.
TEXTS = sorted(set(MESSAGES.values()) | set(KINDS.values()))


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
        path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{MESSAGE_DOMAIN}.mo")
    )
    assert shipped == sorted(LOCALES)
    assert DEFAULT_LOCALE in LOCALES


def test_every_message_is_marked_for_extraction() -> None:
    assert set(TEXTS) <= _extracted()


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
    for entry in _po(locale):
        if entry.id and entry.string:
            assert _fields(str(entry.string)) == _fields(str(entry.id)), entry.id


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
    for text in TEXTS:
        assert translate(text, locale) == catalog[text].string


def test_english_is_the_source_text() -> None:
    for text in TEXTS:
        assert translate(text, "en") == text


def test_every_turkish_text_differs_from_the_english() -> None:
    assert [text for text in TEXTS if translate(text, "tr") == text] == []


def test_the_kind_of_value_is_said_in_the_message_locale() -> None:
    assert message("invalid_type", kind="integer") == "A valid integer is required."
    turkish = message("invalid_type", kind="integer", locale="tr")
    assert turkish == "Geçerli bir tam sayı gereklidir."
    for kind in KINDS:
        assert translate(KINDS[kind], "tr") in message("invalid_type", kind=kind, locale="tr")


def test_every_kind_the_parsers_name_is_translatable() -> None:
    source = "".join(
        path.read_text(encoding="utf-8") for path in sorted((PACKAGE_DIR / "wire").glob("*.py"))
    )
    named = set(re.findall(r'\bnot_a\(\s*"(\w+)"\s*\)', source))
    named |= set(re.findall(r'kind="(\w+)"', source))
    assert named
    assert named <= set(KINDS)
