"""Being told: a failed run sends one structured alert (orchestration/alerts.py) through the tasks'
on_failure_callback, to the alerts file beside the warehouse by default, and by e-mail through Airflow's
SMTP connection when recipients are named.

The integration tests run the real DAGs (dag.test) for a rejected file, a file missing after its deadline
and two faults (one in a task with retries), and read the alerts file: exactly one line per failed run.
The unit tests call the callback with a hand-made context: e-mail to a real SMTP server on localhost, a
failed e-mail or an unwritable alerts file never raising, ID numbers masked.
"""
from __future__ import annotations

import hashlib
import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import copy_sample, read_csv_rows, run_source, write_csv_rows
from town_industry import settings
from town_industry.orchestration import alerts
from town_industry.periods import first_day

SOURCE = "enterprise_monthly"
MONTH = "2020-01"
FIELDS = {"time", "dag_id", "run_id", "task_id", "source", "month", "file", "sha256", "reason", "report", "kind"}


def written_alerts() -> list[dict]:
    path = alerts.alerts_path()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def task_states(dag_id: str, run_id: str) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance.task_id, TaskInstance.state, TaskInstance.try_number).filter(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id).all()
    return {task_id: (str(state), tries) for task_id, state, tries in rows}


@pytest.fixture
def default_target(workspace, monkeypatch):
    """The workspace, with the default alert target: the alerts file beside the warehouse, no e-mail."""
    for name in ("ALERTS_FILE", "ALERT_EMAIL_TO", "AIRFLOW_VAR_ALERT_EMAIL_TO", "AIRFLOW_CONN_SMTP_DEFAULT"):
        monkeypatch.delenv(name, raising=False)
    return workspace


# ---- failed runs, through Airflow ------------------------------------------------------------------

