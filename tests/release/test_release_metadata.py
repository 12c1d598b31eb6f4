"""What a release carries: the license, one version, a changelog section, a README that
reads right on a package index, and ``guest-orders --version``."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

import guest_orders
from guest_orders.__main__ import main as command_main

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")

RELEASE_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})$")


def test_the_license_is_mit_and_named_for_the_artifacts() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text
    project = PYPROJECT["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]


def test_the_version_is_written_once_and_read_by_the_build() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "src/guest_orders/__init__.py"
    assert str(Version(guest_orders.__version__)) == guest_orders.__version__
    sources = [
        path
        for path in (ROOT / "src").rglob("*.py")
        if re.search(r"^__version__ = ", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert sources == [ROOT / "src" / "guest_orders" / "__init__.py"]


def changelog_releases(text: str) -> dict[str, str]:
    """Release version -> date, from the ``## [X.Y.Z] - YYYY-MM-DD`` headings."""
    releases = {}
    for line in text.splitlines():
        if line.startswith("## [") and not line.startswith("## [Unreleased]"):
            match = RELEASE_HEADING.match(line)
            assert match is not None, f"malformed release heading: {line!r}"
            releases[match["version"]] = match["date"]
    return releases


def test_the_changelog_has_an_unreleased_section_and_well_formed_releases() -> None:
    assert "\n## [Unreleased]\n" in CHANGELOG
    for version in changelog_releases(CHANGELOG):
        Version(version)


def test_a_release_version_has_its_changelog_section() -> None:
    version = Version(guest_orders.__version__)
    if version.is_devrelease or version.is_prerelease:
        assert guest_orders.__version__ not in changelog_releases(CHANGELOG)
    else:
        assert guest_orders.__version__ in changelog_releases(CHANGELOG), (
            "docs/contributing.md: a release renames [Unreleased] to [X.Y.Z] - date"
        )


def test_a_malformed_release_heading_is_caught() -> None:
    with pytest.raises(AssertionError, match="malformed release heading"):
        changelog_releases("## [Unreleased]\n\n## [1.0.0] 2026-01-01\n")
    assert changelog_releases("## [1.0.0] - 2026-01-01\n") == {"1.0.0": "2026-01-01"}


def relative_links(markdown: str) -> list[str]:
    """Link and image targets that are neither absolute URLs nor anchors."""
    targets = re.findall(r"\]\(([^)\s]+)", markdown)
    targets += re.findall(r'(?:href|src)="([^"]+)"', markdown)
    return [target for target in targets if not re.match(r"https?://|#", target)]


def test_the_readme_has_no_link_a_package_index_breaks() -> None:
    assert relative_links(README) == []


def test_relative_links_are_found() -> None:
    sample = '[a](docs/a.md) [b](https://x.org/b) [c](#c) ![d](img/d.png) <img src="e.png">'
    assert relative_links(sample) == ["docs/a.md", "img/d.png", "e.png"]


def test_the_readme_shows_the_license() -> None:
    assert README.rstrip().endswith("## License\n\nMIT")


def test_version_answers_through_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        command_main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"guest-orders {guest_orders.__version__}\n"


def test_version_answers_without_the_web_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A None entry makes `from guest_orders import cli` raise ImportError, as on an install
    # without the web extra.
    monkeypatch.setitem(sys.modules, "guest_orders.cli", None)
    monkeypatch.delattr(guest_orders, "cli", raising=False)
    assert command_main(["--version"]) == 0
    assert capsys.readouterr().out == f"guest-orders {guest_orders.__version__}\n"
    assert command_main(["serve"]) == 2
    assert capsys.readouterr().err.startswith("guest-orders: error: ")
