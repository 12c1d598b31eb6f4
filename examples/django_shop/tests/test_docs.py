"""docs/how-to/django.md shows this project's code: each of its Python blocks names a file
of the project, and must be that file (or a part of it, or, for the settings, some of its
lines). And the host's own guest_orders code stays within 60 lines, served by WSGI or by
ASGI, as many as the page says."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
REPOSITORY = PROJECT.parent.parent
DOC = REPOSITORY / "docs" / "how-to" / "django.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
#: The files the page shows whole.
WHOLE = (
    "shop/guest_orders.py",
    "django_shop/urls.py",
    "django_shop/asgi_urls.py",
    "shop/management/commands/relay_events.py",
)
SETTINGS = "django_shop/settings.py"
CONTRACT = "tests/test_contract.py"
#: The files of the host's guest_orders code (with the mapping), served each way.
HOSTS = {
    "WSGI": (SETTINGS, "django_shop/urls.py"),
    "ASGI": (SETTINGS, "django_shop/settings_asgi.py", "django_shop/asgi_urls.py"),
}


def _text(name: str) -> str:
    return (PROJECT / name).read_text(encoding="utf-8")


def _blocks() -> list[tuple[str, str]]:
    blocks = []
    for match in _BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        first, _, code = match.group(1).partition("\n")
        assert re.fullmatch(r"# [\w/]+\.py", first), f"a block must name its file: {first!r}"
        blocks.append((first.removeprefix("# "), code))
    return blocks


def _marked(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.endswith("# guest_orders")]


def _imports(tree: ast.Module) -> set[tuple[str | None, str]]:
    """``(module, name)`` of every name the module's top-level imports bind."""
    names: set[tuple[str | None, str]] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Import):
            names.update((None, alias.name) for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            names.update((statement.module, alias.name) for alias in statement.names)
    return names


def test_the_how_to_shows_the_example_projects_code() -> None:
    blocks = _blocks()
    assert {name for name, _code in blocks} == {*WHOLE, SETTINGS, CONTRACT}
    for name, code in blocks:
        text = _text(name)
        if name in WHOLE:
            assert code == text, name
        elif name == SETTINGS:  # lines of the settings; "# ..." stands for the host's own
            lines = text.splitlines()
            for line in code.splitlines():
                assert not line.strip() or line.strip().startswith("#") or line in lines, line
        else:  # the imports it needs, then a part of the file
            tree = ast.parse(code)
            assert _imports(tree) <= _imports(ast.parse(text))
            imports = [s for s in tree.body if isinstance(s, ast.Import | ast.ImportFrom)]
            assert tree.body[: len(imports)] == imports
            first = tree.body[len(imports)]  # the imports come first, then the part
            start = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", []))])
            assert "\n".join(code.splitlines()[start - 1 :]) + "\n" in text
    shown = [line for name, code in blocks if name == SETTINGS for line in _marked(code)]
    assert shown == _marked(_text(SETTINGS))


def _host_lines(host: tuple[str, ...]) -> int:
    marked = [line for name in host for line in _marked(_text(name))]
    return len(_text("shop/guest_orders.py").splitlines()) + len(marked)


@pytest.mark.parametrize("server", HOSTS)
def test_the_hosts_guest_orders_code_is_at_most_60_lines(server: str) -> None:
    assert _host_lines(HOSTS[server]) <= 60


def test_the_how_to_says_how_many_lines_it_is() -> None:
    said = re.search(
        r"is (\d+) lines \((\d+) under ASGI\)", " ".join(DOC.read_text(encoding="utf-8").split())
    )
    assert said is not None
    assert (int(said[1]), int(said[2])) == (_host_lines(HOSTS["WSGI"]), _host_lines(HOSTS["ASGI"]))


def test_the_extras_the_how_to_installs_exist() -> None:
    pyproject = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
    extras = set(pyproject["project"]["optional-dependencies"])
    named = re.findall(r"guest_orders\[([\w,]+)\]", DOC.read_text(encoding="utf-8"))
    assert {"django", "testing"} <= {extra for group in named for extra in group.split(",")}
    for group in named:
        assert set(group.split(",")) <= extras, group
