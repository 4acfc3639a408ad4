"""Targets an office sets for a report period, declared as data: ``include/targets/<period>.yml``.

The report before a period sets its targets (the 2020H1 report's plans name the targets of 2020H2), and
the period's own report says how far each was met. A target is measured by one KPI of the catalogue,
the figure the mart computes for the period, so its progress is traceable like every other figure.
The file's name is the period the targets are for: a half-year (``2020H2.yml``) or a year (``2020FY.yml``).
Every mistake is refused with the file and the key (``make suites`` checks every file, the KPI DAG
checks them when it is parsed, the draft when it reads them).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from town_industry import periods, settings
from town_industry.contracts import kpis
from town_industry.contracts.mapping import strict

TARGETS_DIR = settings.PROJECT_ROOT / "include" / "targets"
# A money target may be written in 亿元 (as offices set them); it is compared in the KPI's 万元.
WAN_PER_YI = 10000
FILE_KEYS = ("targets", "note")


@dataclass(frozen=True)
class Target:
    kpi: str  # the code of the KPI whose figure measures it (include/kpis.yml)
    name_zh: str  # how the report names it: 新开工制造业项目
    target: float  # in ``unit``
    unit: str  # the KPI's unit, or 亿元 for a KPI in 万元
    note: str | None = None  # printed beside it in the draft

    @property
    def value(self) -> float:
        """The target in the KPI's own unit (亿元 -> 万元)."""
        return self.target * WAN_PER_YI if self.unit == "亿元" else self.target


@dataclass(frozen=True)
class Targets:
    period: str  # the report period they are for: 2020H2
    targets: tuple[Target, ...]
    path: Path
    note: str | None = None  # about the whole declaration, printed under the table


def targets_path(period: str, folder: Path | None = None) -> Path:
    return (folder or TARGETS_DIR) / f"{period}.yml"


def targets_for(period: str, folder: Path | None = None) -> Targets | None:
    """The targets declared for ``period``, checked; None when it has no file."""
    path = targets_path(period, folder)
    return load_targets(path) if path.is_file() else None


def declared_targets(folder: Path | None = None) -> list[Targets]:
    """Every declaration in the folder, checked (the first mistake raises)."""
    return [load_targets(path) for path in sorted((folder or TARGETS_DIR).glob("*.yml"))]


def targets_errors(folder: Path | None = None) -> list[ValueError]:
    """The mistakes of every declaration, one per file (for make suites)."""
    errors = []
    for path in sorted((folder or TARGETS_DIR).glob("*.yml")):
        try:
            load_targets(path)
        except ValueError as exc:
            errors.append(exc)
    return errors


def load_targets(path: Path) -> Targets:
    period = path.stem
    if not periods.is_report_period(period):
        raise ValueError(f"{path}: the file's name must be the report period its targets are for "
                         f"(2020H2.yml, 2020FY.yml), not {period!r}")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping with the key 'targets'")
    unknown = sorted(set(raw) - set(FILE_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {unknown} (allowed: {', '.join(FILE_KEYS)})")
    entries = raw.get("targets")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: targets: a list of at least one target")
    targets = tuple(_parse_target(entry, f"{path}: targets[{i}]") for i, entry in enumerate(entries))
    codes = [t.kpi for t in targets]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise ValueError(f"{path}: targets: KPI(s) {twice} given more than one target")
    return Targets(period, targets, path, raw.get("note"))


def _parse_target(entry, where: str) -> Target:
    where = f"{where} ({entry.get('kpi', '?')})" if isinstance(entry, dict) else where
    target = strict(Target, entry, where)
    known = {k.code: k for k in kpis.catalogue().kpis}
    kpi = known.get(target.kpi)
    if kpi is None:
        raise ValueError(f"{where}: kpi: {target.kpi!r} is not a KPI of include/kpis.yml")
    if "half_year" not in kpi.grains:
        raise ValueError(f"{where}: kpi: {target.kpi!r} is not computed for report periods (grains: "
                         f"{', '.join(kpi.grains)}; a target needs grain half_year)")
    if kpi.unit == "month number":
        raise ValueError(f"{where}: kpi: {target.kpi!r} is a month, not an amount a target can set")
    units = [kpi.unit, "亿元"] if kpi.unit == "万元" else [kpi.unit]
    if target.unit not in units:
        raise ValueError(f"{where}: unit: {target.unit!r} is not the unit of {target.kpi} "
                         f"(write {' or '.join(units)})")
    if isinstance(target.target, bool) or not isinstance(target.target, (int, float)) or target.target < 0:
        raise ValueError(f"{where}: target: a number, 0 or more, in {target.unit} (got {target.target!r})")
    if not isinstance(target.name_zh, str) or not target.name_zh.strip():
        raise ValueError(f"{where}: name_zh: the target's name in the report")
    return target
