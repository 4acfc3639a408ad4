"""Build each source's Great Expectations suite from its declaration.

The suite JSON under ``expectations/suites/`` is generated (``make suites``) and
committed, so reviewers see every rule in GX's own format; a test keeps it in step
with the declaration. Each expectation's ``meta`` names the rule, the severity and
the message that error reports and ``meta.dq_issues`` show.
"""
from __future__ import annotations

import json
from pathlib import Path

from town_industry import settings
from town_industry.contracts.sources import Source, declared_sources

SUITES_DIR = settings.EXPECTATIONS_DIR / "suites"

# Column ``format`` names in declarations → (expectation, rule, message).
FORMAT_EXPECTATIONS = {
    "uscc": ("expect_column_values_to_be_valid_uscc", "invalid_uscc",
             "not a valid unified social credit code (GB 32100-2015 characters or check character)"),
    "industry_class": ("expect_column_values_to_be_valid_industry_class", "invalid_industry_code",
                       "not a 4-digit GB/T 4754-2017 class of an existing division"),
    "id_number": ("expect_column_values_to_be_valid_id_number", "invalid_id_number",
                  "not a valid resident ID number (GB 11643-1999 birth date or check character)"),
}


def _expectation(kind: str, kwargs: dict, rule: str, message: str, severity: str = "error",
                 column: str | None = None) -> dict:
    meta = {"rule": rule, "severity": severity, "message": message}
    if column:
        meta["column"] = column
    return {"type": kind, "kwargs": kwargs, "meta": meta}


def build_suite(source: Source) -> dict:
    expectations = [
        _expectation("expect_column_values_to_be_in_set",
                     {"column": source.month_column, "value_set": {"$PARAMETER": "file_month"}},
                     "stat_month_mismatch", "month differs from the month the file is delivered for"),
    ]
    if len(source.key) == 1:
        expectations.append(_expectation("expect_column_values_to_be_unique", {"column": source.key[0]},
                                         "duplicate_key", "the key value appears more than once in the file"))
    else:
        expectations.append(_expectation("expect_compound_columns_to_be_unique",
                                         {"column_list": list(source.key)}, "duplicate_key",
                                         "the key appears more than once in the file", column=source.key[0]))
    for col in source.columns:
        if col.is_dropped:
            continue
        if col.required:
            expectations.append(_expectation("expect_column_values_to_not_be_null", {"column": col.name},
                                             "required_cell_empty", "a required cell is empty"))
        for condition, operator, wording in ((col.required_when, "IN", "required when"),
                                             (col.required_unless, "NOT_IN", "required unless")):
            for other, values in (condition or {}).items():
                expectations.append(_expectation(
                    "expect_column_values_to_not_be_null",
                    {"column": col.name, "row_condition": {"type": "comparison", "column": {"name": other},
                                                           "operator": operator, "parameter": list(values)}},
                    "required_cell_empty", f"{wording} {other} is {' / '.join(values)}, but empty"))
        if col.not_before or col.not_after:
            bounds = {"min_value": {"$PARAMETER": col.not_before} if col.not_before else None,
                      "max_value": {"$PARAMETER": col.not_after} if col.not_after else None}
            rule = "date_outside_month" if col.not_before else "date_after_month"
            message = ("not inside the file's month" if col.not_before
                       else "later than the end of the file's month")
            expectations.append(_expectation("expect_column_values_to_be_between",
                                             {"column": col.name, **{k: v for k, v in bounds.items() if v}},
                                             rule, message))
        if col.min is not None:
            op = ">" if col.min_exclusive else "≥"
            rule = "not_positive" if col.min_exclusive and col.min == 0 else (
                "negative_amount" if col.min == 0 else "below_minimum")
            expectations.append(_expectation(
                "expect_column_values_to_be_between",
                {"column": col.name, "min_value": col.min, "strict_min": col.min_exclusive},
                rule, f"must be {op} {col.min:g}"))
        if col.max_length is not None:
            expectations.append(_expectation("expect_column_value_lengths_to_be_between",
                                             {"column": col.name, "max_value": col.max_length},
                                             "too_long", f"longer than {col.max_length} characters"))
        if col.format:
            kind, rule, message = FORMAT_EXPECTATIONS[col.format]
            expectations.append(_expectation(kind, {"column": col.name}, rule, message))
    for check in source.checks:
        column = check.kwargs.get("column") or check.kwargs.get("column_B")
        expectations.append(_expectation(check.expectation, dict(check.kwargs), check.rule,
                                         check.message or check.rule, check.severity, column))
    return {"name": source.suite_name, "expectations": expectations,
            "meta": {"generated_from": f"include/sources/{source.name}.yml"}}


def suite_path(source: Source) -> Path:
    return SUITES_DIR / f"{source.suite_name}.json"


def render(source: Source) -> str:
    return json.dumps(build_suite(source), ensure_ascii=False, indent=2) + "\n"


def write_suites() -> list[Path]:
    SUITES_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for source in declared_sources():
        path = suite_path(source)
        path.write_text(render(source), encoding="utf-8")
        written.append(path)
    return written
