"""python -m tools.bench (make bench): national-scale figures of the pipeline, with ratios.

Sections run in this order, each skippable: ingest (with its floor and peer), airflow, errors, kpi.
The table goes to the terminal and the same figures to build/bench/<UTC time>.json and latest.json.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import datetime, timezone

from tools.bench import errors, ingest, kpi, overhead
from tools.bench.paths import bench_dir
from tools.bench.report import derive, table, write_json, write_partial

SECTIONS = ("ingest", "airflow", "errors", "kpi")
QUICK = {"sizes": [50_000, 500_000], "histories": [0, 12], "runs": 1, "xlsx_rows": 20_000,
         "kpi_enterprises": 100_000, "error_rows": 500_000}


def sizes(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.replace(" ", ",").split(",") if x]


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=sizes, default=[50_000, 500_000, 1_000_000], help="CSV rows (default %(default)s)")
    p.add_argument("--runs", type=int, default=3, help="runs per figure, the median is reported (default 3)")
    p.add_argument("--histories", type=sizes, default=[0, 12, 24],
                   help="months already loaded before the measured one (default 0,12,24)")
    p.add_argument("--xlsx-rows", type=int, default=100_000, help="rows of the XLSX case (0: none)")
    p.add_argument("--peer-sizes", type=sizes, default=[50_000], help="sizes the usual way runs at (default 50000)")
    p.add_argument("--peer-runs", type=int, default=1, help="runs of the usual way (slow; default 1)")
    p.add_argument("--error-rows", type=int, default=None, help="size of the bad-row files (default: largest size)")
    p.add_argument("--kpi-enterprises", type=int, default=500_000, help="enterprises of the KPI warehouse")
    p.add_argument("--kpi-months", type=int, default=60, help="months of the KPI warehouse (default 60)")
    p.add_argument("--kpi-all-runs", type=int, default=1,
                   help="runs of the whole catalogue over every period (minutes at 500,000; default 1)")
    p.add_argument("--airflow-range", default=f"{overhead.FIRST}:{overhead.LAST}",
                   help="months of the Airflow-overhead run, FROM:TO (default the whole sample)")
    p.add_argument("--airflow-sources", default="", help="sources of that run (default: all)")
    p.add_argument("--demo", action="store_true", help="also time make demo after set-up (about a minute)")
    p.add_argument("--skip", default="", help=f"comma-separated sections to leave out: {', '.join(SECTIONS)}")
    p.add_argument("--quick", action="store_true",
                   help="a few minutes: sizes 50,000 and 500,000, 0 and 12 months, 1 run, smaller KPI warehouse")
    p.add_argument("--seed", type=int, default=20210101)
    p.add_argument("--jobs", type=int, default=1,
                   help="sections side by side (the smoke test; timings then disturb each other)")
    args = p.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            if getattr(args, key) == p.get_default(key):
                setattr(args, key, value)
    if args.error_rows is None:
        args.error_rows = max(args.sizes)
    unknown = set(filter(None, args.skip.split(","))) - set(SECTIONS)
    if unknown:
        p.error(f"unknown section(s) to skip: {sorted(unknown)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    skip = set(filter(None, args.skip.split(",")))
    say = lambda text: print(text, flush=True)  # noqa: E731
    started = time.perf_counter()
    results: dict = {"meta": {"started": _now(), "argv": sys.argv[1:], "runs": args.runs, "peer_runs": args.peer_runs,
                              "seed": args.seed, "host": platform.node(), "cpus": os.cpu_count(),
                              "python": platform.python_version()}}
    sections = {}
    if "ingest" not in skip:
        sections["ingest"] = lambda: ingest.measure_all(args.sizes, args.xlsx_rows or None, args.histories,
                                                        args.peer_sizes, args.runs, args.peer_runs, args.seed, say)
    if "airflow" not in skip:
        first, _, last = args.airflow_range.partition(":")
        sections["airflow"] = lambda: overhead.measure(args.runs, args.demo, first, last or first,
                                                       args.airflow_sources, say)
    if "errors" not in skip and args.error_rows:
        sections["errors"] = lambda: errors.measure(args.error_rows, args.seed, say)
    if "kpi" not in skip and args.kpi_enterprises:
        sections["kpi_mart"] = lambda: kpi.measure(args.kpi_enterprises, args.kpi_months, args.runs, args.kpi_all_runs,
                                                   args.seed, say)
    say(f"== {', '.join(sections)}: sizes {args.sizes}, months loaded {args.histories}, {args.runs} run(s) each")
    partial = bench_dir() / "partial.json"  # what a long run measured so far, should it be interrupted
    results.update(run_sections(sections, args.jobs, lambda done: write_partial({**results, **done}, partial)))
    results["meta"].update(finished=_now(), elapsed_s=time.perf_counter() - started)
    derive(results)
    path = write_json(results, bench_dir())
    partial.unlink(missing_ok=True)
    say("")
    say(table(results))
    say(f"\nJSON: {path} (and latest.json); {results['meta']['elapsed_s'] / 60:.1f} minutes")
    return 0


def run_sections(sections: dict, jobs: int, on_done) -> dict:
    """Each section's figures (``on_done`` sees them as they come); with ``jobs`` > 1 sections run side by
    side (the smoke test's speed-up: figures measured beside each other are not comparable, which is why
    the default is 1)."""
    done: dict = {}
    if jobs <= 1:
        for name, measure in sections.items():
            done[name] = measure()
            on_done(done)
        return done
    from concurrent.futures import ThreadPoolExecutor  # each measurement is a child process: threads suffice

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {name: pool.submit(measure) for name, measure in sections.items()}
        return {name: future.result() for name, future in futures.items()}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    sys.exit(main())
