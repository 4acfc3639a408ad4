"""Read a delivered CSV (UTF-8 or GBK) or XLSX file into a table of cell texts, in DuckDB.

The header row is the first row that holds the source's key column (so title rows
above it are skipped), headers may be Chinese or English, and every data row keeps
the row number a person sees in Excel or a text editor, for error reports.

The cells land in an in-memory DuckDB table (``cells``: ``_row`` and one VARCHAR per
declared column, cleaned: surrounding spaces removed, empty markers NULL), because a
national month has 500,000 rows and everything after reading (parsing, the landing
batch) is then one SQL statement instead of a Python loop per cell.
"""
from __future__ import annotations

import csv
import io
import itertools
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from town_industry.contracts.rules import bilingual, finding
from town_industry.contracts.sources import Source
from town_industry.ingest.parsing import define_macros, quoted

ROW = "_row"  # column holding each data row's row number in the file


class FileRejected(Exception):
    """The file as a whole cannot be read as this source (unreadable, no header, no rows).

    ``rule`` is a code of include/rules.yml and ``params`` the values of its message's placeholders.
    """

    def __init__(self, rule: str, params: dict, column: str | None = None, row: int | None = None):
        self.finding = finding(rule, params, column=column, row=row)
        super().__init__(self.finding.message_en)
        self.rule = rule


@dataclass
class RawTable:
    """The file's data rows as cleaned texts in ``con``'s table ``cells`` (declared names present + ROW)."""

    con: duckdb.DuckDBPyConnection
    columns: list[str]  # declared column names found in the header, in file order
    header_row: int
    rows: int
    extra_headers: list[str] = field(default_factory=list)
    duplicated: dict[str, list[int]] = field(default_factory=dict)  # declared name -> its 1-based columns
    encoding: str = ""
    positions: dict[str, int] = field(default_factory=dict)  # declared name -> its 0-based column in the file
    # XLSX formulas whose result the file does not hold: (row number, 0-based column) -> the formula
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)

    @property
    def cells(self) -> pd.DataFrame:
        """The cells as a frame of str/None (for inspection and tests; the pipeline stays in SQL)."""
        result = self.con.execute(f"SELECT * FROM cells ORDER BY {ROW}")
        names = [d[0] for d in result.description]
        return pd.DataFrame(result.fetchall(), columns=names, dtype=object).astype({ROW: "int64"})


def read_file(path: Path, source: Source) -> RawTable:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise FileRejected("unsupported_file_type", {"file": path.name})
    limits = source.limits
    _within(path, "size", path.stat().st_size / 2**20, limits.max_file_mb, "MB")
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    define_macros(con)
    formulas: dict[tuple[int, int], str] = {}
    if suffix == ".csv":
        raw, text, encoding, as_is = _decoded(path)
        lines = raw.rstrip(b"\r\n").count(b"\n") + 1
        _within(path, "rows", lines, limits.max_rows, "")
        table = _duckdb_csv(con, path, raw, text, as_is, lines) and _to_cells(con, source, path, within=True)
        if not table:
            # Blank lines, cells spanning lines, a header far down: DuckDB's reader would skip or merge
            # lines (row numbers would no longer be the ones a clerk sees) or miss columns. Such files
            # are small and unusual; Python's csv module reads them exactly.
            _load_rows(con, _csv_rows(text, path))
            table = _to_cells(con, source, path)
    else:
        rows, formulas, sheets = _xlsx_rows(path, limits)
        _load_rows(con, rows)
        encoding = "xlsx"
        try:
            table = _to_cells(con, source, path)
        except FileRejected as exc:
            if exc.rule != "required_column_missing" or len(sheets) < 2:
                raise
            # the usual cause: the data is on another sheet, and only the first is read
            others = "、".join(f"“{name}”" for name in sheets[1:])
            raise FileRejected("header_not_on_first_sheet", {"first": sheets[0], "others": bilingual(
                others, ", ".join(f"'{name}'" for name in sheets[1:]))}) from None
    table.encoding = encoding
    table.formulas = formulas
    return table


