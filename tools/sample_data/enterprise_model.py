"""enterprise_monthly's figures: simulated per firm and month, then calibrated to the seed targets.

2020 is scaled so that the in-scope sums of the half-year hit the targets exactly; 2019 is then given
the values the 2020 comparable-basis growth rates imply (the KPI definitions: docs/kpi_catalogue.md).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from tools.sample_data.common import H1_2020, MONTHS, apportion, month_in, year_earlier
from tools.sample_data.targets import HALF_YEAR, MONTHLY

# Decimals of each amount in the files: the model rounds to them, so a calibrated sum survives.
AMOUNT_DECIMALS = {"gross_output": 1, "taxable_sales": 2, "high_tech_output": 1, "rd_expense": 1}

# The seed targets in file units: 0.1 千元 (100 per 万元) and, for sales, 0.01 万元.
TARGET_GROSS_H1 = HALF_YEAR["gross_output"].in_units(100)
TARGET_HIGH_TECH_H1 = HALF_YEAR["high_tech_output"].in_units(100)
TARGET_RD_H1 = HALF_YEAR["rd_expense"].in_units(100)
# Sales per month: April and the half-year are the report's; January to March and May are made up (the
# Spring Festival, the February shutdown, a recovery) and June takes what the half-year leaves.
_sales = {"2020-01": 1_580_000, "2020-02": 860_000, "2020-03": 1_330_000, "2020-05": 1_950_000,
          "2020-04": MONTHLY["2020-04"]["taxable_sales"].in_units(100)}
_sales["2020-06"] = HALF_YEAR["taxable_sales"].in_units(100) - sum(_sales.values())
TARGET_SALES_2020 = {m: _sales[m] for m in H1_2020}  # in month order: calibrate_2020 averages in this order
GROSS_YOY_H1 = HALF_YEAR["gross_output_yoy_pct"].target          # comparable-basis %, exact over the half-year
HIGH_TECH_YOY_H1 = HALF_YEAR["high_tech_output_yoy_pct"].target

# Comparable-basis YoY per calendar month (%). Sales: exact per month (a Q1
# fall with the COVID trough in February, growth from April). Gross and
# high-tech: only the monthly shape; the half-year total is then made exact.
SALES_YOY = [-4.5, -28.0, -8.9, 3.2, 6.1, 8.4, 7.2, 8.0, 9.1, 7.6, 8.8, 9.5]
GROSS_YOY = [-1.0, -18.0, -2.0, 7.0, 9.0, 10.0, 6.0, 7.0, 8.0, 7.0, 8.0, 9.0]
HIGH_TECH_YOY = [8.0, -5.0, 10.0, 16.0, 18.0, 20.0, 14.0, 15.0, 16.0, 15.0, 16.0, 18.0]

# 2020 activity by month relative to a normal month: H1 follows the sales
# targets (Spring Festival, then the February shutdown), H2 a steady recovery.
SEASON_2020 = [1.024, 0.557, 0.862, 0.894, 1.264, 1.400, 1.28, 1.25, 1.33, 1.27, 1.33, 1.45]

MISSING_EMPLOYEES = ("2020-05", "南通春和旅游用品有限公司")  # one empty employees cell


@dataclass
class Firm:
    name: str
    industry: str
    level: float                 # gross output in a normal month of 2020, 千元 (before calibration)
    trend: float = 1.03          # 2020 / 2019 output, before calibration
    high_tech: float = 0.0       # share of output that is high-tech product
    rd: float = 0.0              # R&D spend / gross output
    scale: str = "always"        # always | never | from:YYYY-MM | until:YYYY-MM
    first: str = "2019-01"       # first and last month with a row
    last: str = "2020-12"
    rd_from: str = "2019-01"     # R&D spend only from this month
    rename: tuple[str, str] | None = None   # (month, new name)
    recode: tuple[str, str] | None = None   # (month, new industry code)
    role: str = ""               # special role, for the summary printed at the end
    modern: bool = False         # registered after 2015 ('MA' organisation code)
    uscc: str = ""

    def above_scale(self, month: str) -> bool:
        kind, _, since = self.scale.partition(":")
        return {"always": True, "never": False,
                "from": month >= since, "until": month <= since}[kind]

    def name_in(self, month: str) -> str:
        return self.rename[1] if self.rename and month >= self.rename[0] else self.name

    def industry_in(self, month: str) -> str:
        return self.recode[1] if self.recode and month >= self.recode[0] else self.industry


@dataclass
class EnterpriseRow:
    month: str
    firm: Firm
    model: dict[str, float]                                 # unrounded model values
    units: dict[str, int] = field(default_factory=dict)     # final values in file units
    employees: int | None = None

    @property
    def above(self) -> bool:
        return self.firm.above_scale(self.month)


def simulate_rows(firms: list[Firm], rng: random.Random) -> list[EnterpriseRow]:
    """Unrounded model values: firm size x season x noise.

    2019 is drawn flat (level / trend); calibrate_2019 later gives it the
    seasonal shape the 2020 growth rates imply.
    """
    rows = []
    sales_ratio = {f.uscc: rng.uniform(0.68, 0.86) for f in firms}  # 万元 sales per 10 千元 output
    productivity = {f.uscc: (38 if f.high_tech >= 0.8 else 22) * rng.uniform(0.9, 1.1) for f in firms}
    for firm in firms:
        for month in MONTHS:
            if not month_in(month, firm.first, firm.last):
                continue
            if month < "2020":
                gross = firm.level / firm.trend * rng.uniform(0.93, 1.07)
            else:
                gross = firm.level * SEASON_2020[int(month[5:]) - 1] * rng.uniform(0.94, 1.06)
            model = {
                "gross_output": gross,
                "taxable_sales": gross / 10 * sales_ratio[firm.uscc] * rng.uniform(0.95, 1.05),
                "high_tech_output": gross * min(0.97, firm.high_tech * rng.uniform(0.97, 1.03)),
                "rd_expense": gross * firm.rd * rng.uniform(0.8, 1.2) if month >= firm.rd_from else 0.0,
            }
            staff = firm.level / productivity[firm.uscc]
            if month < "2020":
                staff /= firm.trend ** 0.5
            row = EnterpriseRow(month, firm, model)
            row.employees = max(8, round(staff * rng.uniform(0.97, 1.03)))
            if (month, firm.name) == MISSING_EMPLOYEES:
                row.employees = None
            rows.append(row)
    return rows


def calibrate_2020(rows: list[EnterpriseRow]) -> None:
    """Scale 2020 so that the in-scope H1 sums are exactly the targets.

    One factor per measure (per month for sales) is applied to every 2020 row,
    so out-of-scope rows and H2 stay in proportion; the in-scope H1 rows are
    then apportioned so their rounded values add up to the target exactly.
    """
    rows_2020 = [r for r in rows if r.month >= "2020"]
    in_h1 = [r for r in rows_2020 if r.month in H1_2020 and r.above]

    def scale_and_round(measure: str, factor_by_month: dict[str, float], exact: list[tuple[list, int]],
                        caps_from: str | None = None) -> None:
        unit = 10 ** AMOUNT_DECIMALS[measure]
        for r in rows_2020:
            value = r.model[measure] * factor_by_month[r.month] * unit
            r.units[measure] = min(round(value), r.units[caps_from]) if caps_from else round(value)
        for group, total in exact:
            caps = [r.units[caps_from] for r in group] if caps_from else None
            parts = apportion([r.model[measure] for r in group], total, caps)
            for r, part in zip(group, parts):
                r.units[measure] = part

    def single_factor(measure: str, total_units: int) -> dict[str, float]:
        unit = 10 ** AMOUNT_DECIMALS[measure]
        factor = total_units / unit / sum(r.model[measure] for r in in_h1)
        return {m: factor for m in MONTHS}

    scale_and_round("gross_output", single_factor("gross_output", TARGET_GROSS_H1),
                    [(in_h1, TARGET_GROSS_H1)])
    scale_and_round("high_tech_output", single_factor("high_tech_output", TARGET_HIGH_TECH_H1),
                    [([r for r in in_h1 if r.model["high_tech_output"] > 0], TARGET_HIGH_TECH_H1)],
                    caps_from="gross_output")
    scale_and_round("rd_expense", single_factor("rd_expense", TARGET_RD_H1),
                    [([r for r in in_h1 if r.model["rd_expense"] > 0], TARGET_RD_H1)])

    # Sales: a factor per H1 month (each month has its own target); H2 uses their mean.
    sales_factor, groups = {}, []
    for month, total in TARGET_SALES_2020.items():
        group = [r for r in in_h1 if r.month == month]
        sales_factor[month] = total / 100 / sum(r.model["taxable_sales"] for r in group)
        groups.append((group, total))
    mean_factor = sum(sales_factor.values()) / len(sales_factor)
    sales_factor.update({m: mean_factor for m in MONTHS if m not in sales_factor})
    scale_and_round("taxable_sales", sales_factor, groups)


def calibrate_2019(rows: list[EnterpriseRow]) -> None:
    """Give 2019 the values that the 2020 comparable-basis growth rates imply.

    The comparison base of month m is the 2019 row of every uscc whose 2020
    row of month m is in scope, whatever that 2019 row's own scale flag. Its
    sum is set to (2020 sum) / (1 + growth); the other 2019 rows of the month
    get the same scaling, so they stay consistent with their neighbours.
    """
    by_key = {(r.firm.uscc, r.month): r for r in rows}
    pairs: dict[str, list[tuple[EnterpriseRow, EnterpriseRow]]] = {m: [] for m in MONTHS[:12]}
    for r in rows:
        if r.month >= "2020" and r.above and (r.firm.uscc, year_earlier(r.month)) in by_key:
            pairs[year_earlier(r.month)].append((by_key[(r.firm.uscc, year_earlier(r.month))], r))
    rows_2019 = {m: [r for r in rows if r.month == m] for m in MONTHS[:12]}

    calibrate_base(rows_2019, pairs, "gross_output", GROSS_YOY, GROSS_YOY_H1)
    calibrate_base(rows_2019, pairs, "high_tech_output", HIGH_TECH_YOY, HIGH_TECH_YOY_H1,
                   caps_from="gross_output")
    calibrate_base(rows_2019, pairs, "taxable_sales", SALES_YOY)
    # R&D has no growth target: 2019 just gets 2020's model-to-file factor.
    rd_2020 = [r for r in rows if r.month >= "2020" and r.model["rd_expense"] > 0]
    rd_factor = sum(r.units["rd_expense"] for r in rd_2020) / sum(r.model["rd_expense"] for r in rd_2020)
    for month_rows in rows_2019.values():
        for r in month_rows:
            r.units["rd_expense"] = round(r.model["rd_expense"] * rd_factor)


def calibrate_base(rows_2019: dict[str, list[EnterpriseRow]],
                   pairs: dict[str, list[tuple[EnterpriseRow, EnterpriseRow]]],
                   measure: str, monthly_yoy: list[float], h1_yoy: float | None = None,
                   caps_from: str | None = None) -> None:
    """Set one measure of 2019 from the 2020 values and the growth rates.

    Each month's base is sized by ``monthly_yoy``. With ``h1_yoy`` the January–
    June bases are then re-scaled together so the half-year ratio is exact
    (the monthly rates only give the shape); otherwise each month is exact.
    """
    # base_value[m] / model_sum[m] turns the month's model values into file units.
    target = {m: sum(now.units[measure] for _, now in pairs[m]) / (1 + monthly_yoy[int(m[5:]) - 1] / 100)
              for m in rows_2019}
    exact_groups = [[m] for m in rows_2019]
    if h1_yoy is not None:
        h1 = MONTHS[:6]
        h1_total = sum(now.units[measure] for m in h1 for _, now in pairs[m]) / (1 + h1_yoy / 100)
        correction = h1_total / sum(target[m] for m in h1)
        for m in h1:
            target[m] *= correction
        exact_groups = [h1] + [[m] for m in MONTHS[6:12]]

    factor = {}
    for m in rows_2019:
        model_sum = sum(base.model[measure] for base, _ in pairs[m])
        factor[m] = target[m] / model_sum if model_sum else 0.0
        for r in rows_2019[m]:
            value = round(r.model[measure] * factor[m])
            r.units[measure] = min(value, r.units[caps_from]) if caps_from else value
    for months in exact_groups:
        group = [base for m in months for base, _ in pairs[m] if base.model[measure] > 0]
        total = round(sum(target[m] for m in months))
        weights = [base.model[measure] * factor[base.month] for base in group]
        caps = [base.units[caps_from] for base in group] if caps_from else None
        for base, part in zip(group, apportion(weights, total, caps)):
            base.units[measure] = part
