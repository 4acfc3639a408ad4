"""Property-based tests (Hypothesis) of every cell parser: any text reads as the right value or is reported.

The parsers are SQL macros (ingest/parsing.py). Two kinds of properties, for every kind of cell the
declarations use (month, date, yes/no, number, money in each unit, whole number, category, text):

- round trip: a valid value, written in every spelling docs/file_contracts.md ("Cells") accepts, with
  spaces of any width around it, reads back as exactly that value (exact Decimals for money);
- any text: the parser never raises, an empty cell (blank or an empty marker) is empty and not reported,
  and every other cell is reported exactly when the reference below rejects it, and otherwise reads as
  the reference's value.

The references are plain Python written from the contract, not from the SQL. Where the contract shows
examples, they generalise them as follows (the SQL accepts the same, and each reading is unambiguous):
a month or date may mix the separators the examples use (2020/6-3, 2020-6月) and leave out the closing
月 or 日; full-width digits count as digits in months and dates as in numbers; 12. is a number (nothing
after the point). A property run is deterministic (derandomize) and writes no example database.
"""
from __future__ import annotations

import sys
import tempfile
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis import strategies as st

from town_industry.ingest.parsing import decimal_sql, define_macros, parse_texts, parsed_sql

ROOT = Path(__file__).resolve().parents[1]
# Hypothesis keeps caches (and, for a failure, a patch) in ./.hypothesis: in the temporary folder instead.
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "town-industry-hypothesis")


