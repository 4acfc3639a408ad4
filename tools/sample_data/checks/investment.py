"""investment_monthly's self-check: the investment KPIs of 2020H1, the projects named, the misreadings."""
from __future__ import annotations

import datetime
from decimal import Decimal

from town_industry.contracts.codes import is_valid_uscc
from town_industry.contracts.industry import classify, is_valid_industry_class
from tools.sample_data.checks import fmt, report_figures, report_misreadings
from tools.sample_data.common import H1_2020, MONTHS, month_end, year_earlier
from tools.sample_data.investment import CONSTRUCTION_TYPES
from tools.sample_data.investment_model import FAI_THRESHOLD, INVESTMENT_DATES
from tools.sample_data.targets import HALF_YEAR

MAJOR_PROJECT = Decimal(10_000)      # 万元: a 亿元项目
MAJOR_PROJECT_10BN = Decimal(100_000)
EVENT_COUNTS = ("signed_major_projects", "signed_major_projects_10bn", "signed_major_services_projects",
                "manufacturing_projects_started", "projects_completed", "tech_upgrade_projects_completed")


def check(records: list[dict]) -> None:
    check_rules(records)
    p, p_2019 = H1_2020, [year_earlier(m) for m in H1_2020]
    fai = fai_sum(records, p)
    fai_2019 = fai_sum(records, p_2019)
    industrial = fai_sum(records, p, lambda r: classify(r["industry_code"]).is_industrial)
    high_tech = fai_sum(records, p, lambda r: classify(r["industry_code"]).is_high_tech_manufacturing)
    events = investment_events(records, p)
    land = sum((a["land_area_mu"] or Decimal(0) for a in events["started"]), Decimal(0))

    t = HALF_YEAR
    figures = [
        ("fixed_asset_investment", fai, t["fixed_asset_investment"]),
        ("fixed_asset_investment_yoy_pct", float((fai / fai_2019 - 1) * 100), t["fixed_asset_investment_yoy_pct"]),
        ("industrial_investment", industrial, None),
        ("high_tech_manufacturing_investment", high_tech, None),
        ("high_tech_manufacturing_investment_share_pct", float(high_tech / industrial * 100),
         t["high_tech_manufacturing_investment_share_pct"]),
    ]
    figures += [(kpi, len(events[kpi]), t[kpi]) for kpi in EVENT_COUNTS]
    figures.append(("started_projects_land_mu", land, t["started_projects_land_mu"]))
    failures = report_figures("2020H1 KPI (investment_monthly)", figures)
    print(f"  (2019H1 fixed_asset_investment {fmt(fai_2019)} 万元; monthly 2020 FAI: "
          + " ".join(f"{m[5:]}:{fai_sum(records, [m]):,.0f}" for m in MONTHS[12:]) + ")")

    # The projects the report names for each count are the ones counted.
    for kpi in EVENT_COUNTS:
        got = sorted(a["project_name"] for a in events[kpi])
        print(f"  {kpi}: {'、'.join(got)}")
        if got != sorted(t[kpi].projects):
            failures.append(f"{kpi} names {got}")
    failures += check_misreadings(records, events, fai, high_tech)
    assert not failures, f"investment_monthly misses its targets: {failures}"


def check_rules(records: list[dict]) -> None:
    """No error of the file contract in any file, and no over-plan warning."""
    seen: set[tuple[str, str]] = set()
    lifetime: dict[str, Decimal] = {}
    for r in records:
        lifetime[r["project_code"]] = lifetime.get(r["project_code"], Decimal(0)) + r["completed_investment"]
    for r in records:
        key = (r["stat_month"], r["project_code"])
        assert key not in seen, f"duplicate project_code {key}"
        seen.add(key)
        assert len(r["project_code"]) <= 64 and r["project_name"], r
        assert r["owner_uscc"] is None or is_valid_uscc(r["owner_uscc"]), r
        assert is_valid_industry_class(r["industry_code"]), r
        assert r["construction_type"] in CONSTRUCTION_TYPES, r
        assert r["planned_investment"] > 0 and r["completed_investment"] >= 0, r
        assert r["land_area_mu"] is None or r["land_area_mu"] >= 0, r
        dates = [r[d] for d in INVESTMENT_DATES if r[d] is not None]
        assert dates == sorted(dates), f"dates out of order {r}"
        assert all(d <= month_end(r["stat_month"]) for d in dates), f"date after the month {r}"
        # Warning rule: completed investment of all months must not exceed the plan of any month.
        assert lifetime[r["project_code"]] <= r["planned_investment"], \
            f"over plan: {r['project_code']} {lifetime[r['project_code']]} > {r['planned_investment']}"


