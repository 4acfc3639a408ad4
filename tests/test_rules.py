"""The rule catalogue (include/rules.yml): it is valid, it names every rule the pipeline can report (and
nothing more), a rule it does not name cannot be reported, and every output speaks from it."""
from __future__ import annotations

import ast
import json
import re
import textwrap
from pathlib import Path

import duckdb
import pytest

from town_industry import periods, settings
from town_industry.contracts import rules
from town_industry.contracts.findings import Finding
from town_industry.contracts.sources import declared_sources, get_source
from town_industry.db import read_sql, run_sql
from town_industry.ingest.suites import FORMAT_EXPECTATIONS, RUNTIME_PARAMS, build_suite, runtime_params

from test_declared_examples import declared_cases

ROOT = settings.PROJECT_ROOT
PACKAGE = ROOT / "src" / "town_industry"
TESTS = Path(__file__).resolve().parent

# Calls that report a rule, and the position of the rule code among their arguments.
RULE_CALLS = {"finding": 0, "FileRejected": 0, "_expectation": 0, "Finding": 1}
# Functions that pass on a rule code they did not write themselves: where those codes come from is
# scanned elsewhere in this module (declarations, suite JSON) or by the scan of their callers.
DATA_DRIVEN = {
    ("contracts/rules.py", "finding"): "its callers",
    ("ingest/readers.py", "__init__"): "FileRejected's callers",
    ("ingest/suites.py", "_column_expectations"): "FORMAT_EXPECTATIONS",
    ("ingest/suites.py", "_declared_check"): "the source declarations' checks",
    ("ingest/validation.py", "run_suite"): "the suites' meta.rule",
    ("warehouse/history.py", "history_findings"): "the source declarations' history_checks",
    ("orchestration/ingest_tasks.py", "load"): "the findings JSON its validate task wrote",
    ("report_center/uploads.py", "validate"): "the findings validate_file returned in the child",
}


# ---- the catalogue --------------------------------------------------------------------------------

def catalogued() -> set[str]:
    return set(rules.catalogue().rules)


def test_catalogue_loads_with_every_language():
    for rule in rules.catalogue().rules.values():
        assert rule.severity in rules.SEVERITIES and rule.checked_in
        assert all(getattr(rule, f) for f in ("name_zh", "name_en", "message_zh", "message_en"))
        assert re.search(r"[\u4e00-\u9fff]", rule.name_zh + rule.message_zh), f"{rule.code}: write the Chinese"


def write_catalogue(tmp_path, body: str) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


GOOD = """
    rules:
      too_long:
        severity: error
        checked_in: [suite]
        name_zh: 内容过长
        name_en: Too long
        message_zh: 内容超过{max_length}个字符
        message_en: "longer than {max_length} characters"
"""


@pytest.mark.parametrize("change,error", [
    (("name_en: Too long", "name_en: Too long\n        colour: red"), r"rule too_long: unknown key\(s\) \['colour'\]"),
    (('message_en: "longer than {max_length} characters"', ""), r"rule too_long: missing message_en"),
    (("name_zh: 内容过长", "name_zh: ''"), r"rule too_long: name_zh must be non-empty"),
    (("{max_length}个字符", "{limit}个字符"), r"rule too_long: message_zh and message_en must use the same placeholders"),
    (("{max_length}个字符", "{max_length:>3}个字符"), r"rule too_long: message_zh: placeholder"),
    (("{max_length}个字符", "{max_length个字符"), r"rule too_long: message_zh"),
    (("severity: error", "severity: fatal"), r"rule too_long: severity must be one of"),
    (("checked_in: [suite]", "checked_in: [load]"), r"rule too_long: checked_in must be"),
    (("too_long:", "TooLong:"), r"rule TooLong: a code is lower_snake_case"),
])
def test_catalogue_mistakes_name_the_file_and_the_rule(tmp_path, change, error):
    path = write_catalogue(tmp_path, GOOD.replace(*change))
    with pytest.raises(rules.CatalogueError, match=re.escape(str(path)) + ".*" + error):
        rules.catalogue(path)


