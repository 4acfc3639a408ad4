"""The declaration machinery beyond enterprise_monthly: categories, conditional requirements,
month-bounded dates and personal data, exercised on a declaration written in the test."""
from __future__ import annotations

import textwrap

import pandas as pd
import pytest

from town_industry.contracts.codes import id_check_char
from town_industry.ingest.personal import pseudonym
from town_industry.ingest.readers import read_file
from town_industry.contracts.sources import parse_source
from town_industry.ingest.suites import build_suite
from town_industry.ingest.validation import validate_table

BODY = "32061219900101123"
PERSON = BODY + id_check_char(BODY)
DECLARATION = textwrap.dedent("""
    name: services_test
    key: [record_id]
    columns:
      - {name: stat_month, headers: [统计年月], type: month, required: true}
      - {name: record_id, headers: [业务编号], type: text, required: true}
      - {name: service_date, headers: [办理日期], type: date, required: true, not_before: month_start, not_after: month_end}
      - {name: service_type, headers: [业务类型], type: category, required: true,
         values: {guaranteed_loan: [创业担保贷款], job_fair: [招聘会]}}
      - {name: person_id_number, headers: [身份证号], type: text, format: id_number, personal: id_number,
         store_as: person_key, required_unless: {service_type: [job_fair]}}
      - {name: person_name, headers: [姓名], type: text, personal: name}
      - {name: amount_yuan, headers: ["金额(元)"], type: decimal, unit: 元, min: 0,
         required_when: {service_type: [guaranteed_loan]}}
""")


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "services_test.yml"
    path.write_text(DECLARATION, encoding="utf-8")
    return parse_source(path)


@pytest.fixture
def suite_context(source, monkeypatch):
    """Register the generated suite in the GX file context for this test only (not written to disk)."""
    import great_expectations as gx

    from town_industry.ingest.validation import _gx

    context, _ = _gx()
    suite = gx.ExpectationSuite(**build_suite(source))
    monkeypatch.setattr(context.suites, "get", lambda name: suite)
    return context


def findings_for(tmp_path, source, rows):
    path = tmp_path / "2020-06.csv"
    header = ["统计年月", "业务编号", "办理日期", "业务类型", "身份证号", "姓名", "金额(元)"]
    pd.DataFrame(rows, columns=header).to_csv(path, index=False, encoding="gbk")
    raw = read_file(path, source)
    typed, findings = validate_table(raw, source, "2020-06")
    return raw, typed, findings


def test_names_are_never_read_and_ids_masked(tmp_path, source, suite_context):
    bad_id = BODY + ("0" if PERSON[-1] != "0" else "1")
    raw, typed, findings = findings_for(tmp_path, source, [
        ["2020-06", "R1", "2020/6/3", "创业担保贷款", PERSON, "张三", "120,000"],
        ["2020-06", "R2", "2020-07-01", "招聘会", "", "", ""],          # date after the month
        ["2020-06", "R3", "20200610", "guaranteed_loan", bad_id, "李四", ""],  # bad ID, amount missing
        ["2020-06", "R4", "2020年6月9日", "培训", PERSON, "王五", "5"],      # unknown type
    ])
    frame = typed.frame
    assert "person_name" not in raw.cells.columns and "person_name" not in frame.columns
    got = {(f.row, f.column, f.rule) for f in findings}
    assert got == {(3, "service_date", "date_outside_month"), (4, "person_id_number", "invalid_id_number"),
                   (4, "amount_yuan", "required_cell_empty"), (5, "service_type", "unknown_value")}
    shown = [f.value for f in findings if f.column == "person_id_number"]
    assert shown == [bad_id[:6] + "********" + bad_id[-4:]]
    assert frame.loc[0, "amount_yuan"] == 12  # 120,000 元 = 12 万元
    assert frame.loc[0, "service_type"] == "guaranteed_loan"


def test_pseudonyms_are_keyed_and_stable():
    assert pseudonym(PERSON, b"k1") == pseudonym(PERSON.lower(), b"k1") != pseudonym(PERSON, b"k2")
    assert PERSON not in pseudonym(PERSON, b"k1") and len(pseudonym(PERSON, b"k1")) == 64


def test_landing_batch_holds_pseudonyms_only(tmp_path, source, suite_context, monkeypatch):
    import duckdb

    from town_industry.ingest.landing import write_batch

    monkeypatch.setenv("PERSON_ID_HMAC_KEY", "test-key")
    _, typed, findings = findings_for(tmp_path, source, [
        ["2020-06", "R1", "2020/6/3", "创业担保贷款", PERSON, "张三", "120,000"]])
    assert findings == []
    batch = write_batch(typed, source, "sha", tmp_path / "batch.parquet")
    row = duckdb.sql(f"FROM read_parquet('{batch}')").df().iloc[0]
    assert row["person_key"] == pseudonym(PERSON, b"test-key") and "person_id_number" not in row
    assert PERSON.encode() not in batch.read_bytes() and "张三".encode() not in batch.read_bytes()



def test_a_minimum_other_than_zero(tmp_path, monkeypatch):
    """min: 1 (in the stored unit, 万元: a loan of at least 10,000 元) is the rule below_minimum."""
    import great_expectations as gx

    from town_industry.ingest.validation import _gx

    path = tmp_path / "services_test.yml"
    path.write_text(DECLARATION.replace("min: 0", "min: 1"), encoding="utf-8")
    source = parse_source(path)
    context, _ = _gx()
    suite = gx.ExpectationSuite(**build_suite(source))
    monkeypatch.setattr(context.suites, "get", lambda name: suite)
    _, _, findings = findings_for(tmp_path, source, [
        ["2020-06", "R1", "2020/6/3", "创业担保贷款", PERSON, "张三", "5,000"],
        ["2020-06", "R2", "2020/6/4", "创业担保贷款", PERSON, "张三", "10,000"]])
    assert [(f.row, f.column, f.rule, f.message) for f in findings] == [
        (2, "amount_yuan", "below_minimum", "数值低于下限，应 ≥ 1")]