def project_attributes(records: list[dict], last_month: str, pick: str = "latest") -> dict[str, dict]:
    """Per project, the row of its latest (or, for a misreading, first / overall latest) month."""
    chosen: dict[str, dict] = {}
    for r in sorted(records, key=lambda r: r["stat_month"]):
        if pick != "overall" and r["stat_month"] > last_month:
            continue
        if pick == "first" and r["project_code"] in chosen:
            continue
        chosen[r["project_code"]] = r
    return chosen


def investment_events(records: list[dict], months: list[str], pick: str = "latest") -> dict[str, list[dict]]:
    first_day = datetime.date(int(months[0][:4]), int(months[0][5:]), 1)
    last_day = month_end(months[-1])

    def within(d) -> bool:
        return d is not None and first_day <= d <= last_day

    attrs = project_attributes(records, months[-1], pick).values()
    major = [a for a in attrs if within(a["sign_date"]) and a["planned_investment"] >= MAJOR_PROJECT]
    started = [a for a in attrs if within(a["start_date"])]
    completed = [a for a in attrs if within(a["completion_date"])]
    return {
        "signed_major_projects": major,
        "signed_major_projects_10bn": [a for a in major if a["planned_investment"] >= MAJOR_PROJECT_10BN],
        "signed_major_services_projects": [a for a in major if classify(a["industry_code"]).is_services],
        "manufacturing_projects_started": [a for a in started if classify(a["industry_code"]).is_manufacturing],
        "projects_completed": [a for a in completed if a["construction_type"] != "tech_upgrade"],
        "tech_upgrade_projects_completed": [a for a in completed if a["construction_type"] == "tech_upgrade"],
        "started": started,
    }


def fai_sum(records: list[dict], months: list[str], keep=lambda r: True, threshold=FAI_THRESHOLD) -> Decimal:
    return sum((r["completed_investment"] for r in records if r["stat_month"] in months
                and r["planned_investment"] >= threshold and keep(r)), Decimal(0))


def check_misreadings(records: list[dict], events: dict, fai: Decimal, high_tech: Decimal) -> list[str]:
    """Plausible misreadings of the definitions must NOT hit the targets (the data tells them apart)."""
    p, p_2019 = H1_2020, [year_earlier(m) for m in H1_2020]
    codes_2019 = {r["project_code"] for r in records if r["stat_month"] in p_2019 and r["completed_investment"] > 0}
    codes_2020 = {r["project_code"] for r in records if r["stat_month"] in p and r["completed_investment"] > 0}
    both = codes_2019 & codes_2020
    comparable = float((fai_sum(records, p, lambda r: r["project_code"] in both)
                        / fai_sum(records, p_2019, lambda r: r["project_code"] in both) - 1) * 100)
    first_seen = investment_events(records, p, "first")
    overall = investment_events(records, p, "overall")
    manufacturing_land = sum((a["land_area_mu"] or 0 for a in events["manufacturing_projects_started"]), Decimal(0))
    t = HALF_YEAR
    return report_misreadings([
        ("FAI: rows under 500 counted too", fai_sum(records, p, threshold=Decimal(0)), t["fixed_asset_investment"]),
        ("FAI yoy: comparable basis", comparable, t["fixed_asset_investment_yoy_pct"]),
        ("high-tech share of all FAI", float(high_tech / fai * 100), t["high_tech_manufacturing_investment_share_pct"]),
        ("signed majors: first-seen attributes", len(first_seen["signed_major_projects"]), t["signed_major_projects"]),
        ("signed majors: attributes after P", len(overall["signed_major_projects"]), t["signed_major_projects"]),
        ("manufacturing starts: first-seen", len(first_seen["manufacturing_projects_started"]),
         t["manufacturing_projects_started"]),
        ("completed: tech upgrades included", len(events["projects_completed"])
         + len(events["tech_upgrade_projects_completed"]), t["projects_completed"]),
        ("land: manufacturing starts only", manufacturing_land, t["started_projects_land_mu"]),
        ("land: first-seen attributes", sum((a["land_area_mu"] or 0 for a in first_seen["started"]), Decimal(0)),
         t["started_projects_land_mu"]),
    ])
