"""investment_monthly through the real pipeline: a small hand-made project list, every error
rule of its file contract (docs/sources/investment_monthly.md: rejected whole, reported, warehouse
unchanged), the over-plan warning, dim_project keeping each project's attribute history, and the seed
targets on the sample data."""
from __future__ import annotations

import duckdb
import pytest

from conftest import (cell_setter, check_revision_rejected, meets, month_outcomes, run_source, seed_targets,
                      write_csv_rows)
from town_industry import settings
from town_industry.cli.run import run

SOURCE = "investment_monthly"
HEADER = ["统计年月", "项目代码", "项目名称", "项目单位统一社会信用代码", "行业代码", "建设性质", "计划总投资(万元)",
          "本月完成投资(万元)", "用地面积(亩)", "签约日期", "开工日期", "竣工日期"]
COL = {name: i for i, name in enumerate(["stat_month", "project_code", "project_name", "owner_uscc", "industry_code",
                                          "construction_type", "planned_investment", "completed_investment",
                                          "land_area_mu", "sign_date", "start_date", "completion_date"])}


def month_file(month: str, planned_p1: str = "8,000", p1_start: str = "") -> list[list[str]]:
    return [HEADER,
            [month, "2020-320612-29-03-000001", "中森新材料", "91110108551385082Q", "2927", "新建", planned_p1,
             "1,200", "86", "2020/3/2", p1_start, ""],
            [month, "2019-320612-39-03-000002", "莱仕达光电", "91110000600037341L", "3976", "技改", "3000", "400",
             "—", "2019-05-06", "2019年8月1日", ""],
            [month, "2020-320612-70-01-000003", "东社居商业综合体", "", "7010", "新建", "25000", "0", "40",
             "20200315", "", ""]]


def run_month(month: str) -> bool:
    return run_source(SOURCE, month)


set_cell = cell_setter(COL)


