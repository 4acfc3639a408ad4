"""The benchmark's figures as a table on the terminal and as JSON under ``build/bench/``.

Growth and the issue's targets are derived here from the measured figures, so the table and the JSON
can never disagree: ``derive`` adds them to the results, ``table`` only formats.
"""
from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from pathlib import Path

# Per-row cost counts as flat while it grows by less than this factor (sizes 50k -> 1M, months 0 -> 24):
# the machine is shared, so a few tens of percent is noise.
FLAT = 1.3
GIB = 1024


def derive(results: dict) -> dict:
    """Add ``growth`` and ``targets`` (issue 10) to the results."""
    ingest = results.get("ingest", {}).get("ingest", [])
    csv_rows = [r for r in ingest if r["format"] == "csv"]
    growth: dict = {}
    if csv_rows:
        by_size = sorted({r["rows"] for r in csv_rows})
        first_history = min(r["history_months"] for r in csv_rows)
        growth["per_row_us_by_size"] = {str(n): _find(csv_rows, n, first_history)["per_row_us"] for n in by_size}
        growth["size_growth"] = (growth["per_row_us_by_size"][str(by_size[-1])]
                                 / growth["per_row_us_by_size"][str(by_size[0])])
        growth["seconds_by_history"] = {
            str(n): {str(r["history_months"]): r["work_s"] for r in csv_rows if r["rows"] == n} for n in by_size}
        growth["load_s_by_history"] = {
            str(n): {str(r["history_months"]): r["load_s"] for r in csv_rows if r["rows"] == n} for n in by_size}
        growth["history_growth"] = {str(n): _history_growth(csv_rows, n) for n in by_size}
        # The published copy (db.publish) is a copy of the whole warehouse file, the one step whose cost
        # follows the warehouse's size by design: shown apart so the rest of the load's growth is visible.
        growth["history_growth_without_publish"] = {
            str(n): _history_growth(csv_rows, n, lambda r: r["work_s"] - (r.get("publish_s") or 0)) for n in by_size}
    results["growth"] = growth
    results["targets"] = targets(results)
    return results


def _find(rows: list[dict], size: int, history: int) -> dict:
    return next(r for r in rows if r["rows"] == size and r["history_months"] == history)


def _history_growth(rows: list[dict], size: int, seconds=lambda r: r["work_s"]) -> float:
    mine = sorted((r["history_months"], seconds(r)) for r in rows if r["rows"] == size)
    return mine[-1][1] / mine[0][1]


def targets(results: dict) -> list[dict]:
    """The issue's targets that this run measured: what was asked, what was measured, met or not."""
    found = []

    def add(name: str, value, limit, met: bool) -> None:
        found.append({"target": name, "value": value, "limit": limit, "met": bool(met)})

    ingest = [r for r in results.get("ingest", {}).get("ingest", []) if r["format"] == "csv"]
    at_500k = [r for r in ingest if r["rows"] == 500_000]
    if at_500k:
        # The issue measures the month into a warehouse already holding 12 and then 24 months: the worst counts.
        months = "/".join(str(r["history_months"]) for r in at_500k)
        x_floor = max(r["x_floor"] for r in at_500k)
        add(f"500,000-row ingest within 5x the DuckDB floor (worst of {months} months loaded)", x_floor, 5,
            x_floor <= 5)
        if all("peer_speedup" in r for r in at_500k):
            speedup = min(r["peer_speedup"] for r in at_500k)
            add(f"500,000-row ingest at least 10x faster than the usual way (worst of {months} months)", speedup, 10,
                speedup >= 10)
        peak = max(r["peak_rss_mb"] for r in at_500k)
        add(f"500,000-row ingest under 1.5 GiB peak memory, MB (worst of {months} months)", peak, 1.5 * GIB,
            peak < 1.5 * GIB)
    growth = results.get("growth", {})
    if len(growth.get("per_row_us_by_size", {})) > 1:
        add(f"per-row cost flat over sizes (largest/smallest, < {FLAT})", growth["size_growth"], FLAT,
            growth["size_growth"] < FLAT)
    for size, factor in growth.get("history_growth", {}).items():
        if len(growth["seconds_by_history"][size]) > 1:
            add(f"{int(size):,} rows: cost flat as months accumulate (most/fewest months, < {FLAT})", factor,
                FLAT, factor < FLAT)
    kpi = results.get("kpi_mart")
    if kpi:
        add(f"KPI mart, one half-year over {kpi['fact_rows']:,} fact rows, under 10 s", kpi["one_half_year_s"], 10,
            kpi["one_half_year_s"] < 10)
    airflow = results.get("airflow")
    if airflow:
        add("Airflow overhead on the sample run below 3x the direct library time", airflow["ratio"], 3,
            airflow["ratio"] < 3)
        first_line = airflow["startup"].get("first_line_s")
        if first_line is not None:
            add("make run start-up (first month line) under 5 s", first_line, 5, first_line < 5)
        if "make_demo" in airflow:
            add("make demo after set-up under 2 minutes", airflow["make_demo"]["work_s"], 120,
                airflow["make_demo"]["work_s"] < 120)
    errors = results.get("errors")
    if errors:
        add(f"every error rule finds every bad row at {errors['rows']:,} rows", errors["all_found"], True,
            errors["all_found"])
    return found


