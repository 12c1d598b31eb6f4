"""Print a pip constraints file that pins every declared minimum to exactly that version.

Reads pyproject.toml: the core dependencies and every optional-dependency extra (any
extra added later is covered without editing this script). A requirement ``name>=X``
(or ``~=X``, ``==X``) becomes ``name==X``, with its environment marker kept; the project's
own extras (``guest_orders[...]``) and requirements without a lower bound pin nothing.
Where two extras declare different floors for one package, the higher one is pinned (an
environment with every extra installed can hold only one version) and a note goes to
stderr.

    python .ci/lowest-pins.py > lowest.txt
    pip install -c lowest.txt -e ".[$(python .ci/lowest-pins.py --extras)]" --group dev

``--extras`` prints the names of every extra, comma-separated, instead.

Standard library only: it runs before any virtual environment exists.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_REQUIREMENT = re.compile(
    r"""^\s*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*
    (?P<specifiers>[^;]*?)\s*(?:;\s*(?P<marker>.+))?$""",
    re.VERBOSE,
)
_FLOOR = re.compile(r"(?:>=|~=|==)\s*(?P<version>[A-Za-z0-9.!+*-]+)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def pins(pyproject: dict[str, object]) -> tuple[dict[tuple[str, str], str], list[str]]:
    """``{(package, marker): version}`` and notes about conflicting floors."""
    project: dict[str, object] = pyproject["project"]  # type: ignore[assignment]
    own = _canonical(str(project["name"]))
    requirements: list[str] = list(project.get("dependencies", []))  # type: ignore[call-overload]
    extras: dict[str, list[str]] = project.get("optional-dependencies", {})  # type: ignore[assignment]
    for extra in extras.values():
        requirements.extend(extra)
    found: dict[tuple[str, str], str] = {}
    notes: list[str] = []
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if match is None:
            raise SystemExit(f"cannot read the requirement {requirement!r}")
        name = _canonical(match["name"])
        floor = _FLOOR.search(match["specifiers"])
        if name == own or floor is None:
            continue
        key = (name, (match["marker"] or "").strip())
        version = floor["version"]
        previous = found.get(key)
        if previous is not None and previous != version:
            higher = max(previous, version, key=_version_key)
            notes.append(f"{name}: floors {previous} and {version} declared; pinning {higher}")
            version = higher
        found[key] = version
    return found, notes


def main() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        pyproject = tomllib.load(file)
    if sys.argv[1:] == ["--extras"]:
        print(",".join(pyproject["project"].get("optional-dependencies", {})))
        return
    found, notes = pins(pyproject)
    for note in notes:
        print(f"lowest-pins: {note}", file=sys.stderr)
    for (name, marker), version in sorted(found.items()):
        print(f"{name}=={version}" + (f" ; {marker}" if marker else ""))


if __name__ == "__main__":
    main()
