"""Acceptance: the whole pipeline over the shipped sample data reproduces the seed report.

One real run (conftest's sample_pipeline: all sources, 2019-01..2020-12, through the DagBag and
dag.test(), then the KPI DAG) into a temporary warehouse; then every seed target (the real 2020H1
report's figures: the seed targets, tools/sample_data/seed_targets.yml) is checked against
mart.half_year_kpis / mart.monthly_kpis, and the drafted 2020H1 Markdown must print the seed's figures.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE, copy_sample, meets, month_outcomes, seed_targets
from town_industry import settings
from town_industry.contracts import kpis

TARGETS = seed_targets()
PERIOD = TARGETS["period"]
# What the draft must print: every figure the seed writes as the draft does, and every project it names.
SEED_TEXTS = [t["draft"] for month in TARGETS["monthly"].values() for t in month.values() if "draft" in t] + \
             [t["draft"] for t in TARGETS["half_year"].values() if "draft" in t]
SEED_PROJECTS = list(dict.fromkeys(name for t in TARGETS["half_year"].values() for name in t.get("projects", ())))


def half_year(warehouse: Path, period: str) -> dict:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(con.execute("SELECT kpi_code, value FROM mart.half_year_kpis WHERE period = ?",
                                [period]).fetchall())


def test_every_seed_target_in_the_mart(sample_pipeline):
    warehouse = sample_pipeline.warehouse
    values = half_year(warehouse, PERIOD)
    assert set(values) == {k.code for k in kpis.catalogue().for_grain("half_year")}
    for code, target in TARGETS["half_year"].items():
        assert meets(target, values[code]), (code, values[code], target)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        monthly = {(m, code): (value, unit) for m, code, value, unit in con.execute(
            "SELECT month, kpi_code, value, unit FROM mart.monthly_kpis").fetchall()}
        units = dict(con.execute("SELECT DISTINCT kpi_code, unit FROM mart.half_year_kpis").fetchall())
    for month, targets in TARGETS["monthly"].items():
        for code, target in targets.items():
            value, unit = monthly[(month, code)]
            assert meets(target, value) and unit == target["unit"], (month, code, value, unit, target)
    assert {code: units[code] for code in TARGETS["half_year"]} == \
        {code: t["unit"] for code, t in TARGETS["half_year"].items()}


def test_every_complete_half_year_is_built_and_2019_growth_has_no_base(sample_pipeline):
    warehouse, reports, lines = sample_pipeline.warehouse, sample_pipeline.reports, sample_pipeline.lines
    with duckdb.connect(str(warehouse), read_only=True) as con:
        periods = [p for (p,) in con.execute("SELECT DISTINCT period FROM mart.half_year_kpis ORDER BY 1").fetchall()]
        months = con.execute("SELECT count(DISTINCT month) FROM mart.monthly_kpis").fetchone()[0]
    assert periods == ["2019FY", "2019H1", "2019H2", "2020FY", "2020H1", "2020H2"] and months == 24
    assert half_year(warehouse, "2019H1")["taxable_sales_yoy_pct"] is None  # 2018 is not loaded
    assert half_year(warehouse, "2019H1")["fixed_asset_investment_yoy_pct"] is None
    assert sorted(p.name for p in reports.iterdir() if not p.name.startswith(".")) == periods
    # make run ends with the KPIs of the complete half-years in its range
    summary = "\n".join(lines[-40:])
    assert "2020H1" in summary and "9.26亿元" in summary and "industrial_economy_report_2020H1.md" in summary


def test_2020h1_draft_prints_the_seed_figures_and_names(sample_pipeline):
    reports = sample_pipeline.reports
    markdown = (reports / "2020H1" / "industrial_economy_report_2020H1.md").read_text(encoding="utf-8")
    body = markdown.split("## 附录")[0]  # in the report text itself, not only in the appendix table
    for text in SEED_TEXTS + SEED_PROJECTS:
        assert text in body, text
    assert "4月当月完成应税销售1.38亿元" in body and "由负转正" in body and "连续3个月" in body
    assert body.count("> 【待撰写") >= 5  # the places only a person can write
    # traceability: every half-year KPI of the period appears with its code and definition
    for kpi in kpis.catalogue().for_grain("half_year"):
        assert re.search(rf"\| {re.escape(kpi.name_zh)} \| [^|]+ \| `{kpi.code}` \| {re.escape(kpi.definition_zh)} \|$",
                         markdown, re.MULTILINE), kpi.code
    # the data-quality warnings of the period's files: the sample's June sales swing and the extra column
    appendix = markdown.split("## 附录四")[1]
    assert "`taxable_sales_swing_yoy`" in appendix and "`extra_column_ignored`" in appendix
    assert "2019-09" not in appendix  # another period's warning


def test_2020h1_word_draft_has_the_text_and_both_charts(sample_pipeline):
    from docx import Document

    reports = sample_pipeline.reports
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


def test_a_revised_month_rebuilds_its_half_year_and_redrafts_it(sample_pipeline, tmp_path, monkeypatch):
    """Through the real DAGs: a revised June investment file reloads June, the KPI DAG rebuilds 2020H1
    (and the periods after it) but not 2019, and the 2020H1 draft is rewritten with the new figure."""
    from conftest import read_csv_rows, write_csv_rows
    from town_industry.cli.run import run

    warehouse, reports = sample_pipeline.warehouse, sample_pipeline.reports
    shutil.copytree(SAMPLE, tmp_path / "data")
    shutil.copy(warehouse, tmp_path / "warehouse.duckdb")
    shutil.copytree(reports, tmp_path / "reports")
    for name, value in (("DATA_DIR", tmp_path / "data"), ("WAREHOUSE", tmp_path / "warehouse.duckdb"),
                        ("REPORTS_DIR", tmp_path / "reports")):
        monkeypatch.setenv(name, str(value))
    june = tmp_path / "data" / "investment_monthly" / "2020-06.csv"
    rows = read_csv_rows(june)
    kaxu = next(r for r in rows if r[2] == "卡旭厨房设备")
    kaxu[7] = f"{float(kaxu[7]) + 1000:.2f}"  # 1,000万元 more completed in June: FAI 87,000 -> 88,000
    write_csv_rows(june, rows)

    def built_at():
        with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
            return dict(con.execute("SELECT period, built_at FROM meta.kpi_builds").fetchall())

    before = built_at()
    lines: list[str] = []
    assert run("2020-06", "2020-06", echo=lines.append), lines
    after = built_at()
    rebuilt = sorted(p for p in after if after[p] != before[p])
    assert rebuilt == ["2020-06", "2020-07", "2020-08", "2020-09", "2020-10", "2020-11", "2020-12",
                       "2020FY", "2020H1", "2020H2"]
    assert half_year(tmp_path / "warehouse.duckdb", "2020H1")["fixed_asset_investment"] == pytest.approx(88000)
    markdown = (tmp_path / "reports" / "2020H1" / "industrial_economy_report_2020H1.md").read_text(encoding="utf-8")
    assert "完成固定资产投资8.8亿元" in markdown and "完成固定资产投资8.7亿元" not in markdown


def test_run_summary_shows_the_half_years_a_range_touches(sample_pipeline):
    from town_industry.cli.summary import kpi_table

    june = kpi_table(sample_pipeline.warehouse, "2020-06", "2020-06")
    header = next(line for line in june.splitlines() if "kpi_code" in line)
    assert header.split()[-2:] == ["2020H1", "2020FY"] and "2019H1" not in header and "2020H2" not in header
    assert "taxable_sales " in june and "9.26亿元" in june
    assert "no complete half-year" in kpi_table(sample_pipeline.warehouse, "2021-01", "2021-03")


def test_a_town_without_the_optional_ledgers_gets_a_draft_without_their_chapters(workspace):
    """Only the core sources' files delivered: every month of the optional sources is skipped, not failed,
    their KPIs are NULL, and the draft has no chapter for them (the chapters after move up)."""
    from town_industry import periods
    from town_industry.cli.run import run

    core = kpis.catalogue().core_sources
    optional = sorted(set(kpis.catalogue().input_sources) - set(core))
    assert optional, "the shipped catalogue has KPIs on optional sources"
    months = periods.half_year_months("2020H1")
    for source in core:
        (workspace / source).mkdir(exist_ok=True)
        copy_sample(workspace, source, *months)
    lines: list[str] = []
    assert run(months[0], months[-1], echo=lines.append), "\n".join(lines)
    for source in optional:
        assert set(month_outcomes(lines, source).values()) == {"no file (optional source)"}, lines

    values = half_year(settings.warehouse_path(), "2020H1")
    assert values["taxable_sales"] is not None
    assert all(values[k.code] is None for k in kpis.catalogue().kpis if set(k.sources) <= set(optional)
               and "half_year" in k.grains)
    markdown = (settings.reports_dir() / "2020H1" / "industrial_economy_report_2020H1.md").read_text(encoding="utf-8")
    titles = re.findall(r"^## ([一二三四五六七八九十]+)、(.+)$", markdown, re.MULTILINE)
    assert [t for _, t in titles] == ["工业经济运行情况", "招商引资与项目建设", "就业与创业服务", "存在的困难和问题",
                                      "下半年工作打算"]
    assert [n for n, _ in titles] == ["一", "二", "三", "四", "五"]
    assert "生态环境" not in markdown and "安全生产" not in markdown


# ---- full years and targets (include/targets/) -------------------------------------------------------

def _draft(reports: Path, period: str) -> str:
    return (reports / period / f"industrial_economy_report_{period}.md").read_text(encoding="utf-8")


def test_the_full_year_in_the_mart_adds_up_the_facts_of_its_twelve_months(sample_pipeline):
    """2020FY recomputed here from the facts, without the mart's SQL: sums over twelve months, the
    comparable-basis growth, the investment threshold and its growth, and what a year shares with its
    second half (the last month's stock and the run of positive months)."""
    year, h1, h2 = (half_year(sample_pipeline.warehouse, p) for p in ("2020FY", "2020H1", "2020H2"))
    with duckdb.connect(str(sample_pipeline.warehouse), read_only=True) as con:
        sales, comparable, base = con.execute("""
            SELECT sum(n.taxable_sales),
                   sum(n.taxable_sales) FILTER (WHERE b.uscc IS NOT NULL), sum(b.taxable_sales)
            FROM main.fact_enterprise_month AS n
            LEFT JOIN main.fact_enterprise_month AS b ON b.uscc = n.uscc AND b.month_key = n.month_key - 100
            WHERE n.is_above_scale AND n.month_key BETWEEN 202001 AND 202012""").fetchone()
        invest_2020, invest_2019 = con.execute("""
            SELECT sum(completed_investment) FILTER (WHERE month_key BETWEEN 202001 AND 202012),
                   sum(completed_investment) FILTER (WHERE month_key BETWEEN 201901 AND 201912)
            FROM main.fact_investment_month WHERE planned_investment >= 500""").fetchone()
    assert year["taxable_sales"] == pytest.approx(float(sales)) == pytest.approx(h1["taxable_sales"] + h2["taxable_sales"])
    assert year["taxable_sales_yoy_pct"] == pytest.approx((float(comparable) / float(base) - 1) * 100)
    assert year["fixed_asset_investment"] == pytest.approx(float(invest_2020))
    assert year["fixed_asset_investment_yoy_pct"] == pytest.approx((float(invest_2020) / float(invest_2019) - 1) * 100)
    assert year["above_scale_enterprises"] == h2["above_scale_enterprises"]
    assert year["sales_positive_streak_months"] == h2["sales_positive_streak_months"] == 9
    assert year["sales_turnaround_month"] == 4  # April 2020, in the year's first half
    assert year["new_above_scale_enterprises"] == 2 and h2["new_above_scale_enterprises"] == 0
    with duckdb.connect(str(sample_pipeline.warehouse), read_only=True) as con:
        kinds = {k for (k,) in con.execute("SELECT DISTINCT kind FROM mart.kpi_drivers WHERE period = '2020FY'").fetchall()}
        months = con.execute("SELECT count(*) FROM meta.kpi_builds WHERE period = '2020FY'").fetchone()[0]
    assert {"raised", "lowered", "largest"} <= kinds and months == 1


def test_the_half_year_before_lists_the_targets_and_the_target_period_reports_progress(sample_pipeline):
    from town_industry.contracts.targets import targets_for
    from town_industry.report.formatting import figure

    declared = targets_for("2020H2")
    values = half_year(sample_pipeline.warehouse, "2020H2")
    plans = _draft(sample_pipeline.reports, "2020H1").split("、下半年工作打算")[1].split("## 附录")[0]
    progress = _draft(sample_pipeline.reports, "2020H2").split("、目标完成情况")[1].split("、存在的困难和问题")[0]
    assert "`include/targets/2020H2.yml`" in plans and "示例目标" in plans
    met = 0
    for t in declared.targets:
        kpi = kpis.catalogue().get(t.kpi)
        target, actual = figure(t.value, kpi.unit, kpi.precision), figure(values[t.kpi], kpi.unit, kpi.precision)
        assert re.search(rf"^\| {re.escape(t.name_zh)}[^|]* \| {re.escape(target)} \| `{t.kpi}` \|", plans, re.M), t
        status = "已完成" if values[t.kpi] >= t.value else "未完成"
        met += status == "已完成"
        assert re.search(rf"^\| {re.escape(t.name_zh)}[^|]* \| {re.escape(target)} \| {re.escape(actual)} \| "
                         rf"[^|]+ \| {status} \| `{t.kpi}` \|$", progress, re.M), (t, actual)
    assert 0 < met < len(declared.targets)  # the sample targets: some met, some not
    assert f"已完成{met}项" in progress and "| 完成工业投资 | 8亿元 | 7.81亿元 | 97.6% | 未完成 |" in progress
    assert not re.search(r"^## .*目标完成情况$", _draft(sample_pipeline.reports, "2020H1"), re.M)  # none set for 2020H1


def test_the_full_year_draft_is_a_work_summary(sample_pipeline):
    from docx import Document

    markdown = _draft(sample_pipeline.reports, "2020FY")
    body = markdown.split("## 附录")[0]
    assert markdown.startswith("# 东社镇2020年工业经济工作总结（草稿）")
    assert "全年，全镇33家规模以上工业企业累计完成应税销售21.42亿元，按可比口径同比增长3.5%；分半年看，上半年完成9.26亿元" in body
    assert "全年完成固定资产投资18.82亿元" in body and "截至12月已连续9个月保持正增长" in body
    assert "上半年工业经济" not in body and "下半年工作打算" not in body
    titles = re.findall(r"^## [一二三四五六七八九十]+、(.+)$", markdown, re.MULTILINE)
    assert titles[-3:] == ["目标完成情况", "存在的困难和问题", "2021年工作打算"]
    assert "2020年下半年目标" in body and "2020年全年目标" in body  # the year's targets: its halves' and its own
    assert "| 完成固定资产投资 | 20亿元 | 18.82亿元 | 94.1% | 未完成 |" in body
    assert re.search(r"^\| 2020-12 \| ", markdown, re.MULTILINE)  # the monthly appendix covers twelve months
    folder = sample_pipeline.reports / "2020FY"
    assert len(list((folder / "charts").glob("*.png"))) == 2
    assert "工业经济工作总结" in Document(str(folder / "industrial_economy_report_2020FY.docx")).paragraphs[0].text
