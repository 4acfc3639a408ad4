"""Integration: real Airflow DAG runs over real files into a real DuckDB file.

Each test gets its own DATA_DIR and WAREHOUSE (see ``workspace``) and drives the
same code path as ``make run`` (``run_months.run``: DagBag + ``dag.test`` per month).
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from conftest import (ROOT, SAMPLE, copy_sample, fingerprint, meets, month_outcomes, read_csv_rows, seed_targets,
                      write_csv_rows)
from town_industry import settings
from town_industry.cli.run import run

SOURCE = "enterprise_monthly"


def run_months(first, last=None):
    lines = []
    ok = run(first, last or first, echo=lines.append, sources=[SOURCE], build_kpis=False)
    return ok, lines


def reason_lines(lines: list[str], month: str, source: str) -> list[str]:
    """The lines under ``month``'s line that give ``source``'s reason (indented, named by the source)."""
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{month}  "))
    found = []
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        if line.strip().startswith(f"{source}: "):
            found.append(line.strip().removeprefix(f"{source}: "))
    return found


def loads():
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    try:
        return con.execute("SELECT month, status, rows, error_count, warning_count, error_report "
                           "FROM meta.file_loads ORDER BY recorded_at").fetchall()
    finally:
        con.close()


def query(sql, params=None):
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def test_sample_year_loads_and_matches_seed_targets(sample_pipeline, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(sample_pipeline.warehouse))
    months = month_outcomes(sample_pipeline.lines, SOURCE)
    assert len(months) == 24 and all(o.startswith("loaded") for o in months.values()), sample_pipeline.lines
    assert query("SELECT count(*) FROM fact_enterprise_month")[0][0] == query(
        "SELECT count(*) FROM staging.enterprise_monthly")[0][0] == 37 * 20 + 36 * 4

    # 2020H1 by the KPI definitions (docs/kpi_catalogue.md), in plain SQL over the fact table, against
    # the seed targets (tools/sample_data/seed_targets.yml).
    targets, monthly_targets = seed_targets()["half_year"], seed_targets()["monthly"]
    h1 = "month_key BETWEEN 202001 AND 202006 AND is_above_scale"
    count = query("SELECT count(DISTINCT uscc) FROM fact_enterprise_month WHERE month_key = 202006 AND is_above_scale")
    assert meets(targets["above_scale_enterprises"], count[0][0])
    sales, output, high_tech, rd = query(
        f"SELECT sum(taxable_sales), sum(gross_output), sum(high_tech_output), sum(rd_expense) "
        f"FROM fact_enterprise_month WHERE {h1}")[0]
    assert meets(targets["taxable_sales"], sales) and meets(targets["gross_output"], output)
    assert meets(targets["high_tech_output"], high_tech) and meets(targets["rd_expense"], rd)
    assert meets(monthly_targets["2020-04"]["taxable_sales"], query(
        "SELECT sum(taxable_sales) FROM fact_enterprise_month WHERE month_key = 202004 AND is_above_scale")[0][0])
    rd_active = query(f"SELECT count(*) FROM (SELECT uscc FROM fact_enterprise_month WHERE {h1} "
                      "GROUP BY uscc HAVING sum(rd_expense) > 0)")[0][0]
    assert meets(targets["rd_active_enterprises"], rd_active)

    def yoy(measure, where):
        return query(f"""
            SELECT (sum(now.{measure}) / sum(before.{measure}) - 1) * 100
            FROM fact_enterprise_month AS now
            JOIN fact_enterprise_month AS before
              ON before.uscc = now.uscc AND before.month_key = now.month_key - 100
            WHERE now.is_above_scale AND {where}""")[0][0]

    in_h1 = "now.month_key BETWEEN 202001 AND 202006"
    assert meets(targets["gross_output_yoy_pct"], yoy("gross_output", in_h1))
    assert meets(targets["high_tech_output_yoy_pct"], yoy("high_tech_output", in_h1))
    for month, kpis in monthly_targets.items():
        value = yoy("taxable_sales", f"now.month_key = {month.replace('-', '')}")
        assert meets(kpis["taxable_sales_yoy_pct"], value), (month, value)

    # SCD2: the renamed enterprise has two versions, the later one current from 2020-05.
    versions = query("SELECT enterprise_name, valid_from_month_key, valid_to_month_key, is_current "
                     "FROM dim_enterprise WHERE uscc = '91320612622606138C' ORDER BY version")
    assert versions[-2][2] == 202004 and versions[-1][1:] == (202005, 999912, True)
    # history warnings were recorded against the loaded months
    rules = {r[0] for r in query("SELECT DISTINCT rule FROM meta.dq_issues WHERE severity = 'warning'")}
    assert {"taxable_sales_swing_yoy", "above_scale_enterprise_missing", "extra_column_ignored"} <= rules


def test_loading_twice_changes_nothing(workspace, ingest_dags):
    copy_sample(workspace, SOURCE, "2020-05", "2020-06")
    assert run_months("2020-05", "2020-06")[0]
    before = fingerprint(settings.warehouse_path())
    ok, lines = run_months("2020-05", "2020-06")
    assert ok and set(month_outcomes(lines, SOURCE).values()) == {"unchanged (same file already loaded)"}
    assert fingerprint(settings.warehouse_path()) == before
    assert [r[1] for r in loads()] == ["loaded", "loaded", "unchanged", "unchanged"]


def test_revised_file_replaces_its_month(workspace, ingest_dags):
    copy_sample(workspace, SOURCE, "2020-01")
    assert run_months("2020-01")[0]
    original = fingerprint(settings.warehouse_path())
    path = workspace / SOURCE / "2020-01.csv"
    rows = read_csv_rows(path)
    rows = rows[:-1]  # the revision drops the last enterprise
    rows[1][6] = "999.5"  # and corrects one taxable_sales figure (万元)
    write_csv_rows(path, rows)
    assert run_months("2020-01")[0]
    assert query("SELECT count(*) FROM fact_enterprise_month")[0][0] == len(rows) - 1
    assert query("SELECT taxable_sales FROM fact_enterprise_month WHERE uscc = ?", [rows[1][1]])[0][0] == 999.5
    shutil.copy(SAMPLE / SOURCE / "2020-01.csv", path)  # the original again is a revision back
    assert run_months("2020-01")[0]
    assert fingerprint(settings.warehouse_path()) == original


def test_load_order_does_not_matter(workspace, ingest_dags, tmp_path, monkeypatch):
    months = ["2019-04", "2019-05", "2020-04", "2020-05"]
    copy_sample(workspace, SOURCE, *months)
    for first, last in (("2019-04", "2019-05"), ("2020-04", "2020-05")):  # oldest first
        assert run_months(first, last)[0]
    in_order = fingerprint(settings.warehouse_path())
    monkeypatch.setenv("WAREHOUSE", str(tmp_path / "other" / "warehouse.duckdb"))
    for first, last in (("2020-04", "2020-05"), ("2019-04", "2019-05")):  # 2019 backfilled after 2020
        assert run_months(first, last)[0]
    assert fingerprint(settings.warehouse_path()) == in_order


def test_missing_file_fails_its_month_and_the_others_still_run(workspace, ingest_dags):
    copy_sample(workspace, SOURCE, "2020-01", "2020-03")
    ok, lines = run_months("2020-01", "2020-03")
    assert not ok
    outcomes = month_outcomes(lines, SOURCE)
    assert outcomes["2020-01"].startswith("loaded") and outcomes["2020-03"].startswith("loaded")
    assert outcomes["2020-02"] == "FAILED: no file delivered"
    expected, log = reason_lines(lines, "2020-02", SOURCE)
    assert expected == f"expected {workspace / SOURCE / '2020-02.csv'} | {workspace / SOURCE / '2020-02.xlsx'}"
    assert "FileNotDelivered" in Path(log.removeprefix("log: ")).read_text(encoding="utf-8")  # the traceback


def test_a_rejected_month_says_its_first_error_and_report(workspace, ingest_dags):
    copy_sample(workspace, SOURCE, "2020-01")
    path = workspace / SOURCE / "2020-01.csv"
    rows = read_csv_rows(path)
    rows[2][5] = "-3"  # gross_output of row 3
    write_csv_rows(path, rows)
    ok, lines = run_months("2020-01")
    *_, errors, _, report = loads()[-1]
    assert not ok and month_outcomes(lines, SOURCE) == {"2020-01": f"REJECTED, {errors} errors"}
    first, log = reason_lines(lines, "2020-01", SOURCE)
    assert first == f"first error: row 3, gross_output: must not be negative (full report: {report})"
    assert not any("Traceback" in line for line in lines) and log.startswith("log: ")


def test_a_configuration_error_fails_its_task_at_once_and_says_why(workspace, ingest_dags, tmp_path, monkeypatch):
    """A model's SQL naming a column staging lacks fails load_month on its first try (it has retries for
    faults), and the month's line says why: the declaration's file, the key, DuckDB's complaint."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    sql = tmp_path / "sql"
    shutil.copytree(settings.SQL_DIR, sql)
    fact = sql / "facts" / "fact_enterprise_month.sql"
    fact.write_text(fact.read_text(encoding="utf-8").replace("    rd_expense,", "    rd_expenses,"), encoding="utf-8")
    monkeypatch.setattr(settings, "SQL_DIR", sql)
    copy_sample(workspace, SOURCE, "2020-01")
    ok, lines = run_months("2020-01")
    assert not ok and month_outcomes(lines, SOURCE) == {"2020-01": "FAILED in load_month"}
    reason, _ = reason_lines(lines, "2020-01", SOURCE)
    assert reason.startswith("ConfigurationError: configuration error (not retried): include/sources/"
                             "enterprise_monthly.yml: models / history_checks: their SQL does not run on the "
                             "warehouse: BinderException"), reason
    with create_session() as session:
        load_try = session.query(TaskInstance).filter(  # this test's run: the latest
            TaskInstance.dag_id == f"ingest_{SOURCE}", TaskInstance.task_id == "load_month"
        ).order_by(TaskInstance.start_date.desc()).first()
    assert (str(load_try.state), load_try.try_number, load_try.max_tries) == ("failed", 1, 2)
    assert query("SELECT count(*) FROM staging.enterprise_monthly")[0][0] == 0  # rolled back


