"""The packaging check: build the artifacts and use them as a new user would.

1. ``uv build``: the sdist, then the wheel built from that sdist (so the sdist is complete);
   ``twine check --strict`` on both.
2. Both carry ``LICENSE``; the metadata says ``License-Expression: MIT``, carries the
   version written in ``guest_orders.__version__`` and only known trove classifiers; the
   wheel carries ``py.typed`` and every compiled message catalog of the source tree.
3. A fresh virtual environment with the wheel and no extra: the README's quickstart runs
   there (doctest), ``guest-orders --version`` answers, and ``import guest_orders``
   imports no module of a distribution that only an extra brings.
4. Each extra of ``[project.optional-dependencies]``, alone in a fresh virtual
   environment: its modules import. The modules of an extra are named in
   ``[tool.guest_orders.extras]``; an extra not named there stands for the public modules
   whose dotted path has a part equal to its name (``django`` -> ``guest_orders.contrib.
   django``); an extra with neither fails the check.

Run by ``make package-check`` and CI. Virtual environments come from ``uv`` (fast, cached).
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from pathlib import Path
from typing import NoReturn

from trove_classifiers import classifiers as known_classifiers

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "guest_orders"
#: Extras that are unions of others: checked through their parts.
UNION_EXTRAS = frozenset({"all"})

# Run in the fresh environments: which top-level modules are loaded after importing the
# package, and which distributions provide each installed top-level module.
_LOADED_AFTER_IMPORT = """
import json, sys
import guest_orders
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""
_TOP_LEVEL_MODULES = """
import json
from importlib.metadata import packages_distributions
print(json.dumps({module: dists for module, dists in packages_distributions().items()}))
"""
_IMPORT_MODULES = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
    print("imported", name)
