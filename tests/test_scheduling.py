"""What the real scheduler relies on, tested without one: which month a run processes, what switching a
DAG on schedules, readers that never block a load, and warnings that do not depend on load order.
(The same behaviours under the real scheduler: tests/test_scheduler_e2e.py.)"""
from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timezone

import duckdb
import pytest

from conftest import copy_sample, run_source
from town_industry import db, settings
from town_industry.cli.run import run
from town_industry.contracts.kpis import catalogue
from town_industry.orchestration.timetable import DataMonthTimetable
from town_industry.periods import delivery_deadline, months_between, run_month

UTC = timezone.utc


def current_months(source: str) -> list[str]:
    with db.read() as con:
        return [m for (m,) in con.execute("SELECT month FROM meta.current_files WHERE source = ? ORDER BY 1",
                                          [source]).fetchall()]


# ---- defect 2: a manual run processes the month of its logical date ---------------------------

def test_a_manual_run_processes_the_month_of_its_logical_date(workspace, ingest_dags):
    """Airflow 3 gives a manual run the data interval of the trigger time (here: dag.test infers June
    from a July logical date); the run must still process July."""
    copy_sample(workspace, "enterprise_monthly", "2020-07")
    dag = next(d for d in ingest_dags if d.dag_id == "ingest_enterprise_monthly")
    dag_run = dag.test(logical_date=datetime(2020, 7, 15, 9, 30, tzinfo=UTC))
    assert dag_run.state == "success"
    assert dag_run.data_interval_start.month == 6  # what Airflow made of it
    assert current_months("enterprise_monthly") == ["2020-07"]


def test_run_month_prefers_the_logical_date():
    assert run_month(datetime(2020, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)) == "2020-07"
    assert run_month(None, datetime(2026, 10, 1, tzinfo=UTC)) == "2026-10"  # triggered without a date
    with pytest.raises(ValueError):
        run_month(None, None)


# ---- defect 3: switching a DAG on never starts a run that can only fail -----------------------

def test_switching_on_schedules_no_month_whose_deadline_has_passed(ingest_dags):
    from airflow.timetables.base import TimeRestriction

    now = datetime.now(UTC)
    for dag in ingest_dags:
        timetable = dag.timetable
        info = timetable.next_dagrun_info(last_automated_data_interval=None,
                                          restriction=TimeRestriction(dag.start_date, None, False))
        month = info.data_interval.start.strftime("%Y-%m")
        assert delivery_deadline(month, timetable.deadline_days) > now, (dag.dag_id, month)


def test_the_first_scheduled_month_is_the_last_complete_one_while_its_file_may_still_come():
    timetable = DataMonthTimetable(deadline_days=20)
    assert timetable.earliest_month_to_schedule(datetime(2026, 11, 10, tzinfo=UTC)).month == 10
    assert timetable.earliest_month_to_schedule(datetime(2026, 11, 21, 0, 0, tzinfo=UTC)).month == 11
    assert timetable.earliest_month_to_schedule(datetime(2026, 11, 27, tzinfo=UTC)).month == 11


def test_the_timetable_survives_the_schedulers_serialisation(ingest_dags):
    """The scheduler reads DAGs serialised; the timetable is registered by the project's plugin."""
    from airflow.serialization.serialized_objects import DagSerialization

    dag = ingest_dags[0]
    restored = DagSerialization.deserialize_dag(DagSerialization.serialize_dag(dag))
    assert type(restored.timetable).__name__ == "DataMonthTimetable"
    assert restored.timetable.deadline_days == dag.timetable.deadline_days


# ---- defect 4: readers never block the writer, and a writer waits for a lock -----------------

HOLD = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("SELECT count(*) FROM meta.file_loads").fetchone()[0], flush=True)
    time.sleep(float(sys.argv[2]))
