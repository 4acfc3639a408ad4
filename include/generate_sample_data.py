#!/usr/bin/env python
"""Deterministic sample data for the 东社镇 (南通市通州区) industry pipeline.

Usage:
    python include/generate_sample_data.py [--out DIR]

Writes ``DIR/<source>/<YYYY-MM>.csv|.xlsx`` for every month 2019-01 … 2020-12
(default DIR: ``include/data`` next to this script), then re-computes the
half-year KPIs from the generated rows and asserts that they hit the figures
in ``spec/SEED_TARGETS.md``.

The files are deliberately messy in the ways ``spec/SOURCES.md`` says real
files are (GBK, BOM, XLSX with a title row, English headers, several month and
boolean spellings, thousands separators, "—" for empty cells, an extra
column), so the readers are exercised too.

Adding a source: write a function ``<source>(out_dir) -> rows`` that uses the
shared helpers below (``FileStyle``, ``write_table``, ``apportion``) and add it
to ``SOURCES``; each source draws from its own random stream, so adding one
does not change the data of the others.
"""
from __future__ import annotations

import argparse
import csv
import datetime
import io
import math
import random
import sys
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

SCRIPT_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(SCRIPT_DIR.parent / "plugins"))
from town_industry.codes import USCC_CHARSET, is_valid_uscc, uscc_check_char  # noqa: E402

SEED = 20200716  # the day the seed report was given; any fixed value would do
MONTHS = [f"{y}-{m:02d}" for y in (2019, 2020) for m in range(1, 13)]
H1_2020 = MONTHS[12:18]


# ---------------------------------------------------------------------------
# Shared helpers: months, numbers, rounding, file writing
# ---------------------------------------------------------------------------

def year_earlier(month: str) -> str:
    return f"{int(month[:4]) - 1}{month[4:]}"


def month_in(month: str, first: str, last: str) -> bool:
    # 'YYYY-MM' strings sort chronologically, so plain comparison works.
    return first <= month <= last


