"""The committed GX suites are what the declarations generate, and GX can load them; `make suites`
checks every declaration before it writes any suite."""
import json
import shutil

import pytest

from town_industry import settings
from town_industry.cli.main import main
from town_industry.contracts.sources import declared_sources, get_source
from town_industry.ingest import suites
from town_industry.ingest.suites import render, suite_error, suite_path


@pytest.mark.parametrize("source", declared_sources(), ids=lambda s: s.name)
def test_committed_suite_matches_declaration(source):
    assert suite_path(source).read_text(encoding="utf-8") == render(source), "run `make suites` and commit"


@pytest.mark.parametrize("source", declared_sources(), ids=lambda s: s.name)
def test_file_context_loads_suite_with_custom_expectations(source):
    from town_industry.ingest.validation import _gx

    context, _ = _gx()
    suite = context.suites.get(source.suite_name)
    types = {e.expectation_type for e in suite.expectations}
    formats = {c.format for c in source.columns if c.format}
    assert {f"expect_column_values_to_be_valid_{f}" for f in formats} <= types | {
        "expect_column_values_to_be_valid_industry_class"}
    assert ("uscc" in formats) == ("expect_column_values_to_be_valid_uscc" in types)
    assert len(suite.expectations) == len(json.loads(render(source))["expectations"])


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Copies of include/sources/ and expectations/suites/ that the declarations and suites are read from
    and written to."""
    monkeypatch.setattr(settings, "SOURCES_DIR", tmp_path / "sources")
    monkeypatch.setattr(suites, "SUITES_DIR", tmp_path / "suites")
    shutil.copytree(settings.PROJECT_ROOT / "include" / "sources", tmp_path / "sources")
    return tmp_path


def edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_make_suites_writes_nothing_while_a_declaration_is_wrong(project, capsys):
    edit(project / "sources" / "employment_services.yml", "materialized: table", "materialized: view")
    edit(project / "sources" / "enterprise_monthly.yml", "format: uscc", "format: usc")
    assert main(["suites"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "2 problem(s) in the declarations; no suite written:"
    assert err[1].startswith(f"{project}/sources/employment_services.yml: models[0] (main.dim_person): "
                             "materialized: unknown materialization 'view'")
    assert err[2].startswith(f"{project}/sources/enterprise_monthly.yml: columns[1] (uscc): format: unknown format")
    assert not (project / "suites").exists()


def test_make_suites_asks_great_expectations_about_the_declared_checks(project, capsys):
    edit(project / "sources" / "investment_monthly.yml", "expect_column_pair_values_a_to_be_greater_than_b",
         "expect_column_pair_values_a_to_be_later_than_b")
    edit(project / "sources" / "enterprise_monthly.yml", "column_B: high_tech_output, ", "")
    assert main(["suites"]) == 1
    err = capsys.readouterr().err
    assert (f"{project}/sources/investment_monthly.yml: checks[0] (dates_out_of_order): "
            "expect_column_pair_values_a_to_be_later_than_b: ExpectationNotFoundError") in err
    assert (f"{project}/sources/enterprise_monthly.yml: checks[0] (high_tech_output_exceeds_gross_output): "
            "expect_column_pair_values_a_to_be_greater_than_b: ValidationError") in err and "column_B" in err
    assert not (project / "suites").exists()


def test_make_suites_writes_the_committed_suites_from_good_declarations(project, capsys):
    assert main(["suites"]) == 0
    for source in declared_sources():
        assert suite_path(source).parent == project / "suites"
        assert suite_path(source).read_text(encoding="utf-8") == (
            settings.EXPECTATIONS_DIR / "suites" / f"{source.name}.json").read_text(encoding="utf-8")


def test_a_suite_not_regenerated_after_an_edit_is_named(project):
    shutil.copytree(settings.EXPECTATIONS_DIR / "suites", project / "suites")
    edit(project / "sources" / "investment_monthly.yml", "max_length: 64", "max_length: 80")
    assert suite_error(get_source("enterprise_monthly")) is None
    assert str(suite_error(get_source("investment_monthly"))) == (
        f"{project}/sources/investment_monthly.yml: {project}/suites/investment_monthly.json is out of date "
        "with the declaration (or include/rules.yml): run make suites")
    (project / "suites" / "enterprise_monthly.json").unlink()
    assert "no suite" in str(suite_error(get_source("enterprise_monthly")))


def test_make_suites_checks_the_kpi_catalogue_and_the_draft_layout(project, monkeypatch, capsys):
    from town_industry.contracts import report_layout

    bad = project / "report.yml"
    bad.write_text(report_layout.LAYOUT.read_text(encoding="utf-8").replace("kind: bars_against_year_before",
                                                                            "kind: pie"), encoding="utf-8")
    (project / "chapters").symlink_to(report_layout.REPORT_DIR / "chapters")
    real = report_layout.layout
    monkeypatch.setattr(report_layout, "layout", lambda path=bad: real(path))
    assert main(["suites"]) == 1
    assert f"{bad}: charts[1] (fixed_asset_investment): kind must be one of" in capsys.readouterr().err
    assert not (project / "suites").exists()
