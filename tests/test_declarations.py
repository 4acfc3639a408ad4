"""The declaration machinery beyond enterprise_monthly: categories, conditional requirements,
month-bounded dates and personal data, exercised on a declaration written in the test; and the strict
reading of declarations: every mistake named with its file and key, a broken declaration left out alone."""
from __future__ import annotations

import re
import shutil
import textwrap

import pandas as pd
import pytest
import yaml

from town_industry import settings
from town_industry.contracts import rules
from town_industry.contracts.codes import id_check_char
from town_industry.contracts.sources import (SUITE_PARAMETERS, DeclarationError, declaration_errors,
                                             declared_sources, get_source, parse_source)
from town_industry.ingest.personal import pseudonym
from town_industry.ingest.readers import read_file
from town_industry.ingest.suites import build_suite
from town_industry.ingest.validation import suite_parameters, validate_file, validate_table

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


def test_an_unknown_category_value_lists_the_spellings_a_clerk_types(tmp_path):
    """The Chinese message lists every declared spelling (就业创业证／就业创业登记证), never the codes."""
    path = tmp_path / "2020-06.csv"
    pd.DataFrame([["2020-06", "R1", "2020-06-03", "培训补贴", "", "", "", "30"]],
                 columns=["统计年月", "业务编号", "办理日期", "业务类型", "身份证号", "姓名", "金额(元)", "岗位数"]
                 ).to_csv(path, index=False)
    found = [f for f in validate_file(path, get_source("employment_services"), "2020-06").findings
             if f.rule == "unknown_value"]
    assert [f.message for f in found] == [
        "不是可选的取值；可填写：就业创业证／就业创业登记证、灵活就业社保补贴、创业担保贷款、创业补贴、招聘会"]
    assert found[0].message_en.startswith("not one of the accepted values: employment_certificate "
                                          "(就业创业证 / 就业创业登记证), flexible_employment_subsidy (")


# ---- strict reading: every mistake named with its file and its key -------------------------------

SHIPPED = settings.SOURCES_DIR


def declaration_with(tmp_path, source: str, *changes: tuple[str, str]):
    """The shipped declaration of ``source`` with each (old, new) text change, written under tmp_path."""
    text = (SHIPPED / f"{source}.yml").read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / f"{source}.yml"
    path.write_text(text, encoding="utf-8")
    return path


