"""End to end under the real scheduler: the stack of `make airflow`, docker-compose.yml's topology on one
machine (PostgreSQL metadata DB, Redis, CeleryExecutor, api-server, scheduler, dag-processor, triggerer,
a validating Celery worker and the warehouse worker) over a copy of the sample data.

In order, against one stack: the DAGs parse; switching them on starts no run that can only fail; a past
month triggered through the REST API is processed; a file submitted in the report center (the plugin's
app in the api-server) is checked at once and loaded by a one-month backfill; a missing file waits (rescheduled) and fails at its
deadline; a backfill of 2019-01..2020-12 for every source (one of them newest first, all at Airflow's
default concurrency) while an analyst reads the published warehouse; the KPI DAG fires from the load
events once the loads settle and drafts 2020H1 once; and the result equals `make run`'s on the same files.

The slow set: `make test-e2e` runs it alone; `make test` (and `.ci/run`) in a pytest session of its own, beside the rest.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE, fingerprint
from town_industry.deploy.local_airflow import ApiError, LocalAirflow
from town_industry.periods import delivery_deadline
from town_industry.contracts.sources import declared_sources

pytestmark = pytest.mark.e2e

INGEST_DAGS = [f"ingest_{s.name}" for s in declared_sources()]
KPI_DAG = "build_kpi_mart"
FINISHED = {"success", "failed"}
ACTIVE = {None, "scheduled", "queued", "running"}  # a task instance on its way to a worker, or on one


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# What the first wait that timed out waited for. The tests build on each other: once the stack is found
# stuck, the later ones fail at once instead of waiting out their own timeouts (up to 25 minutes each).
TIMED_OUT: list[str] = []


def wait_until(what: str, predicate, timeout: float, interval: float = 3.0):
    if TIMED_OUT:
        raise AssertionError(f"not waiting for {what}: an earlier wait timed out ({TIMED_OUT[0]})")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    TIMED_OUT.append(what)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def diagnosis(stack: LocalAirflow, lines: int = 12) -> str:
    """What the stack's processes said last, for a failed run (CI keeps no logs of the stack)."""
    try:
        answering = sorted(stack.celery_workers_answering())
    except Exception as exc:  # the broker itself may be what failed
        answering = [f"ping failed: {exc!r}"]
    parts = [f"Celery workers answering a ping: {answering}"]
    for name in ("scheduler", "worker", "warehouse-worker", "redis"):
        path = stack.logs / f"{name}.log"
        text = path.read_text(errors="replace").splitlines() if path.exists() else []
        problems = [line for line in text if "ERROR" in line or "Error" in line or "Traceback" in line]
        parts.append(f"--- {name}.log: {len(text)} lines, {sum('] received' in line for line in text)} tasks "
                     f"received; last problems:")
        parts += [line[:300] for line in problems[-5:]]
        parts.append("last lines:")
        parts += [line[:300] for line in text[-lines:]]
    return "\n".join(parts)


class Workspace:
    def __init__(self, root: Path):
        self.data, self.warehouse, self.reports = root / "data", root / "wh" / "warehouse.duckdb", root / "reports"
        self.published = self.warehouse.parent / "published" / self.warehouse.name


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    ws = Workspace(tmp_path_factory.mktemp("scheduler_e2e"))
    shutil.copytree(SAMPLE, ws.data)
    return ws


@pytest.fixture(scope="module")
def stack(workspace, tmp_path_factory, request):
    env = {"DATA_DIR": str(workspace.data), "WAREHOUSE": str(workspace.warehouse),
           "REPORTS_DIR": str(workspace.reports), "PERSON_ID_HMAC_KEY": os.environ["PERSON_ID_HMAC_KEY"],
           # check for files and for settled loads every 15 s, not every hour / minute. (Not less: a
           # rescheduled sensor's worker takes ~5 s to report the previous try, and a new try queued
           # before that report is taken for a failure by Airflow 3.3's scheduler.)
           "FILE_POKE_INTERVAL": "15", "KPI_SETTLE_INTERVAL": "15"}
    airflow = LocalAirflow(tmp_path_factory.mktemp("airflow_home"), port=free_port(), pg_port=free_port(), env=env)
    airflow.start(timeout=300)
    failed_before = request.session.testsfailed
    try:
        yield airflow
    finally:
        if request.session.testsfailed > failed_before:
            print(diagnosis(airflow))
        airflow.stop()


