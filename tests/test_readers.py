"""Readers and parsers: every spelling docs/file_contracts.md lists, both encodings, XLSX with a title row."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from town_industry.ingest.parsing import parse_texts
from town_industry.ingest.readers import FileRejected, read_file
from town_industry.contracts.sources import get_source
from town_industry.ingest.validation import parse_cells

SOURCE = get_source("enterprise_monthly")


def parse_one(text, column_type):
    values, _ = parse_texts([text], column_type)
    return values[0]
HEADER_ZH = ["统计年月", "统一社会信用代码", "企业名称", "行业代码", "是否规上", "工业总产值(千元)",
             "应税销售额(万元)", "高新技术产业产值(千元)", "研发经费支出(千元)", "从业人员期末人数"]
ROW = ["2020年6月", "91110108551385082Q", "南通金绸纺织有限公司", "1711", "是", "1,234.5", "98.76", "—", "", "120"]


@pytest.mark.parametrize("text", ["2020-06", "202006", "2020/6", "2020年6月", "2020/06", "2020-06-01"])
def test_month_spellings(text):
    assert parse_one(text, "month") == date(2020, 6, 1)


@pytest.mark.parametrize("text", ["2020-13", "June 2020", "20-06", "2020年13月"])
def test_bad_months(text):
    assert parse_one(text, "month") is None


@pytest.mark.parametrize("text", ["2020-06-03", "2020/6/3", "2020年6月3日", "20200603"])
def test_date_spellings(text):
    assert parse_one(text, "date") == date(2020, 6, 3)


def test_impossible_date():
    assert parse_one("2020-02-30", "date") is None


@pytest.mark.parametrize("text,value", [("是", True), ("否", False), ("Y", True), ("n", False), ("1", True),
                                        ("0", False), ("true", True), ("FALSE", False)])
def test_boolean_spellings(text, value):
    assert parse_one(text, "boolean") is value


def test_numbers_are_exact_decimals():
    assert parse_one("1,234.5", "decimal") == Decimal("1234.5")
    assert parse_one("12,345,678.91", "decimal") == Decimal("12345678.91")
    assert parse_one("１２３．５", "decimal") == Decimal("123.5")  # full-width digits, an IME left on
    assert parse_one("1.2.3", "decimal") is None and parse_one("abc", "decimal") is None


def test_money_is_rounded_once_in_the_stored_unit():
    """A 千元 cell is rounded at its 5th decimal, which becomes the 6th in 万元: no double rounding."""
    import duckdb

    from town_industry.contracts.sources import STORAGE_TYPES
    from town_industry.ingest.parsing import STORED_DECIMALS, decimal_sql, define_macros

    assert STORAGE_TYPES["decimal"] == f"DECIMAL(18, {STORED_DECIMALS})"
    con = duckdb.connect()
    define_macros(con)
    cases = [("0.12345649", "0.1", "0.012346"), ("1,234.5", "0.1", "123.450000"), ("1.005", "0.0001", "0.000101"),
             ("120,000", "0.0001", "12.000000"), ("2.5", "10000", "25000.000000"), ("7.1234564", None, "7.123456"),
             ("1e5", "0.1", None), ("99999999999999", "0.1", None)]  # an exponent; beyond 10^12 万元
    for text, factor, stored in cases:
        value = con.execute(f"SELECT {decimal_sql('?', factor)}", [text]).fetchone()[0]
        assert value == (None if stored is None else Decimal(stored)), (text, factor, value)


def test_empty_markers_and_unparseable_mask():
    values, bad = parse_texts(["—", " 7 ", "/", "-", "x", None, "\u3000８\u3000", "7.5"], "integer")
    assert values == [None, 7, None, None, None, None, 8, None]
    assert bad == [False, False, False, False, True, False, False, True]


def _write_csv(path, rows, encoding):
    path.write_bytes("\r\n".join(",".join(f'"{c}"' for c in r) for r in rows).encode(encoding))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "2020-06.csv"
    _write_csv(path, [HEADER_ZH, ROW], encoding)
    table = read_file(path, SOURCE)
    assert table.cells.loc[0, "enterprise_name"] == "南通金绸纺织有限公司"
    assert table.cells.loc[0, "stat_month"] == "2020年6月"  # the first header is read past a byte-order mark
    assert table.cells.loc[0, "_row"] == 2


def test_english_headers_spaces_and_units(tmp_path):
    path = tmp_path / "2020-06.csv"
    english = [f" {c.name} " for c in SOURCE.columns]
    _write_csv(path, [english, ROW], "utf-8")
    typed, findings = parse_cells(read_file(path, SOURCE), SOURCE)
    assert findings == []
    row = typed.frame.iloc[0]
    assert row["stat_month"] == date(2020, 6, 1) and row["is_above_scale"] is True
    assert row["gross_output"] == Decimal("123.45")  # 1,234.5 千元 = 123.45 万元, exactly
    assert row["taxable_sales"] == Decimal("98.76")
    assert row["high_tech_output"] == 0 and row["rd_expense"] == 0  # empty = 0
    assert row["employees"] == 120


def test_xlsx_with_title_rows_and_excel_cells(tmp_path):
    path = tmp_path / "2020-06.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["东社镇规上工业企业月报 2020年6月"])
    ws.append([])
    ws.append(HEADER_ZH + ["备注"])
    ws.append([datetime(2020, 6, 1), "91110108551385082Q", "南通金绸纺织有限公司", "1711", "是",
               1234.5, 98.76, None, 0, 120, "note"])
    ws.append([])
    wb.save(path)
    table = read_file(path, SOURCE)
    assert table.header_row == 3 and table.extra_headers == ["备注"]
    typed, findings = parse_cells(table, SOURCE)
    frame = typed.frame
    assert findings == []
    assert len(frame) == 1 and frame.loc[0, "_row"] == 4
    assert frame.loc[0, "stat_month"] == date(2020, 6, 1)
    assert frame.loc[0, "gross_output"] == Decimal("123.45")


def test_file_level_rejections(tmp_path):
    no_header = tmp_path / "a.csv"
    no_header.write_text("x,y\n1,2\n", encoding="utf-8")
    with pytest.raises(FileRejected) as exc:
        read_file(no_header, SOURCE)
    assert exc.value.rule == "required_column_missing"

    header_only = tmp_path / "b.csv"
    _write_csv(header_only, [HEADER_ZH, ["", ""]], "utf-8")
    with pytest.raises(FileRejected) as exc:
        read_file(header_only, SOURCE)
    assert exc.value.rule == "no_data_rows"

    broken = tmp_path / "c.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(FileRejected) as exc:
        read_file(broken, SOURCE)
    assert exc.value.rule == "unreadable_file"


def test_unsupported_file_type(tmp_path):
    text = tmp_path / "2020-06.txt"
    _write_csv(text, [HEADER_ZH, ROW], "utf-8")
    with pytest.raises(FileRejected) as exc:
        read_file(text, SOURCE)
    assert exc.value.rule == "unsupported_file_type"
    assert exc.value.finding.message.startswith("文件 2020-06.txt 不是 .csv 或 .xlsx 文件")


@pytest.mark.parametrize("layout", ["plain", "title_rows", "blank_line_inside", "cell_over_two_lines", "gbk"])
def test_row_numbers_are_the_lines_a_clerk_sees(tmp_path, layout):
    """DuckDB reads the usual file; blank lines and quoted line breaks go through the csv module, so that
    either way a row number is the record's line (a cell over two lines counts once, as before)."""
    def line(cells):
        return ",".join(f'"{c}"' for c in cells)

    lines = [line(HEADER_ZH), line(ROW), line(ROW[:5] + ["x"] + ROW[6:])]
    header_line, bad_line = 1, 3
    if layout == "title_rows":
        lines = ["东社镇规上工业企业月报 2020年6月", ""] + lines
        header_line, bad_line = 3, 5
    elif layout == "blank_line_inside":
        lines.insert(2, "")
        bad_line += 1
    elif layout == "cell_over_two_lines":
        lines[1] = lines[1].replace("南通金绸纺织有限公司", "南通金绸\n纺织有限公司")  # inside its quotes
    path = tmp_path / "2020-06.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk" if layout == "gbk" else "utf-8"))
    raw = read_file(path, SOURCE)
    _, findings = parse_cells(raw, SOURCE)
    assert [(f.row, f.column, f.value) for f in findings] == [(bad_line, "gross_output", "x")]
    assert raw.rows == 2 and raw.header_row == header_line


