"""employment_services through the real pipeline: every error rule of its file contract
(docs/sources/employment_services.md), the seed targets on the sample data, and the promise that raw
ID numbers and names never land anywhere."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from conftest import (assert_rejected, cell_setter, check_revision_rejected, fingerprint, meets, metadata_copy,
                      month_outcomes, run_source, seed_targets, write_csv_rows)
from town_industry import settings
from town_industry.contracts.codes import id_check_char
from town_industry.cli.run import run

SOURCE = "employment_services"
HEADER = ["统计年月", "业务编号", "办理日期", "业务类型", "身份证号", "姓名", "金额(元)", "岗位数"]
COL = {n: i for i, n in enumerate(["stat_month", "record_id", "service_date", "service_type", "person_id_number",
                                    "person_name", "amount_yuan", "positions"])}


def person(body: str) -> str:
    return body + id_check_char(body)


ALICE, BOB = person("32061119900101123"), person("32061219851231004")
NAMES = ["宋雨桐", "欧阳明轩"]


def month_file(month: str, prefix: str = "R") -> list[list[str]]:
    m = month.replace("-", "")
    return [HEADER,
            [month, f"{prefix}{m}-1", f"{month}-03", "就业创业证", ALICE, NAMES[0], "—", "—"],
            [month, f"{prefix}{m}-2", f"{month}-05", "灵活就业社保补贴", BOB, NAMES[1], "1,800", ""],
            [month, f"{prefix}{m}-3", f"{month}-10", "招聘会", "", "", "", "300"]]


def run_month(month: str) -> bool:
    return run_source(SOURCE, month)


set_cell = cell_setter(COL)


BAD_BIRTH = person("32061219900230123")
CASES = {
    "record_id_duplicated_in_file": (set_cell("record_id", "R202006-1"), "duplicate_key", 3, "record_id"),
    "unknown_service_type": (set_cell("service_type", "培训补贴"), "unknown_value", 3, "service_type"),
    "id_number_missing": (set_cell("person_id_number", ""), "required_cell_empty", 3, "person_id_number"),
    "id_wrong_check_character": (set_cell("person_id_number", BOB[:17] + ("0" if BOB[17] != "0" else "1")),
                                 "invalid_id_number", 3, "person_id_number"),
    "id_impossible_birth_date": (set_cell("person_id_number", BAD_BIRTH), "invalid_id_number", 3,
                                 "person_id_number"),
    "service_date_outside_month": (set_cell("service_date", "2020-07-01"), "date_outside_month", 3, "service_date"),
    "amount_missing_for_subsidy": (set_cell("amount_yuan", ""), "required_cell_empty", 3, "amount_yuan"),
    "positions_missing_for_job_fair": (set_cell("positions", "", row=4), "required_cell_empty", 4, "positions"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_file_is_rejected_whole_and_reported(source_dir, ingest_dags, case):
    mutate, *expected = CASES[case]
    check_revision_rejected(source_dir / "2020-06.csv", SOURCE, month_file("2020-06"), mutate(month_file("2020-06")),
                            tuple(expected))


def test_record_id_already_loaded_for_another_month(source_dir, ingest_dags):
    write_csv_rows(source_dir / "2020-05.csv", month_file("2020-05"))
    assert run_month("2020-05")
    rows = month_file("2020-06")
    rows[2][COL["record_id"]] = "R202005-2"  # a May record delivered again in June
    write_csv_rows(source_dir / "2020-06.csv", rows)
    before = fingerprint(settings.warehouse_path())
    assert not run_month("2020-06")
    assert_rejected(settings.warehouse_path(), before, "2020-06.csv", "record_id_already_loaded", 3, "record_id")
    # a revision of the same month keeps its record ids: that is not a duplicate
    write_csv_rows(source_dir / "2020-05.csv", month_file("2020-05")[:-1])
    assert run_month("2020-05")


def test_sample_data_matches_seed_targets(sample_pipeline):
    """Plain SQL over the sample run, independent of the KPI mart's SQL, meets the seed targets
    (tools/sample_data/seed_targets.yml)."""
    outcomes = month_outcomes(sample_pipeline.lines, SOURCE)
    assert len(outcomes) == 24 and all(o.startswith("loaded") for o in outcomes.values()), sample_pipeline.lines
    targets = seed_targets()["half_year"]
    con = duckdb.connect(str(sample_pipeline.warehouse), read_only=True)
    h1 = "FROM fact_employment_service WHERE month_key BETWEEN 202001 AND 202006"

    def one(sql):
        return con.execute(sql).fetchone()

    figures = {
        "employment_certificates": f"SELECT count(*) {h1} AND service_type = 'employment_certificate'",
        "flexible_employment_subsidy_persons":
            f"SELECT count(DISTINCT person_key) {h1} AND service_type = 'flexible_employment_subsidy'",
        "guaranteed_loans": f"SELECT count(*) {h1} AND service_type = 'guaranteed_loan'",
        "guaranteed_loan_amount": f"SELECT sum(amount) {h1} AND service_type = 'guaranteed_loan'",
        "startup_subsidy_persons": f"SELECT count(DISTINCT person_key) {h1} AND service_type = 'startup_subsidy'",
        "startup_subsidy_amount": f"SELECT sum(amount) {h1} AND service_type = 'startup_subsidy'",
        "job_fair_positions": f"SELECT sum(positions) {h1} AND service_type = 'job_fair'",
    }
    for code, sql in figures.items():
        assert meets(targets[code], one(sql)[0]), (code, one(sql)[0])
    assert one("SELECT count(*) FROM dim_person")[0] == one(
        "SELECT count(DISTINCT person_key) FROM fact_employment_service")[0]


def _files_under(*roots: Path):
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            yield from (p for p in root.rglob("*") if p.is_file())


def test_raw_id_numbers_and_names_never_land_anywhere(source_dir, ingest_dags, capfd, tmp_path):
    """Known IDs and names go through loaded and rejected files; then every byte the pipeline
    wrote (warehouse, batches, findings, error reports, Airflow's metadata DB with its XComs, as a copy
    taken through SQLite (conftest.metadata_copy), task logs, and what the runs printed) is searched for them."""
    write_csv_rows(source_dir / "2020-05.csv", month_file("2020-05"))
    bad = month_file("2020-06")
    bad[2][COL["amount_yuan"]] = "-5"                      # rejected: negative amount on BOB's row
    bad[1][COL["person_id_number"]] = ALICE[:17] + ("0" if ALICE[17] != "0" else "1")  # and a bad ID
    write_csv_rows(source_dir / "2020-06.csv", bad, encoding="gbk")
    assert not run("2020-05", "2020-06", echo=print, sources=[SOURCE])
    printed = capfd.readouterr()

    secrets = [ALICE, BOB, bad[1][COL["person_id_number"]], *NAMES]
    airflow_home = Path(os.environ["AIRFLOW_HOME"])
    metadata = metadata_copy(tmp_path / "airflow.db")
    written = list(_files_under(settings.work_dir(), settings.reports_dir(), metadata, airflow_home / "logs"))
    assert any(p.suffix == ".duckdb" for p in written) and any("rejections" in str(p) for p in written)
    for secret in secrets:
        for encoding in ("utf-8", "gbk"):
            needle = secret.encode(encoding)
            hits = [p for p in written if needle in p.read_bytes()]
            assert hits == [], (secret, hits)
        assert secret not in printed.out and secret not in printed.err
    masked = ALICE[:6] + "********" + ALICE[-4:]
    assert masked[:6] + "********" in Path(next(p for p in written if "rejections" in str(p))).read_text("utf-8")


def test_warnings_large_loan_and_same_subsidy_twice(source_dir, ingest_dags):
    rows = month_file("2020-06")
    rows.append(["2020-06", "R202006-4", "2020-06-12", "创业担保贷款", ALICE, NAMES[0], "600,000", ""])
    rows.append(["2020-06", "R202006-5", "2020-06-20", "灵活就业社保补贴", BOB, NAMES[1], "1,800", ""])
    write_csv_rows(source_dir / "2020-06.csv", rows)
    assert run_month("2020-06")  # warnings load
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    warnings = con.execute("SELECT rule, row_number, value FROM meta.dq_issues WHERE severity = 'warning' "
                           "ORDER BY rule, row_number").fetchall()
    assert [(r, n) for r, n, _ in warnings] == [("guaranteed_loan_above_ceiling", 5),
                                                ("same_subsidy_twice_in_month", 3),
                                                ("same_subsidy_twice_in_month", 6)]
    assert all(BOB not in (v or "") for _, _, v in warnings)
    assert con.execute("SELECT count(*) FROM fact_employment_service").fetchone()[0] == 5
