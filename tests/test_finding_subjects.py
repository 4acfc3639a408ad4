"""Every finding on a row names what the row is about (the source's `subject` columns): the enterprise's
USCC and name, the project's code and name, a record with its masked ID number, never a person's name;
in the validation's findings, the rejection report, meta.dq_issues and a history check's warning.
Unit tests: files validated in this process, a warehouse written directly."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from town_industry.contracts.sources import get_source, parse_source, subject_text
from town_industry.ingest.rejection_report import write_error_report
from town_industry.ingest.validation import validate_file

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "include" / "data"


def with_cell(source: Path, target: Path, row: int, column: int, value: str) -> Path:
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[row].split(",")
    cells[column] = value
    lines[row] = ",".join(cells)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


@pytest.fixture(autouse=True)
def _warehouse_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(tmp_path / "wh" / "warehouse.duckdb"))


def test_an_enterprise_row_is_named_by_its_uscc_and_name(tmp_path):
    bad = with_cell(DATA / "enterprise_monthly" / "2020-01.csv", tmp_path / "2020-01.csv", 1, 3, "1810")
    result = validate_file(bad, get_source("enterprise_monthly"), "2020-01")
    [finding] = [f for f in result.findings if f.rule == "invalid_industry_code"]
    assert finding.subject == "913206125676357957（南通金绸纺织有限公司）"
    report = write_error_report(tmp_path / "report.md", source="enterprise_monthly", month="2020-01", file=bad,
                                sha256=result.sha256, findings=result.findings).read_text(encoding="utf-8")
    assert "| 对象 |" in report and "913206125676357957（南通金绸纺织有限公司）" in report


def test_a_person_is_named_by_the_record_and_the_masked_id_number_never_the_name(tmp_path):
    text = (DATA / "employment_services" / "2020-05.csv").read_text(encoding="utf-8-sig").splitlines()
    cells = text[1].split(",")
    cells[2] = "2020-06-40"  # a date that is no date
    text[1] = ",".join(cells)
    bad = tmp_path / "2020-05.csv"
    bad.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = validate_file(bad, get_source("employment_services"), "2020-05")
    [finding] = [f for f in result.findings if f.row == 2]
    assert finding.subject == "JY202005-0001（320612********1647）"
    assert "魏玲" not in repr(result.findings) and "320612196202161647" not in repr(result.findings)


def test_a_file_level_finding_has_no_subject(tmp_path):
    lines = (DATA / "enterprise_monthly" / "2020-01.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[0] += ",备注"  # a column the contract does not know
    extra = tmp_path / "2020-01.csv"
    extra.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = validate_file(extra, get_source("enterprise_monthly"), "2020-01")
    [finding] = [f for f in result.findings if f.rule == "extra_column_ignored"]
    assert finding.subject is None


def test_subject_text():
    assert subject_text(["XM2020003", "中森新材料"]) == "XM2020003（中森新材料）"
    assert subject_text(["R1", None, " ", "a", "b"]) == "R1（a，b）"
    assert subject_text([None, ""]) is None


def test_a_declared_subject_must_name_declared_columns_and_never_a_persons_name(tmp_path):
    from town_industry.contracts.rules import DeclarationError

    declaration = (ROOT / "include" / "sources" / "employment_services.yml").read_text(encoding="utf-8")
    for subject, problem in (("[record_id, nowhere]", "'nowhere' is not a declared column"),
                             ("[person_name]", "is a person's name")):
        path = tmp_path / "employment_services.yml"
        path.write_text(declaration.replace("subject: [record_id, person_id_number]", f"subject: {subject}"),
                        encoding="utf-8")
        with pytest.raises(DeclarationError, match=rf"subject: .*{problem}"):
            parse_source(path)


def test_meta_dq_issues_keeps_the_subject(tmp_path):
    from town_industry.warehouse.meta import insert_findings, now
    from town_industry.warehouse.schema import ensure_schema

    bad = with_cell(DATA / "enterprise_monthly" / "2020-01.csv", tmp_path / "2020-01.csv", 2, 3, "9911")
    findings = validate_file(bad, get_source("enterprise_monthly"), "2020-01").findings
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_schema(con, ())
    insert_findings(con, "enterprise_monthly", "2020-01", "sha", findings, now())
    assert con.execute("SELECT subject FROM meta.dq_issues WHERE rule = 'invalid_industry_code'").fetchall() == \
        [("913206122525002983（南通振乾纺织品有限公司）",)]


def test_the_sample_runs_history_warnings_name_their_enterprise_and_the_draft_shows_it(sample_pipeline):
    import re

    with duckdb.connect(str(sample_pipeline.warehouse), read_only=True) as con:
        swings = con.execute("SELECT month, subject FROM meta.dq_issues WHERE rule = 'taxable_sales_swing_yoy' "
                             "ORDER BY ALL").fetchall()
    assert swings and all(re.fullmatch(r"[0-9A-Z]{18}（.+有限公司）", subject) for _, subject in swings), swings
    draft = (sample_pipeline.reports / "2020H1" / "industrial_economy_report_2020H1.md").read_text(encoding="utf-8")
    appendix = draft.split("## 附录四")[1]
    june = [subject for month, subject in swings if month == "2020-06"]
    assert "| 对象 |" in appendix and june and all(subject in appendix for subject in june)
