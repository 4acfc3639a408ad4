"""What a source declaration may not say: every mistake, found when the declaration is read.

``declaration_problems`` lists all of a declaration's problems, each as "<key path>: <what>"; the loader
(``contracts.sources.parse_source``) raises them together as one DeclarationError naming the file.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import fields
from pathlib import Path

from town_industry import settings
from town_industry.contracts import rules
from town_industry.contracts.sources import (COLUMN_ARGUMENTS, COLUMN_TYPES, DATE_BOUNDS, FORMAT_EXPECTATIONS,
                                             MATERIALIZATIONS, PAIR_PARAMS, PERSONAL_KINDS, READABLE_EXTENSIONS,
                                             RUNTIME_PARAMS, SQL_PARAMETERS, STORAGE_TYPES, SUITE_PARAMETERS,
                                             UNIT_TO_WAN_YUAN, Check, Column, HistoryCheck, Limits, Model)

# A mistake in a declaration is found when it is read (by the DAG file, `make suites`, every task), never
# at a month's load. Each check below adds every problem it finds as "<key path>: <what>", so the data
# engineer sees all of a declaration's mistakes at once: parse_source raises them together.

TOP_LEVEL_KEYS = ("name", "title", "description", "owner", "key", "subject", "month_column", "arrival_deadline_days",
                  "file_extensions", "optional", "enabled", "limits", "columns", "checks", "history_checks",
                  "models")
REQUIRED_KEYS = ("name", "key", "columns")
COLUMN_KEYS = (*(f.name for f in fields(Column)), "header")  # header: a single header, as headers
# Column options that only make sense for some types.
APPLIES_TO = {"min": ("decimal", "integer"), "min_exclusive": ("decimal", "integer"), "max_length": ("text",),
              "format": ("text",), "not_before": ("date",), "not_after": ("date",), "values": ("category",)}
# scd2 and month_partition models need options no other materialization reads.
MATERIALIZATION_OPTIONS = {"month_partition": ("partition_filter",),
                           "scd2": ("unique_key", "surrogate_key", "tracked")}
# Why a key a check may not have is refused.
KEY_HINTS = {"severity": "the rule catalogue include/rules.yml decides a rule's severity",
             "message": "messages come from the rule catalogue include/rules.yml (give params instead)"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
_SQL_NOISE = re.compile(r"--[^\n]*|'(?:[^']|'')*'")  # comments and string literals hold no $parameter
_SQL_PARAMETER = re.compile(r"\$([A-Za-z_]\w*)")


class _Problems(list):
    """The problems of one declaration, each as '<key path>: <what>'."""

    def add(self, where: str, what: str) -> None:
        self.append(f"{where}: {what}" if where else what)

    def unknown_keys(self, raw: dict, allowed, where: str) -> None:
        for key in raw:
            if key not in allowed:
                hint = f". {KEY_HINTS[key]}" if key in KEY_HINTS else ""
                self.add(where, f"unknown key {key!r} (allowed: {', '.join(allowed)}){hint}")


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _listed(found: _Problems, raw: dict, key: str) -> list:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        found.add(key, "expected a list")
        return []
    return value


def _top_level_problems(found: _Problems, raw: dict, path: Path) -> None:
    found.unknown_keys(raw, TOP_LEVEL_KEYS, "")
    for key in REQUIRED_KEYS:
        if key not in raw:
            found.add("", f"missing the required key {key!r}")
    name = raw.get("name")
    if "name" in raw and (not isinstance(name, str) or not _NAME.match(name)):
        found.add("name", f"must be lower_snake_case (it names the data folder, staging.<name> and the DAG), "
                          f"not {name!r}")
    elif "name" in raw and name != path.stem:
        found.add("name", f"{name!r} differs from the file's name: source {name} is declared in {name}.yml")
    for key in ("title", "description", "owner"):
        if key in raw and not _is_text(raw[key]):
            found.add(key, f"must be text, not {raw[key]!r}")
    days = raw.get("arrival_deadline_days", 20)
    if not _is_number(days) or days <= 0:
        found.add("arrival_deadline_days", f"must be a positive number of days, not {days!r}")
    extensions = raw.get("file_extensions", list(READABLE_EXTENSIONS))
    if not isinstance(extensions, list) or not extensions or not all(e in READABLE_EXTENSIONS for e in extensions):
        found.add("file_extensions", f"must be a list of {', '.join(READABLE_EXTENSIONS)} (the only files read), "
                                     f"not {extensions!r}")
    for key in ("optional", "enabled"):
        if key in raw and not isinstance(raw[key], bool):
            found.add(key, f"must be true or false, not {raw[key]!r}")
    if raw.get("limits") is not None:
        found.extend(Limits.problems(raw["limits"]))


def _where(kind: str, index: int, raw: object, label: str) -> str:
    """``columns[3] (amount)``: the key path of a list item, with its name when it has one."""
    named = raw.get(label) if isinstance(raw, dict) else None
    return f"{kind}[{index}]" + (f" ({named})" if isinstance(named, str) else "")


def _columns(found: _Problems, raw: dict) -> dict[str, dict]:
    """Check the columns; returns the declared ones by name (for the keys, checks and conditions)."""
    columns = raw.get("columns")
    if "columns" in raw and (not isinstance(columns, list) or not columns):
        found.add("columns", "expected a non-empty list of columns")
    if not isinstance(columns, list):
        return {}
    declared, stored = {}, {}
    for i, col in enumerate(columns):
        where = _where("columns", i, col, "name")
        if not isinstance(col, dict):
            found.add(where, "expected a mapping (name, type, headers, ...)")
            continue
        _column_problems(found, col, where)
        name = col.get("name")
        if isinstance(name, str) and name in declared:
            found.add(where, f"column {name!r} is declared twice")
            continue
        if isinstance(name, str):
            declared[name] = col
        kept_as = col.get("store_as") or name
        if col.get("personal") != "name" and isinstance(kept_as, str):
            if kept_as in stored:
                found.add(where, f"staging column {kept_as!r} is {stored[kept_as]!r} already: store it as another")
            stored.setdefault(kept_as, name)
    for i, col in enumerate(columns):
        if isinstance(col, dict):
            _condition_problems(found, col, _where("columns", i, col, "name"), declared)
    return declared


def _column_problems(found: _Problems, col: dict, where: str) -> None:
    found.unknown_keys(col, COLUMN_KEYS, where)
    name, kind = col.get("name"), col.get("type")
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        found.add(where, f"name: required, an English name of letters, digits and _ (a staging column), not {name!r}")
    if kind not in COLUMN_TYPES:
        found.add(where, f"type: must be one of {', '.join(STORAGE_TYPES)}, not {kind!r}")
    headers = col.get("headers", col.get("header", []))
    if not _is_text(headers) and not (isinstance(headers, list) and all(map(_is_text, headers))):
        found.add(where, f"headers: expected a list of Chinese headers, not {headers!r}")
    for option, types in APPLIES_TO.items():
        if option in col and kind in COLUMN_TYPES and kind not in types:
            found.add(where, f"{option}: applies to {' and '.join(types)} columns only, not to a {kind} column")
    _option_value_problems(found, col, where)
    if kind == "category":
        _values_problems(found, col.get("values"), where)


def _option_value_problems(found: _Problems, col: dict, where: str) -> None:
    """The value of each column option, as far as it can be judged without the other columns."""
    for option in ("required", "min_exclusive"):
        if option in col and not isinstance(col[option], bool):
            found.add(where, f"{option}: must be true or false, not {col[option]!r}")
    if "min" in col and not _is_number(col["min"]):
        found.add(where, f"min: must be a number, not {col['min']!r}")
    if "max_length" in col and (not isinstance(col["max_length"], int) or isinstance(col["max_length"], bool)
                                or col["max_length"] <= 0):
        found.add(where, f"max_length: must be a positive whole number, not {col['max_length']!r}")
    if "default" in col and not (isinstance(col["default"], str) or _is_number(col["default"])):
        found.add(where, f"default: must be a value as a file would write it (\"0\"), not {col['default']!r}")
    if "format" in col and col["format"] not in FORMAT_EXPECTATIONS:
        found.add(where, f"format: unknown format {col['format']!r} (known: {', '.join(FORMAT_EXPECTATIONS)})")
    for bound in ("not_before", "not_after"):
        if bound in col and col[bound] not in DATE_BOUNDS:
            found.add(where, f"{bound}: must be {' or '.join(DATE_BOUNDS)}, not {col[bound]!r}")
    if "unit" in col and not _is_text(col["unit"]):
        found.add(where, f"unit: must be text (元, 千元, 万元, 亿元, or a label such as 人), not {col['unit']!r}")
    elif col.get("unit") in UNIT_TO_WAN_YUAN and col.get("type") != "decimal":
        found.add(where, f"unit: {col['unit']} is money, converted into 万元: only a decimal column can hold it")
    if "personal" in col and col["personal"] not in PERSONAL_KINDS:
        found.add(where, f"personal: unknown personal kind {col['personal']!r} "
                         f"(known: {', '.join(sorted(PERSONAL_KINDS))})")
    elif col.get("personal") == "id_number" and col.get("format") != "id_number":
        found.add(where, "personal: an id_number column needs format: id_number (it is validated before it is "
                         "pseudonymised)")
    if "store_as" in col and (not isinstance(col["store_as"], str) or not _IDENTIFIER.match(col["store_as"])):
        found.add(where, f"store_as: must be a staging column name (letters, digits, _), not {col['store_as']!r}")
    if "description" in col and not isinstance(col["description"], str):
        found.add(where, f"description: must be text, not {col['description']!r}")


def _values_problems(found: _Problems, values: object, where: str) -> None:
    """A category's ``{code: [spellings]}``: text codes, lists of spellings, no spelling of two codes."""
    if not isinstance(values, dict) or not values:
        found.add(where, "values: a category column needs its values: {code: [spellings]}")
        return
    meaning = {}
    for code, spellings in values.items():
        if not _is_text(code):
            found.add(where, f"values: the code {code!r} must be text (quote it in the YAML)")
            continue
        if spellings is not None and (not isinstance(spellings, list) or not all(map(_is_text, spellings))):
            found.add(where, f"values: {code}: expected a list of the spellings files use, not {spellings!r}")
            continue
        for text in (code, *(spellings or ())):
            first = meaning.setdefault(text.strip().lower(), code)
            if first != code:
                found.add(where, f"values: {text!r} is a spelling of both {first!r} and {code!r}")