EMPLOYMENT, ENTERPRISE, INVESTMENT = "employment_services", "enterprise_monthly", "investment_monthly"
# (source, change, the key path the error names, what it says): one case for each kind of mistake that
# once passed `make suites` and failed only at a month's load, or removed every ingestion DAG.
MISTAKES = {
    "misspelled_column_key": (EMPLOYMENT, ("type: text, required: true}", "type: text, requird: true}"),
                              "columns[1] (record_id)", "unknown key 'requird' (allowed: name, type, headers,"),
    "misspelled_top_level_key": (EMPLOYMENT, ("owner: labour-office", "ownr: labour-office"), "",
                                 "unknown key 'ownr'"),
    "history_check_sql_missing": (EMPLOYMENT, ("checks/employment_loan_above_ceiling.sql",
                                               "checks/employment_loan_ceiling.sql"),
                                  "history_checks[1] (guaranteed_loan_above_ceiling)",
                                  "sql: no file sql/checks/employment_loan_ceiling.sql (did you mean "
                                  "checks/employment_loan_above_ceiling.sql?)"),
    "history_check_param_not_given": (EMPLOYMENT, ("params: {loan_ceiling_wan_yuan: 50}", "params: {ceiling: 50}"),
                                      "history_checks[1] (guaranteed_loan_above_ceiling)",
                                      "params: sql/checks/employment_loan_above_ceiling.sql uses "
                                      "$loan_ceiling_wan_yuan, and params gives no value for it"),
    "model_sql_missing": (EMPLOYMENT, ("sql: dims/dim_person.sql", "sql: dims/dim_persons.sql"),
                          "models[0] (main.dim_person)", "sql: no file sql/dims/dim_persons.sql"),
    "unknown_materialization": (EMPLOYMENT, ("materialized: table", "materialized: view"),
                                "models[0] (main.dim_person)", "materialized: unknown materialization 'view' "
                                                               "(one of table, month_partition, scd2)"),
    "scd2_without_its_key": (ENTERPRISE, ("unique_key: uscc,", ""), "models[0] (main.dim_enterprise)",
                             "unique_key: required by materialized: scd2"),
    "partition_filter_missing": (EMPLOYMENT, ('partition_filter: "month_key = $month_key"', ""),
                                 "models[1] (main.fact_employment_service)",
                                 "partition_filter: required by materialized: month_partition"),
    "unknown_not_after": (EMPLOYMENT, ("not_after: month_end", "not_after: month_ends"),
                          "columns[2] (service_date)", "not_after: must be month_start or month_end, not 'month_ends'"),
    "spellings_not_a_list": (INVESTMENT, ("expansion: [扩建]", "expansion: 扩建"), "columns[5] (construction_type)",
                             "values: expansion: expected a list of the spellings files use, not '扩建'"),
    "one_spelling_for_two_codes": (INVESTMENT, ("other: [其他]", "other: [其他, 新建]"),
                                   "columns[5] (construction_type)", "values: '新建' is a spelling of both 'new' "
                                                                     "and 'other'"),
    "condition_on_an_unknown_column": (EMPLOYMENT, ("required_unless: {service_type:", "required_unless: {servce_type:"),
                                       "columns[4] (person_id_number)",
                                       "required_unless: 'servce_type' is not a declared column"),
    "condition_naming_a_spelling": (EMPLOYMENT, ("required_unless: {service_type: [job_fair]}",
                                                 "required_unless: {service_type: [招聘会]}"),
                                    "columns[4] (person_id_number)",
                                    "required_unless: service_type: '招聘会' is not a code of service_type "
                                    "(codes: employment_certificate, flexible_employment_subsidy, guaranteed_loan, "
                                    "startup_subsidy, job_fair): it is a spelling of 'job_fair', name the code"),
    "unknown_format": (ENTERPRISE, ("format: uscc", "format: USCC"), "columns[1] (uscc)",
                       "format: unknown format 'USCC' (known: uscc, industry_class, id_number)"),
    "money_unit_on_an_integer": (ENTERPRISE, ("type: integer, unit: 人", "type: integer, unit: 万元"),
                                 "columns[9] (employees)", "unit: 万元 is money"),
    "check_parameter_not_supplied": (ENTERPRISE, ("or_equal: true,", 'or_equal: true, mostly: {"$PARAMETER": "share"},'),
                                     "checks[0] (high_tech_output_exceeds_gross_output)",
                                     'kwargs: {"$PARAMETER": \'share\'} is not supplied at validation'),
    "check_on_an_undeclared_column": (INVESTMENT, ("column_A: start_date", "column_A: begin_date"),
                                      "checks[0] (dates_out_of_order)", "kwargs.column_A: 'begin_date' is not a "
                                                                        "declared column"),
    "name_other_than_the_file": (INVESTMENT, ("name: investment_monthly", "name: investments"), "name",
                                 "'investments' differs from the file's name"),
    "key_not_a_column": (ENTERPRISE, ("key: [uscc]", "key: [credit_code]"), "key",
                         "'credit_code' is not a declared (stored) column"),
}


@pytest.mark.parametrize("case", MISTAKES, ids=list(MISTAKES))
def test_each_mistake_is_named_with_its_file_and_key(tmp_path, case):
    source, change, where, what = MISTAKES[case]
    path = declaration_with(tmp_path, source, change)
    with pytest.raises(DeclarationError) as raised:
        parse_source(path)
    assert raised.value.path == path
    line = f"{path}: {where}: {what}" if where else f"{path}: {what}"
    assert any(found.startswith(line) for found in str(raised.value).splitlines()), str(raised.value)