def with_declarations(tmp_path, monkeypatch, **extra: str) -> None:
    """The shipped declarations, each source named in ``extra`` with that text added to its declaration."""
    sources = tmp_path / "sources"
    shutil.copytree(settings.SOURCES_DIR, sources)
    for name, text in extra.items():
        path = sources / f"{name}.yml"
        path.write_text(path.read_text(encoding="utf-8") + text + "\n", encoding="utf-8")
    monkeypatch.setattr(settings, "SOURCES_DIR", sources)


def test_an_optional_source_without_a_file_is_skipped_and_a_switched_off_one_not_run(workspace, tmp_path,
                                                                                       monkeypatch):
    from town_industry.orchestration.alerts import alerts_path

    with_declarations(tmp_path, monkeypatch, enterprise_monthly="optional: true",
                      investment_monthly="enabled: false")
    (workspace / "employment_services").mkdir()
    copy_sample(workspace, "employment_services", "2020-01")
    lines = []
    assert run("2020-01", "2020-01", echo=lines.append, build_kpis=False), lines
    assert lines[0].startswith("2020-01  ok ")
    assert month_outcomes(lines, SOURCE) == {"2020-01": "no file (optional source)"}
    assert month_outcomes(lines, "employment_services")["2020-01"].startswith("loaded")
    assert month_outcomes(lines, "investment_monthly") == {}
    assert not alerts_path().exists()  # a skipped month is no failure: nobody is alerted
    with pytest.raises(SystemExit, match=r"switched-off .*\['investment_monthly'\]"):
        run("2020-01", "2020-01", echo=lines.append, sources=["investment_monthly"], build_kpis=False)