def source_rng(source: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random, independent of
    # PYTHONHASHSEED, so every source gets a stable stream of its own.
    return random.Random(f"{SEED}:{source}")


def apportion(weights: list[float], total: int, caps: list[int] | None = None) -> list[int]:
    """Integers proportional to ``weights`` that sum to exactly ``total``.

    Largest-remainder rounding: this is how a target sum survives rounding
    every row to the file's precision. A part never exceeds its cap (used to
    keep high_tech_output <= gross_output); capped parts are pinned and the
    rest is shared again among the others.
    """
    n = len(weights)
    pinned: dict[int, int] = {}
    while True:
        free = [i for i in range(n) if i not in pinned]
        remaining = total - sum(pinned.values())
        weight_sum = sum(weights[i] for i in free)
        shares = {i: weights[i] * remaining / weight_sum for i in free}
        # "- 1": a share may still be rounded up by one unit below.
        over = [i for i in free if caps is not None and shares[i] > caps[i] - 1]
        if not over:
            break
        for i in over:
            pinned[i] = caps[i]
    parts = {i: math.floor(shares[i]) for i in free}
    leftover = remaining - sum(parts.values())
    by_remainder = sorted(free, key=lambda i: (parts[i] - shares[i], i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    parts.update(pinned)
    result = [parts[i] for i in range(n)]
    assert sum(result) == total and min(result) >= 0
    return result


@dataclass(frozen=True)
class FileStyle:
    """How one delivered file is spelled. Defaults = plain UTF-8 CSV, Chinese headers."""

    ext: str = "csv"                  # csv or xlsx
    encoding: str = "utf-8"           # utf-8, utf-8-sig (BOM) or gbk
    english_headers: bool = False
    month_format: str = "dash"        # dash 2020-06, compact 202006, slash 2020/6, chinese 2020年6月
    bools: tuple[str, str] = ("是", "否")
    thousands: bool = False           # 1,234.5 (the CSV writer quotes such fields)
    empty_as_dash: bool = False       # optional amounts of 0 written as "—" instead of ""
    remarks: bool = False             # extra column 备注 that readers must ignore
    title: str | None = None          # XLSX title row above the header


def format_month(month: str, style: FileStyle) -> str:
    year, mon = month[:4], int(month[5:])
    return {
        "dash": f"{year}-{mon:02d}",
        "compact": f"{year}{mon:02d}",
        "slash": f"{year}/{mon}",
        "chinese": f"{year}年{mon}月",
    }[style.month_format]


def format_amount(value: Decimal, places: int, style: FileStyle) -> str:
    return f"{value:,.{places}f}" if style.thousands else f"{value:.{places}f}"


def write_table(base_path: Path, header: list[str], rows: list[list], style: FileStyle) -> Path:
    """Write one month's file; returns its path. Removes a stale file of the other format."""
    base_path.parent.mkdir(parents=True, exist_ok=True)
    for ext in ("csv", "xlsx"):
        if ext != style.ext:
            base_path.with_suffix(f".{ext}").unlink(missing_ok=True)
    path = base_path.with_suffix(f".{style.ext}")
    if style.ext == "xlsx":
        write_xlsx(path, header, rows, style.title)
    else:
        write_csv(path, header, rows, style.encoding)
    return path


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str) -> None:
    # newline="" lets the csv module write its own CRLF, as Excel does.
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


# Fixed timestamps so an XLSX is byte-identical from run to run.
XLSX_TIMESTAMP = datetime.datetime(2020, 7, 10, 9, 0, 0)


def write_xlsx(path: Path, header: list[str], rows: list[list], title: str | None) -> None:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    first_row = 1
    if title:
        ws.cell(row=1, column=1, value=title)
        first_row = 3  # title, an empty row, then the header
    for c, name in enumerate(header, start=1):
        ws.cell(row=first_row, column=c, value=name)
    for r, row in enumerate(rows, start=first_row + 1):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)

    wb.properties.creator = "东社镇统计站"
    wb.properties.created = XLSX_TIMESTAMP
    wb.properties.modified = XLSX_TIMESTAMP
    # openpyxl's save_workbook() stamps "modified" with the current time, so
    # use its ExcelWriter directly, then re-pack the zip with fixed entry times
    # (zipfile stamps each entry with the current local time otherwise).
    buffer = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for entry in src.infolist():
            fixed = zipfile.ZipInfo(entry.filename, date_time=XLSX_TIMESTAMP.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(entry.filename))


def make_uscc(rng: random.Random, taken: set[str], modern: bool) -> str:
    """A USCC of a company registered in 通州区 (320612).

    Characters 9-17 are the organisation code: 8 digits for older firms, 'MA…'
    for firms registered after 2015, plus its GB 11714 check character, so the
    codes look like real ones; the 18th is the GB 32100 check character.
    """
    while True:
        if modern:
            body = "MA1" + "".join(rng.choice(USCC_CHARSET) for _ in range(5))
        else:
            body = str(rng.randint(1, 7)) + "".join(rng.choice("0123456789") for _ in range(7))
        first17 = "91320612" + body + org_code_check_char(body)
        code = first17 + uscc_check_char(first17)
        if code not in taken:
            taken.add(code)
            return code


def org_code_check_char(body: str) -> str:
    # GB 11714: weights 3 7 9 10 5 8 4 2; letters count 10 (A) upward.
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


# ---------------------------------------------------------------------------
# enterprise_monthly — 规上工业企业月报
# ---------------------------------------------------------------------------

ENTERPRISE_COLUMNS = [  # (English name, Chinese header, decimals for amounts)
    ("stat_month", "统计年月", None),
    ("uscc", "统一社会信用代码", None),
    ("enterprise_name", "企业名称", None),
    ("industry_code", "行业代码", None),
    ("is_above_scale", "是否规上", None),
    ("gross_output", "工业总产值(千元)", 1),
    ("taxable_sales", "应税销售额(万元)", 2),
    ("high_tech_output", "高新技术产业产值(千元)", 1),
    ("rd_expense", "研发经费支出(千元)", 1),
    ("employees", "从业人员期末人数", None),
]
AMOUNT_DECIMALS = {name: d for name, _, d in ENTERPRISE_COLUMNS if d is not None}
OPTIONAL_AMOUNTS = ("high_tech_output", "rd_expense")  # empty cell = 0

# Targets for 2020H1 (spec/SEED_TARGETS.md), in file units.
TARGET_GROSS_H1 = 12_100_000        # 0.1 千元 units = 1,210,000.0 千元 = 121,000 万元
TARGET_HIGH_TECH_H1 = 6_700_000     # 0.1 千元 units = 670,000.0 千元 = 67,000 万元
TARGET_RD_H1 = 97_000               # 0.1 千元 units = 9,700.0 千元 = 970 万元
TARGET_SALES_2020 = {               # 0.01 万元 units; Jan–Jun sum to 92,600 万元, April 13,800
    "2020-01": 1_580_000, "2020-02": 860_000, "2020-03": 1_330_000,
    "2020-04": 1_380_000, "2020-05": 1_950_000, "2020-06": 2_160_000,
}
GROSS_YOY_H1 = 2.0                  # comparable-basis %, exact over the half-year
HIGH_TECH_YOY_H1 = 12.5

# Comparable-basis YoY per calendar month (%). Sales: exact per month (a Q1
# fall with the COVID trough in February, growth from April). Gross and
# high-tech: only the monthly shape; the half-year total is then made exact.
SALES_YOY = [-4.5, -28.0, -8.9, 3.2, 6.1, 8.4, 7.2, 8.0, 9.1, 7.6, 8.8, 9.5]
GROSS_YOY = [-1.0, -18.0, -2.0, 7.0, 9.0, 10.0, 6.0, 7.0, 8.0, 7.0, 8.0, 9.0]
HIGH_TECH_YOY = [8.0, -5.0, 10.0, 16.0, 18.0, 20.0, 14.0, 15.0, 16.0, 15.0, 16.0, 18.0]

# 2020 activity by month relative to a normal month: H1 follows the sales
# targets (Spring Festival, then the February shutdown), H2 a steady recovery.
SEASON_2020 = [1.024, 0.557, 0.862, 0.894, 1.264, 1.400, 1.28, 1.25, 1.33, 1.27, 1.33, 1.45]


@dataclass
class Firm:
    name: str
    industry: str
    level: float                 # gross output in a normal month of 2020, 千元 (before calibration)
    trend: float = 1.03          # 2020 / 2019 output, before calibration
    high_tech: float = 0.0       # share of output that is high-tech product
    rd: float = 0.0              # R&D spend / gross output
    scale: str = "always"        # always | never | from:YYYY-MM | until:YYYY-MM
    first: str = "2019-01"       # first and last month with a row
    last: str = "2020-12"
    rd_from: str = "2019-01"     # R&D spend only from this month
    rename: tuple[str, str] | None = None   # (month, new name)
    recode: tuple[str, str] | None = None   # (month, new industry code)
    role: str = ""               # special role, for the summary printed at the end
    modern: bool = False         # registered after 2015 ('MA' organisation code)
    uscc: str = ""

    def above_scale(self, month: str) -> bool:
        kind, _, since = self.scale.partition(":")
        return {"always": True, "never": False,
                "from": month >= since, "until": month <= since}[kind]

    def name_in(self, month: str) -> str:
        return self.rename[1] if self.rename and month >= self.rename[0] else self.name

    def industry_in(self, month: str) -> str:
        return self.recode[1] if self.recode and month >= self.recode[0] else self.industry


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
        F("南通锦程服饰有限公司", "1810", 3300, 0.95),
        F("南通佳美针织服装有限公司", "1820", 2600, 0.99),
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
        F("南通巧手服饰加工有限公司", "1810", 700, scale="never", modern=True,
          role="below scale in every month"),
        F("南通精研传感技术有限公司", "4021", 600, 1.20, high_tech=0.60, rd=0.060, scale="never",
          modern=True, role="below scale in every month, with R&D and high-tech output"),
    ]


