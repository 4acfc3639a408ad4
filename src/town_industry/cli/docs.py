"""The generated pages of ``docs/``: a registry of page path -> render function.

Every page here is written from a declaration, so it cannot drift from what the pipeline does:

    docs/kpi_catalogue.md        include/kpis.yml
    docs/rules.md                include/rules.yml (contracts.rules.render_markdown)
    docs/sources/README.md       include/sources/*.yml (the list of sources)
    docs/sources/<source>.md     include/sources/<source>.yml (+ its GX suite, rules and SQL models)
    docs/dictionary.md           the comments of a warehouse built from the declarations (sql/*/_dictionary.yml)

``town-industry docs`` (``make docs``) rewrites them all; a test fails while a committed page differs
from what ``render`` gives. The hand-written pages (docs/README.md, file_contracts.md, kpis.md,
warehouse.md, adding_a_source.md) explain what the declarations cannot.
"""
from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Callable

from town_industry import periods, settings
from town_industry.cli import dictionary_page
from town_industry.contracts import kpis, rules
from town_industry.contracts.sources import Column, Source, declared_sources
from town_industry.text import markdown_cell
from town_industry.contracts.report_layout import layout

DOCS_DIR = settings.PROJECT_ROOT / "docs"
# Folders whose every page is generated: a page there that no render function claims is removed.
GENERATED_DIRS = ("sources",)

# ---- the KPI catalogue ----------------------------------------------------------------------------

DOC = DOCS_DIR / "kpi_catalogue.md"

