"""Turn a delivered file into typed rows and the findings that decide its fate.

Three stages, each adding findings: reading (file-level problems), parsing (cells
that do not parse, missing or extra columns; in SQL) and the source's Great Expectations
suite (row-level rules, on a pandas copy of the typed rows). Errors reject the file;
warnings are recorded.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from town_industry import settings
from town_industry.contracts.codes import mask_id_number, mask_id_numbers_in
from town_industry.contracts.findings import ERROR, WARNING, Finding, count
from town_industry.contracts.rules import bilingual, finding
from town_industry.contracts.sources import Column, Source, subject_text
from town_industry.ingest.archive import sha256_of
from town_industry.ingest.parsing import ACCEPTED, decimal_sql, kept_decimals, parsed_sql, quoted, rounded_sql
from town_industry.ingest.readers import ROW, FileRejected, RawTable, read_file
from town_industry.ingest.suites import runtime_params

log = logging.getLogger(__name__)


@dataclass
class Validated:
    path: Path
    sha256: str
    typed: TypedRows | None  # typed rows in canonical units; None when the file could not be parsed
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return count(self.findings, ERROR)

    @property
    def warnings(self) -> int:
        return count(self.findings, WARNING)

    @property
    def rows(self) -> int:
        return 0 if self.typed is None else self.typed.rows


@dataclass
class TypedRows:
    """A file's rows parsed into the warehouse's types, in ``con``'s table ``typed`` (declared names + ROW).

    Money is in 万元 (exact decimals), months are the first day of the month.
    """

    con: duckdb.DuckDBPyConnection
    source: Source
    rows: int

    @property
    def frame(self) -> pd.DataFrame:
        """The rows as a frame of Python values (Decimal, date, bool; for inspection and tests)."""
        result = self.con.execute(f"SELECT * FROM typed ORDER BY {ROW}")
        return pd.DataFrame(result.fetchall(), columns=[d[0] for d in result.description], dtype=object)


def validate_file(path: Path, source: Source, month: str, sha256: str | None = None) -> Validated:
    """Read, parse and validate ``path`` as ``source``'s file for ``month`` (YYYY-MM)."""
    sha = sha256 or sha256_of(path)
    try:
        raw = read_file(path, source)
    except FileRejected as exc:
        return Validated(path, sha, None, [exc.finding])
    typed, findings = validate_table(raw, source, month, sha256=sha)
    return Validated(path, sha, typed, findings)


def validate_table(raw: RawTable, source: Source, month: str,
                   sha256: str | None = None) -> tuple[TypedRows | None, list[Finding]]:
    """Parse the cells, then run the suite; a cell that did not parse is reported once, as such.
    With the file's ``sha256``, the suite's result also becomes the file's Data Docs page."""
    typed, parsed = parse_cells(raw, source)
    formulas = _formulas_without_value(raw, source)
    shadowed = {(f.row, f.column) for f in formulas}  # "=F2*0.5" is no number either: one finding is enough
    findings = formulas + [f for f in parsed if (f.row, f.column) not in shadowed]
    for name, columns in raw.duplicated.items():
        findings.append(finding("duplicate_column", {"header": source.column(name).header, "column": name,
                                                     "positions": bilingual("、".join(map(str, columns)),
                                                                            ", ".join(map(str, columns)))},
                                row=raw.header_row, column=name))
    for header in raw.extra_headers:
        title = bilingual(source.title, source.name)
        findings.append(finding("extra_column_ignored", {"header": header, "title": title},
                                row=raw.header_row, column=header))
    if typed is not None:
        already = {(f.row, f.column) for f in findings}
        suite_findings = run_suite(typed, source, month, sha256=sha256)
        findings += [f for f in suite_findings if (f.row, f.column) not in already]
    findings.sort(key=lambda f: (f.row or 0, f.column or "", f.rule))
    return typed, _with_subjects(findings, typed, source, raw.header_row)


def _with_subjects(findings: list[Finding], typed: TypedRows | None, source: Source,
                   header_row: int | None) -> list[Finding]:
    """Each row's findings name what the row is about (the subject columns as written, personal ones masked)."""
    rows = {f.row for f in findings if f.row is not None and f.row != header_row}
    if typed is None or not rows:
        return findings
    written = _as_written(typed, rows)
    declared = {c.name for c in source.columns}
    subjects = {row: subject_text(shown_value(source.column(name), written.get((row, name)))
                                  for name in source.subject_columns if name in declared)
                for row in rows}
    return [replace(f, subject=subjects.get(f.row)) if f.row in subjects else f for f in findings]


