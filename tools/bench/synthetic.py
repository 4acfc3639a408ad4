"""Synthetic ``enterprise_monthly`` files at national scale, spelled the way clerks deliver them.

Chinese headers, the month as 2021年1月, 是/否, thousands separators on some amounts (quoted, as Excel
writes them), "—" or blank for some empty optional cells; valid USCC check characters and GB/T 4754
classes (``population``). DuckDB formats and writes the CSV (a million rows in seconds); XLSX is
written by openpyxl in write-only mode below a title row, as offices export it.

Bad rows can be injected for the error-rule checks: ``BadRow(rule, position)`` spoils the row at that
data position (1-based) so that exactly that rule must name it.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from tools.bench.months import DECIMALS, month_index, month_rows_sql, population_size, uniform
from tools.bench.paths import cache_dir
from tools.bench.population import population
from town_industry.contracts.sources import get_source
from town_industry.periods import parse_month, shift_month

SOURCE = "enterprise_monthly"
COLUMNS = ("stat_month", "uscc", "enterprise_name", "industry_code", "is_above_scale", "gross_output",
           "taxable_sales", "high_tech_output", "rd_expense", "employees")
THOUSANDS_SHARE = 0.3   # amounts written 1,234.5
DASH_SHARE = 0.5        # empty optional cells written "—" rather than left blank
XLSX_TITLE = "规上工业企业月报 {month}"


@dataclass(frozen=True)
class BadRow:
    rule: str
    position: int  # data row, 1-based (the file row is position + the header's row)
    every: int = 0  # when set: every data row whose position is a multiple of it (position unused)

    def positions(self, rows: int) -> range:
        return range(self.every, rows + 1, self.every) if self.every else range(self.position, self.position + 1)


# How a bad row of each rule is spelled: the SQL that replaces one cell (columns as text, alias t).
SPOILERS = {
    "invalid_uscc": ("uscc", "left(t.uscc, 17) || CASE WHEN right(t.uscc, 1) = '0' THEN '1' ELSE '0' END"),
    "invalid_industry_code": ("industry_code", "'0000'"),
    "unparseable_value": ("taxable_sales", "t.taxable_sales || '万'"),
    "negative_amount": ("rd_expense", "'-12.5'"),
    "required_cell_empty": ("enterprise_name", "NULL"),
    "stat_month_mismatch": ("stat_month", "$other_month"),
    "duplicate_key": ("uscc", "(SELECT uscc FROM text_rows WHERE pos = 1)"),
    "high_tech_output_exceeds_gross_output": ("high_tech_output", "'9' || replace(t.gross_output, ',', '')"),
}
ERROR_RULES = tuple(SPOILERS)


def headers() -> list[str]:
    source = get_source(SOURCE)
    return [source.column(name).header for name in COLUMNS]


def chinese_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year}年{mon}月"


def spread_bad_rows(rows: int, rules=ERROR_RULES) -> tuple[BadRow, ...]:
    """One bad row per rule, spread over the file, the last one on the very last row."""
    step = rows // len(rules)
    return tuple(BadRow(rule, rows - k * step) for k, rule in enumerate(reversed(rules)))


def month_file(rows: int, month: str, seed: int, fmt: str = "csv", bad: tuple[BadRow, ...] = ()) -> Path:
    """The cached file of ``month`` with ``rows`` rows (the population's first firms that report)."""
    tag = hashlib.sha256(repr((rows, month, seed, sorted(bad, key=repr))).encode()).hexdigest()[:10]
    path = cache_dir() / "files" / f"{SOURCE}-{rows}-{month}-{tag}.{fmt}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        try:
            text_rows(con, rows, month, seed, bad)
            (write_csv if fmt == "csv" else write_xlsx)(con, tmp, month)
        finally:
            con.close()
        tmp.replace(path)
    return path


def header_row(fmt: str) -> int:
    """The file row of the header: 1 in a CSV, 3 in an XLSX (title, blank row, header)."""
    return 1 if fmt == "csv" else 3


def text_rows(con: duckdb.DuckDBPyConnection, rows: int, month: str, seed: int,
              bad: tuple[BadRow, ...]) -> None:
    """Table ``text_rows``: pos and every column as the file spells it, bad rows spoiled."""
    t_cells = [f"'{chinese_month(month)}' AS stat_month", "uscc", "enterprise_name", "industry_code",
               "CASE WHEN is_above_scale THEN '是' ELSE '否' END AS is_above_scale"]
    for name, places in DECIMALS.items():
        optional = name in ("high_tech_output", "rd_expense")
        t_cells.append(f"{_amount(name, places, optional, seed, month)} AS {name}")
    t_cells.append(f"CASE WHEN employees IS NOT NULL THEN CAST(employees AS VARCHAR) "
                   f"WHEN {uniform('emp_dash', seed, month_index(month))} < {DASH_SHARE} THEN '—' END AS employees")
    con.execute(f"CREATE TEMP TABLE text_rows AS SELECT pos, {', '.join(t_cells)} "
                f"FROM ({month_rows_sql(str(population(population_size(rows), seed)), month, seed, rows)})")
    for row in bad:
        column, spoiled = SPOILERS[row.rule]
        spoiled = spoiled.replace("$other_month", f"'{chinese_month(shift_month(month, -1))}'")
        where = f"t.pos % {row.every} = 0" if row.every else f"t.pos = {row.position}"
        con.execute(f"UPDATE text_rows AS t SET {column} = {spoiled} WHERE {where}")


def _amount(name: str, places: int, optional: bool, seed: int, month: str) -> str:
    """An amount in file units as text: 1234.5, some as 1,234.5; optional zeros blank or "—"."""
    scale = 10 ** places
    whole = f"({name} // {scale})"
    fraction = f"lpad(CAST({name} % {scale} AS VARCHAR), {places}, '0')"
    plain = f"CAST({whole} AS VARCHAR) || '.' || {fraction}"
    grouped = f"format('{{:,}}', {whole}) || '.' || {fraction}"
    text = f"CASE WHEN {uniform('k' + name, seed, month_index(month))} < {THOUSANDS_SHARE} THEN {grouped} ELSE {plain} END"
    if not optional:
        return text
    return (f"CASE WHEN {name} > 0 THEN {text} "
            f"WHEN {uniform('d' + name, seed, month_index(month))} < {DASH_SHARE} THEN '—' END")


def write_csv(con: duckdb.DuckDBPyConnection, path: Path, month: str) -> None:
    select = ", ".join(f'{c} AS "{h}"' for c, h in zip(COLUMNS, headers()))
    con.execute(f"COPY (SELECT {select} FROM text_rows ORDER BY pos) TO '{path}' "
                f"(FORMAT csv, HEADER true, DELIMITER ',')")


def write_xlsx(con: duckdb.DuckDBPyConnection, path: Path, month: str) -> None:
    """A workbook as an office exports it: a title row, a blank row, the header, then the rows; amounts
    and head counts as numeric cells where they are plain numbers (as Excel keeps them)."""
    os.environ.setdefault("OPENPYXL_LXML", "False")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append([XLSX_TITLE.format(month=chinese_month(month))])
    sheet.append([])
    sheet.append(headers())
    numeric = {COLUMNS.index(name) for name in (*DECIMALS, "employees")}
    cursor = con.execute(f"SELECT {', '.join(COLUMNS)} FROM text_rows ORDER BY pos")
    while batch := cursor.fetchmany(10_000):
        for row in batch:
            sheet.append([_xlsx_value(v) if k in numeric else v for k, v in enumerate(row)])
    workbook.save(path)


def _xlsx_value(text: str | None):
    if text is None or "," in text:
        return text  # blank, or a number typed as text with separators
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text  # "—" and spoiled cells stay text
