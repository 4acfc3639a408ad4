"""Source declarations: one YAML file per monthly source under ``include/sources/``.

A declaration is the whole contract of a source (file names, columns with their
Chinese headers, types, units and rules, the key, extra checks, and the SQL models
it feeds). Readers, parsers, validation and loading are generic code driven by it,
so adding a source means adding a YAML file, a generated suite and SQL models.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

import yaml

from town_industry import periods, settings
from town_industry.contracts import rules
from town_industry.contracts.rules import DeclarationError, shown_path

# Column types a declaration may use, and how the warehouse stores each.
STORAGE_TYPES = {
    "month": "DATE",  # first day of the month
    "date": "DATE",
    "boolean": "BOOLEAN",
    "decimal": "DECIMAL(18, 6)",  # money in 万元: 6 decimals hold yuan amounts with fen exactly
    "integer": "BIGINT",
    "text": "VARCHAR",
    "category": "VARCHAR",
}
COLUMN_TYPES = set(STORAGE_TYPES)
PERSONAL_KINDS = {"id_number", "name"}

# Conversion of a file's money unit into the warehouse's canonical 万元, as exact decimals.
UNIT_TO_WAN_YUAN = {"元": "0.0001", "千元": "0.1", "万元": "1", "亿元": "10000"}

# Column ``format`` names → (the expectation that checks them, its rule); ingest/suites.py generates them.
FORMAT_EXPECTATIONS = {
    "uscc": ("expect_column_values_to_be_valid_uscc", "invalid_uscc"),
    "industry_class": ("expect_column_values_to_be_valid_industry_class", "invalid_industry_code"),
    "id_number": ("expect_column_values_to_be_valid_id_number", "invalid_id_number"),
}
# Values a suite may refer to as {"$PARAMETER": ...}: validation supplies exactly these
# (ingest/validation.suite_parameters); a date column's not_before / not_after names one of the bounds.
SUITE_PARAMETERS = ("file_month", "month_start", "month_end")
DATE_BOUNDS = ("month_start", "month_end")
# Placeholders every suite finding can use, filled in at validation time (ingest/suites.runtime_params).
RUNTIME_PARAMS = ("month",)
# A pair expectation's columns → the placeholders naming them in a declared check's message.
PAIR_PARAMS = {"column_A": "a", "column_B": "b"}
# Arguments of an expectation that name columns of the typed rows.
COLUMN_ARGUMENTS = ("column", "column_A", "column_B", "column_list")
# The $parameters every model and history check SQL gets ($month, $month_key, $month_label).
SQL_PARAMETERS = frozenset(periods.sql_params("2000-01"))
# How a model's table is built (warehouse/models.py): see Model.
MATERIALIZATIONS = ("table", "month_partition", "scd2")
READABLE_EXTENSIONS = (".csv", ".xlsx")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    headers: tuple[str, ...] = ()  # Chinese headers accepted besides ``name``
    required: bool = False
    default: str | None = None  # value an empty cell takes (e.g. 0), before unit conversion
    unit: str | None = None  # a money unit from UNIT_TO_WAN_YUAN, or a plain unit label
    min: float | None = None
    min_exclusive: bool = False
    format: str | None = None  # a named format with its own expectation (uscc, industry_class)
    max_length: int | None = None
    # category columns: canonical value -> the spellings files use (the canonical one is always accepted)
    values: dict | None = None
    # required only on rows whose column holds one of the values ({service_type: [guaranteed_loan]}),
    # or on all rows except those ({service_type: [job_fair]})
    required_when: dict | None = None
    required_unless: dict | None = None
    # date bounds relative to the file's month: "month_start" / "month_end"
    not_before: str | None = None
    not_after: str | None = None
    # personal data: "id_number" is validated, masked in findings and stored only as a keyed
    # pseudonym under ``store_as``; "name" is dropped at read and never stored
    personal: str | None = None
    store_as: str | None = None
    description: str = ""

    @property
    def stored_name(self) -> str:
        return self.store_as or self.name

    @property
    def is_dropped(self) -> bool:
        return self.personal == "name"

    @property
    def money_factor(self) -> str | None:
        """Multiplier into 万元 when the column holds money, else None."""
        return UNIT_TO_WAN_YUAN.get(self.unit or "")

    @property
    def all_headers(self) -> tuple[str, ...]:
        return (self.name, *self.headers)

    @property
    def header(self) -> str:
        """The column's (first) Chinese header, as clerks know it; the name when it has none."""
        return self.headers[0] if self.headers else self.name


