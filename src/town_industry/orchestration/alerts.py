"""Being told: one structured alert for each failed run.

Every task of the ingestion DAGs and of the KPI DAG has ``on_failure_callback=on_failure`` (their
``default_args``). Airflow calls it in the task's own process, once the task has *failed*: after its last
try (earlier tries call ``on_retry_callback``, not this), and never for a task that did not run because
an upstream task failed (``upstream_failed``). The DAGs are chains, so a failed run has one failed task,
hence one alert.

An alert is one JSON object::

    {"time", "dag_id", "run_id", "task_id", "source", "month", "file", "sha256", "reason", "report",
     "kind": "missing_file" | "rejected" | "fault"}

It is appended to a JSON-lines file (``alerts_path()``: ``ALERTS_FILE``, by default
``alerts/alerts.jsonl`` beside the warehouse), always; and it is e-mailed as well when recipients are
named (Airflow variable or environment variable ``ALERT_EMAIL_TO``) and Airflow has the SMTP connection
``smtp_default``. The callback never raises: a failure to alert is logged, and never hides the run's
own failure.

What an alert carries is what the run's own failure message and ``meta.file_loads`` say: paths, hashes,
counts and the first error. ID numbers are already masked there; the reason is masked once more in case an
unexpected exception quotes a cell, and no cell value is ever added.
"""
from __future__ import annotations

import html
import json
import logging
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from town_industry import settings
from town_industry.contracts.codes import mask_id_numbers_in

log = logging.getLogger(__name__)

KINDS = ("missing_file", "rejected", "fault")
SMTP_CONN_ID = "smtp_default"
EMAIL_TO = "ALERT_EMAIL_TO"  # the Airflow variable and the environment variable naming recipients
DEFAULT_FROM = "town-industry-alerts@localhost"  # when the connection has no from_email extra

REASON_LINES = 3  # the rejection message is one line in Chinese and one in English
REASON_CHARS = 1000



def alerts_path() -> Path:
    """The JSON-lines file alerts are appended to: ``ALERTS_FILE``, else ``alerts/alerts.jsonl`` beside
    the warehouse."""
    configured = os.environ.get("ALERTS_FILE")
    return Path(configured).resolve() if configured else settings.work_dir() / "alerts" / "alerts.jsonl"


# ---- the callback ------------------------------------------------------------------------------

def on_failure(context) -> None:
    """Task ``on_failure_callback``: write the run's alert (and e-mail it when configured). Never raises."""
    try:
        alert = build_alert(context)
    except Exception:
        log.exception("could not build the failure alert; writing what is known")
        try:
            alert = _bare_alert(context)
        except Exception:
            alert = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "kind": "fault",
                     "reason": "the alert could not be built: see the task log"}
    try:
        path = write_alert(alert)
        log.info("failure alert (%s) appended to %s", alert["kind"], path)
    except Exception:
        # The task log keeps it, then: a full disk or an unwritable folder must not lose the alert.
        log.exception("could not write the failure alert to the alerts file; the alert: %s", _line(alert))
    try:
        recipients = email_recipients()
        if recipients and smtp_configured():
            send_email(alert, recipients)
            log.info("failure alert e-mailed to %s", ", ".join(recipients))
    except Exception:
        log.exception("could not e-mail the failure alert (it is in the alerts file)")


# ---- the record --------------------------------------------------------------------------------

def build_alert(context) -> dict:
    """The alert of a failed task from its callback context (``ti``, ``dag_run``, ``exception``...)."""
    alert = _bare_alert(context)
    exception = context.get("exception")
    ti = context.get("ti") or context.get("task_instance")
    source = alert["source"]
    if source:
        alert["month"] = _month(context)
    if source and alert["month"]:
        found = _lookup(_recorded_load, alert["run_id"], source, _started(ti))
        if not found and alert["task_id"] == "load_month":
            found = _lookup(_validated_file, ti)  # the verdict the failed load was applying
        if not found:
            found = _lookup(_expected_file, source, alert["month"])
        alert.update(found or {})
    alert["kind"] = _kind(exception, alert["task_id"], alert.get("status"))
    alert.pop("status", None)
    return alert


def _bare_alert(context) -> dict:
    context = context or {}
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag_id = getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", None) or getattr(context.get("dag"),
                                                                                          "dag_id", None)
    exception = context.get("exception")
    source = dag_id.removeprefix("ingest_") if dag_id and dag_id.startswith("ingest_") else None
    return {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "dag_id": dag_id,
            "run_id": getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None) or context.get("run_id"),
            "task_id": getattr(ti, "task_id", None) or getattr(context.get("task"), "task_id", None),
            "source": source, "month": None, "file": None, "sha256": None,
            "reason": reason(exception), "report": None, "kind": _kind(exception, None, None)}


def reason(exception) -> str:
    """The exception's message: its first lines, bounded, ID numbers masked. Unexpected exceptions are
    named (``NotADirectoryError: ...``); the pipeline's own failures speak for themselves."""
    if exception is None:
        return "the task failed without an exception (killed, timed out, or failed outside its process)"
    text = str(exception).strip()
    if not isinstance(exception, str) and _kind(exception, None, None) == "fault":
        text = f"{type(exception).__name__}: {text}" if text else type(exception).__name__
    text = mask_id_numbers_in(text)  # before cutting: no half number escapes
    text = "\n".join([line.strip() for line in text.splitlines() if line.strip()][:REASON_LINES])
    return text if len(text) <= REASON_CHARS else text[:REASON_CHARS - 1] + "…"


