"""Readers and parsers: every spelling docs/file_contracts.md lists, both encodings, XLSX with a title row."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from town_industry.ingest.parsing import parse_boolean, parse_date, parse_decimal, parse_month, parse_series
from town_industry.ingest.readers import FileRejected, read_file
from town_industry.contracts.sources import get_source
from town_industry.ingest.validation import parse_cells

SOURCE = get_source("enterprise_monthly")
HEADER_ZH = ["统计年月", "统一社会信用代码", "企业名称", "行业代码", "是否规上", "工业总产值(千元)",
             "应税销售额(万元)", "高新技术产业产值(千元)", "研发经费支出(千元)", "从业人员期末人数"]
ROW = ["2020年6月", "91110108551385082Q", "南通金绸纺织有限公司", "1711", "是", "1,234.5", "98.76", "—", "", "120"]


@pytest.mark.parametrize("text", ["2020-06", "202006", "2020/6", "2020年6月", "2020/06", "2020-06-01"])
def test_month_spellings(text):
    assert parse_month(text) == "2020-06"


@pytest.mark.parametrize("text", ["2020-13", "June 2020", "20-06", "2020年13月"])
def test_bad_months(text):
    assert parse_month(text) is None


@pytest.mark.parametrize("text", ["2020-06-03", "2020/6/3", "2020年6月3日", "20200603"])
def test_date_spellings(text):
    assert parse_date(text) == date(2020, 6, 3)


def test_impossible_date():
    assert parse_date("2020-02-30") is None


@pytest.mark.parametrize("text,value", [("是", True), ("否", False), ("Y", True), ("n", False), ("1", True),
                                        ("0", False), ("true", True), ("FALSE", False)])
def test_boolean_spellings(text, value):
    assert parse_boolean(text) is value


def test_numbers_are_exact_decimals():
    assert parse_decimal("1,234.5") == Decimal("1234.5")
    assert parse_decimal("12,345,678.91") == Decimal("12345678.91")
    assert parse_decimal("1.2.3") is None and parse_decimal("abc") is None


def test_empty_markers_and_unparseable_mask():
    import pandas as pd

    from town_industry.ingest.parsing import clean_cell

    cells = pd.Series([clean_cell(v) for v in ["—", " 7 ", "/", "-", "x", None]], dtype=object)
    values, bad = parse_series(cells, "integer")
    assert list(values) == [None, 7, None, None, None, None]
    assert list(bad) == [False, False, False, False, True, False]


def _write_csv(path, rows, encoding):
    path.write_bytes("\r\n".join(",".join(f'"{c}"' for c in r) for r in rows).encode(encoding))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings(tmp_path, encoding):
    path = tmp_path / "2020-06.csv"
    _write_csv(path, [HEADER_ZH, ROW], encoding)
    table = read_file(path, SOURCE)
    assert table.cells.loc[0, "enterprise_name"] == "南通金绸纺织有限公司"
    assert table.cells.loc[0, "_row"] == 2


def test_english_headers_spaces_and_units(tmp_path):
    path = tmp_path / "2020-06.csv"
    english = [f" {c.name} " for c in SOURCE.columns]
    _write_csv(path, [english, ROW], "utf-8")
    frame, findings = parse_cells(read_file(path, SOURCE).cells, SOURCE)
    assert findings == []
    row = frame.iloc[0]
    assert row["stat_month"] == "2020-06" and row["is_above_scale"] is True
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
    frame, findings = parse_cells(table.cells, SOURCE)
    assert findings == []
    assert len(frame) == 1 and frame.loc[0, "_row"] == 4
    assert frame.loc[0, "stat_month"] == "2020-06"
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
