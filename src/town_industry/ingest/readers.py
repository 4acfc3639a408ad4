"""Read a delivered CSV (UTF-8 or GBK) or XLSX file into a frame of cell texts.

The header row is the first row that holds the source's key column (so title rows
above it are skipped), headers may be Chinese or English, and every data row keeps
the row number a person sees in Excel or a text editor, for error reports.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from town_industry.contracts.rules import bilingual, finding
from town_industry.contracts.sources import Source
from town_industry.ingest.parsing import clean_cell

ROW = "_row"  # column holding each data row's row number in the file


class FileRejected(Exception):
    """The file as a whole cannot be read as this source (unreadable, no header, no rows).

    ``rule`` is a code of include/rules.yml and ``params`` the values of its message's placeholders.
    """

    def __init__(self, rule: str, params: dict, column: str | None = None):
        self.finding = finding(rule, params, column=column)
        super().__init__(self.finding.message_en)
        self.rule = rule


@dataclass
class RawTable:
    cells: pd.DataFrame  # declared column names (those present) + ROW; str or None
    header_row: int
    extra_headers: list[str] = field(default_factory=list)
    encoding: str = ""


def read_file(path: Path, source: Source) -> RawTable:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows, encoding = _csv_rows(path)
    elif suffix == ".xlsx":
        rows, encoding = _xlsx_rows(path), "xlsx"
    else:
        raise FileRejected("unsupported_file_type", {"file": path.name})
    table = _to_table(rows, source, path)
    table.encoding = encoding
    return table


def _csv_rows(path: Path) -> tuple[list[list[str]], str]:
    raw = path.read_bytes()
    # Excel on Chinese Windows saves CSV as GBK; GB18030 is its superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes almost any byte string
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            "既不是 UTF-8 也不是 GBK 编码的文本", "neither UTF-8 nor GBK text")})
    if "\x00" in text:
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            "含有二进制内容，不是 CSV 文本文件", "binary content, not a CSV text file")})
    try:
        return list(csv.reader(io.StringIO(text, newline=""))), encoding
    except csv.Error as exc:
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            f"CSV 格式有误：{exc}", f"not valid CSV: {exc}")}) from exc


def _xlsx_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # repr is the shortest text that reads back as the same double: 1234.5, not 1234.49999...
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _xlsx_rows(path: Path) -> list[list[str | None]]:
    from openpyxl import load_workbook  # heavy import, only when an XLSX arrives

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            f"不是可读的 XLSX 工作簿：{exc}", f"not a readable XLSX workbook: {exc}")}) from exc
    try:
        sheet = workbook.worksheets[0]
        return [[_xlsx_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _header_lookup(source: Source) -> dict[str, str]:
    return {header.strip(): col.name for col in source.columns for header in col.all_headers}


def _to_table(rows: list[list], source: Source, path: Path) -> RawTable:
    lookup = _header_lookup(source)
    key_headers = {h for name in source.key for h in source.column(name).all_headers}
    header_index = next(
        (i for i, row in enumerate(rows) if any(clean_cell(c) in key_headers for c in row)), None
    )
    if header_index is None:
        key = ", ".join(source.key)
        header = "、".join(source.column(name).header for name in source.key)
        raise FileRejected("required_column_missing", {"header": header, "column": key}, column=key)
    header = [clean_cell(c) for c in rows[header_index]]
    positions: dict[str, int] = {}
    extra: list[str] = []
    for pos, text in enumerate(header):
        if text is None:
            continue
        name = lookup.get(text)
        if name is None:
            extra.append(text)
        elif name not in positions and not source.column(name).is_dropped:  # names are never read
            positions[name] = pos

    data = []
    numbers = []
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        cells = [clean_cell(row[p]) if p < len(row) else None for p in positions.values()]
        if any(c is not None for c in cells):  # Excel and editors leave blank rows at the end
            data.append(cells)
            numbers.append(offset)
    if not data:
        raise FileRejected("no_data_rows", {"file": path.name, "header_row": header_index + 1})
    cells = pd.DataFrame(data, columns=list(positions), dtype=object)
    cells.insert(0, ROW, numbers)
    return RawTable(cells=cells, header_row=header_index + 1, extra_headers=extra)