# How each month's file is spelled: every variant in spec/SOURCES.md appears,
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
MISSING_EMPLOYEES = ("2020-05", "南通春和旅游用品有限公司")  # one empty employees cell
REMARKS_2020_02 = ["2月10日复工", "2月17日起逐步复工", "受疫情影响停产至2月下旬", "复工率约六成"]


@dataclass
class EnterpriseRow:
    month: str
    firm: Firm
    model: dict[str, float]                                 # unrounded model values
    units: dict[str, int] = field(default_factory=dict)     # final values in file units
    employees: int | None = None

    @property
    def above(self) -> bool:
        return self.firm.above_scale(self.month)


def enterprise_monthly(out_dir: Path) -> list[dict]:
    rng = source_rng("enterprise_monthly")
    firms = enterprise_firms()
    taken: set[str] = set()
    for firm in firms:
        firm.uscc = make_uscc(rng, taken, firm.modern)
    rows = simulate_enterprise_rows(firms, rng)
    calibrate_2020(rows)
    calibrate_2019(rows)
    records = [enterprise_record(r) for r in rows]
    write_enterprise_files(out_dir / "enterprise_monthly", records, rng)
    return records


def simulate_enterprise_rows(firms: list[Firm], rng: random.Random) -> list[EnterpriseRow]:
    """Unrounded model values: firm size x season x noise.

    2019 is drawn flat (level / trend); calibrate_2019 later gives it the
    seasonal shape the 2020 growth rates imply.
    """
    rows = []
    sales_ratio = {f.uscc: rng.uniform(0.68, 0.86) for f in firms}  # 万元 sales per 10 千元 output
    productivity = {f.uscc: (38 if f.high_tech >= 0.8 else 22) * rng.uniform(0.9, 1.1) for f in firms}
    for firm in firms:
        for month in MONTHS:
            if not month_in(month, firm.first, firm.last):
                continue
            if month < "2020":
                gross = firm.level / firm.trend * rng.uniform(0.93, 1.07)
            else:
                gross = firm.level * SEASON_2020[int(month[5:]) - 1] * rng.uniform(0.94, 1.06)
            model = {
                "gross_output": gross,
                "taxable_sales": gross / 10 * sales_ratio[firm.uscc] * rng.uniform(0.95, 1.05),
                "high_tech_output": gross * min(0.97, firm.high_tech * rng.uniform(0.97, 1.03)),
                "rd_expense": gross * firm.rd * rng.uniform(0.8, 1.2) if month >= firm.rd_from else 0.0,
            }
            staff = firm.level / productivity[firm.uscc]
            if month < "2020":
                staff /= firm.trend ** 0.5
            row = EnterpriseRow(month, firm, model)
            row.employees = max(8, round(staff * rng.uniform(0.97, 1.03)))
            if (month, firm.name) == MISSING_EMPLOYEES:
                row.employees = None
            rows.append(row)
    return rows