def test_every_mistake_of_a_declaration_is_reported_at_once(tmp_path):
    path = declaration_with(tmp_path, EMPLOYMENT, MISTAKES["misspelled_column_key"][1],
                            MISTAKES["unknown_materialization"][1], MISTAKES["unknown_not_after"][1])
    with pytest.raises(DeclarationError) as raised:
        parse_source(path)
    assert [re.sub(r": .*", "", p, count=1) for p in raised.value.problems] == [
        "columns[1] (record_id)", "columns[2] (service_date)", "models[0] (main.dim_person)"]
    assert len(str(raised.value).splitlines()) == 3


def shipped_names() -> set[str]:
    """The sources include/sources/ declares and does not switch off, however many there are."""
    return {p.stem for p in SHIPPED.glob("*.yml") if yaml.safe_load(p.read_text(encoding="utf-8")).get("enabled", True)}


def test_the_shipped_declarations_are_valid():
    assert declaration_errors() == ()
    assert {s.name for s in declared_sources()} == shipped_names()


def test_suite_parameters_are_those_validation_supplies():
    """A declaration may name only parameters validation gives GX (else GX's SuiteParameterError at a load)."""
    assert set(suite_parameters("2020-06")) == set(SUITE_PARAMETERS)


@pytest.fixture
def sources_dir(tmp_path, monkeypatch):
    """A copy of include/sources/ the parser reads instead of the real one."""
    folder = tmp_path / "sources"
    shutil.copytree(SHIPPED, folder)
    monkeypatch.setattr(settings, "SOURCES_DIR", folder)
    return folder


def test_a_broken_declaration_is_left_out_alone(sources_dir):
    declaration_with(sources_dir, EMPLOYMENT, MISTAKES["misspelled_column_key"][1])
    declaration_with(sources_dir, INVESTMENT, ("owner: investment-promotion-office",
                                               "owner: investment-promotion-office\nenabled: false"))
    (sources_dir / "land_transfers.yaml").write_text("name: land_transfers\n", encoding="utf-8")
    assert {s.name for s in declared_sources()} == shipped_names() - {EMPLOYMENT, INVESTMENT}
    errors = {e.path.name: str(e) for e in declaration_errors()}
    assert set(errors) == {f"{EMPLOYMENT}.yml", "land_transfers.yaml"}
    assert "columns[1] (record_id): unknown key 'requird'" in errors[f"{EMPLOYMENT}.yml"]
    assert "ends in .yml" in errors["land_transfers.yaml"]
    with pytest.raises(DeclarationError, match=r"employment_services.yml: columns\[1\] \(record_id\)"):
        get_source(EMPLOYMENT)
    with pytest.raises(DeclarationError, match=r"investment_monthly.yml: the source is switched off"):
        get_source(INVESTMENT)


def test_optional_and_enabled_are_read(sources_dir):
    declaration_with(sources_dir, ENTERPRISE, ("arrival_deadline_days: 20", "arrival_deadline_days: 20\noptional: true"))
    declaration_with(sources_dir, INVESTMENT, ("arrival_deadline_days: 20", "arrival_deadline_days: 20\nenabled: no"))
    declaration_with(sources_dir, EMPLOYMENT, ("arrival_deadline_days: 20", "arrival_deadline_days: 20\noptional: 1"))
    # YAML's `no` is false: investment is off; employment's `optional: 1` is no boolean
    assert {s.name for s in declared_sources()} == shipped_names() - {EMPLOYMENT, INVESTMENT}
    assert get_source(ENTERPRISE).optional
    (error,) = declaration_errors()
    assert str(error) == f"{sources_dir / EMPLOYMENT}.yml: optional: must be true or false, not 1"


def test_a_broken_rule_catalogue_stops_every_source(sources_dir, tmp_path, monkeypatch):
    broken = tmp_path / "rules.yml"
    broken.write_text(rules.CATALOGUE.read_text(encoding="utf-8").replace("severity: warning", "severity: warn", 1),
                      encoding="utf-8")
    monkeypatch.setattr(rules, "CATALOGUE", broken)
    assert declared_sources() == ()
    (error,) = declaration_errors()
    assert isinstance(error, rules.CatalogueError)
    assert re.match(rf"{re.escape(str(broken))}: rule \w+: severity must be one of \('error', 'warning'\), "
                    r"not 'warn'$", str(error))