def write_json(results: dict, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(_without_stdout(results), ensure_ascii=False, indent=2, default=str) + "\n"
    path = folder / f"{stamp}.json"
    path.write_text(text, encoding="utf-8")
    (folder / "latest.json").write_text(text, encoding="utf-8")
    return path


def write_partial(results: dict, path: Path) -> None:
    path.write_text(json.dumps(_without_stdout(results), ensure_ascii=False, indent=2, default=str) + "\n",
                    encoding="utf-8")


def _without_stdout(value):
    if isinstance(value, dict):
        return {k: _without_stdout(v) for k, v in value.items() if k != "stdout"}
    if isinstance(value, list):
        return [_without_stdout(v) for v in value]
    return value


# ---- the table --------------------------------------------------------------------------------

def _n(value, places: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{places}f}"


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).rjust(w) if k else str(c).ljust(w)  # noqa: E731
                                   for k, (c, w) in enumerate(zip(cells, widths)))
    return [line(header), line(["-" * w for w in widths]), *map(line, rows)]


STAGES = ("read_s", "parse_s", "suite_s", "landing_s")  # the parts of validate_s, in order


def table(results: dict) -> str:
    out = [f"make bench: {results['meta']['started']} .. {results['meta']['finished']} "
           f"(median of {results['meta']['runs']} runs; peer {results['meta']['peer_runs']})", ""]
    section = results.get("ingest")
    if section:
        out.append(f"Monthly ingest of enterprise_monthly {section['month']} (validate + load, fresh process):")
        rows = [[r["format"], _n(r["rows"]), str(r["history_months"]), _n(r["work_s"]), _n(r["validate_s"]),
                 *(_n(r.get(k)) for k in STAGES), _n(r["load_s"]), _n(r.get("publish_s")), _n(r["peak_rss_mb"], 0),
                 _n(r["per_row_us"], 1), _n(r["floor_s"]), _n(r["x_floor"], 1),
                 _n(r.get("peer_s")) + ("" if r.get("peer_measured") else "*"),
                 _n(r.get("peer_speedup"), 1)] for r in section["ingest"]]
        out += _grid(["format", "rows", "months", "ingest s", "validate s", "read", "parse", "GX", "landing",
                      "load s", "publish s", "peak MB", "us/row", "floor s", "x floor", "peer s", "peer/ingest"], rows)
        out.append("  months: months already in the warehouse; validate = read + parse + GX + landing (+ the "
                   "file's SHA-256); floor: DuckDB read_csv of the same rows as CSV into a fresh file; "
                   "* peer scaled from its per-row cost")
        out.append("")
        out.append("Floor (DuckDB read_csv, auto-detect, into a table) and peer (pandas read_csv + GX suite + "
                   "to_sql):")
        rows = [["floor", _n(f["rows"]), _n(f["work_s"]), "-", "-", "-", _n(f["peak_rss_mb"], 0),
                 _n(f["per_row_us"], 1), "1.0"] for f in section["floor"]]
        rows += [["peer", _n(p["rows"]), _n(p["work_s"]), _n(p["read_s"]), _n(p["validate_s"]), _n(p["to_sql_s"]),
                  _n(p["peak_rss_mb"], 0), _n(p["per_row_us"], 1), _n(p.get("x_floor"), 1)] for p in section["peer"]]
        out += _grid(["", "rows", "total s", "read s", "GX s", "to_sql s", "peak MB", "us/row", "x floor"], rows)
        out.append("")
    growth = results.get("growth")
    if growth:
        out.append("Growth: us/row by size (fewest months): " + ", ".join(
            f"{int(n):,}: {v:.1f}" for n, v in growth["per_row_us_by_size"].items())
            + f"  (largest/smallest {growth['size_growth']:.2f})")
        for size, by_history in growth["seconds_by_history"].items():
            loads = growth["load_s_by_history"][size]
            out.append(f"  {int(size):,} rows, s by months loaded: " + ", ".join(
                f"{h}: {s:.2f} (load {loads[h]:.2f})" for h, s in by_history.items())
                + f"  (most/fewest {growth['history_growth'][size]:.2f}; without publishing the copy "
                  f"{growth['history_growth_without_publish'][size]:.2f})")
        out.append("")
    kpi = results.get("kpi_mart")
    if kpi:
        out.append(f"KPI mart over {kpi['months']} months x {kpi['enterprises']:,} enterprises "
                   f"({kpi['fact_rows']:,} fact rows), build_mart:")
        out.append(f"  one stale half-year ({kpi['half_year']}) {kpi['one_half_year_s']:.2f} s; whole catalogue over "
                   f"every period ({kpi['half_years']} half-years, {kpi['periods_months']} months) "
                   f"{kpi['all_periods_s']:.2f} s ({len(kpi['all_periods']['runs'])} run(s)); "
                   f"peak {kpi['peak_rss_mb']:.0f} MB")
        out.append("")
    airflow = results.get("airflow")
    if airflow:
        a, d = airflow["airflow_run"], airflow["direct_run"]
        out.append(f"Airflow overhead, sample {airflow['months']} ({airflow.get('sources') or 'all sources'}): "
                   f"town-industry run {a['work_s']:.1f} s (peak {a['peak_rss_mb']:.0f} MB), direct library "
                   f"{d['work_s']:.1f} s (peak {d['peak_rss_mb']:.0f} MB): ratio {airflow['ratio']:.2f}")
        s = airflow["startup"]
        out.append(f"  start-up: first month line after {_n(s.get('first_line_s'), 1)} s "
                   f"(one source, one month; whole run {s['work_s']:.1f} s)")
        if "make_demo" in airflow:
            out.append(f"  make demo after set-up: {airflow['make_demo']['work_s']:.1f} s")
        out.append("")
    errors = results.get("errors")
    if errors:
        for case in errors["cases"]:
            last = case["last_injected"]
            out.append(f"Error rules at {case['rows']:,} rows, {case['case']}: "
                       f"{case['injected_count'] - case['missing_count']:,}/{case['injected_count']:,} bad rows found "
                       f"(last: {last['rule']} on row {last['row']:,}); {case['work_s']:.1f} s; rejection report "
                       f"{case['report_kb']} KB, {case['report_lines']:,} lines")
        out.append("")
    if results.get("targets"):
        out.append("Targets (issue 10):")
        out += _grid(["", "target", "measured", "limit"],
                     [["met" if t["met"] else "MISSED", t["target"], _n(t["value"]), _n(t["limit"])]
                      for t in results["targets"]])
    return "\n".join(out)
