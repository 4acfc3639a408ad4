"""What validation finds: one Finding per failing cell, row or file."""
from __future__ import annotations

from dataclasses import asdict, dataclass

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Finding:
    severity: str  # ERROR rejects the file, WARNING is recorded and the file loads
    rule: str
    message: str
    row: int | None = None  # row number as seen in the file; None for file-level findings
    column: str | None = None
    value: str | None = None  # as in the file, masked where personal

    def as_dict(self) -> dict:
        return asdict(self)


def count(findings: list[Finding], severity: str) -> int:
    return sum(1 for f in findings if f.severity == severity)
