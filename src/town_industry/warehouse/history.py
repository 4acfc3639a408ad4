"""History checks: a month judged against what the warehouse already holds (``sql/checks/``).

Each check's SQL returns ``row_number, column_name, value, params``; ``params`` (a STRUCT) holds the
values of the rule's message placeholders, and the message is rendered here from the rule catalogue.
A param named after a category column of the source holds a code (``guaranteed_loan``): the Chinese
message shows the file's Chinese spelling of it (创业担保贷款), the English one the code.
"""
from __future__ import annotations

import duckdb

from town_industry import periods
from town_industry.contracts import rules
from town_industry.contracts.findings import ERROR, WARNING, Finding
from town_industry.contracts.rules import bilingual
from town_industry.contracts.sources import Source, subject_text
from town_industry.db import read_sql, run_sql
from town_industry.warehouse.meta import insert_findings, now


def history_findings(con: duckdb.DuckDBPyConnection, source: Source, month: str,
                     severities: tuple[str, ...] = (ERROR, WARNING)) -> list[Finding]:
    """Findings of the source's SQL checks against what the warehouse holds."""
    findings = []
    for check in source.history_checks:
        if check.severity not in severities:
            continue
        rows = run_sql(con, read_sql(check.sql), {**check.params, **periods.sql_params(month)}).fetchall()
        subjects = _subjects(con, source, month, {r[0] for r in rows if r[0] is not None})
        for row_number, column, value, params in rows:
            findings.append(rules.finding(check.rule, _in_words(source, params or {}), row=row_number,
                                          column=column, value=value, subject=subjects.get(row_number)))
    return findings


def _subjects(con, source: Source, month: str, rows: set[int]) -> dict[int, str | None]:
    """Row number -> what the row is about, from the month's staging rows (personal columns are stored as
    pseudonyms only, so a history finding names the row by its other subject columns)."""
    stored = [c.stored_name for c in source.columns if c.name in source.subject_columns and not c.personal]
    if not rows or not stored:
        return {}
    month_column = source.column(source.month_column).stored_name
    result = con.execute(f"SELECT _row, {', '.join(stored)} FROM {source.staging_table} "
                         f"WHERE {month_column} = ? AND _row IN (SELECT unnest(?))",
                         [periods.first_date(month), sorted(rows)]).fetchall()
    return {row: subject_text(values) for row, *values in result}


def _in_words(source: Source, params: dict) -> dict:
    """Category codes among ``params`` as the file spells them in Chinese, the code in English."""
    categories = {c.name: c.values for c in source.columns if c.type == "category"}
    return {name: bilingual(str((categories[name].get(value) or [value])[0]), value)
            if name in categories and value in categories[name] else value
            for name, value in params.items()}


def recheck_later_months(con: duckdb.DuckDBPyConnection, source: Source, month: str) -> None:
    """Recompute the history warnings of every loaded month after ``month`` (inside the caller's transaction).

    A history check judges a month against that month and earlier ones (the same month a year before,
    the month before, the months to date), so loading or revising ``month`` can change the warnings of
    later months only. Recomputing them makes the warnings independent of the order months load in:
    a backfill that loads 2020 before 2019 ends with the findings of a load in calendar order.
    """
    warning_rules = [c.rule for c in source.history_checks if c.severity == WARNING]
    if not warning_rules:
        return
    later = con.execute("SELECT month, sha256 FROM meta.current_files WHERE source = ? AND month > ? ORDER BY month",
                        [source.name, month]).fetchall()
    at = now()
    for later_month, sha256 in later:
        con.execute("DELETE FROM meta.dq_issues WHERE source = ? AND month = ? AND file_sha256 = ? "
                    "AND list_contains(?, rule)", [source.name, later_month, sha256, warning_rules])
        insert_findings(con, source.name, later_month, sha256,
                        history_findings(con, source, later_month, (WARNING,)), at)
