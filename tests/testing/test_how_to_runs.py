"""docs/how-to/test-your-adapter.md is executed: its Python blocks are the files of a
small project, and pytest must pass it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOC = Path(__file__).parents[2] / "docs" / "how-to" / "test-your-adapter.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def python_blocks(text: str) -> dict[str, str]:
    """Each ```python block, keyed by the file its first line names (``# tests/x.py``)."""
    files: dict[str, str] = {}
    for match in _BLOCK.finditer(text):
        code = match.group(1)
        first = code.splitlines()[0]
        assert re.fullmatch(r"# [\w/]+\.py", first), f"a block must name its file: {first!r}"
        files[first.removeprefix("# ")] = code
    return files


def test_the_doc_names_the_files_of_a_project() -> None:
    assert set(python_blocks(DOC.read_text())) == {
        "tests/test_storage_contract.py",
        "tests/conftest.py",
        "tests/test_endpoints.py",
    }


def test_the_how_to_passes_as_written(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, code in python_blocks(DOC.read_text()).items():
        target = pytester.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code)
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "dev")  # the doc's own fast profile
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q", "tests")
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert outcomes.get("failed", 0) == 0
    assert outcomes["passed"] >= 38
