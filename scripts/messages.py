"""``make messages``: refresh the message catalogs from the source, with Babel.

1. extract every message marked ``N_("...")`` (or ``_``/``gettext``) under
   ``src/guest_orders`` into the template ``locale/guest_orders.pot``;
2. update each catalog ``locale/<locale>/LC_MESSAGES/guest_orders.po`` from it (new
   messages arrive untranslated, messages gone from the source are dropped); the English
   catalog is the source itself, so its translations are filled in as written;
3. compile each catalog to ``guest_orders.mo``, the file the library reads at run time.

Translate what step 2 left empty (``tests/i18n`` fails until every message of every shipped
catalog is translated), then run this again to compile.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "guest_orders"
LOCALE_DIR = PACKAGE / "locale"
DOMAIN = "guest_orders"
TEMPLATE = LOCALE_DIR / f"{DOMAIN}.pot"
SOURCE_LOCALE = "en"


def _pybabel(*arguments: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *arguments])


def main() -> int:
    previous = TEMPLATE.read_text(encoding="utf-8") if TEMPLATE.exists() else ""
    _pybabel(
        "extract",
        "--no-location",
        "--no-wrap",
        "--sort-output",
        "--project=guest_orders",
        "--copyright-holder=The guest_orders developers",
        f"--output-file={TEMPLATE}",
        "--msgid-bugs-address=",
        str(PACKAGE),
    )
    if _undated(TEMPLATE.read_text(encoding="utf-8")) == _undated(previous):
        # Same messages: keep the files as they are rather than only a new date.
        TEMPLATE.write_text(previous, encoding="utf-8")
    locales = sorted(path.name for path in LOCALE_DIR.iterdir() if path.is_dir())
    for locale in locales:
        _pybabel(
            "update",
            "--no-wrap",
            "--no-fuzzy-matching",
            "--ignore-obsolete",
            f"--input-file={TEMPLATE}",
            f"--output-dir={LOCALE_DIR}",
            f"--domain={DOMAIN}",
            f"--locale={locale}",
        )
    _fill_source_catalog(LOCALE_DIR / SOURCE_LOCALE / "LC_MESSAGES" / f"{DOMAIN}.po")
    _pybabel("compile", "--statistics", f"--directory={LOCALE_DIR}", f"--domain={DOMAIN}")
    return 0


def _undated(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "-Date: " not in line)


def _fill_source_catalog(path: Path) -> None:
    """The English catalog translates every message to itself."""
    with path.open("rb") as file:
        catalog = read_po(file, locale=SOURCE_LOCALE)
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with path.open("wb") as file:
        write_po(file, catalog, width=0, omit_header=False, sort_output=True)


if __name__ == "__main__":
    sys.exit(main())
