"""make bench (tools/bench): its synthetic files, its history warehouses, and a smoke run at tiny sizes.

The benchmark itself is not part of make test (it takes about 20 minutes); the smoke run goes through
every section, Airflow included, at a few hundred rows and checks the JSON holds every figure.
"""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import duckdb
import pytest

from conftest import ROOT


@pytest.fixture
def bench_dir(tmp_path, monkeypatch):
    """The benchmark's caches and results in a temporary folder, never build/bench/."""
    monkeypatch.setenv("BENCH_DIR", str(tmp_path / "bench"))
    return tmp_path / "bench"


def test_synthetic_files_are_spelled_as_clerks_deliver_them(bench_dir):
    from town_industry.contracts.codes import is_valid_uscc
    from town_industry.contracts.industry import is_valid_industry_class

    from tools.bench.synthetic import headers, month_file

    path = month_file(500, "2021-01", seed=1)
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == headers() and rows[0][0] == "统计年月"
    data = rows[1:]
    assert len(data) == 500
    assert {r[0] for r in data} == {"2021年1月"}
    assert {r[4] for r in data} == {"是", "否"}
    assert all(is_valid_uscc(r[1]) for r in data) and len({r[1] for r in data}) == 500
    assert all(is_valid_industry_class(r[3]) for r in data)
    amounts = [cell for r in data for cell in r[5:9]]
    assert any("," in a for a in amounts) and "—" in amounts and "" in amounts
    assert month_file(500, "2021-01", seed=1) == path  # cached


def test_months_differ_as_a_register_does(bench_dir):
    """The same enterprises month after month: a few missing, a few renamed or reclassified."""
    from tools.bench.synthetic import month_file

    def month(m):
        rows = list(csv.reader(month_file(2000, m, seed=1).read_text(encoding="utf-8").splitlines()))[1:]
        return {r[1]: r for r in rows}

    before, after = month("2020-12"), month("2021-01")
    shared = before.keys() & after.keys()
    assert 0.95 < len(shared) / len(before) < 0.995
    renamed = sum(before[u][2] != after[u][2] for u in shared) / len(shared)
    recoded = sum(before[u][3] != after[u][3] for u in shared) / len(shared)
    assert 0.002 < renamed < 0.05 and 0.002 < recoded < 0.05


def test_history_rows_are_what_a_load_of_the_file_stages(bench_dir, tmp_path, monkeypatch):
    """A history month built in SQL equals the same month's file loaded through validate + load."""
    from town_industry.orchestration.ingest_tasks import load, validate

    from tools.bench.history import prepared_warehouse
    from tools.bench.synthetic import month_file

    prepared = prepared_warehouse(300, 2, "2021-01", seed=1)  # holds 2020-11 and 2020-12
    data = tmp_path / "data" / "enterprise_monthly"
    data.mkdir(parents=True)
    (data / "2020-12.csv").symlink_to(month_file(300, "2020-12", seed=1))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WAREHOUSE", str(tmp_path / "wh" / "warehouse.duckdb"))
    assert load(validate("enterprise_monthly", "2020-12"))["status"] == "loaded"

    columns = ("stat_month, uscc, enterprise_name, industry_code, is_above_scale, gross_output, taxable_sales, "
               "high_tech_output, rd_expense, employees, _row")
    con = duckdb.connect(str(tmp_path / "wh" / "warehouse.duckdb"), read_only=True)
    con.execute(f"ATTACH '{prepared}' AS history (READ_ONLY)")
    loaded = f"SELECT {columns} FROM staging.enterprise_monthly"
    built = f"SELECT {columns} FROM history.staging.enterprise_monthly WHERE stat_month = DATE '2020-12-01'"
    assert con.execute(f"SELECT count(*) FROM ({loaded})").fetchone()[0] == 300
    assert con.execute(f"SELECT count(*) FROM ({loaded} EXCEPT ALL {built})").fetchone()[0] == 0
    assert con.execute(f"SELECT count(*) FROM ({built} EXCEPT ALL {loaded})").fetchone()[0] == 0
    assert con.execute("SELECT list(month ORDER BY month) FROM history.meta.current_files").fetchone()[0] == [
        "2020-11", "2020-12"]
    assert con.execute("SELECT count(*) FROM history.fact_enterprise_month").fetchone()[0] == 600
    assert con.execute("SELECT count(DISTINCT uscc) FROM history.dim_enterprise").fetchone()[0] > 300