def calibrate_2020(rows: list[EnterpriseRow]) -> None:
    """Scale 2020 so that the in-scope H1 sums are exactly the targets.

    One factor per measure (per month for sales) is applied to every 2020 row,
    so out-of-scope rows and H2 stay in proportion; the in-scope H1 rows are
    then apportioned so their rounded values add up to the target exactly.
    """
    rows_2020 = [r for r in rows if r.month >= "2020"]
    in_h1 = [r for r in rows_2020 if r.month in H1_2020 and r.above]

    def scale_and_round(measure: str, factor_by_month: dict[str, float], exact: list[tuple[list, int]],
                        caps_from: str | None = None) -> None:
        unit = 10 ** AMOUNT_DECIMALS[measure]
        for r in rows_2020:
            value = r.model[measure] * factor_by_month[r.month] * unit
            r.units[measure] = min(round(value), r.units[caps_from]) if caps_from else round(value)
        for group, total in exact:
            caps = [r.units[caps_from] for r in group] if caps_from else None
            parts = apportion([r.model[measure] for r in group], total, caps)
            for r, part in zip(group, parts):
                r.units[measure] = part

    def single_factor(measure: str, total_units: int) -> dict[str, float]:
        unit = 10 ** AMOUNT_DECIMALS[measure]
        factor = total_units / unit / sum(r.model[measure] for r in in_h1)
        return {m: factor for m in MONTHS}

    scale_and_round("gross_output", single_factor("gross_output", TARGET_GROSS_H1),
                    [(in_h1, TARGET_GROSS_H1)])
    scale_and_round("high_tech_output", single_factor("high_tech_output", TARGET_HIGH_TECH_H1),
                    [([r for r in in_h1 if r.model["high_tech_output"] > 0], TARGET_HIGH_TECH_H1)],
                    caps_from="gross_output")
    scale_and_round("rd_expense", single_factor("rd_expense", TARGET_RD_H1),
                    [([r for r in in_h1 if r.model["rd_expense"] > 0], TARGET_RD_H1)])

    # Sales: a factor per H1 month (each month has its own target); H2 uses their mean.
    sales_factor, groups = {}, []
    for month, total in TARGET_SALES_2020.items():
        group = [r for r in in_h1 if r.month == month]
        sales_factor[month] = total / 100 / sum(r.model["taxable_sales"] for r in group)
        groups.append((group, total))
    mean_factor = sum(sales_factor.values()) / len(sales_factor)
    sales_factor.update({m: mean_factor for m in MONTHS if m not in sales_factor})
    scale_and_round("taxable_sales", sales_factor, groups)