def _formulas_without_value(raw: RawTable, source: Source) -> list[Finding]:
    """A formula whose result the workbook does not hold has no value to load: say so, once per cell."""
    read_as = {pos: name for name, pos in raw.positions.items()}
    return [finding("formula_without_value", row=row, column=read_as[pos], value=formula)
            for (row, pos), formula in sorted(raw.formulas.items()) if pos in read_as and row > raw.header_row]


def parse_cells(raw: RawTable, source: Source) -> tuple[TypedRows | None, list[Finding]]:
    """Typed values per declared column, in canonical units (money in 万元), as table ``typed``."""
    findings: list[Finding] = []
    missing = [c.name for c in source.columns if c.required and c.name not in raw.columns]
    for name in missing:
        findings.append(finding("required_column_missing", {"header": source.column(name).header, "column": name},
                                column=name))
    if missing:
        return None, findings

    texts = {col.name: _text_sql(col, raw.columns) for col in source.stored_columns}
    values = ",\n    ".join(f'{_typed_sql(col, texts[col.name])} AS "{col.name}"' for col in source.stored_columns)
    raw.con.execute(f"CREATE OR REPLACE TABLE typed AS\nSELECT {ROW},\n    {values}\nFROM cells")
    # Cells that held text but gave no value: one pass over both tables, then a finding per such cell.
    parsed = [col for col in source.stored_columns if col.type != "text"]  # any text is a text
    if parsed:
        pairs = ", ".join(f'{texts[col.name]}, typed."{col.name}" IS NULL' for col in parsed)
        unparsed = " OR ".join(f'({texts[col.name]} IS NOT NULL AND typed."{col.name}" IS NULL)' for col in parsed)
        for row, *cells in raw.con.execute(f"""
                SELECT {ROW}, {pairs} FROM cells JOIN typed USING ({ROW}) WHERE {unparsed} ORDER BY {ROW}""").fetchall():
            findings += [_unparseable(col, row, text)
                         for col, text, missing in zip(parsed, cells[::2], cells[1::2]) if text is not None and missing]
    return TypedRows(raw.con, source, raw.rows), findings + _rounded_amounts(raw, source, texts)


def _rounded_amounts(raw: RawTable, source: Source, texts: dict[str, str]) -> list[Finding]:
    """A warning per amount written with more decimals than the warehouse keeps (rounded when stored)."""
    amounts = [col for col in source.stored_columns if col.type == "decimal" and col.name in raw.columns]
    if not amounts:
        return []
    rounded = {col.name: rounded_sql(texts[col.name], col.money_factor) for col in amounts}
    shown = ", ".join(f"CASE WHEN {rounded[col.name]} THEN {texts[col.name]} END" for col in amounts)
    found = []
    for row, *cells in raw.con.execute(f"SELECT {ROW}, {shown} FROM cells WHERE {' OR '.join(rounded.values())} "
                                       f"ORDER BY {ROW}").fetchall():
        found += [finding("amount_rounded", {"places": kept_decimals(col.money_factor)}, row=row, column=col.name,
                          value=text) for col, text in zip(amounts, cells) if text is not None]
    return found


def _text_sql(col: Column, present: list[str]) -> str:
    """The column's cleaned text, its declared default where the cell is empty."""
    text = f'cells."{col.name}"' if col.name in present else "CAST(NULL AS VARCHAR)"
    return text if col.default is None else f"coalesce({text}, {quoted(col.default)})"


def _typed_sql(col: Column, text: str) -> str:
    """The parsed value in its storage type; money converted exactly into 万元."""
    if col.type == "decimal":
        return decimal_sql(text, col.money_factor)
    return parsed_sql(text, col.type, col.values)


def _unparseable(col: Column, row: int, text: str) -> Finding:
    """The finding of a cell of ``col`` that did not parse, saying what the column accepts."""
    where = {"row": row, "column": col.name, "value": shown_value(col, text)}
    if col.type != "category":
        return finding("unparseable_value", {"accepted": ACCEPTED[col.type]}, **where)
    # The clerk reads the Chinese message: it lists what may be typed, every declared spelling (a code only
    # where the declaration gives none); the English one names the codes with their spellings.
    spellings = {code: [str(s) for s in aliases or [code]] for code, aliases in col.values.items()}
    accepted = bilingual("、".join("／".join(s) for s in spellings.values()),
                         ", ".join(f"{code} ({' / '.join(s)})" for code, s in spellings.items()))
    return finding("unknown_value", {"values": accepted}, **where)


def shown_value(col, text: str | None) -> str | None:
    """A cell value as error reports and meta.dq_issues may show it: ID numbers masked."""
    if text is None or col.personal != "id_number":
        return text
    return mask_id_number(text)


