"""What the ingestion DAG's tasks do, for one source and one data month.

``validate`` archives the delivered file and validates the archived copy within the source's limits
(never touching the warehouse: it may run beside a load of another source); ``load`` is the only
writer, runs in the one-slot writer pool, and applies exactly what was validated.
"""
from __future__ import annotations

import functools
import json
import logging
import re
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from town_industry import settings
from town_industry.contracts.codes import mask_id_numbers_in
from town_industry.contracts.findings import ERROR, Finding
from town_industry.contracts.rules import bilingual, finding
from town_industry.contracts.sources import DeclarationError, Source, declared_sources, get_source
from town_industry.db import connect, transaction
from town_industry.faults import crash_point, pause_point
from town_industry.ingest.archive import Archived, archive_file, archive_key, change_since, readable_copy
from town_industry.ingest.bounded import ChildFailed, LimitExceeded, failure_finding, run_within, start_method
from town_industry.ingest.personal import hmac_key
from town_industry.ingest.rejection_report import write_error_report
from town_industry.ingest.suites import suite_error
from town_industry.ingest.validation import validate_file, warm_up
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


class ConfigurationError(AirflowFailException):
    """A declaration, or what it names (its suite, its SQL), is wrong: the message names the file and the key."""


# SQL a declaration names that does not fit the warehouse (a misspelled column or table, a syntax error):
# the same error at every retry.
_SQL_MISTAKES = (duckdb.BinderException, duckdb.CatalogException, duckdb.ParserException)


def fails_at_once_on_configuration_errors(task_function):
    """A task entry point that fails at once, without its retries, on a configuration error: retrying
    five minutes later would meet the same declaration."""
    @functools.wraps(task_function)  # Airflow reads the signature to pass the context: wraps keeps it
    def checked(*args, **kwargs):
        try:
            return task_function(*args, **kwargs)
        except DeclarationError as exc:
            log.error("configuration error (not retried):\n%s", exc)
            raise ConfigurationError(f"configuration error (not retried): {exc}") from exc
    return checked


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


def expected_file(source_name: str, month: str) -> str:
    """Where the month's file is looked for: ``DATA_DIR/<source>/<month>.csv or ….xlsx``."""
    return " or ".join(str(p) for p in get_source(source_name).file_candidates(settings.data_dir(), month))


@fails_at_once_on_configuration_errors
def file_has_arrived(source_name: str, logical_date: datetime | None = None,
                     data_interval_start: datetime | None = None, now: datetime | None = None) -> bool:
    """Sensor check: True once the month's file is there and settled; once the deadline has passed, fails
    the run, or for an optional source ends it skipped (no file is no failure there, and sends no alert)."""
    month = run_month(logical_date, data_interval_start)
    path = find_file(source_name, month)
    if path is not None:
        if not _settled(path):
            log.info("%s %s: %s is still being written; looking again later", source_name, month, path)
            return False
        log.info("%s %s: found %s", source_name, month, path)
        return True
    deadline = delivery_deadline(month, deadline_days(source_name))
    now = now or datetime.now(timezone.utc)
    if now >= deadline:
        missing = (f"{source_name} {month}: no file by the deadline {deadline:%Y-%m-%d %H:%M} UTC "
                   f"(expected {expected_file(source_name, month)}){_misnamed(source_name)}")
        if get_source(source_name).optional:
            raise AirflowSkipException(f"{missing}; the source is optional: the month is skipped")
        raise FileNotDelivered(missing)
    log.info("%s %s: not delivered yet; waiting until %s", source_name, month, deadline)
    return False


def _misnamed(source_name: str) -> str:
    """Files in the source's folder whose names are not a month (``2020年1月.csv``): the likely delivery."""
    folder = settings.data_dir() / source_name
    names = sorted(p.name for p in folder.glob("*") if p.is_file() and not _MONTH_NAME.match(p.stem)) \
        if folder.is_dir() else []
    if not names:
        return ""
    return (f"; the folder holds {', '.join(names[:5])}, not named YYYY-MM: rename the month's file "
            f"(文件名应为 年-月，如 2020-01.csv)")


_MONTH_NAME = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _settled(path: Path) -> bool:
    """The file has not changed for ``FILE_SETTLE_SECONDS`` (waited for here, up to a few times that).

    A file copied into the delivery folder shows up before its last byte is written; taken too early,
    a CSV would load a truncated month. (The archive copy checks again, byte for byte.)
    """
    settle = settings.file_settle_seconds()
    give_up = time.monotonic() + 4 * settle
    while True:
        try:
            seen = path.stat()
        except FileNotFoundError:
            return False
        quiet = time.time() - seen.st_mtime
        if quiet >= settle:
            return True
        if time.monotonic() + settle - quiet > give_up:
            return False  # still being written: the sensor looks again at its next poke
        time.sleep(settle - quiet)


def _landing_dir(source_name: str, month: str) -> Path:
    return settings.work_dir() / "landing" / source_name / month


