"""Integration: real Airflow DAG runs over real files into a real DuckDB file.

Each test gets its own DATA_DIR and WAREHOUSE (see ``workspace``) and drives the
same code path as ``make run`` (``run_months.run``: DagBag + ``dag.test`` per month).
"""
from __future__ import annotations

import shutil
import subprocess

import duckdb
import pytest

from conftest import ROOT, SAMPLE, copy_sample, fingerprint, meets, read_csv_rows, seed_targets, write_csv_rows
from town_industry import settings
from town_industry.cli.run import run

SOURCE = "enterprise_monthly"


def run_months(first, last=None):
    lines = []
    ok = run(first, last or first, echo=lines.append, sources=[SOURCE], build_kpis=False)
    return ok, lines


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
    months = sample_pipeline.lines[:24]
    assert all(f"{SOURCE}: loaded" in line for line in months), months
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
    assert ok and all("unchanged" in line for line in lines)
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
    assert "loaded" in lines[0] and "no file delivered" in lines[1] and "loaded" in lines[2]


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
    assert "2020-02  ok" in out and "2020-03  ok" in out and "2020-04  FAILED" in out, out
    con = duckdb.connect(str(warehouse), read_only=True)
    assert con.execute("SELECT count(*) FROM fact_enterprise_month").fetchone()[0] == 74
