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
from town_industry.contracts.codes import (  # noqa: E402
    USCC_CHARSET, id_check_char, is_valid_id_number, is_valid_uscc, uscc_check_char)

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
    date_format: str = "dash"         # dash 2020-06-03, slash 2020/6/3, chinese 2020年6月3日, compact 20200603
                                      # (XLSX files always get real date cells)


def format_month(month: str, style: FileStyle) -> str:
    year, mon = month[:4], int(month[5:])
    return {
        "dash": f"{year}-{mon:02d}",
        "compact": f"{year}{mon:02d}",
        "slash": f"{year}/{mon}",
        "chinese": f"{year}年{mon}月",
    }[style.month_format]


def format_date(value: datetime.date | None, style: FileStyle):
    if value is None:
        return "—" if style.empty_as_dash else None
    if style.ext == "xlsx":
        return value  # a real Excel date cell
    return {
        "dash": value.isoformat(),
        "compact": value.strftime("%Y%m%d"),
        "slash": f"{value.year}/{value.month}/{value.day}",
        "chinese": f"{value.year}年{value.month}月{value.day}日",
    }[style.date_format]


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
    assign_enterprise_usccs(firms, rng)
    rows = simulate_enterprise_rows(firms, rng)
    calibrate_2020(rows)
    calibrate_2019(rows)
    records = [enterprise_record(r) for r in rows]
    write_enterprise_files(out_dir / "enterprise_monthly", records, rng)
    return records


def assign_enterprise_usccs(firms: list[Firm], rng: random.Random) -> None:
    # The first draws of the enterprise stream; enterprise_usccs() replays them.
    taken: set[str] = set()
    for firm in firms:
        firm.uscc = make_uscc(rng, taken, firm.modern)


def enterprise_usccs() -> dict[str, str]:
    """Enterprise name -> uscc, as enterprise_monthly assigns them (for other sources' owner codes)."""
    firms = enterprise_firms()
    assign_enterprise_usccs(firms, source_rng("enterprise_monthly"))
    return {f.name: f.uscc for f in firms}


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
# Reference data (include/data/reference): industry divisions and high-tech classes
# ---------------------------------------------------------------------------

def read_reference(name: str, column: str) -> frozenset[str]:
    with open(SCRIPT_DIR / "data" / "reference" / name, encoding="utf-8", newline="") as fh:
        return frozenset(row[column] for row in csv.DictReader(fh))


DIVISIONS = read_reference("gbt4754_2017_divisions.csv", "division_code")
HIGH_TECH_CLASSES = read_reference("nbs2017_high_tech_manufacturing.csv", "class_code")


def division_in(code: str, low: int, high: int) -> bool:
    return low <= int(code[:2]) <= high


def is_industrial(code: str) -> bool:      # sections B-D
    return division_in(code, 6, 46)


def is_manufacturing(code: str) -> bool:   # section C
    return division_in(code, 13, 43)


def is_services(code: str) -> bool:        # sections F-T
    return division_in(code, 51, 97)