@pytest.mark.integration
def test_make_bench_end_to_end_at_tiny_sizes(bench_dir):
    """Every section at a few hundred rows (sections side by side: only the figures' presence and sanity
    are checked, not their size); a bad row on a file's last line is found by the right rule."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--sizes", "200,400", "--histories", "0,2", "--runs", "1",
         "--xlsx-rows", "300", "--peer-sizes", "200", "--error-rows", "400", "--kpi-enterprises", "300",
         "--kpi-months", "12", "--airflow-range", "2019-01:2019-01", "--airflow-sources", "enterprise_monthly",
         "--jobs", "2"],
        cwd=ROOT, env={**os.environ, "BENCH_DIR": str(bench_dir)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Monthly ingest" in done.stdout and "Targets" in done.stdout
    results = json.loads((bench_dir / "latest.json").read_text(encoding="utf-8"))

    ingest = results["ingest"]["ingest"]
    assert sorted((r["format"], r["rows"], r["history_months"]) for r in ingest) == [
        ("csv", 200, 0), ("csv", 200, 2), ("csv", 400, 0), ("csv", 400, 2), ("xlsx", 300, 0)]
    for r in ingest:
        assert r["status"] == "loaded" and r["errors"] == 0
        for key in ("work_s", "validate_s", "load_s", "peak_rss_mb", "per_row_us", "floor_s", "x_floor", "peer_s",
                    "peer_speedup"):
            assert r[key] > 0, (key, r)
        assert r["work_s"] >= r["validate_s"] and len(r["runs"]) == 1
        stages = [r[k] for k in ("read_s", "parse_s", "suite_s", "landing_s")]  # validate's parts, each timed
        assert all(s > 0 for s in stages) and sum(stages) <= r["validate_s"], r
    assert {f["rows"] for f in results["ingest"]["floor"]} == {200, 300, 400}
    assert all(f["work_s"] > 0 and f["peak_rss_mb"] > 0 for f in results["ingest"]["floor"])
    (peer,) = results["ingest"]["peer"]
    assert peer["rows"] == 200 and peer["success"] and peer["unexpected"] == 0
    assert peer["read_s"] > 0 and peer["validate_s"] > 0 and peer["to_sql_s"] > 0 and peer["x_floor"] > 0

    growth = results["growth"]
    assert set(growth["per_row_us_by_size"]) == {"200", "400"} and growth["size_growth"] > 0
    assert set(growth["seconds_by_history"]["400"]) == {"0", "2"} and growth["history_growth"]["400"] > 0

    kpi = results["kpi_mart"]
    assert kpi["fact_rows"] == 300 * 12 and kpi["half_years"] == 2 and kpi["months"] == 12
    assert kpi["all_periods_s"] > 0 and kpi["one_half_year_s"] > 0 and kpi["rebuilt"] == ["2020H2"]

    airflow = results["airflow"]
    assert airflow["airflow_run"]["work_s"] > 0 and airflow["direct_run"]["work_s"] > 0 and airflow["ratio"] > 0
    assert airflow["direct_run"]["loads"] == 1 and 0 < airflow["startup"]["first_line_s"] < airflow["airflow_run"]["work_s"]

    errors = {case["case"]: case for case in results["errors"]["cases"]}
    at_end = errors["one_bad_row_at_end"]
    assert at_end["status"] == "rejected" and at_end["injected"] == [{"rule": "invalid_uscc", "row": 401}]
    assert at_end["missing"] == [] and at_end["all_found"]
    assert "row 401" in at_end["message"] and "invalid_uscc" in at_end["message"]
    every = errors["every_rule"]
    assert len(every["injected"]) == 8 and every["missing"] == [] and max(i["row"] for i in every["injected"]) == 401
    many = errors["every_10th_row"]  # 40 bad rows at 400: all found and counted, the report lists them
    assert many["injected_count"] == many["error_findings"] == 40 and many["missing_count"] == 0
    assert many["last_injected"] == {"rule": "negative_amount", "row": 401} and many["report_lines"] > 40
    assert results["errors"]["all_found"]

    assert results["targets"] and all({"target", "value", "limit", "met"} <= set(t) for t in results["targets"])
