"""The KPI catalogue is the one definition of every KPI: it covers the customer's KPI list exactly, the
docs (tests/test_docs.py) and the mart are generated from it, and the KPI DAG is scheduled on the loads
of every source a KPI reads."""
from __future__ import annotations

import pytest

from town_industry.contracts import kpis
from town_industry.settings import WRITER_POOL

# The customer's KPI list: every kpi_code with its unit, and the monthly ones
SPEC_UNITS = {
    "above_scale_enterprises": "家", "taxable_sales": "万元", "taxable_sales_yoy_pct": "%", "gross_output": "万元",
    "gross_output_yoy_pct": "%", "high_tech_output": "万元", "high_tech_output_yoy_pct": "%",
    "high_tech_output_share_pct": "%", "rd_active_enterprises": "家", "rd_expense": "万元",
    "sales_turnaround_month": "month number", "sales_positive_streak_months": "月",
    "fixed_asset_investment": "万元", "fixed_asset_investment_yoy_pct": "%", "industrial_investment": "万元",
    "high_tech_manufacturing_investment": "万元", "high_tech_manufacturing_investment_share_pct": "%",
    "signed_major_projects": "个", "signed_major_projects_10bn": "个", "signed_major_services_projects": "个",
    "manufacturing_projects_started": "个", "projects_completed": "个", "tech_upgrade_projects_completed": "个",
    "started_projects_land_mu": "亩", "employment_certificates": "本", "flexible_employment_subsidy_persons": "人",
    "flexible_employment_subsidy_amount": "万元", "guaranteed_loans": "笔", "guaranteed_loan_amount": "万元",
    "startup_subsidy_persons": "人", "startup_subsidy_amount": "万元", "job_fairs": "场", "job_fair_positions": "个",
}
SPEC_MONTHLY = {"taxable_sales", "taxable_sales_yoy_pct", "gross_output", "gross_output_yoy_pct",
                "fixed_asset_investment"}


def test_catalogue_covers_the_customers_kpis():
    # Every KPI of the customer's list, in its unit; sources added later bring KPIs of their own.
    cat = kpis.catalogue()
    half_year = {k.code: k.unit for k in cat.for_grain("half_year")}
    assert {code: half_year.get(code) for code in SPEC_UNITS} == SPEC_UNITS
    assert SPEC_MONTHLY <= {k.code for k in cat.for_grain("month")}
    assert set(cat.core_sources) <= set(cat.input_sources)


def test_every_kpi_sql_is_its_own_file_with_the_period_parameters():
    for kpi in kpis.catalogue().kpis:
        sql = kpi.sql_text
        assert kpi.sql == f"marts/kpis/{kpi.code}.sql", kpi.code
        assert "$last_month_key" in sql, kpi.code
        assert sql.lstrip().startswith(f"-- {kpi.code}"), f"sql/{kpi.sql} should open with a comment naming it"


