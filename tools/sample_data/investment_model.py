"""investment_monthly's projects and their monthly completed investment, calibrated to the seed targets.

A project's attributes may change from month to month (revised plans, dates filled in later); its
completed investment follows a bell over its construction period, scaled so that each half-year's counted
rows (planned investment of at least 500 万元) sum exactly to that half-year's target.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal

from town_industry.contracts.industry import classify
from town_industry.periods import half_year_of, months_between, shift_month
from tools.sample_data.common import H1_2020, apportion, as_date, month_end
from tools.sample_data.targets import HALF_YEAR

INVESTMENT_DATES = ("sign_date", "start_date", "completion_date")
FAI_THRESHOLD = Decimal(500)         # 万元: smaller projects are outside fixed-asset investment

# Half-year totals of counted completed investment, in 0.01 万元 (the files' precision). The report gives
# 2020H1's total, its growth and the high-tech share of industrial investment; industrial investment
# itself and the other half-years are made up, plausible for the town.
TARGET_FAI_H1 = HALF_YEAR["fixed_asset_investment"].in_units(100)
TARGET_FAI_H1_2019 = round(HALF_YEAR["fixed_asset_investment"].target
                           / (1 + HALF_YEAR["fixed_asset_investment_yoy_pct"].target / 100)) * 100  # whole 万元
TARGET_INDUSTRIAL_H1 = 6_200_000     # 62,000 万元
TARGET_HIGH_TECH_INV_H1 = round(TARGET_INDUSTRIAL_H1
                                * HALF_YEAR["high_tech_manufacturing_investment_share_pct"].target / 100)
TARGET_FAI_H2 = {2019: 9_750_000, 2020: 10_120_000}

# Building activity by calendar month (winter and Spring Festival slow, year-end push;
# February 2020 is the COVID stop).
INVESTMENT_SEASON = {
    2019: [0.75, 0.55, 1.0, 1.05, 1.1, 1.2, 0.95, 0.95, 1.05, 1.05, 1.1, 1.3],
    2020: [0.95, 0.3, 0.9, 1.15, 1.25, 1.4, 1.05, 1.05, 1.15, 1.15, 1.2, 1.45],
}


@dataclass
class Project:
    name: str                     # the 项目名称 cell; the seed's names for the projects it lists
    industry: str                 # the project's own GB/T 4754-2017 class
    kind: str                     # construction type code
    planned: int                  # 万元 as first reported
    land: str | None              # 亩; None = not given (tech upgrades on existing land, public works)
    sign: str | None              # ISO dates; None = never given
    start: str | None
    completion: str | None        # only dates up to 2020-12
    ends: str = ""                # expected completion month of a project still building at 2020-12
    owner: str | None = None      # enterprise name (its enterprise_monthly uscc), "new:<name>" or None
    share: float = 0.9            # part of the plan spent over the whole construction period
    first: str = ""               # first month listed (default: sign month, 2019-01 for older projects)
    tail: int = 2                 # months still listed after the completion month
    revisions: tuple = ()         # (month, attribute, value): the value from that month's file on
    shown_from: tuple = ()        # (date attribute, month): the date is left empty before that file
    fixed: tuple = ()             # explicit completed investment (month, 万元) instead of the model
    code_year: int = 0
    role: str = ""
    code: str = ""
    owner_uscc: str | None = None

    def first_month(self) -> str:
        if self.first:
            return self.first
        return max(self.sign[:7], "2019-01") if self.sign else "2019-01"

    def last_month(self) -> str:
        return min(shift_month(self.completion[:7], self.tail), "2020-12") if self.completion else "2020-12"

    def attributes_in(self, month: str) -> dict:
        attrs = {
            "planned_investment": Decimal(self.planned),
            "land_area_mu": None if self.land is None else Decimal(self.land),
            "sign_date": self.sign, "start_date": self.start, "completion_date": self.completion,
        }
        for since, name, value in self.revisions:
            if month >= since:
                attrs[name] = Decimal(value) if name in ("planned_investment", "land_area_mu") else value
        shown_from = dict(self.shown_from)
        for name in INVESTMENT_DATES:
            value = attrs[name]
            if value is not None and month < shown_from.get(name, value[:7]):
                attrs[name] = None
            else:
                attrs[name] = as_date(value)
        return attrs

    def final_planned(self) -> int:
        values = [self.planned] + [int(v) for _, n, v in self.revisions if n == "planned_investment"]
        return values[-1]


@dataclass
class InvestmentRow:
    month: str
    project: Project
    attrs: dict
    model: float = 0.0     # unrounded completed investment, 万元
    units: int = 0         # final completed investment, 0.01 万元

    @property
    def counted(self) -> bool:
        return self.attrs["planned_investment"] >= FAI_THRESHOLD


def construction_months(p: Project) -> list[tuple[str, float]]:
    """(month, part of the month under construction) from start to (expected) completion."""
    if p.start is None:
        return []
    end = p.completion or f"{p.ends}-28"
    out = []
    for month in months_between(p.start[:7], end[:7]):
        days = month_end(month).day
        part = 1.0
        if month == p.start[:7]:
            part = (days - int(p.start[8:]) + 1) / days
        if month == end[:7]:
            part = min(part, int(end[8:]) / days)
        out.append((month, part))
    return out


def simulate_rows(projects: list[Project], rng: random.Random) -> list[InvestmentRow]:
    """One row per listed month; completed investment follows a bell over the construction period."""
    rows = []
    for p in projects:
        building = construction_months(p)
        weights = {}
        for i, (month, part) in enumerate(building):
            year = min(max(int(month[:4]), 2019), 2020)
            bell = 0.4 + math.sin(math.pi * (i + 0.5) / len(building))
            weights[month] = bell * part * INVESTMENT_SEASON[year][int(month[5:]) - 1]
        total_weight = sum(weights.values())
        fixed = dict(p.fixed)
        for month in months_between(p.first_month(), p.last_month()):
            row = InvestmentRow(month, p, p.attributes_in(month))
            if fixed:
                row.model = fixed.get(month, 0.0)
            elif month in weights:
                row.model = p.final_planned() * p.share * weights[month] / total_weight * rng.uniform(0.85, 1.15)
            rows.append(row)
    return rows


def calibrate(rows: list[InvestmentRow]) -> None:
    """Scale completed investment so each half-year's counted rows sum exactly to its target.

    Counted rows (planned >= 500) of 2020H1 form three groups with exact totals
    (high-tech manufacturing, other industrial, non-industrial); every other
    half-year is one group. Rows below the threshold keep their explicit values.
    """
    def group(r: InvestmentRow) -> str:
        if r.month not in H1_2020:
            return half_year_of(r.month)
        industry = classify(r.project.industry)
        if industry.is_industrial:
            return "2020H1 high-tech" if industry.is_high_tech_manufacturing else "2020H1 other industrial"
        return "2020H1 non-industrial"

    targets = {
        "2019H1": TARGET_FAI_H1_2019,
        "2019H2": TARGET_FAI_H2[2019],
        "2020H1 high-tech": TARGET_HIGH_TECH_INV_H1,
        "2020H1 other industrial": TARGET_INDUSTRIAL_H1 - TARGET_HIGH_TECH_INV_H1,
        "2020H1 non-industrial": TARGET_FAI_H1 - TARGET_INDUSTRIAL_H1,
        "2020H2": TARGET_FAI_H2[2020],
    }
    factors = {}
    for name, total in targets.items():
        members = [r for r in rows if r.counted and r.model > 0 and group(r) == name]
        factors[name] = round(total / 100 / sum(r.model for r in members), 3)
        for r, part in zip(members, apportion([r.model for r in members], total)):
            r.units = part
    for r in rows:
        if not r.counted:
            r.units = round(r.model * 100)
    print("investment_monthly: model-to-file factors", factors)