def _within(path: Path, what: str, measured: float, limit: float, unit: str) -> None:
    """Reject the file before reading further when ``measured`` exceeds the source's ``limit``."""
    if measured <= limit:
        return
    zh = {"size": "大小", "unpacked": "解压后的大小", "rows": "行数"}[what]
    shown = f"{measured:,.1f} {unit}" if unit else f"{measured:,.0f}"
    raise FileRejected("file_too_large", {"file": path.name, "what": bilingual(f"{zh}（{shown}）", f"{what} ({shown})"),
                                          "limit": f"{limit:,g} {unit}".strip()})


# ---- reading: every record of the file into table ``raw`` (c0, c1, ... VARCHAR), in file order ----

SAMPLE_LINES = 100  # DuckDB's reader is used when the header is among these lines (its width comes from them)


def _decoded(path: Path) -> tuple[bytes, str, str, bool]:
    """(bytes, text, encoding, whether DuckDB may read the file as it is: UTF-8 and nothing removed)."""
    raw = path.read_bytes()
    # Old DOS tools end a text file with Ctrl-Z (0x1A): an end-of-file mark, not a row.
    delivered = len(raw)
    body = raw.rstrip(b"\x1a\r\n")
    raw = body + raw[len(body):].replace(b"\x1a", b"")  # the line breaks at the end stay
    if not raw.strip():
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual("文件是空的", "the file is empty")})
    # Excel on Chinese Windows saves CSV as GBK; GB18030 is its superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        _one_encoding(raw, path)  # UTF-8 rows pasted into a GBK file are not GB18030 either
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            "既不是 UTF-8 也不是 GBK 编码的文本", "neither UTF-8 nor GBK text")})
    if encoding == "gb18030":
        _one_encoding(raw, path)
    if "\x00" in text:
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            "含有二进制内容，不是 CSV 文本文件", "binary content, not a CSV text file")})
    return raw, text, encoding, encoding == "utf-8-sig" and len(raw) == delivered


def _one_encoding(raw: bytes, path: Path) -> None:
    """Reject a file whose lines mix UTF-8 and GBK (rows pasted from two exports): GB18030 decodes the
    UTF-8 lines too, into wrong characters that would load without a word."""
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        raise FileRejected("mixed_encodings", {"file": path.name, "row": number}, row=number)


def _csv_rows(text: str, path: Path) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return list(reader)
    except csv.Error as exc:  # e.g. a cell longer than the csv module's limit (128 KB): say where
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            f"第 {reader.line_num} 行 CSV 格式有误：{exc}", f"not valid CSV at line {reader.line_num}: {exc}")},
            row=reader.line_num) from exc


def _duckdb_csv(con, path: Path, raw: bytes, text: str, as_is: bool, lines: int) -> bool:
    """Read with DuckDB's CSV reader; False when its records are not the file's lines.

    DuckDB skips blank lines and reads a quoted line break as part of its cell: either way it gives
    fewer records than the file has lines, which is how such files are recognised.
    """
    sample = itertools.islice(io.BytesIO(raw), SAMPLE_LINES)
    width = max(line.count(b",") for line in sample) + 1  # quoted commas only widen it; cells beyond are not read
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    with tempfile.TemporaryDirectory(prefix="town-industry-csv-") as tmp:
        source = path
        if not as_is:  # DuckDB reads UTF-8 only: hand it the text re-encoded (GBK, an end-of-file mark removed)
            source = Path(tmp) / "utf8.csv"
            source.write_text(text, encoding="utf-8")
        try:
            con.execute(f"""
                CREATE OR REPLACE TABLE raw AS
                SELECT * FROM read_csv({quoted(str(source))}, header = false, auto_detect = false,
                                       delim = ',', quote = '"', escape = '"', columns = {columns},
                                       null_padding = true, strict_mode = false, parallel = false)""")
        except duckdb.Error:
            return False  # the csv module then says what is wrong with it, or reads it
    return con.execute("SELECT count(*) FROM raw").fetchall()[0][0] == lines