def properties(examples: int):
    return settings(database=None, deadline=None, derandomize=True, max_examples=examples,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---- the contract, in plain Python ------------------------------------------------------------------

# "Spaces around a value are ignored": every character Python calls a space, of any width.
SPACES = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
EMPTY_MARKERS = {"", "—", "——", "-", "－", "/", "／"}
FULL_WIDTH = "０１２３４５６７８９．"
TO_ASCII = str.maketrans(FULL_WIDTH, "0123456789.")
DIGITS = "0123456789"
BOOLEANS = {"是": True, "否": False, "y": True, "n": False, "yes": True, "no": False,
            "1": True, "0": False, "true": True, "false": False}
UNITS = {"元": "0.0001", "千元": "0.1", "万元": "1", "亿元": "10000", None: None}  # money into 万元; None: no unit
STORABLE = Decimal(10) ** 12  # an amount of 10¹² 万元 or more is not accepted
EMPTY = object()  # what a reference gives for an empty cell (None: the text does not read as its kind)


def digits(text: str, fewest: int, most: int) -> bool:
    return fewest <= len(text) <= most and all(c in DIGITS for c in text)


def ref_clean(text: str | None) -> str | None:
    """A cell's text without the spaces around it; None for an empty cell."""
    text = None if text is None else text.strip()
    return None if text is None or text in EMPTY_MARKERS else text


def ref_number(text: str) -> Decimal | None:
    """1234.5, 1,234.5, 1，234.5, +12, -3, .5, 12., full-width digits; nothing else (no exponent, unit, %)."""
    text = text.translate(TO_ASCII)
    sign = text[:1] if text[:1] in ("+", "-") else ""
    whole, _, fraction = text[len(sign):].partition(".")
    groups = whole.replace("，", ",").split(",")
    if len(groups) > 1:  # thousands separators: 1 to 3 digits (not a lone 0), then groups of three
        if not (digits(groups[0], 1, 3) and groups[0][0] != "0" and all(digits(g, 3, 3) for g in groups[1:])):
            return None
        whole = "".join(groups)
    if not (digits(whole, 0, 10**6) and digits(fraction, 0, 10**6)) or not (whole or fraction):
        return None
    return Decimal(f"{sign}{whole or 0}.{fraction or 0}")


def rounded(value: Decimal, places: int) -> Decimal:
    """Half away from zero, once (Decimal's ROUND_HALF_UP), exactly."""
    with localcontext() as ctx:
        ctx.prec = len(value.as_tuple().digits) + places + 50
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def ref_money(text: str, factor: str | None) -> Decimal | None:
    """The amount in 万元, rounded once at its 6th decimal; None at 10¹² 万元 or more."""
    number = ref_number(text)
    if number is None or number.adjusted() > 20:  # far beyond any storable amount in any unit
        return None
    with localcontext() as ctx:
        ctx.prec = len(number.as_tuple().digits) + 10  # exact: the factors are powers of ten
        wan = rounded(number * Decimal(factor or 1), 6)
    return wan if wan.copy_abs() < STORABLE else None


def ref_exact_decimal(text: str) -> Decimal | None:
    """A number as parse_texts shows it (DECIMAL(38, 12)): rounded once at the 12th decimal, below 10²⁶."""
    number = ref_number(text)
    if number is None or number.adjusted() > 30:
        return None
    number = rounded(number, 12)
    return number if number.copy_abs() < Decimal(10) ** 26 else None


def ref_integer(text: str) -> int | None:
    """A number with nothing (or only zeros) after the point, in BIGINT's range."""
    number = ref_number(text)
    if number is None or number.adjusted() > 20 or number != number.to_integral_value():
        return None
    return int(number) if -2**63 <= int(number) < 2**63 else None


def _calendar(year: str, month: str, day: str) -> date | None:
    if not (digits(year, 4, 4) and digits(month, 1, 2) and digits(day, 1, 2)):
        return None
    try:
        return date(int(year), int(month), int(day))  # year 0000, month 13, 30 February: ValueError
    except ValueError:
        return None


def ref_date(text: str) -> date | None:
    """2020-06-03, 2020/6/3, 2020.6.3, 2020年6月3日, 20200603."""
    text = text.translate(TO_ASCII)
    if digits(text, 8, 8):
        return _calendar(text[:4], text[4:6], text[6:])
    text = text[:-1] if text.endswith("日") else text
    year, after_year, rest = text[:4], text[4:5], text[5:]
    cut = next((i for i, c in enumerate(rest) if c in "-/.月"), None)
    if after_year == "" or after_year not in "-/.年" or cut is None:
        return None
    return _calendar(year, rest[:cut], rest[cut + 1:])


def ref_month(text: str) -> date | None:
    """2020-06, 2020-6, 202006, 2020/6, 2020.6, 2020年6月; a full date names its month."""
    ascii_text = text.translate(TO_ASCII)
    if digits(ascii_text, 6, 6):
        year, month = ascii_text[:4], ascii_text[4:]
    else:
        core = ascii_text[:-1] if ascii_text.endswith("月") else ascii_text
        year, after_year, month = core[:4], core[4:5], core[5:]
        if after_year == "" or after_year not in "-/.年":
            month = ""
    if digits(year, 4, 4) and digits(month, 1, 2):
        return _calendar(year, month, "1")
    day = ref_date(text)
    return None if day is None else day.replace(day=1)


def ref_boolean(text: str) -> bool | None:
    return BOOLEANS.get(text.lower())


def _declared_categories() -> dict[str, dict]:
    """Every category column of include/sources/*.yml: its values (code -> the spellings files use)."""
    columns = {}
    for path in sorted((ROOT / "include" / "sources").glob("*.yml")):
        declaration = yaml.safe_load(path.read_text(encoding="utf-8"))
        for column in declaration["columns"]:
            if column["type"] == "category":
                columns[f"{declaration['name']}.{column['name']}"] = column["values"]
    return columns


CATEGORIES = _declared_categories()


def ref_category(text: str, values: dict) -> str | None:
    spellings = {str(s).lower(): code for code, aliases in values.items() for s in (code, *(aliases or ()))}
    return spellings.get(text.lower())


def ref(reader, text: str | None):
    """EMPTY for an empty cell, else the reference reading of the cleaned text (None: unparseable)."""
    cleaned = ref_clean(text)
    return EMPTY if cleaned is None else reader(cleaned)


# ---- running the parsers --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def con():
    """One connection with the macros, as a file's (parse_texts opens one per call: ~40 ms)."""
    connection = duckdb.connect()
    define_macros(connection)
    yield connection
    connection.close()


def parse_all(con, texts: list[str | None], parsers: dict[str, str]) -> dict[str, list]:
    """Each parser (SQL over the cleaned cell ``c``) on every text, in one query: name -> values."""
    columns = ", ".join(f'{sql} AS "{name}"' for name, sql in parsers.items())
    rows = con.execute(f"""
        SELECT {columns} FROM (SELECT i, clean_cell(raw) AS c
                               FROM (SELECT unnest(?) AS raw, generate_subscripts(?, 1) AS i)) ORDER BY i""",
                       [texts, texts]).fetchall()
    return {name: [row[k] for row in rows] for k, name in enumerate(parsers)}


def assert_reads(texts, values, reference, what=""):
    """Each value is what the reference reads (None where it rejects the text, an empty cell included)."""
    for text, value in zip(texts, values):
        expected = reference(text)
        expected = None if expected is EMPTY else expected
        assert value == expected and type(value) is type(expected), (what, text, value, expected)


def assert_reported(texts, values, unparseable, reference, what=""):
    """parse_texts' flags: an empty cell is not reported, any other cell exactly when it gives no value."""
    assert_reads(texts, values, reference, what)
    for text, value, flagged in zip(texts, values, unparseable):
        assert flagged is (value is None and ref_clean(text) is not None), (what, text, value, flagged)


# ---- the spellings the contract accepts ---------------------------------------------------------

def month_spellings(year: int, month: int) -> list[str]:
    y = f"{year:04d}"
    return [f"{y}-{month:02d}", f"{y}-{month}", f"{y}{month:02d}", f"{y}/{month}", f"{y}/{month:02d}",
            f"{y}.{month}", f"{y}.{month:02d}", f"{y}年{month}月", f"{y}年{month:02d}月"]


def date_spellings(day: date) -> list[str]:
    y, m, d = f"{day.year:04d}", day.month, day.day
    return [f"{y}-{m:02d}-{d:02d}", f"{y}-{m}-{d}", f"{y}/{m}/{d}", f"{y}/{m:02d}/{d:02d}", f"{y}.{m}.{d}",
            f"{y}.{m:02d}.{d:02d}", f"{y}年{m}月{d}日", f"{y}年{m:02d}月{d:02d}日", f"{y}{m:02d}{d:02d}"]


def number_spellings(value: Decimal) -> list[str]:
    """1234.5 as 1234.5, +1234.5, 1,234.5, 1，234.5, 1234.50, (.5 for 0.5, 12. for 12)."""
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{value.copy_abs():f}".partition(".")  # copy_abs: abs() rounds to 28 digits
    fraction = fraction.rstrip("0")
    point = f".{fraction}" if fraction else ""
    forms = [f"{sign}{whole}{point}", f"{sign}{int(whole):,}{point}", f"{sign}{int(whole):,}{point}".replace(",", "，"),
             f"{sign}{whole}.{fraction}000", f"{sign}{whole}{point or '.'}"]
    if value >= 0:
        forms.append(f"+{whole}{point}")
    if whole == "0" and fraction:
        forms.append(f"{sign}.{fraction}")
    return forms


# ---- strategies -----------------------------------------------------------------------------------

spaces = st.text(alphabet=SPACES, max_size=3)
# the spaces a clerk's cell has: mostly none, sometimes an ideographic space or a tab
padding = st.one_of(st.just(""), spaces, st.sampled_from([" ", "\u3000", "\t", "\xa0", " \u3000 "]))
pads = st.tuples(padding, padding)
days = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789.", FULL_WIDTH))


def any_case(word: str):
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c.lower() for c, u in zip(word, upper)))