def test_a_broken_declaration_is_reported_first_and_last_and_the_others_run(workspace, tmp_path, monkeypatch):
    with_declarations(tmp_path, monkeypatch, investment_monthly="colour: blue")
    copy_sample(workspace, SOURCE, "2020-01")
    lines = []
    assert not run("2020-01", "2020-01", echo=lines.append, sources=[SOURCE, "investment_monthly"], build_kpis=False)
    declaration = tmp_path / "sources" / "investment_monthly.yml"
    assert lines[:2] == ["NOT RUN, their declaration or suite is wrong (fix it, then make suites):",
                         f"  {declaration}: unknown key 'colour' (allowed: name, title, description, owner, key, subject, "
                         "month_column, arrival_deadline_days, file_extensions, optional, enabled, limits, columns, "
                         "checks, history_checks, models)"]
    assert month_outcomes(lines, SOURCE)["2020-01"].startswith("loaded")
    assert month_outcomes(lines, "investment_monthly") == {}
    assert lines[-1] == f"NOT RUN: {declaration} (their declaration or suite is wrong: see the top)"


def test_after_the_deadline_an_optional_source_skips_and_a_required_one_fails(tmp_path, monkeypatch):
    from airflow.sdk.exceptions import AirflowSkipException

    from town_industry.orchestration.ingest_tasks import FileNotDelivered, file_has_arrived

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    with_declarations(tmp_path, monkeypatch, investment_monthly="optional: true")
    june, august = datetime(2020, 6, 1, tzinfo=timezone.utc), datetime(2020, 8, 1, tzinfo=timezone.utc)
    assert file_has_arrived("investment_monthly", june, now=datetime(2020, 7, 2, tzinfo=timezone.utc)) is False
    with pytest.raises(AirflowSkipException, match="investment_monthly 2020-06: no file by the deadline .* optional"):
        file_has_arrived("investment_monthly", june, now=august)
    with pytest.raises(FileNotDelivered):
        file_has_arrived(SOURCE, june, now=august)