def test_every_mistake_of_the_catalogue_is_reported_at_once(tmp_path):
    second = GOOD.split("rules:")[1].replace("too_long:", "too_short:").replace("checked_in: [suite]",
                                                                                "checked_in: [suite, load]")
    path = write_catalogue(tmp_path, GOOD.replace("severity: error", "severity: warn") + second)
    with pytest.raises(rules.CatalogueError) as raised:
        rules.catalogue(path)
    assert str(raised.value).splitlines() == [
        f"{path}: rule too_long: severity must be one of ('error', 'warning'), not 'warn'",
        f"{path}: rule too_short: checked_in must be a non-empty list of ('read', 'parse', 'suite', 'history'), "
        "not ['suite', 'load']"]
    assert isinstance(raised.value, rules.DeclarationError)  # a configuration error, like a source's


def test_a_good_catalogue_renders_both_languages(tmp_path):
    rule = rules.catalogue(write_catalogue(tmp_path, GOOD)).get("too_long")
    assert rule.message({"max_length": 64}, "zh") == "内容超过64个字符"
    assert rule.message({"max_length": 64.0}, "en") == "longer than 64 characters"
    with pytest.raises(ValueError, match="too_long: no value for the placeholder"):
        rule.message({}, "zh")


def test_bilingual_values_and_decimals_are_shown_as_people_write_them():
    from decimal import Decimal

    found = rules.finding("guaranteed_loan_above_ceiling", {"amount": Decimal("60.000000"), "ceiling": 50})
    assert found.message == "创业担保贷款 60 万元，超过本地额度上限 50 万元，请核实"
    assert found.message_en == "guaranteed loan of 60 万元 is above the local ceiling of 50 万元"
    found = rules.finding("dates_out_of_order", {"a": rules.bilingual("开工日期", "start_date"),
                                                 "b": rules.bilingual("签约日期", "sign_date")})
    assert found.message.startswith("“开工日期”早于“签约日期”") and found.message_en.startswith("start_date is before")


# ---- a rule the catalogue does not name cannot be reported ----------------------------------------

def test_unknown_rule_code_raises():
    with pytest.raises(rules.UnknownRule, match="not_a_rule"):
        rules.finding("not_a_rule")
    with pytest.raises(rules.UnknownRule):
        Finding("error", "not_a_rule", "消息", "message")
    with pytest.raises(ValueError, match="is a warning in the rule catalogue"):
        Finding("error", "extra_column_ignored", "消息", "message")


def test_a_declaration_naming_an_unknown_rule_or_its_own_severity_is_refused(tmp_path):
    from town_industry.contracts.sources import parse_source

    base = (ROOT / "include" / "sources" / "enterprise_monthly.yml").read_text(encoding="utf-8")
    for change, error in [
        (("rule: high_tech_output_exceeds_gross_output", "rule: high_tech_too_high"), "not in the rule catalogue"),
        (("rule: high_tech_output_exceeds_gross_output", "rule: high_tech_output_exceeds_gross_output\n"
          "    severity: warning"), "decides a rule's severity"),
        (("rule: high_tech_output_exceeds_gross_output", "rule: high_tech_output_exceeds_gross_output\n"
          "    message: too high"), "messages come from the rule catalogue"),
        (("rule: high_tech_output_exceeds_gross_output", "rule: high_tech_output_exceeds_gross_output\n"
          "    params: {limit: 3}"), r"params \['limit'\] are not placeholders"),
        (("{rule: taxable_sales_swing_yoy,", "{rule: invalid_uscc,"), "does not list 'history' in checked_in"),
    ]:
        path = tmp_path / "enterprise_monthly.yml"
        path.write_text(base.replace(*change), encoding="utf-8")
        with pytest.raises(ValueError, match=error):
            parse_source(path)


# ---- static: every rule the pipeline can emit is catalogued, every catalogued rule is used -----------

