"""The core never imports the testing kit, and the kit's fakes need neither Hypothesis
nor pytest."""

from __future__ import annotations

import subprocess
import sys

_CORE = [
    "guest_orders",
    "guest_orders.domain",
    "guest_orders.errors",
    "guest_orders.policy",
    "guest_orders.ports",
    "guest_orders.clocks",
    "guest_orders.use_cases",
    "guest_orders.adapters.memory",
]


def _loaded_after(imports: list[str]) -> set[str]:
    script = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in imports)
        + "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(  # noqa: S603  # our own interpreter, our own script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


def test_the_core_does_not_import_the_testing_kit() -> None:
    loaded = _loaded_after(_CORE)
    assert not {name for name in loaded if name.startswith("guest_orders.testing")}
    assert not {"hypothesis", "pytest"} & loaded


def test_the_fakes_need_neither_hypothesis_nor_pytest() -> None:
    loaded = _loaded_after(["guest_orders.testing"])
    assert "guest_orders.testing" in loaded
    assert not {"hypothesis", "pytest"} & loaded
