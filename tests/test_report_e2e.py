"""Acceptance: the whole pipeline over the shipped sample data reproduces the seed report.

One real run (all sources, 2019-01..2020-12, through the DagBag and dag.test(), then the KPI DAG)
into a temporary warehouse; then every row of ../shared/spec/SEED_TARGETS.md is checked against
mart.half_year_kpis / mart.monthly_kpis, and the drafted 2020H1 Markdown must print the seed's figures.
"""
from __future__ import annotations

import os
import re
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE
from town_industry import kpis

# SEED_TARGETS.md: kpi_code -> accepted interval [low, high) of the 2020H1 value
SEED_TARGETS = {
    "above_scale_enterprises": (33, 33),
    "taxable_sales": (92550, 92650),
    "sales_turnaround_month": (4, 4),
    "sales_positive_streak_months": (3, 3),
    "gross_output": (120950, 121050),
    "gross_output_yoy_pct": (1.95, 2.05),
    "high_tech_output": (66950, 67050),
    "high_tech_output_yoy_pct": (12.45, 12.55),
    "fixed_asset_investment": (86950, 87050),
    "fixed_asset_investment_yoy_pct": (3.55, 3.65),
    "high_tech_manufacturing_investment_share_pct": (28.45, 28.55),
    "rd_active_enterprises": (10, 10),
    "rd_expense": (969.995, 970.005),
    "signed_major_projects": (3, 3),
    "signed_major_projects_10bn": (1, 1),
    "signed_major_services_projects": (1, 1),
    "manufacturing_projects_started": (3, 3),
    "projects_completed": (3, 3),
    "tech_upgrade_projects_completed": (2, 2),
    "started_projects_land_mu": (323.995, 324.005),
    "employment_certificates": (177, 177),
    "flexible_employment_subsidy_persons": (7, 7),
    "guaranteed_loans": (1, 1),
    "guaranteed_loan_amount": (12, 12),
    "startup_subsidy_persons": (2, 2),
    "startup_subsidy_amount": (1.5, 1.5),
    "job_fair_positions": (912, 912),
}
SEED_TEXTS = ["9.26亿元", "1.38亿元", "12.1亿元", "2%", "6.7亿元", "12.5%", "8.7亿元", "3.6%", "28.5%", "970万元",
              "324亩", "177", "912"]
