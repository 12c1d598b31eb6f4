"""The library uses its dependencies' public API only: no private module, no private
attribute, no generated code. A private name can change in any patch release, and then a
version the library declares it supports breaks (as ``Connection._has_events`` did).

The check reads ``src/`` with :mod:`ast`. It flags:

- an import of a module outside ``guest_orders`` with a private component
  (``from sqlalchemy.engine._x import y``, ``import email_validator._x``), or of a private
  name from such a module (``from starlette.routing import _x``); for a package whose
  documented API is all at its top level (email-validator), any submodule
  (``email_validator.rfc_constants``);
- an attribute ``obj._name`` whose name ``guest_orders`` does not define itself (so it
  belongs to a dependency), and ``getattr``/``setattr``/``hasattr`` with such a name;
- ``exec`` and ``eval``.

Dunder names (``__init__``) and the enum module's documented sunder names (``_value_``)
are public.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
OWN_PACKAGE = "guest_orders"
#: Packages that document their top-level module only: their submodules are internals.
TOP_LEVEL_ONLY = frozenset({"email_validator"})


def _is_private(name: str) -> bool:
    if not name.startswith("_"):
        return False
    dunder = name.startswith("__") and name.endswith("__")
    sunder = len(name) > 2 and name.endswith("_") and not name.startswith("__")
    return not (dunder or sunder)


def _private_module(module: str) -> bool:
    parts = module.split(".")
    return any(map(_is_private, parts)) or (parts[0] in TOP_LEVEL_ONLY and len(parts) > 1)


def _own_module(module: str | None, level: int) -> bool:
    return level > 0 or module == OWN_PACKAGE or (module or "").startswith(f"{OWN_PACKAGE}.")


def defined_names(trees: Iterable[ast.AST]) -> set[str]:
    """Every private name the library defines: functions, classes, variables, arguments,
    attributes it assigns, ``__slots__`` entries, class-level annotations (attrs fields)."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            names.update(_defines(node))
    return {name for name in names if _is_private(name)}


def _defines(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
        yield node.id
    elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
        yield node.attr
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, ast.alias):
        yield node.asname or node.name.split(".")[0]
    elif isinstance(node, ast.Assign) and any(
        isinstance(target, ast.Name) and target.id == "__slots__" for target in node.targets
    ):
        for item in ast.walk(node.value):
            if isinstance(item, ast.Constant) and isinstance(item.value, str):
                yield item.value


def violations(tree: ast.AST, own_names: set[str], where: str = "<source>") -> Iterator[str]:
    """The uses of a dependency's private API (or of generated code) in ``tree``."""
    for node in ast.walk(tree):
        for problem in _problems(node, own_names):
            yield f"{where}:{getattr(node, 'lineno', '?')}: {problem}"


def _problems(node: ast.AST, own_names: set[str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if not _own_module(alias.name, 0) and _private_module(alias.name):
                yield f"import {alias.name}"
    elif isinstance(node, ast.ImportFrom) and not _own_module(node.module, node.level):
        module = node.module or ""
        if _private_module(module):
            yield f"from {module} import ..."
        yield from (
            f"from {module} import {alias.name}" for alias in node.names if _is_private(alias.name)
        )
    elif isinstance(node, ast.Attribute):
        if _is_private(node.attr) and node.attr not in own_names:
            yield f".{node.attr}"
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        yield from _call_problems(node.func.id, node.args, own_names)


def _call_problems(function: str, args: list[ast.expr], own_names: set[str]) -> Iterator[str]:
    if function in {"exec", "eval"}:
        yield f"{function}()"
    elif function in {"getattr", "setattr", "hasattr"} and len(args) >= 2:
        name = args[1]
        if (
            isinstance(name, ast.Constant)
            and isinstance(name.value, str)
            and _is_private(name.value)
            and name.value not in own_names
        ):
            yield f"{function}(..., {name.value!r})"


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_src_uses_public_api_only() -> None:
    files = sorted(SRC.rglob("*.py"))
    assert files, f"no source found under {SRC}"
    trees = {path: _parse(path) for path in files}
    own = defined_names(trees.values())
    found = [
        problem
        for path, tree in trees.items()
        for problem in violations(tree, own, str(path.relative_to(SRC)))
    ]
    assert found == [], "private API of a dependency, or generated code:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from email_validator.rfc_constants import X",
        "import email_validator._x",
        "import sqlalchemy.engine._row_cy",
        "from starlette.routing import _private_helper",
        "flag = __import__('sqlalchemy').Connection._has_events",
        "def f(connection):\n    return connection._handle_dbapi_exception(None)",
        "def f(type_):\n    return getattr(type_, '_object_lookup', None)",
        "exec('def f(): pass', {})",
        "eval('1 + 1')",
    ],
)
def test_the_check_catches_private_use(source: str) -> None:
    tree = ast.parse(source)
    assert len(list(violations(tree, defined_names([tree])))) == 1, source


@pytest.mark.parametrize(
    "source",
    [
        # the library's own private attribute
        "class A:\n    def __init__(self):\n        self._x = 1\n\ndef f(o):\n    return o._x",
        "class B:\n    __slots__ = ('_y',)\n\ndef g(o):\n    return getattr(o, '_y')",
        "from guest_orders.domain._validators import aware_datetime",
        "from email_validator import EmailNotValidError, validate_email",
        "import enum\nclass E(enum.Enum):\n    A = 1\nv = E.A._value_",
        "from __future__ import annotations\nx = object().__class__",
    ],
)
def test_the_check_allows_the_librarys_own_names_and_public_api(source: str) -> None:
    tree = ast.parse(source)
    assert list(violations(tree, defined_names([tree]))) == []
