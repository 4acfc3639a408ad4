"""The load log (``meta.file_loads``) and the data-quality findings (``meta.dq_issues``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from town_industry.contracts.findings import ERROR, WARNING, Finding


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
    archived_as: str | None = None  # the file's copy in the archive (ingest/archive.py)


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def current_sha256(con: duckdb.DuckDBPyConnection, source: str, month: str) -> str | None:
    """The SHA-256 of the file the warehouse holds for ``source`` and ``month``, if any."""
    row = con.execute("SELECT sha256 FROM meta.current_files WHERE source = ? AND month = ?",
                      [source, month]).fetchone()
    return row[0] if row else None


def insert_findings(con, source: str, month: str, sha256: str, findings: list[Finding], at: datetime) -> None:
    # One statement over column lists, not executemany: a month's findings run to thousands (a history
    # check against last year can flag every swinging firm), and a row-by-row insert took seconds.
    if findings:
        def text(values):
            return [None if v is None else str(v) for v in values]

        con.execute(
            "INSERT INTO meta.dq_issues (source, month, file_sha256, severity, rule, row_number, column_name, value, "
            "message, message_en, subject, recorded_at) SELECT ?, ?, ?, unnest(CAST(? AS VARCHAR[])), "
            "unnest(CAST(? AS VARCHAR[])), unnest(CAST(? AS INTEGER[])), unnest(CAST(? AS VARCHAR[])), "
            "unnest(CAST(? AS VARCHAR[])), unnest(CAST(? AS VARCHAR[])), unnest(CAST(? AS VARCHAR[])), "
            "unnest(CAST(? AS VARCHAR[])), ?",
            [source, month, sha256, [f.severity for f in findings], [f.rule for f in findings],
             [f.row for f in findings], text(f.column for f in findings), text(f.value for f in findings),
             [f.message for f in findings], [f.message_en for f in findings], text(f.subject for f in findings),
             at],
        )


def record(con: duckdb.DuckDBPyConnection, load: LoadRecord, findings: list[Finding]) -> None:
    """Write the load and its findings to ``meta`` (inside the caller's transaction).

    ``meta.dq_issues`` keeps one set of findings per file: a file delivered again replaces its
    earlier findings (an 'unchanged' load has none of its own and keeps them).
    """
    at = now()
    errors = sum(f.severity == ERROR for f in findings)
    warnings = sum(f.severity == WARNING for f in findings)
    con.execute(
        "INSERT INTO meta.file_loads (source, month, path, sha256, status, rows, error_count, warning_count, "
        "recorded_at, airflow_run_id, error_report, archived_as) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [load.source, load.month, load.path, load.sha256, load.status, load.rows, errors, warnings, at,
         load.run_id, load.error_report, load.archived_as],
    )
    if load.status != "unchanged":
        con.execute("DELETE FROM meta.dq_issues WHERE source = ? AND month = ? AND file_sha256 = ?",
                    [load.source, load.month, load.sha256])
        insert_findings(con, load.source, load.month, load.sha256, findings, at)
