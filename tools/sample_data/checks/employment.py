"""employment_services' self-check: the employment KPIs of 2020H1, and persons counted, not records."""
from __future__ import annotations

from decimal import Decimal

from town_industry.contracts.codes import is_valid_id_number
from tools.sample_data.checks import report_figures, report_misreadings
from tools.sample_data.common import H1_2020
from tools.sample_data.employment import LOAN_CEILING, PAID_TYPES, SERVICE_TYPES
from tools.sample_data.targets import HALF_YEAR


def check(records: list[dict]) -> None:
    check_rules(records)
    in_p = [r for r in records if r["stat_month"] in H1_2020]

    def of(kind: str) -> list[dict]:
        return [r for r in in_p if r["service_type"] == kind]

    def wan(rows: list[dict]) -> Decimal:
        return sum((r["amount_yuan"] for r in rows), Decimal(0)) / 10_000

    def persons(rows: list[dict]) -> int:
        return len({r["person_id_number"] for r in rows})

    flex, loans, startup, fairs = (of(k) for k in PAID_TYPES + ("job_fair",))
    certificates = of("employment_certificate")
    t = HALF_YEAR
    failures = report_figures("2020H1 KPI (employment_services)", [
        ("employment_certificates", len(certificates), t["employment_certificates"]),
        ("flexible_employment_subsidy_persons", persons(flex), t["flexible_employment_subsidy_persons"]),
        ("flexible_employment_subsidy_amount", wan(flex), None),
        ("guaranteed_loans", len(loans), t["guaranteed_loans"]),
        ("guaranteed_loan_amount", wan(loans), t["guaranteed_loan_amount"]),
        ("startup_subsidy_persons", persons(startup), t["startup_subsidy_persons"]),
        ("startup_subsidy_amount", wan(startup), t["startup_subsidy_amount"]),
        ("job_fairs", len(fairs), None),
        ("job_fair_positions", sum(r["positions"] for r in fairs), t["job_fair_positions"]),
    ])
    by_year = {y: {k: sum(1 for r in records if r["stat_month"][:4] == y and r["service_type"] == k)
                   for k in SERVICE_TYPES} for y in ("2019", "2020")}
    print("  (records per year:", by_year, ")")
    flex_2020 = [r for r in records if r["stat_month"] >= "2020" and r["service_type"] == "flexible_employment_subsidy"]
    failures += report_misreadings([
        ("flexible subsidy: records, not persons", len(flex), t["flexible_employment_subsidy_persons"]),
        ("startup subsidy: records, not persons", len(startup), t["startup_subsidy_persons"]),
        ("certificates: distinct persons", persons(certificates), t["employment_certificates"]),
        ("flexible persons: whole year 2020", persons(flex_2020), t["flexible_employment_subsidy_persons"]),
    ])
    assert not failures, f"employment_services misses its targets: {failures}"


def check_rules(records: list[dict]) -> None:
    """No error of the file contract in any file, and no warning."""
    ids: set[str] = set()
    paid: set[tuple] = set()
    for r in records:
        assert r["record_id"] not in ids, f"duplicate record_id {r['record_id']}"
        ids.add(r["record_id"])
        assert r["service_type"] in SERVICE_TYPES, r
        d = r["service_date"]
        assert f"{d.year}-{d.month:02d}" == r["stat_month"], r
        person = r["person_id_number"]
        if r["service_type"] == "job_fair":
            assert person is None and r["person_name"] is None and r["positions"] is not None, r
            assert r["positions"] >= 0 and r["amount_yuan"] is None, r
            continue
        assert is_valid_id_number(person) and person.startswith("320612"), r
        assert 1960 <= int(person[6:10]) <= 2002, r
        assert r["person_name"] and 2 <= len(r["person_name"]) <= 3, r
        assert r["positions"] is None, r
        if r["service_type"] in PAID_TYPES:
            assert r["amount_yuan"] is not None and r["amount_yuan"] >= 0, r
            key = (r["stat_month"], person, r["service_type"])
            assert key not in paid, f"same person, same subsidy twice in a month: {r['record_id']}"
            paid.add(key)
        else:
            assert r["amount_yuan"] is None, r
        if r["service_type"] == "guaranteed_loan":
            assert r["amount_yuan"] <= LOAN_CEILING, r
    assert sum(1 for r in records if (r["person_id_number"] or "").endswith("X")) >= 3, "no ID ending in X"
    # Every name belongs to one ID number and vice versa (made-up persons, consistently spelled).
    pairs = {(r["person_id_number"], r["person_name"]) for r in records if r["person_id_number"]}
    assert len(pairs) == len({i for i, _ in pairs}) == len({n for _, n in pairs})
