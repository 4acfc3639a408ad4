"""Turn a delivered file into a typed frame and the findings that decide its fate.

Three stages, each adding findings: reading (file-level problems), parsing (cells
that do not parse, missing or extra columns) and the source's Great Expectations
suite (row-level rules). Errors reject the file; warnings are recorded.
"""
from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pandas as pd

from town_industry import settings
from town_industry.contracts.codes import mask_id_number
from town_industry.contracts.findings import ERROR, WARNING, Finding, count
from town_industry.contracts.rules import bilingual, finding
from town_industry.contracts.sources import Column, Source
from town_industry.ingest.parsing import ACCEPTED, parse_series
from town_industry.ingest.readers import ROW, FileRejected, RawTable, read_file
from town_industry.ingest.suites import runtime_params


@dataclass
class Validated:
    path: Path
    sha256: str
    frame: pd.DataFrame | None  # typed rows in canonical units; None when unreadable
    findings: list[Finding]

    @property
    def errors(self) -> int:
        return count(self.findings, ERROR)

    @property
    def warnings(self) -> int:
        return count(self.findings, WARNING)

    @property
    def rows(self) -> int:
        return 0 if self.frame is None else len(self.frame)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def validate_file(path: Path, source: Source, month: str) -> Validated:
    """Read, parse and validate ``path`` as ``source``'s file for ``month`` (YYYY-MM)."""
    sha = file_sha256(path)
    try:
        raw = read_file(path, source)
    except FileRejected as exc:
        return Validated(path, sha, None, [exc.finding])
    frame, findings = validate_table(raw, source, month)
    return Validated(path, sha, frame, findings)


def validate_table(raw: RawTable, source: Source, month: str) -> tuple[pd.DataFrame | None, list[Finding]]:
    """Parse the cells, then run the suite; a cell that did not parse is reported once, as such."""
    frame, findings = parse_cells(raw.cells, source)
    for header in raw.extra_headers:
        title = bilingual(source.title, source.name)
        findings.append(finding("extra_column_ignored", {"header": header, "title": title},
                                row=raw.header_row, column=header))
    if frame is not None:
        already = {(f.row, f.column) for f in findings}
        suite_findings = run_suite(frame, raw.cells.set_index(ROW), source, month)
        findings += [f for f in suite_findings if (f.row, f.column) not in already]
    findings.sort(key=lambda f: (f.row or 0, f.column or "", f.rule))
    return frame, findings


def parse_cells(cells: pd.DataFrame, source: Source) -> tuple[pd.DataFrame | None, list[Finding]]:
    """Typed values per declared column, in canonical units (money in 万元)."""
    findings: list[Finding] = []
    missing = [c.name for c in source.columns if c.required and c.name not in cells.columns]
    for name in missing:
        findings.append(finding("required_column_missing", {"header": source.column(name).header, "column": name},
                                column=name))
    if missing:
        return None, findings

    frame = pd.DataFrame({ROW: cells[ROW]})
    for col in source.stored_columns:
        texts = cells[col.name] if col.name in cells.columns else pd.Series(None, index=cells.index, dtype=object)
        if col.default is not None:
            texts = texts.where(texts.notna(), col.default)
        values, unparseable = parse_series(texts, col.type, col.values)
        if not unparseable.any():
            frame[col.name] = _in_canonical_unit(values, col)
            continue
        findings += [_unparseable(col, int(row), text)
                     for row, text in zip(cells.loc[unparseable, ROW], texts[unparseable])]
        frame[col.name] = _in_canonical_unit(values, col)
    return frame, findings


def _unparseable(col: Column, row: int, text: str) -> Finding:
    """The finding of a cell of ``col`` that did not parse, saying what the column accepts."""
    where = {"row": row, "column": col.name, "value": shown_value(col, text)}
    if col.type != "category":
        return finding("unparseable_value", {"accepted": ACCEPTED[col.type]}, **where)
    spellings = [str((aliases or [code])[0]) for code, aliases in col.values.items()]
    accepted = bilingual("、".join(spellings), ", ".join(f"{code} ({s})" for code, s in zip(col.values, spellings)))
    return finding("unknown_value", {"values": accepted}, **where)


def _in_canonical_unit(values: pd.Series, col) -> pd.Series:
    """Money converted exactly into 万元; other values as parsed."""
    if col.money_factor is None:
        return values
    factor = Decimal(col.money_factor)
    return values.map(lambda v: None if v is None else v * factor).astype(object)


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

    import town_industry.ingest.expectations  # noqa: F401  registers the custom expectations

    context = gx.get_context(mode="file", context_root_dir=str(settings.EXPECTATIONS_DIR))
    batch_definition = (
        context.data_sources.get("delivered_files").get_asset("typed_rows").get_batch_definition("whole_file")
    )
    return context, batch_definition


def _gx_frame(frame: pd.DataFrame, source: Source) -> pd.DataFrame:
    """GX compares numbers as floats; exact decimals stay in ``frame`` for the load."""
    view = frame.copy()
    for col in source.stored_columns:
        if col.type in ("decimal", "integer"):
            view[col.name] = pd.to_numeric(view[col.name].astype(object), errors="coerce").astype("float64")
        elif col.type == "date":
            view[col.name] = pd.to_datetime(view[col.name].astype(object))
    return view


def suite_parameters(month: str) -> dict:
    """Values the suites refer to as {"$PARAMETER": ...}: the file's month and its bounds."""
    start = pd.Timestamp(f"{month}-01")
    return {"file_month": [month], "month_start": start, "month_end": start + pd.offsets.MonthEnd(0)}


def run_suite(frame: pd.DataFrame, texts: pd.DataFrame, source: Source, month: str) -> list[Finding]:
    """Findings of the source's suite; values are shown as the file wrote them (``texts``, by row)."""
    context, batch_definition = _gx()
    suite = context.suites.get(source.suite_name)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": _gx_frame(frame, source)})
    result = batch.validate(
        suite,
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW]},
        expectation_parameters=suite_parameters(month),
    )
    findings = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            raise RuntimeError(f"suite {source.suite_name}: {config.type} failed to run: "
                               f"{outcome.exception_info.get('exception_message')}")
        meta = config.meta or {}
        column = meta.get("column") or config.kwargs.get("column")
        params = {**meta.get("params", {}), **runtime_params(month)}
        for hit in outcome.result.get("unexpected_index_list") or []:
            row = int(hit[ROW])
            shown = [k for k in hit if k != ROW]
            as_written = {k: _as_written(texts, row, k, hit[k], source) for k in shown}
            value = as_written.get(column) if len(shown) == 1 else ", ".join(f"{k}={v}" for k, v in as_written.items())
            findings.append(finding(meta.get("rule", config.type), params, row=row, column=column, value=value))
    return findings


def _as_written(texts: pd.DataFrame, row: int, column: str, value: object, source: Source) -> str | None:
    """The cell as the file wrote it (masked where personal); the parsed value where it was empty."""
    written = texts.at[row, column] if column in texts.columns else None
    shown = written if written is not None else _text(value)
    return shown_value(source.column(column), shown) if column in {c.name for c in source.columns} else shown


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
