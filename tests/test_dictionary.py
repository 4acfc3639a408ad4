"""The data dictionary: every table, view, macro and column of the warehouse has a comment, written from
the declarations (include/sources/*.yml, sql/*/_dictionary.yml); what a dictionary file names exists; and
docs/dictionary.md is read back from a warehouse. The real sample run's warehouse is checked against the
empty one the page is written from in tests/test_docs.py."""
from __future__ import annotations

import shutil

import pytest

from town_industry import settings
from town_industry.cli import dictionary_page
from town_industry.contracts import dictionary
from town_industry.contracts.sources import declarations

# Arguments to call each table macro with (its parameters by name), to see the columns it returns.
MACRO_ARGUMENTS = {"as_of_month_key": "202006", "first_month_key": "202001", "last_month_key": "202006",
                   "measure": "'taxable_sales'"}


@pytest.fixture(scope="module")
def empty():
    con = dictionary_page.empty_warehouse()
    yield con
    con.close()


def test_every_object_and_column_has_a_comment(empty):
    objects, columns = dictionary_page.catalogue(empty)
    assert len(objects) >= 35 and len(columns) >= 250  # the whole warehouse, not a part of it
    assert dictionary_page.undocumented(empty) == []


def test_what_the_dictionary_files_describe_exists(empty):
    assert dictionary_page.stale(empty, dictionary.load()) == []


def test_a_table_macro_returns_the_columns_its_comment_names(empty):
    words = dictionary.load()
    macros = empty.execute("SELECT schema_name || '.' || function_name, parameters FROM duckdb_functions() "
                           "WHERE function_type = 'table_macro' AND NOT internal "
                           "AND schema_name = 'mart'").fetchall()
    assert len(macros) >= 4
    for name, parameters in macros:
        call = f"{name}({', '.join(MACRO_ARGUMENTS[p] for p in parameters)})"
        returned = [c for (c, *_) in empty.execute(f"DESCRIBE SELECT * FROM {call}").fetchall()]
        named = [c for c in words.entries[name].own if c != "*"]
        assert named and set(named) <= set(returned), call
        if "*" not in words.entries[name].own:
            assert named == returned, f"{call} returns {returned}; its dictionary entry names {named}"
        assert "Returns: " in words.object_comment(name, "MACRO TABLE")


def test_the_money_and_personal_columns_say_what_is_stored(empty):
    comment = dict(empty.execute("SELECT column_name, comment FROM duckdb_columns() "
                                 "WHERE schema_name = 'staging' AND table_name = 'employment_services'").fetchall())
    assert comment["amount"] == "金额: 万元 (the file's 元 × 0.0001)"
    assert "pseudonym" in comment["person_key"] and "never stored" in comment["person_key"]
    assert "person_name" not in comment  # dropped at read: no column, so nothing to describe
    fact = dict(empty.execute("SELECT column_name, comment FROM duckdb_columns() "
                              "WHERE table_name = 'fact_investment_month'").fetchall())
    assert "not a running total" in fact["completed_investment"]
    assert "lineage" in fact["source_row"]  # from the folder's shared columns


def test_a_column_without_words_is_found(empty, tmp_path):
    """A column no dictionary file and no declaration describes stays uncommented, and the check says so;
    an entry for an object that does not exist is reported."""
    sql_dir = tmp_path / "sql"
    shutil.copytree(settings.SQL_DIR, sql_dir)
    marts = sql_dir / "marts" / "_dictionary.yml"
    text = marts.read_text(encoding="utf-8")
    assert "    has_year_before: " in text
    marts.write_text(text.replace("    has_year_before: ", "    # has_year_before: "), encoding="utf-8")
    marts.with_name("extra.yml").write_text("mart.enterprise_in_scop:\n  description: a typo\n", encoding="utf-8")
    words = dictionary.load(sql_dir=sql_dir)
    empty.execute("COMMENT ON COLUMN mart.enterprise_in_scope.has_year_before IS NULL")
    try:
        dictionary.annotate(empty, words=words)
        assert dictionary_page.undocumented(empty) == ["mart.enterprise_in_scope.has_year_before"]
        assert dictionary_page.stale(empty, words) == ["mart.enterprise_in_scop"]
    finally:
        dictionary.annotate(empty)
    assert dictionary_page.undocumented(empty) == []


def test_annotate_writes_only_what_changed_and_restores_a_rebuilt_table(empty):
    assert dictionary.annotate(empty) == 0
    empty.execute("CREATE OR REPLACE TABLE mart.code_values AS SELECT * FROM mart.code_values")
    assert "mart.code_values.code" in dictionary_page.undocumented(empty)
    assert dictionary.annotate(empty) == 1 + 5  # the table and its five columns
    assert dictionary_page.undocumented(empty) == []


def test_a_mistake_in_a_dictionary_file_is_named(tmp_path):
    sql_dir = tmp_path / "sql"
    (sql_dir / "marts").mkdir(parents=True)
    path = sql_dir / "marts" / "_dictionary.yml"
    for text, words in [
        ("mart.x:\n  descripton: typo\n", "sql/marts/_dictionary.yml: mart.x: expected the keys description and columns"),
        ("mart.x:\n  description: ''\n", "sql/marts/_dictionary.yml: mart.x.description: expected a non-empty text"),
        ("x:\n  description: no schema\n", "sql/marts/_dictionary.yml: x: not an object name"),
        ("mart.x:\n  description: a: b: c\n", "sql/marts/_dictionary.yml: not valid YAML"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(dictionary.DictionaryError) as caught:
            dictionary.load(declarations().sources, sql_dir)
        assert words in str(caught.value).replace(str(tmp_path) + "/", "")


def test_the_page_is_read_back_from_the_warehouse(empty):
    page = dictionary_page.render(empty)
    assert "| `completed_investment` | DECIMAL(18,6) | 本月完成投资" in page
    assert "| `employment_services` | `service_type` | `guaranteed_loan` | 创业担保贷款 |" in page
    empty.execute("COMMENT ON COLUMN main.dim_date.quarter IS 'changed in the warehouse'")
    try:
        assert "| `quarter` | BIGINT | changed in the warehouse |" in dictionary_page.render(empty)
    finally:
        dictionary.annotate(empty)