def _literals(node: ast.AST | None) -> set[str]:
    """The rule codes a rule argument or assignment spells out ("a", "a" if x else "b", ("a", None))."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _literals(node.body) | _literals(node.orelse)
    return set()


def _rule_assignments(function: ast.AST) -> list[ast.AST | None]:
    """What a function assigns to a variable named ``rule`` (also as ``rule, x = "a", y``)."""
    values = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == "rule":
                values.append(node.value)
            elif isinstance(target, ast.Tuple):
                for i, element in enumerate(target.elts):
                    if isinstance(element, ast.Name) and element.id == "rule":
                        parts = node.value.elts if isinstance(node.value, ast.Tuple) else None
                        values.append(parts[i] if parts else None)
    return values


def _rule_argument(call: ast.Call, position: int) -> ast.AST | None:
    keyword = next((k.value for k in call.keywords if k.arg in ("rule", "code")), None)
    return call.args[position] if len(call.args) > position else keyword


def rules_in_python() -> tuple[set[str], list[str]]:
    """(codes the package's code reports, call sites whose code comes from elsewhere and are not known)."""
    codes, unknown_sites = set(), []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]:
            for call in [n for n in ast.walk(function) if isinstance(n, ast.Call)]:
                name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                if name not in RULE_CALLS:
                    continue
                argument = _rule_argument(call, RULE_CALLS[name])
                found = _literals(argument)
                if not found and isinstance(argument, ast.Name) and argument.id == "rule":
                    assigned = _rule_assignments(function)
                    if assigned and all(map(_literals, assigned)):
                        found = set().union(*map(_literals, assigned))
                codes |= found
                if not found and (module, function.name) not in DATA_DRIVEN:
                    unknown_sites.append(f"{module}:{call.lineno} in {function.name}()")
    codes |= {rule for _, rule in FORMAT_EXPECTATIONS.values()}
    return codes, unknown_sites


def rules_in_declarations() -> set[str]:
    return {c.rule for s in declared_sources() for c in (*s.checks, *s.history_checks)}


def rules_in_suites() -> set[str]:
    return {e["meta"]["rule"] for path in (ROOT / "expectations" / "suites").glob("*.json")
            for e in json.loads(path.read_text(encoding="utf-8"))["expectations"]}


def rules_in_sql_checks() -> dict[str, str]:
    """Each sql/checks/ file -> the rule its first line names ('-- Rule <code> ...')."""
    named = {}
    for path in sorted((settings.SQL_DIR / "checks").glob("*.sql")):
        match = re.match(r"-- Rule (\w+) ", path.read_text(encoding="utf-8"))
        assert match, f"{path}: the first line names the rule: -- Rule <code> (...)"
        named[f"checks/{path.name}"] = match.group(1)
    return named


def test_python_code_reports_only_catalogued_rules():
    codes, unknown_sites = rules_in_python()
    assert unknown_sites == [], ("name the rule code literally at these calls (or add the function to "
                                 "DATA_DRIVEN with where its codes come from)")
    assert codes - catalogued() == set(), "add these rules to include/rules.yml"


def test_declarations_suites_and_sql_checks_name_only_catalogued_rules():
    assert rules_in_declarations() - catalogued() == set()
    assert rules_in_suites() - catalogued() == set()
    sql = rules_in_sql_checks()
    assert set(sql.values()) - catalogued() == set()
    declared = {c.sql: c.rule for s in declared_sources() for c in s.history_checks}
    assert declared == sql, "each sql/checks/ file is declared once, with the rule its first line names"


def test_every_catalogued_rule_is_used():
    used = rules_in_python()[0] | rules_in_declarations() | rules_in_suites() | set(rules_in_sql_checks().values())
    assert catalogued() - used == set(), "dead rules: remove them from include/rules.yml or report them"


def test_every_catalogued_rule_has_a_test_that_triggers_it():
    """A cheap guard for new rules: each code is named by some other test module, which triggers it, or by a
    declared bad delivery (tests/examples/<source>.yml, run by test_declared_examples.py)."""
    tests = "\n".join(p.read_text(encoding="utf-8") for p in TESTS.glob("test_*.py") if p.name != Path(__file__).name)
    declared = {case.values[1]["rule"] for case in declared_cases()}
    untested = sorted(code for code in catalogued() if f'"{code}"' not in tests and code not in declared)
    assert untested == [], "write a test that makes the pipeline report these rules"


def test_checked_in_lists_where_each_rule_is_checked():
    in_suites, in_history = rules_in_suites(), set(rules_in_sql_checks().values())
    for rule in rules.catalogue().rules.values():
        assert (rule.code in in_history) == (rule.checked_in == ("history",)), rule.code
        if rule.code in in_suites:
            assert "suite" in rule.checked_in, rule.code