def _condition_problems(found: _Problems, col: dict, where: str, declared: dict[str, dict]) -> None:
    """``required_when`` / ``required_unless``: declared category columns and codes of theirs."""
    for key in ("required_when", "required_unless"):
        if key not in col:
            continue
        condition = col[key]
        if not isinstance(condition, dict) or not condition:
            found.add(where, f"{key}: expected {{column: [codes]}}, not {condition!r}")
            continue
        for other, listed in condition.items():
            target = declared.get(other)
            if target is None:
                found.add(where, f"{key}: {other!r} is not a declared column (declared: {', '.join(declared)})")
            elif target.get("type") != "category":
                found.add(where, f"{key}: {other!r} is not a category column: a condition names codes of one")
            elif not isinstance(listed, list) or not listed:
                found.add(where, f"{key}: {other}: expected a list of its codes, not {listed!r}")
            else:
                _condition_code_problems(found, where, key, other, listed, target.get("values"))


def _condition_code_problems(found: _Problems, where: str, key: str, other: str, listed: list,
                             values: object) -> None:
    codes = values if isinstance(values, dict) else {}
    for value in listed:
        if value in codes:
            continue
        spelled = next((code for code, spellings in codes.items() if value in (spellings or ())), None)
        hint = f": it is a spelling of {spelled!r}, name the code" if spelled else ""
        found.add(where, f"{key}: {other}: {value!r} is not a code of {other} "
                         f"(codes: {', '.join(map(str, codes))}){hint}")


