"""The self-checks: every source's records, re-computed by the KPI definitions, must hit the seed targets.

Each check works on the records a generator returns (the values as the pipeline should read them), in
plain Python, independent of the pipeline's SQL (definitions: docs/kpi_catalogue.md). It also computes
plausible misreadings of the definitions, each of which must miss its target, so that the data tells a
right implementation from a wrong one. Finally, no file may hold an error of its file contract.
"""
from __future__ import annotations

from tools.sample_data.targets import Target


def fmt(value) -> str:
    return "NULL" if value is None else f"{value:,}" if isinstance(value, int) else f"{float(value):,.4f}"


def report_figures(title: str, figures: list[tuple[str, object, Target | None]]) -> list[str]:
    """Print (name, value, target) rows; returns the names that miss. A row without a target is shown only."""
    print(f"{title:46} {'value':>14}  accepted")
    failures = []
    for name, value, target in figures:
        ok = target is None or target.accepts(value)
        accepted = "" if target is None else f"{target.describe()} {'ok' if ok else 'MISS'}"
        print(f"{name:46} {fmt(value):>14}  {accepted}")
        if not ok:
            failures.append(name)
    return failures


def report_misreadings(wrong: list[tuple[str, object, Target]]) -> list[str]:
    """Print (misreading, value, the real KPI's target) rows; returns the misreadings that hit their target."""
    print("misreadings of the definitions (each must miss its target):")
    for name, value, target in wrong:
        print(f"  {name:44} {fmt(value):>14}  target {target.describe()}")
    return [f"misreading hits target: {name}" for name, value, target in wrong if target.accepts(value)]