def test_a_header_far_down_and_wider_than_the_first_lines(tmp_path):
    """DuckDB's reader takes its width from the first lines; a file whose header comes later (and is
    wider than anything above it) is read by the csv module instead, with every column."""
    notes = [f"说明第{i}行" for i in range(150)]
    path = tmp_path / "2020-06.csv"
    _write_csv(path, [[note] for note in notes] + [HEADER_ZH, ROW], "utf-8")
    raw = read_file(path, SOURCE)
    assert raw.header_row == 151 and raw.columns == [c.name for c in SOURCE.columns]
    typed, findings = parse_cells(raw, SOURCE)
    row = typed.frame.iloc[0]
    assert findings == [] and row["_row"] == 152 and row["gross_output"] == Decimal("123.45") and row["employees"] == 120


def test_a_dos_end_of_file_mark_is_not_a_row(tmp_path):
    """Old tools end a CSV with Ctrl-Z (0x1A): the file loads as if it were not there."""
    path = tmp_path / "2020-06.csv"
    _write_csv(path, [HEADER_ZH, ROW], "gbk")
    path.write_bytes(path.read_bytes() + b"\r\n\x1a")
    raw = read_file(path, SOURCE)
    typed, findings = parse_cells(raw, SOURCE)
    assert findings == [] and raw.rows == 1 and typed.frame.loc[0, "taxable_sales"] == Decimal("98.76")


