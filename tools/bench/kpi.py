"""The KPI mart over a national history: 60 months of N enterprises (30 million fact rows at 500,000).

The warehouse is the ingest benchmark's history warehouse of 60 months (``history``), plus the two other
core sources' months (``kpi_sources``) so that every period is complete, with its mart built once; cached
like the others. Each run times ``build_mart`` in a fresh process on a copy: with one half-year made stale
(a revised file), and with every period made stale (a new catalogue: the whole catalogue over all
periods). The second runs ``all_runs`` times (default 1): it took minutes at 500,000 enterprises before
the mart computed its shared inputs once per build (issue 10), and takes seconds since.
"""
from __future__ import annotations

import shutil

import duckdb

from tools.bench.history import add_months, history_months, prepared_warehouse, schema_digest
from tools.bench.ingest import MONTH
from tools.bench.kpi_sources import employment_stager, investment_stager
from tools.bench.measure import fresh_dir, median_of, probe
from tools.bench.paths import cache_dir
from town_industry.contracts.sources import get_source
from town_industry.marts.kpis import build_mart


def kpi_warehouse(enterprises: int, months: int, seed: int):
    path = cache_dir() / "warehouses" / f"kpi-{enterprises}-s{seed}-{months}m-mart-{schema_digest()}.duckdb"
    if path.exists():
        return path
    tmp = path.with_name(f".{path.name}.tmp")
    enterprises_only = prepared_warehouse(enterprises, months, MONTH, seed)
    shutil.copyfile(enterprises_only, tmp)
    enterprises_only.unlink()  # large, and only this warehouse is built from it
    span = history_months(MONTH, months)
    con = duckdb.connect(str(tmp))
    con.execute("SET enable_progress_bar = false")
    try:
        tag = f"{enterprises}-{seed}"
        add_months(con, get_source("investment_monthly"), span,
                   investment_stager(max(200, enterprises // 250), span[0], months), tag)
        add_months(con, get_source("employment_services"), span, employment_stager(max(100, enterprises // 100)), tag)
        build_mart(con)  # every run then starts from a built mart and makes some periods stale
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(path)
    return path


def fact_rows(path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM fact_enterprise_month").fetchone()[0]
    finally:
        con.close()


def measure(enterprises: int, months: int, runs: int, all_runs: int, seed: int, say=print) -> dict:
    say(f"preparing the KPI warehouse: {months} months of {enterprises:,} enterprises, its mart built (cached)")
    prepared = kpi_warehouse(enterprises, months, seed)
    one = [_build(prepared, "one") for _ in range(runs)]
    say(f"  kpi mart, one stale half-year: {_seconds(one)} s")
    every = [_build(prepared, "all") for _ in range(all_runs)]
    say(f"  kpi mart, every period: {_seconds(every)} s")
    one_half_year, all_periods = median_of(one), median_of(every)
    return {"enterprises": enterprises, "months": months, "fact_rows": fact_rows(prepared),
            "one_half_year_s": one_half_year["work_s"], "all_periods_s": all_periods["work_s"],
            "half_year": one_half_year["stale"][0], "rebuilt": one_half_year["rebuilt"],
            "half_years": all_periods["half_years"], "periods_months": all_periods["months"],
            "peak_rss_mb": max(one_half_year["peak_rss_mb"], all_periods["peak_rss_mb"]),
            "one_half_year": one_half_year, "all_periods": all_periods}


def _seconds(samples: list[dict]) -> str:
    return ", ".join(f"{s['work_s']:.2f}" for s in samples)


def _build(prepared, stale: str) -> dict:
    work = fresh_dir("kpi")
    try:
        copy = work / "warehouse.duckdb"
        shutil.copyfile(prepared, copy)
        return probe("kpi", copy, stale)
    finally:
        shutil.rmtree(work, ignore_errors=True)
