"""Run the benchmark suite and print every figure with its target and whether it is met.

    make bench                       # or: .venv/bin/python benchmarks/run.py
    .venv/bin/python benchmarks/run.py --only 1,3 --quick
    .venv/bin/python benchmarks/run.py --markdown    # the summary as a Markdown table
    .venv/bin/python benchmarks/run.py --repeat 3    # medians over three whole runs

Targets are ratios against baselines or peers measured in the same run, never absolute
timings. Each ratio is also compared with the previous release's (``baseline.json``):
worse by more than 10 % is flagged REGRESSED. The exit status is 0 whether targets are
met or not (the figures are informational), 1 when a benchmark could not run, and 2 on a
regression with ``--fail-on-regression``.

The previous release's figures are recorded by running this suite on its code:

    git worktree add /some/where <release commit>
    .venv/bin/python benchmarks/run.py --only 4,5 --library-src /some/where/src \\
        --record-baseline benchmarks/baseline.json --release <release commit>
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
    "fastapi",
    "Django",
    "djangorestframework",
    "gunicorn",
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
    parser.add_argument(
        "--library-src",
        type=Path,
        help="measure the guest_orders package found in this src/ folder (another release)",
    )
    parser.add_argument(
        "--record-baseline",
        type=Path,
        help="write the figures that have a value to this file, as the previous release's",
    )
    parser.add_argument("--release", default="", help="the release named in --record-baseline")
    parser.add_argument(
        "--fail-on-regression",
        action="store_true",
        help="exit with status 2 when a figure regressed against baseline.json",
    )
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
                value=statistics.median(values) if values else None,
                not_applicable=last.not_applicable,
                better=last.better,
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


def _regressions(harness: Any, report: Any, baseline: dict[str, Any]) -> int:
    """Print each figure against the previous release's; return how many regressed."""
    previous = baseline["figures"]
    compared = [f for f in report.figures if f.value is not None and f.name in previous]
    if not compared:
        print("\nNo figure of the previous release to compare with (baseline.json).")
        return 0
    print(
        f"\nAgainst the previous release ({baseline.get('release') or 'baseline.json'};"
        f" flagged when worse by more than {harness.REGRESSION:.0%})\n"
    )
    count = 0
    for figure in compared:
        before = previous[figure.name]["value"]
        better = previous[figure.name]["better"]
        flagged = harness.regressed(figure.value, before, better)
        count += flagged
        change = figure.value / before - 1
        print(
            f"  {'REGRESSED' if flagged else 'ok':9} {figure.name}: {figure.value:.2f}"
            f" (was {before:.2f}, {change:+.0%}; {better} is better)"
        )
    print(f"\n{count} regression(s) against the previous release.")
    return count


def _record(report: Any, path: Path, release: str, about: dict[str, str]) -> None:
    figures = {
        f.name: {"value": round(f.value, 4), "better": f.better}
        for f in report.figures
        if f.value is not None and f.better
    }
    path.write_text(
        json.dumps(
            {"release": release, "machine": about, "figures": figures},
            indent=2,
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"\nrecorded {len(figures)} figures of {release or 'this code'} in {path}")


def _compare_or_record(
    harness: Any, report: Any, args: argparse.Namespace, about: dict[str, str]
) -> int:
    if args.record_baseline:
        _record(report, args.record_baseline, args.release, about)
        return 0
    return _regressions(harness, report, harness.load_baseline())


def _environment(args: argparse.Namespace) -> None:
    if args.quick:
        os.environ["GUEST_ORDERS_BENCH_QUICK"] = "1"
    if args.library_src:
        source = str(args.library_src.resolve())
        sys.path.insert(0, source)  # before the installed package, here and in the servers
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [source, *filter(None, [os.environ.get("PYTHONPATH")])]
        )
    sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    args = _arguments()
    _environment(args)
    harness = importlib.import_module("harness")
    library = importlib.import_module("guest_orders")

    about = machine()
    print("guest_orders benchmarks")
    print(f"  library: {Path(library.__file__ or '').parent}")
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
    regressions = _compare_or_record(harness, report, args, about)
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
    if failed:
        return 1
    return 2 if regressions and args.fail_on_regression else 0


if __name__ == "__main__":
    sys.exit(main())
