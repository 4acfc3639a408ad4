"""The rule catalogue (``include/rules.yml``): every rule the pipeline can report, its severity, and
its name and message in Chinese and English.

Checks never word a message themselves: they name a rule and give the values of its message's
placeholders, and ``finding`` renders both languages from the catalogue. A finding of a rule the
catalogue does not name cannot be made (``get`` raises ``UnknownRule``), so the catalogue is the whole
list of codes that ``meta.dq_issues`` can hold.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import yaml

from town_industry import settings
from town_industry.text import markdown_cell

CATALOGUE = settings.PROJECT_ROOT / "include" / "rules.yml"
SEVERITIES = ("error", "warning")
SEVERITY_ZH = {"error": "错误", "warning": "警告"}
STAGES = ("read", "parse", "suite", "history")
LANGUAGES = ("zh", "en")
FIELDS = ("severity", "checked_in", "name_zh", "name_en", "message_zh", "message_en")
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class DeclarationError(ValueError):
    """A declaration (``include/sources/*.yml``, ``include/rules.yml``) breaks a rule: the pipeline's
    configuration is wrong, not a delivered file, so retrying cannot help.

    It holds every problem found in one file, each naming the key (``columns[3] (amount): ...``); its
    message is one line per problem, each starting with the file.
    """

    def __init__(self, path: Path, problems: list[str]):
        self.path = Path(path)
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{shown_path(self.path)}: {problem}" for problem in self.problems))


class CatalogueError(DeclarationError):
    """``include/rules.yml`` is not a valid catalogue."""


def shown_path(path: Path) -> str:
    """A project file as people name it (``include/sources/x.yml``); any other path in full."""
    try:
        return str(Path(path).resolve().relative_to(settings.PROJECT_ROOT))
    except ValueError:
        return str(path)


class UnknownRule(KeyError):
    """A check tried to report a rule the catalogue does not name."""


def bilingual(zh: str, en: str) -> dict:
    """A placeholder value that differs by language (a plain dict, so it survives JSON in suites and XComs)."""
    return {"zh": zh, "en": en}


def _is_bilingual(value: object) -> bool:
    return isinstance(value, dict) and set(value) == set(LANGUAGES)


def shown(value: object, language: str) -> str:
    """A placeholder value as a message shows it: its own language's text, numbers without trailing zeros."""
    if _is_bilingual(value):
        return str(value[language])
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # DECIMAL(18, 6) gives 60.000000; people write 60
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def placeholders(template: str) -> frozenset[str]:
    """The ``{name}`` fields of a str.format template; only plain names are allowed."""
    names = set()
    for _, field, spec, conversion in string.Formatter().parse(template):
        if field is None:
            continue
        if not field.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{field}}} must be a plain {{name}}")
        names.add(field)
    return frozenset(names)


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    checked_in: tuple[str, ...]
    name_zh: str
    name_en: str
    message_zh: str
    message_en: str

    @property
    def placeholders(self) -> frozenset[str]:
        return placeholders(self.message_zh)  # the same in both languages (checked at load)

    def message(self, params: dict, language: str) -> str:
        missing = self.placeholders - set(params)
        if missing:
            raise ValueError(f"rule {self.code}: no value for the placeholder(s) {sorted(missing)}")
        template = self.message_zh if language == "zh" else self.message_en
        return template.format(**{name: shown(params[name], language) for name in self.placeholders})


@dataclass(frozen=True)
class Catalogue:
    path: Path
    rules: dict[str, Rule]

    def get(self, code: str) -> Rule:
        try:
            return self.rules[code]
        except KeyError:
            raise UnknownRule(f"rule {code!r} is not in the rule catalogue {self.path}: add it there "
                              "(severity, names and messages in Chinese and English) before reporting it") from None


def _rule_problems(code: object, entry: object) -> list[str]:
    """Every problem of one catalogue entry, each naming the rule and the key."""
    where = f"rule {code}"
    if not isinstance(code, str) or not _CODE.match(code):
        return [f"{where}: a code is lower_snake_case"]
    if not isinstance(entry, dict):
        return [f"{where}: expected a mapping of {', '.join(FIELDS)}"]
    unknown, missing = sorted(set(entry) - set(FIELDS)), [f for f in FIELDS if f not in entry]
    problems = []
    if unknown:
        problems.append(f"{where}: unknown key(s) {unknown} (allowed: {', '.join(FIELDS)})")
    if missing:
        problems.append(f"{where}: missing {', '.join(missing)} (every rule is named and worded in "
                        "Chinese and English)")
    texts = [f for f in FIELDS[2:] if f in entry and (not isinstance(entry[f], str) or not entry[f].strip())]
    if texts:
        problems.append(f"{where}: {', '.join(texts)} must be non-empty text")
    if "severity" in entry and entry["severity"] not in SEVERITIES:
        problems.append(f"{where}: severity must be one of {SEVERITIES}, not {entry['severity']!r}")
    stages = entry.get("checked_in", [])
    if "checked_in" in entry and (not isinstance(stages, list) or not stages
                                or not all(stage in STAGES for stage in stages)):
        problems.append(f"{where}: checked_in must be a non-empty list of {STAGES}, not {stages!r}")
    if not missing and not texts:
        problems += _placeholder_problems(entry, where)
    return problems


def _placeholder_problems(entry: dict, where: str) -> list[str]:
    found, problems = {}, []
    for language in LANGUAGES:
        try:
            found[language] = placeholders(entry[f"message_{language}"])
        except ValueError as exc:
            problems.append(f"{where}: message_{language}: {exc}")
    if not problems and found["zh"] != found["en"]:
        problems.append(f"{where}: message_zh and message_en must use the same placeholders "
                        f"(zh: {sorted(found['zh'])}, en: {sorted(found['en'])})")
    return problems


def catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue at ``path`` (``CATALOGUE``), validated: a mistake in it stops the pipeline with the file,
    the rule and the key named (``CatalogueError`` lists every problem, not only the first)."""
    return _catalogue(path or CATALOGUE)


@lru_cache(maxsize=None)
def _catalogue(path: Path) -> Catalogue:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CatalogueError(path, [f"not valid YAML: {exc}"]) from None
    if not isinstance(raw, dict) or set(raw) != {"rules"} or not isinstance(raw["rules"], dict):
        raise CatalogueError(path, ["expected one top-level key, rules: a mapping of rule code to rule"])
    problems = [p for code, entry in raw["rules"].items() for p in _rule_problems(code, entry)]
    if problems:
        raise CatalogueError(path, problems)
    return Catalogue(path, {code: Rule(code=code, **{**entry, "checked_in": tuple(entry["checked_in"])})
                            for code, entry in raw["rules"].items()})


def get(code: str) -> Rule:
    """The catalogued rule ``code``; ``UnknownRule`` if the catalogue does not name it."""
    return catalogue().get(code)


def finding(code: str, params: dict | None = None, *, row: int | None = None, column: str | None = None,
            value: str | None = None, subject: str | None = None):
    """A Finding of rule ``code``: severity from the catalogue, message rendered in Chinese and English
    from ``params`` (the values of the message's placeholders; extra ones are ignored)."""
    from town_industry.contracts.findings import Finding  # findings imports this module: import at call time

    rule = get(code)
    params = params or {}
    return Finding(rule.severity, code, rule.message(params, "zh"), rule.message(params, "en"),
                   row=row, column=column, value=value, subject=subject)


def render_markdown() -> str:
    """The whole catalogue as a Markdown page (for docs/rules.md)."""
    cat = catalogue()
    lines = [
        "# Rule catalogue / 数据检查规则",
        "",
        "Every rule the pipeline can report, from `include/rules.yml`: an **error** rejects the file, a "
        "**warning** is recorded in `meta.dq_issues` and the file loads. `meta.dq_issues.rule` holds the code, "
        "`message` the Chinese message and `message_en` the English one. `{name}` in a message is filled in "
        "by the check (a column's header, a limit, the file's month ...).",
        "",
        "| code | severity | 中文名称 | English name | checked in | 提示（中文） | message (English) |",
        "|---|---|---|---|---|---|---|",
    ]
    for rule in cat.rules.values():
        cells = [f"`{rule.code}`", f"{rule.severity}（{SEVERITY_ZH[rule.severity]}）", rule.name_zh, rule.name_en,
                 ", ".join(rule.checked_in), rule.message_zh, rule.message_en]
        lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"
