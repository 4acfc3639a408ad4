"""Parsers for the cell spellings real files use (docs/file_contracts.md, "Cells").

Each parser takes a column of raw cell texts (str, or None for an empty cell) and
returns the parsed values plus a mask of the cells that held text but did not parse.
Empty markers (``—``, ``-``, ``/``, blank) become None before any parser sees them.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import pandas as pd

from town_industry.contracts.rules import bilingual

EMPTY_MARKERS = {"", "—", "——", "-", "－", "/", "／"}

_MONTH = re.compile(r"^(\d{4})(?:-|/|\.|年)?(\d{1,2})月?$")
_DATE = re.compile(r"^(\d{4})(?:-|/|\.|年)?(\d{1,2})(?:-|/|\.|月)?(\d{1,2})日?$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_BOOLEANS = {
    "是": True, "否": False, "y": True, "n": False, "yes": True, "no": False,
    "1": True, "0": False, "true": True, "false": False,
}


def clean_cell(value: object) -> str | None:
    """Cell text with surrounding spaces removed; None for the empty markers."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in EMPTY_MARKERS else text


def parse_month(text: str) -> str | None:
    """``2020-06``, ``202006``, ``2020/6``, ``2020年6月`` (or a full date) → ``2020-06``."""
    m = _MONTH.match(text)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
    else:
        d = parse_date(text)  # an Excel date cell or a full date names its month
        if d is None:
            return None
        year, month = d.year, d.month
    return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None


def parse_date(text: str) -> date | None:
    """``2020-06-03``, ``2020/6/3``, ``2020年6月3日``, ``20200603`` → a date."""
    m = _DATE.match(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def parse_boolean(text: str) -> bool | None:
    return _BOOLEANS.get(text.lower())


def parse_decimal(text: str) -> Decimal | None:
    """``1,234.5`` → Decimal('1234.5'); exact, never a float."""
    text = text.replace(",", "").replace("，", "")
    if not _NUMBER.match(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None


def parse_integer(text: str) -> int | None:
    number = parse_decimal(text)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


PARSERS = {
    "month": parse_month,
    "date": parse_date,
    "boolean": parse_boolean,
    "decimal": parse_decimal,
    "integer": parse_integer,
    "text": lambda text: text,
}


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


def category_parser(values: dict) -> callable:
    """Parser of a category column: any listed spelling (or the code itself) → the code."""
    spellings = {}
    for code, aliases in values.items():
        for text in (code, *(aliases or ())):
            spellings[str(text).strip().lower()] = code
    return lambda text: spellings.get(text.lower())


def parse_series(cells: pd.Series, column_type: str, values: dict | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a column of cleaned cell texts; returns (values, unparseable mask)."""
    parser = category_parser(values) if column_type == "category" else PARSERS[column_type]
    # Files repeat values a lot (months, flags, codes): parse each distinct text once.
    distinct = {text: parser(text) for text in cells.dropna().unique()}
    parsed = pd.Series(
        [None if text is None else distinct[text] for text in cells], index=cells.index, dtype=object
    )
    unparseable = cells.notna() & parsed.isna()
    return parsed, unparseable