def test_a_bad_declaration_is_refused(tmp_path):
    good = kpis.CATALOGUE.read_text(encoding="utf-8")
    bad = tmp_path / "kpis.yml"
    bad.write_text(good.replace("grains: [half_year, month]\n    sql: marts/kpis/taxable_sales.sql",
                                "grains: [quarter]\n    sql: marts/kpis/taxable_sales.sql"), encoding="utf-8")
    with pytest.raises(ValueError, match="taxable_sales: grains"):
        kpis.catalogue(bad)
    bad.write_text(good.replace("marts/kpis/job_fairs.sql", "marts/kpis/no_such.sql"), encoding="utf-8")
    with pytest.raises(ValueError, match="no SQL file sql/marts/kpis/no_such.sql"):
        kpis.catalogue(bad)
    bad.write_text(good.replace("sources: [employment_services]\n    name_zh: 招聘会", "sources: [job_fair_log]\n"
                                "    name_zh: 招聘会", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"KPI job_fairs: sources: no declaration include/sources/<name>.yml "
                                         r"for \['job_fair_log'\]"):
        kpis.catalogue(bad)
    bad.write_text(good.replace("    sources: [employment_services]\n    name_zh: 招聘会", "    name_zh: 招聘会", 1),
                   encoding="utf-8")
    with pytest.raises(ValueError, match="KPI job_fairs: sources: name the source"):
        kpis.catalogue(bad)
    bad.write_text(good.replace("    precision: 0\n", "    precison: 0\n", 1), encoding="utf-8")
    with pytest.raises(ValueError, match=r"KPI above_scale_enterprises: unknown key\(s\) \['precison'\]"):
        kpis.catalogue(bad)


def test_kpi_dag_runs_on_the_loads_of_every_source_a_kpi_reads(ingest_dags):
    from town_industry.cli.run import KPI_DAG, dag_bag

    dag = dag_bag().dags[KPI_DAG]
    condition = dag.timetable.asset_condition
    assert type(condition).__name__ == "AssetAny"  # any one source's load starts a run
    assets = {a.name for a in condition.objects}
    loads = {o.name for d in ingest_dags for o in d.get_task("load_month").outlets}
    assert assets == {f"warehouse_{s}" for s in kpis.catalogue().input_sources}
    assert {f"warehouse_{s}" for s in kpis.catalogue().core_sources} <= loads
    assert [t.task_id for t in dag.topological_sort()] == ["wait_for_loads", "build_kpis", "draft_reports"]
    assert dag.get_task("build_kpis").upstream_task_ids == {"wait_for_loads"}
    assert [t.task_id for t in dag.tasks if t.pool == WRITER_POOL] == ["build_kpis"]
    assert dag.get_task("draft_reports").retries == 0 and dag.tags and dag.doc_md


def test_a_load_records_the_asset_event_the_kpi_dag_is_scheduled_on(workspace, ingest_dags):
    """In Airflow's metadata DB: the load emits an event of its warehouse asset, and build_kpi_mart is
    registered as scheduled on the assets of the sources its KPIs read (what the scheduler reads to start it)."""
    from datetime import datetime, timezone

    from airflow.models.asset import AssetEvent, AssetModel, DagScheduleAssetReference
    from airflow.utils.session import create_session

    from conftest import copy_sample, run_source
    from town_industry.cli.run import KPI_DAG, dag_bag

    started = datetime.now(timezone.utc)
    copy_sample(workspace, "enterprise_monthly", "2020-05")
    assert run_source("enterprise_monthly", "2020-05")
    # one run of the KPI DAG (nothing is complete: it builds nothing) also registers it in the DB
    assert dag_bag().dags[KPI_DAG].test().state == "success"
    with create_session() as session:
        events = (session.query(AssetModel.name, AssetEvent.source_dag_id, AssetEvent.source_task_id)
                  .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
                  .filter(AssetEvent.timestamp >= started).all())
        scheduled_on = {name for (name,) in session.query(AssetModel.name)
                        .join(DagScheduleAssetReference, DagScheduleAssetReference.asset_id == AssetModel.id)
                        .filter(DagScheduleAssetReference.dag_id == KPI_DAG).all()}
    assert sorted(events) == [("kpi_mart", KPI_DAG, "build_kpis"),
                              ("warehouse_enterprise_monthly", "ingest_enterprise_monthly", "load_month")]
    assert scheduled_on == {f"warehouse_{s}" for s in kpis.catalogue().input_sources}


def test_a_parameter_named_in_a_sql_comment_is_not_passed():
    # KPI and check SQL documents its parameters in comments; DuckDB refuses a parameter a statement lacks
    import duckdb

    from town_industry.db import run_sql

    con = duckdb.connect()
    sql = "-- the period's last month, $last_month_key, bounds it\nSELECT $first_month_key AS first"
    assert run_sql(con, sql, {"first_month_key": 202001, "last_month_key": 202006}).fetchall() == [(202001,)]


def test_every_identifier_a_definition_names_is_a_warehouse_column_a_code_or_a_kpi(sample_pipeline):
    """A definition speaks of the warehouse: 'sum of amount_yuan / 10,000' named the file's column, not the
    warehouse's amount (already 万元), and read literally gave a figure 10,000 times too small."""
    import re

    import duckdb

    from town_industry.contracts.sources import declared_sources

    with duckdb.connect(str(sample_pipeline.warehouse), read_only=True) as con:
        columns = {name for (name,) in con.execute("SELECT DISTINCT column_name FROM duckdb_columns() "
                                                   "WHERE schema_name IN ('main', 'mart')").fetchall()}
    code_values = {value for source in declared_sources() for column in source.columns
                   for value in (column.values or {})}
    catalogue = kpis.catalogue()
    known = columns | code_values | {k.code for k in catalogue.kpis}
    unknown = {}
    for kpi in catalogue.kpis:
        named = set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", kpi.definition_en))
        if named - known:
            unknown[kpi.code] = sorted(named - known)
    assert unknown == {}
    assert "amount" in columns and "amount_yuan" not in columns  # what the old definitions got wrong
