"""The draft's wording for the cases the sample data does not show (template + formatting, no warehouse)."""
from __future__ import annotations

from town_industry.contracts import kpis
from town_industry.periods import report_period_months
from town_industry.report.data import Figure, Month, ReportData
from town_industry.report.draft import render_markdown

CHARTS = {"taxable_sales": "charts/taxable_sales.png", "fixed_asset_investment": "charts/fixed_asset_investment.png"}


def report_data(period="2020H1", monthly_yoy=(None,) * 6, members=None, **values) -> ReportData:
    catalogue = kpis.catalogue()
    defaults = {k.code: 0.0 for k in catalogue.for_grain("half_year")}
    defaults.update({"taxable_sales_yoy_pct": None, "sales_turnaround_month": None})
    defaults.update(values)
    figures = {code: Figure(catalogue.get(code), v) for code, v in defaults.items()}
    months = [Month(m, {"taxable_sales": 10000.0 + i, "taxable_sales_yoy_pct": g, "fixed_asset_investment": 500.0})
              for i, (m, g) in enumerate(zip(report_period_months(period), monthly_yoy))]
    year_before = [Month(f"{int(m.month[:4]) - 1}{m.month[4:]}") for m in months]
    return ReportData(period, figures, members or {}, months, year_before, [])


def body(data: ReportData) -> str:
    return render_markdown(data, CHARTS).split("## 附录")[0]


def test_turnaround_after_months_of_decline_and_the_run_since():
    text = body(report_data(monthly_yoy=(-1.0, -2.0, 3.0, 1.0, 2.0, 4.0), sales_turnaround_month=3.0,
                            sales_positive_streak_months=4.0))
    assert "1月至2月应税销售同比分别下降1%和2%；3月当月完成应税销售1亿元，同比增长3%，增速实现由负转正，" \
           "截至6月已连续4个月保持正增长。" in text


def test_turnaround_that_did_not_last():
    text = body(report_data(monthly_yoy=(-1.0, 2.0, -0.5, -1.0, -2.0, -3.0), sales_turnaround_month=2.0,
                            sales_positive_streak_months=0.0))
    assert "2月当月完成应税销售1亿元，同比增长2%，增速实现由负转正，但此后增速再度回落，6月仍未恢复正增长。" in text


def test_no_comparison_base_is_said_not_invented():
    text = body(report_data(taxable_sales=93400.0))
    assert "累计完成应税销售9.34亿元，按可比口径暂无同比数据（上年同期未入库）。" in text
    assert "分月看" not in text and "增长0%" not in text and "下降0%" not in text


def test_no_projects_in_the_period():
    text = body(report_data(period="2020H2"))
    assert "下半年暂无新签约的亿元以上项目。" in text and "暂无项目竣工" in text and "暂无技改项目完成" in text
    assert "## 五、2021年上半年工作打算" in text  # the plans of a second half-year are for the next year


def test_named_projects_and_the_places_for_a_person():
    text = body(report_data(signed_major_projects=2.0, signed_major_services_projects=1.0,
                            members={"signed_major_projects": ["甲项目", "乙项目"],
                                     "signed_major_services_projects": ["乙项目"]}))
    assert "新签约亿元以上项目2个（甲项目、乙项目），其中服务业亿元项目1个（乙项目）。" in text
    assert "10亿元以上项目" not in text  # none: not mentioned
    chapters = text.split("\n## ")[1:]  # every chapter, the closing two included, leaves a place for a person
    assert chapters and all("\n> 【待撰写" in chapter for chapter in chapters), chapters


def test_appendix_names_warnings_in_chinese_from_the_rule_catalogue():
    data = report_data()
    data.warnings.append({"source": "enterprise_monthly", "month": "2020-06", "file": "2020-06.csv", "row": 7,
                          "subject": "913206125148900473（南通锦程服饰有限公司）", "column": "taxable_sales", "rule": "taxable_sales_swing_yoy", "message": "应税销售额变动"})
    appendix = render_markdown(data, CHARTS).split("## 附录四")[1]
    assert ("| enterprise_monthly/2020-06.csv | 7 | 913206125148900473（南通锦程服饰有限公司） | 应税销售额(万元)（taxable_sales） | 应税销售额较上年同月变动超过±50% | "
            "`taxable_sales_swing_yoy`：应税销售额变动 |") in appendix


def test_a_chapter_on_optional_sources_that_delivered_nothing_is_left_out(tmp_path, monkeypatch):
    # employment_services made optional: its chapter shows only in a period it delivered a file for
    text = kpis.catalogue().path.read_text(encoding="utf-8")
    optional = tmp_path / "kpis.yml"
    optional.write_text(text.replace("core_sources: [enterprise_monthly, investment_monthly, employment_services]",
                                     "core_sources: [enterprise_monthly, investment_monthly]"), encoding="utf-8")
    real = kpis.catalogue
    monkeypatch.setattr(kpis, "catalogue", lambda path=None: real(optional))
    data = report_data(employment_certificates=None)
    markdown = render_markdown(data, CHARTS)
    assert "就业与创业服务" not in markdown and "employment_certificates" not in markdown
    assert "## 三、存在的困难和问题" in markdown and "## 四、下半年工作打算" in markdown

    delivered = report_data(employment_certificates=12.0)
    delivered.delivered = frozenset({"employment_services"})
    markdown = render_markdown(delivered, CHARTS)
    assert "## 三、就业与创业服务" in markdown and "共发放就业创业证12本" in markdown
    assert "| 发放就业创业证 | 12本 | `employment_certificates` |" in markdown
    assert "## 五、下半年工作打算" in markdown


