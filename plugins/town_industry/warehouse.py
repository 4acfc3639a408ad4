"""The DuckDB warehouse: schema set-up and the transactions that change it.

Every change is one transaction keyed by (source, month): a loaded file replaces
that month's staging partition, the source's models are rebuilt from staging, and
the load is written to ``meta`` in the same commit. A failure anywhere rolls back
all of it, so a month always holds either its previous file or its new one.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

from town_industry import settings
from town_industry.findings import ERROR, WARNING, Finding
from town_industry.industry import DIVISIONS_CSV, HIGH_TECH_CSV
from town_industry.sources import Source

DUCKDB_TYPES = {
    "month": "DATE",  # first day of the month
    "date": "DATE",
    "boolean": "BOOLEAN",
    "decimal": "DECIMAL(18, 6)",  # money in 万元: 6 decimals hold yuan amounts with fen exactly
    "integer": "BIGINT",
    "text": "VARCHAR",
    "category": "VARCHAR",
}
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


def read_sql(relative: str) -> str:
    return (settings.SQL_DIR / relative).read_text(encoding="utf-8")


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None):
    """Execute one statement, passing only the ``$named`` parameters it uses."""
    used = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used} or None)


@contextmanager
def connect(path: Path | None = None, read_only: bool = False):
    """A connection to the warehouse, closed on exit (DuckDB allows one writing process per file)."""
    path = path or settings.warehouse_path()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def staging_ddl(source: Source) -> str:
    columns = [f"    {c.stored_name} {DUCKDB_TYPES[c.type]}" for c in source.stored_columns]
    columns += ["    _row INTEGER NOT NULL", "    _file_sha256 VARCHAR NOT NULL"]
    return f"CREATE TABLE IF NOT EXISTS {source.staging_table} (\n" + ",\n".join(columns) + "\n)"


def _table_exists(con, qualified: str) -> bool:
    schema, _, name = qualified.rpartition(".")
    return con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema or "main", name],
    ).fetchone()[0] > 0


def ensure_schema(con: duckdb.DuckDBPyConnection, sources: tuple[Source, ...]) -> None:
    """Create schemas, meta tables, reference dimensions and staging tables that are missing."""
    with transaction(con):
        con.execute(read_sql("meta/schema.sql"))  # DuckDB runs a multi-statement script
        reference = {"divisions_csv": str(DIVISIONS_CSV), "high_tech_csv": str(HIGH_TECH_CSV)}
        for table, sql in (("main.dim_date", "dims/dim_date.sql"), ("main.dim_industry", "dims/dim_industry.sql")):
            if not _table_exists(con, table):
                run_sql(con, f"CREATE TABLE {table} AS\n{read_sql(sql)}", reference)
        for source in sources:
            con.execute(staging_ddl(source))


def month_params(month: str) -> dict:
    year, mon = map(int, month.split("-"))
    return {"month": date(year, mon, 1), "month_key": year * 100 + mon, "month_label": month}


def scd2_sql(model, select: str) -> str:
    """The type-2 dimension SELECT around a model's month-grain SELECT."""
    from jinja2 import Environment, StrictUndefined

    template = Environment(undefined=StrictUndefined, keep_trailing_newline=True).from_string(
        read_sql("macros/scd2.sql.j2"))
    return template.render(model_sql=select.strip(), key=model.unique_key, tracked=list(model.tracked),
                           surrogate_key=model.surrogate_key)


def build_models(con: duckdb.DuckDBPyConnection, source: Source, month: str) -> None:
    """Rebuild the source's declared models for ``month`` (inside the caller's transaction)."""
    params = month_params(month)
    for model in source.models:
        select = read_sql(model.sql)
        if model.materialized == "scd2":
            select = scd2_sql(model, select)
        if model.materialized in ("table", "scd2"):
            run_sql(con, f"CREATE OR REPLACE TABLE {model.table} AS\n{select}", params)
        elif model.materialized == "month_partition":
            run_sql(con, f"CREATE TABLE IF NOT EXISTS {model.table} AS SELECT * FROM (\n{select}\n) WHERE false",
                    params)
            run_sql(con, f"DELETE FROM {model.table} WHERE {model.partition_filter}", params)
            run_sql(con, f"INSERT INTO {model.table} BY NAME\n{select}", params)
        else:
            raise ValueError(f"{source.name}: model {model.table}: unknown materialization {model.materialized!r}")


def history_findings(con: duckdb.DuckDBPyConnection, source: Source, month: str) -> list[Finding]:
    """Findings of the source's SQL checks against what the warehouse holds."""
    findings = []
    for check in source.history_checks:
        rows = run_sql(con, read_sql(check.sql), {**check.params, **month_params(month)}).fetchall()
        for row_number, column, value, message in rows:
            findings.append(Finding(check.severity, check.rule, message, row=row_number, column=column, value=value))
    return findings


def current_sha256(con: duckdb.DuckDBPyConnection, source: str, month: str) -> str | None:
    row = con.execute("SELECT sha256 FROM meta.current_files WHERE source = ? AND month = ?",
                      [source, month]).fetchone()
    return row[0] if row else None


@dataclass
class LoadRecord:
    source: str
    month: str
    path: str
    sha256: str
    status: str
    rows: int
    run_id: str | None = None
    error_report: str | None = None


def record(con: duckdb.DuckDBPyConnection, load: LoadRecord, findings: list[Finding]) -> None:
    """Write the load and its findings to ``meta`` (inside the caller's transaction)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    errors = sum(f.severity == ERROR for f in findings)
    warnings = sum(f.severity == WARNING for f in findings)
    con.execute(
        "INSERT INTO meta.file_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load.source, load.month, load.path, load.sha256, load.status, load.rows, errors, warnings, now,
         load.run_id, load.error_report],
    )
    if findings:
        con.executemany(
            "INSERT INTO meta.dq_issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[load.source, load.month, load.sha256, f.severity, f.rule, f.row, f.column, f.value, f.message, now]
             for f in findings],
        )


def load_month(con: duckdb.DuckDBPyConnection, source: Source, month: str, landing: Path,
               load: LoadRecord, findings: list[Finding]) -> list[Finding]:
    """Replace ``month`` of ``source`` with the landed batch; returns the history findings added."""
    with transaction(con):
        params = month_params(month)
        run_sql(con, f"DELETE FROM {source.staging_table} WHERE {source.month_column} = $month", params)
        con.execute(f"INSERT INTO {source.staging_table} BY NAME SELECT * FROM read_parquet(?)", [str(landing)])
        added = history_findings(con, source, month)
        if any(f.severity == ERROR for f in added):
            raise HistoryErrors(added)  # rolls the staging change back: the file is rejected
        build_models(con, source, month)
        record(con, load, findings + added)
    return added


class HistoryErrors(Exception):
    """The file contradicts what the warehouse holds (e.g. a record already loaded for another month)."""

    def __init__(self, findings: list[Finding]):
        super().__init__(f"{sum(f.severity == ERROR for f in findings)} error(s) against loaded months")
        self.findings = findings
