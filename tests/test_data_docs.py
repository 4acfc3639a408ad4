"""Every file that reaches its suite gets a GX Data Docs page (ingest/data_docs.py), listed in index.html and
linked from the rejection report; pages stay small and never show an ID number in clear.

Unit tests: files are validated in this process (validate_file), no DAG runs.
"""
from __future__ import annotations

import logging

import re
from pathlib import Path

import pytest

from town_industry.contracts.codes import mask_id_number
from town_industry.contracts.sources import get_source
from town_industry.ingest import data_docs
from town_industry.ingest.rejection_report import write_error_report
from town_industry.ingest.validation import validate_file

ROOT = Path(__file__).resolve().parents[1]
ENTERPRISE = ROOT / "include" / "data" / "enterprise_monthly" / "2020-01.csv"
EMPLOYMENT = ROOT / "include" / "data" / "employment_services" / "2020-05.csv"
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])")


@pytest.fixture
def docs_dir(tmp_path, monkeypatch) -> Path:
    """A warehouse under tmp_path: the pages go to data_docs/ beside it."""
    monkeypatch.setenv("WAREHOUSE", str(tmp_path / "wh" / "warehouse.duckdb"))
    monkeypatch.delenv("DATA_DOCS_DIR", raising=False)
    return tmp_path / "wh" / "data_docs"