# ---- params: every check gives the values its rule's message needs ----------------------------------

@pytest.mark.parametrize("source", declared_sources(), ids=lambda s: s.name)
def test_suite_params_fill_every_placeholder(source):
    for expectation in build_suite(source)["expectations"]:
        meta = expectation["meta"]
        rule = rules.get(meta["rule"])
        assert meta["severity"] == rule.severity
        params = meta.get("params", {})
        assert set(params) <= rule.placeholders, (meta["rule"], params)
        for language in rules.LANGUAGES:
            text = rule.message({**params, **runtime_params("2020-06")}, language)
            assert "{" not in text and "zh" not in text[:3], text
    assert set(runtime_params("2020-06")) == set(RUNTIME_PARAMS)


@pytest.mark.parametrize("check", [(s, c) for s in declared_sources() for c in s.history_checks],
                         ids=lambda sc: sc[1].rule)
def test_history_check_sql_returns_the_placeholders_of_its_rule(check):
    from town_industry.warehouse.schema import staging_ddl

    source, history_check = check
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.execute(staging_ddl(source))
    run_sql(con, read_sql(history_check.sql), {**history_check.params, **periods.sql_params("2020-06")})
    columns = {name: kind for name, kind, *_ in con.description}
    assert list(columns) == ["row_number", "column_name", "value", "params"]
    assert columns["params"].id == "struct"
    assert {name for name, _ in columns["params"].children} == rules.get(history_check.rule).placeholders


def test_history_category_params_are_shown_in_chinese():
    from town_industry.warehouse.history import _in_words

    params = _in_words(get_source("employment_services"), {"service_type": "startup_subsidy", "n": 2})
    found = rules.finding("same_subsidy_twice_in_month", params)
    assert "创业补贴" in found.message and "startup_subsidy" in found.message_en


# ---- outputs -----------------------------------------------------------------------------------------

