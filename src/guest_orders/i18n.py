"""Messages in the guest's language: choosing a locale, and the gettext catalogs.

Every message a guest reads is written once, in English, in :mod:`guest_orders.messages`;
its translations live in gettext catalogs shipped inside the package
(``guest_orders/locale/<locale>/LC_MESSAGES/guest_orders.mo``), read with the standard
library's :mod:`gettext`. Error **codes** never depend on the locale, only messages do.

Choosing the locale of a request is the same for every transport:

- an HTTP adapter passes the request's ``Accept-Language`` header to
  :func:`negotiate_locale` (q-values honoured, ``tr-TR`` served by ``tr``, English when
  nothing matches);
- a host that already knows the guest's language passes it as ``locale=`` to
  :class:`guest_orders.GuestOrders` (any spelling :func:`resolve_locale` accepts).

>>> negotiate_locale("de-DE, tr;q=0.8, en;q=0.5")
'tr'
>>> negotiate_locale("fr"), negotiate_locale(None)
('en', 'en')
>>> resolve_locale("tr_TR")
'tr'
"""

from __future__ import annotations

import functools
import gettext
import re
from pathlib import Path
from typing import Final

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "LOCALE_DIR",
    "MESSAGE_DOMAIN",
    "match_locale",
    "negotiate_locale",
    "resolve_locale",
    "translate",
]

#: The locale of the messages as written, and the answer when nothing else matches.
DEFAULT_LOCALE: Final = "en"
#: Every locale with a complete catalog (a test checks this against the catalogs shipped).
LOCALES: Final[tuple[str, ...]] = ("en", "tr")
#: The gettext domain: the catalogs are ``<locale>/LC_MESSAGES/guest_orders.mo``.
MESSAGE_DOMAIN: Final = "guest_orders"
#: Where the catalogs are, inside the installed package.
LOCALE_DIR: Final = Path(__file__).resolve().parent / "locale"

#: Most ``Accept-Language`` entries read; the rest of a longer header is ignored.
MAX_LANGUAGE_RANGES: Final = 32

# RFC 9110 12.5.4: a language range (RFC 4647 basic range) and its optional weight.
_RANGE = re.compile(r"\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
_QVALUE = re.compile(r"(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)")


def match_locale(tag: str) -> str | None:
    """The supported locale serving the language tag ``tag``, or ``None``.

    Case and ``_``/``-`` do not matter; a tag is served by its longest supported prefix
    (``tr-Latn-TR`` -> ``tr``), as in RFC 4647's lookup.
    """
    subtags = tag.strip().replace("_", "-").lower().split("-")
    while subtags and all(subtags):
        candidate = "-".join(subtags)
        if candidate in LOCALES:
            return candidate
        subtags.pop()
    return None


def resolve_locale(locale: str | None) -> str:
    """The supported locale for an explicit ``locale`` argument; English when it names
    none (``None``, ``""`` or a language without a catalog)."""
    if locale is None:
        return DEFAULT_LOCALE
    return match_locale(locale) or DEFAULT_LOCALE


def negotiate_locale(accept_language: str | None) -> str:
    """The supported locale an ``Accept-Language`` header prefers; English when none.

    Language ranges are tried by descending q-value (the header's order among equals);
    ``q=0`` refuses a language, ``*`` stands for any language not otherwise named (English
    first). A malformed entry is skipped; the rest of the header still counts.
    """
    if not accept_language:
        return DEFAULT_LOCALE
    ranges: list[tuple[float, int, str]] = []
    refused: set[str] = set()
    for index, entry in enumerate(accept_language.split(",")[:MAX_LANGUAGE_RANGES]):
        parsed = _parse_range(entry)
        if parsed is None:
            continue
        language, quality = parsed
        if quality == 0:
            refused.add(language)
        else:
            ranges.append((-quality, index, language))
    for _quality, _index, language in sorted(ranges):
        if language == "*":
            anything = [locale for locale in _by_preference() if locale not in refused]
            if anything:
                return anything[0]
            continue
        locale = match_locale(language)
        if locale is not None and language not in refused and locale not in refused:
            return locale
    return DEFAULT_LOCALE


def _parse_range(entry: str) -> tuple[str, float] | None:
    """``(language range, q)`` of one ``Accept-Language`` entry, or ``None`` if malformed."""
    language, *parameters = (part.strip() for part in entry.split(";"))
    if not _RANGE.fullmatch(language):
        return None
    quality = 1.0
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() != "q":
            continue
        value = value.strip()
        if not _QVALUE.fullmatch(value):
            return None
        quality = float(value)
    return language.lower(), quality


def _by_preference() -> list[str]:
    return [DEFAULT_LOCALE, *(locale for locale in LOCALES if locale != DEFAULT_LOCALE)]


def translate(text: str, locale: str) -> str:
    """``text`` (a message as written in :mod:`guest_orders.messages`) in ``locale``.

    ``locale`` is resolved with :func:`resolve_locale`; a text the catalog lacks comes back
    as written (a test keeps every shipped catalog complete).
    """
    return _catalog(resolve_locale(locale)).gettext(text)


@functools.cache
def _catalog(locale: str) -> gettext.NullTranslations:
    """The compiled catalog of a supported locale, read once per process."""
    return gettext.translation(MESSAGE_DOMAIN, localedir=LOCALE_DIR, languages=[locale])