def _load_rows(con: duckdb.DuckDBPyConnection, rows: list[list]) -> None:
    """Rows read in Python (XLSX, unusual CSV) into table ``raw``, one record per row, empty rows kept."""
    width = max((len(r) for r in rows), default=1) or 1
    frame = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in rows],
                         columns=[f"c{i}" for i in range(width)], dtype=object)
    con.register("raw_rows", frame)
    casts = ", ".join(f"CAST(c{i} AS VARCHAR) AS c{i}" for i in range(width))
    con.execute(f"CREATE OR REPLACE TABLE raw AS SELECT {casts} FROM raw_rows")
    con.unregister("raw_rows")


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


# Both .xls files and encrypted .xlsx files are OLE2 compound documents, which start with these bytes.
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def _xlsx_rows(path: Path, limits) -> tuple[list[list[str | None]], dict[tuple[int, int], str], list[str]]:
    """(rows of the first sheet, formulas without a saved result by (row number, column), sheet names)."""
    with path.open("rb") as f:
        if f.read(8) == OLE2_MAGIC:  # openpyxl would only say "not a zip file"
            raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
                "这是旧版 .xls 工作簿或加了密码的工作簿；请在 Excel/WPS 中去掉密码，另存为 .xlsx",
                "an old .xls workbook or a password-protected one; remove the password and save it as .xlsx")})
    _within(path, "unpacked", _unpacked_mb(path), limits.max_unpacked_mb, "MB")
    # Formulas are read as formulas first: with cached values only, a formula Excel never computed (a
    # workbook written by a program) would read as an empty cell, and an empty cell takes the default.
    rows, sheets = _sheet_rows(path, limits, data_only=False)
    formulas = {(r + 1, c): str(getattr(v, "text", v)) for r, row in enumerate(rows)
                for c, v in enumerate(row) if _is_formula(v)}
    if formulas:
        results, _ = _sheet_rows(path, limits, data_only=True)
        for (r, c) in list(formulas):
            saved = results[r - 1][c] if c < len(results[r - 1]) else None
            rows[r - 1][c] = saved if saved is not None else formulas[(r, c)]
            if saved is not None:
                del formulas[(r, c)]  # Excel saved its result: that is the value
    return [[_xlsx_cell(v) for v in row] for row in rows], formulas, sheets


def _is_formula(value: object) -> bool:
    # plain formulas read as "=..." text; array and data-table formulas as objects with a .text
    return (isinstance(value, str) and value.startswith("=")) or hasattr(value, "text")


