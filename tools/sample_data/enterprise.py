"""enterprise_monthly (规上工业企业月报): the town's enterprises, month by month.

Who the enterprises are and how each month's file is spelled; their figures come from
``enterprise_model`` (simulated, then calibrated to the seed targets).
"""
from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

from tools.sample_data.common import MONTHS, make_uscc, print_roles, source_rng
from tools.sample_data.enterprise_model import (AMOUNT_DECIMALS, EnterpriseRow, Firm, calibrate_2019,
                                                calibrate_2020, simulate_rows)
from tools.sample_data.files import FileStyle, format_amount, format_month, write_table

SOURCE = "enterprise_monthly"
COLUMNS = [  # (English name, Chinese header)
    ("stat_month", "统计年月"),
    ("uscc", "统一社会信用代码"),
    ("enterprise_name", "企业名称"),
    ("industry_code", "行业代码"),
    ("is_above_scale", "是否规上"),
    ("gross_output", "工业总产值(千元)"),
    ("taxable_sales", "应税销售额(万元)"),
    ("high_tech_output", "高新技术产业产值(千元)"),
    ("rd_expense", "研发经费支出(千元)"),
    ("employees", "从业人员期末人数"),
]
OPTIONAL_AMOUNTS = ("high_tech_output", "rd_expense")  # empty cell = 0


def enterprise_firms() -> list[Firm]:
    """The town's enterprises. 31 report above scale throughout; the rest play a role."""
    F = Firm
    return [
        # Ordinary manufacturing: textiles and garments dominate the town.
        F("南通金绸纺织有限公司", "1711", 9000, 0.98, high_tech=0.15, rd=0.015),
        F("南通振乾纺织品有限公司", "1712", 4200, 0.96),
        F("南通东社印染有限公司", "1713", 3800, 0.97),
        F("南通华艺家纺有限公司", "1771", 3000, 1.01, rename=("2020-05", "南通华艺家居用品有限公司"),
          role="renamed from 2020-05"),
        F("南通锦程服饰有限公司", "1819", 3300, 0.95),
        F("南通佳美针织服装有限公司", "1829", 2600, 0.99),
        F("南通春和旅游用品有限公司", "1923", 2900, 1.02),
        F("南通弘通金属制品有限公司", "3360", 3100, 1.02, recode=("2020-01", "3311"),
          role="industry code 3360 -> 3311 from 2020-01"),
        F("南通宏达钢结构有限公司", "3311", 4500, 1.04),
        F("南通浩诚门窗有限公司", "3312", 2700, 1.05),
        F("南通鑫源钢材有限公司", "3130", 6500, 1.00),
        F("南通恒力数控机床有限公司", "3421", 3600, 1.06, high_tech=0.35),
        F("南通通润液压机械有限公司", "3444", 3000, 1.04, high_tech=0.30),
        F("南通永盛塑业有限公司", "2922", 2800, 1.01),
        F("南通美嘉塑料制品有限公司", "2927", 2200, 0.98),
        F("南通森联家具有限公司", "2110", 2500, 0.97),
        F("南通瑞丰汽车零部件有限公司", "3670", 4800, 1.05, high_tech=0.20),
        F("南通明辉照明电器有限公司", "3872", 2300, 1.00),
        F("南通东杰精密机械有限公司", "3484", 2600, 1.03),
        F("南通金鼎建材有限公司", "3021", 2400, 0.99),
        F("南通通达纸制品有限公司", "2231", 2300, 1.00),
        # High-tech manufacturing classes: most of the high-tech output and R&D.
        F("南通莱仕达光电科技有限公司", "3976", 21000, 1.12, high_tech=0.90, rd=0.016),
        F("南通海天生物制药有限公司", "2761", 16000, 1.15, high_tech=0.92, rd=0.020),
        F("南通康瑞医药有限公司", "2720", 9000, 1.08, high_tech=0.88, rd=0.016),
        F("南通博康医疗器械有限公司", "3581", 8000, 1.20, high_tech=0.85, rd=0.014),
        F("南通芯通微电子有限公司", "3973", 12000, 1.15, high_tech=0.90, rd=0.020),
        F("南通讯联通信设备有限公司", "3921", 7000, 1.10, high_tech=0.85, rd=0.014),
        F("南通智控自动化仪表有限公司", "4011", 5500, 1.09, high_tech=0.80, rd=0.014),
        F("南通和泰药业有限公司", "2710", 6000, 1.06, high_tech=0.85, rd=0.011),
        F("南通百草堂药业有限公司", "2740", 5000, 1.05, high_tech=0.80),
        F("南通光普光电有限公司", "3976", 4500, 1.10, high_tech=0.85),
        # Special roles.
        F("南通卡旭厨房设备有限公司", "3854", 2400, 1.50, rd=0.030, scale="from:2020-03",
          role="below scale 2019..2020-02, above from 2020-03 (2019 rows are its YoY base; "
               "Jan-Feb 2020 R&D not counted)"),
        F("南通曜华医疗科技有限公司", "3581", 6000, high_tech=0.90, first="2020-01", modern=True,
          role="no rows in 2019, above scale from 2020-01 (no YoY base)"),
        F("南通宏仁气体有限公司", "2619", 1500, 0.70, rd=0.020, scale="until:2020-03",
          rd_from="2020-04",
          role="above scale 2019..2020-03, below from 2020-04 (R&D only in below-scale months)"),
        F("南通恒泰化工有限公司", "2614", 2800, last="2019-08",
          role="closed: last row 2019-08"),
        F("南通利民五金制品有限公司", "3351", 900, scale="never", modern=True,
          role="below scale in every month"),
        F("南通巧手服饰加工有限公司", "1819", 700, scale="never", modern=True,
          role="below scale in every month"),
        F("南通精研传感技术有限公司", "4021", 600, 1.20, high_tech=0.60, rd=0.060, scale="never",
          modern=True, role="below scale in every month, with R&D and high-tech output"),
    ]



