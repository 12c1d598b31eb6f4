"""docs/how-to/django.md shows this project's code: each of its Python blocks names a file
of the project, and must be that file (or a part of it, or, for the settings, its
guest_orders lines). And the host's own guest_orders code stays within 60 lines, served
by WSGI or by ASGI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
DOC = PROJECT.parent.parent / "docs" / "how-to" / "django.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _blocks() -> dict[str, str]:
    blocks = {}
    for match in _BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        first, _, code = match.group(1).partition("\n")
        assert re.fullmatch(r"# [\w/]+\.py", first), f"a block must name its file: {first!r}"
        blocks[first.removeprefix("# ")] = code
    return blocks


def _marked(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.endswith("# guest_orders")]


def test_the_how_to_shows_the_example_projects_code() -> None:
    blocks = _blocks()
    assert set(blocks) == {
        "django_shop/settings.py",
        "shop/guest_orders.py",
        "django_shop/urls.py",
        "django_shop/asgi_urls.py",
        "tests/test_contract.py",
    }
    for name in ("shop/guest_orders.py", "django_shop/urls.py", "django_shop/asgi_urls.py"):
        assert blocks[name] == (PROJECT / name).read_text(encoding="utf-8"), name
    assert blocks["tests/test_contract.py"] in (PROJECT / "tests/test_contract.py").read_text()
    settings = (PROJECT / "django_shop/settings.py").read_text(encoding="utf-8")
    assert _marked(blocks["django_shop/settings.py"]) == _marked(settings)


@pytest.mark.parametrize(
    "host",
    [
        ("django_shop/settings.py", "django_shop/urls.py"),  # WSGI
        ("django_shop/settings.py", "django_shop/settings_asgi.py", "django_shop/asgi_urls.py"),
    ],
    ids=["wsgi", "asgi"],
)
def test_the_hosts_guest_orders_code_is_at_most_60_lines(host: tuple[str, ...]) -> None:
    mapping = (PROJECT / "shop/guest_orders.py").read_text(encoding="utf-8").splitlines()
    marked = [
        line for name in host for line in _marked((PROJECT / name).read_text(encoding="utf-8"))
    ]
    assert len(mapping) + len(marked) <= 60, (len(mapping), marked)
