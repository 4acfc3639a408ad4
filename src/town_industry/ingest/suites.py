"""Build each source's Great Expectations suite from its declaration.

The suite JSON under ``expectations/suites/`` is generated (``town-industry suites``) and
committed, so reviewers see every rule in GX's own format; a test keeps it in step
with the declaration. Each expectation's ``meta`` names the rule of ``include/rules.yml``, its
severity there, and ``params``: the values of the rule's message placeholders known from the
declaration. The message itself is rendered from the catalogue when a finding is made, with
``RUNTIME_PARAMS`` (the file's month) added then.
"""
from __future__ import annotations

import json
from pathlib import Path

from town_industry import settings
from town_industry.contracts import rules
from town_industry.contracts.rules import bilingual
from town_industry.contracts.sources import (FORMAT_EXPECTATIONS, PAIR_PARAMS, RUNTIME_PARAMS, Check, Column,
                                             DeclarationError, Source, declared_sources, shown_path)

SUITES_DIR = settings.EXPECTATIONS_DIR / "suites"


def runtime_params(month: str) -> dict:
    """The RUNTIME_PARAMS of a file delivered for ``month`` (YYYY-MM)."""
    return {"month": month}


def _expectation(rule: str, kind: str, kwargs: dict, params: dict | None = None, column: str | None = None) -> dict:
    catalogued = rules.get(rule)
    missing = catalogued.placeholders - set(params or {}) - set(RUNTIME_PARAMS)
    if missing:
        raise ValueError(f"{kind} on {column or kwargs.get('column')}: no value for the placeholder(s) "
                         f"{sorted(missing)} of rule {rule}")
    meta = {"rule": rule, "severity": catalogued.severity}
    if params:
        meta["params"] = params
    if column:
        meta["column"] = column
    return {"type": kind, "kwargs": kwargs, "meta": meta}


def _column_name(source: Source, name: str) -> dict:
    """A column as a message names it: its Chinese header, or its name in English."""
    return bilingual(source.column(name).header, name)


def _values_zh(source: Source, column: str, values: list) -> str:
    """Category codes as the clerk writes them (first Chinese spelling), joined by ／."""
    spellings = source.column(column).values or {}
    return "／".join(str((spellings.get(v) or [v])[0]) for v in values)


def _required_expectations(source: Source, col: Column) -> list[dict]:
    found = []
    if col.required:
        found.append(_expectation("required_cell_empty", "expect_column_values_to_not_be_null",
                                  {"column": col.name}, {"when": bilingual("每一行都", "on every row")}))
    for condition, operator in ((col.required_when, "IN"), (col.required_unless, "NOT_IN")):
        for other, values in (condition or {}).items():
            header, shown = source.column(other).header, _values_zh(source, other, values)
            when = (bilingual(f"{header}为“{shown}”时", f"when {other} is {' / '.join(values)}")
                    if operator == "IN" else
                    bilingual(f"{header}不是“{shown}”时", f"unless {other} is {' / '.join(values)}"))
            found.append(_expectation(
                "required_cell_empty", "expect_column_values_to_not_be_null",
                {"column": col.name, "row_condition": {"type": "comparison", "column": {"name": other},
                                                       "operator": operator, "parameter": list(values)}},
                {"when": when}))
    return found


def _minimum_expectation(col: Column) -> dict:
    if col.min_exclusive and col.min == 0:
        rule, params = "not_positive", None
    elif col.min == 0:
        rule, params = "negative_amount", None
    else:
        rule, params = "below_minimum", {"op": ">" if col.min_exclusive else "≥", "min": col.min}
    return _expectation(rule, "expect_column_values_to_be_between",
                        {"column": col.name, "min_value": col.min, "strict_min": col.min_exclusive}, params)