# How each month's file is spelled: every spelling the file contract allows appears,
# and H1 2020 (the months the targets depend on) carries most of them.
ENTERPRISE_STYLES = {
    "2019-02": FileStyle(month_format="compact", bools=("Y", "N")),
    "2019-03": FileStyle(encoding="utf-8-sig", month_format="slash"),
    "2019-04": FileStyle(month_format="chinese", bools=("1", "0"), thousands=True),
    "2019-05": FileStyle(english_headers=True, bools=("true", "false")),
    "2019-06": FileStyle(empty_as_dash=True),
    "2019-09": FileStyle(month_format="compact", bools=("Y", "N"), thousands=True),
    "2019-12": FileStyle(month_format="chinese", empty_as_dash=True),
    "2020-01": FileStyle(encoding="utf-8-sig", month_format="chinese", empty_as_dash=True),
    "2020-02": FileStyle(month_format="compact", bools=("Y", "N"), thousands=True, remarks=True),
    "2020-03": FileStyle(encoding="gbk", month_format="slash", empty_as_dash=True),
    "2020-04": FileStyle(english_headers=True, bools=("true", "false")),
    "2020-05": FileStyle(bools=("1", "0"), thousands=True),
    "2020-06": FileStyle(ext="xlsx", month_format="chinese",
                         title="东社镇规上工业企业月报 2020年6月"),
    "2020-09": FileStyle(month_format="slash", bools=("Y", "N")),
    "2020-12": FileStyle(month_format="chinese", thousands=True, empty_as_dash=True),
}
REMARKS_2020_02 = ["2月10日复工", "2月17日起逐步复工", "受疫情影响停产至2月下旬", "复工率约六成"]


def generate(out_dir: Path) -> list[dict]:
    """Write ``out_dir/enterprise_monthly/<month>``; returns the records as the pipeline should read them."""
    rng = source_rng(SOURCE)
    firms = enterprise_firms()
    assign_usccs(firms, rng)
    rows = simulate_rows(firms, rng)
    calibrate_2020(rows)
    calibrate_2019(rows)
    records = [enterprise_record(r) for r in rows]
    write_files(out_dir / SOURCE, records, rng)
    print_roles(f"{SOURCE} special roles:", [(f.name, f.role) for f in firms if f.role])
    return records


def assign_usccs(firms: list[Firm], rng: random.Random) -> None:
    # The first draws of the enterprise stream; enterprise_usccs() replays them.
    taken: set[str] = set()
    for firm in firms:
        firm.uscc = make_uscc(rng, taken, firm.modern)


def enterprise_usccs() -> dict[str, str]:
    """Enterprise name -> uscc, as generate() assigns them (for other sources' owner codes)."""
    firms = enterprise_firms()
    assign_usccs(firms, source_rng(SOURCE))
    return {f.name: f.uscc for f in firms}


def enterprise_record(row: EnterpriseRow) -> dict:
    """The row as the pipeline should read it: English names, canonical values."""
    record = {
        "stat_month": row.month,
        "uscc": row.firm.uscc,
        "enterprise_name": row.firm.name_in(row.month),
        "industry_code": row.firm.industry_in(row.month),
        "is_above_scale": row.above,
        "employees": row.employees,
    }
    for measure, places in AMOUNT_DECIMALS.items():
        record[measure] = Decimal(row.units[measure]).scaleb(-places)
    return record


def write_files(source_dir: Path, records: list[dict], rng: random.Random) -> None:
    # Not files.write_monthly_files: the extra column's remarks are drawn row by row from the stream.
    for month in MONTHS:
        style = ENTERPRISE_STYLES.get(month, FileStyle())
        header = [en if style.english_headers else zh for en, zh in COLUMNS]
        if style.remarks:
            header.append("备注")
        lines = []
        for rec in (r for r in records if r["stat_month"] == month):
            line = [enterprise_cell(rec, name, style) for name, _ in COLUMNS]
            if style.remarks:
                line.append(rng.choice(REMARKS_2020_02) if rng.random() < 0.3 else "")
            lines.append(line)
        write_table(source_dir / month, header, lines, style)


def enterprise_cell(rec: dict, name: str, style: FileStyle):
    value = rec[name]
    if name == "stat_month":
        return format_month(value, style)
    if name == "is_above_scale":
        return style.bools[0] if value else style.bools[1]
    if name in OPTIONAL_AMOUNTS and value == 0:
        return "—" if style.empty_as_dash else None
    if name in AMOUNT_DECIMALS:
        # XLSX gets real numeric cells; CSV gets text in the file's spelling.
        return float(value) if style.ext == "xlsx" else format_amount(value, AMOUNT_DECIMALS[name], style)
    return value