def _key_problems(found: _Problems, raw: dict, declared: dict[str, dict]) -> None:
    """The key and the month column are declared columns (the month column of type month)."""
    if "key" in raw:
        key = raw["key"]
        keys = [key] if isinstance(key, str) else key
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            found.add("key", f"expected a column name or a list of them, not {key!r}")
        else:
            for name in keys:
                if name not in declared or declared[name].get("personal") == "name":
                    found.add("key", f"{name!r} is not a declared (stored) column")
    subject = raw.get("subject")
    if subject is not None:
        if not isinstance(subject, list) or not subject or not all(isinstance(s, str) for s in subject):
            found.add("subject", f"expected a list of column names, not {subject!r}")
        else:
            for name in subject:
                if name not in declared:
                    found.add("subject", f"{name!r} is not a declared column")
                elif declared[name].get("personal") == "name":
                    found.add("subject", f"{name!r} is a person's name: a finding never shows it")
    month = raw.get("month_column", "stat_month")
    if month not in declared:
        found.add("month_column", f"{month!r} is not a declared column")
    elif declared[month].get("type") != "month":
        found.add("month_column", f"{month!r} must be a column of type month, not {declared[month].get('type')!r}")


def _sql_text(found: _Problems, sql: object, where: str) -> str | None:
    """The text of a declared SQL file, which must be a .sql file under sql/."""
    if not _is_text(sql):
        found.add(where, f"sql: required, a file under sql/ (such as checks/<name>.sql), not {sql!r}")
        return None
    root = settings.SQL_DIR.resolve()
    path = (root / sql).resolve()
    if not path.is_relative_to(root) or path.suffix != ".sql" or not path.is_file():
        files = [p.relative_to(root).as_posix() for p in root.rglob("*.sql")]
        near = difflib.get_close_matches(sql, files, n=1)
        found.add(where, f"sql: no file sql/{sql}" + (f" (did you mean {near[0]}?)" if near else ""))
        return None
    return path.read_text(encoding="utf-8")