def padded(forms: list[str], pads: tuple[str, str]) -> list[str]:
    """Each spelling as written, with spaces around it, and with full-width digits."""
    left, right = pads
    return [t for form in forms for t in (form, left + form + right, full_width(form))]


FRAGMENTS = [
    "0", "1", "7", "9", "00", "06", "12", "13", "29", "30", "31", "123", "1234", "2020", "0000", "9999", "000",
    ",", "，", ",000", ",123", ".", "．", "+", "-", "－", "−", "e", "E", "e+", "e-", "1e3", "E5",
    "NaN", "nan", "Infinity", "-inf", "年", "月", "日", "/", "／", "—", "_", " ", "\u3000", "\t", "\xa0",
    "０", "１", "６", "９", "%", "元", "万元", "￥", "x", "\u200b", "\ufeff", "٣", "²", "Ⅻ", "零",
    "是", "否", "y", "N", "yes", "No", "TRUE", "false", "9" * 19, "9" * 27, "0" * 30, "5" * 45,
]
DATE_BITS = [*"0123456789-/.年月日 ", "－", "．", "３", "13", "00", "32"]


@st.composite
def number_texts(draw) -> str:
    """Nearly a number: signs, separators right and misplaced, up to 30 digits, many decimals, exponents."""
    sign = draw(st.sampled_from(["", "", "-", "+", "－", "--"]))
    whole = draw(st.integers(0, 10**30))
    sep = draw(st.sampled_from(["", "", ",", "，"]))
    if sep:
        whole = f"{whole:,}".replace(",", sep)
        if draw(st.booleans()):  # a misplaced separator: 1,5 / 12,34 / ,5 / 1,,000
            i = draw(st.integers(0, len(whole)))
            whole = whole[:i] + draw(st.sampled_from([",", "，", ""])) + whole[i:]
    else:
        whole = str(whole) if draw(st.booleans()) else draw(st.sampled_from(["", "0", "00", "1", "12"]))
    point = draw(st.sampled_from(["", ".", ".", ".", "．", ","]))
    fraction = draw(st.text(alphabet="0123456789", max_size=25)) if point else ""
    exponent = draw(st.sampled_from([""] * 6 + ["e3", "E-2", "e+10", "e"]))
    return sign + whole + point + fraction + exponent