def _column_expectations(source: Source, col: Column) -> list[dict]:
    found = _required_expectations(source, col)
    if col.not_before or col.not_after:
        bounds = {"min_value": {"$PARAMETER": col.not_before} if col.not_before else None,
                  "max_value": {"$PARAMETER": col.not_after} if col.not_after else None}
        found.append(_expectation("date_outside_month" if col.not_before else "date_after_month",
                                  "expect_column_values_to_be_between",
                                  {"column": col.name, **{k: v for k, v in bounds.items() if v}}))
    if col.min is not None:
        found.append(_minimum_expectation(col))
    if col.max_length is not None:
        found.append(_expectation("too_long", "expect_column_value_lengths_to_be_between",
                                  {"column": col.name, "max_value": col.max_length}, {"max_length": col.max_length}))
    if col.format:
        kind, rule = FORMAT_EXPECTATIONS[col.format]
        found.append(_expectation(rule, kind, {"column": col.name}))
    return found


def _declared_check(source: Source, check: Check) -> dict:
    placeholders = rules.get(check.rule).placeholders
    pair = {PAIR_PARAMS[k]: _column_name(source, v) for k, v in check.kwargs.items()
            if k in PAIR_PARAMS and PAIR_PARAMS[k] in placeholders}
    column = check.kwargs.get("column") or check.kwargs.get("column_B")
    return _expectation(check.rule, check.expectation, dict(check.kwargs), {**pair, **check.params}, column)


def build_suite(source: Source) -> dict:
    key = bilingual("、".join(source.column(k).header for k in source.key), ", ".join(source.key))
    expectations = [
        _expectation("stat_month_mismatch", "expect_column_values_to_be_in_set",
                     {"column": source.month_column, "value_set": {"$PARAMETER": "file_month"}}),
    ]
    if len(source.key) == 1:
        expectations.append(_expectation("duplicate_key", "expect_column_values_to_be_unique",
                                         {"column": source.key[0]}, {"key": key}))
    else:
        expectations.append(_expectation("duplicate_key", "expect_compound_columns_to_be_unique",
                                         {"column_list": list(source.key)}, {"key": key}, column=source.key[0]))
    for col in source.columns:
        if not col.is_dropped:
            expectations += _column_expectations(source, col)
    expectations += [_declared_check(source, check) for check in source.checks]
    return {"name": source.suite_name, "expectations": expectations,
            "meta": {"generated_from": f"include/sources/{source.name}.yml"}}


def suite_path(source: Source) -> Path:
    return SUITES_DIR / f"{source.suite_name}.json"


def render(source: Source) -> str:
    return json.dumps(build_suite(source), ensure_ascii=False, indent=2) + "\n"


def expectation_errors(source: Source) -> DeclarationError | None:
    """What Great Expectations itself refuses in the declared checks: an expectation it does not know, or
    arguments it does not take. (Parsing the declaration cannot tell without importing GX, which costs
    seconds at every DAG parse; ``town-industry suites`` asks before it writes a suite.)"""
    from great_expectations.expectations.registry import get_expectation_impl

    import town_industry.ingest.expectations  # noqa: F401  registers the project's own expectations

    problems = []
    for i, check in enumerate(source.checks):
        try:
            get_expectation_impl(check.expectation)(**check.kwargs)
        except Exception as exc:  # noqa: BLE001 - GX raises a different class for each mistake; all are reported
            detail = " ".join(str(exc).split())[:400]
            problems.append(f"checks[{i}] ({check.rule}): {check.expectation}: {type(exc).__name__}: {detail}")
    return DeclarationError(source.path, problems) if problems else None


def suite_error(source: Source) -> DeclarationError | None:
    """Why the committed suite is not the one the declaration generates now (missing, or out of date
    with it or with include/rules.yml), else None."""
    path = suite_path(source)
    if not path.is_file():
        return DeclarationError(source.path, [f"no suite {shown_path(path)}: run make suites"])
    if path.read_text(encoding="utf-8") != render(source):
        return DeclarationError(source.path, [f"{shown_path(path)} is out of date with the declaration "
                                              "(or include/rules.yml): run make suites"])
    return None


def write_suites() -> list[Path]:
    SUITES_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for source in declared_sources():
        path = suite_path(source)
        path.write_text(render(source), encoding="utf-8")
        written.append(path)
    return written
