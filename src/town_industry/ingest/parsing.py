"""Parsers for the cell spellings real files use (docs/file_contracts.md, "Cells"), as SQL.

Each parser is a DuckDB expression over a cleaned cell text (NULL for an empty cell) that gives the
typed value, or NULL when the text does not parse; a cell that held text and gave NULL is reported
as unparseable. Written in SQL because a national month has millions of cells: DuckDB parses them in
one pass where Python took seconds per column. ``parse_texts`` runs a parser over a list of texts.
"""
from __future__ import annotations

from decimal import Decimal

import duckdb

from town_industry.contracts.rules import bilingual

EMPTY_MARKERS = ("", "—", "——", "-", "－", "/", "／")
# What Python's str.strip() removes: spaces of every width, tabs, line breaks.
WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006" \
             "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
BOOLEANS = {
    "是": True, "否": False, "y": True, "n": False, "yes": True, "no": False,
    "1": True, "0": False, "true": True, "false": False,
}
# Full-width digits (an IME left on) read as the digits they are.
_FULL_WIDTH = ("０１２３４５６７８９．", "0123456789.")

# Year, month and day are separated (2020-6-3, 2020/06/03, 2020年6月3日), except in the all-digit forms of
# exactly 6 or 8 digits (202006, 20200603), which get separators first: 2020123 could be 2020-1-23 or
# 2020-12-3, and 2020-12 in a date column is a month, not 2020-1-2, so neither is guessed at.
_MONTH = r"(\d{4})(?:-|/|\.|年)(\d{1,2})月?"
_DATE = r"(\d{4})(?:-|/|\.|年)(\d{1,2})(?:-|/|\.|月)(\d{1,2})日?"
_ALL_DIGITS = {"month": (r"^(\d{4})(\d\d)$", r"\1-\2"), "date": (r"^(\d{4})(\d\d)(\d\d)$", r"\1-\2-\3")}
# Commas only between groups of three digits (1,234.5): 1,5 and 0,5 are decimal commas (1.5, 0.5), not 15 and 5.
_NUMBER = r"[+-]?([1-9]\d{0,2}([,，]\d{3})+(\.\d*)?|\d+(\.\d*)?|\.\d+)"
# A number as parse_texts shows it: exact, and wide enough for any amount a file can hold.
_EXACT = "DECIMAL(38, 12)"
STORED_DECIMALS = 6  # the scale of STORAGE_TYPES["decimal"]


