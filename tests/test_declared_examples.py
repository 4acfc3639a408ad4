"""Declared bad deliveries, run through the real DAGs: ``tests/examples/<source>.yml``.

A data engineer proves each rule of a new source without writing Python: a case names a shipped sample
month, the cells to change in it, and the rule the pipeline must then report at a row and column. The
good month (or the months ``load_first`` names) is loaded first; the changed file is then delivered as
that month's revision. An error must reject it whole and leave the warehouse as it was; a warning must
load it and be recorded in ``meta.dq_issues``.

    cases:
      - rule: hazards_rectified_exceed_found
        month: 2020-03
        cells: {4: {hazards_rectified: "9"}}    # file row (the header is row 1) -> declared column -> text
        reported_at: {row: 4, column: hazards_rectified}  # a pair check reports its column_B
"""
from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import SAMPLE, assert_rejected, copy_sample, fingerprint, run_source, write_csv_rows
from town_industry import settings
from town_industry.contracts import rules
from town_industry.contracts.sources import get_source

EXAMPLES = Path(__file__).parent / "examples"
CASE_KEYS = {"rule", "month", "cells", "reported_at", "load_first"}


def declared_cases() -> list:
    cases = []
    for path in sorted(EXAMPLES.glob("*.yml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]):
            cases.append(pytest.param(path.stem, case, id=f"{path.stem}-{i}-{case['rule']}"))
    return cases


def _read(path: Path) -> tuple[list[list[str]], str]:
    """The sample's rows and the encoding to write them back in (a GBK sample stays GBK)."""
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return list(csv.reader(path.read_text(encoding=encoding).splitlines())), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError(f"{path}: neither UTF-8 nor GBK")


def changed_month(source_name: str, case: dict) -> tuple[str, list[list[str]], str]:
    """(file name, rows with the case's cells changed, encoding) of the case's sample month."""
    source = get_source(source_name)
    sample = SAMPLE / source_name / f"{case['month']}.csv"
    assert sample.is_file(), f"{sample}: a case changes a shipped CSV month"
    rows, encoding = _read(sample)
    key_headers = set(source.column(source.key[0]).all_headers)
    header = next(i for i, row in enumerate(rows) if key_headers & {c.strip() for c in row})
    for row_number, changes in case["cells"].items():
        for column, value in changes.items():
            found = [i for i, h in enumerate(rows[header]) if h.strip() in source.column(column).all_headers]
            assert found, f"{sample.name}: no header of column {column}"
            rows[int(row_number) - 1][found[0]] = str(value)
    return sample.name, rows, encoding


def test_every_case_is_well_formed():
    for param in declared_cases():
        source_name, case = param.values
        assert set(case) <= CASE_KEYS and {"rule", "month", "cells", "reported_at"} <= set(case), case
        assert rules.get(case["rule"]).severity in ("error", "warning")
        changed_month(source_name, case)  # the month exists and every column has a header in it


@pytest.mark.integration
@pytest.mark.parametrize("source_name, case", declared_cases())
def test_a_declared_bad_delivery_is_reported(workspace, source_name, case):
    (workspace / source_name).mkdir(exist_ok=True)
    for month in case.get("load_first") or [case["month"]]:
        copy_sample(workspace, source_name, month)
        assert run_source(source_name, month), f"the shipped {month} must load"
    name, rows, encoding = changed_month(source_name, case)
    for stale in (workspace / source_name).glob(f"{case['month']}.*"):
        stale.unlink()
    write_csv_rows(workspace / source_name / name, rows, encoding=encoding)
    warehouse = settings.warehouse_path()
    before = fingerprint(warehouse)
    at = case["reported_at"]
    expected = (case["rule"], at.get("row"), at.get("column"))
    if rules.get(case["rule"]).severity == "error":
        assert not run_source(source_name, case["month"])
        assert_rejected(warehouse, before, name, *expected)
    else:
        assert run_source(source_name, case["month"])
        with duckdb.connect(str(warehouse), read_only=True) as con:
            found = con.execute("SELECT rule, row_number, column_name FROM meta.dq_issues WHERE severity = 'warning' "
                                "AND source = ? AND month = ?", [source_name, case["month"]]).fetchall()
        assert expected in found, found