@pytest.mark.integration  # `make run` in a subprocess: DAG runs the in-process guard cannot see
def test_make_run_over_a_temporary_data_dir(tmp_path):
    data = tmp_path / "data"
    copy_sample_dir = data / SOURCE
    copy_sample_dir.mkdir(parents=True)
    for month in ("2020-02", "2020-03"):
        shutil.copy(SAMPLE / SOURCE / f"{month}.csv", copy_sample_dir)
    warehouse = tmp_path / "wh.duckdb"
    done = subprocess.run(["make", "--no-print-directory", "run", f"DATA_DIR={data}", f"WAREHOUSE={warehouse}",
                           "FROM=2020-02", "TO=2020-04", f"SOURCES={SOURCE}"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = done.stdout
    assert done.returncode != 0, out  # 2020-04 has no file
    outcomes = month_outcomes(out.splitlines(), SOURCE)
    assert outcomes["2020-02"].startswith("loaded") and outcomes["2020-03"].startswith("loaded"), out
    assert "2020-04  FAILED" in out and outcomes["2020-04"] == "FAILED: no file delivered", out
    # the terminal gets the outcomes and reasons; the tracebacks are in the run's log
    assert "Traceback" not in out + done.stderr, out + done.stderr
    log = Path(reason_lines(out.splitlines(), "2020-04", SOURCE)[-1].removeprefix("log: "))
    assert "Traceback" in log.read_text(encoding="utf-8")
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM fact_enterprise_month").fetchone()[0] == 74