""")


def hold_open(path, seconds: float) -> subprocess.Popen:
    """Another process with a read-only connection on ``path`` for ``seconds`` (started once it is open)."""
    reader = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert reader.stdout.readline().strip().isdigit()  # the connection is open
    return reader


def test_an_analyst_holding_the_published_copy_never_fails_a_load(workspace):
    copy_sample(workspace, "enterprise_monthly", "2020-01", "2020-02")
    assert run_source("enterprise_monthly", "2020-01")
    reader = hold_open(settings.published_path(), 120)
    try:
        assert run_source("enterprise_monthly", "2020-02")
        assert reader.poll() is None  # still reading the copy it opened
        assert current_months("enterprise_monthly") == ["2020-01", "2020-02"]  # new readers see the load
    finally:
        reader.kill()


def test_a_writer_that_meets_a_lock_waits_with_a_logged_back_off(workspace, caplog):
    """Someone opened the writer's own file (not the published copy): the load waits, then succeeds."""
    copy_sample(workspace, "enterprise_monthly", "2020-01")
    assert run_source("enterprise_monthly", "2020-01")
    reader = hold_open(settings.warehouse_path(), 3)
    try:
        with caplog.at_level("WARNING", logger="town_industry.db"):
            with db.connect() as con:
                assert con.execute("SELECT count(*) FROM meta.file_loads").fetchone()[0] == 1
        assert reader.poll() is not None  # it only got in once the other process let go
        assert any("is locked by another process; retrying" in r.getMessage() for r in caplog.records)
    finally:
        reader.kill()


def test_a_writer_gives_up_after_the_bounded_wait(workspace, monkeypatch):
    copy_sample(workspace, "enterprise_monthly", "2020-01")
    assert run_source("enterprise_monthly", "2020-01")
    monkeypatch.setenv("WAREHOUSE_LOCK_TIMEOUT", "1")
    reader = hold_open(settings.warehouse_path(), 30)
    try:
        with pytest.raises(duckdb.IOException, match="lock"):
            with db.connect():
                pass
    finally:
        reader.kill()


# ---- defect 5: warnings that compare months do not depend on the order months load in -------

def findings(path, sources):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(con.execute(
            "SELECT source, month, file_sha256, severity, rule, row_number, column_name, value, message "
            "FROM meta.dq_issues WHERE list_contains(?, source)", [sources]).fetchall(), key=repr)
    finally:
        con.close()


def test_months_loaded_newest_first_give_the_findings_of_a_load_in_calendar_order(sample_pipeline, workspace):
    sources = ["enterprise_monthly", "investment_monthly"]
    for source in sources:
        (workspace / source).mkdir(exist_ok=True)
        copy_sample(workspace, source, *months_between("2019-01", "2020-12"))
    for month in reversed(months_between("2019-01", "2020-12")):
        assert run(month, month, echo=lambda _: None, sources=sources, build_kpis=False)
    expected = findings(sample_pipeline.warehouse, sources)
    assert any(f[4] == "taxable_sales_swing_yoy" for f in expected)  # the comparison has something to compare
    assert findings(settings.warehouse_path(), sources) == expected


def test_bi_tools_read_the_published_copy_through_sqlalchemy_while_a_writer_holds_the_warehouse(sample_pipeline):
    """The README's URL for BI tools (duckdb-engine), used while the loads' own file is open for writing."""
    import sqlalchemy

    url = f"duckdb:///{settings.published_path(sample_pipeline.warehouse)}?access_mode=read_only"
    writer = duckdb.connect(str(sample_pipeline.warehouse))  # a load in progress
    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect() as con:
            rows = con.execute(sqlalchemy.text(
                "SELECT count(*) FROM mart.half_year_kpis WHERE period = '2020H1'")).scalar_one()
        engine.dispose()
    finally:
        writer.close()
    assert rows == len(catalogue().kpis)  # one row per KPI of the catalogue


# ---- defect 8: the KPI DAG waits for the loads to settle; make run does not wait --------------

@pytest.mark.integration
def test_the_kpi_dag_waits_for_loads_unless_told_not_to():
    from town_industry.orchestration import kpi_tasks
    from town_industry.cli.run import KPI_DAG, dag_bag

    dag = dag_bag().dags[KPI_DAG]
    assert dag.params["wait_for_loads"] is True  # scheduled (asset-triggered) runs wait
    assert dag.get_task("wait_for_loads").mode == "reschedule"  # and hold no worker slot while waiting
    # make run builds after its own loads: no question to Airflow's metadata at all (ti=None is not used)
    assert kpi_tasks.loads_settled(ti=None, params={"wait_for_loads": False}) is True
