"""Warehouses that already hold months of history, built in SQL instead of through the pipeline.

Loading 24 national months through the pipeline would take longer than the benchmark itself. A month's
staging rows are what a load of its file would stage (the same figures as ``synthetic``'s file of that
month: both come from ``months.month_rows_sql``, and the smoke test checks the two agree), inserted
directly; each month's fact partition is then built by the library's own ``build_models`` and the month
recorded in ``meta.file_loads`` as loaded, and the type-2 dimensions are built once at the end from every
staged month, as the library builds them (the same rows as appending month by month). The result is a
warehouse the pipeline cannot tell from one that loaded those months: the next load's history checks see
the whole history, and its dimension append the dimension of every earlier month.

Prepared warehouses are cached under ``build/bench/cache/warehouses/``, keyed by the SQL, the source
declarations and this generator, and copied for every measured load so each starts from the same state.
"""
from __future__ import annotations

import dataclasses
import hashlib
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import duckdb

from tools.bench.months import DECIMALS, month_rows_sql, population_size
from tools.bench.paths import REPO_ROOT, cache_dir
from tools.bench.population import population
from town_industry import settings
from town_industry.contracts.sources import STORAGE_TYPES, Source, declared_sources, get_source
from town_industry.periods import months_between, shift_month
from town_industry.warehouse.meta import LoadRecord, record
from town_industry.warehouse.models import build_models
from town_industry.warehouse.schema import ensure_schema

SOURCE = "enterprise_monthly"

# The modules whose output a prepared warehouse holds.
GENERATORS = ("population", "months", "history", "kpi_sources")

# A month's staging rows: stage(con, month, sha256) inserts them and returns how many.
Stager = Callable[[duckdb.DuckDBPyConnection, str, str], int]


def schema_digest() -> str:
    """Changes when anything a prepared warehouse depends on changes: then it is built again."""
    h = hashlib.sha256(duckdb.__version__.encode())
    generators = [REPO_ROOT / "tools" / "bench" / f"{name}.py" for name in GENERATORS]
    inputs = [*sorted(settings.SQL_DIR.rglob("*")), *sorted(settings.SOURCES_DIR.glob("*.yml")), *generators]
    for path in inputs:
        if path.is_file():
            h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:12]


def fake_sha256(*parts: object) -> str:
    return hashlib.sha256(repr(("bench", *parts)).encode()).hexdigest()


def enterprise_stager(rows: int, seed: int) -> Stager:
    """Stage a month of the synthetic population exactly as a load of its CSV file would."""
    source = get_source(SOURCE)
    pop = str(population(population_size(rows), seed))

    def stage(con: duckdb.DuckDBPyConnection, month: str, sha256: str) -> int:
        values = {"stat_month": f"DATE '{month}-01'"}
        for column in source.stored_columns:
            if column.name in DECIMALS:
                factor = Decimal(column.money_factor) / 10 ** DECIMALS[column.name]
                values[column.name] = (f"CAST(CAST({column.name} AS DECIMAL(18, 0)) * "
                                       f"CAST('{factor}' AS DECIMAL(18, 6)) AS {STORAGE_TYPES['decimal']})")
            values.setdefault(column.name, f"CAST({column.name} AS {STORAGE_TYPES[column.type]})")
        select = ", ".join(f"{sql} AS {name}" for name, sql in values.items())
        con.execute(f"INSERT INTO {source.staging_table} BY NAME SELECT {select}, "
                    f"CAST(pos + 1 AS INTEGER) AS _row, '{sha256}' AS _file_sha256 "
                    f"FROM ({month_rows_sql(pop, month, seed, rows)})")
        return con.execute(f"SELECT count(*) FROM {source.staging_table} WHERE stat_month = DATE '{month}-01'"
                           ).fetchone()[0]

    return stage


def add_months(con: duckdb.DuckDBPyConnection, source: Source, months: list[str], stage: Stager,
               tag: str) -> None:
    """Stage ``months``, build each month's fact partition, record each as loaded; then the dimensions."""
    partitions = dataclasses.replace(source, models=tuple(m for m in source.models
                                                          if m.materialized == "month_partition"))
    whole = dataclasses.replace(source, models=tuple(m for m in source.models
                                                     if m.materialized != "month_partition"))
    for month in months:
        sha256 = fake_sha256(source.name, month, tag)
        con.execute("BEGIN TRANSACTION")
        rows = stage(con, month, sha256)
        build_models(con, partitions, month)
        record(con, LoadRecord(source.name, month, f"bench://{source.name}/{month}", sha256, "loaded", rows), [])
        con.execute("COMMIT")
    if whole.models:
        latest = con.execute(f"SELECT strftime(max({source.month_column}), '%Y-%m') FROM {source.staging_table}"
                             ).fetchone()[0]
        # by the library: a full rebuild from every staged month (or, when the cached warehouse lacks only
        # the latest, an append of it: the same rows)
        build_models(con, whole, latest)


def history_months(month: str, count: int) -> list[str]:
    """The ``count`` months before ``month``, oldest first."""
    return months_between(shift_month(month, -count), shift_month(month, -1)) if count else []


def prepared_warehouse(rows: int, count: int, month: str, seed: int) -> Path | None:
    """A cached warehouse holding the ``count`` months of ``rows`` enterprises before ``month``; None for 0
    (the first load creates the warehouse). Built from the cached one with fewer months when there is one."""
    if count == 0:
        return None
    folder = cache_dir() / "warehouses"
    digest = schema_digest()
    path = folder / f"{SOURCE}-{rows}-s{seed}-{month}-{count}m-{digest}.duckdb"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    _forget_stale(folder, digest)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    smaller = sorted(p for p in folder.glob(f"{SOURCE}-{rows}-s{seed}-{month}-*m-{digest}.duckdb")
                     if int(p.name.rsplit("-", 2)[-2][:-1]) < count)
    have = 0
    if smaller:
        shutil.copyfile(smaller[-1], tmp)
        have = int(smaller[-1].name.rsplit("-", 2)[-2][:-1])
    con = duckdb.connect(str(tmp))
    con.execute("SET enable_progress_bar = false")
    try:
        ensure_schema(con, declared_sources())
        new_months = history_months(shift_month(month, -have), count - have)
        add_months(con, get_source(SOURCE), new_months, enterprise_stager(rows, seed), f"{rows}-{seed}")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    tmp.replace(path)
    return path


def _forget_stale(folder: Path, digest: str) -> None:
    """Prepared warehouses of an older schema are never used again, and they are large."""
    for old in folder.glob("*.duckdb"):
        if not old.name.endswith(f"-{digest}.duckdb"):
            old.unlink()
