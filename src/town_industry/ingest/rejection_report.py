"""The human-readable report of a rejected file: every failing row, and what to fix."""
from __future__ import annotations

from pathlib import Path

from town_industry.contracts.findings import ERROR, WARNING, Finding


def _cell(text: object) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def write_error_report(path: Path, *, source: str, month: str, file: Path, sha256: str,
                       findings: list[Finding]) -> Path:
    errors = [f for f in findings if f.severity == ERROR]
    warnings = [f for f in findings if f.severity == WARNING]
    lines = [
        f"# Rejected: {source} {month}",
        "",
        f"- File: `{file}`",
        f"- SHA-256: `{sha256}`",
        f"- {len(errors)} error(s), {len(warnings)} warning(s). Nothing of this file was loaded; "
        f"the warehouse keeps what it held for {source} {month}.",
        "- Fix the rows below and deliver the file again under the same name.",
        "",
        "| severity | row | column | rule | value | problem |",
        "|---|---|---|---|---|---|",
    ]
    for f in errors + warnings:
        lines.append(f"| {f.severity} | {_cell(f.row) or '(file)'} | {_cell(f.column)} | {f.rule} | "
                     f"{_cell(f.value)} | {_cell(f.message)} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
