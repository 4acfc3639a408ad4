"""What an analyst does on the sample run's published warehouse, through SQLAlchemy as a BI tool would:
reflect every schema, run every example of sql/examples/, and find the views agree with the KPI mart."""
from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from town_industry import settings

EXAMPLES = sorted((settings.PROJECT_ROOT / "sql" / "examples").glob("*.sql"))


@pytest.fixture(scope="module")
def engine(sample_pipeline):
    published = settings.published_path(sample_pipeline.warehouse)
    return sa.create_engine(f"duckdb+warehouse:///{published}?access_mode=read_only")


def scalar(engine, sql: str, **params):
    with engine.connect() as con:
        return con.execute(sa.text(sql), params).scalar_one()


def kpi(engine, period: str, code: str):
    return scalar(engine, "SELECT value FROM mart.half_year_kpis WHERE period = :p AND kpi_code = :k", p=period, k=code)


def test_every_schema_reflects_and_every_table_reads(engine):
    inspector = sa.inspect(engine)
    assert {"main", "mart", "meta", "staging"} <= set(inspector.get_schema_names())
    for schema in ("main", "mart", "meta", "staging"):
        metadata = sa.MetaData()
        metadata.reflect(engine, schema=schema, views=True)
        assert metadata.tables, schema
        with engine.connect() as con:
            for table in metadata.tables.values():
                con.execute(sa.select(table).limit(1)).all()
                # the data dictionary, as a BI tool reflects it
                assert table.comment and all(c.comment for c in table.columns), table.fullname
    columns = {c["name"]: c for c in inspector.get_columns("fact_enterprise_month")}
    assert isinstance(columns["taxable_sales"]["type"], sa.Numeric)
    assert columns["taxable_sales"]["comment"].startswith("应税销售额")
    investment = {c["name"]: c["comment"] for c in inspector.get_columns("fact_investment_month")}
    assert "not a running total" in investment["completed_investment"]


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_query_runs_and_finds_rows(engine, example: Path):
    with engine.connect() as con:
        rows = con.execute(sa.text(example.read_text(encoding="utf-8"))).all()
    assert rows, example.name


def test_the_examples_are_the_ones_the_docs_promise():
    assert [p.stem for p in EXAMPLES] == ["projects_by_stage", "sales_by_industry_by_month", "subsidies_by_type",
                                          "top_enterprises_by_contribution"]


def test_sales_by_division_adds_up_to_each_months_kpi(engine):
    with engine.connect() as con:
        by_division = dict(con.execute(sa.text(
            "SELECT month_key, sum(taxable_sales) FROM mart.sales_by_division GROUP BY 1")).all())
        kpis = dict(con.execute(sa.text(
            "SELECT CAST(replace(month, '-', '') AS INTEGER), value FROM mart.monthly_kpis "
            "WHERE kpi_code = 'taxable_sales'")).all())
    assert set(kpis) <= set(by_division) and len(kpis) >= 12
    for month, value in kpis.items():
        assert float(by_division[month]) == pytest.approx(value, abs=1e-6), month


def test_subsidies_agree_with_their_kpis(engine):
    with engine.connect() as con:
        rows = {r.service_type: r for r in con.execute(sa.text(
            (settings.PROJECT_ROOT / "sql" / "examples" / "subsidies_by_type.sql").read_text(encoding="utf-8")))}
    assert rows["flexible_employment_subsidy"].name_zh == "灵活就业社保补贴"
    assert rows["flexible_employment_subsidy"].persons == kpi(engine, "2020H1", "flexible_employment_subsidy_persons")
    assert float(rows["startup_subsidy"].amount) == pytest.approx(kpi(engine, "2020H1", "startup_subsidy_amount"),
                                                                  abs=0.005)


def test_projects_at_a_month_end_carry_their_completed_investment_to_date(engine):
    to_date = scalar(engine, "SELECT sum(completed_investment_to_date) FROM mart.projects_at_month_end(202006)")
    facts = scalar(engine, "SELECT sum(completed_investment) FROM main.fact_investment_month WHERE month_key <= 202006")
    assert float(to_date) == pytest.approx(float(facts))
    completed_in_h1 = scalar(engine, "SELECT count(*) FROM mart.projects_at_month_end(202006) WHERE stage = "
                                     "'completed' AND completion_date >= DATE '2020-01-01' AND construction_type "
                                     "<> 'tech_upgrade'")
    assert completed_in_h1 == kpi(engine, "2020H1", "projects_completed")


def test_code_values_name_every_service_type(engine):
    with engine.connect() as con:
        names = dict(con.execute(sa.text("SELECT code, name_zh FROM mart.code_values WHERE column_name = "
                                         "'service_type'")).all())
        served = {t for (t,) in con.execute(sa.text(
            "SELECT DISTINCT service_type FROM mart.persons_served_by_service_type")).all()}
    assert len(names) == 5 and names["guaranteed_loan"] == "创业担保贷款"
    assert served <= set(names)
