"""The data dictionary: what every table, view, macro and column of the warehouse means.

It is declared where each object is defined, never in Python:

- a staging table and its columns by the source's declaration (``include/sources/<source>.yml``: the title,
  the description, and each column's Chinese header, unit, codes and description);
- every other object by a YAML file under ``sql/`` (one ``_dictionary.yml`` per folder, or one beside a
  model's SQL): object name -> ``description`` and ``columns``. A file's ``shared_columns`` describe
  columns that every object described in its folder has (a fact's ``month_key`` and lineage);
  ``sql/macros/_dictionary.yml`` gives the columns every type-2 dimension gets (``scd2_columns``); and a
  column a source's model does not describe takes the words of the source's column of the same name.

``annotate`` writes it into the warehouse as ``COMMENT ON`` statements, so any SQL client (and
SQLAlchemy's reflection) shows it, and ``town-industry docs`` writes docs/dictionary.md from the
warehouse's own comments. A table macro has no columns in DuckDB's catalogue: the columns it returns
are folded into its comment.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from town_industry import settings
from town_industry.contracts.sources import Column, Source, declarations

SCHEMAS = ("main", "staging", "mart", "meta")
STAGING_TEMPLATE = "staging.{name}"
FORMATS = {"uscc": "a unified social credit code (18 characters, GB 32100-2015)",
           "industry_class": "a GB/T 4754-2017 class (main.dim_industry)"}
_UNIT_IN_HEADER = re.compile(r"\s*[(（][^()（）]*[)）]$")  # 工业总产值(千元) -> 工业总产值


class DictionaryError(ValueError):
    """A dictionary file that cannot be read: names the file and the key."""


@dataclass(frozen=True)
class Entry:
    name: str                                               # schema.object
    description: str
    columns: dict[str, str] = field(default_factory=dict)  # explicit, shared, type-2 and source columns
    path: Path | None = None                                # the file that describes it
    own: tuple[str, ...] = ()                               # the columns its file names (each must exist)


@dataclass(frozen=True)
class Dictionary:
    entries: dict[str, Entry]

    def object_comment(self, name: str, kind: str = "TABLE") -> str | None:
        """The comment of a table, view or macro; a table macro's names the columns it returns (the
        catalogue has no columns for it). A ``*`` column stands for a table's columns: its words name it."""
        entry = self.entries.get(name)
        if entry is None or kind != "MACRO TABLE" or not entry.columns:
            return None if entry is None else entry.description
        returns = [words if c == "*" else f"{c}: {words}" for c, words in entry.columns.items()]
        return f"{entry.description} Returns: {'; '.join(returns)}."

    def column_comment(self, table: str, column: str) -> str | None:
        entry = self.entries.get(table)
        return None if entry is None else entry.columns.get(column)


# ---- reading the files ------------------------------------------------------------------------------

def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DictionaryError(f"{where}: expected a non-empty text, got {value!r}")
    return " ".join(value.split())


