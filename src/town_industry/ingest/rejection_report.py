"""The report of a rejected file, for the clerk who must fix it: in Chinese, what failed and what to do,
with the English messages below for whoever reads English.

A file can have a hundred thousand bad rows (a column in the wrong unit, a shifted column): the report
stays readable by counting every finding per rule and column, then listing only the first
``LISTED`` findings row by row. ``meta.dq_issues`` keeps every one of them.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from town_industry.contracts import rules
from town_industry.contracts.findings import ERROR, WARNING, Finding
from town_industry.contracts.rules import SEVERITY_ZH
from town_industry.contracts.sources import get_source
from town_industry.ingest.data_docs import page_path
from town_industry.text import markdown_cell


LISTED = 1000  # findings listed row by row; the rest are counted


def _summary(findings: list[Finding], label) -> list[str]:
    """One line per (severity, rule, column): how many findings, and the first rows."""
    counts = Counter((f.severity, f.rule, f.column) for f in findings)
    first_rows: dict[tuple, list[str]] = {}
    for f in findings:
        rows = first_rows.setdefault((f.severity, f.rule, f.column), [])
        if len(rows) < 5:
            rows.append(_row(f.row, "zh"))
    lines = ["| 类别 | 规则 | 列 | 处数 | 最先几处（行） |", "|---|---|---|---:|---|"]
    for (severity, rule, column), n in counts.items():
        cells = [SEVERITY_ZH[severity], f"{rules.get(rule).name_zh}（{rule}）", label(column), f"{n:,}",
                 "、".join(first_rows[(severity, rule, column)])]
        lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
    return lines


def _not_listed(findings: list[Finding], language: str) -> list[str]:
    left = len(findings) - LISTED
    if left <= 0:
        return []
    if language == "zh":
        return ["", f"（以上仅列出前 {LISTED:,} 处，另有 {left:,} 处未列出；各规则的处数见上方汇总，"
                    f"完整清单在 meta.dq_issues 中。）"]
    return ["", f"(Only the first {LISTED:,} are listed; {left:,} more are counted in the summary above, "
                f"and every one is in meta.dq_issues.)"]


def _row(row: int | None, language: str) -> str:
    if row is None:
        return "（整个文件）" if language == "zh" else "(file)"
    return str(row)


SHOWN_CHARACTERS = 200  # a 100 MB cell is quoted, not pasted


def _value(f: Finding, language: str) -> str:
    """The value as the report shows it: never a blank, which reads like a missing entry."""
    if f.value is None:
        if f.rule == "required_cell_empty":
            return "（空）" if language == "zh" else "(empty)"
        return "—"  # the finding is about a row, a column or the file, not one value
    if len(f.value) > SHOWN_CHARACTERS:
        more = len(f.value) - SHOWN_CHARACTERS
        return f.value[:SHOWN_CHARACTERS] + (f"…（另有 {more:,} 个字符）" if language == "zh" else f"… ({more:,} more characters)")
    return f.value


def _table_zh(findings: list[Finding], label) -> list[str]:
    lines = ["| 类别 | 行 | 对象 | 列 | 规则 | 值 | 问题 |", "|---|---|---|---|---|---|---|"]
    for f in findings:
        cells = [SEVERITY_ZH[f.severity], _row(f.row, "zh"), f.subject or "—", label(f.column),
                 f"{rules.get(f.rule).name_zh}（{f.rule}）", _value(f, "zh"), f.message]
        lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
    return lines


def _table_en(findings: list[Finding]) -> list[str]:
    lines = ["| severity | row | subject | column | rule | value | problem |", "|---|---|---|---|---|---|---|"]
    for f in findings:
        cells = [f.severity, _row(f.row, "en"), f.subject or "—", f.column, f.rule, _value(f, "en"), f.message_en]
        lines.append("| " + " | ".join(markdown_cell(c) for c in cells) + " |")
    return lines


def write_error_report(path: Path, *, source: str, month: str, file: Path, sha256: str,
                       findings: list[Finding], archived: Path | None = None) -> Path:
    declared = get_source(source)
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity == WARNING]
    page = page_path(source, month, sha256)  # the suite's result as GX Data Docs (ingest/data_docs.py)
    page = page if page.exists() else None  # no page: the file was rejected before the suite ran
    lines = [
        f"# 退回通知：{declared.title} {month}",
        "",
        f"报送的文件 `{file.name}` 有 {len(errors):,} 处错误，已整份退回，没有任何数据入库；"
        f"数据库中{declared.title} {month} 的数据保持原样。",
        "",
        "**请这样处理：** 按下表逐行改正标为“错误”的内容（标为“警告”的请核实，不改也可以入库），"
        f"然后用同一文件名 `{file.name}` 重新报送。行号是在 Excel 或文本编辑器中看到的行号。",
        "",
        f"- 报表：{declared.title}（`{source}`），{month}",
        f"- 文件：`{file}`",
        f"- SHA-256：`{sha256}`",
        *([f"- 存档副本（所校验的正是这份）：`{archived}`"] if archived else []),
        *([f"- GX 校验结果（Data Docs）：`{page}`"] if page else []),
        f"- 错误 {len(errors):,} 处，警告 {len(warnings):,} 处",
        "",
        "## 汇总",
        "",
        *_summary(errors + warnings, declared.label),
        "",
        "## 逐行清单",
        "",
        *_table_zh((errors + warnings)[:LISTED], declared.label),
        *_not_listed(errors + warnings, "zh"),
        "",
        f"## English: rejected, {source} {month}",
        "",
        f"{len(errors):,} error(s), {len(warnings):,} warning(s). Nothing of this file was loaded; the warehouse keeps "
        f"what it held for {source} {month}. Fix the rows below and deliver the file again under the same name.",
        *(["", f"Great Expectations validation result (Data Docs): `{page}`"] if page else []),
        "",
        *_table_en((errors + warnings)[:LISTED]),
        *_not_listed(errors + warnings, "en"),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