"""


def main() -> int:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    version = _source_version()
    with tempfile.TemporaryDirectory(prefix="package-check-") as tmp:
        work = Path(tmp)
        sdist, wheel = _build(work / "dist")
        _run(sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel))
        _check_sdist(sdist, version)
        _check_wheel(wheel, version)
        core_modules = _check_core(work, wheel, version)
        _check_extras(work, wheel, pyproject, core_modules)
    print("package check: passed")
    return 0


def _source_version() -> str:
    text = (ROOT / "src" / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__ = "([^"]+)"$', text, re.MULTILINE)
    if match is None:
        _fail("no __version__ in src/guest_orders/__init__.py")
    return match.group(1)


def _build(out: Path) -> tuple[Path, Path]:
    _step("building the sdist, and the wheel from the sdist")
    _run(_uv(), "build", "--quiet", "--out-dir", str(out), str(ROOT))
    [sdist] = out.glob("*.tar.gz")
    [wheel] = out.glob("*.whl")
    return sdist, wheel


def _check_metadata(text: str, version: str, where: str) -> None:
    metadata = email.parser.Parser().parsestr(text)
    if metadata["Version"] != version:
        _fail(f"{where}: version {metadata['Version']!r}, __version__ says {version!r}")
    if metadata["License-Expression"] != "MIT":
        _fail(f"{where}: License-Expression is {metadata['License-Expression']!r}")
    if "LICENSE" not in (metadata.get_all("License-File") or []):
        _fail(f"{where}: no License-File: LICENSE")
    unknown = [c for c in metadata.get_all("Classifier") or [] if c not in known_classifiers]
    if unknown:
        _fail(f"{where}: unknown trove classifiers {unknown}")


def _check_sdist(sdist: Path, version: str) -> None:
    _step(f"checking {sdist.name}")
    with tarfile.open(sdist) as archive:
        names = {name.partition("/")[2] for name in archive.getnames()}
        member = archive.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/PKG-INFO")
        assert member is not None
        _check_metadata(member.read().decode(), version, sdist.name)
    for required in ("LICENSE", "README.md", "CHANGELOG.md", "pyproject.toml"):
        if required not in names:
            _fail(f"{sdist.name} lacks {required}")


def _check_wheel(wheel: Path, version: str) -> None:
    _step(f"checking {wheel.name}")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"{PACKAGE}-{version}.dist-info"
        _check_metadata(archive.read(f"{dist_info}/METADATA").decode(), version, wheel.name)
    expected = {f"{dist_info}/licenses/LICENSE", f"{PACKAGE}/py.typed"}
    source = ROOT / "src"
    expected |= {path.relative_to(source).as_posix() for path in source.rglob("*.mo")}
    missing = sorted(expected - names)
    if missing:
        _fail(f"{wheel.name} lacks {missing}")
    stray = sorted(name for name in names if "/tests/" in name or name.endswith(".pyc"))
    if stray:
        _fail(f"{wheel.name} carries files a user does not need: {stray}")


def _check_core(work: Path, wheel: Path, version: str) -> set[str]:
    """The wheel without extras: quickstart, version, no optional import. Returns the
    top-level modules this environment has (the core's and its dependencies')."""
    _step("the wheel without extras, in a fresh virtual environment")
    python = _venv(work / "venv-core", str(wheel))
    readme_dir = work / "readme"
    readme_dir.mkdir()
    shutil.copy(ROOT / "README.md", readme_dir / "README.md")
    examples = _run(str(python), "-m", "doctest", "-v", "README.md", cwd=readme_dir, capture=True)
    print("  README quickstart:", examples.strip().splitlines()[-2])
    answer = _run(str(python.parent / "guest-orders"), "--version", capture=True).strip()
    if answer != f"guest-orders {version}":
        _fail(f"guest-orders --version answered {answer!r}")
    core_modules = set(json.loads(_run(str(python), "-c", _TOP_LEVEL_MODULES, capture=True)))

    _step("importing guest_orders with every extra installed loads no optional dependency")
    python_all = _venv(work / "venv-all", f"{wheel}[all]")
    installed = json.loads(_run(str(python_all), "-c", _TOP_LEVEL_MODULES, capture=True))
    optional = set(installed) - core_modules
    loaded = set(json.loads(_run(str(python_all), "-c", _LOADED_AFTER_IMPORT, capture=True)))
    print(f"  {len(optional)} top-level modules come only with extras; {len(loaded)} loaded")
    leaked = sorted(loaded & optional)
    if leaked:
        _fail(f"import guest_orders loads optional dependencies: {leaked}")
    return core_modules


def _check_extras(work: Path, wheel: Path, pyproject: dict, core_modules: set[str]) -> None:
    extras = pyproject["project"].get("optional-dependencies", {})
    named = pyproject.get("tool", {}).get(PACKAGE, {}).get("extras", {})
    unknown = sorted(set(named) - set(extras))
    if unknown:
        _fail(f"[tool.guest_orders.extras] names extras pyproject does not declare: {unknown}")
    for extra in sorted(set(extras) - UNION_EXTRAS):
        modules = named.get(extra) or _modules_named(extra)
        if not modules:
            _fail(
                f"extra {extra!r}: name the modules it enables in [tool.guest_orders.extras] "
                "of pyproject.toml"
            )
        _step(f"extra {extra!r} alone: importing {', '.join(modules)}")
        python = _venv(work / f"venv-{extra}", f"{wheel}[{extra}]")
        _run(str(python), "-c", _IMPORT_MODULES, *modules)
        installed = set(json.loads(_run(str(python), "-c", _TOP_LEVEL_MODULES, capture=True)))
        if not installed - core_modules:
            _fail(f"extra {extra!r} installs nothing beyond the core")


def _modules_named(extra: str) -> list[str]:
    """The public modules of the package with a dotted-path part equal to ``extra``."""
    source = ROOT / "src"
    found = set()
    for path in (source / PACKAGE).rglob("*.py"):
        parts = list(path.relative_to(source).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        if extra in parts and not any(part.startswith("_") for part in parts):
            found.add(".".join(parts))
    return sorted(found)


def _venv(path: Path, requirement: str) -> Path:
    _run(_uv(), "venv", "--quiet", "--python", sys.executable, str(path))
    python = path / "bin" / "python"
    _run(_uv(), "pip", "install", "--quiet", "--python", str(python), requirement)
    return python


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        _fail("uv is not installed (make package-check installs it)")
    return found


def _run(*command: str, cwd: Path | None = None, capture: bool = False) -> str:
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    result = subprocess.run(  # noqa: S603 - our own tools, with our own arguments
        command, cwd=cwd, env=env, text=True, capture_output=capture, check=False
    )
    if result.returncode != 0:
        if capture:
            sys.stderr.write(result.stdout + result.stderr)
        _fail(f"exit status {result.returncode}: {' '.join(command)}")
    return result.stdout if capture else ""


def _step(text: str) -> None:
    print(f"package check: {text}", flush=True)


def _fail(text: str) -> NoReturn:
    sys.stderr.write(f"package check FAILED: {text}\n")
    raise SystemExit(1)


if __name__ == "__main__":
    sys.exit(main())