def sql_parameters(sql: str) -> set[str]:
    """The $parameters a SQL text uses (not those in its comments or string literals)."""
    return set(_SQL_PARAMETER.findall(_SQL_NOISE.sub(" ", sql)))


def _rule_of(found: _Problems, check: dict, where: str, stage: str) -> rules.Rule | None:
    """The catalogued rule a check names, reported in ``stage``."""
    if not _is_text(check.get("rule")):
        found.add(where, f"rule: required, a code of include/rules.yml, not {check.get('rule')!r}")
        return None
    try:
        rule = rules.get(check.get("rule"))
    except rules.UnknownRule as exc:
        found.add(where, f"rule: {exc.args[0]}")
        return None
    if stage not in rule.checked_in:
        found.add(where, f"rule: the catalogue does not list {stage!r} in checked_in of {rule.code}")
    return rule


def _check_problems(found: _Problems, check: object, where: str, declared: dict[str, dict]) -> None:
    """A row check (``checks``): a catalogued suite rule, an expectation on declared columns, and
    params that give the rule's message every value it needs."""
    if not isinstance(check, dict):
        found.add(where, "expected a mapping (expectation, kwargs, rule, params)")
        return
    found.unknown_keys(check, [f.name for f in fields(Check)], where)
    rule = _rule_of(found, check, where, "suite")
    if not _is_text(check.get("expectation")) or not str(check["expectation"]).startswith("expect_"):
        found.add(where, f"expectation: required, a Great Expectations expectation (expect_...), "
                         f"not {check.get('expectation')!r}")
    kwargs, params = check.get("kwargs"), check.get("params", {})
    if not isinstance(kwargs, dict):
        found.add(where, f"kwargs: required, a mapping of the expectation's arguments, not {kwargs!r}")
        kwargs = {}
    if not isinstance(params, dict):
        found.add(where, f"params: expected a mapping of placeholder to value, not {params!r}")
        params = {}
    _kwargs_problems(found, kwargs, where, declared)
    if rule is not None:
        extra = sorted(set(params) - rule.placeholders)
        if extra:
            found.add(where, f"params {extra} are not placeholders of the rule's message "
                             f"(it has {sorted(rule.placeholders)})")
        given = set(params) | {PAIR_PARAMS[k] for k in kwargs if k in PAIR_PARAMS} | set(RUNTIME_PARAMS)
        missing = sorted(rule.placeholders - given)
        if missing:
            found.add(where, f"params: no value for the placeholder(s) {missing} of rule {rule.code}'s message")


def _kwargs_problems(found: _Problems, kwargs: dict, where: str, declared: dict[str, dict]) -> None:
    """Columns an expectation names are stored columns; its {"$PARAMETER": ...} values are supplied."""
    stored = [name for name, col in declared.items() if col.get("personal") != "name"]
    for argument in COLUMN_ARGUMENTS:
        named = kwargs.get(argument)
        for name in named if isinstance(named, list) else [] if named is None else [named]:
            if name not in stored:
                found.add(where, f"kwargs.{argument}: {name!r} is not a declared column")
    for parameter in _suite_parameters_in(kwargs):
        if parameter not in SUITE_PARAMETERS:
            found.add(where, f"kwargs: {{\"$PARAMETER\": {parameter!r}}} is not supplied at validation "
                             f"(one of {', '.join(SUITE_PARAMETERS)})")


def _suite_parameters_in(value: object) -> list:
    if isinstance(value, dict):
        if "$PARAMETER" in value:
            return [value["$PARAMETER"]]
        return [p for v in value.values() for p in _suite_parameters_in(v)]
    if isinstance(value, list):
        return [p for v in value for p in _suite_parameters_in(v)]
    return []