# --- Great Expectations -------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _gx():
    """The project's file data context (``expectations/``) and its pandas batch definition."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no network calls from a pipeline
    # GX logs ~200 "Skipping registering function ..." lines at import: they would bury every task log.
    logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every in-memory batch with an md5 over all its cells, only to label it: 0.5 s a
    # national month, twice per validation. The file's SHA-256 already identifies what is validated.
    pandas_execution_engine.HASH_THRESHOLD = 0

    import town_industry.ingest.expectations  # noqa: F401  registers the custom expectations

    context = gx.get_context(mode="file", context_root_dir=str(settings.EXPECTATIONS_DIR))
    batch_definition = (
        context.data_sources.get("delivered_files").get_asset("typed_rows").get_batch_definition("whole_file")
    )
    return context, batch_definition


def warm_up() -> None:
    """Load what every validation needs (GX's context, the XLSX reader) once in this process, so that a
    validation forked from it (ingest/bounded.py) starts at once."""
    _gx()
    import openpyxl  # noqa: F401


def _gx_frame(typed: TypedRows) -> pd.DataFrame:
    """The typed rows as GX compares them: numbers as floats, months as YYYY-MM, dates as timestamps.

    The exact decimals stay in ``typed`` for the landing batch; GX only ever sees this copy.
    """
    views = []
    for col in typed.source.stored_columns:
        name = f'"{col.name}"'
        if col.type in ("decimal", "integer"):
            views.append(f"CAST({name} AS DOUBLE) AS {name}")
        elif col.type == "month":
            views.append(f"strftime({name}, '%Y-%m') AS {name}")
        elif col.type == "date":
            views.append(f"CAST({name} AS TIMESTAMP) AS {name}")
        else:
            views.append(name)
    return typed.con.execute(f"SELECT {ROW}, {', '.join(views)} FROM typed").df()


def suite_parameters(month: str) -> dict:
    """Values the suites refer to as {"$PARAMETER": ...}: the file's month and its bounds."""
    start = pd.Timestamp(f"{month}-01")
    return {"file_month": [month], "month_start": start, "month_end": start + pd.offsets.MonthEnd(0)}


def run_suite(typed: TypedRows, source: Source, month: str, sha256: str | None = None) -> list[Finding]:
    """Findings of the source's suite; values are shown as the file wrote them (table ``cells``).

    With the file's ``sha256``, the result is also rendered as the file's Data Docs page (ingest/data_docs.py).
    """
    context, batch_definition = _gx()
    suite = context.suites.get(source.suite_name)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": _gx_frame(typed)})
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW]},
        expectation_parameters=suite_parameters(month),
    )
    failed = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"suite {source.suite_name}: {config.type} failed to run: "
                               f"{outcome.exception_info.get('exception_message')}")
        failed.append((config, outcome.result.get("unexpected_index_list") or []))
    written = _as_written(typed, {int(hit[ROW]) for _, hits in failed for hit in hits})
    findings = []
    for config, hits in failed:
        meta = config.meta or {}
        column = meta.get("column") or config.kwargs.get("column")
        params = {**meta.get("params", {}), **runtime_params(month)}
        for hit in hits:
            row = int(hit[ROW])
            shown = [k for k in hit if k != ROW]
            as_written = {k: _shown(written.get((row, k)), hit[k], source, k) for k in shown}
            value = as_written.get(column) if len(shown) == 1 else ", ".join(f"{k}={v}" for k, v in as_written.items())
            findings.append(finding(meta.get("rule", config.type), params, row=row, column=column, value=value))
    if sha256:
        _write_data_docs(result, source, month, sha256)
    return findings


def _write_data_docs(result, source: Source, month: str, sha256: str) -> None:
    """The file's Data Docs page: a page that cannot be written is logged, never a failed validation."""
    from town_industry.ingest.data_docs import write_validation_page

    try:
        write_validation_page(result, source, month, sha256)
    except Exception as exc:  # noqa: BLE001 - Data Docs are for reading; the findings decide the file
        log.warning("%s %s: no Data Docs page for %s: %s", source.name, month, sha256[:12],
                    mask_id_numbers_in(f"{type(exc).__name__}: {exc}")[:500])


def _as_written(typed: TypedRows, rows: set[int]) -> dict[tuple[int, str], str]:
    """(row, column) → the cell as the file wrote it, for the rows with findings."""
    if not rows:
        return {}
    result = typed.con.execute(f"SELECT * FROM cells WHERE {ROW} IN (SELECT unnest(?))", [sorted(rows)])
    names = [d[0] for d in result.description]
    return {(values[0], name): text for values in result.fetchall()
            for name, text in zip(names[1:], values[1:]) if text is not None}


def _shown(written: str | None, value: object, source: Source, column: str) -> str | None:
    """The cell as written (masked where personal); the parsed value where it was empty."""
    shown = written if written is not None else _text(value)
    return shown_value(source.column(column), shown) if column in {c.name for c in source.columns} else shown


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
