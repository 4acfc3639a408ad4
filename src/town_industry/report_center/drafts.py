"""The report drafts under ``REPORTS_DIR/<period>/``: which exist, when each was built and from which
files, and the paths of its Markdown and Word files.

A period comes from the URL, so it is accepted only when it is a report period's name (2020H1, 2020FY)
and the path built from it is looked up in the listing, never joined from client text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from town_industry import settings
from town_industry.db import read
from town_industry.periods import is_report_period, report_period_order, report_period_months
from town_industry.report.draft import draft_name, draft_record, kpi_builds, written_from


@dataclass
class Draft:
    period: str
    markdown: Path | None
    docx: Path | None
    written_at: str  # the Markdown file's time (UTC)
    mart_built_at: str | None  # the KPI build it was written from (draft.json), UTC
    current: bool | None  # written from the KPIs as they are now built; None before anything is published

    def as_dict(self) -> dict:
        shown = asdict(self)
        shown["markdown"] = self.markdown.name if self.markdown else None
        shown["docx"] = self.docx.name if self.docx else None
        return shown


def drafts() -> list[Draft]:
    """Every period with a Markdown or Word draft, newest period first."""
    root = settings.reports_dir()
    folders = [p for p in root.iterdir() if p.is_dir() and is_report_period(p.name)] if root.is_dir() else []
    try:
        builds = kpi_builds()  # once for every draft
    except FileNotFoundError:
        builds = None  # nothing published yet
    found = [d for d in (_draft(p, builds) for p in folders) if d is not None]
    return sorted(found, key=lambda d: report_period_order(d.period), reverse=True)


def draft(period: str) -> Draft | None:
    """The period's draft, or None for a name that is no report period or has no draft."""
    return next((d for d in drafts() if d.period == period), None)


def _draft(folder: Path, builds: dict[str, str] | None) -> Draft | None:
    name = draft_name(folder.name)
    markdown, docx = folder / f"{name}.md", folder / f"{name}.docx"
    markdown, docx = (markdown if markdown.is_file() else None), (docx if docx.is_file() else None)
    if markdown is None and docx is None:
        return None
    written = datetime.fromtimestamp((markdown or docx).stat().st_mtime, timezone.utc)
    # Whether a file loaded since changed the period's KPIs: then the files built_from lists are the
    # warehouse's now, not those the draft was built from (the next KPI run writes it again).
    record = draft_record(folder.name, folder.parent)
    built = record and record.get("mart_built_at")
    return Draft(folder.name, markdown, docx, written.strftime("%Y-%m-%d %H:%M:%S UTC"),
                 f"{built[:19]} UTC" if built else None, None if builds is None else written_from(record, builds))


def built_from(period: str) -> list[dict]:
    """The files the warehouse holds for the period's months: what a current draft was built from."""
    months = report_period_months(period)
    try:
        with read() as con:
            rows = con.execute("""
                SELECT source, month, path, sha256, rows FROM meta.current_files
                WHERE month >= ? AND month <= ? ORDER BY source, month""", [months[0], months[-1]]).fetchall()
    except FileNotFoundError:
        return []
    return [{"source": s, "month": m, "file": Path(p).name, "sha256": sha[:12], "rows": n} for s, m, p, sha, n in rows]
