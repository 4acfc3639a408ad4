"""enterprise_monthly's self-check: the enterprise KPIs of 2020H1, the monthly sales, the misreadings."""
from __future__ import annotations

from decimal import Decimal

from town_industry.contracts.codes import is_valid_uscc
from town_industry.contracts.industry import is_valid_industry_class
from tools.sample_data.checks import report_figures, report_misreadings
from tools.sample_data.common import H1_2020, MONTHS, year_earlier
from tools.sample_data.enterprise_model import AMOUNT_DECIMALS
from tools.sample_data.targets import HALF_YEAR, MONTHLY

WAN = Decimal(10)  # 千元 per 万元: the files give output and R&D in 千元, the KPIs in 万元


def check(records: list[dict]) -> None:
    check_rules(records)
    p = H1_2020
    monthly_yoy = {m: comparable_yoy(records, "taxable_sales", [m]) for m in MONTHS[12:]}
    rd_by_uscc: dict[str, Decimal] = {}
    for r in records:
        if r["stat_month"] in p and r["is_above_scale"]:
            rd_by_uscc[r["uscc"]] = rd_by_uscc.get(r["uscc"], Decimal(0)) + r["rd_expense"]

    # sales_turnaround_month / sales_positive_streak_months (Dec 2019 has no base: None).
    turnaround = None
    for m in range(1, 7):
        prev = monthly_yoy.get(f"2020-{m - 1:02d}") if m > 1 else None
        cur = monthly_yoy[f"2020-{m:02d}"]
        if cur is not None and cur > 0 and prev is not None and prev <= 0:
            turnaround = m
    streak = 0
    for m in reversed(p):
        if monthly_yoy[m] is None or monthly_yoy[m] <= 0:
            break
        streak += 1

    t = HALF_YEAR
    figures = [
        ("above_scale_enterprises",
         len({r["uscc"] for r in records if r["stat_month"] == p[-1] and r["is_above_scale"]}),
         t["above_scale_enterprises"]),
        ("taxable_sales", in_scope_sum(records, "taxable_sales", p), t["taxable_sales"]),
        ("sales_turnaround_month", turnaround, t["sales_turnaround_month"]),
        ("sales_positive_streak_months", streak, t["sales_positive_streak_months"]),
        ("gross_output", in_scope_sum(records, "gross_output", p) / WAN, t["gross_output"]),
        ("gross_output_yoy_pct", comparable_yoy(records, "gross_output", p), t["gross_output_yoy_pct"]),
        ("high_tech_output", in_scope_sum(records, "high_tech_output", p) / WAN, t["high_tech_output"]),
        ("high_tech_output_yoy_pct", comparable_yoy(records, "high_tech_output", p),
         t["high_tech_output_yoy_pct"]),
        ("rd_active_enterprises", sum(1 for v in rd_by_uscc.values() if v > 0), t["rd_active_enterprises"]),
        ("rd_expense", in_scope_sum(records, "rd_expense", p) / WAN, t["rd_expense"]),
    ]
    monthly = {"taxable_sales": lambda m: in_scope_sum(records, "taxable_sales", [m]),
               "taxable_sales_yoy_pct": lambda m: monthly_yoy[m]}
    figures += [(f"{code} {month}", monthly[code](month), target)
                for month, targets in MONTHLY.items() for code, target in targets.items()]
    failures = report_figures("2020H1 KPI (enterprise_monthly)", figures)
    print("taxable_sales_yoy_pct by month:", " ".join(f"{m[5:]}:{v:+.1f}" for m, v in monthly_yoy.items()))
    # Not the report's, but what its story implies: the recovery holds through the second half.
    if not all(monthly_yoy[m] > 0 for m in MONTHS[18:]):
        failures.append("taxable_sales_yoy_pct falls back below 0 in 2020H2")
    failures += check_misreadings(records)
    assert not failures, f"enterprise_monthly misses its targets: {failures}"


def check_rules(records: list[dict]) -> None:
    """No file may hold an error of the file contract."""
    seen: set[tuple[str, str]] = set()
    for r in records:
        key = (r["stat_month"], r["uscc"])
        assert key not in seen, f"duplicate uscc {key}"
        seen.add(key)
        assert is_valid_uscc(r["uscc"]), r["uscc"]
        assert is_valid_industry_class(r["industry_code"]), r
        assert r["enterprise_name"] and r["stat_month"] in MONTHS, r
        assert all(r[m] >= 0 for m in AMOUNT_DECIMALS), r
        assert r["high_tech_output"] <= r["gross_output"], r


def comparable_yoy(records: list[dict], measure: str, months: list[str]) -> float | None:
    """Comparable basis: in-scope rows of ``months`` that have a row of the same uscc a year earlier."""
    earlier = {(r["uscc"], r["stat_month"]): r for r in records}
    now = before = Decimal(0)
    for r in records:
        if r["stat_month"] in months and r["is_above_scale"]:
            prior = earlier.get((r["uscc"], year_earlier(r["stat_month"])))
            if prior is not None:
                now += r[measure]
                before += prior[measure]
    return None if before == 0 else float((now / before - 1) * 100)


def in_scope_sum(records: list[dict], measure: str, months: list[str]) -> Decimal:
    return sum((r[measure] for r in records if r["stat_month"] in months and r["is_above_scale"]),
               Decimal(0))


def check_misreadings(records: list[dict]) -> list[str]:
    """Plausible misreadings of the definitions must NOT hit the targets (the data tells them apart)."""
    p = H1_2020
    above_before = {(r["uscc"], r["stat_month"]) for r in records if r["is_above_scale"]}

    def yoy_needing_scaled_base(measure: str) -> float:  # base row must itself be above scale
        kept = [r for r in records if r["is_above_scale"] and r["stat_month"] in p
                and (r["uscc"], year_earlier(r["stat_month"])) in above_before]
        return comparable_yoy(kept + [r for r in records if r["stat_month"] < "2020"], measure, p)

    def yoy_total_on_total(measure: str) -> float:  # not comparable: all in-scope vs all in-scope
        before = in_scope_sum(records, measure, [year_earlier(m) for m in p])
        return float((in_scope_sum(records, measure, p) / before - 1) * 100)

    all_h1 = [r for r in records if r["stat_month"] in p]
    t = HALF_YEAR
    return report_misreadings([
        ("count: all rows of 2020-06", sum(1 for r in records if r["stat_month"] == p[-1]),
         t["above_scale_enterprises"]),
        ("count: in scope in any H1 month", len({r["uscc"] for r in all_h1 if r["is_above_scale"]}),
         t["above_scale_enterprises"]),
        ("sales: all rows", float(sum(r["taxable_sales"] for r in all_h1)), t["taxable_sales"]),
        ("gross yoy: base must be above scale", yoy_needing_scaled_base("gross_output"), t["gross_output_yoy_pct"]),
        ("gross yoy: total on total", yoy_total_on_total("gross_output"), t["gross_output_yoy_pct"]),
        ("high-tech yoy: total on total", yoy_total_on_total("high_tech_output"), t["high_tech_output_yoy_pct"]),
        ("rd active: any row with R&D", len({r["uscc"] for r in all_h1 if r["rd_expense"] > 0}),
         t["rd_active_enterprises"]),
        ("rd expense: all rows", float(sum(r["rd_expense"] for r in all_h1) / 10), t["rd_expense"]),
    ])
