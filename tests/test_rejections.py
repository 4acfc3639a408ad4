"""One test per error rule of enterprise_monthly's file contract (and the rules every source shares;
docs/file_contracts.md, include/rules.yml).

Each loads a good 2020-01 file, then delivers a bad revision of it: the run fails,
the error is reported with row and column, and the warehouse's data is unchanged.
"""
from __future__ import annotations

import pytest

from conftest import (assert_rejected, cell_setter, copy_sample, fingerprint, read_csv_rows, rejection_outcome,
                      write_csv_rows)
from town_industry import settings
from town_industry.cli.run import run

SOURCE = "enterprise_monthly"
MONTH = "2020-01"
COL = {"stat_month": 0, "uscc": 1, "enterprise_name": 2, "industry_code": 3, "is_above_scale": 4,
       "gross_output": 5, "taxable_sales": 6, "high_tech_output": 7, "rd_expense": 8}


set_cell = cell_setter(COL)


def duplicate_uscc(rows):
    rows[4][COL["uscc"]] = rows[2][COL["uscc"]]
    return rows


def high_tech_over_gross(rows):
    rows[2][COL["high_tech_output"]] = str(float(rows[2][COL["gross_output"]].replace(",", "")) + 1)
    return rows


# (mutation, rule, row, column) -- row None for file-level errors
CASES = {
    "duplicate_uscc": (duplicate_uscc, "duplicate_key", 5, "uscc"),
    "uscc_wrong_check_character": (set_cell("uscc", "91110108551385082R"), "invalid_uscc", 3, "uscc"),
    "uscc_forbidden_character": (set_cell("uscc", "91110108551385O82Q"), "invalid_uscc", 3, "uscc"),
    "industry_code_not_4_digits": (set_cell("industry_code", "171"), "invalid_industry_code", 3, "industry_code"),
    "industry_division_unknown": (set_cell("industry_code", "9911"), "invalid_industry_code", 3, "industry_code"),
    # a division the standard has, a class it does not: 1810 was a class of the 2011 edition only
    "industry_class_not_in_the_standard": (set_cell("industry_code", "1810"), "invalid_industry_code", 3,
                                           "industry_code"),
    "negative_amount": (set_cell("gross_output", "-12.5"), "negative_amount", 3, "gross_output"),
    "high_tech_over_gross": (high_tech_over_gross, "high_tech_output_exceeds_gross_output", 3, "high_tech_output"),
    "required_cell_empty": (set_cell("enterprise_name", ""), "required_cell_empty", 3, "enterprise_name"),
    "value_does_not_parse": (set_cell("taxable_sales", "12O.5"), "unparseable_value", 3, "taxable_sales"),
    "boolean_does_not_parse": (set_cell("is_above_scale", "maybe"), "unparseable_value", 3, "is_above_scale"),
    "stat_month_of_another_month": (set_cell("stat_month", "2019-12"), "stat_month_mismatch", 3, "stat_month"),
    "required_column_missing": (lambda rows: [r[:2] + r[3:] for r in rows], "required_column_missing", None,
                                "enterprise_name"),
    "no_data_rows": (lambda rows: rows[:1], "no_data_rows", None, None),
}


@pytest.fixture
def loaded_month(workspace, ingest_dags):
    copy_sample(workspace, SOURCE, MONTH)
    assert run(MONTH, MONTH, echo=lambda _: None, sources=[SOURCE])
    return workspace / SOURCE / f"{MONTH}.csv"


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_file_is_rejected_whole_and_reported(loaded_month, case):
    mutate, rule, row, column = CASES[case]
    before = fingerprint(settings.warehouse_path())
    write_csv_rows(loaded_month, mutate(read_csv_rows(loaded_month)))

    lines = []
    assert not run(MONTH, MONTH, echo=lines.append, sources=[SOURCE])
    assert "REJECTED" in lines[0]

    assert_rejected(settings.warehouse_path(), before, loaded_month.name, rule, row, column)


def test_unreadable_file(workspace, ingest_dags):
    (workspace / SOURCE / f"{MONTH}.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    assert not run(MONTH, MONTH, echo=lambda _: None, sources=[SOURCE])
    errors, file_loads = rejection_outcome(settings.warehouse_path())
    assert [e[1] for e in errors] == ["unreadable_file"] and file_loads[0][0] == "rejected"


def test_gbk_file_with_errors_reports_every_failing_row(loaded_month):
    rows = read_csv_rows(loaded_month)
    for r in (3, 7, 11):
        rows[r - 1][COL["gross_output"]] = "-1"
    write_csv_rows(loaded_month, rows, encoding="gbk")
    assert not run(MONTH, MONTH, echo=lambda _: None, sources=[SOURCE])
    errors, _ = rejection_outcome(settings.warehouse_path())
    assert sorted(e[2] for e in errors if e[1] == "negative_amount") == [3, 7, 11]