def _columns(value: object, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DictionaryError(f"{where}: expected a mapping of column -> meaning")
    return {str(c): _text(words, f"{where}.{c}") for c, words in value.items()}


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DictionaryError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DictionaryError(f"{path}: expected a mapping of object name -> description and columns")
    return data


@dataclass
class _Declared:
    objects: dict[str, tuple[str, dict[str, str], Path]] = field(default_factory=dict)
    shared: dict[Path, dict[str, str]] = field(default_factory=dict)  # folder -> shared columns
    scd2: dict[str, str] = field(default_factory=dict)


def _declared(sql_dir: Path) -> _Declared:
    found = _Declared()
    for path in sorted(sql_dir.rglob("*.yml")):
        rel = path.relative_to(sql_dir.parent)
        for key, value in _read(path).items():
            where = f"{rel}: {key}"
            if key == "shared_columns":
                found.shared.setdefault(path.parent, {}).update(_columns(value, where))
            elif key == "scd2_columns":
                found.scd2.update(_columns(value, where))
            elif isinstance(key, str) and key.partition(".")[0] in SCHEMAS and "." in key:
                if not isinstance(value, dict) or set(value) - {"description", "columns"}:
                    raise DictionaryError(f"{where}: expected the keys description and columns only")
                if key in found.objects:
                    raise DictionaryError(f"{where}: described twice (also in {found.objects[key][2]})")
                found.objects[key] = (_text(value.get("description"), f"{where}.description"),
                                      _columns(value.get("columns"), f"{where}.columns"), path)
            else:
                raise DictionaryError(f"{where}: not an object name (schema.name, schema one of "
                                      f"{', '.join(SCHEMAS)}), shared_columns or scd2_columns")
    return found


# ---- a source's columns in words --------------------------------------------------------------------

def source_column_comment(source: Source, col: Column) -> str:
    """'工业总产值: 万元 (the file's 千元 × 0.1)': the clerk's header, then what the warehouse holds."""
    name = _UNIT_IN_HEADER.sub("", col.header) if col.headers else col.name
    details = []
    if col.personal == "id_number":
        details.append("kept only as a keyed HMAC-SHA256 pseudonym (64 hex characters); the ID number itself "
                       "is never stored")
    elif col.name == source.month_column:
        details.append("the month the file is for, as the DATE of its first day")
    elif col.type == "category":
        details.append(f"a code ({', '.join(col.values)}); the Chinese names in mart.code_values")
    elif col.money_factor is not None:
        details.append("万元" if col.unit == "万元" else f"万元 (the file's {col.unit} × {col.money_factor})")
    elif col.unit:
        details.append(col.unit)
    if col.format in FORMATS and col.personal is None:
        details.append(FORMATS[col.format])
    if col.type == "boolean":
        details.append("true or false")
    if col.description:
        details.append(" ".join(col.description.split()))
    return f"{name}: {'; '.join(details)}" if details else name


def _staging_entry(template: tuple[str, dict[str, str], Path], shared: dict[str, str], source: Source) -> Entry:
    description = template[0].format(name=source.name, title=source.title,
                                     description=" ".join(source.description.split()),
                                     key=", ".join(source.key), month_column=source.month_column)
    columns = {c.stored_name: source_column_comment(source, c) for c in source.stored_columns}
    return Entry(f"staging.{source.name}", description, {**shared, **template[1], **columns}, template[2],
                 tuple(template[1]))


# ---- the dictionary ---------------------------------------------------------------------------------

def load(sources: tuple[Source, ...] | None = None, sql_dir: Path | None = None) -> Dictionary:
    """Every object's entry, with its columns resolved: its own words first, then its folder's shared
    columns, the type-2 columns of a scd2 model, and the columns of the source it is built from."""
    sql_dir = sql_dir or settings.SQL_DIR
    sources = declarations().sources if sources is None else sources
    found = _declared(sql_dir)
    staging = found.objects.pop(STAGING_TEMPLATE, None)
    built_from = {m.table: (s, m) for s in sources for m in s.models}
    entries: dict[str, Entry] = {}
    for name, (description, columns, path) in found.objects.items():
        resolved = dict(found.shared.get(path.parent, {}))
        if name in built_from:
            source, model = built_from[name]
            resolved.update({c.stored_name: source_column_comment(source, c) for c in source.stored_columns})
            if model.materialized == "scd2":
                resolved.update(found.scd2)
        resolved.update(columns)
        entries[name] = Entry(name, description, resolved, path, tuple(columns))
    for source in sources if staging else ():
        entry = _staging_entry(staging, found.shared.get(staging[2].parent, {}), source)
        entries[entry.name] = entry
    return Dictionary(entries)


# ---- into the warehouse -----------------------------------------------------------------------------

# Every object and column of the warehouse with its comment: what annotate compares and the docs page shows.
OBJECTS = """
    SELECT schema_name, table_name, 'TABLE', comment FROM duckdb_tables()
    WHERE database_name = current_database() AND NOT internal
    UNION ALL
    SELECT schema_name, view_name, 'VIEW', comment FROM duckdb_views()
    WHERE database_name = current_database() AND NOT internal
    UNION ALL
    SELECT DISTINCT schema_name, function_name, CASE function_type WHEN 'table_macro' THEN 'MACRO TABLE'
           ELSE 'MACRO' END, comment FROM duckdb_functions()
    WHERE database_name = current_database() AND NOT internal AND function_type IN ('macro', 'table_macro')
"""
COLUMNS = """
    SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns()
    WHERE database_name = current_database() AND NOT internal ORDER BY schema_name, table_name, column_index
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def annotate(con, sources: tuple[Source, ...] | None = None, words: Dictionary | None = None) -> int:
    """Comment every object and column the dictionary describes, writing only the comments that differ
    (a rebuilt table has lost its own). Returns how many were written. Run inside the writer's
    transaction, so the published copy always carries them."""
    words = words or load(sources)
    wanted = [(f"{kind} {schema}.{name}", words.object_comment(f"{schema}.{name}", kind), comment)
              for schema, name, kind, comment in con.execute(OBJECTS).fetchall() if schema in SCHEMAS]
    wanted += [(f'COLUMN {schema}.{table}."{column}"', words.column_comment(f"{schema}.{table}", column), comment)
               for schema, table, column, _, comment in con.execute(COLUMNS).fetchall() if schema in SCHEMAS]
    changed = [(target, text) for target, text, comment in wanted if text is not None and text != comment]
    for target, text in changed:
        con.execute(f"COMMENT ON {target} IS {_literal(text)}")
    return len(changed)