def with_cell(source: Path, target: Path, row: int, column: int, value: str) -> Path:
    """A copy of ``source`` with one cell replaced (``row``: 1 is the first data row)."""
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[row].split(",")
    cells[column] = value
    lines[row] = ",".join(cells)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def page_text(path: Path) -> str:
    """A page's visible text (scripts and tags removed)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<script.*?</script>", " ", text, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text))


def test_sample_month_gets_a_page_listed_in_the_index(docs_dir):
    result = validate_file(ENTERPRISE, get_source("enterprise_monthly"), "2020-01")
    assert result.errors == 0
    page = docs_dir / "enterprise_monthly" / f"2020-01-{result.sha256[:12]}.html"
    assert data_docs.data_docs_dir() == docs_dir.resolve()
    assert data_docs.page_path("enterprise_monthly", "2020-01", result.sha256) == page.resolve()
    html = page.read_text(encoding="utf-8")
    assert html.lstrip().startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    text = page_text(page)
    assert "Expectation Suite: enterprise_monthly" in text and "Status: Succeeded" in text
    assert result.sha256 in text  # the page names the file it is about
    index = (docs_dir / "index.html").read_text(encoding="utf-8")
    assert f'href="enterprise_monthly/2020-01-{result.sha256[:12]}.html"' in index and "passed" in index
    assert not list(docs_dir.rglob("*.tmp"))  # written atomically: no temporary file left behind


def test_a_broken_cell_is_a_failed_expectation_on_the_page_newest_first_in_the_index(docs_dir, tmp_path):
    clean = validate_file(ENTERPRISE, get_source("enterprise_monthly"), "2020-01")
    bad_uscc = "913206125676357958"  # row 1's code with a wrong check character
    broken = with_cell(ENTERPRISE, tmp_path / "in" / "2020-01.csv", 1, 1, bad_uscc)
    result = validate_file(broken, get_source("enterprise_monthly"), "2020-01")
    assert [f.rule for f in result.findings] == ["invalid_uscc"]
    text = page_text(data_docs.page_path("enterprise_monthly", "2020-01", result.sha256))
    assert "Expectation Suite: enterprise_monthly" in text and "Status: Failed" in text
    assert "expect_column_values_to_be_valid_uscc" in text and bad_uscc in text
    assert "Unsuccessful Expectations 1" in text
    index = (docs_dir / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', index)
    assert links == [f"enterprise_monthly/2020-01-{result.sha256[:12]}.html",
                     f"enterprise_monthly/2020-01-{clean.sha256[:12]}.html"]
    assert index.index("failed") < index.index("passed")


def test_no_id_number_appears_in_clear_on_any_page(docs_dir, tmp_path):
    source = get_source("employment_services")
    original = EMPLOYMENT.read_text(encoding="utf-8-sig")
    ids = set(ID_NUMBER.findall(original))
    assert len(ids) > 10
    first = original.splitlines()[1].split(",")[4]
    wrong = first[:-1] + ("1" if first[-1] != "1" else "2")  # a wrong check character: an unexpected value
    broken = with_cell(EMPLOYMENT, tmp_path / "in" / "2020-05.csv", 1, 4, wrong)
    assert validate_file(EMPLOYMENT, source, "2020-05").errors == 0
    result = validate_file(broken, source, "2020-05")
    assert [(f.rule, f.value) for f in result.findings] == [("invalid_id_number", mask_id_number(wrong))]
    pages = sorted(docs_dir.rglob("*.html"))
    assert len(pages) == 3  # two files' pages and the index
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not [i for i in ids | {wrong} if i in html], page.name
    text = page_text(data_docs.page_path("employment_services", "2020-05", result.sha256))
    assert "expect_column_values_to_be_valid_id_number" in text and mask_id_number(wrong) in text


def test_the_rejection_report_links_the_page(docs_dir, tmp_path):
    broken = with_cell(ENTERPRISE, tmp_path / "in" / "2020-01.csv", 2, 5, "-4925.7")  # a negative output
    result = validate_file(broken, get_source("enterprise_monthly"), "2020-01")
    assert result.errors == 2  # negative, and below its high-tech output ("—": 0)
    page = data_docs.page_path("enterprise_monthly", "2020-01", result.sha256)
    report = write_error_report(tmp_path / "report.md", source="enterprise_monthly", month="2020-01", file=broken,
                                sha256=result.sha256, findings=result.findings).read_text(encoding="utf-8")
    lines = report.splitlines()
    link = lines.index(f"- GX 校验结果（Data Docs）：`{page}`")
    assert lines[link - 1] == f"- SHA-256：`{result.sha256}`" and page.is_file()
    assert f"Great Expectations validation result (Data Docs): `{page}`" in report
    # A file rejected before its suite ran has no page, and its report no link.
    other = write_error_report(tmp_path / "other.md", source="enterprise_monthly", month="2020-01", file=broken,
                               sha256="0" * 64, findings=result.findings).read_text(encoding="utf-8")
    assert "Data Docs" not in other


def test_a_file_with_many_bad_rows_gets_a_page_of_bounded_size(docs_dir, tmp_path):
    lines = ENTERPRISE.read_text(encoding="utf-8-sig").splitlines()
    header, rows = lines[0], [line.split(",") for line in lines[1:]]
    many = [header]
    for i in range(20_000):  # every row has an invalid code, a third a negative output
        cells = list(rows[i % len(rows)])
        cells[1] = f"9132061{i:010d}X"
        cells[5] = f"-{i}.5" if i % 3 == 0 else cells[5]
        many.append(",".join(cells))
    path = tmp_path / "in" / "2020-01.csv"
    path.parent.mkdir()
    path.write_text("\n".join(many) + "\n", encoding="utf-8")
    result = validate_file(path, get_source("enterprise_monthly"), "2020-01")
    assert result.errors > 20_000
    small = validate_file(ENTERPRISE, get_source("enterprise_monthly"), "2020-01")
    page = data_docs.page_path("enterprise_monthly", "2020-01", result.sha256)
    size = page.stat().st_size
    sample_size = data_docs.page_path("enterprise_monthly", "2020-01", small.sha256).stat().st_size
    assert size < 2 * sample_size and size < 200_000, (size, sample_size)
    text = page_text(page)
    invalid = sum(f.rule == "invalid_uscc" for f in result.findings)
    assert f"{invalid} unexpected values found" in text  # counted in full ...
    assert len(set(re.findall(r"9132061\d{10}X", text))) == data_docs.PARTIAL == 20  # ... shown in part


def test_data_docs_dir_can_be_set(docs_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DOCS_DIR", str(tmp_path / "elsewhere"))
    result = validate_file(ENTERPRISE, get_source("enterprise_monthly"), "2020-01")
    assert (tmp_path / "elsewhere" / "enterprise_monthly" / f"2020-01-{result.sha256[:12]}.html").is_file()
    assert (tmp_path / "elsewhere" / "index.html").is_file() and not docs_dir.exists()


def test_a_page_that_cannot_be_written_never_fails_the_validation(docs_dir, tmp_path, monkeypatch, caplog):
    calls = []

    def broken(*args, **kwargs):
        calls.append(args)
        raise OSError("disk full while writing 320612196202161647")

    monkeypatch.setattr(data_docs, "write_validation_page", broken)
    # Airflow's logging set-up (an earlier test may have run it) disables loggers it does not know
    monkeypatch.setattr(logging.getLogger("town_industry.ingest.validation"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="town_industry.ingest.validation")
    broken_file = with_cell(ENTERPRISE, tmp_path / "in" / "2020-01.csv", 1, 1, "913206125676357958")
    result = validate_file(broken_file, get_source("enterprise_monthly"), "2020-01")
    assert calls and [f.rule for f in result.findings] == ["invalid_uscc"]
    assert "no Data Docs page" in caplog.text and "OSError: disk full" in caplog.text
    assert "320612196202161647" not in caplog.text  # the log masks ID numbers too
    assert not docs_dir.exists()
