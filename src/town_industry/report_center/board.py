"""The status board: for each source and month of a half-year, delivered or missing, what the last
load made of it, whether it came late, and its warnings.

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
from town_industry.periods import delivery_deadline, half_year_months, half_year_of, shift_month

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
    due: bool  # the deadline has passed
    deadline: str
    report: bool  # a rejection report exists

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Board:
    period: str  # the half-year shown
    months: list[str]
    cells: list[Cell]
    previous: str  # the half-year before
    next: str | None  # the half-year after, None when it has not begun

    def as_dict(self) -> dict:
        return {"period": self.period, "months": self.months, "previous": self.previous, "next": self.next,
                "cells": [c.as_dict() for c in self.cells]}


def shown_period(period: str | None, loaded: set[str], now: datetime) -> str:
    """The half-year the board shows: the one asked for, else the newest any load saw, else the one of the
    last complete month (a board of every month since the first load would be mostly empty rows)."""
    if period:
        return period
    return half_year_of(max(loaded) if loaded else shift_month(now.strftime("%Y-%m"), -1))


def board(period: str | None = None, now: datetime | None = None) -> Board:
    """The board of one half-year (``2020H1``): a cell per declared source and month."""
    now = now or datetime.now(timezone.utc)
    loads, warnings = _ledger()
    period = shown_period(period, {m for _, m in loads}, now)
    months = half_year_months(period)
    cells = [_cell(source, month, loads.get((source.name, month)), warnings.get((source.name, month), 0), now)
             for source in declared_sources() for month in months]
    previous, following = shift_month(months[0], -1), shift_month(months[-1], 1)
    return Board(period, months, cells, half_year_of(previous),
                 half_year_of(following) if following <= now.strftime("%Y-%m") else None)


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
    return Cell(source.name, month, file.name if file else None, status, errors, warnings, late, now > deadline,
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
