"""investment_monthly (固定资产投资项目月报): the town's tracked projects, month by month.

Which projects there are and how each month's file is spelled; their completed investment comes from
``investment_model`` (a bell over the construction period, calibrated to the seed targets).
"""
from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

from tools.sample_data.common import make_uscc, print_roles, source_rng
from tools.sample_data.enterprise import enterprise_usccs
from tools.sample_data.files import FileStyle, format_amount, format_date, format_month, write_monthly_files
from tools.sample_data.investment_model import INVESTMENT_DATES, InvestmentRow, Project, calibrate, simulate_rows

SOURCE = "investment_monthly"
COLUMNS = [  # (English name, Chinese header)
    ("stat_month", "统计年月"),
    ("project_code", "项目代码"),
    ("project_name", "项目名称"),
    ("owner_uscc", "项目单位统一社会信用代码"),
    ("industry_code", "行业代码"),
    ("construction_type", "建设性质"),
    ("planned_investment", "计划总投资(万元)"),
    ("completed_investment", "本月完成投资(万元)"),
    ("land_area_mu", "用地面积(亩)"),
    ("sign_date", "签约日期"),
    ("start_date", "开工日期"),
    ("completion_date", "竣工日期"),
]
CONSTRUCTION_TYPES = {"new": "新建", "expansion": "扩建", "tech_upgrade": "技改", "other": "其他"}