def test_markdown_page_lists_every_rule_in_both_languages():
    page = rules.render_markdown()
    for rule in rules.catalogue().rules.values():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{rule.code}` |"))
        for text in (rule.name_zh, rule.name_en, rule.severity, *rule.checked_in):
            assert text in row
        assert rules.placeholders(rule.message_zh) == rules.placeholders(row)
    assert "中文名称" in page and "English name" in page


def test_rejection_report_is_chinese_with_english_below(tmp_path):
    from town_industry.ingest.rejection_report import write_error_report

    findings = [rules.finding("invalid_uscc", row=3, column="uscc", value="91110108551385082R",
                              subject="91110108551385082R（北京某某有限公司）"),
                rules.finding("no_data_rows", {"file": "2020-01.csv", "header_row": 1}),
                rules.finding("extra_column_ignored", {"header": "备注", "title": "规上工业企业月报"}, row=1,
                              column="备注")]
    report = write_error_report(tmp_path / "r.md", source="enterprise_monthly", month="2020-01",
                                file=Path("/data/2020-01.csv"), sha256="ab" * 32, findings=findings).read_text("utf-8")
    assert report.startswith("# 退回通知：规上工业企业月报 2020-01")
    assert "请这样处理" in report and "| 类别 | 行 | 对象 | 列 | 规则 | 值 | 问题 |" in report
    assert ("| 错误 | 3 | 91110108551385082R（北京某某有限公司） | 统一社会信用代码（uscc） | "
            "统一社会信用代码不正确（invalid_uscc） | 91110108551385082R | 统一社会信用代码不正确：") in report
    assert ("| 错误 | （整个文件） | — |  | 没有数据行（no_data_rows） | — | 文件 2020-01.csv 在表头（第1行）以下没有数据行 |"
            in report)
    assert "| 警告 | 1 | — | 备注 | 文件含约定以外的列（已忽略）（extra_column_ignored） |" in report
    english = report.split("## English")[1]
    assert ("| error | 3 | 91110108551385082R（北京某某有限公司） | uscc | invalid_uscc | 91110108551385082R | "
            "not a valid unified social credit code") in english


def test_a_rejection_report_of_a_hundred_thousand_bad_rows_stays_readable(tmp_path):
    """Every finding is counted per rule and column; only the first LISTED are listed row by row."""
    from town_industry.ingest.rejection_report import LISTED, write_error_report

    bad_codes = [rules.finding("invalid_uscc", row=row, column="uscc", value="X") for row in range(2, 100_002)]
    negative = [rules.finding("negative_amount", row=row, column="taxable_sales", value="-1")
                for row in range(2, 12)]
    path = write_error_report(tmp_path / "r.md", source="enterprise_monthly", month="2020-01",
                              file=Path("/data/2020-01.csv"), sha256="ab" * 32, findings=bad_codes + negative)
    report = path.read_text("utf-8")
    chinese, english = report.split("## English")
    assert "| 错误 | 统一社会信用代码不正确（invalid_uscc） | 统一社会信用代码（uscc） | 100,000 | 2、3、4、5、6 |" in chinese
    assert "| 10 | 2、3、4、5、6 |" in chinese  # the rarer rule is summarised too, though not listed
    assert sum(line.startswith("| 错误 | ") for line in chinese.split("## 逐行清单")[1].splitlines()) == LISTED
    assert f"另有 {100_010 - LISTED:,} 处未列出" in chinese and f"{100_010 - LISTED:,} more" in english
    assert sum(line.startswith("| error | ") for line in english.splitlines()) == LISTED
    assert path.stat().st_size < 1_000_000  # readable: not 30 MB of table


def test_failure_message_of_a_rejected_file_is_chinese_then_english():
    from town_industry.orchestration.ingest_tasks import _rejection_message

    first = rules.finding("negative_amount", row=3, column="gross_output", value="-12.5")
    text = _rejection_message("/d/2020-01.csv", get_source("enterprise_monthly"), [first], "/r.md")
    zh, en = text.splitlines()
    assert zh == ("/d/2020-01.csv 被退回：1 处错误，没有数据入库。第一处：第3行，工业总产值(千元)（gross_output）列："
                  "数值不能为负数（值：-12.5）。完整报告：/r.md")
    assert en.startswith("/d/2020-01.csv rejected with 1 error(s); nothing loaded. First: row 3, column gross_output: "
                         "negative_amount: must not be negative (value '-12.5')")


@pytest.mark.parametrize("language,loaded,rejected", [
    ("zh", "已入库 74 行，警告 2 条", "已退回，错误 3 处"), ("en", "loaded 74 rows, 2 warnings", "REJECTED, 3 errors")])
def test_run_summary_speaks_the_chosen_language(monkeypatch, language, loaded, rejected):
    from town_industry.cli.run import WORDS, words

    monkeypatch.setenv("TOWN_INDUSTRY_LANGUAGE", language)
    assert words()["loaded"].format(rows=74, warnings=2) == loaded
    assert words()["rejected"].format(errors=3) == rejected
    assert set(WORDS["zh"]) == set(WORDS["en"])


def test_run_summary_language_defaults_to_chinese_and_refuses_others(monkeypatch):
    monkeypatch.delenv("TOWN_INDUSTRY_LANGUAGE", raising=False)
    assert settings.language() == "zh"
    monkeypatch.setenv("TOWN_INDUSTRY_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="TOWN_INDUSTRY_LANGUAGE"):
        settings.language()


def test_a_warehouse_from_before_message_en_gets_the_column():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE TABLE meta.dq_issues (source VARCHAR NOT NULL, month VARCHAR NOT NULL, file_sha256 VARCHAR "
                "NOT NULL, severity VARCHAR NOT NULL, rule VARCHAR NOT NULL, row_number INTEGER, column_name VARCHAR, "
                "value VARCHAR, message VARCHAR NOT NULL, recorded_at TIMESTAMP NOT NULL)")
    con.execute("INSERT INTO meta.dq_issues VALUES ('s', '2020-01', 'x', 'warning', 'r', 1, 'c', 'v', 'old', now())")
    con.execute(read_sql("meta/schema.sql"))
    fresh = duckdb.connect()
    fresh.execute(read_sql("meta/schema.sql"))
    layout = "SELECT column_name FROM information_schema.columns WHERE table_name = 'dq_issues' ORDER BY ordinal_position"
    assert con.execute(layout).fetchall() == fresh.execute(layout).fetchall()
    assert con.execute("SELECT message, message_en FROM meta.dq_issues").fetchall() == [("old", None)]