def runs(stack, dag_id: str) -> list[dict]:
    return stack.api("GET", f"dags/{dag_id}/dagRuns?limit=100&order_by=logical_date")["dag_runs"]


def task_instance(stack, dag_id: str, run_id: str, task_id: str) -> dict:
    return stack.api("GET", f"dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")


def wait_for_run(stack, dag_id: str, run_id: str, timeout: float = 300) -> dict:
    return wait_until(f"{dag_id} {run_id} to finish", lambda: (
        run if (run := stack.api("GET", f"dags/{dag_id}/dagRuns/{run_id}"))["state"] in FINISHED else None),
        timeout)


def kpi_runs_settled(stack, quiet: float = 30) -> list[dict]:
    """The KPI DAG's runs once every one has finished and no new one has appeared for ``quiet`` seconds
    (the last loads' asset events may start one more run a moment after the others finish)."""
    def settled():
        before = runs(stack, KPI_DAG)
        if not before or any(r["state"] not in FINISHED for r in before):
            return None
        time.sleep(quiet)
        after = runs(stack, KPI_DAG)
        return after if [r["dag_run_id"] for r in after] == [r["dag_run_id"] for r in before] else None
    return wait_until("the KPI DAG to settle after the last load", settled, timeout=900, interval=5)


def retried_on_deadlock(call, attempts: int = 5):
    """An API call that may meet PostgreSQL's "deadlock detected" (HTTP 500): ending a run while its sensor's
    try is being recorded by a Celery worker updates the same rows in the other order. Airflow does not
    retry it; a person would click again."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except ApiError as exc:
            if exc.status != 500 or attempt == attempts:
                raise
            time.sleep(2)


def published(workspace, sql: str, params=None):
    con = duckdb.connect(str(workspace.published), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


# ---- the tests, in the order a new office would go -----------------------------------------

def test_dags_parse_on_a_scheduler_fit_metadata_db(stack):
    assert stack.environment()["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert stack.environment()["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    dag_ids = wait_until("the DAGs to be parsed", lambda: (
        ids if set(INGEST_DAGS + [KPI_DAG]) <= (ids := {d["dag_id"] for d in stack.api("GET", "dags")["dags"]})
        else None), timeout=180)
    assert set(INGEST_DAGS + [KPI_DAG]) <= dag_ids
    assert stack.api("GET", "importErrors")["total_entries"] == 0
    assert stack.celery_workers_answering() == {"worker", "warehouse-worker"}  # start() waited for them


def test_switching_the_dags_on_starts_no_run_that_can_only_fail(stack):
    for dag_id in INGEST_DAGS + [KPI_DAG]:
        stack.api("PATCH", f"dags/{dag_id}", {"is_paused": False})
    time.sleep(20)  # several scheduler loops
    now = datetime.now(timezone.utc)
    for dag_id in INGEST_DAGS:
        for run in runs(stack, dag_id):
            # In the first 20 days of a month the month before may still deliver: its run is right.
            month = run["logical_date"][:7]
            assert run["run_type"] == "scheduled" and delivery_deadline(month, 20) > now, run
            # It would wait for a file the sample does not have and hold the DAG's one active run. Airflow
            # 3.3 deletes no running run: end it first, between two checks of its sensor (ending it while
            # a worker records a check is what meets PostgreSQL's deadlock detector).
            wait_until(f"the first check of {dag_id}'s file", lambda: task_instance(
                stack, dag_id, run["dag_run_id"], "wait_for_file")["state"] not in ACTIVE, 120, 1)
            retried_on_deadlock(lambda: stack.api("PATCH", f"dags/{dag_id}/dagRuns/{run['dag_run_id']}",
                                                  {"state": "failed"}))
            retried_on_deadlock(lambda: stack.api("DELETE", f"dags/{dag_id}/dagRuns/{run['dag_run_id']}"))
        dag = stack.api("GET", f"dags/{dag_id}")
        assert dag["next_dagrun_data_interval_start"] is not None


def test_a_past_month_triggered_through_the_rest_api_is_processed(stack, workspace):
    run = stack.api("POST", "dags/ingest_investment_monthly/dagRuns", {"logical_date": "2020-07-01T00:00:00Z"})
    assert run["data_interval_start"][:7] != "2020-07"  # Airflow 3: the interval of the trigger time
    run = wait_for_run(stack, "ingest_investment_monthly", run["dag_run_id"])
    assert run["state"] == "success"
    assert published(workspace, "SELECT month, source FROM meta.current_files") == [("2020-07", "investment_monthly")]


def test_a_file_submitted_in_the_report_center_is_checked_at_once_and_loaded(stack, workspace):
    """The report center plugin in the real api-server: a corrupted copy is rejected on the spot with its
    error and nothing is stored; the month's own file is accepted, stored, and loaded by a one-month
    backfill (the sample's bytes: the warehouse ends as make run's)."""
    import httpx

    month, good = "2020-01", (SAMPLE / "enterprise_monthly" / "2020-01.csv").read_bytes()  # UTF-8
    lines = good.decode("utf-8-sig").splitlines()
    fields = lines[1].split(",")
    fields[3] = "99999"  # no industry class
    bad = ("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n").encode("utf-8")
    center = httpx.Client(base_url=f"{stack.base_url}/report-center", timeout=120,
                          headers={"Authorization": f"Bearer {stack.token()}"})
    url = f"/api/uploads/enterprise_monthly/{month}"
    rejected = center.post(url, files={"file": ("bad.csv", bad)})
    assert rejected.status_code == 422, rejected.text
    errors = [(f["row"], f["rule"]) for f in rejected.json()["findings"] if f["severity"] == "error"]
    assert errors == [(2, "invalid_industry_code")], rejected.text
    assert (workspace.data / "enterprise_monthly" / f"{month}.csv").read_bytes() == good  # untouched
    accepted = center.post(url, files={"file": ("2020年1月.csv", good)})
    assert accepted.status_code == 200 and accepted.json()["accepted"], accepted.text
    run = accepted.json()["run"]
    assert run["run_id"] and run["problem"] is None, run
    assert wait_for_run(stack, "ingest_enterprise_monthly", run["run_id"])["state"] == "success"
    assert center.get(f"/api/runs/enterprise_monthly/{run['run_id']}").json()["state"] == "success"
    # The next backfill of the DAG (below) needs this one closed.
    wait_until("the upload's backfill to complete", lambda: stack.api("GET", f"backfills/{run['backfill_id']}")
               ["completed_at"], timeout=120)
    cells = center.get("/api/board").json()["cells"]
    assert next(c["status"] for c in cells if (c["source"], c["month"]) == ("enterprise_monthly", month)) == "loaded"
    assert ("enterprise_monthly", month) in published(workspace, "SELECT source, month FROM meta.current_files")


def test_a_missing_file_waits_cheaply_then_fails_at_its_deadline(stack):
    month = (datetime.now(timezone.utc).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")  # no file for it
    due = datetime.now(timezone.utc) + timedelta(seconds=50)
    days = (due - delivery_deadline(month, 0)).total_seconds() / 86400
    stack.api("POST", "variables", {"key": "arrival_deadline_days",
                                    "value": json.dumps({"employment_services": days})})
    try:
        run = stack.api("POST", "dags/ingest_employment_services/dagRuns", {"logical_date": f"{month}-01T00:00:00Z"})
        run_id = run["dag_run_id"]
        wait_until("the sensor to be rescheduled", lambda: task_instance(
            stack, "ingest_employment_services", run_id, "wait_for_file")["state"] == "up_for_reschedule", 45, 1)
        run = wait_for_run(stack, "ingest_employment_services", run_id, timeout=180)
        assert run["state"] == "failed"
        assert datetime.now(timezone.utc) >= due
        sensor = task_instance(stack, "ingest_employment_services", run_id, "wait_for_file")
        assert sensor["state"] == "failed"
        assert task_instance(stack, "ingest_employment_services", run_id, "validate_file")["state"] == "upstream_failed"
        log = stack.api("GET", f"dags/ingest_employment_services/dagRuns/{run_id}/taskInstances/wait_for_file/"
                               f"logs/{sensor['try_number']}?full_content=true")
        assert f"employment_services {month}: no file by the deadline" in json.dumps(log, ensure_ascii=False)
    finally:
        stack.api("DELETE", "variables/arrival_deadline_days")


READER = textwrap.dedent("""
    import sys, time, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    held = duckdb.connect(path, read_only=True)   # an analyst's session left open throughout
    opens = failures = 0
    import os
    while not os.path.exists(stop):
        try:
            con = duckdb.connect(path, read_only=True)
            con.execute("SELECT count(*) FROM meta.file_loads").fetchone()
            con.close()
            opens += 1
        except Exception as exc:
            failures += 1
            print("reader failed:", exc, file=sys.stderr)
        time.sleep(0.2)
    held.execute("SELECT count(*) FROM meta.file_loads").fetchone()
    print(opens, failures)
