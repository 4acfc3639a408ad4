"""``town-industry new-source NAME`` (``make new-source NAME=...``): the files of a new source, to fill in.

``scaffold`` writes, under a project root, a declaration with every top-level key present or commented,
a fact model reading ``staging.<name>`` with its data dictionary entry, a history check (off until the declaration names it), a sample
month holding the header row only, and a test that loads the sample month through the source's DAG. The
command then runs ``town-industry suites``, which checks every declaration with the parser the DAGs use
(the new one included, with the SQL files it names) and writes the suites. The templates are
``include/scaffold/*.j2`` of this project; the root written into may be another (a test's copy).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from town_industry import settings

TEMPLATES = settings.PROJECT_ROOT / "include" / "scaffold"
NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
# The sample month: the month after the shipped samples (2019-01..2020-12, the range make demo runs), so
# neither make demo, the sample-data tests nor a scheduled run (it starts at the last complete month)
# reads the header-only file, which would be rejected for having no rows. Only the source's test and an
# explicit `make run FROM=2021-01 TO=2021-01` load it.
SAMPLE_MONTH = "2021-01"


class Refused(ValueError):
    """The name is unfit, or files of the source exist already: nothing was written."""


def files(name: str) -> dict[str, tuple[str | None, str]]:
    """What the scaffold writes: path under the root -> (its template, None for the sample; what it is)."""
    return {
        f"include/sources/{name}.yml": ("source.yml.j2", "the declaration: every key present or commented"),
        f"sql/facts/fact_{name}.sql": ("fact.sql.j2", f"the fact model main.fact_{name}, reading staging.{name}"),
        f"sql/facts/fact_{name}.yml": ("fact.yml.j2", f"main.fact_{name} in the data dictionary"),
        f"sql/checks/{name}_record_already_loaded.sql":
            ("record_already_loaded.sql.j2", "a history check, off until the declaration names it"),
        f"tests/test_{name}.py": ("test_source.py.j2", f"loads the sample month through DAG ingest_{name}"),
        f"include/data/{name}/{SAMPLE_MONTH}.csv": (None, "the sample month: the header row only"),
    }


def check_name(name: str) -> None:
    if not NAME.fullmatch(name):
        raise Refused(f"{name!r} is not a lower_snake_case name (a letter, then letters, digits and single "
                      "underscores): make new-source NAME=<name>, e.g. NAME=land_transfers")
    if name in _reserved_sql_words():  # staging.<name> is written unquoted in SQL
        raise Refused(f"{name!r} is a reserved word of DuckDB's SQL: choose another name")


def _reserved_sql_words() -> set[str]:
    import duckdb

    return {w for (w,) in duckdb.sql("SELECT keyword_name FROM duckdb_keywords() "
                                     "WHERE keyword_category = 'reserved'").fetchall()}


def existing(root: Path, name: str) -> list[str]:
    """The source's files already under ``root``, and any declaration already using the name."""
    import yaml

    found = [p for p in files(name) if (root / p).exists()]
    if (root / "include" / "data" / name).exists():
        found.append(f"include/data/{name}/")
    for path in sorted((root / "include" / "sources").glob("*.yml")):
        try:
            declared = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue  # someone's declaration being edited: its name is not this one's to judge
        if isinstance(declared, dict) and declared.get("name") == name:
            found.append(path.relative_to(root).as_posix())
    return sorted(set(found))


def scaffold(name: str, root: Path = settings.PROJECT_ROOT) -> list[tuple[str, str]]:
    """Write the new source's files under ``root``; returns (path, what it is) for each, in order written.

    Refuses, writing nothing, when the name is unfit or any of them exists."""
    check_name(name)
    clash = existing(root, name)
    if clash:
        raise Refused(f"source {name!r} exists already ({', '.join(clash)}): nothing written")
    written = []
    for relative, (template, what) in files(name).items():
        if template:
            _write(root / relative, _render(template, name))
        else:  # the sample: a BOM, so that Excel shows the Chinese headers
            _write(root / relative, _header_row(root / f"include/sources/{name}.yml"), encoding="utf-8-sig")
        written.append((relative, what))
    return written


def _render(template: str, name: str) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, keep_trailing_newline=True)
    return env.get_template(template).render(name=name, month=SAMPLE_MONTH)


def _header_row(declaration: Path) -> str:
    """The header an office's file has: each declared column's first Chinese header (else its name)."""
    import yaml

    columns = yaml.safe_load(declaration.read_text(encoding="utf-8"))["columns"]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow((c.get("headers") or [c["name"]])[0] for c in columns)
    return out.getvalue()


def _write(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding=encoding, newline="") as f:  # "x": never overwrite, even in a race
        f.write(text)


def next_steps(name: str) -> str:
    declaration, sample = f"include/sources/{name}.yml", f"include/data/{name}/{SAMPLE_MONTH}.csv"
    return "\n".join([
        "Next steps:",
        f"  1. Edit {declaration}: the TODOs (title, description), owner, the real columns and key",
        f"     (every key: docs/adding_a_source.md); then sql/facts/fact_{name}.sql to match the columns.",
        f"  2. Fill in {sample} with a few realistic rows, in the office's spellings;",
        "     for make demo and tests/test_sample_data.py, extend the generator tools/sample_data/ to write",
        "     the source's months (2019-01..2020-12) instead of keeping hand-made files.",
        "  3. make suites docs     (regenerate expectations/suites/ and docs/sources/ after every edit)",
        f"  4. make run FROM={SAMPLE_MONTH} TO={SAMPLE_MONTH} SOURCES={name}  (DAG ingest_{name}: no DAG file to edit)",
        f"     .venv/bin/python -m pytest -q tests/test_{name}.py",
        "  5. Set optional: false in the declaration once the office delivers every month.",
    ])