def calibrate_2019(rows: list[EnterpriseRow]) -> None:
    """Give 2019 the values that the 2020 comparable-basis growth rates imply.

    The comparison base of month m is the 2019 row of every uscc whose 2020
    row of month m is in scope, whatever that 2019 row's own scale flag. Its
    sum is set to (2020 sum) / (1 + growth); the other 2019 rows of the month
    get the same scaling, so they stay consistent with their neighbours.
    """
    by_key = {(r.firm.uscc, r.month): r for r in rows}
    pairs: dict[str, list[tuple[EnterpriseRow, EnterpriseRow]]] = {m: [] for m in MONTHS[:12]}
    for r in rows:
        if r.month >= "2020" and r.above and (r.firm.uscc, year_earlier(r.month)) in by_key:
            pairs[year_earlier(r.month)].append((by_key[(r.firm.uscc, year_earlier(r.month))], r))
    rows_2019 = {m: [r for r in rows if r.month == m] for m in MONTHS[:12]}

    calibrate_base(rows_2019, pairs, "gross_output", GROSS_YOY, GROSS_YOY_H1)
    calibrate_base(rows_2019, pairs, "high_tech_output", HIGH_TECH_YOY, HIGH_TECH_YOY_H1,
                   caps_from="gross_output")
    calibrate_base(rows_2019, pairs, "taxable_sales", SALES_YOY)
    # R&D has no growth target: 2019 just gets 2020's model-to-file factor.
    rd_2020 = [r for r in rows if r.month >= "2020" and r.model["rd_expense"] > 0]
    rd_factor = sum(r.units["rd_expense"] for r in rd_2020) / sum(r.model["rd_expense"] for r in rd_2020)
    for month_rows in rows_2019.values():
        for r in month_rows:
            r.units["rd_expense"] = round(r.model["rd_expense"] * rd_factor)


def calibrate_base(rows_2019: dict[str, list[EnterpriseRow]],
                   pairs: dict[str, list[tuple[EnterpriseRow, EnterpriseRow]]],
                   measure: str, monthly_yoy: list[float], h1_yoy: float | None = None,
                   caps_from: str | None = None) -> None:
    """Set one measure of 2019 from the 2020 values and the growth rates.

    Each month's base is sized by ``monthly_yoy``. With ``h1_yoy`` the January–
    June bases are then re-scaled together so the half-year ratio is exact
    (the monthly rates only give the shape); otherwise each month is exact.
    """
    # base_value[m] / model_sum[m] turns the month's model values into file units.
    target = {m: sum(now.units[measure] for _, now in pairs[m]) / (1 + monthly_yoy[int(m[5:]) - 1] / 100)
              for m in rows_2019}
    exact_groups = [[m] for m in rows_2019]
    if h1_yoy is not None:
        h1 = MONTHS[:6]
        h1_total = sum(now.units[measure] for m in h1 for _, now in pairs[m]) / (1 + h1_yoy / 100)
        correction = h1_total / sum(target[m] for m in h1)
        for m in h1:
            target[m] *= correction
        exact_groups = [h1] + [[m] for m in MONTHS[6:12]]

    factor = {}
    for m in rows_2019:
        model_sum = sum(base.model[measure] for base, _ in pairs[m])
        factor[m] = target[m] / model_sum if model_sum else 0.0
        for r in rows_2019[m]:
            value = round(r.model[measure] * factor[m])
            r.units[measure] = min(value, r.units[caps_from]) if caps_from else value
    for months in exact_groups:
        group = [base for m in months for base, _ in pairs[m] if base.model[measure] > 0]
        total = round(sum(target[m] for m in months))
        weights = [base.model[measure] * factor[base.month] for base in group]
        caps = [base.units[caps_from] for base in group] if caps_from else None
        for base, part in zip(group, apportion(weights, total, caps)):
            base.units[measure] = part


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