SEED_PROJECTS = ["中森新材料", "浩诚门窗制造", "东社居商业综合体", "卡旭厨房设备", "中森高新材料", "吉安建筑",
                 "金绸纺织", "春和旅游用品", "忠孝园民宿", "莱仕达光电"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    """The real pipeline over a copy of the sample data: (warehouse path, reports dir, printed lines)."""
    from town_industry.run_months import run

    root = tmp_path_factory.mktemp("e2e")
    shutil.copytree(SAMPLE, root / "data")
    env = {"DATA_DIR": str(root / "data"), "WAREHOUSE": str(root / "wh" / "warehouse.duckdb"),
           "REPORTS_DIR": str(root / "reports")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        lines: list[str] = []
        ok = run("2019-01", "2020-12", echo=lines.append)
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    assert ok, "\n".join(lines)
    return Path(env["WAREHOUSE"]), Path(env["REPORTS_DIR"]), lines


def half_year(warehouse: Path, period: str) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return kpis.half_year_values(con, period)


def test_every_seed_target_in_the_mart(sample_run):
    warehouse, _, _ = sample_run
    values = half_year(warehouse, "2020H1")
    assert set(values) == {k.code for k in kpis.catalogue().for_grain("half_year")}
    for code, (low, high) in SEED_TARGETS.items():
        value = values[code]
        assert value is not None and (low <= value < high if low < high else value == low), (code, value)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        monthly = dict(con.execute("SELECT month, value FROM mart.monthly_kpis WHERE kpi_code = ? "
                                   "AND month BETWEEN '2020-01' AND '2020-06'", ["taxable_sales_yoy_pct"]).fetchall())
        april_sales = con.execute("SELECT value FROM mart.monthly_kpis WHERE month = '2020-04' "
                                  "AND kpi_code = 'taxable_sales'").fetchone()[0]
        units = dict(con.execute("SELECT DISTINCT kpi_code, unit FROM mart.half_year_kpis").fetchall())
    assert 13750 <= april_sales < 13850
    assert all(monthly[m] < 0 for m in ("2020-01", "2020-02", "2020-03")), monthly
    assert all(monthly[m] > 0 for m in ("2020-04", "2020-05", "2020-06")), monthly
    assert units["taxable_sales"] == "万元" and units["taxable_sales_yoy_pct"] == "%"


def test_every_complete_half_year_is_built_and_2019_growth_has_no_base(sample_run):
    warehouse, reports, lines = sample_run
    with duckdb.connect(str(warehouse), read_only=True) as con:
        periods = [p for (p,) in con.execute("SELECT DISTINCT period FROM mart.half_year_kpis ORDER BY 1").fetchall()]
        months = con.execute("SELECT count(DISTINCT month) FROM mart.monthly_kpis").fetchone()[0]
    assert periods == ["2019H1", "2019H2", "2020H1", "2020H2"] and months == 24
    assert half_year(warehouse, "2019H1")["taxable_sales_yoy_pct"] is None  # 2018 is not loaded
    assert half_year(warehouse, "2019H1")["fixed_asset_investment_yoy_pct"] is None
    assert sorted(p.name for p in reports.iterdir() if not p.name.startswith(".")) == periods
    # make run ends with the KPIs of the complete half-years in its range
    summary = "\n".join(lines[-40:])
    assert "2020H1" in summary and "9.26亿元" in summary and "industrial_economy_report_2020H1.md" in summary


def test_2020h1_draft_prints_the_seed_figures_and_names(sample_run):
    _, reports, _ = sample_run
    markdown = (reports / "2020H1" / "industrial_economy_report_2020H1.md").read_text(encoding="utf-8")
    body = markdown.split("## 附录")[0]  # in the report text itself, not only in the appendix table
    for text in SEED_TEXTS + SEED_PROJECTS:
        assert text in body, text
    assert "4月当月完成应税销售1.38亿元" in body and "由负转正" in body and "连续3个月" in body
    assert body.count("> 【待撰写") >= 5  # the places only a person can write
    # traceability: every half-year KPI of the period appears with its code and definition
    for kpi in kpis.catalogue().for_grain("half_year"):
        assert re.search(rf"\| {re.escape(kpi.name_zh)} \| [^|]+ \| `{kpi.code}` \| {re.escape(kpi.definition_zh)} \|",
                         markdown), kpi.code
    # the data-quality warnings of the period's files: the sample's June sales swing and the extra column
    appendix = markdown.split("## 附录三")[1]
    assert "`taxable_sales_swing_yoy`" in appendix and "`extra_column_ignored`" in appendix
    assert "2019-09" not in appendix  # another period's warning


def test_2020h1_word_draft_has_the_text_and_both_charts(sample_run):
    from docx import Document

    _, reports, _ = sample_run
    folder = reports / "2020H1"
    document = Document(str(folder / "industrial_economy_report_2020H1.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    for expected in ["9.26亿元", "12.1亿元", "8.7亿元", "28.5%", "324亩", *SEED_PROJECTS]:
        assert expected in text, expected
    assert len(document.inline_shapes) == 2
    with zipfile.ZipFile(folder / "industrial_economy_report_2020H1.docx") as z:
        media = sorted(n for n in z.namelist() if n.startswith("word/media/"))
        embedded = {z.read(n) for n in media}
    charts = {p.read_bytes() for p in (folder / "charts").glob("*.png")}
    assert len(charts) == 2 and charts == embedded  # the very PNGs of the Markdown draft