def _history_check_problems(found: _Problems, check: object, where: str) -> None:
    """A history check: a catalogued history rule, a SQL file, and params that are exactly its own
    $parameters (beyond $month, $month_key, $month_label)."""
    if not isinstance(check, dict):
        found.add(where, "expected a mapping (rule, sql, params)")
        return
    found.unknown_keys(check, [f.name for f in fields(HistoryCheck)], where)
    _rule_of(found, check, where, "history")
    params = check.get("params", {})
    if not isinstance(params, dict):
        found.add(where, f"params: expected a mapping of $parameter to value, not {params!r}")
        return
    for name in sorted(set(params) & SQL_PARAMETERS):
        found.add(where, f"params: {name} is the pipeline's own $parameter: rename it")
    sql = _sql_text(found, check.get("sql"), where)
    if sql is None:
        return
    used = sql_parameters(sql) - SQL_PARAMETERS
    for name in sorted(used - set(params)):
        found.add(where, f"params: sql/{check['sql']} uses ${name}, and params gives no value for it")
    for name in sorted(set(params) - used - SQL_PARAMETERS):
        found.add(where, f"params: {name} is not a $parameter of sql/{check['sql']}")


def _model_problems(found: _Problems, model: object, where: str, tables: set[str]) -> None:
    """A model: a schema-qualified table, a SQL file using only the models' $parameters, a known
    materialization with exactly the options it reads."""
    if not isinstance(model, dict):
        found.add(where, "expected a mapping (table, sql, materialized, ...)")
        return
    found.unknown_keys(model, [f.name for f in fields(Model)], where)
    table = model.get("table")
    if not isinstance(table, str) or not _TABLE.match(table):
        found.add(where, f"table: required, with its schema (main.fact_<name>), not {table!r}")
    elif table in tables:
        found.add(where, f"table: {table} is built by another model too")
    tables.add(table if isinstance(table, str) else "")
    materialized = model.get("materialized", "table")
    if materialized not in MATERIALIZATIONS:
        found.add(where, f"materialized: unknown materialization {materialized!r} "
                         f"(one of {', '.join(MATERIALIZATIONS)})")
    _materialization_option_problems(found, model, where, materialized)
    sql = _sql_text(found, model.get("sql"), where)
    if sql is not None:
        filter_ = model.get("partition_filter")
        used = sql_parameters(sql + "\n" + (filter_ if isinstance(filter_, str) else ""))
        for name in sorted(used - SQL_PARAMETERS):
            found.add(where, f"sql: uses ${name}; a model gets only ${', $'.join(sorted(SQL_PARAMETERS))}")


def _materialization_option_problems(found: _Problems, model: dict, where: str, materialized: object) -> None:
    for kind, options in MATERIALIZATION_OPTIONS.items():
        for option in options:
            if kind == materialized and not model.get(option):
                found.add(where, f"{option}: required by materialized: {kind}")
            elif kind != materialized and option in model:
                found.add(where, f"{option}: only materialized: {kind} reads it")
    for option in ("partition_filter", "unique_key", "surrogate_key"):
        if option in model and not _is_text(model[option]):
            found.add(where, f"{option}: must be text, not {model[option]!r}")
    tracked = model.get("tracked", [])
    if not isinstance(tracked, list) or not all(map(_is_text, tracked)):
        found.add(where, f"tracked: expected a list of column names, not {tracked!r}")


def declaration_problems(raw: object, path: Path) -> list[str]:
    """Every problem of the declaration ``raw`` read from ``path`` (empty when it is valid)."""
    if not isinstance(raw, dict):
        return [f"expected a mapping of keys ({', '.join(REQUIRED_KEYS)}, ...), not {type(raw).__name__}"]
    found = _Problems()
    _top_level_problems(found, raw, path)
    declared = _columns(found, raw)
    _key_problems(found, raw, declared)
    for i, check in enumerate(_listed(found, raw, "checks")):
        _check_problems(found, check, _where("checks", i, check, "rule"), declared)
    for i, check in enumerate(_listed(found, raw, "history_checks")):
        _history_check_problems(found, check, _where("history_checks", i, check, "rule"))
    tables: set[str] = set()
    for i, model in enumerate(_listed(found, raw, "models")):
        _model_problems(found, model, _where("models", i, model, "table"), tables)
    return list(found)