CASES = {
    "duplicate_project_code": (set_cell("project_code", "2020-320612-29-03-000001", 4), "duplicate_key", 4,
                               "project_code"),
    "invalid_owner_uscc": (set_cell("owner_uscc", "91110000600037341M"), "invalid_uscc", 3, "owner_uscc"),
    "planned_not_positive": (set_cell("planned_investment", "0"), "not_positive", 3, "planned_investment"),
    "negative_amount": (set_cell("completed_investment", "-5"), "negative_amount", 3, "completed_investment"),
    "start_before_sign": (set_cell("start_date", "2019-05-01"), "dates_out_of_order", 3, "sign_date"),
    "completion_before_start": (set_cell("completion_date", "2019-07-31"), "dates_out_of_order", 3, "start_date"),
    "date_after_the_month": (set_cell("start_date", "2020-07-01", 4), "date_after_month", 4, "start_date"),
    "unknown_construction_type": (set_cell("construction_type", "翻建"), "unknown_value", 3, "construction_type"),
    "project_code_too_long": (set_cell("project_code", "X" * 65), "too_long", 3, "project_code"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_file_is_rejected_whole_and_reported(source_dir, ingest_dags, case):
    mutate, *expected = CASES[case]
    check_revision_rejected(source_dir / "2020-06.csv", SOURCE, month_file("2020-06"), mutate(month_file("2020-06")),
                            tuple(expected), encoding="gbk")


def test_attribute_history_and_over_plan_warning(source_dir, ingest_dags):
    write_csv_rows(source_dir / "2020-03.csv", month_file("2020-03"))
    write_csv_rows(source_dir / "2020-04.csv", month_file("2020-04", planned_p1="12,000", p1_start="2020-04-20"))
    rows = month_file("2020-05", planned_p1="12,000", p1_start="2020-04-20")
    rows[2][COL["completed_investment"]] = "2,500"  # 莱仕达: 400 + 400 + 2,500 > 3,000 planned
    write_csv_rows(source_dir / "2020-05.csv", rows)
    assert run("2020-03", "2020-05", echo=lambda _: None, sources=[SOURCE])
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    versions = con.execute(
        "SELECT planned_investment, start_date, valid_from_month_key, valid_to_month_key, is_current "
        "FROM dim_project WHERE project_code = '2020-320612-29-03-000001' ORDER BY version").fetchall()
    assert [(float(v[0]), v[2], v[3], v[4]) for v in versions] == [(8000.0, 202003, 202003, False),
                                                                  (12000.0, 202004, 999912, True)]
    assert str(versions[1][1]) == "2020-04-20"
    assert con.execute("SELECT sum(completed_investment) FROM fact_investment_month").fetchone()[0] == 1200 * 3 + 800 + 2500
    warnings = con.execute("SELECT month, row_number, rule FROM meta.dq_issues WHERE severity = 'warning'").fetchall()
    assert warnings == [("2020-05", 3, "completed_investment_over_plan")]


def test_sample_data_matches_seed_targets(sample_pipeline):
    """Plain SQL by the KPI definitions (docs/kpi_catalogue.md) over the shipped sample files meets the
    seed targets (tools/sample_data/seed_targets.yml): a check of the sample data independent of the KPI
    mart's SQL."""
    outcomes = month_outcomes(sample_pipeline.lines, SOURCE)
    assert len(outcomes) == 24 and all(o.startswith("loaded") for o in outcomes.values()), sample_pipeline.lines
    targets = seed_targets()["half_year"]
    con = duckdb.connect(str(sample_pipeline.warehouse), read_only=True)
    q = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    counted = "FROM fact_investment_month f JOIN dim_industry i USING (industry_code) WHERE f.planned_investment >= 500"
    h1_2020, h1_2019 = "f.month_key BETWEEN 202001 AND 202006", "f.month_key BETWEEN 201901 AND 201906"
    fai = q(f"SELECT sum(completed_investment) {counted} AND {h1_2020}")
    fai_2019 = q(f"SELECT sum(completed_investment) {counted} AND {h1_2019}")
    industrial = q(f"SELECT sum(completed_investment) {counted} AND {h1_2020} AND i.is_industrial")
    high_tech = q(f"SELECT sum(completed_investment) {counted} AND {h1_2020} AND i.is_high_tech_manufacturing")
    assert meets(targets["fixed_asset_investment"], fai)
    assert meets(targets["fixed_asset_investment_yoy_pct"], (fai / fai_2019 - 1) * 100)
    assert meets(targets["high_tech_manufacturing_investment_share_pct"], high_tech / industrial * 100)

    latest = """
        WITH latest AS (
            SELECT s.*, i.is_manufacturing, i.is_services FROM staging.investment_monthly s
            JOIN dim_industry i USING (industry_code)
            WHERE stat_month <= DATE '2020-06-01'
            QUALIFY row_number() OVER (PARTITION BY project_code ORDER BY stat_month DESC) = 1)
        SELECT {what} FROM latest WHERE {where}"""
    in_h1 = "BETWEEN DATE '2020-01-01' AND DATE '2020-06-30'"

    def names(where):
        return sorted(r[0] for r in con.execute(latest.format(what="project_name", where=where)).fetchall())

    events = {  # kpi_code -> the projects it counts
        "signed_major_projects": f"sign_date {in_h1} AND planned_investment >= 10000",
        "signed_major_projects_10bn": f"sign_date {in_h1} AND planned_investment >= 100000",
        "signed_major_services_projects": f"sign_date {in_h1} AND planned_investment >= 10000 AND is_services",
        "manufacturing_projects_started": f"start_date {in_h1} AND is_manufacturing",
        "projects_completed": f"completion_date {in_h1} AND construction_type <> 'tech_upgrade'",
        "tech_upgrade_projects_completed": f"completion_date {in_h1} AND construction_type = 'tech_upgrade'",
    }
    for code, where in events.items():
        assert names(where) == sorted(targets[code]["projects"]), code
        assert meets(targets[code], len(names(where))), code
    land = con.execute(latest.format(what="sum(land_area_mu)", where=f"start_date {in_h1}")).fetchone()[0]
    assert meets(targets["started_projects_land_mu"], land)