def _unpacked_mb(path: Path) -> float:
    """The workbook's size once unzipped, from the zip's directory (the reader never inflates more)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist()) / 2**20
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            f"不是可读的 XLSX 工作簿：{exc}", f"not a readable XLSX workbook: {exc}")}) from exc


def _sheet_rows(path: Path, limits, data_only: bool) -> tuple[list[list], list[str]]:
    from openpyxl import load_workbook  # heavy import, only when an XLSX arrives

    try:
        workbook = load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            f"不是可读的 XLSX 工作簿：{exc}", f"not a readable XLSX workbook: {exc}")}) from exc
    try:
        rows = []
        # openpyxl parses the sheet lazily: a damaged sheet fails here, not in load_workbook
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > limits.max_rows:
                _within(path, "rows", len(rows), limits.max_rows, "")
        return rows, workbook.sheetnames
    except FileRejected:
        raise
    except Exception as exc:
        raise FileRejected("unreadable_file", {"file": path.name, "detail": bilingual(
            f"工作表内容损坏：{exc}", f"the worksheet is damaged: {exc}")}) from exc
    finally:
        workbook.close()


# ---- from records to cells: find the header, keep the declared columns, clean every cell ----------

def _no_rows_above(con, path: Path, header_index: int, width: int, header_cells: int) -> None:
    """Title lines above the header are skipped; a line there filled like a data row is not a title:
    it would be lost without a word (a header pasted below the first rows)."""
    if header_index == 0:
        return
    filled = " + ".join(f"CAST(clean_cell(c{i}) IS NOT NULL AS INTEGER)" for i in range(width))
    row = con.execute(f"SELECT min(rowid) FROM raw WHERE rowid < {header_index} AND {filled} >= "
                      f"{max(3, header_cells // 2)}").fetchall()[0][0]
    if row is not None:
        raise FileRejected("rows_above_header", {"file": path.name, "row": row + 1, "header_row": header_index + 1},
                           row=row + 1)


def _header_lookup(source: Source) -> dict[str, str]:
    return {header.strip(): col.name for col in source.columns for header in col.all_headers}


def _to_cells(con: duckdb.DuckDBPyConnection, source: Source, path: Path, within: bool = False) -> RawTable | None:
    """The data rows under the header; None when ``within`` and the header is not in the first SAMPLE_LINES."""
    width = len(con.execute("SELECT * FROM raw LIMIT 0").description)
    key_headers = sorted({h.strip() for name in source.key for h in source.column(name).all_headers})
    any_key = " OR ".join(f"clean_cell(c{i}) IN ({', '.join(quoted(h) for h in key_headers)})"
                          for i in range(width))
    # rowid is the record's position in the file: row numbers are rowid + 1. The header is nearly always
    # among the first rows: look there before cleaning every cell of the file.
    def first_header(rows: str) -> int | None:
        return con.execute(f"SELECT min(rowid) FROM raw WHERE ({rows}) AND ({any_key})").fetchall()[0][0]

    found = first_header(f"rowid < {SAMPLE_LINES}")
    if found is None and within:
        return None
    if found is None:
        found = first_header("true")
    if found is None:
        key = ", ".join(source.key)
        header = "、".join(source.column(name).header for name in source.key)
        raise FileRejected("required_column_missing", {"header": header, "column": key}, column=key)
    header_index = found
    cleaned = ", ".join(f"clean_cell(c{i})" for i in range(width))
    header = con.execute(f"SELECT {cleaned} FROM raw WHERE rowid = {header_index}").fetchall()[0]
    _no_rows_above(con, path, header_index, width, sum(text is not None for text in header))

    lookup = _header_lookup(source)
    positions: dict[str, int] = {}
    extra: list[str] = []
    seen: dict[str, list[int]] = {}
    for pos, text in enumerate(header):
        if text is None:
            continue
        name = lookup.get(text)
        if name is None:
            extra.append(text)
            continue
        seen.setdefault(name, []).append(pos + 1)
        if name not in positions and not source.column(name).is_dropped:  # names are never read
            positions[name] = pos

    selected = ", ".join(f'clean_cell(c{pos}) AS "{name}"' for name, pos in positions.items())
    # Excel and editors leave blank rows at the end: a row with no declared cell is not a row
    not_blank = " OR ".join(f'"{name}" IS NOT NULL' for name in positions) or "false"
    con.execute(f"""
        CREATE OR REPLACE TABLE cells AS
        SELECT * FROM (SELECT CAST(rowid + 1 AS INTEGER) AS {ROW}, {selected or 'NULL AS _none'}
                       FROM raw WHERE rowid > {header_index})
        WHERE {not_blank}""")  # in file order, without a sort: DuckDB keeps insertion order
    con.execute("DROP TABLE raw")
    rows = con.execute("SELECT count(*) FROM cells").fetchall()[0][0]
    if rows == 0:
        raise FileRejected("no_data_rows", {"file": path.name, "header_row": header_index + 1})
    # the same column twice (two 应税销售额 columns): which one holds the figures is the office's to say
    duplicated = {name: cols for name, cols in seen.items() if len(cols) > 1}
    return RawTable(con=con, columns=list(positions), header_row=header_index + 1, rows=rows, extra_headers=extra,
                    duplicated=duplicated, positions=positions)