@dataclass(frozen=True)
class Check:
    """A Great Expectations expectation beyond what the column declarations imply.

    It names a rule of ``include/rules.yml`` (which decides the severity and words the message) and
    gives ``params``, values for the message's placeholders. A pair expectation's two columns
    (``column_A``, ``column_B``) are the placeholders ``{a}`` and ``{b}`` without being declared here:
    ingest/suites.py fills them in with the columns' Chinese headers (English: the column names).
    """

    expectation: str
    kwargs: dict
    rule: str
    params: dict = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return rules.get(self.rule).severity


@dataclass(frozen=True)
class HistoryCheck:
    """A SQL check against what the warehouse already holds (e.g. the same month last year).

    The SQL returns ``row_number, column_name, value, params``: ``params`` is a STRUCT with the values
    of the rule's message placeholders. ``params`` here are extra $parameters of the SQL (a local ceiling).
    """

    rule: str
    sql: str
    params: dict = field(default_factory=dict)

    @property
    def severity(self) -> str:
        return rules.get(self.rule).severity


@dataclass(frozen=True)
class Model:
    """A warehouse table built from the source's staging table by one SQL file.

    ``table`` models are rebuilt whole from all staged months (so the result does not
    depend on load order); ``month_partition`` models replace one month's rows;
    ``scd2`` models are type-2 dimensions (sql/macros/scd2.sql.j2), a month later than all others merged
    in (scd2_append.sql.j2; warehouse/models.py says when).
    """

    table: str
    sql: str
    materialized: str = "table"
    partition_filter: str | None = None
    # scd2 models: the SELECT gives one row per unique_key per stat_month; versions follow ``tracked``
    unique_key: str | None = None
    surrogate_key: str | None = None
    tracked: tuple[str, ...] = ()


@dataclass(frozen=True)
class Limits:
    """What one delivered file may cost: beyond any of these it is rejected before (or while) it is read.

    They bound a hostile or broken file (a zip bomb, a runaway export) in size, time and memory, so a bad
    delivery is a clear rejection instead of a worker killed by the kernel. The defaults fit a national
    month (500,000 rows read in seconds); a town's declaration may set them much lower.
    """

    max_file_mb: float = 200  # the delivered file's size
    max_unpacked_mb: float = 1000  # an XLSX workbook's content once unzipped (a zip bomb claims gigabytes)
    max_rows: int = 2_000_000  # rows of the file, header and title rows included
    max_seconds: float = 600  # reading, parsing and validating it
    max_memory_mb: float = 4000  # memory the validation may add to the task's process

    @classmethod
    def problems(cls, raw: object) -> list[str]:
        if not isinstance(raw, dict):
            return ["limits: expected a mapping of limit to number"]
        allowed = [f.name for f in fields(cls)]
        found = [f"limits: unknown key {k!r} (allowed: {', '.join(allowed)})" for k in raw if k not in allowed]
        bad = [k for k, v in raw.items() if k in allowed and (isinstance(v, bool) or not isinstance(v, (int, float))
                                                              or v <= 0)]
        if bad:
            found.append(f"limits: {', '.join(bad)} must be positive numbers")
        return found


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    description: str
    key: tuple[str, ...]
    month_column: str
    columns: tuple[Column, ...]
    # the columns that say what a row is about, for its findings (default: the key): the enterprise's
    # uscc and name, the project's code and name, the record and the (masked) ID number
    subject: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    history_checks: tuple[HistoryCheck, ...] = ()
    models: tuple[Model, ...] = ()
    file_extensions: tuple[str, ...] = (".csv", ".xlsx")
    arrival_deadline_days: float = 20
    owner: str = "data-engineering"
    limits: Limits = Limits()
    optional: bool = False  # a month without a file is no failure: the wait ends skipped at the deadline
    enabled: bool = True  # false: switched off (no DAG, not run); what it loaded stays in the warehouse
    path: Path | None = field(default=None, compare=False)

    @property
    def subject_columns(self) -> tuple[str, ...]:
        return self.subject or self.key

    @property
    def staging_table(self) -> str:
        return f"staging.{self.name}"

    @property
    def suite_name(self) -> str:
        return self.name

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def label(self, name: str | None) -> str | None:
        """``统一社会信用代码（uscc）`` for a declared column; anything else (an extra header) as it is."""
        declared = {c.name: c for c in self.columns}
        if name not in declared or declared[name].header == name:
            return name
        return f"{declared[name].header}（{name}）"

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        """The columns that reach staging (personal names never do)."""
        return tuple(c for c in self.columns if not c.is_dropped)

    def file_candidates(self, data_dir: Path, month: str) -> list[Path]:
        """Paths where this source's file for ``month`` (YYYY-MM) may be delivered."""
        return [data_dir / self.name / f"{month}{ext}" for ext in self.file_extensions]


def _column(raw: dict) -> Column:
    raw = dict(raw)
    headers = raw.pop("headers", raw.pop("header", ()))
    if isinstance(raw.get("default"), (int, float)):
        raw["default"] = str(raw["default"])  # YAML reads `default: 0` as a number; cells are text
    return Column(headers=(headers,) if isinstance(headers, str) else tuple(headers), **raw)