def investment_projects() -> list[Project]:
    P = Project
    return [
        # The projects the seed report names (sign / start / completion in 2020H1).
        P("中森新材料", "2659", "new", 120_000, "260", "2020-06-08", "2020-10-19", None, ends="2022-12",
          owner="new:南通中森新材料科技有限公司", share=0.8,
          role="signed 2020-06, 10亿元项目 (planned 120,000), starts 2020-10"),
        P("浩诚门窗制造", "3312", "new", 8_000, "52", "2020-03-24", "2020-09-15", None, ends="2021-12",
          owner="南通浩诚门窗有限公司", revisions=(("2020-04", "planned_investment", "12000"),),
          role="signed 2020-03 at 8,000; revised to 12,000 in 2020-04 (major only on latest attributes)"),
        P("东社居商业综合体", "7010", "new", 35_000, "40", "2020-05-26", "2020-11-09", None, ends="2022-10",
          owner="new:南通东社居置业有限公司", share=0.85,
          role="signed 2020-05, services 亿元项目 (real estate 7010)"),
        P("卡旭厨房设备", "3854", "new", 15_000, "45", "2019-11-15", "2020-03-16", None, ends="2021-03",
          owner="南通卡旭厨房设备有限公司", share=0.85, role="manufacturing start 2020-03, 45 亩"),
        P("中森高新材料", "3985", "new", 60_000, "120", "2019-09-20", "2020-05-18", None, ends="2022-06",
          owner="new:南通中森高新材料有限公司", share=0.85,
          role="high-tech manufacturing start 2020-05, 120 亩"),
        P("吉安建筑", "3024", "new", 6_000, "35", "2020-01-09", "2020-04-20", None, ends="2021-04",
          owner="new:南通吉安建筑材料有限公司", revisions=(("2020-06", "land_area_mu", "38"),),
          role="signed 2020-01 (6,000: not major), manufacturing start 2020-04; land 35 -> 38 亩 in 2020-06"),
        P("金绸纺织", "1711", "new", 42_000, "96.5", "2017-12-08", "2018-04-16", "2020-06-19",
          owner="南通金绸纺织有限公司", share=0.92, tail=3, role="new build, completed 2020-06"),
        P("金绸纺织", "1711", "tech_upgrade", 6_500, None, "2019-04-25", "2019-06-10", "2020-04-28",
          owner="南通金绸纺织有限公司", share=0.95, role="tech upgrade (same name, own code), completed 2020-04"),
        P("春和旅游用品", "1923", "expansion", 9_500, "28", "2018-12-18", "2019-03-12", "2020-03-27",
          owner="南通春和旅游用品有限公司", shown_from=(("completion_date", "2020-04"),),
          role="completed 2020-03-27; the date first appears in the 2020-04 file"),
        P("忠孝园民宿", "6130", "new", 2_800, "15.6", "2019-03-29", "2019-07-08", "2020-06-16",
          owner="new:南通忠孝园文旅发展有限公司", share=0.95, role="services (6130 民宿服务), completed 2020-06"),
        P("莱仕达光电", "3976", "tech_upgrade", 18_000, None, "2018-08-20", "2018-09-26", "2020-05-22",
          owner="南通莱仕达光电科技有限公司", share=0.92, role="high-tech tech upgrade, completed 2020-05"),
        # Non-manufacturing projects starting in 2020H1: their land counts, they are no manufacturing start.
        P("东社物流仓储中心", "5920", "new", 8_600, "59", "2019-12-06", "2020-04-13", None, ends="2021-06",
          owner="new:南通东社物流有限公司", first="2019-12", shown_from=(("sign_date", "2020-01"),),
          role="services start 2020-04, 59 亩; sign date only filled in from the 2020-01 file"),
        P("农村公路提档升级", "4812", "expansion", 5_200, "62", None, "2020-05-11", "2020-11-20",
          first="2020-03", share=0.8, role="public road (4812, non-industrial), start 2020-05, 62 亩, no owner"),
        # Signed in 2020H1 below 10,000 万元, revised to a 亿元项目 only in 2020-08.
        P("嘉东刀具", "3321", "new", 9_000, "30", "2020-04-17", "2020-10-12", None, ends="2021-10",
          owner="new:南通嘉东刀具有限公司", revisions=(("2020-08", "planned_investment", "15000"),),
          role="signed 2020-04 at 9,000; revised to 15,000 only in 2020-08 (not major in 2020H1)"),
        # Below the 500 万元 threshold: completed investment outside fixed-asset investment.
        P("利民五金设备更新", "3351", "tech_upgrade", 450, None, "2019-08-14", "2019-10-08", "2020-09-25",
          owner="南通利民五金制品有限公司", tail=1,
          fixed=(("2019-10", 26.5), ("2019-11", 32.0), ("2019-12", 41.8), ("2020-01", 28.6), ("2020-02", 0),
                 ("2020-03", 22.4), ("2020-04", 35.0), ("2020-05", 38.2), ("2020-06", 44.5),
                 ("2020-07", 31.0), ("2020-08", 36.8), ("2020-09", 24.7)),
          role="planned 450 < 500: its completed investment is outside FAI"),
        # High-tech manufacturing.
        P("海天生物扩建", "2761", "expansion", 22_000, "42", "2018-09-12", "2018-11-20", "2020-11-25",
          owner="南通海天生物制药有限公司", share=0.9),
        P("芯通微电子二期", "3973", "new", 28_000, "68", "2019-01-18", "2019-04-15", None, ends="2021-06",
          owner="南通芯通微电子有限公司", share=0.9),
        P("康瑞医药技改", "2720", "tech_upgrade", 5_800, None, "2019-02-26", "2019-03-18", "2019-12-20",
          owner="南通康瑞医药有限公司"),
        P("博康医疗器械扩建", "3581", "expansion", 9_000, "18", "2019-06-05", "2019-08-19", "2020-12-11",
          owner="南通博康医疗器械有限公司"),
        P("智控仪表技改", "4011", "tech_upgrade", 3_600, None, "2020-07-06", "2020-08-17", None, ends="2021-05",
          owner="南通智控自动化仪表有限公司"),
        # Other industry (including divisions 44 and 46: industrial, not manufacturing).
        P("宏达钢结构扩建", "3311", "expansion", 8_800, "22", "2018-07-10", "2018-10-15", "2019-09-26",
          owner="南通宏达钢结构有限公司"),
        P("鑫源钢材技改", "3130", "tech_upgrade", 4_200, None, "2019-05-16", "2019-06-20", "2020-09-18",
          owner="南通鑫源钢材有限公司"),
        P("瑞丰汽车零部件", "3670", "new", 26_000, "75", "2019-01-10", "2019-03-25", "2020-12-18",
          owner="南通瑞丰汽车零部件有限公司", share=0.78, revisions=(("2019-10", "planned_investment", "30000"),),
          role="planned revised 26,000 -> 30,000 in 2019-10"),
        P("东杰精密机械新厂", "3484", "new", 18_000, "40", "2018-11-20", "2019-02-18", "2020-10-16",
          owner="南通东杰精密机械有限公司", share=0.85),
        P("华艺家纺扩建", "1771", "expansion", 12_000, "26", "2018-05-30", "2018-08-06", "2019-10-25",
          owner="南通华艺家纺有限公司"),
        P("明辉照明技改", "3872", "tech_upgrade", 3_500, None, "2018-09-17", "2018-10-22", "2019-08-30",
          owner="南通明辉照明电器有限公司"),
        P("金鼎建材扩建", "3021", "expansion", 7_000, "18", "2018-03-02", "2018-06-11", "2019-07-19",
          owner="南通金鼎建材有限公司"),
        P("锦程服饰智能化改造", "1819", "tech_upgrade", 5_200, None, "2019-09-03", "2019-11-11", "2020-08-21",
          owner="南通锦程服饰有限公司", share=0.8),
        P("天然气门站", "4511", "new", 6_500, "8", "2019-10-15", "2019-12-02", "2020-11-27",
          owner="new:南通东社燃气有限公司", share=0.8),
        P("振乾纺织技改", "1712", "tech_upgrade", 2_600, None, "2019-01-22", "2019-02-25", "2019-11-15",
          owner="南通振乾纺织品有限公司"),
        P("恒力数控技改", "3421", "tech_upgrade", 5_500, None, "2019-08-28", "2019-10-21", "2020-10-23",
          owner="南通恒力数控机床有限公司"),
        P("永盛塑业扩建", "2922", "expansion", 7_800, "20", "2019-10-10", "2019-12-09", None, ends="2021-03",
          owner="南通永盛塑业有限公司"),
        P("佳比塑胶", "2929", "new", 11_000, "33", "2019-10-23", "2020-11-16", None, ends="2021-12",
          owner="new:南通佳比塑胶制品有限公司", role="亿元项目 signed 2019-10, listed with 0 until it starts 2020-11"),
        P("屋顶分布式光伏", "4416", "new", 3_000, None, "2019-04-02", "2019-05-20", "2019-12-16",
          owner="new:南通东社新能源有限公司"),
        P("污水处理厂提标改造", "4620", "other", 4_600, None, None, "2019-08-12", "2020-08-28",
          owner="new:南通东社水务有限公司", first="2019-06"),
        # Non-industrial: real estate, construction, public works, health.
        P("东社花苑", "7010", "new", 65_000, "58", "2018-03-22", "2018-06-28", "2020-10-30",
          owner="new:南通东社置业有限公司", share=0.9, role="real estate 7010 (services), building throughout"),
        P("东社安置小区", "4710", "new", 30_000, "64", None, "2018-05-15", "2019-12-20",
          owner="new:南通东社城镇建设投资有限公司"),
        P("通港路改扩建", "4812", "expansion", 12_000, "36", None, "2019-03-05", "2019-12-26"),
        P("工业小区标准厂房", "4710", "new", 12_000, "48", None, "2019-09-09", "2020-12-22",
          owner="new:南通东社城镇建设投资有限公司", first="2019-07"),
        P("小城镇综合整治", "7810", "other", 6_000, None, None, "2019-11-04", "2020-09-30", first="2019-10"),
        P("镇卫生院改扩建", "8423", "expansion", 3_800, "6.5", None, "2019-09-16", "2020-09-29", first="2019-08"),
    ]


