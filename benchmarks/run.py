"""Run the benchmark suite and print every figure with its target and whether it is met.

    make bench                       # or: .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --only 1,3 --quick
    .venv/bin/python benchmarks/run.py --markdown    # the summary as a Markdown table
    .venv/bin/python benchmarks/run.py --repeat 3    # medians over three whole runs

Targets are ratios against baselines measured in the same run, never absolute timings.
The exit status is 0 whether targets are met or not (the figures are informational); it
is 1 only when a benchmark could not run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Any

SECTIONS = {
    "1": "bench_serialization",
    "2": "bench_parsing",
    "3": "bench_use_cases",
    "4": "bench_sql",
    "5": "bench_http",
    "6": "bench_security",
}
PACKAGES = (
    "attrs",
    "cattrs",
    "email-validator",
    "SQLAlchemy",
    "psycopg",
    "starlette",
    "uvicorn",
    "orjson",
    "pydantic",
    "msgspec",
)


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or "unknown"
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "-"
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="comma-separated figure numbers (1-6) to run")
    parser.add_argument("--quick", action="store_true", help="fewer rounds, less precision")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the suite this many times and report the median of each ratio",
    )
    parser.add_argument("--markdown", action="store_true", help="print the summary as Markdown")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    args.only = args.only.split(",") if args.only else list(SECTIONS)
    unknown = [s for s in args.only if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(unknown)}")
    return args


def _combine(harness: Any, reports: list[Any]) -> Any:
    """One report from several runs: each ratio target judged on its median."""
    if len(reports) == 1:
        return reports[0]
    combined = harness.Report(notes=[n for r in reports for n in r.notes])
    runs: dict[str, list[Any]] = {}
    for report in reports:
        for figure in report.figures:
            runs.setdefault(figure.name, []).append(figure)
    for name, figures in runs.items():
        last = figures[-1]
        values = [f.value for f in figures if f.value is not None]
        if last.check is not None and len(values) == len(figures):
            median = statistics.median(values)
            each = ", ".join(f"{v:.2f}" for v in values)
            measured = f"{median:.2f}× median of {len(values)} runs ({each}); last: {last.measured}"
            met = last.check(median)
        else:
            measured = last.measured
            met = None if last.met is None else all(f.met for f in figures)
        combined.figures.append(
            harness.Figure(
                last.section,
                name,
                measured,
                last.target,
                met,
                last.note,
                not_applicable=last.not_applicable,
            )
        )
    return combined


def _summary(harness: Any, report: Any, *, elapsed: float, markdown: bool) -> None:
    print(f"\nSummary ({elapsed:.0f} s; targets are ratios measured in this run)\n")
    rows = [f for f in report.figures if f.met is not None]
    if markdown:
        print("| figure | measured | target | met? |")
        print("|---|---|---|---|")
        for f in rows:
            verdict = harness.verdict(f.met, f.not_applicable)
            if f.not_applicable:
                verdict += f" ({f.not_applicable})"
            print(f"| {f.name} | {f.measured} | {f.target} | {verdict} |")
    else:
        for f in rows:
            verdict = harness.verdict(f.met, f.not_applicable)
            why = f"; n/a: {f.not_applicable}" if f.not_applicable else ""
            print(f"  {verdict:6}  {f.name}: {f.measured}  (target {f.target}{why})")
    applicable = [f for f in rows if not f.not_applicable]
    met = sum(1 for f in applicable if f.met)
    skipped = len(rows) - len(applicable)
    print(
        f"\n{met} of {len(applicable)} targets met"
        + (f" ({skipped} more not applicable to the library)." if skipped else ".")
    )
    for note in report.notes:
        print(f"note: {note}")


def main() -> int:
    args = _arguments()
    if args.quick:
        os.environ["GUEST_ORDERS_BENCH_QUICK"] = "1"
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    harness = importlib.import_module("harness")

    about = machine()
    print("guest_orders benchmarks")
    for key, value in about.items():
        print(f"  {key}: {value}")
    if harness.QUICK:
        print("  mode: quick (fewer rounds)")

    reports = []
    failed = []
    started = time.perf_counter()
    for run in range(args.repeat):
        if args.repeat > 1:
            print(f"\n=== run {run + 1} of {args.repeat}")
        report = harness.Report()
        reports.append(report)
        for number in args.only:
            try:
                importlib.import_module(SECTIONS[number]).run(report)
            except Exception:  # noqa: BLE001  # report it and go on with the other figures
                traceback.print_exc()
                failed.append(SECTIONS[number])
    elapsed = time.perf_counter() - started
    report = _combine(harness, reports)
    _summary(harness, report, elapsed=elapsed, markdown=args.markdown)
    if failed:
        print(f"could not run: {', '.join(failed)}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": about,
                    "seconds": round(elapsed),
                    "figures": [
                        {k: v for k, v in f.__dict__.items() if k != "check"}
                        for f in report.figures
                    ],
                    "notes": report.notes,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
