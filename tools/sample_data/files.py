"""How a month's file is spelled and written: CSV in UTF-8, UTF-8 with BOM or GBK, or XLSX.

Real files are messy in the ways the file contracts (docs/sources/) say readers must accept, so the
sample files are too: each month of a source may have its own ``FileStyle``.
"""
from __future__ import annotations

import csv
import datetime
import io
import os
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from tools.sample_data.common import MONTHS

# openpyxl writes its XML with lxml when lxml is installed and with the standard library otherwise, and the
# two spell an empty element differently ("<a/>", "<a />"). The shipped XLSX files come from the standard
# library's writer: pin it, so the bytes do not depend on what else the virtualenv holds. (openpyxl reads
# this when it is first imported; write_xlsx checks that it took effect.)
os.environ["OPENPYXL_LXML"] = "False"


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


def write_monthly_files(source_dir: Path, records: list[dict], columns, styles: dict, cell) -> None:
    """One file per month: the month's records, each cell spelled the way that month's style says.

    ``columns`` are (English name, Chinese header) pairs; ``cell(record, name, style)`` spells a value.
    """
    for month in MONTHS:
        style = styles.get(month, FileStyle())
        header = [en if style.english_headers else zh for en, zh in columns]
        lines = [[cell(rec, name, style) for name, _ in columns]
                 for rec in records if rec["stat_month"] == month]
        write_table(source_dir / month, header, lines, style)


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
    import openpyxl.xml
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    if openpyxl.xml.LXML:
        raise RuntimeError("openpyxl was imported before tools.sample_data.files: it writes with lxml, "
                           "and the XLSX files would not come out byte-identical")
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
