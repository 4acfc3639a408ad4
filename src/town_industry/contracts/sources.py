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

from town_industry import settings
from town_industry.contracts import rules

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
    def declared(cls, raw: dict | None, path: Path | None) -> "Limits":
        raw = raw or {}
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            raise ValueError(f"{path}: limits: unknown key(s) {unknown} (allowed: {', '.join(allowed)})")
        bad = [k for k, v in raw.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0]
        if bad:
            raise ValueError(f"{path}: limits: {', '.join(bad)} must be positive numbers")
        return cls(**raw)


@dataclass(frozen=True)
class Source:
    name: str
    title: str
    description: str
    key: tuple[str, ...]
    month_column: str
    columns: tuple[Column, ...]
    checks: tuple[Check, ...] = ()
    history_checks: tuple[HistoryCheck, ...] = ()
    models: tuple[Model, ...] = ()
    file_extensions: tuple[str, ...] = (".csv", ".xlsx")
    arrival_deadline_days: float = 20
    owner: str = "data-engineering"
    limits: Limits = Limits()
    path: Path | None = field(default=None, compare=False)

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
    headers = raw.pop("headers", raw.pop("header", ()))
    if isinstance(headers, str):
        headers = (headers,)
    col = Column(headers=tuple(headers), **raw)
    if col.type not in COLUMN_TYPES:
        raise ValueError(f"column {col.name}: unknown type {col.type!r} (one of {sorted(COLUMN_TYPES)})")
    if col.personal is not None and col.personal not in PERSONAL_KINDS:
        raise ValueError(f"column {col.name}: unknown personal kind {col.personal!r}")
    if col.type == "category" and not col.values:
        raise ValueError(f"column {col.name}: a category column needs its values")
    return col


def _check(kind: type, raw: dict, stage: str, path: Path):
    """A Check or HistoryCheck from its declaration, strictly: catalogued rule, known keys only."""
    where = f"{path}: {stage} check {raw.get('rule', '?')}"
    allowed = [f.name for f in fields(kind)]
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        why = {"severity": "the rule catalogue include/rules.yml decides a rule's severity",
               "message": "messages come from the rule catalogue include/rules.yml (give params instead)"}
        raise ValueError(f"{where}: unknown key(s) {unknown} (allowed: {', '.join(allowed)}). "
                         + " ".join(why[k] for k in unknown if k in why))
    try:
        check = kind(**raw)
        rule = rules.get(check.rule)
    except (TypeError, rules.UnknownRule) as exc:
        raise ValueError(f"{where}: {exc}") from None
    if stage not in rule.checked_in:
        raise ValueError(f"{where}: the catalogue does not list {stage!r} in checked_in of {rule.code}")
    if kind is Check and not set(check.params) <= rule.placeholders:
        raise ValueError(f"{where}: params {sorted(set(check.params) - rule.placeholders)} are not placeholders "
                         f"of the rule's message (it has {sorted(rule.placeholders)})")
    return check


def parse_source(path: Path) -> Source:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = Source(
        name=raw["name"],
        title=raw.get("title", raw["name"]),
        description=raw.get("description", ""),
        key=tuple(raw["key"]) if isinstance(raw["key"], list) else (raw["key"],),
        month_column=raw.get("month_column", "stat_month"),
        columns=tuple(_column(dict(c)) for c in raw["columns"]),
        checks=tuple(_check(Check, c, "suite", path) for c in raw.get("checks", ())),
        history_checks=tuple(_check(HistoryCheck, c, "history", path) for c in raw.get("history_checks", ())),
        models=tuple(Model(**{**m, "tracked": tuple(m.get("tracked", ()))}) for m in raw.get("models", ())),
        file_extensions=tuple(raw.get("file_extensions", (".csv", ".xlsx"))),
        arrival_deadline_days=float(raw.get("arrival_deadline_days", 20)),
        owner=raw.get("owner", "data-engineering"),
        limits=Limits.declared(raw.get("limits"), path),
        path=path,
    )
    names = {c.name for c in source.columns}
    missing = [n for n in (*source.key, source.month_column) if n not in names]
    if missing:
        raise ValueError(f"{path}: key or month column not declared as a column: {missing}")
    return source


@lru_cache(maxsize=None)
def declared_sources(sources_dir: Path = settings.SOURCES_DIR) -> tuple[Source, ...]:
    """Every source declared under ``include/sources/``, in name order."""
    return tuple(parse_source(p) for p in sorted(sources_dir.glob("*.yml")))


def get_source(name: str) -> Source:
    for source in declared_sources():
        if source.name == name:
            return source
    raise KeyError(f"no source named {name!r} under {settings.SOURCES_DIR}")