@fails_at_once_on_configuration_errors
def validate(source_name: str, month: str) -> dict:
    """Archive the month's file and validate the archived copy within the source's limits; returns the
    verdict the load task applies (paths and counts only).

    Whatever happens in validation (a limit crossed, a crash) ends in a verdict with an error, so the
    load task records the file and writes its report: no delivered file goes unrecorded.
    """
    source = get_source(source_name)
    stale = suite_error(source)  # a declaration edited without `make suites` would validate by old rules
    if stale:
        raise stale
    path = find_file(source_name, month)
    if path is None:
        raise FileNotDelivered(f"{source_name} {month}: the file disappeared after it was sensed")
    # What needs Airflow is fetched here: the validating child must not talk to Airflow (it would share
    # the task's channel to the supervisor). Files with personal data are sealed in the archive.
    key = hmac_key() if any(c.personal for c in source.columns) else None
    seal = archive_key(key) if key else None
    try:
        archived = archive_file(path, source_name, seal_with=seal)
    except FileNotFoundError:
        raise FileNotDelivered(f"{source_name} {month}: {path} disappeared after it was sensed") from None
    landing = _landing_dir(source_name, month)
    landing.mkdir(parents=True, exist_ok=True)
    if start_method() == "fork":  # a fork server loads them itself (ingest/warm.py)
        warm_up()  # libraries and the GX context loaded here once: a forked validating child inherits them
    try:
        with readable_copy(archived, seal) as readable:
            verdict = run_within(source.limits, _validate_archived, archived, readable, source, month, landing, key)
    except LimitExceeded as exc:
        verdict = _verdict(archived, source, month, landing, [failure_finding(exc, path.name)])
    except ChildFailed as exc:
        log.error("%s %s: validation of %s failed:\n%s", source_name, month, path, mask_id_numbers_in(exc.trace))
        verdict = _verdict(archived, source, month, landing, [failure_finding(exc, path.name)])
    log.info("%s %s: %s (archived as %s), %d rows, %d errors, %d warnings", source_name, month, path.name,
             verdict["archived"], verdict["rows"], verdict["errors"], verdict["warnings"])
    return verdict


def _validate_archived(archived: Archived, readable: Path, source: Source, month: str, landing: Path,
                       key: bytes | None) -> dict:
    """In the bounded child: validate the archived bytes, write the findings and the landing batch."""
    crash_point("validate")
    result = validate_file(readable, source, month, sha256=archived.sha256)
    pause_point("validate")
    batch = None
    if result.errors == 0:
        from town_industry.ingest.landing import write_batch

        batch = write_batch(result.typed, source, result.sha256, landing / f"{result.sha256}.parquet", key)
    return _verdict(archived, source, month, landing, result.findings, result.rows, batch)


def _verdict(archived: Archived, source: Source, month: str, landing: Path, findings: list[Finding],
             rows: int = 0, batch: Path | None = None) -> dict:
    findings_path = landing / f"{archived.sha256}.findings.json"
    findings_path.write_text(json.dumps([f.as_dict() for f in findings], ensure_ascii=False), encoding="utf-8")
    return {"source": source.name, "month": month, "path": str(archived.delivered), "sha256": archived.sha256,
            "archived": str(archived.path), "signature": list(archived.signature),
            "rows": rows, "errors": sum(f.severity == ERROR for f in findings),
            "warnings": sum(f.severity != ERROR for f in findings),
            "batch": None if batch is None else str(batch), "findings": str(findings_path)}


def _reject(con, verdict: dict, load_record: LoadRecord, findings: list[Finding]) -> None:
    """Record a rejected file in meta, write its error report, and fail the run."""
    source, month = verdict["source"], verdict["month"]
    errors = [f for f in findings if f.severity == ERROR]
    load_record.status = "rejected"
    load_record.error_report = str(write_error_report(
        settings.work_dir() / "rejections" / source / f"{month}-{verdict['sha256'][:12]}.md",
        source=source, month=month, file=Path(verdict["path"]), sha256=verdict["sha256"], findings=findings,
        archived=Path(verdict["archived"])))
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


def _changed_since_validation(verdict: dict) -> list[Finding]:
    """A warning when the delivered file was replaced or removed after validation (the validated,
    archived version is what loads; the new one waits for a rerun of the month)."""
    path = Path(verdict["path"])
    change = change_since(verdict["signature"], path, verdict["sha256"])
    if change is None:
        return []
    log.warning("%s %s: %s was %s after validation; applying the validated version %s", verdict["source"],
                verdict["month"], path, change, verdict["archived"])
    shown = (bilingual("被删除", "removed") if change == "removed"
             else bilingual(f"被替换（新文件 SHA-256 {change.split()[-1].rstrip(')')}）", change))
    return [finding("file_changed_after_validation",
                    {"file": path.name, "change": shown, "sha256": verdict["sha256"][:12]})]


@fails_at_once_on_configuration_errors
def load(verdict: dict, run_id: str | None = None) -> dict:
    """Apply a verdict in one warehouse transaction: load, record as unchanged, or record the rejection."""
    source = get_source(verdict["source"])
    month = verdict["month"]
    findings = [Finding(**f) for f in json.loads(Path(verdict["findings"]).read_text(encoding="utf-8"))]
    findings += _changed_since_validation(verdict)
    load_record = LoadRecord(source.name, month, verdict["path"], verdict["sha256"], "loaded",
                              verdict["rows"], run_id, archived_as=verdict["archived"])
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
            except _SQL_MISTAKES as exc:  # rolled back: the month keeps what it had
                raise DeclarationError(source.path, [
                    f"models / history_checks: their SQL does not run on the warehouse: "
                    f"{type(exc).__name__}: {exc}"]) from exc
            log.info("%s %s: loaded %d rows (%d warnings, %d from history checks)", source.name, month,
                     verdict["rows"], verdict["warnings"] + len(added), len(added))
    if verdict["batch"]:
        Path(verdict["batch"]).unlink(missing_ok=True)  # the batch is in staging now
    return {"status": load_record.status, "rows": load_record.rows}
