"""End to end under the real scheduler: the stack of `make airflow`, docker-compose.yml's topology on one
machine (PostgreSQL metadata DB, Redis, CeleryExecutor, api-server, scheduler, dag-processor, triggerer,
a validating Celery worker and the warehouse worker) over a copy of the sample data.

In order, against one stack: the DAGs parse; switching them on starts no run that can only fail; a past
month triggered through the REST API is processed; a file submitted in the report center (the plugin's
app in the api-server) is checked at once and loaded by a one-month backfill; a missing file waits (rescheduled) and fails at its
deadline; a backfill of 2019-01..2020-12 for every source (one of them newest first, all at Airflow's
default concurrency) while an analyst reads the published warehouse; the KPI DAG fires from the load
events once the loads settle and drafts 2020H1 once; and the result equals `make run`'s on the same files.
Last, on the loaded stack: each account of the stack may submit its office's sources only, and a clerk in
headless Chromium (tests/browser.py) logs in, is shown a rejected file's errors, loads the fixed file and
downloads the 2020H1 draft, leaving screenshots of each page in build/screenshots/.

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
            # It would wait for a file the sample does not have and hold the DAG's one active run: end it,
            # between two checks of its sensor (ending it while a worker records a check is what meets
            # PostgreSQL's deadlock detector). Ended, not deleted: the dag-processor computes the next run
            # from the latest one at each parse, and would create a deleted one again ~20 s later.
            wait_until(f"the first check of {dag_id}'s file", lambda: task_instance(
                stack, dag_id, run["dag_run_id"], "wait_for_file")["state"] not in ACTIVE, 120, 1)
            retried_on_deadlock(lambda: stack.api("PATCH", f"dags/{dag_id}/dagRuns/{run['dag_run_id']}",
                                                  {"state": "failed"}))
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
    shown = center.get(f"/api/runs/enterprise_monthly/{run['run_id']}").json()
    assert (shown["state"], shown["month"]) == ("success", month), shown
    assert list(shown["tasks"]) == ["wait_for_file", "validate_file", "load_month"]  # the DAG's order
    # The next backfill of the DAG (below) needs this one closed.
    wait_until("the upload's backfill to complete", lambda: stack.api("GET", f"backfills/{run['backfill_id']}")
               ["completed_at"], timeout=120)
    cells = center.get("/api/board?period=2020H1").json()["cells"]
    assert next(c["status"] for c in cells if (c["source"], c["month"]) == ("enterprise_monthly", month)) == "loaded"
    assert ("enterprise_monthly", month) in published(workspace, "SELECT source, month FROM meta.current_files")


def test_a_missing_file_waits_cheaply_then_fails_at_its_deadline(stack):
    # No file for it, and no run: last month's scheduled run (ended above) keeps its logical date.
    last_month = datetime.now(timezone.utc).replace(day=1) - timedelta(days=1)
    month = (last_month.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
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


# ---- the report center's accounts, and a clerk in the browser --------------------------------------

def test_each_account_logs_in_and_may_submit_only_its_offices_sources(stack):
    """The accounts the stack declares (topology.accounts()): each logs in through the real auth manager;
    the report center lets a clerk submit its office's sources and no other, and the analyst reads the
    board but submits nothing; Airflow itself lets the analyst change nothing."""
    import httpx
    from town_industry.deploy import topology
    from town_industry.contracts.offices import load_offices

    offices, sources = load_offices(), [s.name for s in declared_sources()]
    clerks = set().union(*offices.members.values())
    for user in topology.accounts():
        headers = {"Authorization": f"Bearer {stack.token(user)}"}
        with httpx.Client(base_url=f"{stack.base_url}/report-center", timeout=60, headers=headers) as center:
            may = center.get("/api/me").json()["may_submit"]
            assert may == offices.submittable(user) and (bool(may) or user not in clerks), (user, may)
            assert center.get("/api/board").status_code == 200, user
            for source in sorted(set(sources) - set(may)):  # refused before the file is even read
                refused = center.post(f"/api/uploads/{source}/2020-06", files={"file": ("2020-06.csv", b"x\n")})
                assert refused.status_code == 403, (user, source, refused.text)
    analyst = {"Authorization": f"Bearer {stack.token(topology.ANALYST)}"}
    assert httpx.get(f"{stack.base_url}/report-center/api/me", headers=analyst).json()["may_submit"] == []
    changed = httpx.patch(f"{stack.base_url}/api/v2/dags/{INGEST_DAGS[0]}", json={"is_paused": True}, headers=analyst)
    assert changed.status_code == 403, changed.text


# An ID number as a file holds it (the pages show it masked: 320612********2684).
ID_NUMBER = r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"
MASKED_ID = r"\d{6}\*{8}\d{3}[\dX]"


def corrupted_employment_month(good: bytes) -> tuple[bytes, list[str]]:
    """The month's file with a wrong check character in row 2's ID number and an impossible date in row 3;
    and the personal data the file holds (every ID number, the wrong one included, and every name), none
    of which a page may show."""
    import re

    lines = good.decode("utf-8-sig").splitlines()
    rows = [line.split(",") for line in lines]
    personal = re.findall(ID_NUMBER, "\n".join(lines)) + [r[5] for r in rows[1:] if r[5]]
    rows[1][4] = rows[1][4][:-1] + ("1" if rows[1][4][-1] != "1" else "2")
    rows[2][2] = "20200199"
    personal.append(rows[1][4])
    return ("\n".join(",".join(r) for r in rows) + "\n").encode("utf-8"), personal


def backfills_done(stack, dag_id: str) -> bool:
    return all(b["completed_at"] for b in stack.api("GET", f"backfills?dag_id={dag_id}")["backfills"])


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    from browser import start_chromium

    downloads = tmp_path_factory.mktemp("downloads")
    driver = start_chromium(downloads)
    driver.downloads = downloads
    try:
        yield driver
    finally:
        driver.quit()  # chromedriver and every Chromium process


def test_a_clerk_in_the_browser_sees_a_rejection_then_loads_the_fixed_file(stack, workspace, chromium, tmp_path):
    """Headless Chromium through Airflow's own login page. The labour office's clerk finds the report center
    inside Airflow's UI, submits a month's file with two mistakes and sees each (row, column, rule, Chinese
    message, the ID number masked; no ID number or name in clear anywhere on the page), submits the right
    file, follows its run to success, finds the month on the status board and downloads the 2020H1 draft;
    the analyst may not submit and reads a KPI. A screenshot of each page goes to build/screenshots/, with
    index.txt saying what each shows."""
    from browser import log_in, screenshot, write_index

    notes: list[str] = []
    clerk, source, month = "labour_clerk", "employment_services", "2020-06"
    good = (SAMPLE / source / f"{month}.csv").read_bytes()
    bad, personal = corrupted_employment_month(good)
    files = {}
    for kind, content in (("bad", bad), ("good", good)):  # the name a clerk's file has on their disk
        (tmp_path / kind).mkdir()
        files[kind] = tmp_path / kind / f"{month}.csv"
        files[kind].write_bytes(content)

    log_in(chromium, stack.base_url, clerk, stack.passwords()[clerk], before_signing_in=lambda: screenshot(
        chromium, "01-login", f"Airflow's own login page (Simple auth manager) with the user name {clerk} typed "
        "and the password masked, reached from the report center's 请先登录 page.", notes))
    report_center_inside_airflow(chromium, stack, clerk, notes)
    clerk_sees_the_rejection(chromium, stack, workspace, files["bad"], source, month, personal, notes)
    wait_until(f"no backfill of ingest_{source} under way", lambda: backfills_done(stack, f"ingest_{source}"), 300)
    run_id = clerk_submits_the_fixed_file(chromium, files["good"], source, month, notes)
    clerk_follows_the_run(chromium, stack, source, run_id, notes)
    clerk_finds_the_month_on_the_board(chromium, stack, source, month, notes)
    writer_downloads_the_draft(chromium, stack, workspace, "2020H1", notes)
    analyst_reads_a_kpi(chromium, stack, workspace, "taxable_sales_yoy_pct", "2020H1", notes)
    print(f"\nscreenshots: {write_index(notes)}")


def submit_in_the_form(chromium, path: Path, source: str, month: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    Select(chromium.find_element(By.NAME, "source")).select_by_value(source)
    chromium.find_element(By.NAME, "month").clear()
    chromium.find_element(By.NAME, "month").send_keys(month)
    chromium.find_element(By.NAME, "file").send_keys(str(path))
    chromium.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


def report_center_inside_airflow(chromium, stack, clerk: str, notes: list[str]) -> None:
    """The plugin's entry in Airflow's navigation shows the report center in a frame of the UI."""
    from browser import screenshot, waiting
    from selenium.webdriver.common.by import By

    chromium.get(f"{stack.base_url}/plugin/report-center")
    frame = waiting(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "iframe[src*='/report-center/']"))
    chromium.switch_to.frame(frame)
    try:
        waiting(chromium).until(lambda d: "labour-office" in d.find_element(By.TAG_NAME, "body").text)
        home = chromium.find_element(By.TAG_NAME, "body").text
        assert "employment_services" in home and "enterprise_monthly" not in home, home
    finally:
        chromium.switch_to.default_content()
    screenshot(chromium, "02-home-inside-airflow", "Airflow's UI: its navigation bar down the left (Home, Dags, "
               "Assets, Browse, Admin, then the plugin's entry 报表中心 Report center, highlighted) and, in the rest "
               f"of the window, the report center's home page, logged in as {clerk}: its own links across the top "
               "(报表中心 / 报送文件 / 报送状态 / 报告初稿 / 指标, the user's name at the end), office labour-office, "
               "the one source it may submit (employment_services), and a line on each page.", notes)


def clerk_sees_the_rejection(chromium, stack, workspace, path: Path, source: str, month: str,
                             personal: list[str], notes: list[str]) -> None:
    import re

    from browser import screenshot, waiting
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
    from town_industry.contracts import rules
    from town_industry.contracts.sources import get_source

    chromium.get(f"{stack.base_url}/report-center/submit")
    offered = [o.get_attribute("value") for o in Select(chromium.find_element(By.NAME, "source")).options]
    assert offered == [source], offered  # a clerk is offered its office's sources only
    submit_in_the_form(chromium, path, source, month)
    verdict = waiting(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "p.verdict")).text
    assert "文件被退回：2 处错误" in verdict, verdict
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in chromium.find_elements(By.CSS_SELECTOR, "tr.bad")]
    declared = get_source(source)
    expected = [("2", "person_id_number", "invalid_id_number"), ("3", "service_date", "unparseable_value")]
    assert [(r[1], r[3], r[4].splitlines()[-1]) for r in rows] == [
        (row, declared.label(column), rule) for row, column, rule in expected], rows
    for r, (_, _, rule) in zip(rows, expected):
        assert r[0] == "错误" and r[4].startswith(rules.get(rule).name_zh), r
        assert re.search(r"[\u4e00-\u9fff]", r[6].splitlines()[0]), r  # the message, in Chinese first
    assert re.fullmatch(MASKED_ID, rows[0][5]) and re.search(MASKED_ID, rows[0][2]), rows[0]
    leaked = [p for p in personal if p in chromium.page_source]
    assert leaked == [], f"personal data in clear on the verdict page: {len(leaked)} items"
    assert (workspace.data / source / f"{month}.csv").read_bytes() == (SAMPLE / source / f"{month}.csv").read_bytes()
    screenshot(chromium, "03-submit-rejected", "The verdict of a rejected upload (employment_services "
               f"{month}, the labour clerk's file with two mistakes): a red line 文件被退回：2 处错误 ... 请按下表改正后"
               "重新报送 (nothing stored or loaded), then a table with one red row per error: 类别 错误, 行 (row), "
               "对象 (the record number and the masked ID number), 列 (Chinese header), 规则 (rule in Chinese, "
               "code below), 值 (the cell, ID masked), 问题 (Chinese message, English below). Rows: "
               + " | ".join(" / ".join(c.replace("\n", " ") for c in r) for r in rows), notes)


def clerk_submits_the_fixed_file(chromium, path: Path, source: str, month: str, notes: list[str]) -> str:
    from browser import screenshot, waiting
    from selenium.webdriver.common.by import By

    chromium.find_element(By.CSS_SELECTOR, "a[href$='/submit']").click()
    waiting(chromium).until(lambda d: d.find_element(By.NAME, "file"))
    submit_in_the_form(chromium, path, source, month)
    verdict = waiting(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "p.verdict")).text
    assert "已通过校验并接收" in verdict, verdict
    progress = chromium.find_element(By.CSS_SELECTOR, f"a[href*='/runs/{source}/']")
    screenshot(chromium, "04-submit-accepted", f"The verdict of the corrected file: a green line 已通过校验并接收 "
               f"({verdict.splitlines()[0]}), where it was stored (SHA-256), the replaced version archived, the "
               "ingest run started (DAG and run id) and a link 查看进度 to its progress.", notes)
    run_id = progress.get_attribute("href").rsplit("/", 1)[-1]
    progress.click()
    return run_id


def clerk_follows_the_run(chromium, stack, source: str, run_id: str, notes: list[str]) -> None:
    from browser import screenshot, waiting
    from selenium.webdriver.common.by import By

    state = waiting(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "p b")).text
    screenshot(chromium, "05-run-progress", f"The run's page right after the upload: the month, then "
               f"ingest_{source} / {run_id} in state {state}, each task with its state in the DAG's order (the page "
               "reloads itself every 5 s until the end).", notes)
    final = waiting(chromium, 300).until(
        lambda d: (s := d.find_element(By.CSS_SELECTOR, "p b").text) in FINISHED and s)
    assert final == "success", final
    assert stack.api("GET", f"dags/ingest_{source}/dagRuns/{run_id}")["state"] == "success"
    tasks = [tr.text for tr in chromium.find_elements(By.CSS_SELECTOR, "table tr")][1:]
    assert [t.split()[0] for t in tasks] == ["wait_for_file", "validate_file", "load_month"], tasks
    assert all(t.endswith("success") for t in tasks), tasks
    screenshot(chromium, "06-run-finished", f"The same page once the run ended: success, every task success "
               f"({', '.join(t.split()[0] for t in tasks)}, in the DAG's order).", notes)


def clerk_finds_the_month_on_the_board(chromium, stack, source: str, month: str, notes: list[str]) -> None:
    from browser import screenshot
    from selenium.webdriver.common.by import By
    from town_industry.periods import half_year_of
    from town_industry.report_center.board import STATUS_ZH

    chromium.get(f"{stack.base_url}/report-center/board?period={half_year_of(month)}")
    cell = chromium.find_element(By.CSS_SELECTOR, f"a[href$='/board/{source}/{month}']")
    # the very bytes that were loaded before: recorded as unchanged, nothing to load again
    assert cell.text == STATUS_ZH["unchanged"], cell.text
    months = chromium.find_elements(By.CSS_SELECTOR, "table tr")[1:]
    kinds = {kind: len(chromium.find_elements(By.CSS_SELECTOR, f"td.{kind}")) for kind in ("ok", "bad", "none")}
    warned = sum("警告" in td.text for td in chromium.find_elements(By.CSS_SELECTOR, "td.ok"))
    assert len(months) == 6
    screenshot(chromium, "07-status-board", f"The status board of {half_year_of(month)}: links to the half-years "
               f"before and after, one row per month ({months[0].text.split()[0]} to {months[-1].text.split()[0]}), "
               "one column per source (Chinese title, code below). Cells: "
               f"{kinds['ok']} green (已入库 loaded or 未变化 unchanged, {warned} of them with 警告 n warnings), "
               f"{kinds['bad']} red (已退回 rejected), {kinds['none']} grey (未报送 missing); 逾期 marks a month "
               "delivered or missing after its deadline (the sample's files were copied long after theirs). Each "
               f"status links to the month's findings. {source} {month} shows {cell.text}: the clerk's corrected "
               "file is the one already loaded.", notes)


def writer_downloads_the_draft(chromium, stack, workspace, period: str, notes: list[str]) -> None:
    from browser import downloaded, screenshot, waiting
    from selenium.webdriver.common.by import By
    from town_industry.report.draft import draft_name

    chromium.get(f"{stack.base_url}/report-center/drafts")
    periods = [tr.text.split()[0] for tr in chromium.find_elements(By.CSS_SELECTOR, "table tr")[1:]]
    assert period in periods, periods
    screenshot(chromium, "08-drafts", f"The drafts page: one row per report period, newest first ({', '.join(periods)}),"
               " with when its draft was written, when its KPIs were built, whether it is current (是: written from the "
               "KPIs as built now), and the links 阅读 Markdown (read) and "
               "下载 .docx (download).", notes)
    chromium.find_element(By.CSS_SELECTOR, f"a[href$='/drafts/{period}/docx']").click()
    name = f"{draft_name(period)}.docx"
    got = downloaded(chromium.downloads, name)
    assert got.read_bytes() == (workspace.reports / period / name).read_bytes()
    chromium.get(f"{stack.base_url}/report-center/drafts/{period}")
    text = waiting(chromium).until(lambda d: d.find_element(By.TAG_NAME, "pre")).text
    markdown = (workspace.reports / period / f"{draft_name(period)}.md").read_text(encoding="utf-8")
    assert lines_of(text) == lines_of(markdown)
    chromium.find_element(By.CSS_SELECTOR, "details summary").click()  # unfold the files it was built from
    built_from = chromium.find_elements(By.CSS_SELECTOR, "details tr")[1:]
    assert len(built_from) == 6 * len(INGEST_DAGS), len(built_from)  # every source, every month of the half
    screenshot(chromium, "09-draft-2020H1", f"The {period} draft's page: a link 下载 Word 文档, when it was written "
               "and when its KPIs were built, the files it was built from (unfolded: source, month, file, SHA-256, "
               f"rows; {len(built_from)} of them), and the Markdown draft itself.", notes)


def lines_of(text: str) -> list[str]:
    """The text's lines without the whitespace a browser's rendering may drop."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def analyst_reads_a_kpi(chromium, stack, workspace, code: str, period: str, notes: list[str]) -> None:
    from browser import log_in, screenshot, waiting
    from selenium.webdriver.common.by import By
    from town_industry.deploy import topology

    analyst = topology.ANALYST
    log_in(chromium, stack.base_url, analyst, stack.passwords()[analyst])
    chromium.get(f"{stack.base_url}/report-center/submit")
    body = chromium.find_element(By.TAG_NAME, "body").text
    assert "不能报送文件" in body and not chromium.find_elements(By.NAME, "file"), body
    chromium.get(f"{stack.base_url}/report-center/kpis/{code}")
    waiting(chromium).until(lambda d: d.find_element(By.CSS_SELECTOR, "svg polyline"))
    shown = {tr.find_elements(By.TAG_NAME, "td")[0].text: tr.find_elements(By.TAG_NAME, "td")[1].text
             for tr in chromium.find_elements(By.CSS_SELECTOR, "table tr") if tr.find_elements(By.TAG_NAME, "td")}
    (value,), = published(workspace, "SELECT value FROM mart.half_year_kpis WHERE kpi_code = ? AND period = ?",
                          [code, period])
    assert shown[period] == f"{value:.2f}", (shown.get(period), value)
    screenshot(chromium, "10-kpi", f"A KPI's page, as the analyst (role viewer, who may read but not submit): "
               f"{code}, its Chinese and English names and unit, its definition, SQL file and sources, the SQL "
               f"(folded), a table by report period ({period}: {shown[period]}; 计数对象 what was counted, — for a "
               "rate), then by month: a line chart of the monthly values (value axis with round ticks and the unit, "
               "the month axis marked at each January; months without a value, the first year of a growth rate, "
               "are a gap) and their table.", notes)
