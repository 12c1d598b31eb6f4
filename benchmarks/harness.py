"""A small timing harness on :mod:`timeit`, made for a shared, noisy machine.

Every comparison is *interleaved*: each round times every contender once, back to back,
so a load spike hits all of them alike, and a ratio is taken per round. Figures are the
medians over the rounds. Absolute timings are printed for information only: targets are
ratios against a baseline or a peer measured in the same run, and each ratio is compared
with the previous release's (``baseline.json``): worse by more than 10 % is a regression.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: ``GUEST_ORDERS_BENCH_QUICK=1`` (or ``run.py --quick``) trades precision for time.
QUICK = os.environ.get("GUEST_ORDERS_BENCH_QUICK", "") not in {"", "0"}
ROUNDS = 7 if QUICK else 15
BATCH_SECONDS = 0.01 if QUICK else 0.025
#: The previous release's figures, measured by this suite (see docs/performance.md).
BASELINE_FILE = Path(__file__).resolve().parent / "baseline.json"
#: How much worse than the previous release a figure may be before it is flagged.
REGRESSION = 0.10


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, Any]:
    """``{"release": ..., "figures": {name: {"value": v, "better": "lower"|"higher"}}}``,
    or an empty baseline when the file does not exist."""
    if not path.exists():
        return {"release": None, "figures": {}}
    baseline: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return baseline


def regressed(value: float, previous: float, better: str) -> bool:
    """Whether ``value`` is worse than ``previous`` by more than :data:`REGRESSION`."""
    if better == "lower":
        return value > previous * (1 + REGRESSION)
    return value < previous * (1 - REGRESSION)


@dataclass(frozen=True)
class Timing:
    """Seconds per call of each contender (median over rounds) and the per-round ratios."""

    per_call: dict[str, float]
    rounds: dict[str, list[float]]

    def ratio(self, name: str, baseline: str) -> float:
        """Median over rounds of ``name``'s time divided by ``baseline``'s, same round."""
        return statistics.median(
            a / b for a, b in zip(self.rounds[name], self.rounds[baseline], strict=True)
        )


def _calibrate(fn: Callable[[], object], batch_seconds: float) -> int:
    """How many calls take about ``batch_seconds`` (at least one)."""
    timer = timeit.Timer(fn)
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= batch_seconds / 4 or number >= 1 << 24:
            break
        number *= 4 if elapsed < batch_seconds / 40 else 2
    return max(1, round(number * batch_seconds / max(elapsed, 1e-9)))


def compare(
    contenders: dict[str, Callable[[], object]],
    *,
    rounds: int = ROUNDS,
    batch_seconds: float = BATCH_SECONDS,
) -> Timing:
    """Time each contender ``rounds`` times, interleaved; ``timeit`` disables the GC."""
    timers = {name: timeit.Timer(fn) for name, fn in contenders.items()}
    numbers = {name: _calibrate(fn, batch_seconds) for name, fn in contenders.items()}
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for round_index in range(rounds):
        # Rotate the order so no contender always runs first (cache, frequency effects).
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(timers[name].timeit(numbers[name]) / numbers[name])
    return Timing(
        per_call={name: statistics.median(s) for name, s in samples.items()},
        rounds=samples,
    )


def time_calls(
    fn: Callable[[], object], *, count: int, repeat: int, setup: Callable[[], object] | None = None
) -> float:
    """Median over ``repeat`` runs of the seconds per call of ``count`` calls of ``fn``.

    For calls that are slow or change state: ``setup`` runs before each run, untimed.
    """
    samples = []
    for _ in range(repeat):
        if setup is not None:
            setup()
        gc.collect()
        samples.append(timeit.Timer(fn).timeit(count) / count)
    return statistics.median(samples)


@dataclass(frozen=True)
class Limit:
    """A target on a ratio: ``value <= bound`` (``at_most``) or ``value >= bound``."""

    bound: float
    upper: bool

    def __call__(self, value: float) -> bool:
        return value <= self.bound if self.upper else value >= self.bound


def at_most(bound: float) -> Limit:
    return Limit(bound, upper=True)


def at_least(bound: float) -> Limit:
    return Limit(bound, upper=False)


@dataclass
class Figure:
    """One line of the report: what was measured, its target, and whether it is met.

    ``value`` and ``check`` (for ratio targets) let several runs be summarised by their
    median. ``not_applicable`` names why a target does not apply to the library (the
    figure is still measured and shown, and not counted as met or missed).
    """

    section: str
    name: str
    measured: str
    target: str
    met: bool | None  # None: informational, no target
    note: str = ""
    value: float | None = None
    check: Limit | None = None
    not_applicable: str = ""
    #: "lower" or "higher": which way ``value`` improves (for the regression check).
    better: str = ""


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(  # noqa: PLR0913  # one keyword per field of a Figure
        self,
        section: str,
        name: str,
        measured: str,
        target: str = "",
        *,
        met: bool | None = None,
        note: str = "",
        value: float | None = None,
        check: Limit | None = None,
        not_applicable: str = "",
        better: str = "",
    ) -> None:
        if check is not None and value is not None and met is None:
            met = check(value)
        if check is not None and not better:
            better = "lower" if check.upper else "higher"
        figure = Figure(
            section, name, measured, target, met, note, value, check, not_applicable, better
        )
        self.figures.append(figure)
        print(_line(figure), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


def verdict(met: bool | None, not_applicable: str = "") -> str:  # noqa: FBT001  # a tri-state
    if not_applicable:
        return "n/a"
    return {True: "MET", False: "MISSED", None: "info"}[met]


def _line(figure: Figure) -> str:
    target = f"  (target {figure.target})" if figure.target else ""
    if figure.not_applicable:
        target += f"  n/a ({figure.not_applicable})"
    note = f"  [{figure.note}]" if figure.note else ""
    return (
        f"  {verdict(figure.met, figure.not_applicable):6} {figure.name}: {figure.measured}"
        f"{target}{note}"
    )


def us(seconds: float) -> str:
    """Seconds as microseconds, for display."""
    return f"{seconds * 1e6:.2f} µs"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms"
