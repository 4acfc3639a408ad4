"""What validation finds: one Finding per failing cell, row or file.

Make findings with ``rules.finding(code, params, ...)``: it takes the severity and renders both
messages from the rule catalogue. A Finding of a rule the catalogue does not name cannot exist.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from town_industry.contracts import rules

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR rejects the file, WARNING is recorded and the file loads
    rule: str  # a code of include/rules.yml
    message: str  # Chinese, for the clerk who fixes the file
    message_en: str
    row: int | None = None  # row number as seen in the file; None for file-level findings
    column: str | None = None
    value: str | None = None  # as in the file, masked where personal
    subject: str | None = None  # what the row is about: "uscc（name）", a project code, a masked ID number

    def __post_init__(self):
        catalogued = rules.get(self.rule)  # raises UnknownRule
        if self.severity != catalogued.severity:
            raise ValueError(f"rule {self.rule} is a {catalogued.severity} in the rule catalogue, "
                             f"not a {self.severity}")

    def as_dict(self) -> dict:
        return asdict(self)


def count(findings: list[Finding], severity: str) -> int:
    return sum(1 for f in findings if f.severity == severity)