def _source(raw: dict, path: Path) -> Source:
    """The Source of a declaration ``declaration_problems`` found valid."""
    return Source(
        name=raw["name"],
        title=raw.get("title", raw["name"]),
        description=raw.get("description", ""),
        key=tuple(raw["key"]) if isinstance(raw["key"], list) else (raw["key"],),
        month_column=raw.get("month_column", "stat_month"),
        subject=tuple(raw.get("subject") or ()),
        columns=tuple(_column(c) for c in raw["columns"]),
        checks=tuple(Check(**c) for c in raw.get("checks") or ()),
        history_checks=tuple(HistoryCheck(**c) for c in raw.get("history_checks") or ()),
        models=tuple(Model(**{**m, "tracked": tuple(m.get("tracked", ()))}) for m in raw.get("models") or ()),
        file_extensions=tuple(raw.get("file_extensions", READABLE_EXTENSIONS)),
        arrival_deadline_days=float(raw.get("arrival_deadline_days", 20)),
        owner=raw.get("owner", "data-engineering"),
        limits=Limits(**(raw.get("limits") or {})),
        optional=raw.get("optional", False),
        enabled=raw.get("enabled", True),
        path=path,
    )


def parse_source(path: Path) -> Source:
    """The declaration at ``path``; ``DeclarationError`` lists every problem of it."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DeclarationError(path, [f"cannot be read as YAML: {exc}"]) from None
    from town_industry.contracts.declaration_checks import declaration_problems  # it reads the classes above

    problems = declaration_problems(raw, path)
    if problems:
        raise DeclarationError(path, problems)
    return _source(raw, path)


class DeclarationWarning(UserWarning):
    """A declaration left out because it is broken: its source has no DAG (the DAG file warns with it)."""


class BrokenDeclarations(ValueError):
    """Every declaration that cannot be used, together (dags/declaration_errors.py raises it for the UI)."""

    def __init__(self, errors: tuple[DeclarationError, ...]):
        self.errors = errors
        super().__init__(f"{len(errors)} declaration(s) cannot be used, so their sources have no DAG:\n"
                         + "\n".join(map(str, errors)))


@dataclass(frozen=True)
class Declarations:
    """What ``include/sources/`` declares: the valid declarations (switched-off ones too) and the errors
    of the others, one DeclarationError per file."""

    sources: tuple[Source, ...]
    errors: tuple[DeclarationError, ...]


def declarations(sources_dir: Path | None = None) -> Declarations:
    return _declarations(sources_dir or settings.SOURCES_DIR)


@lru_cache(maxsize=None)
def _declarations(sources_dir: Path) -> Declarations:
    try:
        rules.catalogue()
    except rules.CatalogueError as exc:
        return Declarations((), (exc,))  # no check can name a rule: no source can run
    sources, errors = [], []
    for path in sorted(sources_dir.glob("*.y*ml")):
        try:
            if path.suffix != ".yml":
                raise DeclarationError(path, ["a declaration's file ends in .yml: rename it, or it is not read"])
            sources.append(parse_source(path))
        except DeclarationError as exc:
            errors.append(exc)
    return Declarations(tuple(sources), tuple(errors))


def declared_sources(sources_dir: Path | None = None) -> tuple[Source, ...]:
    """The sources to run: every valid declaration under ``include/sources/`` not switched off
    (``enabled: false``), in name order. A broken declaration is left out: ``declaration_errors`` says why."""
    return tuple(s for s in declarations(sources_dir).sources if s.enabled)


def declaration_errors(sources_dir: Path | None = None) -> tuple[DeclarationError, ...]:
    """One DeclarationError for each declaration that cannot be used (all of them when include/rules.yml
    itself is broken)."""
    return declarations(sources_dir).errors


def get_source(name: str) -> Source:
    """The declared source ``name``; DeclarationError when its declaration is broken or switched off."""
    for source in declared_sources():
        if source.name == name:
            return source
    for source in declarations().sources:
        if source.name == name:
            raise DeclarationError(source.path, ["the source is switched off (enabled: false)"])
    for error in declaration_errors():
        if error.path.stem == name or isinstance(error, rules.CatalogueError):
            raise error
    raise KeyError(f"no source named {name!r} under {shown_path(settings.SOURCES_DIR)}")


def subject_text(values) -> str | None:
    """A finding's subject from the subject columns' values: '913206125148900473（南通锦程服饰有限公司）'."""
    shown = [str(v).strip() for v in values if v is not None and str(v).strip()]
    if not shown:
        return None
    return shown[0] + (f"（{'，'.join(shown[1:])}）" if shown[1:] else "")
