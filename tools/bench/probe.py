"""What a measured child process does: ``python -m tools.bench.probe <kind> args...``.

Each kind imports what it needs first, then times only the work, and prints one JSON line with its
peak memory. The parent (``measure.run_child``) adds the process's wall time.

  ingest SOURCE MONTH     the DAG's two tasks, ``validate`` then ``load`` (env DATA_DIR, WAREHOUSE)
  floor CSV DB            DuckDB's own ``read_csv`` (auto-detect) into a table of a fresh file
  peer CSV DB MONTH       the usual way (``tools.bench.peer``)
  kpi DB one|all          ``build_mart`` after one half-year, or every period, was made stale
  direct FROM TO [SRCS]   the sample run through the library, no Airflow (env as for ingest)
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> None:
    from tools.bench.measure import vm_hwm_mb

    kind, *args = argv
    report = KINDS[kind](*args)
    # this process's own peak, read as it finishes (measure.py: why); validation's forked child has its own
    report["peak_rss_mb"] = max(vm_hwm_mb(), report.pop("validation_peak_rss_mb", 0))
    print(json.dumps(report, ensure_ascii=False, default=str), flush=True)


def ingest(source: str, month: str) -> dict:
    # What a scheduler's task process starts with (make airflow's forkserver preloads it): GX, pandas,
    # DuckDB and the task modules imported, so the timing below is the task's own work.
    import town_industry.orchestration.worker_preload  # noqa: F401
    from town_industry import db
    from town_industry.ingest import landing, validation
    from town_industry.orchestration import ingest_tasks

    # validate's stages (read the file, parse the cells, the GX suite, the landing batch) and, within
    # load, publishing the copy readers get
    stages = {(validation, "read_file"): "read_s", (validation, "parse_cells"): "parse_s",
              (validation, "run_suite"): "suite_s", (landing, "write_batch"): "landing_s", (db, "publish"): "publish_s"}
    timings = dict.fromkeys(stages.values(), 0.0)
    for (module, name), key in stages.items():
        _time_calls(module, name, timings, key)
    # validation runs in a child forked from this process (ingest/bounded.py): its stage times and its
    # peak memory come back with the verdict
    from tools.bench.measure import vm_hwm_mb

    in_child = ingest_tasks._validate_archived

    def measured(*args):
        return {**in_child(*args), "_probe": {"timings": dict(timings), "peak_rss_mb": vm_hwm_mb()}}

    ingest_tasks._validate_archived = measured
    started = time.perf_counter()
    verdict = ingest_tasks.validate(source, month)
    validated = time.perf_counter()
    child = verdict.pop("_probe", {})  # absent when the validation was stopped at a limit
    for key, seconds in child.get("timings", {}).items():
        timings[key] += seconds
    report = {"rows": verdict["rows"], "errors": verdict["errors"], "warnings": verdict["warnings"],
              "validation_peak_rss_mb": child.get("peak_rss_mb", 0)}
    try:
        outcome = ingest_tasks.load(verdict)
        report["status"] = outcome["status"]
    except ingest_tasks.FileRejectedError as exc:
        findings = json.loads(Path(verdict["findings"]).read_text(encoding="utf-8"))
        rejection = Path(str(exc).rsplit("Full report: ", 1)[-1].strip())
        text = rejection.read_text(encoding="utf-8") if rejection.is_file() else ""
        report.update(report_kb=round(len(text.encode()) / 1024), report_lines=text.count("\n"))
        report.update(status="rejected", expected_failure=True, message=str(exc).splitlines()[-1],
                      error_findings=[{"rule": f["rule"], "row": f["row"], "column": f["column"]}
                                      for f in findings if f["severity"] == "error"])
    done = time.perf_counter()
    return {**report, "work_s": done - started, "validate_s": validated - started, "load_s": done - validated,
            **timings}


def _time_calls(module, name: str, timings: dict, key: str) -> None:
    """Add the time spent in ``module.name`` to ``timings[key]`` (when the library still has it)."""
    original = getattr(module, name, None)
    if original is None:
        timings.pop(key, None)
        return

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timings[key] += time.perf_counter() - start

    setattr(module, name, timed)


def floor(csv_path: str, db_path: str) -> dict:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect(db_path)
    con.execute("CREATE TABLE enterprise_monthly AS SELECT * FROM read_csv(?)", [csv_path])
    rows = con.execute("SELECT count(*) FROM enterprise_monthly").fetchone()[0]
    con.close()
    return {"work_s": time.perf_counter() - started, "rows": rows}


def peer(csv_path: str, db_path: str, month: str) -> dict:
    from tools.bench import peer as usual

    usual.prepare()
    return usual.usual_way(Path(csv_path), Path(db_path), month)


def kpi(db_path: str, stale: str) -> dict:
    """``build_mart`` on a warehouse whose mart is built, after making stale the last half-year ("one",
    as a revised file would) or every period ("all", as a changed catalogue would)."""
    import duckdb

    from town_industry.marts.kpis import build_mart
    from town_industry.periods import is_full_year, is_half_year

    con = duckdb.connect(db_path)
    try:
        if stale == "all":
            periods = [p for (p,) in con.execute("SELECT period FROM meta.kpi_builds ORDER BY 1").fetchall()]
        else:
            periods = [con.execute("SELECT max(period) FROM meta.kpi_builds WHERE period LIKE '%H%'").fetchone()[0]]
        con.execute("DELETE FROM meta.kpi_builds WHERE list_contains(?, period)", [periods])
        started = time.perf_counter()
        built = build_mart(con)
        work_s = time.perf_counter() - started
    finally:
        con.close()
    return {"work_s": work_s, "stale": periods, "rebuilt": built["built_periods"] + built["built_months"],
            "half_years": sum(map(is_half_year, built["built_periods"])),
            "full_years": sum(map(is_full_year, built["built_periods"])), "months": len(built["built_months"])}


def direct(first: str, last: str, sources: str = "") -> dict:
    """What ``town-industry run`` does, minus Airflow: each month, each source, validate then load;
    then the KPI task and the drafts."""
    from town_industry.contracts.sources import declared_sources
    from town_industry.orchestration import ingest_tasks, kpi_tasks
    from town_industry.periods import months_between

    started = time.perf_counter()
    wanted = [s for s in declared_sources() if not sources or s.name in sources.split(",")]
    loaded = 0
    for month in months_between(first, last):
        for source in wanted:
            if ingest_tasks.find_file(source.name, month) is None:
                continue
            ingest_tasks.load(ingest_tasks.validate(source.name, month))
            loaded += 1
    built = kpi_tasks.build_kpis()
    drafts = kpi_tasks.draft_reports(built)
    return {"work_s": time.perf_counter() - started, "loads": loaded, "drafts": len(drafts)}


KINDS = {"ingest": ingest, "floor": floor, "peer": peer, "kpi": kpi, "direct": direct}

if __name__ == "__main__":
    main(sys.argv[1:])