# How each month's file is spelled.
INVESTMENT_STYLES = {
    "2019-02": FileStyle(month_format="compact", date_format="compact"),
    "2019-05": FileStyle(encoding="utf-8-sig", date_format="slash"),
    "2019-08": FileStyle(english_headers=True),
    "2019-11": FileStyle(month_format="chinese", date_format="chinese", thousands=True),
    "2020-01": FileStyle(encoding="utf-8-sig", month_format="chinese", date_format="chinese", empty_as_dash=True),
    "2020-02": FileStyle(encoding="gbk", month_format="slash", date_format="slash"),
    "2020-03": FileStyle(date_format="compact", thousands=True),
    "2020-04": FileStyle(ext="xlsx", month_format="chinese", title="东社镇固定资产投资项目月报 2020年4月"),
    "2020-05": FileStyle(empty_as_dash=True, thousands=True),
    "2020-06": FileStyle(month_format="compact", date_format="chinese"),
    "2020-09": FileStyle(date_format="slash"),
    "2020-12": FileStyle(month_format="chinese", date_format="chinese", thousands=True, empty_as_dash=True),
}


def generate(out_dir: Path) -> list[dict]:
    """Write ``out_dir/investment_monthly/<month>``; returns the records as the pipeline should read them."""
    rng = source_rng(SOURCE)
    projects = investment_projects()
    assign_project_codes(projects, rng)
    rows = simulate_rows(projects, rng)
    calibrate(rows)
    records = [investment_record(r) for r in rows]
    write_monthly_files(out_dir / SOURCE, records, COLUMNS, INVESTMENT_STYLES, investment_cell)
    print_roles(f"{SOURCE} special roles:", [(f"{p.code} {p.name}", p.role) for p in projects if p.role])
    return records