def write_enterprise_files(source_dir: Path, records: list[dict], rng: random.Random) -> None:
    for month in MONTHS:
        style = ENTERPRISE_STYLES.get(month, FileStyle())
        header = [en if style.english_headers else zh for en, zh, _ in ENTERPRISE_COLUMNS]
        if style.remarks:
            header.append("备注")
        lines = []
        for rec in (r for r in records if r["stat_month"] == month):
            line = [enterprise_cell(rec, name, style) for name, _, _ in ENTERPRISE_COLUMNS]
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


# ---------------------------------------------------------------------------
# Self-check: re-compute the KPIs from the records, per spec/KPIS.md
# ---------------------------------------------------------------------------

def check_enterprise_rules(records: list[dict]) -> None:
    """No file may contain an error per spec/SOURCES.md."""
    seen: set[tuple[str, str]] = set()
    for r in records:
        key = (r["stat_month"], r["uscc"])
        assert key not in seen, f"duplicate uscc {key}"
        seen.add(key)
        assert is_valid_uscc(r["uscc"]), r["uscc"]
        assert len(r["industry_code"]) == 4 and r["industry_code"].isdigit(), r
        assert r["enterprise_name"] and r["stat_month"] in MONTHS, r
        assert all(r[m] >= 0 for m in AMOUNT_DECIMALS), r
        assert r["high_tech_output"] <= r["gross_output"], r


def comparable_yoy(records: list[dict], measure: str, months: list[str]) -> float | None:
    """KPIS.md comparable basis: in-scope rows of ``months`` that have a row a year earlier."""
    earlier = {(r["uscc"], r["stat_month"]): r for r in records}
    now = before = Decimal(0)
    for r in records:
        if r["stat_month"] in months and r["is_above_scale"]:
            prior = earlier.get((r["uscc"], year_earlier(r["stat_month"])))
            if prior is not None:
                now += r[measure]
                before += prior[measure]
    return None if before == 0 else float((now / before - 1) * 100)


def in_scope_sum(records: list[dict], measure: str, months: list[str]) -> Decimal:
    return sum((r[measure] for r in records if r["stat_month"] in months and r["is_above_scale"]),
               Decimal(0))


