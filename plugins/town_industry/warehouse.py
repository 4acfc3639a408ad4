"""The DuckDB warehouse: schema set-up and the transactions that change it.

Every change is one transaction keyed by (source, month): a loaded file replaces
that month's staging partition, the source's models are rebuilt from staging, and
the load is written to ``meta`` in the same commit. A failure anywhere rolls back
all of it, so a month always holds either its previous file or its new one.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import time
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
log = logging.getLogger(__name__)


def read_sql(relative: str) -> str:
    return (settings.SQL_DIR / relative).read_text(encoding="utf-8")


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None):
    """Execute one statement, passing only the ``$named`` parameters it uses."""
    used = set(_PARAM.findall(sql))
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used} or None)


@contextmanager
def connect(path: Path | None = None, read_only: bool = False):
    """A connection to the warehouse, closed on exit.

    DuckDB allows one writing process per file. A writer (``read_only=False``) that meets a lock held
    by another process waits with a bounded, logged back-off instead of failing, and on exit publishes
    a read-only copy for readers (see ``publish``). Readers should use ``read()``, not this.
    """
    path = path or settings.warehouse_path()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_waiting_for_lock(path, read_only)
    try:
        yield con
    except BaseException:
        # What was committed before the failure (say, a rejected file's record) is published too.
        if not read_only:
            try:
                publish(con, path)
            except Exception:
                log.exception("could not publish %s after a failed write", path)
        raise
    else:
        if not read_only:
            publish(con, path)
    finally:
        con.close()


@contextmanager
def read(warehouse: Path | None = None):
    """A read-only connection to the warehouse's published copy: it never blocks (nor is blocked by) a load."""
    path = settings.published_path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no published warehouse yet (nothing has been loaded)")
    with connect(path, read_only=True) as con:
        yield con


def lock_timeout() -> float:
    """Seconds a writer waits for another process's lock on the warehouse before it gives up."""
    return float(os.environ.get("WAREHOUSE_LOCK_TIMEOUT", "900"))


def _open_waiting_for_lock(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    # Another process holds the file (a second writer, or a reader that opened the writer's file
    # instead of the published copy): wait for it, doubling the pause up to 30 s, for lock_timeout().
    deadline = time.monotonic() + lock_timeout()
    pause = 0.5
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + pause > deadline:
                raise
            log.warning("%s is locked by another process; retrying in %.1f s (%s)", path, pause, exc)
            time.sleep(pause)
            pause = min(pause * 2, 30.0)


def publish(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Copy the warehouse to ``published/`` and rename it over the previous copy, atomically.

    Taken after a CHECKPOINT while this process still holds the write lock, so the copy is a
    committed state and no other writer can change the file under it. Readers holding the previous
    copy keep reading it (the rename does not touch their open file); new readers get this one.
    """
    published = settings.published_path(path)
    published.parent.mkdir(parents=True, exist_ok=True)
    con.execute("CHECKPOINT")
    partial = published.with_name(f".{published.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(path, partial)
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, published)
    finally:
        partial.unlink(missing_ok=True)
    return published


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


def history_findings(con: duckdb.DuckDBPyConnection, source: Source, month: str,
                     severities: tuple[str, ...] = (ERROR, WARNING)) -> list[Finding]:
    """Findings of the source's SQL checks against what the warehouse holds."""
    findings = []
    for check in source.history_checks:
        if check.severity not in severities:
            continue
        rows = run_sql(con, read_sql(check.sql), {**check.params, **month_params(month)}).fetchall()
        for row_number, column, value, message in rows:
            findings.append(Finding(check.severity, check.rule, message, row=row_number, column=column, value=value))
    return findings


def recheck_later_months(con: duckdb.DuckDBPyConnection, source: Source, month: str) -> None:
    """Recompute the history warnings of every loaded month after ``month`` (inside the caller's transaction).

    A history check judges a month against that month and earlier ones (the same month a year before,
    the month before, the months to date), so loading or revising ``month`` can change the warnings of
    later months only. Recomputing them makes the warnings independent of the order months load in:
    a backfill that loads 2020 before 2019 ends with the findings of a load in calendar order.
    """
    rules = [c.rule for c in source.history_checks if c.severity == WARNING]
    if not rules:
        return
    later = con.execute("SELECT month, sha256 FROM meta.current_files WHERE source = ? AND month > ? ORDER BY month",
                        [source.name, month]).fetchall()
    now = _now()
    for later_month, sha256 in later:
        con.execute("DELETE FROM meta.dq_issues WHERE source = ? AND month = ? AND file_sha256 = ? "
                    "AND list_contains(?, rule)", [source.name, later_month, sha256, rules])
        _insert_findings(con, source.name, later_month, sha256, history_findings(con, source, later_month, (WARNING,)), now)


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


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _insert_findings(con, source: str, month: str, sha256: str, findings: list[Finding], now: datetime) -> None:
    if findings:
        con.executemany(
            "INSERT INTO meta.dq_issues VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[source, month, sha256, f.severity, f.rule, f.row, f.column, f.value, f.message, now] for f in findings],
        )


def record(con: duckdb.DuckDBPyConnection, load: LoadRecord, findings: list[Finding]) -> None:
    """Write the load and its findings to ``meta`` (inside the caller's transaction).

    ``meta.dq_issues`` keeps one set of findings per file: a file delivered again replaces its
    earlier findings (an 'unchanged' load has none of its own and keeps them).
    """
    now = _now()
    errors = sum(f.severity == ERROR for f in findings)
    warnings = sum(f.severity == WARNING for f in findings)
    con.execute(
        "INSERT INTO meta.file_loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load.source, load.month, load.path, load.sha256, load.status, load.rows, errors, warnings, now,
         load.run_id, load.error_report],
    )
    if load.status != "unchanged":
        con.execute("DELETE FROM meta.dq_issues WHERE source = ? AND month = ? AND file_sha256 = ?",
                    [load.source, load.month, load.sha256])
        _insert_findings(con, load.source, load.month, load.sha256, findings, now)


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
        recheck_later_months(con, source, month)
    return added


class HistoryErrors(Exception):
    """The file contradicts what the warehouse holds (e.g. a record already loaded for another month)."""

    def __init__(self, findings: list[Finding]):
        super().__init__(f"{sum(f.severity == ERROR for f in findings)} error(s) against loaded months")
        self.findings = findings