@st.composite
def date_texts(draw) -> str:
    """A month or a date in one of its spellings, then up to 3 edits: a character dropped, doubled or inserted."""
    day = draw(st.one_of(st.dates(date(1990, 1, 1), date(2030, 12, 31)), days))
    text = draw(st.sampled_from(month_spellings(day.year, day.month) + date_spellings(day)))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["drop", "double", "insert"]))
        inserted = text[i:i + 1] if edit == "double" else draw(st.sampled_from(DATE_BITS)) if edit == "insert" else ""
        text = text[:i] + inserted + text[i + (edit == "drop"):]
    return text


@st.composite
def spellings(draw) -> str:
    """A yes/no word or a category spelling of any declaration, in any letter case."""
    words = [*BOOLEANS, *(str(s) for values in CATEGORIES.values() for code, aliases in values.items()
                          for s in (code, *(aliases or ())))]
    return draw(st.sampled_from(words).flatmap(any_case))


@st.composite
def cell_texts(draw):
    """Any text, weighted towards what is nearly a number, a month, a date, a yes/no or a category."""
    text = draw(st.one_of(
        st.text(),  # any unicode, control characters included
        st.lists(st.sampled_from(FRAGMENTS), max_size=8).map("".join),
        number_texts(),
        date_texts(),
        spellings(),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),  # 1E+5, NaN, -Infinity, sNaN
        st.floats().map(repr),  # 1e+300, inf, nan, 5e-324
        st.integers(-10**40, 10**40).map(str),
    ))
    return draw(padding) + text + draw(padding)


def batches(nearly=st.nothing()):
    """Lists of cells for one query: any text, and as many that are nearly what the parser reads."""
    return st.lists(st.one_of(cell_texts(), st.tuples(padding, nearly, padding).map("".join)), min_size=20, max_size=80)


# ---- round trips: every accepted spelling of a valid value reads as exactly that value ------------

def assert_round_trips(cases, column_type: str, spellings, read_as=lambda value: value) -> None:
    """Every spelling of every (value, padding) case parses, as one query, to ``read_as(value)``."""
    texts, expected = [], []
    for value, pad in cases:
        forms = padded(spellings(value), pad)
        texts += forms
        expected += [read_as(value)] * len(forms)
    values, unparseable = parse_texts(texts, column_type)
    assert list(zip(texts, values)) == list(zip(texts, expected)) and not any(unparseable)


@properties(25)
@given(st.lists(st.tuples(days, pads), min_size=1, max_size=12))
def test_every_month_spelling_reads_as_its_month(cases):
    assert_round_trips(cases, "month", lambda day: month_spellings(day.year, day.month) + date_spellings(day),
                       read_as=lambda day: day.replace(day=1))


@properties(25)
@given(st.lists(st.tuples(days, pads), min_size=1, max_size=12))
def test_every_date_spelling_reads_as_its_date(cases):
    assert_round_trips(cases, "date", date_spellings)


@properties(20)
@given(st.lists(st.tuples(st.sampled_from(sorted(BOOLEANS)).flatmap(lambda w: st.tuples(st.just(w), any_case(w))),
                          pads), min_size=1, max_size=40))
def test_every_yes_no_spelling_reads_as_its_value(cases):
    texts = [left + spelled + right for (_, spelled), (left, right) in cases]
    values, unparseable = parse_texts(texts, "boolean")
    assert values == [BOOLEANS[word] for (word, _), _ in cases] and not any(unparseable)


