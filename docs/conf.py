"""Sphinx configuration of the documentation site (``make docs``).

Why Sphinx rather than MkDocs: the library's docstrings are reStructuredText with Sphinx
roles (``:class:``, ``:func:``, ``:data:``...), which autodoc renders as links into the
reference; the hand-written pages stay Markdown through MyST. ``make docs`` builds with
``-W``: every warning (a broken link, a missing page anchor, a docstring that is not valid
reST) fails the build.

The API reference is generated: one page per public module (see ``api_modules``), written
into ``reference/api/`` at every build, so a new adapter or integration module appears
without touching this file. Pages are found by globs in the toctrees of ``index.md``, so
a new page under ``how-to/``, ``reference/`` or at the top level needs no list either.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
SRC = DOCS.parent / "src"
sys.path.insert(0, str(SRC))

import guest_orders  # noqa: E402 - needs the path above when the package is not installed


def _configure_django() -> None:
    """The Django app's models, admin and views import only under configured settings:
    the smallest settings that let autodoc import them."""
    import django  # noqa: PLC0415 - only the docs build needs Django configured
    from django.conf import settings  # noqa: PLC0415

    if not settings.configured:
        settings.configure(
            INSTALLED_APPS=[
                "django.contrib.auth",
                "django.contrib.contenttypes",
                "django.contrib.admin",
                "guest_orders.contrib.django",
            ],
            USE_TZ=True,
            GUEST_ORDERS={},
        )
        django.setup()


_configure_django()

project = "guest_orders"
author = "The guest_orders developers"
copyright = f"2026, {author}"  # noqa: A001 - the name Sphinx reads
release = guest_orders.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
# Machine-readable files the pages link to, copied beside the HTML.
html_extra_path = ["openapi.json", "schemas"]

# A page that no toctree lists yet still builds (it is reachable by its links): adding a
# page never breaks the strict build. docs/contributing.md says where to list it.
suppress_warnings = ["toc.not_included"]

myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "show-inheritance": True}
autoclass_content = "both"
# Methods inherited from a dependency (SQLAlchemy's TypeDecorator...) keep their own docs
# there: their docstrings refer to labels of that project's site.
autodoc_inherit_docstrings = False
napoleon_google_docstring = True
napoleon_numpy_docstring = False

intersphinx_mapping: dict[str, tuple[str, None]] = {}

html_theme = "furo"
html_title = f"guest_orders {release}"

#: Packages whose public modules (no ``_`` in their dotted path) get an API page.
API_ROOTS = ("guest_orders.adapters", "guest_orders.contrib", "guest_orders.testing")
#: Single modules with an API page of their own.
API_MODULES = (
    "guest_orders",
    "guest_orders.i18n",
    "guest_orders.messages",
    "guest_orders.ports",
    "guest_orders.relay",
    "guest_orders.testing",
)


def api_modules() -> list[str]:
    """The public modules that get an API page, found on disk (nothing is imported)."""
    found = set(API_MODULES)
    package_dir = SRC / "guest_orders"
    for root in API_ROOTS:
        base = package_dir.joinpath(*root.split(".")[1:])
        if not base.is_dir():
            continue
        for path in base.rglob("*.py"):
            relative = path.relative_to(SRC).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            # Private modules; Django's generated migrations are no API.
            if any(part.startswith("_") or part == "migrations" for part in parts):
                continue
            found.add(".".join(parts))
    return sorted(found)


def _page(module: str) -> str:
    """The reST page of one module: its docstring and members, less what ``guest_orders``
    itself exports (documented once, on its page; listed here with a link)."""
    title = f"``{module}``"
    lines = [title, "=" * len(title), "", f".. automodule:: {module}"]
    if module != "guest_orders":
        names = getattr(importlib.import_module(module), "__all__", ())
        shared = [
            name
            for name in names
            if name in guest_orders.__all__
            and getattr(importlib.import_module(module), name) is getattr(guest_orders, name)
        ]
        if shared:
            lines.append(f"   :exclude-members: {', '.join(shared)}")
            lines += ["", "Also exported here, documented with the package:", ""]
            lines += [f"- :obj:`guest_orders.{name}`" for name in shared]
    return "\n".join(lines) + "\n"


def write_api_pages() -> None:
    """(Re)write ``reference/api/<module>.rst`` for every module of :func:`api_modules`."""
    out = DOCS / "reference" / "api"
    out.mkdir(parents=True, exist_ok=True)
    wanted = {f"{module}.rst": module for module in api_modules()}
    for stale in out.glob("*.rst"):
        if stale.name not in wanted:
            stale.unlink()
    for name, module in wanted.items():
        text = _page(module)
        page = out / name
        if not page.exists() or page.read_text(encoding="utf-8") != text:
            page.write_text(text, encoding="utf-8")


write_api_pages()
