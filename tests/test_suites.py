"""The committed GX suites are what the declarations generate, and GX can load them."""
import json

import pytest

from town_industry.contracts.sources import declared_sources
from town_industry.ingest.suites import render, suite_path


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