def render_kpi_catalogue() -> str:
    cat = kpis.catalogue()
    lines = [
        "# KPI catalogue",
        "",
        "Generated from `include/kpis.yml` by `town-industry docs` (`make docs`); do not edit by hand.",
        "",
        "Query the values by name: `mart.half_year_kpis(period, kpi_code, value, unit)` (period `2020H1`),",
        "`mart.monthly_kpis(month, kpi_code, value, unit)` (month `2020-04`); what a count counted is in",
        "`mart.kpi_members`, and this catalogue is also the table `mart.kpi_catalogue`. A period gets its rows once",
        f"all its months are loaded for every core source ({', '.join(f'`{s}`' for s in cat.core_sources)}); a KPI",
        "reading another source is NULL until that source holds every month the KPI reads (*sources*).",
        "Each KPI's SQL takes `$first_month_key` and `$last_month_key` (yyyymm) of the period.",
        "*decimals* is what a report draft shows. How growth rates are based, how a draft writes each figure",
        "and how to query the mart: [kpis.md](kpis.md).",
    ]
    for chapter in layout().chapters:
        lines += ["", f"## {chapter.title_en or chapter.id} ({chapter.title})", "",
                  "| kpi_code | 名称 | name | unit | decimals | grains | sources | definition | SQL |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for k in cat.kpis:
            if k.section == chapter.id:
                lookback = f" (+{k.lookback_months} months before)" if k.lookback_months else ""
                lines.append(f"| `{k.code}` | {k.name_zh} | {k.name_en} | {k.unit} | {k.precision} | "
                             f"{', '.join(k.grains)} | {', '.join(k.sources)}{lookback} | {k.definition_en} | "
                             f"[`sql/{k.sql}`](../sql/{k.sql}) |")
    return "\n".join(lines) + "\n"


render = render_kpi_catalogue  # the name the KPI catalogue's render had before the registry

# ---- a source's file contract ---------------------------------------------------------------------

TYPE_WORDS = {"month": "month", "date": "date", "boolean": "yes/no", "decimal": "number",
              "integer": "whole number", "text": "text", "category": "category"}
FORMAT_WORDS = {
    "uscc": "unified social credit code: 18 characters from `0-9 A-H J-N P-R T U W-Y` (no I, O, S, V, Z), "
            "the last one the GB 32100-2015 check character",
    "industry_class": "industry class: a 4-digit class (小类) of GB/T 4754-2017 (include/reference/gbt4754_2017.csv)",
    "id_number": "resident ID number: 17 digits and a check character (`0-9` or `X`, GB 11643-1999) "
                 "with a real birth date",
}
BOUND_WORDS = {"month_start": "the first day of the file's month", "month_end": "the last day of the file's month"}
MATERIALIZATIONS = {
    "scd2": "type-2 dimension: the loaded month is merged in when it is the latest, else rebuilt from every staged month",
    "month_partition": "the loaded month's rows are replaced at each load",
    "table": "rebuilt whole from every staged month at each load",
}
_EXAMPLE_MONTH = "2020-06"


def _code(text: object) -> str:
    return f"`{text}`"


def _words(values) -> str:
    """'a', 'a or b', 'a, b or c' (each in code font)."""
    items = [_code(v) for v in values]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _number(value: float) -> str:
    return f"{value:g}"


def _leading_comment(sql: str) -> str:
    """The comment lines a SQL file opens with, as one sentence."""
    lines = []
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped.startswith("--"):
            break
        lines.append(stripped[2:].strip())
    return " ".join(line for line in lines if line)


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


def _read_sql(relative: str) -> str:
    path = settings.SQL_DIR / relative
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _headers(col: Column) -> str:
    return ", ".join(markdown_cell(h) for h in (*col.headers, col.name))


def _type(col: Column) -> str:
    words = TYPE_WORDS.get(col.type, col.type)
    if col.personal == "id_number":
        words += " (personal: ID number)"
    elif col.personal == "name":
        words += " (personal: name)"
    return words


def _unit(col: Column) -> str:
    if col.unit is None:
        return ""
    if col.money_factor is None:
        return col.unit
    if col.unit == "万元":
        return "万元"
    return f"{col.unit}; stored in 万元 (× {col.money_factor})"


def _condition(condition: dict) -> str:
    return "; ".join(f"{_code(other)} is {_words(values)}" for other, values in condition.items())


def _required(col: Column) -> str:
    if col.is_dropped:
        return "no (never read)"
    if col.required:
        return "yes"
    if col.required_when:
        return f"when {_condition(col.required_when)}"
    if col.required_unless:
        return f"yes, unless {_condition(col.required_unless)}"
    if col.default is not None:
        return f"no; empty means {col.default}"
    return "no"


def _accepted(col: Column, source: Source) -> str:
    rules = []
    if col.name == source.month_column:
        rules.append("the month the file is delivered for")
    if col.name in source.key:
        rules.append("unique in the file" if len(source.key) == 1 else "unique in the file with "
                     + _words(k for k in source.key if k != col.name))
    if col.format:
        rules.append(FORMAT_WORDS.get(col.format, col.format))
    if col.min is not None:
        rules.append(f"{'>' if col.min_exclusive else '≥'} {_number(col.min)}")
    if col.max_length is not None:
        rules.append(f"at most {col.max_length} characters")
    if col.not_before and col.not_after:
        rules.append(f"from {BOUND_WORDS.get(col.not_before, col.not_before)} "
                     f"to {BOUND_WORDS.get(col.not_after, col.not_after)}")
    elif col.not_before:
        rules.append(f"not before {BOUND_WORDS.get(col.not_before, col.not_before)}")
    elif col.not_after:
        rules.append(f"not after {BOUND_WORDS.get(col.not_after, col.not_after)}")
    if col.values:
        rules.append(f"one of the {len(col.values)} values below")
    return "; ".join(rules)


def _deadline(source: Source) -> str:
    due = periods.delivery_deadline(_EXAMPLE_MONTH, source.arrival_deadline_days)
    return (f"{_number(source.arrival_deadline_days)} days after the month ends (the file for {_EXAMPLE_MONTH} "
            f"must be there by {due:%Y-%m-%d %H:%M} UTC)")


def _suite_checks(source: Source) -> list[tuple[str, str, str, str, str]]:
    """(rule, severity, columns, message in Chinese, in English) of every row check of the source's GX
    suite, one line per rule and message (the columns it applies to joined). Messages are rendered from
    the rule catalogue as a finding shows them, with the file's month as ``YYYY-MM``."""
    from town_industry.ingest.suites import RUNTIME_PARAMS, build_suite

    runtime = {name: "YYYY-MM" if name == "month" else f"<{name}>" for name in RUNTIME_PARAMS}
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    for expectation in build_suite(source)["expectations"]:
        meta, kwargs = expectation.get("meta") or {}, expectation.get("kwargs") or {}
        if "column_A" in kwargs:
            columns = [kwargs["column_A"], kwargs["column_B"]]
        elif "column_list" in kwargs:
            columns = list(kwargs["column_list"])
        else:
            columns = [meta.get("column") or kwargs.get("column")]
        rule = rules.get(meta["rule"])
        params = {**runtime, **(meta.get("params") or {})}
        key = (rule.code, rule.severity, rule.message(params, "zh"), rule.message(params, "en"))
        listed = grouped.setdefault(key, [])
        listed += [c for c in columns if c and c not in listed]
    return [(code, severity, ", ".join(_code(c) for c in columns), zh, en)
            for (code, severity, zh, en), columns in grouped.items()]


_COMMENT = re.compile(r"--[^\n]*")


def _relations(sql: str, names: set[str]) -> set[str]:
    text = _COMMENT.sub("", sql)
    return {n for n in names if re.search(rf"\b{re.escape(n)}\b", text)}


def _kpis_fed(source: Source) -> list[str]:
    """KPI codes whose SQL reads one of the source's models, directly or through the mart's views."""
    from town_industry.marts.kpis import VIEWS

    views = {}
    for view, sql, _ in VIEWS:
        name = view.split()[1].split("(")[0].split(".")[-1]
        views[name] = _read_sql(sql)
    own = {m.table.split(".")[-1] for m in source.models}
    everything = own | set(views)

    def reads(sql: str, seen: frozenset = frozenset()) -> set[str]:
        found = _relations(sql, everything)
        for view in found & set(views) - seen:
            found |= reads(views[view], seen | {view})
        return found

    return [k.code for k in kpis.catalogue().kpis if reads(k.sql_text) & own]


def render_source(source: Source) -> str:
    cat = kpis.catalogue()
    name = source.name
    exts = " or ".join(f"`{e}`" for e in source.file_extensions)
    key = ", ".join(_code(k) for k in source.key)
    lines = [
        f"# `{name}` — {source.title}",
        "",
        f"Generated from [`include/sources/{name}.yml`](../../include/sources/{name}.yml) by `town-industry docs`"
        " (`make docs`); do not edit by hand. What every source shares (encodings, spellings, errors and",
        "warnings, revisions, the rejection report) is in [file_contracts.md](../file_contracts.md).",
        "",
        source.description.strip(),
        "",
        "| | |",
        "|---|---|",
        f"| owner | {source.owner} |",
        f"| one row | one {key} of the month (the key: no two rows of a file may share it) |",
        f"| file | `DATA_DIR/{name}/<YYYY-MM>` + {exts}, e.g. `{name}/{_EXAMPLE_MONTH}{source.file_extensions[0]}`;"
        " one file per month |",
        f"| due | {_deadline(source)} |",
        f"| key | {key} |",
        f"| month column | `{source.month_column}`: every row must hold the file's month |",
        f"| Airflow | DAG `ingest_{name}`; a load updates the asset `warehouse_{name}` |",
        f"| checks | [`expectations/suites/{name}.json`](../../expectations/suites/{name}.json) (generated: "
        "`town-industry suites`) and the history checks below |",
    ]
    read_by = [f"`{k.code}`" for k in cat.kpis if name in k.sources]
    if name in cat.core_sources:
        lines.append("| KPI mart | a core source: a month or half-year gets KPIs only once this source has "
                     "each of its months loaded |")
    elif read_by:
        lines.append(f"| KPI mart | not a core source: its KPIs ({', '.join(read_by)}) are NULL for a period until "
                     "this source has each of the months they read loaded |")

    lines += ["", "## Columns", "",
              "Headers are matched exactly after surrounding spaces are removed; the English column name is always",
              "accepted. Cell spellings of each type: [file_contracts.md](../file_contracts.md#cells).", "",
              "| column | headers accepted | type | unit | required | accepted values |",
              "|---|---|---|---|---|---|"]
    for col in source.columns:
        stored = "" if col.is_dropped else f" → `{col.stored_name}`" if col.stored_name != col.name else ""
        lines.append(f"| `{col.name}`{stored} | {_headers(col)} | {_type(col)} | {_unit(col)} | {_required(col)} | "
                     f"{_accepted(col, source)} |")
    renamed = [c for c in source.stored_columns if c.stored_name != c.name]
    if renamed:
        lines += ["", "A column marked `→` is stored under the name after the arrow: "
                  + "; ".join(f"`{c.name}` as `staging.{name}.{c.stored_name}`" for c in renamed) + "."]

    for col in source.columns:
        if col.values:
            lines += ["", f"### Values of `{col.name}`", "",
                      "Any spelling below (or the code itself, in any letter case) is read as the code, which is "
                      "what the warehouse stores.", "",
                      "| code | spellings accepted |", "|---|---|"]
            for code, spellings in col.values.items():
                lines.append(f"| `{code}` | {', '.join(markdown_cell(s) for s in (spellings or ())) or '—'} |")

    personal = [c for c in source.columns if c.personal]
    if personal:
        lines += ["", "## Personal data", ""]
        for col in personal:
            if col.personal == "id_number":
                lines.append(
                    f"- `{col.name}` ({' / '.join(col.headers) or col.name}): validated, then replaced by a keyed "
                    f"pseudonym (HMAC-SHA256, 64 hex characters) stored as `{col.stored_name}` before anything is "
                    "written; the same person has the same pseudonym in every month. Findings, rejection reports "
                    "and `meta.dq_issues` show the number masked (`320611********123X`). The key is the Airflow "
                    "variable `person_id_hmac_key` or the environment variable `PERSON_ID_HMAC_KEY`.")
            elif col.personal == "name":
                lines.append(f"- `{col.name}` ({' / '.join(col.headers) or col.name}): never read. The reader "
                             "skips the column, so the name reaches no table, batch, report or log.")
        lines.append("- See [file_contracts.md](../file_contracts.md#personal-data).")

    lines += ["", "## Checks on the file's rows", "",
              "Run by Great Expectations before anything is loaded; an error rejects the whole file. The checks every",
              "source shares (unreadable file, missing column, a cell that does not parse, ...) are in",
              "[file_contracts.md](../file_contracts.md#what-rejects-a-file); every rule's names and messages in",
              "[rules.md](../rules.md). The message is what a finding says (`YYYY-MM`: the file's month).", "",
              "| rule | severity | columns | 提示 | message |", "|---|---|---|---|---|"]
    for rule, severity, columns, zh, en in _suite_checks(source):
        lines.append(f"| `{rule}` | {severity} | {columns} | {markdown_cell(zh)} | {markdown_cell(en)} |")

    if source.history_checks:
        lines += ["", "## Checks against loaded months (history checks)", "",
                  "SQL run inside the load's transaction, against the warehouse with this file's rows staged. An",
                  "error rejects the file (nothing of it stays); a warning is recorded in `meta.dq_issues`, and is",
                  "recomputed for later loaded months whenever an earlier month loads.", "",
                  "| rule | severity | 名称 | what it finds | SQL | parameters |", "|---|---|---|---|---|---|"]
        for check in source.history_checks:
            rule = rules.get(check.rule)
            params = ", ".join(f"`{k}` = {v}" for k, v in check.params.items())
            lines.append(f"| `{rule.code}` | {rule.severity} | {markdown_cell(rule.name_zh)} | "
                         f"{markdown_cell(rule.name_en)} | [`sql/{check.sql}`](../../sql/{check.sql}) | {params} |")

    lines += ["", "## What it feeds", "",
              "| table | built | SQL | what it holds |", "|---|---|---|---|",
              f"| `{source.staging_table}` | the month's rows are replaced at each load | (from the declaration) | "
              "the typed rows of each month's loaded file, amounts in 万元, plus `_row` (row in the file) and "
              "`_file_sha256` |"]
    for model in source.models:
        how = MATERIALIZATIONS.get(model.materialized, model.materialized)
        if model.materialized == "scd2":
            how += (f": one version per change of {_words(model.tracked)} of a `{model.unique_key}`; "
                    f"surrogate key `{model.surrogate_key}`")
        elif model.materialized == "month_partition" and model.partition_filter:
            how += f" (`{model.partition_filter}`)"
        about = _first_sentence(_leading_comment(_read_sql(model.sql)))
        about = about.split(":", 1)[1].strip() if about.startswith(model.table.split(".")[-1] + ":") else about
        lines.append(f"| `{model.table}` | `{model.materialized}`: {how} | [`sql/{model.sql}`](../../sql/{model.sql}) "
                     f"| {markdown_cell(about)} |")
    lines += ["", "Their columns, in words: [dictionary.md](../dictionary.md) ("
              + ", ".join(f"[`{t}`](../dictionary.md#{t.replace('.', '')})"
                          for t in (source.staging_table, *(m.table for m in source.models))) + ")."]
    fed = _kpis_fed(source)
    if fed:
        lines += ["", "KPIs computed from it ([kpi_catalogue.md](../kpi_catalogue.md)): "
                  + ", ".join(_code(k) for k in fed) + "."]
    return "\n".join(lines) + "\n"


def render_sources_index() -> str:
    lines = [
        "# Sources",
        "",
        "Generated from `include/sources/*.yml` by `town-industry docs` (`make docs`); do not edit by hand.",
        "One page per declared source: its file contract (columns, checks) and what it feeds. What every",
        "source shares: [file_contracts.md](../file_contracts.md).",
        "",
        "| source | file | delivered by | due after the month ends | page |",
        "|---|---|---|---|---|",
    ]
    for source in declared_sources():
        lines.append(f"| `{source.name}` | {source.title} | {source.owner} | "
                     f"{_number(source.arrival_deadline_days)} days | [{source.name}.md]({source.name}.md) |")
    return "\n".join(lines) + "\n"


# ---- the registry ---------------------------------------------------------------------------------

def pages() -> dict[str, Callable[[], str]]:
    """Every generated page: path under docs/ -> the function that renders it."""
    registry: dict[str, Callable[[], str]] = {
        "kpi_catalogue.md": render_kpi_catalogue,   # include/kpis.yml
        "rules.md": rules.render_markdown,          # include/rules.yml
        "sources/README.md": render_sources_index,  # include/sources/*.yml
        "dictionary.md": dictionary_page.render,    # the comments of a warehouse built from the declarations
    }
    for source in declared_sources():
        registry[f"sources/{source.name}.md"] = partial(render_source, source)
    return registry


def orphans() -> list[Path]:
    """Pages in a generated folder that no render function claims (say, of a source since removed)."""
    claimed = {DOCS_DIR / p for p in pages()}
    return sorted(p for d in GENERATED_DIRS for p in (DOCS_DIR / d).glob("*.md") if p not in claimed)


def out_of_date() -> list[str]:
    """Generated pages whose committed text is not what they render to (or that are missing or orphaned)."""
    stale = [p for p, render_page in pages().items()
             if not (DOCS_DIR / p).is_file() or (DOCS_DIR / p).read_text(encoding="utf-8") != render_page()]
    return stale + [str(p.relative_to(DOCS_DIR)) for p in orphans()]


def write_docs() -> list[Path]:
    """Regenerate every generated page under ``docs/`` (and remove orphaned ones); returns the pages written."""
    written = []
    for relative, render_page in pages().items():
        path = DOCS_DIR / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_page(), encoding="utf-8")
        written.append(path)
    for path in orphans():
        path.unlink()
    return written