def month_end(month: str) -> datetime.date:
    year, mon = int(month[:4]), int(month[5:])
    first_next = datetime.date(year + mon // 12, mon % 12 + 1, 1)
    return first_next - datetime.timedelta(days=1)


def add_months(month: str, n: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + n
    return f"{index // 12}-{index % 12 + 1:02d}"


def months_from_to(first: str, last: str) -> list[str]:
    out, m = [], first
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


def as_date(text: str | None) -> datetime.date | None:
    return None if text is None else datetime.date.fromisoformat(text)


def print_roles(title: str, roles: list[tuple[str, str]]) -> None:
    print(title)
    for who, role in roles:
        print(f"  {who:34} {role}")


# ---------------------------------------------------------------------------
# investment_monthly — 固定资产投资项目月报
# ---------------------------------------------------------------------------

INVESTMENT_COLUMNS = [  # (English name, Chinese header)
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
INVESTMENT_DATES = ("sign_date", "start_date", "completion_date")
FAI_THRESHOLD = Decimal(500)         # 万元: smaller projects are outside fixed-asset investment
MAJOR_PROJECT = Decimal(10_000)      # 亿元项目
MAJOR_PROJECT_10BN = Decimal(100_000)

# 2020H1 targets (spec/SEED_TARGETS.md) in 0.01 万元, the files' precision.
TARGET_FAI_H1 = 8_700_000            # 87,000 万元
TARGET_FAI_H1_2019 = 8_397_700       # 83,977 万元: 87,000 / 83,977 - 1 = 3.60 %
TARGET_INDUSTRIAL_H1 = 6_200_000     # 62,000 万元
TARGET_HIGH_TECH_INV_H1 = 1_767_000  # 17,670 万元 = 28.5 % of industrial investment
TARGET_FAI_H2 = {2019: 9_750_000, 2020: 10_120_000}  # not in the seed: plausible second halves

# Building activity by calendar month (winter and Spring Festival slow, year-end push;
# February 2020 is the COVID stop).
INVESTMENT_SEASON = {
    2019: [0.75, 0.55, 1.0, 1.05, 1.1, 1.2, 0.95, 0.95, 1.05, 1.05, 1.1, 1.3],
    2020: [0.95, 0.3, 0.9, 1.15, 1.25, 1.4, 1.05, 1.05, 1.15, 1.15, 1.2, 1.45],
}


@dataclass
class Project:
    name: str                     # the 项目名称 cell; the seed's names for the projects it lists
    industry: str                 # the project's own GB/T 4754-2017 class
    kind: str                     # construction type code
    planned: int                  # 万元 as first reported
    land: str | None              # 亩; None = not given (tech upgrades on existing land, public works)
    sign: str | None              # ISO dates; None = never given
    start: str | None
    completion: str | None        # only dates up to 2020-12
    ends: str = ""                # expected completion month of a project still building at 2020-12
    owner: str | None = None      # enterprise name (its enterprise_monthly uscc), "new:<name>" or None
    share: float = 0.9            # part of the plan spent over the whole construction period
    first: str = ""               # first month listed (default: sign month, 2019-01 for older projects)
    tail: int = 2                 # months still listed after the completion month
    revisions: tuple = ()         # (month, attribute, value): the value from that month's file on
    shown_from: tuple = ()        # (date attribute, month): the date is left empty before that file
    fixed: tuple = ()             # explicit completed investment (month, 万元) instead of the model
    code_year: int = 0
    role: str = ""
    code: str = ""
    owner_uscc: str | None = None

    def first_month(self) -> str:
        if self.first:
            return self.first
        return max(self.sign[:7], "2019-01") if self.sign else "2019-01"

    def last_month(self) -> str:
        return min(add_months(self.completion[:7], self.tail), "2020-12") if self.completion else "2020-12"

    def attributes_in(self, month: str) -> dict:
        attrs = {
            "planned_investment": Decimal(self.planned),
            "land_area_mu": None if self.land is None else Decimal(self.land),
            "sign_date": self.sign, "start_date": self.start, "completion_date": self.completion,
        }
        for since, name, value in self.revisions:
            if month >= since:
                attrs[name] = Decimal(value) if name in ("planned_investment", "land_area_mu") else value
        shown_from = dict(self.shown_from)
        for name in INVESTMENT_DATES:
            value = attrs[name]
            if value is not None and month < shown_from.get(name, value[:7]):
                attrs[name] = None
            else:
                attrs[name] = as_date(value)
        return attrs

    def final_planned(self) -> int:
        values = [self.planned] + [int(v) for _, n, v in self.revisions if n == "planned_investment"]
        return values[-1]


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
        P("锦程服饰智能化改造", "1810", "tech_upgrade", 5_200, None, "2019-09-03", "2019-11-11", "2020-08-21",
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


@dataclass
class InvestmentRow:
    month: str
    project: Project
    attrs: dict
    model: float = 0.0     # unrounded completed investment, 万元
    units: int = 0         # final completed investment, 0.01 万元

    @property
    def counted(self) -> bool:
        return self.attrs["planned_investment"] >= FAI_THRESHOLD


def investment_monthly(out_dir: Path) -> list[dict]:
    rng = source_rng("investment_monthly")
    projects = investment_projects()
    assign_project_codes(projects, rng)
    rows = simulate_investment_rows(projects, rng)
    calibrate_investment(rows)
    records = [investment_record(r) for r in rows]
    write_monthly_files(out_dir / "investment_monthly", records, INVESTMENT_COLUMNS, INVESTMENT_STYLES,
                        investment_cell)
    print_roles("investment_monthly special roles:",
                [(f"{p.code} {p.name}", p.role) for p in projects if p.role])
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


def construction_months(p: Project) -> list[tuple[str, float]]:
    """(month, part of the month under construction) from start to (expected) completion."""
    if p.start is None:
        return []
    end = p.completion or f"{p.ends}-28"
    out = []
    for month in months_from_to(p.start[:7], end[:7]):
        days = month_end(month).day
        part = 1.0
        if month == p.start[:7]:
            part = (days - int(p.start[8:]) + 1) / days
        if month == end[:7]:
            part = min(part, int(end[8:]) / days)
        out.append((month, part))
    return out


def simulate_investment_rows(projects: list[Project], rng: random.Random) -> list[InvestmentRow]:
    """One row per listed month; completed investment follows a bell over the construction period."""
    rows = []
    for p in projects:
        building = construction_months(p)
        weights = {}
        for i, (month, part) in enumerate(building):
            year = min(max(int(month[:4]), 2019), 2020)
            bell = 0.4 + math.sin(math.pi * (i + 0.5) / len(building))
            weights[month] = bell * part * INVESTMENT_SEASON[year][int(month[5:]) - 1]
        total_weight = sum(weights.values())
        fixed = dict(p.fixed)
        for month in months_from_to(p.first_month(), p.last_month()):
            row = InvestmentRow(month, p, p.attributes_in(month))
            if fixed:
                row.model = fixed.get(month, 0.0)
            elif month in weights:
                row.model = p.final_planned() * p.share * weights[month] / total_weight * rng.uniform(0.85, 1.15)
            rows.append(row)
    return rows


def calibrate_investment(rows: list[InvestmentRow]) -> None:
    """Scale completed investment so each half-year's counted rows sum exactly to its target.

    Counted rows (planned >= 500) of 2020H1 form three groups with exact totals
    (high-tech manufacturing, other industrial, non-industrial); every other
    half-year is one group. Rows below the threshold keep their explicit values.
    """
    def group(r: InvestmentRow) -> str:
        if r.month not in H1_2020:
            return r.month[:4] + ("H1" if r.month[5:] <= "06" else "H2")
        code = r.project.industry
        if is_industrial(code):
            return "2020H1 high-tech" if code in HIGH_TECH_CLASSES else "2020H1 other industrial"
        return "2020H1 non-industrial"

    targets = {
        "2019H1": TARGET_FAI_H1_2019,
        "2019H2": TARGET_FAI_H2[2019],
        "2020H1 high-tech": TARGET_HIGH_TECH_INV_H1,
        "2020H1 other industrial": TARGET_INDUSTRIAL_H1 - TARGET_HIGH_TECH_INV_H1,
        "2020H1 non-industrial": TARGET_FAI_H1 - TARGET_INDUSTRIAL_H1,
        "2020H2": TARGET_FAI_H2[2020],
    }
    factors = {}
    for name, total in targets.items():
        members = [r for r in rows if r.counted and r.model > 0 and group(r) == name]
        factors[name] = round(total / 100 / sum(r.model for r in members), 3)
        for r, part in zip(members, apportion([r.model for r in members], total)):
            r.units = part
    for r in rows:
        if not r.counted:
            r.units = round(r.model * 100)
    print("investment_monthly: model-to-file factors", factors)


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


def write_monthly_files(source_dir: Path, records: list[dict], columns, styles: dict, cell) -> None:
    """One file per month: the month's records, each cell spelled the way that month's style says."""
    for month in MONTHS:
        style = styles.get(month, FileStyle())
        header = [en if style.english_headers else zh for en, zh in columns]
        lines = [[cell(rec, name, style) for name, _ in columns]
                 for rec in records if rec["stat_month"] == month]
        write_table(source_dir / month, header, lines, style)


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


# --- Self-check ----------------------------------------------------------------------------------

def check_investment_rules(records: list[dict]) -> None:
    """No error of spec/SOURCES.md in any file, and no over-plan warning."""
    seen: set[tuple[str, str]] = set()
    lifetime: dict[str, Decimal] = {}
    for r in records:
        lifetime[r["project_code"]] = lifetime.get(r["project_code"], Decimal(0)) + r["completed_investment"]
    for r in records:
        key = (r["stat_month"], r["project_code"])
        assert key not in seen, f"duplicate project_code {key}"
        seen.add(key)
        assert len(r["project_code"]) <= 64 and r["project_name"], r
        assert r["owner_uscc"] is None or is_valid_uscc(r["owner_uscc"]), r
        code = r["industry_code"]
        assert len(code) == 4 and code.isdigit() and code[:2] in DIVISIONS, r
        assert r["construction_type"] in CONSTRUCTION_TYPES, r
        assert r["planned_investment"] > 0 and r["completed_investment"] >= 0, r
        assert r["land_area_mu"] is None or r["land_area_mu"] >= 0, r
        dates = [r[d] for d in INVESTMENT_DATES if r[d] is not None]
        assert dates == sorted(dates), f"dates out of order {r}"
        assert all(d <= month_end(r["stat_month"]) for d in dates), f"date after the month {r}"
        # Warning rule: completed investment of all months must not exceed the plan of any month.
        assert lifetime[r["project_code"]] <= r["planned_investment"], \
            f"over plan: {r['project_code']} {lifetime[r['project_code']]} > {r['planned_investment']}"


def project_attributes(records: list[dict], last_month: str, pick: str = "latest") -> dict[str, dict]:
    """Per project, the row of its latest (or, for a misreading, first / overall latest) month."""
    chosen: dict[str, dict] = {}
    for r in sorted(records, key=lambda r: r["stat_month"]):
        if pick != "overall" and r["stat_month"] > last_month:
            continue
        if pick == "first" and r["project_code"] in chosen:
            continue
        chosen[r["project_code"]] = r
    return chosen


def investment_events(records: list[dict], months: list[str], pick: str = "latest") -> dict[str, list[dict]]:
    first_day = datetime.date(int(months[0][:4]), int(months[0][5:]), 1)
    last_day = month_end(months[-1])

    def within(d) -> bool:
        return d is not None and first_day <= d <= last_day

    attrs = project_attributes(records, months[-1], pick).values()
    major = [a for a in attrs if within(a["sign_date"]) and a["planned_investment"] >= MAJOR_PROJECT]
    started = [a for a in attrs if within(a["start_date"])]
    completed = [a for a in attrs if within(a["completion_date"])]
    return {
        "signed_major_projects": major,
        "signed_major_projects_10bn": [a for a in major if a["planned_investment"] >= MAJOR_PROJECT_10BN],
        "signed_major_services_projects": [a for a in major if is_services(a["industry_code"])],
        "manufacturing_projects_started": [a for a in started if is_manufacturing(a["industry_code"])],
        "projects_completed": [a for a in completed if a["construction_type"] != "tech_upgrade"],
        "tech_upgrade_projects_completed": [a for a in completed if a["construction_type"] == "tech_upgrade"],
        "started": started,
    }


def fai_sum(records: list[dict], months: list[str], keep=lambda r: True, threshold=FAI_THRESHOLD) -> Decimal:
    return sum((r["completed_investment"] for r in records if r["stat_month"] in months
                and r["planned_investment"] >= threshold and keep(r)), Decimal(0))


def check_investment_targets(records: list[dict]) -> None:
    check_investment_rules(records)
    p, p_2019 = H1_2020, [year_earlier(m) for m in H1_2020]
    fai = fai_sum(records, p)
    fai_2019 = fai_sum(records, p_2019)
    industrial = fai_sum(records, p, lambda r: is_industrial(r["industry_code"]))
    high_tech = fai_sum(records, p, lambda r: r["industry_code"] in HIGH_TECH_CLASSES)
    events = investment_events(records, p)
    land = sum((a["land_area_mu"] or Decimal(0) for a in events["started"]), Decimal(0))

    figures = [
        ("fixed_asset_investment", fai, 86950, 87050),
        ("fixed_asset_investment_yoy_pct", float((fai / fai_2019 - 1) * 100), 3.55, 3.65),
        ("industrial_investment", industrial, 0, 10**9),
        ("high_tech_manufacturing_investment", high_tech, 0, 10**9),
        ("high_tech_manufacturing_investment_share_pct", float(high_tech / industrial * 100), 28.45, 28.55),
    ]
    figures += [(kpi, len(events[kpi]), n, n + 1) for kpi, n in (
        ("signed_major_projects", 3), ("signed_major_projects_10bn", 1), ("signed_major_services_projects", 1),
        ("manufacturing_projects_started", 3), ("projects_completed", 3), ("tech_upgrade_projects_completed", 2))]
    figures.append(("started_projects_land_mu", land, 323.995, 324.005))
    failures = report_figures("2020H1 KPI (investment_monthly)", figures)
    print(f"  (2019H1 fixed_asset_investment {fmt(fai_2019)} 万元; monthly 2020 FAI: "
          + " ".join(f"{m[5:]}:{fai_sum(records, [m]):,.0f}" for m in MONTHS[12:]) + ")")

    expected_names = {
        "signed_major_projects": ["东社居商业综合体", "中森新材料", "浩诚门窗制造"],
        "manufacturing_projects_started": ["中森高新材料", "卡旭厨房设备", "吉安建筑"],
        "projects_completed": ["忠孝园民宿", "春和旅游用品", "金绸纺织"],
        "tech_upgrade_projects_completed": ["莱仕达光电", "金绸纺织"],
    }
    for kpi, names in expected_names.items():
        got = sorted(a["project_name"] for a in events[kpi])
        print(f"  {kpi}: {'、'.join(got)}")
        if got != sorted(names):
            failures.append(f"{kpi} names {got}")
    if [a["project_name"] for a in events["signed_major_projects_10bn"]] != ["中森新材料"]:
        failures.append("signed_major_projects_10bn is not 中森新材料")
    if [a["project_name"] for a in events["signed_major_services_projects"]] != ["东社居商业综合体"]:
        failures.append("signed_major_services_projects is not 东社居商业综合体")

    # Misreadings of KPIS.md that must miss.
    codes_2019 = {r["project_code"] for r in records if r["stat_month"] in p_2019 and r["completed_investment"] > 0}
    codes_2020 = {r["project_code"] for r in records if r["stat_month"] in p and r["completed_investment"] > 0}
    both = codes_2019 & codes_2020
    comparable = float((fai_sum(records, p, lambda r: r["project_code"] in both)
                        / fai_sum(records, p_2019, lambda r: r["project_code"] in both) - 1) * 100)
    first_seen = investment_events(records, p, "first")
    overall = investment_events(records, p, "overall")
    manufacturing_land = sum((a["land_area_mu"] or 0 for a in events["manufacturing_projects_started"]), Decimal(0))
    wrong = [
        ("FAI: rows under 500 counted too", fai_sum(records, p, threshold=Decimal(0)), 86950, 87050),
        ("FAI yoy: comparable basis", comparable, 3.55, 3.65),
        ("high-tech share of all FAI", float(high_tech / fai * 100), 28.45, 28.55),
        ("signed majors: first-seen attributes", len(first_seen["signed_major_projects"]), 3, 4),
        ("signed majors: attributes after P", len(overall["signed_major_projects"]), 3, 4),
        ("manufacturing starts: first-seen", len(first_seen["manufacturing_projects_started"]), 3, 4),
        ("completed: tech upgrades included", len(events["projects_completed"])
         + len(events["tech_upgrade_projects_completed"]), 3, 4),
        ("land: manufacturing starts only", manufacturing_land, 323.995, 324.005),
        ("land: first-seen attributes", sum((a["land_area_mu"] or 0 for a in first_seen["started"]), Decimal(0)),
         323.995, 324.005),
    ]
    failures += report_misreadings(wrong)
    assert not failures, f"investment_monthly misses its targets: {failures}"


def report_figures(title: str, figures: list[tuple]) -> list[str]:
    print(f"{title:46} {'value':>14}  accepted")
    failures = []
    for kpi, value, low, high in figures:
        ok = value is not None and low <= value < high
        shown = "NULL" if value is None else fmt(value)
        accepted = "" if high >= 10**9 else f"[{low}, {high})"
        print(f"{kpi:46} {shown:>14}  {accepted} {'ok' if ok else 'MISS'}")
        if not ok:
            failures.append(kpi)
    return failures


def report_misreadings(wrong: list[tuple]) -> list[str]:
    print("misreadings of the definitions (each must miss its target):")
    for name, value, low, high in wrong:
        print(f"  {name:44} {fmt(value):>14}  target [{low}, {high})")
    return [f"misreading hits target: {name}" for name, value, low, high in wrong if low <= value < high]


# ---------------------------------------------------------------------------
# employment_services — 就业服务台账
# ---------------------------------------------------------------------------

EMPLOYMENT_COLUMNS = [  # (English name, Chinese header)
    ("stat_month", "统计年月"),
    ("record_id", "业务编号"),
    ("service_date", "办理日期"),
    ("service_type", "业务类型"),
    ("person_id_number", "身份证号"),
    ("person_name", "姓名"),
    ("amount_yuan", "金额(元)"),
    ("positions", "岗位数"),
]
SERVICE_TYPES = {
    "employment_certificate": "就业创业证",
    "flexible_employment_subsidy": "灵活就业社保补贴",
    "guaranteed_loan": "创业担保贷款",
    "startup_subsidy": "创业补贴",
    "job_fair": "招聘会",
}
PAID_TYPES = ("flexible_employment_subsidy", "guaranteed_loan", "startup_subsidy")  # amount required
LOAN_CEILING = Decimal(500_000)  # 元; a larger guaranteed loan is a warning

# Certificates issued per month (2020H1: 177; February 2020 the office was closed until the 10th).
CERTIFICATES = {
    2019: [28, 22, 35, 31, 33, 29, 27, 30, 32, 29, 26, 24],
    2020: [34, 9, 26, 33, 37, 38, 36, 34, 31, 33, 30, 27],
}
# Office closed (public holidays); online job fairs run regardless.
HOLIDAYS = [("2019-02-04", "2019-02-10"), ("2019-04-05", "2019-04-07"), ("2019-05-01", "2019-05-04"),
            ("2019-06-07", "2019-06-09"), ("2019-09-13", "2019-09-15"), ("2019-10-01", "2019-10-07"),
            ("2020-01-01", "2020-01-01"), ("2020-01-24", "2020-02-09"), ("2020-04-04", "2020-04-06"),
            ("2020-05-01", "2020-05-05"), ("2020-06-25", "2020-06-27"), ("2020-10-01", "2020-10-08")]
# Monthly flexible-employment social insurance subsidy per person (元), by year.
FLEX_MONTHLY = {2019: Decimal(396), 2020: Decimal(412)}

EMPLOYMENT_STYLES = {
    "2019-03": FileStyle(encoding="utf-8-sig", date_format="slash"),
    "2019-07": FileStyle(english_headers=True),   # English headers and English service-type codes
    "2019-10": FileStyle(month_format="chinese", date_format="chinese", thousands=True),
    "2020-01": FileStyle(month_format="chinese", date_format="compact", empty_as_dash=True),
    "2020-02": FileStyle(encoding="gbk", month_format="slash", date_format="slash"),
    "2020-03": FileStyle(date_format="chinese", thousands=True),
    "2020-04": FileStyle(ext="xlsx", month_format="chinese", title="东社镇就业服务台账 2020年4月"),
    "2020-05": FileStyle(month_format="compact", empty_as_dash=True),
    "2020-06": FileStyle(date_format="slash", thousands=True),
    "2020-09": FileStyle(date_format="compact"),
    "2020-12": FileStyle(date_format="chinese", empty_as_dash=True),
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姜顾陆钱施"
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆建国志文海峰林亮成东兵新春晓荣"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英红梅琳燕萍雪慧颖洁婷倩琴云莉兰凤霞蓉佳月玉晶欣怡"


@dataclass
class Person:
    id_number: str
    name: str


@dataclass
class Service:
    month: str
    day: datetime.date
    kind: str
    person: Person | None = None
    amount: Decimal | None = None   # 元
    positions: int | None = None
    record_id: str = ""


class People:
    """Made-up residents of 通州区 (320612) with valid GB 11643 ID numbers and plausible names."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ids: set[str] = set()
        self.names: set[str] = set()

    def new(self, born_from: int = 1960, born_to: int = 2002) -> Person:
        rng = self.rng
        while True:
            birth = datetime.date(rng.randint(born_from, born_to), 1, 1) + datetime.timedelta(days=rng.randint(0, 364))
            male = rng.random() < 0.5
            seq = rng.randint(0, 499) * 2 + (1 if male else 0)  # 17th digit: odd = male
            first17 = f"320612{birth:%Y%m%d}{seq:03d}"
            id_number = first17 + id_check_char(first17)
            pool = GIVEN_MALE if male else GIVEN_FEMALE
            given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
            name = rng.choice(SURNAMES) + given
            if id_number not in self.ids and name not in self.names and len(set(given)) == len(given):
                self.ids.add(id_number)
                self.names.add(name)
                return Person(id_number, name)


def office_day(rng: random.Random, month: str, online: bool = False, not_before: int = 1) -> datetime.date:
    """A random working day of the month (any day for an online job fair)."""
    last = month_end(month).day
    while True:
        day = datetime.date(int(month[:4]), int(month[5:]), rng.randint(not_before, last))
        if online:
            return day
        closed = any(datetime.date.fromisoformat(a) <= day <= datetime.date.fromisoformat(b) for a, b in HOLIDAYS)
        if day.weekday() < 5 and not closed:
            return day


def employment_services(out_dir: Path) -> list[dict]:
    rng = source_rng("employment_services")
    people = People(rng)
    services, roles = plan_services(rng, people)
    assign_record_ids(services)
    records = [employment_record(s) for s in services]
    write_monthly_files(out_dir / "employment_services", records, EMPLOYMENT_COLUMNS, EMPLOYMENT_STYLES,
                        employment_cell)
    print_roles("employment_services special roles:", roles)
    return records


def plan_services(rng: random.Random, people: People) -> tuple[list[Service], list[tuple[str, str]]]:
    S = Service
    out: list[Service] = []

    def day(month: str, **kw) -> datetime.date:
        return office_day(rng, month, **kw)

    def flex(month: str, person: Person, months_paid: int) -> Service:
        return S(month, day(month), "flexible_employment_subsidy", person,
                 FLEX_MONTHLY[int(month[:4])] * months_paid)

    # Persons with a role in 2020H1.
    quarterly = people.new(1968, 1975)      # flexible subsidy paid quarterly: two months of 2020H1
    new_flexible = people.new(1985, 1992)   # certificate 2020-01, then a flexible subsidy 2020-03
    reissued = people.new(1978, 1990)       # certificate 2020-01, re-issued (lost) 2020-05
    founder = people.new(1986, 1994)        # guaranteed loan 120,000 and startup subsidy in two parts
    founder_2 = people.new(1990, 1997)      # startup subsidy 5,000
    flex_h1 = [people.new(1966, 1980) for _ in range(5)]  # half-year subsidies
    roles = [
        (quarterly.id_number, "flexible subsidy quarterly: 2019-04/07/10, 2020-01 and 2020-04 (2 records in H1)"),
        (new_flexible.id_number, "certificate 2020-01, flexible subsidy 2020-03"),
        (reissued.id_number, "certificate 2020-01 and a re-issue 2020-05 (2 certificates, 1 person)"),
        (founder.id_number, "guaranteed loan 120,000 (2020-05); startup subsidy 6,000 (2020-05) + 4,000 (2020-06)"),
        (founder_2.id_number, "startup subsidy 5,000 (2020-03)"),
    ]

    # Flexible-employment subsidies: 2020H1 = 7 persons, 8 records.
    flex_2019_persons = [people.new(1963, 1980) for _ in range(9)]
    plan_flex = {
        "2019-01": [(p, 6) for p in flex_2019_persons[:3]],
        "2019-04": [(quarterly, 3), (flex_2019_persons[3], 6)],
        "2019-06": [(p, 6) for p in flex_2019_persons[4:7]],
        "2019-07": [(quarterly, 3), (flex_h1[0], 6)],
        "2019-10": [(quarterly, 3), (flex_2019_persons[7], 3)],
        "2019-12": [(flex_2019_persons[8], 6), (flex_2019_persons[0], 6)],
        "2020-01": [(quarterly, 3), (flex_h1[0], 6), (flex_h1[1], 6)],
        "2020-03": [(new_flexible, 2)],
        "2020-04": [(quarterly, 3)],
        "2020-06": [(flex_h1[2], 6), (flex_h1[3], 6), (flex_h1[4], 6)],
        "2020-07": [(quarterly, 3), (new_flexible, 3), (flex_h1[0], 6)],
        "2020-10": [(quarterly, 3), (new_flexible, 3), (people.new(1970, 1982), 3)],
        "2020-12": [(flex_h1[2], 6), (flex_h1[3], 6), (people.new(1965, 1978), 6)],
    }
    for month, paid in plan_flex.items():
        out += [flex(month, person, n) for person, n in paid]

    # Guaranteed loans (元, all under the 500,000 ceiling) and startup subsidies.
    loans = {"2019-04": 100_000, "2019-08": 200_000, "2019-11": 150_000, "2020-05": 120_000,
             "2020-08": 300_000, "2020-11": 100_000}
    for month, amount in loans.items():
        person = founder if month == "2020-05" else people.new(1975, 1995)
        out.append(S(month, day(month), "guaranteed_loan", person, Decimal(amount)))
    startup = [("2019-06", None, 5_000), ("2019-10", None, 10_000), ("2019-12", None, 5_000),
               ("2020-03", founder_2, 5_000), ("2020-05", founder, 6_000), ("2020-06", founder, 4_000),
               ("2020-09", None, 5_000), ("2020-12", None, 5_000), ("2020-12", None, 3_000)]
    for month, person, amount in startup:
        out.append(S(month, day(month), "startup_subsidy", person or people.new(1978, 1996), Decimal(amount)))

    # Job fairs: no person; positions offered. 2020H1: three online fairs, 912 positions.
    fairs = [("2019-02", 620, False), ("2019-05", 385, False), ("2019-09", 410, False), ("2019-11", 236, False),
             ("2020-02", 268, True), ("2020-04", 356, True), ("2020-06", 288, True),
             ("2020-08", 305, True), ("2020-10", 420, False)]
    for month, positions, online in fairs:
        out.append(S(month, day(month, online=online, not_before=10), "job_fair", positions=positions))

    # Certificates: mostly new persons; the role persons as planned above.
    special = {"2020-01": [new_flexible, reissued], "2020-05": [reissued]}
    for month in MONTHS:
        count = CERTIFICATES[int(month[:4])][int(month[5:]) - 1]
        persons = special.get(month, [])
        persons = persons + [people.new(1962, min(2002, int(month[:4]) - 17)) for _ in range(count - len(persons))]
        for person in persons:
            out.append(S(month, day(month), "employment_certificate", person))
    return out, roles


def assign_record_ids(services: list[Service]) -> None:
    """JY<yyyymm>-<nnnn>, numbered in date order within the month: unique across months."""
    order = {kind: i for i, kind in enumerate(SERVICE_TYPES)}
    services.sort(key=lambda s: (s.month, s.day, order[s.kind]))
    number = 0
    for i, s in enumerate(services):
        number = 1 if i == 0 or services[i - 1].month != s.month else number + 1
        s.record_id = f"JY{s.month.replace('-', '')}-{number:04d}"


def employment_record(s: Service) -> dict:
    return {
        "stat_month": s.month,
        "record_id": s.record_id,
        "service_date": s.day,
        "service_type": s.kind,
        "person_id_number": s.person.id_number if s.person else None,
        "person_name": s.person.name if s.person else None,
        "amount_yuan": s.amount,
        "positions": s.positions,
    }




def employment_cell(rec: dict, name: str, style: FileStyle):
    value = rec[name]
    if name == "stat_month":
        return format_month(value, style)
    if name == "service_type":
        return value if style.english_headers else SERVICE_TYPES[value]
    if name == "service_date":
        return format_date(value, style)
    if value is None:
        return "—" if style.empty_as_dash else None
    if name == "amount_yuan":
        return float(value) if style.ext == "xlsx" else format_amount(value, 2, style)
    if name == "positions":
        return value if style.ext == "xlsx" else str(value)
    return value


# --- Self-check ----------------------------------------------------------------------------------

def check_employment_rules(records: list[dict]) -> None:
    """No error of spec/SOURCES.md in any file, and no warning."""
    ids: set[str] = set()
    paid: set[tuple] = set()
    for r in records:
        assert r["record_id"] not in ids, f"duplicate record_id {r['record_id']}"
        ids.add(r["record_id"])
        assert r["service_type"] in SERVICE_TYPES, r
        d = r["service_date"]
        assert f"{d.year}-{d.month:02d}" == r["stat_month"], r
        person = r["person_id_number"]
        if r["service_type"] == "job_fair":
            assert person is None and r["person_name"] is None and r["positions"] is not None, r
            assert r["positions"] >= 0 and r["amount_yuan"] is None, r
            continue
        assert is_valid_id_number(person) and person.startswith("320612"), r
        assert 1960 <= int(person[6:10]) <= 2002, r
        assert r["person_name"] and 2 <= len(r["person_name"]) <= 3, r
        assert r["positions"] is None, r
        if r["service_type"] in PAID_TYPES:
            assert r["amount_yuan"] is not None and r["amount_yuan"] >= 0, r
            key = (r["stat_month"], person, r["service_type"])
            assert key not in paid, f"same person, same subsidy twice in a month: {r['record_id']}"
            paid.add(key)
        else:
            assert r["amount_yuan"] is None, r
        if r["service_type"] == "guaranteed_loan":
            assert r["amount_yuan"] <= LOAN_CEILING, r
    assert sum(1 for r in records if (r["person_id_number"] or "").endswith("X")) >= 3, "no ID ending in X"
    # Every name belongs to one ID number and vice versa (made-up persons, consistently spelled).
    pairs = {(r["person_id_number"], r["person_name"]) for r in records if r["person_id_number"]}
    assert len(pairs) == len({i for i, _ in pairs}) == len({n for _, n in pairs})


def check_employment_targets(records: list[dict]) -> None:
    check_employment_rules(records)
    in_p = [r for r in records if r["stat_month"] in H1_2020]

    def of(kind: str) -> list[dict]:
        return [r for r in in_p if r["service_type"] == kind]

    def wan(rows: list[dict]) -> Decimal:
        return sum((r["amount_yuan"] for r in rows), Decimal(0)) / 10_000

    flex, loans, startup, fairs = (of(k) for k in PAID_TYPES + ("job_fair",))
    certificates = of("employment_certificate")
    figures = [
        ("employment_certificates", len(certificates), 177, 178),
        ("flexible_employment_subsidy_persons", len({r["person_id_number"] for r in flex}), 7, 8),
        ("flexible_employment_subsidy_amount", wan(flex), 0, 10**9),
        ("guaranteed_loans", len(loans), 1, 2),
        ("guaranteed_loan_amount", wan(loans), 12, 12.000001),
        ("startup_subsidy_persons", len({r["person_id_number"] for r in startup}), 2, 3),
        ("startup_subsidy_amount", wan(startup), 1.5, 1.500001),
        ("job_fairs", len(fairs), 0, 10**9),
        ("job_fair_positions", sum(r["positions"] for r in fairs), 912, 913),
    ]
    failures = report_figures("2020H1 KPI (employment_services)", figures)
    by_year = {y: {k: sum(1 for r in records if r["stat_month"][:4] == y and r["service_type"] == k)
                   for k in SERVICE_TYPES} for y in ("2019", "2020")}
    print("  (records per year:", by_year, ")")
    wrong = [
        ("flexible subsidy: records, not persons", len(flex), 7, 8),
        ("startup subsidy: records, not persons", len(startup), 2, 3),
        ("certificates: distinct persons", len({r["person_id_number"] for r in certificates}), 177, 178),
        ("flexible persons: whole year 2020", len({r["person_id_number"] for r in records
                                                   if r["stat_month"] >= "2020"
                                                   and r["service_type"] == "flexible_employment_subsidy"}), 7, 8),
    ]
    failures += report_misreadings(wrong)
    assert not failures, f"employment_services misses its targets: {failures}"


# ---------------------------------------------------------------------------

SOURCES = {  # source name -> (generator, self-check)
    "enterprise_monthly": (enterprise_monthly, check_enterprise_targets),
    "investment_monthly": (investment_monthly, check_investment_targets),
    "employment_services": (employment_services, check_employment_targets),
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