def quoted(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def define_macros(con: duckdb.DuckDBPyConnection) -> None:
    """The parsers as macros of ``con`` (an in-memory connection of one file)."""
    markers = ", ".join(quoted(m) for m in EMPTY_MARKERS)
    space = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"
    booleans = " ".join(f"WHEN {quoted(k)} THEN {str(v).lower()}" for k, v in BOOLEANS.items())
    con.execute(f"""
        -- spaces of every width removed at both ends, then the empty markers are NULL; written so that
        -- the usual cell (no spaces, not a marker) costs one regexp test (trim() with a set is slow)
        CREATE OR REPLACE MACRO unmarked(x) AS CASE WHEN x IN ({markers}) THEN NULL ELSE x END;
        CREATE OR REPLACE MACRO clean_cell(x) AS
            CASE WHEN x IN ({markers}) THEN NULL
                 WHEN regexp_matches(x, '^{space}|{space}$')
                 THEN unmarked(regexp_replace(x, '^{space}+|{space}+$', '', 'g'))
                 ELSE x END;
        -- full-width digits as ASCII; translate() is slow: only the rare cell with full-width digits pays for it
        CREATE OR REPLACE MACRO ascii_digits(x) AS
            CASE WHEN regexp_matches(x, '[{_FULL_WIDTH[0]}]')
                 THEN translate(x, {quoted(_FULL_WIDTH[0])}, {quoted(_FULL_WIDTH[1])}) ELSE x END;
        -- 202006 and 20200603 as 2020-06 and 2020-06-03 (see _MONTH)
        CREATE OR REPLACE MACRO month_text(x) AS
            regexp_replace(ascii_digits(x), {quoted(_ALL_DIGITS["month"][0])}, {quoted(_ALL_DIGITS["month"][1])});
        CREATE OR REPLACE MACRO date_text(x) AS
            regexp_replace(ascii_digits(x), {quoted(_ALL_DIGITS["date"][0])}, {quoted(_ALL_DIGITS["date"][1])});
        -- year 0000 (nullif: NULL) is 1 BC to DuckDB, a string to Python and no year to a clerk: not a date
        CREATE OR REPLACE MACRO parse_date(x) AS
            TRY_CAST(printf('%s-%s-%s', nullif(regexp_extract(date_text(x), '^{_DATE}$', 1), '0000'),
                            lpad(regexp_extract(date_text(x), '^{_DATE}$', 2), 2, '0'),
                            lpad(regexp_extract(date_text(x), '^{_DATE}$', 3), 2, '0')) AS DATE);
        CREATE OR REPLACE MACRO month_number(x) AS
            TRY_CAST(regexp_extract(month_text(x), '^{_MONTH}$', 2) AS INTEGER);
        -- a month spelling (2020-06, 202006, 2020/6, 2020年6月), or a full date naming its month
        CREATE OR REPLACE MACRO parse_month(x) AS
            CASE WHEN regexp_full_match(month_text(x), '{_MONTH}')
                 THEN CASE WHEN month_number(x) BETWEEN 1 AND 12
                           THEN make_date(CAST(nullif(regexp_extract(month_text(x), '^{_MONTH}$', 1), '0000')
                                               AS INTEGER), month_number(x), 1) END
                 ELSE CAST(date_trunc('month', parse_date(x)) AS DATE) END;
        CREATE OR REPLACE MACRO parse_boolean(x) AS CASE lower(x) {booleans} END;
        -- a number as written (1,234.5; full-width digits), commas removed; NULL when it is not a number
        CREATE OR REPLACE MACRO without_commas(x) AS replace(replace(ascii_digits(x), ',', ''), '，', '');
        CREATE OR REPLACE MACRO number_text(x) AS
            CASE WHEN regexp_full_match(ascii_digits(x), '{_NUMBER}') THEN without_commas(x) END;
        CREATE OR REPLACE MACRO parse_decimal(x) AS TRY_CAST(number_text(x) AS {_EXACT});
        -- 7 and 7.0 are whole numbers, 7.5 is not (a cast to BIGINT would round it)
        CREATE OR REPLACE MACRO parse_integer(x) AS
            CASE WHEN regexp_full_match(number_text(x), '[+-]?(\d+(\.0*)?|\.0+)')
                 THEN TRY_CAST(number_text(x) AS BIGINT) END;
    """)


def category_sql(expr: str, values: dict) -> str:
    """A category column: any listed spelling (or the code itself), in any case → the code."""
    spellings: dict[str, str] = {}
    for code, aliases in values.items():
        for text in (code, *(aliases or ())):
            spellings.setdefault(str(text).strip().lower(), code)
    cases = " ".join(f"WHEN {quoted(text)} THEN {quoted(code)}" for text, code in spellings.items())
    return f"CASE lower({expr}) {cases} END"


def parsed_sql(expr: str, column_type: str, values: dict | None = None) -> str:
    """The typed value of the cleaned text ``expr``, NULL when it does not parse."""
    if column_type == "category":
        return category_sql(expr, values or {})
    if column_type == "text":
        return expr
    return f"parse_{column_type}({expr})"


def decimal_sql(expr: str, factor: str | None) -> str:
    """A decimal cell in the warehouse's DECIMAL(18, 6), money multiplied exactly by ``factor`` into 万元.

    The text is rounded once, at the digit that becomes the 6th decimal after the unit conversion
    (千元: the 5th, 元: the 2nd, fen), so the multiplication is exact and stays in 64-bit arithmetic
    (a 38-digit product costs ten times more at 500,000 rows).
    """
    shift = 0 if factor is None else -int(Decimal(factor).log10())  # 千元 (0.1): 1, 亿元 (10000): -4
    value = f"TRY_CAST(number_text({expr}) AS DECIMAL(18, {STORED_DECIMALS - shift}))"
    if shift < 0:  # 亿元: 10 decimals, × 10000 overflows 18 digits (an error, not NULL) from about 92,234 亿元
        value = f"CAST({value} AS DECIMAL(38, {STORED_DECIMALS - shift}))"
    if factor is not None and shift != 0:
        value = f"{value} * {Decimal(factor)}"
    return f"TRY_CAST({value} AS DECIMAL(18, {STORED_DECIMALS}))"


def kept_decimals(factor: str | None) -> int:
    """Decimals of an amount in the file's unit that the warehouse keeps exactly (万元: 6, 千元: 5, 元: 2)."""
    return STORED_DECIMALS + (0 if factor is None else int(Decimal(factor).log10()))


def rounded_sql(expr: str, factor: str | None) -> str:
    """True when the number in ``expr`` has a non-zero digit beyond what ``decimal_sql`` keeps: it is
    rounded when stored, and the clerk should hear of it. (The digits are matched on the cell as written,
    full-width ones too, and number_text only checked for those cells: four times faster on a national month.)"""
    digits, non_zero = "[0-9０-９]", "[1-9１-９]"
    return (f"(regexp_matches({expr}, '[.．]{digits}{{{kept_decimals(factor)}}}{digits}*{non_zero}') "
            f"AND number_text({expr}) IS NOT NULL)")


def parse_texts(texts: list[str | None], column_type: str, values: dict | None = None) -> tuple[list, list[bool]]:
    """Clean and parse a list of cell texts: (values, unparseable flags)."""
    con = duckdb.connect()
    try:
        define_macros(con)
        con.execute("CREATE TABLE t AS SELECT unnest(?) AS raw, generate_subscripts(?, 1) AS i",
                    [[None if t is None else str(t) for t in texts]] * 2)
        rows = con.execute(f"""
            SELECT {parsed_sql('text', column_type, values)} AS value, text IS NOT NULL AND value IS NULL
            FROM (SELECT i, clean_cell(raw) AS text FROM t) ORDER BY i""").fetchall()
    finally:
        con.close()
    return [r[0] for r in rows], [r[1] for r in rows]


# What a cell of each type may hold, for the message of a cell that does not parse (rule unparseable_value).
ACCEPTED = {
    "month": bilingual("年月，如 2020-06、202006、2020/6 或 2020年6月",
                       "a month (2020-06, 202006, 2020/6 or 2020年6月)"),
    "date": bilingual("日期，如 2020-06-03、2020/6/3、2020年6月3日 或 20200603",
                      "a date (2020-06-03, 2020/6/3, 2020年6月3日, 20200603)"),
    "boolean": bilingual("是/否（也可写 Y/N、1/0、true/false）", "a yes/no value (是/否, Y/N, 1/0, true/false)"),
    "decimal": bilingual("数字，如 1234.5 或 1,234.5（不带单位和文字）", "a number (1234.5 or 1,234.5)"),
    "integer": bilingual("整数，如 120（不带小数、单位和文字）", "a whole number"),
}
