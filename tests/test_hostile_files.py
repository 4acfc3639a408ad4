"""The catalogue of hostile and broken files: each goes through the real DAG runs of its month.

For every case the enterprise file of 2020-01 is replaced by a bad version while the two other sources
deliver good files for the same month. Each case asserts that the run fails with a report in Chinese
naming the file, the rule and (where the problem has one) the row and column; that nothing of the file
was loaded; that ``meta.file_loads`` records it, archived; and that the other sources of the month loaded.
"""
from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path

import duckdb
import pytest

from conftest import SAMPLE, copy_sample, read_csv_rows, write_csv_rows
from town_industry import settings
from town_industry.cli.run import run
from town_industry.contracts import rules
from town_industry.contracts import sources as declarations
from town_industry.contracts.sources import Limits

# make test runs this module in the end-to-end set's session, which would otherwise finish minutes before
# the rest (its ~30 DAG runs take about 2½ minutes).
pytestmark = pytest.mark.beside_e2e

SOURCE, MONTH = "enterprise_monthly", "2020-01"
OTHERS = ("investment_monthly", "employment_services")
COL = {"stat_month": 0, "uscc": 1, "enterprise_name": 2, "industry_code": 3, "is_above_scale": 4,
       "gross_output": 5, "taxable_sales": 6, "high_tech_output": 7, "rd_expense": 8, "employees": 9}


def sample_rows() -> list[list[str]]:
    return read_csv_rows(SAMPLE / SOURCE / f"{MONTH}.csv")


def write_xlsx(path: Path, rows: list[list], sheets: dict[str, list[list]] | None = None) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    for name, sheet_rows in (sheets or {first.title: rows}).items():
        sheet = first if name == first.title else workbook.create_sheet(name)
        if name != first.title and sheet is first:
            sheet.title = name
        for row in sheet_rows:
            sheet.append(row)
    path = path.with_suffix(".xlsx")
    workbook.save(path)
    return path


NUMERIC = range(COL["gross_output"], COL["employees"] + 1)


def as_numbers(rows):
    """The sample rows with the amounts and counts as numbers, as Excel would hold them."""
    def cell(text):
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return text  # "—" and the like stay text
    return [rows[0]] + [[cell(c) if i in NUMERIC else c for i, c in enumerate(row)] for row in rows[1:]]


# ---- the hostile files: each builder writes DATA_DIR/enterprise_monthly/2020-01.<ext> -----------------

def formula_in_optional_column(folder: Path) -> Path:
    rows = as_numbers(sample_rows())
    rows[2][COL["high_tech_output"]] = "=F3*0.5"  # openpyxl saves formulas without a computed result
    rows[5][COL["employees"]] = "=100+1"
    return write_xlsx(folder / MONTH, rows)


def formula_in_required_column(folder: Path) -> Path:
    rows = as_numbers(sample_rows())
    for r in (3, 4, 9):
        rows[r - 1][COL["taxable_sales"]] = f"=G{r}*2"
    return write_xlsx(folder / MONTH, rows)


def duplicated_header(folder: Path) -> Path:
    rows = sample_rows()
    for i, row in enumerate(rows):
        row.append(row[COL["taxable_sales"]] if i == 0 else "1.5")
    write_csv_rows(folder / f"{MONTH}.csv", rows)
    return folder / f"{MONTH}.csv"


SPREADSHEETML = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
BOMBS = {  # member: (opening, a repeated element, closing): well-formed XML that inflates past 1,000 MB
    "xl/worksheets/sheet1.xml": (b"<worksheet " + SPREADSHEETML + b"><sheetData>",
                                 b"<row><c><v>1</v></c></row>", b"</sheetData></worksheet>"),
    "xl/sharedStrings.xml": (b"<sst " + SPREADSHEETML + b">", b"<si><t>1</t></si>", b"</sst>"),
}