def _kind(exception, task_id: str | None, status: str | None) -> str:
    # By class name along the exception's MRO: the callback does not import the task modules (it may run
    # where they are not loaded), and a subclass of FileRejectedError is a rejection too.
    names = {cls.__name__ for cls in type(exception).__mro__} if exception is not None else set()
    if "FileNotDelivered" in names or ("AirflowSensorTimeout" in names and task_id == "wait_for_file"):
        return "missing_file"
    if "FileRejectedError" in names or status == "rejected":
        return "rejected"
    return "fault"


def _month(context) -> str | None:
    from town_industry.periods import run_month

    dag_run = context.get("dag_run")
    logical_date = getattr(dag_run, "logical_date", None) or context.get("logical_date")
    interval_start = getattr(dag_run, "data_interval_start", None) or context.get("data_interval_start")
    try:
        return run_month(logical_date, interval_start)
    except ValueError:
        return None


def _started(ti) -> datetime | None:
    """When the failed try started, as naive UTC (meta's timestamps): loads recorded before it are an
    earlier run's (a re-run of a month has the same run id)."""
    start = getattr(ti, "start_date", None)
    if start is None:
        return None
    if start.tzinfo is not None:
        start = start.astimezone(timezone.utc).replace(tzinfo=None)
    return start


def _lookup(find, *args) -> dict | None:
    try:
        return find(*args)
    except Exception:
        log.warning("failure alert: %s found nothing", find.__name__, exc_info=True)
        return None


def _recorded_load(run_id: str | None, source: str, since: datetime | None) -> dict | None:
    """The file this run's load recorded in ``meta.file_loads`` (the published copy; never the writer's)."""
    from town_industry.db import read

    if not run_id or not settings.published_path().exists():
        return None
    with read() as con:
        row = con.execute(
            "SELECT path, sha256, error_report, status FROM meta.file_loads "
            "WHERE airflow_run_id = ? AND source = ? AND (CAST(? AS TIMESTAMP) IS NULL OR recorded_at >= ?) "
            "ORDER BY recorded_at DESC LIMIT 1", [run_id, source, since, since]).fetchone()
    if row is None:
        return None
    path, sha256, report, status = row
    return {"file": path, "sha256": sha256, "report": report, "status": status}


def _validated_file(ti) -> dict | None:
    verdict = ti.xcom_pull(task_ids="validate_file") if ti is not None else None
    if not isinstance(verdict, dict) or not verdict.get("path"):
        return None
    return {"file": verdict["path"], "sha256": verdict.get("sha256")}


def _expected_file(source_name: str, month: str) -> dict:
    """The month's file if it is there, else where it was expected (``… or …``)."""
    from town_industry.orchestration.ingest_tasks import expected_file, find_file

    present = find_file(source_name, month)
    return {"file": str(present) if present else expected_file(source_name, month)}


# ---- the targets -------------------------------------------------------------------------------

def _line(alert: dict) -> str:
    return json.dumps(alert, ensure_ascii=False, default=str)


def write_alert(alert: dict, path: Path | None = None) -> Path:
    """Append the alert as one line: a single write on an O_APPEND descriptor, so alerts of tasks
    failing at the same moment never interleave."""
    path = path or alerts_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (_line(alert) + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        written = os.write(fd, data)
    finally:
        os.close(fd)
    if written != len(data):
        raise OSError(f"{path}: wrote {written} of {len(data)} bytes of the alert")
    return path


def email_recipients() -> list[str]:
    """Addresses named by the Airflow variable ``ALERT_EMAIL_TO``, else the environment variable
    (comma-, semicolon- or space-separated); none means no e-mail."""
    named = None
    try:
        from airflow.sdk import Variable

        named = Variable.get(EMAIL_TO, default=None)
    except Exception:
        log.debug("no Airflow variable %s available", EMAIL_TO, exc_info=True)
    named = named or os.environ.get(EMAIL_TO, "")
    return [address for address in re.split(r"[\s,;]+", str(named)) if address]


def smtp_configured() -> bool:
    """Airflow has the SMTP connection ``smtp_default``."""
    try:
        from airflow.sdk import BaseHook

        BaseHook.get_connection(SMTP_CONN_ID)
        return True
    except Exception:
        return False


def subject(alert: dict) -> str:
    what = {"missing_file": "file not delivered", "rejected": "file rejected", "fault": "run failed"}[alert["kind"]]
    scope = " ".join(str(v) for v in (alert.get("source") or alert.get("dag_id"), alert.get("month")) if v)
    return f"[town-industry] {scope}: {what}"


def send_email(alert: dict, recipients: list[str]) -> None:
    """Send the alert through Airflow's SMTP connection (``smtp_default``, the provider's hook)."""
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    rows = "".join(f"<tr><th align='left'>{html.escape(k)}</th><td><pre>{html.escape(str(v))}</pre></td></tr>"
                   for k, v in alert.items() if v is not None)
    body = f"<p>{html.escape(subject(alert))}</p><table>{rows}</table><pre>{html.escape(_line(alert))}</pre>"
    with SmtpHook(smtp_conn_id=SMTP_CONN_ID) as hook:
        hook.send_email_smtp(to=recipients, subject=subject(alert), html_content=body,
                             from_email=hook.from_email or DEFAULT_FROM)