def test_charts_are_numbered_in_the_order_the_draft_shows_them():
    markdown = render_markdown(report_data(), CHARTS)
    assert "![图1　2020年上半年各月规上工业应税销售及同比增速](charts/taxable_sales.png)" in markdown
    assert "![图2　2020年上半年各月固定资产投资与上年同期对比](charts/fixed_asset_investment.png)" in markdown


def _targets(period: str, *entries):
    from pathlib import Path

    from town_industry.contracts.targets import Target, Targets

    return Targets(period, tuple(Target(**e) for e in entries), Path(f"include/targets/{period}.yml"))


def test_a_full_year_is_a_work_summary_of_twelve_months_planning_the_next_year():
    from town_industry.report.data import Half

    catalogue = kpis.catalogue()
    data = report_data(period="2020FY", monthly_yoy=(None,) * 12, taxable_sales=214199.48,
                       taxable_sales_yoy_pct=3.5)
    data.halves = [Half(p, {"taxable_sales": Figure(catalogue.get("taxable_sales"), v),
                            "taxable_sales_yoy_pct": Figure(catalogue.get("taxable_sales_yoy_pct"), g),
                            "fixed_asset_investment": Figure(catalogue.get("fixed_asset_investment"), 1.0)})
                   for p, v, g in (("2020H1", 92600.0, -2.3), ("2020H2", 121599.48, None))]
    markdown = render_markdown(data, CHARTS)
    assert markdown.startswith("# 东社镇2020年工业经济工作总结（草稿）\n")
    assert "根据2020-01至2020-12各月报表" in markdown and "上半年工业经济" not in markdown
    assert "全年，全镇0家规模以上工业企业累计完成应税销售21.42亿元，按可比口径同比增长3.5%；分半年看，" \
           "上半年完成9.26亿元、同比下降2.3%，下半年完成12.16亿元、暂无同比数据（上年同期未入库）。" in markdown
    assert "![图1　2020年全年各月规上工业应税销售及同比增速]" in markdown
    assert "## 五、2021年工作打算" in markdown and "目标完成情况" not in markdown  # no targets given here


def test_the_plans_list_the_next_periods_targets_and_the_period_reports_its_own():
    from town_industry.report.progress import progress

    data = report_data(period="2020H2")
    data.next_targets = _targets("2021H1", {"kpi": "fixed_asset_investment", "name_zh": "完成固定资产投资",
                                            "target": 9.5, "unit": "亿元", "note": "含技改"})
    h2 = _targets("2020H2", {"kpi": "manufacturing_projects_started", "name_zh": "新开工制造业项目", "target": 4, "unit": "个"},
                  {"kpi": "fixed_asset_investment", "name_zh": "完成固定资产投资", "target": 100000, "unit": "万元"},
                  {"kpi": "boiler_retrofits_completed", "name_zh": "锅炉改造", "target": 2, "unit": "家"},
                  {"kpi": "high_tech_output_share_pct", "name_zh": "高新技术产业产值占比", "target": 50, "unit": "%"})
    data.progress = [progress(h2, {"manufacturing_projects_started": 5.0, "fixed_asset_investment": 87000.0,
                                   "boiler_retrofits_completed": None, "high_tech_output_share_pct": 55.4})]
    markdown = render_markdown(data, CHARTS)
    chapter = markdown.split("## 四、目标完成情况")[1].split("## 五、存在的困难和问题")[0]
    assert ("2020年下半年共设定目标4项（`include/targets/2020H2.yml`），完成情况按指标集市 `mart.half_year_kpis`（期间 "
            "2020H2）的数字核对：已完成2项（新开工制造业项目、高新技术产业产值占比）；未完成1项：完成固定资产投资目标10亿元、"
            "完成8.7亿元（完成目标的87%）；锅炉改造暂无数据（所需报表未全部入库），无法核对。") in chapter
    assert "| 新开工制造业项目 | 4个 | 5个 | 125% | 已完成 | `manufacturing_projects_started` |" in chapter
    assert "| 锅炉改造 | 2家 | — | — | 暂无数据 | `boiler_retrofits_completed` |" in chapter  # never a 0
    assert "| 高新技术产业产值占比 | 50% | 55.4% | — | 已完成 | `high_tech_output_share_pct` |" in chapter
    plans = markdown.split("## 六、2021年上半年工作打算")[1].split("## 附录")[0]
    assert "| 完成固定资产投资 | 9.5亿元 | `fixed_asset_investment` | 含技改 |" in plans