""")


def test_backfill_of_every_source_while_an_analyst_reads(stack, workspace, tmp_path):
    stop = tmp_path / "stop-reading"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(workspace.published), str(stop)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = time.monotonic()
    for dag_id in INGEST_DAGS:
        backwards = ["--run-backwards"] if dag_id == "ingest_enterprise_monthly" else []  # newest month first
        stack.cli("backfill", "create", "--dag-id", dag_id, "--from-date", "2019-01-01", "--to-date", "2020-12-01",
                  *backwards)

    def ingest_done():
        states = [r["state"] for d in INGEST_DAGS for r in runs(stack, d) if r["logical_date"] < "2021"]
        return len(states) == 24 * len(INGEST_DAGS) and all(s in FINISHED for s in states)

    wait_until("the backfills to finish", ingest_done, timeout=1500, interval=5)
    loaded = time.monotonic() - started
    kpi_runs_settled(stack)
    stop.touch()
    out, err = reader.communicate(timeout=60)
    opens, failures = map(int, out.split())
    print(f"\nbackfill of {24 * len(INGEST_DAGS)} source-months: {loaded:.0f} s ({loaded / 24:.1f} s per month of "
          f"{len(INGEST_DAGS)} sources); "
          f"reader opened the published copy {opens} times, {failures} failures")

    failed = [(d, r["dag_run_id"]) for d in INGEST_DAGS + [KPI_DAG] for r in runs(stack, d)
              if r["state"] == "failed" and r["logical_date"] < "2021"]
    assert failed == []
    assert failures == 0 and opens > 50, err
    assert published(workspace, "SELECT count(*) FROM meta.current_files")[0][0] == 24 * len(INGEST_DAGS)


def test_the_kpi_dag_fired_from_the_loads_and_drafted_2020h1_once(stack):
    kpi_runs = kpi_runs_settled(stack, quiet=5)
    assert kpi_runs and all(r["run_type"] == "asset_triggered" for r in kpi_runs)
    assert all(r["state"] == "success" for r in kpi_runs)
    drafted = []
    for run in kpi_runs:
        built = stack.api("GET", f"dags/{KPI_DAG}/dagRuns/{run['dag_run_id']}/taskInstances/build_kpis/"
                                 f"xcomEntries/return_value")["value"]
        built = json.loads(built) if isinstance(built, str) else built
        drafted += built["built_periods"]
    assert drafted.count("2020H1") == 1, drafted


def test_the_scheduler_gives_what_make_run_gives(stack, workspace, sample_pipeline):
    assert fingerprint(workspace.warehouse) == fingerprint(sample_pipeline.warehouse)

    def findings(path):
        con = duckdb.connect(str(path), read_only=True)
        try:
            return sorted(con.execute("SELECT * EXCLUDE (recorded_at) FROM meta.dq_issues").fetchall(), key=repr)
        finally:
            con.close()

    assert findings(workspace.published) == findings(sample_pipeline.warehouse)
    name = "2020H1/industrial_economy_report_2020H1.md"
    assert (workspace.reports / name).read_text(encoding="utf-8") == (sample_pipeline.reports / name).read_text(
        encoding="utf-8")


def task_instances(stack) -> list[dict]:
    found, offset = [], 0
    while True:
        page = stack.api("GET", f"dags/~/dagRuns/~/taskInstances?limit=100&offset={offset}")
        found += page["task_instances"]
        offset += 100
        if offset >= page["total_entries"]:
            return found


def test_only_the_warehouse_worker_opened_the_warehouse(stack):
    """Loads, KPI builds and drafts go to the warehouse queue, which one worker serves; validation and the
    sensors to the default queue, which the other serves (deploy/topology.py)."""
    ran = [ti for ti in task_instances(stack) if ti["state"] in FINISHED]
    writers = {"load_month", "build_kpis", "draft_reports"}
    assert {ti["queue"] for ti in ran if ti["task_id"] in writers} == {"warehouse"}
    assert {ti["queue"] for ti in ran if ti["task_id"] not in writers} == {"default"}
    # every try of a writing task was received by the warehouse worker, and by it only
    received = {name: (stack.logs / f"{name}.log").read_text(errors="replace").count("] received")
                for name in ("worker", "warehouse-worker")}
    tries = sum(ti["try_number"] for ti in ran if ti["task_id"] in writers)
    assert received["warehouse-worker"] == tries and received["worker"] > 0, received