@st.composite
def exact_amounts(draw, places: int, whole_digits: int) -> Decimal:
    """Exact decimals below 10**whole_digits with up to ``places`` decimals, every magnitude about as likely."""
    whole = draw(st.integers(0, 10 ** draw(st.integers(0, whole_digits)) - 1))
    decimals = draw(st.integers(0, places))
    fraction = f"{draw(st.integers(0, 10**decimals - 1)):0{decimals}d}" if decimals else "0"
    return Decimal(f"{draw(st.sampled_from(['', '-']))}{whole}.{fraction}")


@properties(30)
@given(st.lists(st.tuples(exact_amounts(12, 26), pads), min_size=1, max_size=20))
def test_every_number_spelling_reads_as_its_exact_value(cases):
    assert_round_trips(cases, "decimal", number_spellings)


@properties(30)
@given(st.lists(st.tuples(st.sampled_from(list(UNITS)), exact_amounts(6, 12), pads), min_size=1, max_size=20))
def test_every_amount_in_its_unit_is_stored_exactly_in_wan_yuan(con, cases):
    """An amount of 万元 (6 decimals, below 10¹²), written in the column's unit (120,000 元 = 12 万元)."""
    for unit in UNITS:
        texts, expected = [], []
        for _, stored, pad in (case for case in cases if case[0] == unit):
            with localcontext() as ctx:
                ctx.prec = 60
                written = stored / Decimal(UNITS[unit] or 1)  # exact: the factors are powers of ten
            forms = padded(number_spellings(written), pad)
            texts += forms
            expected += [stored] * len(forms)
        if texts:
            values = parse_all(con, texts, {"money": decimal_sql("c", UNITS[unit])})["money"]
            assert list(zip(texts, values)) == list(zip(texts, expected)), unit
            assert all(v.as_tuple().exponent == -6 for v in values)  # DECIMAL(18, 6), as stored


@properties(25)
@given(st.lists(st.tuples(st.integers(-2**63, 2**63 - 1), pads), min_size=1, max_size=20))
def test_every_whole_number_spelling_reads_as_its_integer(cases):
    texts, expected = [], []
    for number, pad in cases:
        forms = padded(number_spellings(Decimal(number)) + [f"{number}.0", f"{number}.000"], pad)
        texts += forms
        expected += [number] * len(forms)
    values, unparseable = parse_texts(texts, "integer")
    assert list(zip(texts, values)) == list(zip(texts, expected)) and not any(unparseable)


@pytest.mark.parametrize("column", sorted(CATEGORIES))
@properties(15)
@given(data=st.data())
def test_every_category_spelling_reads_as_its_code(column, data):
    values = CATEGORIES[column]
    spellings = [(str(s), code) for code, aliases in values.items() for s in (code, *(aliases or ()))]
    cases = data.draw(st.lists(st.tuples(st.sampled_from(spellings).flatmap(
        lambda sc: st.tuples(any_case(sc[0]), st.just(sc[1]))), pads), min_size=1, max_size=40))
    texts = [left + spelled + right for (spelled, _), (left, right) in cases]
    codes, unknown = parse_texts(texts, "category", values)
    assert codes == [code for (_, code), _ in cases] and not any(unknown)


@properties(20)
@given(st.lists(st.tuples(st.text(min_size=1).map(str.strip).filter(lambda t: t not in EMPTY_MARKERS), pads),
                min_size=1, max_size=40))
def test_a_text_cell_reads_as_written_without_the_spaces_around_it(cases):
    texts = [left + text + right for text, (left, right) in cases]
    values, unparseable = parse_texts(texts, "text")
    assert values == [text for text, _ in cases] and not any(unparseable)


# ---- any text: never a crash, never a wrong value ----------------------------------------------------

REFERENCES = {"month": (lambda t: ref(ref_month, t)), "date": (lambda t: ref(ref_date, t)),
              "boolean": (lambda t: ref(ref_boolean, t))}


@pytest.mark.parametrize("column_type", REFERENCES)
@properties(60)
@given(texts=batches(st.one_of(date_texts(), spellings())))
def test_any_text_as_a_month_a_date_or_yes_no(con, column_type, texts):
    values = parse_all(con, texts, {column_type: parsed_sql("c", column_type)})[column_type]
    assert_reads(texts, values, REFERENCES[column_type], column_type)