def fmt(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{float(value):,.4f}"


def check_enterprise_targets(records: list[dict]) -> None:
    check_enterprise_rules(records)
    p = H1_2020
    wan = Decimal(10)  # 千元 per 万元
    monthly_yoy = {m: comparable_yoy(records, "taxable_sales", [m]) for m in MONTHS[12:]}
    rd_by_uscc: dict[str, Decimal] = {}
    for r in records:
        if r["stat_month"] in p and r["is_above_scale"]:
            rd_by_uscc[r["uscc"]] = rd_by_uscc.get(r["uscc"], Decimal(0)) + r["rd_expense"]

    # sales_turnaround_month / sales_positive_streak_months (Dec 2019 has no base: None).
    turnaround = None
    for m in range(1, 7):
        prev = monthly_yoy.get(f"2020-{m - 1:02d}") if m > 1 else None
        cur = monthly_yoy[f"2020-{m:02d}"]
        if cur is not None and cur > 0 and prev is not None and prev <= 0:
            turnaround = m
    streak = 0
    for m in reversed(p):
        if monthly_yoy[m] is None or monthly_yoy[m] <= 0:
            break
        streak += 1

    figures = [  # (kpi, value, low, high) — accepted: low <= value < high
        ("above_scale_enterprises",
         len({r["uscc"] for r in records if r["stat_month"] == "2020-06" and r["is_above_scale"]}), 33, 34),
        ("taxable_sales", in_scope_sum(records, "taxable_sales", p), 92550, 92650),
        ("taxable_sales 2020-04", in_scope_sum(records, "taxable_sales", ["2020-04"]), 13750, 13850),
        ("sales_turnaround_month", turnaround, 4, 5),
        ("sales_positive_streak_months", streak, 3, 4),
        ("gross_output", in_scope_sum(records, "gross_output", p) / wan, 120950, 121050),
        ("gross_output_yoy_pct", comparable_yoy(records, "gross_output", p), 1.95, 2.05),
        ("high_tech_output", in_scope_sum(records, "high_tech_output", p) / wan, 66950, 67050),
        ("high_tech_output_yoy_pct", comparable_yoy(records, "high_tech_output", p), 12.45, 12.55),
        ("rd_active_enterprises", sum(1 for v in rd_by_uscc.values() if v > 0), 10, 11),
        ("rd_expense", in_scope_sum(records, "rd_expense", p) / wan, 969.995, 970.005),
    ]
    print(f"{'2020H1 KPI (enterprise_monthly)':34} {'value':>14}  accepted")
    failures = []
    for kpi, value, low, high in figures:
        ok = value is not None and low <= value < high
        shown = "NULL" if value is None else fmt(value)
        print(f"{kpi:34} {shown:>14}  [{low}, {high}) {'ok' if ok else 'MISS'}")
        if not ok:
            failures.append(kpi)
    print("taxable_sales_yoy_pct by month:",
          " ".join(f"{m[5:]}:{v:+.1f}" for m, v in monthly_yoy.items()))
    h1_sign_ok = all(monthly_yoy[m] < 0 for m in p[:3]) and all(monthly_yoy[m] > 0 for m in MONTHS[15:])
    if not h1_sign_ok:
        failures.append("taxable_sales_yoy_pct signs")
    failures += check_wrong_readings(records)
    assert not failures, f"enterprise_monthly misses its targets: {failures}"


def check_wrong_readings(records: list[dict]) -> list[str]:
    """Plausible misreadings of KPIS.md must NOT hit the targets (the data tells them apart)."""
    p = H1_2020
    above_before = {(r["uscc"], r["stat_month"]) for r in records if r["is_above_scale"]}

    def yoy_needing_scaled_base(measure: str) -> float:  # base row must itself be above scale
        kept = [r for r in records if r["is_above_scale"] and r["stat_month"] in p
                and (r["uscc"], year_earlier(r["stat_month"])) in above_before]
        return comparable_yoy(kept + [r for r in records if r["stat_month"] < "2020"], measure, p)

    def yoy_total_on_total(measure: str) -> float:  # not comparable: all in-scope vs all in-scope
        before = in_scope_sum(records, measure, [year_earlier(m) for m in p])
        return float((in_scope_sum(records, measure, p) / before - 1) * 100)

    all_h1 = [r for r in records if r["stat_month"] in p]
    wrong = [  # (misreading, value, low, high of the real target)
        ("count: all rows of 2020-06", sum(1 for r in records if r["stat_month"] == "2020-06"), 33, 34),
        ("count: in scope in any H1 month", len({r["uscc"] for r in all_h1 if r["is_above_scale"]}), 33, 34),
        ("sales: all rows", float(sum(r["taxable_sales"] for r in all_h1)), 92550, 92650),
        ("gross yoy: base must be above scale", yoy_needing_scaled_base("gross_output"), 1.95, 2.05),
        ("gross yoy: total on total", yoy_total_on_total("gross_output"), 1.95, 2.05),
        ("high-tech yoy: total on total", yoy_total_on_total("high_tech_output"), 12.45, 12.55),
        ("rd active: any row with R&D", len({r["uscc"] for r in all_h1 if r["rd_expense"] > 0}), 10, 11),
        ("rd expense: all rows", float(sum(r["rd_expense"] for r in all_h1) / 10), 969.995, 970.005),
    ]
    print("misreadings of the definitions (each must miss its target):")
    for name, value, low, high in wrong:
        print(f"  {name:36} {fmt(value):>14}  target [{low}, {high})")
    return [f"misreading hits target: {name}" for name, value, low, high in wrong if low <= value < high]


# ---------------------------------------------------------------------------

SOURCES = {  # source name -> (generator, self-check)
    "enterprise_monthly": (enterprise_monthly, check_enterprise_targets),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=SCRIPT_DIR / "data",
                        help="data directory (default: include/data next to this script)")
    args = parser.parse_args(argv)
    for name, (generate, check) in SOURCES.items():
        records = generate(args.out)
        print(f"{name}: {len(records)} rows in {args.out / name}")
        check(records)


if __name__ == "__main__":
    main()