def test_amounts_beyond_the_warehouse_are_reported_not_crashed(tmp_path):
    """12345678901234567890 in a CSV and a numeric 1e308 cell in an XLSX: each an unparseable cell of its row."""
    path = tmp_path / "2020-06.csv"
    _write_csv(path, [HEADER_ZH, ROW[:6] + ["12345678901234567890"] + ROW[7:]], "utf-8")
    _, findings = parse_cells(read_file(path, SOURCE), SOURCE)
    assert [(f.row, f.column, f.rule) for f in findings] == [(2, "taxable_sales", "unparseable_value")]

    book = tmp_path / "2020-07.xlsx"
    wb = Workbook()
    wb.active.append(HEADER_ZH)
    wb.active.append(ROW[:5] + [1e308] + ROW[6:])
    wb.save(book)
    _, findings = parse_cells(read_file(book, SOURCE), SOURCE)
    assert [(f.row, f.column, f.rule) for f in findings] == [(2, "gross_output", "unparseable_value")]


def test_a_damaged_sheet_is_rejected_not_crashed(tmp_path):
    """openpyxl reads a sheet lazily: broken sheet XML (after the <dimension> Excel writes) surfaces while
    rows are read, and must still be a rejection naming the file."""
    import zipfile

    good = tmp_path / "good.xlsx"
    wb = Workbook()
    wb.active.append(HEADER_ZH)
    wb.active.append(ROW)
    wb.save(good)
    broken = tmp_path / "2020-06.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<dimension" in data
                data = data[: data.index(b"<sheetData>") + 20] + b"<row><c r=broken"
            dst.writestr(item, data)
    with pytest.raises(FileRejected) as exc:
        read_file(broken, SOURCE)
    assert exc.value.rule == "unreadable_file" and "2020-06.xlsx" in exc.value.finding.message


def test_a_column_given_twice_rejects_the_file(tmp_path):
    """Two 应税销售额 columns with different figures: neither wins silently; an error names both columns."""
    from town_industry.contracts.findings import ERROR
    from town_industry.ingest.validation import validate_table

    path = tmp_path / "2020-06.csv"
    _write_csv(path, [HEADER_ZH + ["应税销售额（万元）"], ROW + ["1.5"]], "utf-8")
    raw = read_file(path, SOURCE)
    assert raw.duplicated == {"taxable_sales": [7, 11]}
    _, findings = validate_table(raw, SOURCE, "2020-06")
    (dup,) = [f for f in findings if f.rule == "duplicate_column"]
    assert dup.severity == ERROR and (dup.row, dup.column) == (1, "taxable_sales")
    assert "第 7、11 列" in dup.message and "columns 7, 11" in dup.message_en


def test_an_old_or_encrypted_workbook_says_so(tmp_path):
    """An .xls saved as .xlsx, or a password-protected workbook, is an OLE2 file: say what it is and what to do."""
    from town_industry.ingest.readers import OLE2_MAGIC

    path = tmp_path / "2020-06.xlsx"
    path.write_bytes(OLE2_MAGIC + bytes(504))
    with pytest.raises(FileRejected) as exc:
        read_file(path, SOURCE)
    assert exc.value.rule == "unreadable_file" and "另存为 .xlsx" in exc.value.finding.message
    assert "2020-06.xlsx" in exc.value.finding.message and "password" in exc.value.finding.message_en
