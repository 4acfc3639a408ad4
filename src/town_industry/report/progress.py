"""How far a period's targets were met: each target of ``include/targets/<period>.yml`` beside the mart's
figure of the KPI that measures it, for the period the target is for.

A target is met when the figure is at least the target. Completion is figure ÷ target × 100, given only
for amounts and counts (for a percentage a ratio of two rates says nothing). A KPI without a value in the
period is neither met nor missed: the draft prints "—" and says there is no figure.
"""
from __future__ import annotations

from dataclasses import dataclass

from town_industry.contracts import kpis
from town_industry.contracts.targets import Target, Targets
from town_industry.report import formatting


def target_text(target: Target) -> str:
    """The target written as the KPI's figures are (8亿元, 4个)."""
    kpi = kpis.catalogue().get(target.kpi)
    return formatting.figure(target.value, kpi.unit, kpi.precision)


@dataclass(frozen=True)
class Progress:
    target: Target
    actual: float | None  # the mart's value of target.kpi for the target's period, in the KPI's unit

    @property
    def kpi(self) -> kpis.Kpi:
        return kpis.catalogue().get(self.target.kpi)

    @property
    def target_text(self) -> str:
        return target_text(self.target)

    @property
    def actual_text(self) -> str:
        return formatting.figure(self.actual, self.kpi.unit, self.kpi.precision)

    @property
    def completion_pct(self) -> float | None:
        if self.actual is None or self.kpi.unit == "%" or not self.target.value:
            return None
        return self.actual / self.target.value * 100

    @property
    def completion(self) -> str:
        return formatting.percent(self.completion_pct, 1)

    @property
    def met(self) -> bool | None:
        return None if self.actual is None else self.actual >= self.target.value

    @property
    def status(self) -> str:
        return {True: "已完成", False: "未完成", None: "暂无数据"}[self.met]


@dataclass(frozen=True)
class PeriodProgress:
    """The targets declared for one report period, each with its progress."""
    targets: Targets
    rows: tuple[Progress, ...]

    @property
    def period_name(self) -> str:
        return formatting.period_name(self.targets.period)

    @property
    def met(self) -> list[Progress]:
        return [r for r in self.rows if r.met is True]

    @property
    def missed(self) -> list[Progress]:
        return [r for r in self.rows if r.met is False]

    @property
    def without_figure(self) -> list[Progress]:
        return [r for r in self.rows if r.met is None]


def progress(targets: Targets, values: dict[str, float | None]) -> PeriodProgress:
    """``values``: kpi_code -> the mart's value for the targets' period."""
    return PeriodProgress(targets, tuple(Progress(t, values.get(t.kpi)) for t in targets.targets))