def _bomb(folder: Path, member: str) -> Path:
    """A real XLSX whose ``member`` inflates to 1,050 MB (about 7 MB on disk)."""
    good = write_xlsx(folder / "good", as_numbers(sample_rows()))
    target = folder / f"{MONTH}.xlsx"
    opening, element, closing = BOMBS[member]
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for info in src.infolist():
            if info.filename != member:
                out.writestr(info, src.read(info.filename))
        with out.open(member, "w", force_zip64=True) as f:
            f.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + opening)
            chunk = element * 40_000
            for _ in range(1_050 * 2**20 // len(chunk)):
                f.write(chunk)
            f.write(closing)
    good.unlink()
    return target


def zip_bomb_sheet(folder: Path) -> Path:
    return _bomb(folder, "xl/worksheets/sheet1.xml")


def zip_bomb_shared_strings(folder: Path) -> Path:
    return _bomb(folder, "xl/sharedStrings.xml")


def amount_beyond_decimal(folder: Path) -> Path:
    rows = sample_rows()
    rows[2][COL["taxable_sales"]] = "12345678901234567890"
    write_csv_rows(folder / f"{MONTH}.csv", rows)
    return folder / f"{MONTH}.csv"


def xlsx_number_1e308(folder: Path) -> Path:
    rows = as_numbers(sample_rows())
    rows[3][COL["gross_output"]] = 1e308
    return write_xlsx(folder / MONTH, rows)


def damaged_sheet_with_dimension(folder: Path) -> Path:
    good = write_xlsx(folder / "good", as_numbers(sample_rows()))
    target = folder / f"{MONTH}.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"<dimension" in data
                data = data[: len(data) // 2]  # cut in the middle of a row: not well-formed XML
            out.writestr(info, data)
    good.unlink()
    return target


def a_hundred_megabyte_cell(folder: Path) -> Path:
    rows = sample_rows()
    rows[6][COL["enterprise_name"]] = "纺" * 3_000_000  # 9 MB of UTF-8 in one cell
    write_csv_rows(folder / f"{MONTH}.csv", rows)
    return folder / f"{MONTH}.csv"


def legacy_xls(folder: Path) -> Path:
    path = folder / f"{MONTH}.xlsx"  # an .xls saved under the .xlsx name, as clerks do
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 4096)
    return path


def data_on_second_sheet(folder: Path) -> Path:
    return write_xlsx(folder / MONTH, [], sheets={"说明": [["本表为 2020 年 1 月规上工业企业月报"]],
                                                  "数据": as_numbers(sample_rows())})


def empty_file(folder: Path) -> Path:
    (folder / f"{MONTH}.csv").write_bytes(b"")
    return folder / f"{MONTH}.csv"


def header_only(folder: Path) -> Path:
    write_csv_rows(folder / f"{MONTH}.csv", sample_rows()[:1])
    return folder / f"{MONTH}.csv"


def header_below_first_rows(folder: Path) -> Path:
    rows = sample_rows()
    rows = rows[1:3] + rows[:1] + rows[3:]  # two data rows pasted above the header
    write_csv_rows(folder / f"{MONTH}.csv", rows)
    return folder / f"{MONTH}.csv"


def merged_header_cells(folder: Path) -> Path:
    from openpyxl import load_workbook

    path = write_xlsx(folder / MONTH, as_numbers(sample_rows()))
    workbook = load_workbook(path)
    workbook.active.merge_cells("B1:C1")  # 统一社会信用代码 spans 企业名称's column: that header is gone
    workbook.save(path)
    return path


def mixed_encodings(folder: Path) -> Path:
    rows = sample_rows()
    path = folder / f"{MONTH}.csv"
    write_csv_rows(path, rows[:10], encoding="gbk")
    with path.open("ab") as f:  # rows pasted from a UTF-8 export
        f.write("\r\n".join(",".join(r) for r in rows[10:]).encode("utf-8") + b"\r\n")
    return path


def file_of_another_month(folder: Path) -> Path:
    rows = sample_rows()
    for row in rows[1:]:
        row[COL["stat_month"]] = "2020年2月"
    write_csv_rows(folder / f"{MONTH}.csv", rows)
    return folder / f"{MONTH}.csv"


def more_rows_than_declared(folder: Path) -> Path:
    rows = sample_rows()
    write_csv_rows(folder / f"{MONTH}.csv", rows)
    return folder / f"{MONTH}.csv"


@dataclasses.dataclass(frozen=True)
class Case:
    build: object
    rule: str
    row: int | None = None  # None: a finding about the whole file
    column: str | None = None
    limits: dict | None = None  # the source's declared limits, lowered for the case
    rows: tuple[int, ...] = ()  # every row the rule must be reported on


CASES = {
    "formula_in_optional_column": Case(formula_in_optional_column, "formula_without_value", 3, "high_tech_output",
                                       rows=(3, 6)),
    "formula_in_required_column": Case(formula_in_required_column, "formula_without_value", 3, "taxable_sales",
                                       rows=(3, 4, 9)),
    "duplicated_header": Case(duplicated_header, "duplicate_column", 1, "taxable_sales"),
    "zip_bomb_sheet": Case(zip_bomb_sheet, "file_too_large"),
    "zip_bomb_shared_strings": Case(zip_bomb_shared_strings, "file_too_large"),
    "amount_beyond_decimal": Case(amount_beyond_decimal, "unparseable_value", 3, "taxable_sales"),
    "xlsx_number_1e308": Case(xlsx_number_1e308, "unparseable_value", 4, "gross_output"),
    "damaged_sheet_with_dimension": Case(damaged_sheet_with_dimension, "unreadable_file"),
    "a_huge_cell": Case(a_hundred_megabyte_cell, "unreadable_file", 7),
    "legacy_xls": Case(legacy_xls, "unreadable_file"),
    "data_on_second_sheet": Case(data_on_second_sheet, "header_not_on_first_sheet"),
    "empty_file": Case(empty_file, "unreadable_file"),
    "header_only": Case(header_only, "no_data_rows"),
    "header_below_first_rows": Case(header_below_first_rows, "rows_above_header", 1),
    "merged_header_cells": Case(merged_header_cells, "required_column_missing", None, "enterprise_name"),
    "mixed_encodings": Case(mixed_encodings, "mixed_encodings", 11),
    "file_of_another_month": Case(file_of_another_month, "stat_month_mismatch", 2, "stat_month"),
    "more_rows_than_declared": Case(more_rows_than_declared, "file_too_large", limits={"max_rows": 20}),
    "larger_than_declared": Case(more_rows_than_declared, "file_too_large", limits={"max_file_mb": 0.001}),
    "validation_too_slow": Case(formula_in_optional_column, "file_too_costly", limits={"max_seconds": 0.01}),
    "validation_too_hungry": Case(zip_bomb_sheet, "file_too_costly",
                                  limits={"max_memory_mb": 50, "max_unpacked_mb": 5000, "max_seconds": 120,
                                          "max_rows": 10**9}),
}


def with_limits(monkeypatch, **limits) -> None:
    """The enterprise source as if its declaration set these limits (the run reads declarations by name)."""
    patched = tuple(dataclasses.replace(s, limits=Limits(**{**dataclasses.asdict(s.limits), **limits}))
                    if s.name == SOURCE else s for s in declarations.declared_sources())
    monkeypatch.setattr(declarations, "declared_sources", lambda *_: patched)


def loaded_rows(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {s: con.execute(f"SELECT count(*) FROM staging.{s}").fetchall()[0][0] for s in (SOURCE, *OTHERS)}
    finally:
        con.close()


def file_loads(warehouse: Path) -> dict[str, tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT source, status, error_report, archived_as, sha256 FROM meta.file_loads").fetchall()}
    finally:
        con.close()


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_hostile_file_is_rejected_reported_and_archived_while_the_month_goes_on(workspace, ingest_dags, monkeypatch,
                                                                               case):
    spec = CASES[case]
    if spec.limits:
        with_limits(monkeypatch, **spec.limits)
    for other in OTHERS:
        (workspace / other).mkdir(exist_ok=True)
        copy_sample(workspace, other, MONTH)
    delivered = spec.build(workspace / SOURCE)

    lines: list[str] = []
    assert not run(MONTH, MONTH, echo=lines.append, build_kpis=False)
    assert "REJECTED" in lines[0], lines

    warehouse = settings.warehouse_path()
    counts = loaded_rows(warehouse)
    assert counts[SOURCE] == 0, "nothing of the file is loaded"
    assert all(counts[o] > 0 for o in OTHERS), "the other sources of the month still load"
    loads = file_loads(warehouse)
    assert loads[SOURCE][0] == "rejected" and all(loads[o][0] == "loaded" for o in OTHERS)
    report, archived, sha = Path(loads[SOURCE][1]), Path(loads[SOURCE][2]), loads[SOURCE][3]
    assert archived.read_bytes() == delivered.read_bytes() and archived.parent.name == sha

    text = report.read_text(encoding="utf-8")
    rule = rules.get(spec.rule)
    assert delivered.name in text and f"{rule.name_zh}（{spec.rule}）" in text, text[:3000]
    row = str(spec.row) if spec.row else "（整个文件）"
    column = re.escape(spec.column) if spec.column else "[^|]*"
    assert re.search(rf"^\| 错误 \| {row} \| [^|]* \| [^|]*{column}[^|]* \| [^|]*（{spec.rule}） \|", text, re.MULTILINE), \
        text[:3000]
    if spec.rows:
        listed = re.findall(rf"^\| 错误 \| (\d+) \| [^|]* \| [^|]* \| [^|]*（{spec.rule}） \|", text, re.MULTILINE)
        assert sorted(map(int, listed)) == sorted(spec.rows), text[:3000]


def test_formula_with_a_saved_result_loads_that_result(workspace, ingest_dags):
    """A workbook Excel saved holds each formula's result: that is the cell's value, no finding."""
    rows = as_numbers(sample_rows())
    path = write_xlsx(workspace / SOURCE / MONTH, rows)
    # put a formula with a cached value into the sheet XML, as Excel writes it
    with zipfile.ZipFile(path) as src:
        members = {i.filename: src.read(i.filename) for i in src.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    sheet, n = re.subn(r'<c r="H3"( [^>]*)?>.*?</c>', '<c r="H3"><f>F3*0.5</f><v>2462.85</v></c>', sheet)
    assert n == 1
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)

    assert run(MONTH, MONTH, echo=lambda _: None, sources=[SOURCE], build_kpis=False)
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    try:
        value = con.execute("SELECT high_tech_output FROM staging.enterprise_monthly WHERE _row = 3").fetchall()
    finally:
        con.close()
    assert [float(v) for (v,) in value] == [246.285]  # 2462.85 千元 in 万元


def test_gb18030_only_characters_load_as_written(workspace, ingest_dags):
    rows = sample_rows()
    rows[2][COL["enterprise_name"]] = "南通𠮷祥纺织有限公司"  # 𠮷 is in GB18030, not in GBK
    path = workspace / SOURCE / f"{MONTH}.csv"
    write_csv_rows(path, rows, encoding="gb18030")
    assert run(MONTH, MONTH, echo=lambda _: None, sources=[SOURCE], build_kpis=False)
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    try:
        assert con.execute("SELECT enterprise_name FROM staging.enterprise_monthly WHERE _row = 3").fetchall() \
            == [("南通𠮷祥纺织有限公司",)]
    finally:
        con.close()


def test_a_crash_in_validation_is_a_recorded_rejection_that_masks_id_numbers(workspace, ingest_dags, monkeypatch):
    """A bug in the pipeline (here: the suite raising, quoting an ID number) rejects the file with a
    report and a meta.file_loads row, instead of a task that dies without a trace."""
    # the validating child raises (src/town_industry/faults.py), wherever it was started from
    monkeypatch.setenv("TOWN_INDUSTRY_CRASH_AT", "validate")
    monkeypatch.setenv("TOWN_INDUSTRY_CRASH_MESSAGE", "cannot compare '110101199003074514' with a date")
    delivered = more_rows_than_declared(workspace / SOURCE)
    lines: list[str] = []
    assert not run(MONTH, MONTH, echo=lines.append, sources=[SOURCE], build_kpis=False)
    assert "REJECTED" in lines[0]
    status, report, archived, _ = file_loads(settings.warehouse_path())[SOURCE]
    text = Path(report).read_text(encoding="utf-8")
    assert status == "rejected" and Path(archived).read_bytes() == delivered.read_bytes()
    assert "校验程序出错（validation_crashed）" in text and "RuntimeError: cannot compare" in text
    assert "110101199003074514" not in text and "110101********4514" in text
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    try:
        assert con.execute("SELECT rule FROM meta.dq_issues").fetchall() == [("validation_crashed",)]
    finally:
        con.close()


def test_amounts_with_more_decimals_than_kept_are_rounded_with_a_warning(tmp_path):
    """An amount is kept to the 6th decimal of 万元: more decimals are rounded, and the clerk is told."""
    from decimal import Decimal

    from town_industry.contracts.sources import get_source
    from town_industry.ingest.validation import validate_file

    rows = sample_rows()
    rows[2][COL["taxable_sales"]] = "806.1912345"  # 万元: a 7th decimal
    rows[3][COL["gross_output"]] = "4925.712345"   # 千元: keeps 5 decimals, this has 6
    rows[4][COL["gross_output"]] = "4925.7000000"  # zeros lose nothing: no warning
    path = tmp_path / f"{MONTH}.csv"
    write_csv_rows(path, rows)
    result = validate_file(path, get_source(SOURCE), MONTH)
    rounded = [(f.severity, f.row, f.column, f.value) for f in result.findings if f.rule == "amount_rounded"]
    assert rounded == [("warning", 3, "taxable_sales", "806.1912345"), ("warning", 4, "gross_output", "4925.712345")]
    assert result.errors == 0
    stored = result.typed.frame.set_index("_row")
    assert stored.loc[3, "taxable_sales"] == Decimal("806.191235")
    assert stored.loc[4, "gross_output"] == Decimal("492.571235")  # 4925.712345 千元 = 492.5712345 万元, rounded


def test_a_file_not_named_for_a_month_is_pointed_out_when_the_month_is_missed(tmp_path, monkeypatch):
    """A file named 2020年1月.csv is never taken for 2020-01; when the deadline passes, the failure says
    which file sits in the folder and what its name should be."""
    from datetime import datetime, timezone

    from town_industry.orchestration import ingest_tasks

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    (tmp_path / SOURCE).mkdir()
    write_csv_rows(tmp_path / SOURCE / "2020年1月.csv", sample_rows())
    with pytest.raises(ingest_tasks.FileNotDelivered, match="2020年1月.csv, not named YYYY-MM"):
        ingest_tasks.file_has_arrived(SOURCE, logical_date=datetime(2020, 1, 1, tzinfo=timezone.utc),
                                      now=datetime(2020, 3, 1, tzinfo=timezone.utc))
