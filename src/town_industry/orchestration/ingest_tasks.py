"""What the ingestion DAG's tasks do, for one source and one data month.

``validate`` never touches the warehouse (it may run beside a load of another
source); ``load`` is the only writer and runs in the one-slot writer pool.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from airflow.sdk.exceptions import AirflowFailException

from town_industry import settings
from town_industry.contracts.findings import ERROR, Finding
from town_industry.contracts.sources import Source, declared_sources, get_source
from town_industry.db import connect, transaction
from town_industry.ingest.rejection_report import write_error_report
from town_industry.ingest.validation import validate_file
from town_industry.periods import delivery_deadline, run_month
from town_industry.warehouse.load import HistoryErrors, load_month
from town_industry.warehouse.meta import LoadRecord, current_sha256, record
from town_industry.warehouse.schema import ensure_schema

log = logging.getLogger(__name__)


DEADLINE_VARIABLE = "arrival_deadline_days"


# Both fail the run at once: retrying cannot deliver a file or fix its rows.
class FileNotDelivered(AirflowFailException):
    """The month's file did not arrive before the source's deadline."""


class FileRejectedError(AirflowFailException):
    """The file has errors: nothing of it was loaded."""


def deadline_days(source_name: str) -> float:
    """Days after the month's end the file is due: the declaration's ``arrival_deadline_days``, unless
    the Airflow variable ``arrival_deadline_days`` (JSON, e.g. ``{"enterprise_monthly": 30}``) extends
    or shortens it for a source, without a redeploy."""
    declared = get_source(source_name).arrival_deadline_days
    try:
        from airflow.sdk import Variable

        overrides = Variable.get(DEADLINE_VARIABLE, default=None, deserialize_json=True) or {}
    except Exception:  # outside a task (unit tests, the command line): the declaration holds
        overrides = {}
    return float(overrides.get(source_name, declared))


def find_file(source_name: str, month: str) -> Path | None:
    source = get_source(source_name)
    return next((p for p in source.file_candidates(settings.data_dir(), month) if p.is_file()), None)


def file_has_arrived(source_name: str, logical_date: datetime | None = None,
                     data_interval_start: datetime | None = None, now: datetime | None = None) -> bool:
    """Sensor check: True once the month's file is there; fails the run once the deadline has passed."""
    month = run_month(logical_date, data_interval_start)
    path = find_file(source_name, month)
    if path is not None:
        log.info("%s %s: found %s", source_name, month, path)
        return True
    deadline = delivery_deadline(month, deadline_days(source_name))
    now = now or datetime.now(timezone.utc)
    if now >= deadline:
        expected = " or ".join(str(p) for p in get_source(source_name).file_candidates(settings.data_dir(), month))
        raise FileNotDelivered(f"{source_name} {month}: no file by the deadline {deadline:%Y-%m-%d %H:%M} UTC "
                               f"(expected {expected})")
    log.info("%s %s: not delivered yet; waiting until %s", source_name, month, deadline)
    return False


def _landing_dir(source_name: str, month: str) -> Path:
    return settings.work_dir() / "landing" / source_name / month


def validate(source_name: str, month: str) -> dict:
    """Validate the month's file; returns the verdict the load task applies (paths and counts only)."""
    source = get_source(source_name)
    path = find_file(source_name, month)
    if path is None:
        raise FileNotDelivered(f"{source_name} {month}: the file disappeared after it was sensed")
    result = validate_file(path, source, month)
    landing = _landing_dir(source_name, month)
    landing.mkdir(parents=True, exist_ok=True)
    findings_path = landing / f"{result.sha256}.findings.json"
    findings_path.write_text(json.dumps([f.as_dict() for f in result.findings], ensure_ascii=False), encoding="utf-8")
    batch = None
    if result.errors == 0:
        from town_industry.ingest.landing import write_batch

        batch = str(write_batch(result.typed, source, result.sha256, landing / f"{result.sha256}.parquet"))
    log.info("%s %s: %s, %d rows, %d errors, %d warnings", source_name, month, path.name, result.rows,
             result.errors, result.warnings)
    return {"source": source_name, "month": month, "path": str(path), "sha256": result.sha256,
            "rows": result.rows, "errors": result.errors, "warnings": result.warnings,
            "batch": batch, "findings": str(findings_path)}


def _reject(con, verdict: dict, load_record: LoadRecord, findings: list[Finding]) -> None:
    """Record a rejected file in meta, write its error report, and fail the run."""
    source, month = verdict["source"], verdict["month"]
    errors = [f for f in findings if f.severity == ERROR]
    load_record.status = "rejected"
    load_record.error_report = str(write_error_report(
        settings.work_dir() / "rejections" / source / f"{month}-{verdict['sha256'][:12]}.md",
        source=source, month=month, file=Path(verdict["path"]), sha256=verdict["sha256"], findings=findings))
    with transaction(con):
        record(con, load_record, findings)
    raise FileRejectedError(_rejection_message(verdict["path"], get_source(source), errors, load_record.error_report))


def _rejection_message(path: str, source: Source, errors: list[Finding], report: str) -> str:
    """Why the run failed, in Chinese and then English: the first error and where the full report is."""
    first = errors[0]
    where_zh = ((f"第{first.row}行" if first.row else "整个文件")
                + (f"，{source.label(first.column)}列" if first.column else ""))
    where_en = (f"row {first.row}, " if first.row else "") + f"column {first.column or '-'}"
    value = f"（值：{first.value}）" if first.value is not None else ""
    return (f"{path} 被退回：{len(errors)} 处错误，没有数据入库。第一处：{where_zh}：{first.message}{value}。"
            f"完整报告：{report}\n"
            f"{path} rejected with {len(errors)} error(s); nothing loaded. First: {where_en}: "
            f"{first.rule}: {first.message_en} (value {first.value!r}). Full report: {report}")


def load(verdict: dict, run_id: str | None = None) -> dict:
    """Apply a verdict in one warehouse transaction: load, record as unchanged, or record the rejection."""
    source = get_source(verdict["source"])
    month = verdict["month"]
    findings = [Finding(**f) for f in json.loads(Path(verdict["findings"]).read_text(encoding="utf-8"))]
    load_record = LoadRecord(source.name, month, verdict["path"], verdict["sha256"], "loaded",
                              verdict["rows"], run_id)
    with connect() as con:
        ensure_schema(con, declared_sources())
        if verdict["errors"]:
            _reject(con, verdict, load_record, findings)
        if current_sha256(con, source.name, month) == verdict["sha256"]:
            load_record.status = "unchanged"
            with transaction(con):
                record(con, load_record, [])
            log.info("%s %s: identical to the loaded file; nothing to do", source.name, month)
        else:
            try:
                added = load_month(con, source, month, Path(verdict["batch"]), load_record, findings)
            except HistoryErrors as exc:
                _reject(con, verdict, load_record, findings + exc.findings)
            log.info("%s %s: loaded %d rows (%d warnings, %d from history checks)", source.name, month,
                     verdict["rows"], verdict["warnings"] + len(added), len(added))
    if verdict["batch"]:
        Path(verdict["batch"]).unlink(missing_ok=True)  # the batch is in staging now
    return {"status": load_record.status, "rows": load_record.rows}
