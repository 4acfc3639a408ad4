"""The seed targets (``seed_targets.yml``): what the generators aim at and what the checks accept."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import yaml

TARGETS_FILE = Path(__file__).with_name("seed_targets.yml")


@dataclass(frozen=True)
class Target:
    seed: str
    unit: str
    target: int | float | None = None
    accepted: tuple | None = None      # [low, high): low <= value < high
    sign: str | None = None            # negative | positive
    draft: str | None = None
    projects: tuple[str, ...] = ()

    def accepts(self, value) -> bool:
        if value is None:
            return False
        if self.sign is not None:
            return value < 0 if self.sign == "negative" else value > 0
        if self.accepted is not None:
            low, high = self.accepted
            return low <= value < high
        return value == self.target

    def describe(self) -> str:
        if self.sign is not None:
            return "< 0" if self.sign == "negative" else "> 0"
        if self.accepted is not None:
            return f"[{self.accepted[0]}, {self.accepted[1]})"
        return f"= {self.target}"

    def in_units(self, per_unit: int) -> int:
        """The target in a file's smallest unit (``per_unit`` of them make one of the KPI's unit)."""
        units = Decimal(str(self.target)) * per_unit
        assert units == units.to_integral_value(), (self, per_unit)
        return int(units)


def _target(entry: dict) -> Target:
    return Target(**{**entry, "accepted": tuple(entry["accepted"]) if "accepted" in entry else None,
                     "projects": tuple(entry.get("projects", ()))})


@dataclass(frozen=True)
class SeedTargets:
    period: str
    half_year: dict[str, Target]
    monthly: dict[str, dict[str, Target]]     # month -> kpi_code -> target


def load(path: Path = TARGETS_FILE) -> SeedTargets:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return SeedTargets(data["period"], {code: _target(t) for code, t in data["half_year"].items()},
                       {month: {code: _target(t) for code, t in kpis.items()}
                        for month, kpis in data["monthly"].items()})


SEED_TARGETS = load()
HALF_YEAR = SEED_TARGETS.half_year
MONTHLY = SEED_TARGETS.monthly