def assign_project_codes(projects: list[Project], rng: random.Random) -> None:
    """Codes like the national 投资项目统一代码: year-320612-division-type-serial.

    Type 03 = filed by an enterprise (备案), 01 = approved public project (审批).
    """
    usccs = enterprise_usccs()
    taken_codes: set[str] = set()
    taken_usccs = set(usccs.values())
    new_owners: dict[str, str] = {}
    for p in projects:
        first_date = p.sign or p.start
        year = p.code_year or int(min(first_date[:4], p.first_month()[:4]))
        kind = "01" if p.owner is None else "03"
        while True:
            code = f"{year}-320612-{p.industry[:2]}-{kind}-{rng.randint(100000, 999999)}"
            if code not in taken_codes:
                taken_codes.add(code)
                break
        p.code = code
        if p.owner is None:
            p.owner_uscc = None
        elif p.owner.startswith("new:"):
            if p.owner not in new_owners:
                new_owners[p.owner] = make_uscc(rng, taken_usccs, modern=True)
            p.owner_uscc = new_owners[p.owner]
        else:
            p.owner_uscc = usccs[p.owner]


def investment_record(row: InvestmentRow) -> dict:
    """The row as the pipeline should read it: English names, canonical values."""
    p = row.project
    return {
        "stat_month": row.month,
        "project_code": p.code,
        "project_name": p.name,
        "owner_uscc": p.owner_uscc,
        "industry_code": p.industry,
        "construction_type": p.kind,
        "planned_investment": row.attrs["planned_investment"],
        "completed_investment": Decimal(row.units).scaleb(-2),
        "land_area_mu": row.attrs["land_area_mu"],
        "sign_date": row.attrs["sign_date"],
        "start_date": row.attrs["start_date"],
        "completion_date": row.attrs["completion_date"],
    }


def investment_cell(rec: dict, name: str, style: FileStyle):
    value = rec[name]
    if name == "stat_month":
        return format_month(value, style)
    if name == "construction_type":
        return value if style.english_headers else CONSTRUCTION_TYPES[value]
    if name in INVESTMENT_DATES:
        return format_date(value, style)
    if value is None or (name == "completed_investment" and value == 0 and style.empty_as_dash):
        return "—" if style.empty_as_dash else None
    if name in ("planned_investment", "completed_investment"):
        return float(value) if style.ext == "xlsx" else format_amount(value, 2, style)
    if name == "land_area_mu":
        return float(value) if style.ext == "xlsx" else str(value)
    return value