def test_a_rejected_file_sends_one_alert_linking_its_report(default_target):
    copy_sample(default_target, SOURCE, MONTH)
    path = default_target / SOURCE / f"{MONTH}.csv"
    rows = read_csv_rows(path)
    rows[2][3] = "171"  # industry_code of row 3: not 4 digits
    write_csv_rows(path, rows)

    assert not run_source(SOURCE, MONTH)

    assert alerts.alerts_path() == settings.work_dir() / "alerts" / "alerts.jsonl"  # the default target
    [alert] = written_alerts()
    assert set(alert) == FIELDS
    assert (alert["kind"], alert["dag_id"], alert["task_id"], alert["source"], alert["month"]) == (
        "rejected", f"ingest_{SOURCE}", "load_month", SOURCE, MONTH)
    assert alert["file"] == str(path)
    assert alert["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert Path(alert["report"]).is_file() and Path(alert["report"]).is_relative_to(settings.work_dir() / "rejections")
    assert "rejected with 1 error(s)" in alert["reason"] and "invalid_industry_code" in alert["reason"]
    assert datetime.fromisoformat(alert["time"]) > datetime.now(timezone.utc) - timedelta(minutes=10)
    states = task_states(alert["dag_id"], alert["run_id"])
    assert states["load_month"][0] == "failed"


def test_a_file_missing_after_its_deadline_sends_one_alert(default_target):
    month = "2019-03"  # long past its deadline, and never delivered
    assert not run_source(SOURCE, month)

    [alert] = written_alerts()
    assert (alert["kind"], alert["task_id"], alert["source"], alert["month"]) == (
        "missing_file", "wait_for_file", SOURCE, month)
    assert alert["file"].startswith(str(default_target / SOURCE / f"{month}.csv"))  # where it was expected
    assert alert["sha256"] is None and alert["report"] is None
    assert "no file by the deadline" in alert["reason"]
    # the tasks after the sensor never ran, so they sent nothing: one alert for the run
    states = task_states(alert["dag_id"], alert["run_id"])
    assert {t: s for t, (s, _) in states.items()} == {"wait_for_file": "failed", "validate_file": "upstream_failed",
                                                      "load_month": "upstream_failed"}


def test_a_fault_sends_one_fault_alert(default_target, tmp_path, monkeypatch):
    """The warehouse's folder cannot be created (a file stands in its way): validation fails unexpectedly."""
    copy_sample(default_target, SOURCE, MONTH)
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the warehouse's folder should be")
    monkeypatch.setenv("WAREHOUSE", str(blocker / "wh" / "warehouse.duckdb"))
    monkeypatch.setenv("ALERTS_FILE", str(tmp_path / "alerts" / "alerts.jsonl"))  # the default is blocked too

    assert not run_source(SOURCE, MONTH)

    [alert] = written_alerts()
    assert (alert["kind"], alert["task_id"], alert["source"], alert["month"]) == (
        "fault", "validate_file", SOURCE, MONTH)
    assert alert["reason"].startswith("NotADirectoryError: ") and str(blocker) in alert["reason"]
    assert alert["file"] == str(default_target / SOURCE / f"{MONTH}.csv") and alert["report"] is None


def test_a_task_with_retries_alerts_once_after_its_last_try(default_target, ingest_dags, monkeypatch):
    """load_month has retries: a fault on every try fails the run after the third, with one alert."""
    copy_sample(default_target, SOURCE, MONTH)
    settings.warehouse_path().mkdir(parents=True)  # a folder where the DuckDB file should be: DuckDB cannot open it
    dag = next(d for d in ingest_dags if d.dag_id == f"ingest_{SOURCE}")
    load = dag.get_task("load_month")
    assert load.retries == 2
    monkeypatch.setattr(load, "retry_delay", timedelta(0))  # retry at once (dag.test waits out the delay)

    dag_run = dag.test(logical_date=first_day(MONTH))

    assert dag_run.state == "failed"
    assert task_states(dag.dag_id, dag_run.run_id)["load_month"] == ("failed", 3)  # three tries
    [alert] = written_alerts()
    assert (alert["kind"], alert["task_id"], alert["run_id"]) == ("fault", "load_month", dag_run.run_id)
    assert "Is a directory" in alert["reason"]
    path = default_target / SOURCE / f"{MONTH}.csv"  # from the verdict of validate_file
    assert (alert["file"], alert["sha256"]) == (str(path), hashlib.sha256(path.read_bytes()).hexdigest())


def test_the_kpi_dag_alerts_once_too(default_target, monkeypatch):
    from town_industry.cli.run import KPI_DAG, dag_bag

    dag = dag_bag().dags[KPI_DAG]
    for task in dag.tasks:
        assert alerts.on_failure in task.on_failure_callback, task.task_id
        assert alerts.on_failure not in (task.on_retry_callback or []), task.task_id
    settings.warehouse_path().mkdir(parents=True)  # build_kpis cannot open the warehouse
    monkeypatch.setattr(dag.get_task("build_kpis"), "retry_delay", timedelta(0))

    dag_run = dag.test(run_conf={"wait_for_loads": False})

    assert dag_run.state == "failed"
    assert task_states(KPI_DAG, dag_run.run_id)["build_kpis"] == ("failed", 2)
    [alert] = written_alerts()
    assert (alert["kind"], alert["dag_id"], alert["task_id"], alert["source"], alert["month"], alert["file"]) == (
        "fault", KPI_DAG, "build_kpis", None, None, None)


# ---- the callback on its own ------------------------------------------------------------------------

def failure_context(exception: BaseException | None, task_id: str = "load_month") -> dict:
    """What Airflow hands on_failure_callback, as far as the alert reads it."""
    run_id = "manual__2020-01-01T00:00:00+00:00"
    ti = SimpleNamespace(dag_id=f"ingest_{SOURCE}", run_id=run_id, task_id=task_id,
                         start_date=datetime.now(timezone.utc), xcom_pull=lambda **_: None)
    dag_run = SimpleNamespace(dag_id=ti.dag_id, run_id=run_id, logical_date=first_day(MONTH),
                              data_interval_start=first_day("2019-12"))
    return {"ti": ti, "task_instance": ti, "dag_run": dag_run, "exception": exception}


@pytest.fixture
def local(tmp_path, monkeypatch):
    """A warehouse and data folder under tmp_path, the default alert target, no e-mail configured."""
    monkeypatch.setenv("WAREHOUSE", str(tmp_path / "wh" / "warehouse.duckdb"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    for name in ("ALERTS_FILE", "ALERT_EMAIL_TO", "AIRFLOW_VAR_ALERT_EMAIL_TO", "AIRFLOW_CONN_SMTP_DEFAULT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def rejection(report: str = "/wh/rejections/enterprise_monthly/2020-01-0123456789ab.md"):
    from town_industry.orchestration.ingest_tasks import FileRejectedError

    return FileRejectedError(f"x.csv 被退回：1 处错误，没有数据入库。完整报告：{report}\n"
                             f"x.csv rejected with 1 error(s); nothing loaded. Full report: {report}")


@pytest.fixture
def smtp_server():
    """A real SMTP server on localhost (the standard library's smtpd), collecting what it receives."""
    import asyncore
    import smtpd

    received = []

    class Collector(smtpd.SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            received.append(SimpleNamespace(mailfrom=mailfrom, rcpttos=rcpttos, message=message_from_bytes(data)))

    channels: dict = {}
    server = Collector(("127.0.0.1", 0), None, map=channels, decode_data=False)
    loop = threading.Thread(target=asyncore.loop, kwargs={"timeout": 0.05, "map": channels}, daemon=True)
    loop.start()
    try:
        yield SimpleNamespace(port=server.socket.getsockname()[1], received=received)
    finally:
        server.close()
        loop.join(timeout=5)


def smtp_connection(monkeypatch, port: int) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"disable_ssl": True, "disable_tls": True, "from_email": "airflow@town.example",
                  "timeout": 5, "retry_limit": 0}}))


@pytest.mark.parametrize("named_by", ["ALERT_EMAIL_TO", "AIRFLOW_VAR_ALERT_EMAIL_TO"])  # environment, Airflow variable
def test_an_alert_is_emailed_when_recipients_and_the_smtp_connection_are_configured(local, smtp_server, monkeypatch,
                                                                                    named_by):
    smtp_connection(monkeypatch, smtp_server.port)
    monkeypatch.setenv(named_by, "office@town.example, duty@town.example")

    alerts.on_failure(failure_context(rejection()))

    [mail] = smtp_server.received
    assert mail.mailfrom == "airflow@town.example"
    assert mail.rcpttos == ["office@town.example", "duty@town.example"]
    assert mail.message["Subject"] == f"[town-industry] {SOURCE} {MONTH}: file rejected"
    body = next(p for p in mail.message.walk() if p.get_content_type() == "text/html").get_payload(decode=True)
    assert "2020-01-0123456789ab.md" in body.decode("utf-8") and "rejected" in body.decode("utf-8")
    [alert] = written_alerts()  # and the alerts file has it as well
    assert alert["kind"] == "rejected" and alert["month"] == MONTH


def test_a_failed_run_emails_its_alert_from_the_task(default_target, smtp_server, monkeypatch):
    """The same through Airflow: the callback in the task's process finds the variable and the connection."""
    smtp_connection(monkeypatch, smtp_server.port)
    monkeypatch.setenv("AIRFLOW_VAR_ALERT_EMAIL_TO", "office@town.example")
    assert not run_source(SOURCE, "2019-03")  # never delivered
    [mail] = smtp_server.received
    assert mail.rcpttos == ["office@town.example"]
    assert mail.message["Subject"] == f"[town-industry] {SOURCE} 2019-03: file not delivered"
    assert [a["kind"] for a in written_alerts()] == ["missing_file"]


def test_no_email_without_the_smtp_connection(local, smtp_server, monkeypatch):
    monkeypatch.setenv("ALERT_EMAIL_TO", "office@town.example")
    assert not alerts.smtp_configured()
    alerts.on_failure(failure_context(rejection()))
    assert smtp_server.received == [] and len(written_alerts()) == 1


def test_a_failed_email_still_writes_the_alerts_file_and_never_raises(local, monkeypatch, caplog):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    smtp_connection(monkeypatch, port)
    monkeypatch.setenv("ALERT_EMAIL_TO", "office@town.example")

    with caplog.at_level("ERROR", logger=alerts.__name__):
        alerts.on_failure(failure_context(rejection()))

    assert [a["kind"] for a in written_alerts()] == ["rejected"]
    assert any("could not e-mail the failure alert" in r.getMessage() for r in caplog.records)


def test_an_unwritable_alerts_file_leaves_the_alert_in_the_task_log(local, monkeypatch, caplog):
    blocker = local / "blocker"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ALERTS_FILE", str(blocker / "alerts.jsonl"))
    with caplog.at_level("ERROR", logger=alerts.__name__):
        alerts.on_failure(failure_context(RuntimeError("boom")))
    [record] = [r for r in caplog.records if "could not write the failure alert" in r.getMessage()]
    assert '"reason": "RuntimeError: boom"' in record.getMessage()


def test_whatever_the_context_the_callback_writes_an_alert(local):
    alerts.on_failure({})
    alerts.on_failure(failure_context(None, task_id="wait_for_file"))
    first, second = written_alerts()
    assert set(first) == set(second) == FIELDS
    assert first["kind"] == second["kind"] == "fault" and second["month"] == MONTH
    assert second["file"] == " or ".join(str(local / "data" / SOURCE / f"{MONTH}{ext}") for ext in (".csv", ".xlsx"))


def test_the_reason_is_bounded_and_masks_id_numbers(local):
    from town_industry.contracts.codes import id_check_char

    id_number = "32061119900101123" + id_check_char("32061119900101123")
    digest = hashlib.sha256(b"x").hexdigest()
    message = f"bad cell {id_number} in {digest}\n" + "\n".join(f"line {i}" for i in range(50))
    alert = alerts.build_alert(failure_context(ValueError(message)))
    assert id_number not in json.dumps(alert) and "320611********123" in alert["reason"]
    assert digest in alert["reason"]  # hashes are not ID numbers
    assert alert["reason"].splitlines()[1:] == ["line 0", "line 1"]  # the first lines only
    long = alerts.reason(ValueError("x" * 5000 + id_number))
    assert len(long) == alerts.REASON_CHARS and long.endswith("…")
    cut = alerts.reason(ValueError("x" * (alerts.REASON_CHARS - len("ValueError: ") - 10) + " " + id_number))
    assert len(cut) == alerts.REASON_CHARS  # cut inside the number: its first 8 characters are left
    assert "320611**" in cut and id_number[:8] not in cut
