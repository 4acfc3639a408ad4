"""The status board: for each source and month, delivered or missing, what the last load made of it,
whether it came late, and its warnings.

Read from the published copy of the warehouse (``db.read``: read-only, never the writer's file, so a
page view can never hold up a load) and from the delivery folder.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from town_industry import settings
from town_industry.contracts.codes import mask_id_numbers_in
from town_industry.contracts.sources import Source, declared_sources
from town_industry.db import read
from town_industry.periods import delivery_deadline, months_between, shift_month

STATUS_ZH = {"loaded": "已入库", "rejected": "已退回", "unchanged": "未变化（与已入库文件相同）", None: "未处理"}


@dataclass
class Cell:
    source: str
    month: str
    delivered: str | None  # the file's name in the delivery folder
    status: str | None  # the last load's: loaded, rejected, unchanged; None if no load saw this month
    errors: int
    warnings: int  # of the file the month holds now
    late: bool  # missing past the deadline, or delivered after it
    deadline: str
    report: bool  # a rejection report exists

    def as_dict(self) -> dict:
        return asdict(self)


def months_shown(loaded: list[str], now: datetime | None = None) -> list[str]:
    """From the first month any load saw (else the last twelve) to the last complete month."""
    now = now or datetime.now(timezone.utc)
    last = shift_month(now.strftime("%Y-%m"), -1)
    first = min(loaded) if loaded else shift_month(last, -11)
    return months_between(first, max(last, max(loaded)) if loaded else last)


def board(now: datetime | None = None) -> tuple[list[str], list[Cell]]:
    now = now or datetime.now(timezone.utc)
    loads, warnings = _ledger()
    months = months_shown(sorted({m for _, m in loads}), now)
    cells = [_cell(source, month, loads.get((source.name, month)), warnings.get((source.name, month), 0), now)
             for source in declared_sources() for month in months]
    return months, cells


def _ledger() -> tuple[dict, dict]:
    """The last load of each (source, month), and the warnings of the file each month holds now."""
    try:
        with read() as con:
            last = con.execute("""
                SELECT source, month, status, error_count, error_report FROM meta.file_loads
                QUALIFY row_number() OVER (PARTITION BY source, month ORDER BY recorded_at DESC) = 1""").fetchall()
            current = con.execute("SELECT source, month, warning_count FROM meta.current_files").fetchall()
    except FileNotFoundError:  # nothing loaded yet: every month is only delivered or missing
        return {}, {}
    loads = {(s, m): (status, errors, report) for s, m, status, errors, report in last}
    return loads, {(s, m): n for s, m, n in current}


def _cell(source: Source, month: str, load: tuple | None, warnings: int, now: datetime) -> Cell:
    status, errors, report = load or (None, 0, None)
    file = next((p for p in source.file_candidates(settings.data_dir(), month) if p.is_file()), None)
    deadline = delivery_deadline(month, source.arrival_deadline_days)
    arrived = datetime.fromtimestamp(file.stat().st_mtime, timezone.utc) if file else None
    late = (arrived or now) > deadline
    return Cell(source.name, month, file.name if file else None, status, errors, warnings, late,
                deadline.strftime("%Y-%m-%d"), bool(report and Path(report).is_file()))


def findings(source: str, month: str) -> dict:
    """The month's last load and the findings of its file, from meta.dq_issues (values already masked;
    masked again here in case a message quotes one)."""
    with read() as con:
        load = con.execute("""
            SELECT status, sha256, rows, error_count, warning_count, recorded_at, error_report
            FROM meta.file_loads WHERE source = ? AND month = ? ORDER BY recorded_at DESC LIMIT 1""",
                           [source, month]).fetchone()
        if load is None:
            return {"source": source, "month": month, "load": None, "findings": []}
        issues = con.execute("""
            SELECT severity, rule, row_number, column_name, value, message, message_en, subject
            FROM meta.dq_issues WHERE source = ? AND month = ? AND file_sha256 = ?
            ORDER BY severity, row_number NULLS FIRST, column_name LIMIT 2000""", [source, month, load[1]]).fetchall()
    keys = ("severity", "rule", "row", "column", "value", "message", "message_en", "subject")
    return {"source": source, "month": month,
            "load": {"status": load[0], "sha256": load[1], "rows": load[2], "errors": load[3], "warnings": load[4],
                     "recorded_at": str(load[5])},
            "report": load[6],
            "findings": [{k: (mask_id_numbers_in(v) if isinstance(v, str) else v) for k, v in zip(keys, issue)}
                         for issue in issues]}


def rejection_report(source: str, month: str) -> Path | None:
    """The rejection report the ledger names for the month's last load, if it is a file."""
    report = findings(source, month).get("report")
    return Path(report) if report and Path(report).is_file() else None