@properties(60)
@given(batches(number_texts()))
def test_any_text_as_a_number_or_an_amount_in_any_unit(con, texts):
    parsers = {"decimal": parsed_sql("c", "decimal"), "integer": parsed_sql("c", "integer"),
               **{f"money {unit}": decimal_sql("c", factor) for unit, factor in UNITS.items()}}
    read = parse_all(con, texts, parsers)
    assert_reads(texts, read["decimal"], lambda t: ref(ref_exact_decimal, t), "decimal")
    assert_reads(texts, read["integer"], lambda t: ref(ref_integer, t), "integer")
    for unit, factor in UNITS.items():
        assert_reads(texts, read[f"money {unit}"], lambda t: ref(lambda c: ref_money(c, factor), t), unit)


@properties(40)
@given(batches(spellings()))
def test_any_text_as_a_category(con, texts):
    read = parse_all(con, texts, {name: parsed_sql("c", "category", values) for name, values in CATEGORIES.items()})
    for name, values in CATEGORIES.items():
        assert_reads(texts, read[name], lambda t: ref(lambda c: ref_category(c, values), t), name)


@properties(10)
@given(batches(st.one_of(date_texts(), number_texts(), spellings())))
def test_any_text_through_parse_texts_is_read_or_reported(texts):
    """parse_texts itself (a connection per call): values as the references read them, flags to match."""
    for kind, reader in [("month", ref_month), ("date", ref_date), ("boolean", ref_boolean),
                         ("decimal", ref_exact_decimal), ("integer", ref_integer), ("text", lambda c: c)]:
        values, unparseable = parse_texts(texts, kind)
        assert_reported(texts, values, unparseable, lambda t: ref(reader, t), kind)


# ---- regressions: what the properties found ------------------------------------------------------

@pytest.mark.parametrize("text", ["1,5", "0,5", "12,34", "1,2,3", ",5", "5,", "1.2,3", "1,234.5,6", "1,0000", "0,123"])
def test_a_comma_that_is_not_a_thousands_separator_is_reported_not_dropped(text):
    """1,5 read as 15 (and 0,5 as 5, 1.2,3 as 1.23): every comma was removed, wherever it stood."""
    for kind in ("decimal", "integer"):
        values, unparseable = parse_texts([text], kind)
        assert values == [None] and unparseable == [True], (kind, text)
    assert parse_texts(["1,234.5", "1，234", "-12,345,678.9"], "decimal")[0] == [
        Decimal("1234.5"), Decimal("1234"), Decimal("-12345678.9")]


@pytest.mark.parametrize("text,kind", [("2020123", "date"), ("2020-123", "date"), ("2020-12", "date"),
                                       ("202012", "date"), ("2020年12月", "date"), ("2020-0603", "date"),
                                       ("2020123", "month"), ("2020-123", "month"), ("20206", "month")])
def test_a_date_or_month_without_separators_is_read_only_at_its_full_length(text, kind):
    """2020123 read as 2020-12-03 (or 2020-1-23?), and a month in a date column (2020-12) as 2020-01-02."""
    values, unparseable = parse_texts([text], kind)
    assert values == [None] and unparseable == [True]


@pytest.mark.parametrize("text,kind", [("0000-06", "month"), ("000006", "month"), ("0000-06-03", "month"),
                                       ("0000-06-03", "date"), ("00000603", "date")])
def test_year_zero_is_reported_not_a_date_before_christ(text, kind):
    """Year 0000 was read as 1 BC: DuckDB's DATE '0001-01-01 (BC)', which Python only gets as a string."""
    values, unparseable = parse_texts([text], kind)
    assert values == [None] and unparseable == [True]


def test_a_large_amount_in_yi_yuan_is_converted_not_crashed(con):
    """亿元 × 10000 overflowed DECIMAL(18, 10) (an error that stopped the file) from about 92,234 亿元."""
    texts = ["99999999.9999999999", "92234", "-50,000.5", "100000000", "0.00000000005"]
    values = parse_all(con, texts, {"money": decimal_sql("c", "10000")})["money"]
    assert values == [Decimal("999999999999.999999"), Decimal("922340000"), Decimal("-500005000"), None,
                      Decimal("0.000001")]
