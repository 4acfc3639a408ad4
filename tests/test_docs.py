"""The documents in docs/ are the project's own: generated pages are current, links resolve inside the
repository, every page is reachable from the index, and docs/dictionary.md describes every table, view
and column of a real warehouse."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from town_industry.cli import docs
from town_industry.contracts import rules
from town_industry.contracts.sources import declared_sources

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Every Markdown page a reader of the repository sees: the README and docs/.
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _section(text: str, heading: str) -> str:
    """The text under a ``### heading`` line, up to the next heading of level 1 to 3."""
    start = text.index(heading)
    following = re.search(r"^#{1,3} ", text[start + len(heading):], flags=re.M)
    return text[start:start + len(heading) + (following.start() if following else len(text))]


@pytest.mark.parametrize("page", sorted(docs.pages()), ids=str)
def test_generated_page_is_current(page):
    path = docs.DOCS_DIR / page
    assert path.is_file(), f"docs/{page} is missing: run `town-industry docs` (make docs)"
    assert path.read_text(encoding="utf-8") == docs.pages()[page](), \
        f"docs/{page} is out of date: run `town-industry docs` (make docs)"


def test_no_orphaned_generated_page():
    assert docs.orphans() == [], "a generated folder holds pages nothing generates: run `town-industry docs`"


def test_the_kpi_catalogue_keeps_its_names():
    assert docs.DOC == DOCS / "kpi_catalogue.md" and docs.render() == docs.pages()["kpi_catalogue.md"]()


def test_write_docs_writes_every_page_and_removes_orphans(tmp_path, monkeypatch):
    monkeypatch.setattr(docs, "DOCS_DIR", tmp_path)
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "a_removed_source.md").write_text("old", encoding="utf-8")
    written = docs.write_docs()
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(docs.pages())
    assert not (tmp_path / "sources" / "a_removed_source.md").exists() and docs.out_of_date() == []


@pytest.mark.parametrize("source", declared_sources(), ids=lambda s: s.name)
def test_source_page_states_the_whole_contract(source):
    page = docs.pages()[f"sources/{source.name}.md"]()
    for col in source.columns:
        assert f"`{col.name}`" in page
        assert all(h in page for h in col.headers), col.name
        for code, spellings in (col.values or {}).items():
            assert f"`{code}`" in page and all(s in page for s in spellings or ()), code
    for check in (*source.checks, *source.history_checks):
        assert f"`{check.rule}`" in page
    for model in source.models:
        assert f"`{model.table}`" in page and f"sql/{model.sql}" in page
    assert f"{source.arrival_deadline_days:g} days after the month ends" in page and source.owner in page


def test_pages_link_only_to_files_of_the_repository():
    broken = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"\.\./shared|\b(KPIS|SOURCES|SEED_TARGETS)\.md\b", text), page
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target):
                continue  # http(s), mailto: not a file
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists() or not resolved.is_relative_to(ROOT):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def _anchors(page: Path) -> set[str]:
    """The anchors a Markdown renderer gives the page's headings (GitHub's rule: lower case, punctuation
    dropped, spaces to hyphens)."""
    headings = re.findall(r"^#+ (.+)$", page.read_text(encoding="utf-8"), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def test_every_page_is_reachable_from_the_index():
    seen, todo = set(), [DOCS / "README.md"]
    while todo:
        page = todo.pop()
        if page in seen or page.suffix != ".md" or not page.is_file():
            continue
        seen.add(page)
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            path = target.partition("#")[0]
            if path and not re.match(r"^[a-z]+:", path):
                todo.append((page.parent / path).resolve())
    assert sorted(p.relative_to(DOCS).as_posix() for p in set(DOCS.rglob("*.md")) - seen) == []


def test_the_shared_rules_of_file_contracts_are_catalogued():
    text = _section((DOCS / "file_contracts.md").read_text(encoding="utf-8"), "### What rejects a file")
    codes = re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M) + re.findall(r"warning every source can raise: "
                                                                            r"`([a-z_]+)`", text)
    assert len(codes) >= 8 and [c for c in codes if c not in rules.catalogue().rules] == []


def test_the_dictionary_page_describes_the_sample_runs_warehouse(sample_pipeline):
    """docs/dictionary.md is written from an empty warehouse built from the declarations: the sample run's
    real one, after 24 months of loads and KPI builds, has exactly its objects, columns, types and
    comments (so the loads and builds leave every comment in place, and the page is the real thing)."""
    import duckdb

    from town_industry.cli import dictionary_page

    con = duckdb.connect(str(sample_pipeline.warehouse), read_only=True)
    try:
        real = dictionary_page.catalogue(con)
        assert dictionary_page.undocumented(con) == []
    finally:
        con.close()
    empty = dictionary_page.empty_warehouse()
    try:
        built = dictionary_page.catalogue(empty)
    finally:
        empty.close()
    assert len(real[0]) >= 35 and len(real[1]) >= 250
    assert sorted(real[0]) == sorted(built[0]) and real[1] == built[1]
