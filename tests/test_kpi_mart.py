"""The KPI SQL on small hand-made months whose right answers were worked out by hand.

Each case is built where a naive query goes wrong (comparable basis, the 500万元 threshold, the
latest attributes up to the period's end, distinct persons, the turnaround month and the run of
positive months), and the comments give the hand calculation and the naive answer it must not be.
Rows go into the real staging tables of a real DuckDB file; the real models (dims, facts) are built
from them with the declared SQL, then the KPI SQL of include/mart.yml runs on them.
"""
from __future__ import annotations

import hashlib
from datetime import date

import duckdb
import pytest

from town_industry import periods
from town_industry.contracts.kpis import catalogue
from town_industry.db import transaction
from town_industry.marts import kpis as mart
from town_industry.warehouse.meta import LoadRecord, record
from town_industry.warehouse.models import build_models
from town_industry.warehouse.schema import ensure_schema
from town_industry.contracts.sources import declared_sources, get_source

CORE = ("enterprise_monthly", "investment_monthly", "employment_services")


def half_year_values(con, period: str) -> dict:
    return dict(con.execute("SELECT kpi_code, value FROM mart.half_year_kpis WHERE period = ?", [period]).fetchall())


class HandMade:
    """A warehouse filled month by month with hand-written staging rows."""

    def __init__(self, path):
        self.con = duckdb.connect(str(path))
        ensure_schema(self.con, declared_sources())
        self.version = 0

    def load(self, source_name: str, month: str, rows: list[dict]) -> None:
        """Replace the month's staging rows, rebuild the models, record the load in meta (as load_month)."""
        source = get_source(source_name)
        self.version += 1
        sha = hashlib.sha256(f"{source_name}{month}{self.version}".encode()).hexdigest()
        params = periods.sql_params(month)
        with transaction(self.con):
            self.con.execute(f"DELETE FROM {source.staging_table} WHERE stat_month = ?", [params["month"]])
            for i, row in enumerate(rows, start=2):
                row = {"stat_month": params["month"], "_row": i, "_file_sha256": sha, **row}
                columns = ", ".join(row)
                self.con.execute(f"INSERT INTO {source.staging_table} ({columns}) VALUES "
                                 f"({', '.join('?' * len(row))})", list(row.values()))
            build_models(self.con, source, month)
            record(self.con, LoadRecord(source_name, month, f"/hand/{month}", sha, "loaded",
                                                            len(rows)), [])

    def kpi(self, code: str, period: str):
        mart.ensure_mart(self.con)
        value, members = mart.compute(self.con, catalogue().get(code), period)
        return (value, sorted(m[1] for m in members)) if members or catalogue().get(code).counts_members \
            else value


@pytest.fixture
def hand(tmp_path):
    made = HandMade(tmp_path / "hand.duckdb")
    yield made
    made.con.close()


def enterprise(uscc, sales, above=True, output=None, high_tech=0, rd=0, name=None, industry="3311"):
    return {"uscc": uscc, "enterprise_name": name or f"企业{uscc[-1]}", "industry_code": industry,
            "is_above_scale": above, "taxable_sales": sales, "gross_output": output if output is not None else sales,
            "high_tech_output": high_tech, "rd_expense": rd}


# --- comparable basis ---------------------------------------------------------------------------

def test_comparable_growth_counts_only_rows_with_a_row_a_year_earlier(hand):
    # 2019-01: A above 100, C below scale 40, D above 80.   2020-01: A 120, B new 50, C now above 60, D below 90.
    hand.load("enterprise_monthly", "2019-01", [enterprise("A", 100), enterprise("C", 40, above=False),
                                                enterprise("D", 80)])
    hand.load("enterprise_monthly", "2020-01", [enterprise("A", 120), enterprise("B", 50), enterprise("C", 60),
                                                enterprise("D", 90, above=False)])
    # in scope 2020-01: A, B, C (own flag that month) -> 120 + 50 + 60 = 230; D (below scale now) is out
    assert hand.kpi("taxable_sales", "2020-01") == 230
    # comparable: A (100 -> 120) and C (40 -> 60, its 2019 row counts whatever its scale then); B has no base.
    # (120 + 60) / (100 + 40) - 1 = 28.5714 %.  Naive in-scope-now vs in-scope-then: 230 / 180 - 1 = 27.8 %.
    assert hand.kpi("taxable_sales_yoy_pct", "2020-01") == pytest.approx(180 / 140 * 100 - 100)
    assert hand.kpi("gross_output_yoy_pct", "2020-01") == pytest.approx(180 / 140 * 100 - 100)
    # 2019-01 has no year before at all: no comparison base -> NULL, not 0 and not an error
    assert hand.kpi("taxable_sales_yoy_pct", "2019-01") is None
    # enterprises counted in the period's last month by their own flag then: A, B, C
    assert hand.kpi("above_scale_enterprises", "2020-01") == (3.0, ["企业A", "企业B", "企业C"])


def test_rd_active_enterprises_sum_their_in_scope_months(hand):
    # E: R&D 5 in January, correction -5 would be impossible (min 0), so: E spends only while below scale.
    hand.load("enterprise_monthly", "2020-01", [enterprise("E", 10, above=False, rd=5), enterprise("F", 10, rd=0),
                                                enterprise("G", 10, rd=2)])
    hand.load("enterprise_monthly", "2020-02", [enterprise("E", 10, rd=0), enterprise("F", 10, rd=3),
                                                enterprise("G", 10, rd=0)])
    # over in-scope rows: E 0 (its 5 was spent below scale), F 3, G 2 -> F and G; naive (any row) would add E
    assert hand.kpi("rd_active_enterprises", "2020H1") == (2.0, ["企业F", "企业G"])
    assert hand.kpi("rd_expense", "2020H1") == 5


# --- turnaround month and run of positive months ---------------------------------------------------

def test_turnaround_is_the_latest_turn_and_the_streak_ends_in_the_last_month(hand):
    base = {"2018-12": 100, **{f"2019-{m:02d}": 100 for m in range(1, 7)}}
    # monthly growth: 2019-12 -1 %, 2020-01 +2 %, 02 -3 %, 03 +1 %, 04 +2 %, 05 +3 %, 06 +4 %
    now = {"2019-12": 99, "2020-01": 102, "2020-02": 97, "2020-03": 101, "2020-04": 102, "2020-05": 103,
           "2020-06": 104}
    for month, sales in {**base, **now}.items():
        hand.load("enterprise_monthly", month, [enterprise("A", sales)])
    # turns in 01 (after Dec's -1 %) and 03 (after Feb's -3 %): the latest up to June is 3, not the first (1)
    assert hand.kpi("sales_turnaround_month", "2020H1") == 3
    assert hand.kpi("sales_positive_streak_months", "2020H1") == 4  # March..June
    # up to January only (period = the month): the turn is January; December's decline ends the run
    assert hand.kpi("sales_turnaround_month", "2020-01") == 1
    assert hand.kpi("sales_positive_streak_months", "2020-01") == 1
    # 2019H1 has no base months at all: no growth figure, no turn, no run
    assert hand.kpi("sales_turnaround_month", "2019H1") is None
    assert hand.kpi("sales_positive_streak_months", "2019H1") == 0


# --- investment: the 500万元 threshold ---------------------------------------------------------------

def project(code, planned, completed=0, industry="2710", kind="new", name=None, land=None, sign=None, start=None,
            done=None):
    return {"project_code": code, "project_name": name or f"项目{code}", "industry_code": industry,
            "construction_type": kind, "planned_investment": planned, "completed_investment": completed,
            "land_area_mu": land, "sign_date": sign, "start_date": start, "completion_date": done}


def test_fixed_asset_investment_applies_the_threshold_row_by_row(hand):
    # P1 plans 400 (under 500 all along), P2 plans 600 (pharma 2710, high-tech manufacturing),
    # P3 (real estate 7010, not industrial) plans 450 in January and 520 from February.
    hand.load("investment_monthly", "2020-01", [project("P1", 400, 50), project("P2", 600, 100),
                                                project("P3", 450, 30, industry="7010")])
    hand.load("investment_monthly", "2020-02", [project("P1", 400, 50), project("P2", 600, 100),
                                                project("P3", 520, 70, industry="7010")])
    # P2 100 + 100, P3 only February's 70 = 270. Naive without threshold: 400; with P3's latest plan: 300.
    assert hand.kpi("fixed_asset_investment", "2020H1") == 270
    assert hand.kpi("fixed_asset_investment", "2020-01") == 100
    assert hand.kpi("industrial_investment", "2020H1") == 200
    assert hand.kpi("high_tech_manufacturing_investment", "2020H1") == 200
    assert hand.kpi("high_tech_manufacturing_investment_share_pct", "2020H1") == 100
    # no 2019 months loaded: growth has no base
    assert hand.kpi("fixed_asset_investment_yoy_pct", "2020H1") is None


def test_fixed_asset_investment_growth_needs_every_base_month(hand):
    for month, amount in (("2019-01", 80), ("2020-01", 100)):
        hand.load("investment_monthly", month, [project("P2", 600, amount)])
    assert hand.kpi("fixed_asset_investment_yoy_pct", "2020-01") == pytest.approx(25.0)  # 100 / 80 - 1
    # for Jan-Jun the base would be 2019-01..06, of which only January is loaded: NULL, not 100/80 - 1
    assert hand.kpi("fixed_asset_investment_yoy_pct", "2020H1") is None


# --- investment: events by the latest attributes up to the period's end -------------------------------

def test_project_events_use_the_latest_attributes_up_to_the_period_end(hand):
    months = {
        # U (services, 7010) appears once: signed in January with a 2亿 plan; later months no longer list it.
        "2020-01": [project("U", 20000, industry="7010", sign=date(2020, 1, 5))],
        # Q is signed in February planning 8,000 (under 1亿) ...
        "2020-02": [project("Q", 8000, industry="3311", sign=date(2020, 2, 10))],
        # R (manufacturing) reports a start on 15 March, on 20 亩
        "2020-03": [project("Q", 8000, industry="3311", sign=date(2020, 2, 10)),
                    project("R", 3000, industry="3311", land=20, start=date(2020, 3, 15))],
        # S (new build) completes in April; T (tech upgrade) in June
        "2020-04": [project("S", 900, industry="3311", done=date(2020, 4, 20))],
        # ... and Q raises its plan to 12,000 in May: as of June it is a signed 亿元 project
        "2020-05": [project("Q", 12000, industry="3311", sign=date(2020, 2, 10))],
        "2020-06": [project("T", 700, industry="3311", kind="tech_upgrade", done=date(2020, 6, 1))],
        # in August Q cuts its plan to 9,000, in September R's start is corrected to July:
        # neither may change the first half-year, which is judged by what was known up to June
        "2020-08": [project("Q", 9000, industry="3311", sign=date(2020, 2, 10))],
        "2020-09": [project("R", 3000, industry="3311", land=20, start=date(2020, 7, 2))],
    }
    for month, rows in months.items():
        hand.load("investment_monthly", month, rows)
    assert hand.kpi("signed_major_projects", "2020H1") == (2.0, ["项目Q", "项目U"])
    assert hand.kpi("signed_major_services_projects", "2020H1") == (1.0, ["项目U"])
    assert hand.kpi("signed_major_projects_10bn", "2020H1") == (0.0, [])
    assert hand.kpi("manufacturing_projects_started", "2020H1") == (1.0, ["项目R"])
    assert hand.kpi("started_projects_land_mu", "2020H1") == 20
    assert hand.kpi("projects_completed", "2020H1") == (1.0, ["项目S"])  # T is a tech upgrade
    assert hand.kpi("tech_upgrade_projects_completed", "2020H1") == (1.0, ["项目T"])
    # as of December: R started in July (H2), Q's signing lies in H1
    assert hand.kpi("manufacturing_projects_started", "2020H2") == (1.0, ["项目R"])
    assert hand.kpi("signed_major_projects", "2020H2") == (0.0, [])


# --- employment: records vs distinct persons --------------------------------------------------------

def service(record_id, kind, person=None, amount=None, positions=None, day=None):
    return {"record_id": record_id, "service_type": kind, "person_key": person, "amount": amount,
            "positions": positions, "service_date": day}


def test_employment_counts_records_but_distinct_persons(hand):
    hand.load("employment_services", "2020-01", [
        service("r1", "flexible_employment_subsidy", "p1", 0.15, day=date(2020, 1, 8)),
        service("r2", "flexible_employment_subsidy", "p3", 0.20, day=date(2020, 1, 9)),
        service("r3", "employment_certificate", "p1", day=date(2020, 1, 9)),
        service("r4", "job_fair", positions=300, day=date(2020, 1, 20))])
    hand.load("employment_services", "2020-03", [
        service("r5", "flexible_employment_subsidy", "p1", 0.15, day=date(2020, 3, 8)),   # p1 again
        service("r6", "flexible_employment_subsidy", "p2", 0.25, day=date(2020, 3, 9)),
        service("r7", "employment_certificate", "p1", day=date(2020, 3, 9)),              # re-issued to p1
        service("r8", "startup_subsidy", "p2", 1.0, day=date(2020, 3, 10)),
        service("r9", "job_fair", positions=200, day=date(2020, 3, 20))])
    hand.load("employment_services", "2020-07", [
        service("r10", "flexible_employment_subsidy", "p4", 0.15, day=date(2020, 7, 8))])  # H2
    # p1, p2, p3: 3 persons from 4 records (naive count(*): 4); amounts 0.15 + 0.20 + 0.15 + 0.25 万元
    assert hand.kpi("flexible_employment_subsidy_persons", "2020H1") == 3
    assert hand.kpi("flexible_employment_subsidy_amount", "2020H1") == pytest.approx(0.75)
    assert hand.kpi("employment_certificates", "2020H1") == 2  # records: the re-issue counts
    assert hand.kpi("startup_subsidy_persons", "2020H1") == 1
    assert hand.kpi("startup_subsidy_amount", "2020H1") == 1
    assert hand.kpi("guaranteed_loans", "2020H1") == 0
    assert hand.kpi("job_fairs", "2020H1") == 2
    assert hand.kpi("job_fair_positions", "2020H1") == 500
    assert hand.kpi("flexible_employment_subsidy_persons", "2020H2") == 1


# --- the build: complete periods only, rebuilt when an input changes ----------------------------------

def _load_all_core(hand, months, sales=100):
    for month in months:
        hand.load("enterprise_monthly", month, [enterprise("A", sales)])
        hand.load("investment_monthly", month, [project("P2", 600, 10)])
        hand.load("employment_services", month, [service(f"c{month}", "employment_certificate", "p1",
                                                         day=date(int(month[:4]), int(month[5:]), 1))])


def test_build_waits_for_all_six_months_of_every_core_source(hand):
    h1 = periods.half_year_months("2020H1")
    _load_all_core(hand, h1[:5])
    hand.load("enterprise_monthly", "2020-06", [enterprise("A", 100)])
    hand.load("investment_monthly", "2020-06", [project("P2", 600, 10)])  # employment's June is missing
    built = mart.build_mart(hand.con)
    assert built["complete_periods"] == []
    assert built["built_months"] == h1[:5]
    assert hand.con.execute("SELECT count(*) FROM mart.half_year_kpis").fetchone()[0] == 0

    hand.load("employment_services", "2020-06", [service("c6", "employment_certificate", "p1", day=date(2020, 6, 1))])
    built = mart.build_mart(hand.con)
    assert built["built_periods"] == ["2020H1"] and built["built_months"] == ["2020-06"]
    rows = dict(hand.con.execute("SELECT kpi_code, unit FROM mart.half_year_kpis WHERE period = '2020H1'").fetchall())
    assert rows == {k.code: k.unit for k in catalogue().for_grain("half_year")}  # every KPI, its unit
    assert half_year_values(hand.con, "2020H1")["taxable_sales"] == 600
    assert half_year_values(hand.con, "2020H1")["employment_certificates"] == 6
    monthly = hand.con.execute("SELECT count(*), count(DISTINCT month) FROM mart.monthly_kpis").fetchone()
    assert monthly == (6 * len(catalogue().for_grain("month")), 6)


def test_build_recomputes_exactly_the_periods_a_revision_touches(hand):
    _load_all_core(hand, periods.half_year_months("2020H1") + periods.half_year_months("2020H2"))
    first = mart.build_mart(hand.con)
    assert first["built_periods"] == ["2020H1", "2020H2", "2020FY"]  # a complete year is a report period too
    assert mart.build_mart(hand.con)["built_periods"] == []  # nothing changed: nothing rebuilt

    hand.load("enterprise_monthly", "2020-04", [enterprise("A", 160)])  # a revised April
    built = mart.build_mart(hand.con)
    # April's own half-year and year, and every later period (growth and runs of months look back)
    assert built["built_periods"] == ["2020H1", "2020H2", "2020FY"]
    assert built["built_months"] == ["2020-04", "2020-05", "2020-06", "2020-07", "2020-08", "2020-09",
                                     "2020-10", "2020-11", "2020-12"]
    assert half_year_values(hand.con, "2020H1")["taxable_sales"] == 660

    hand.load("enterprise_monthly", "2020-10", [enterprise("A", 90)])  # a revision in H2 leaves H1 alone
    assert mart.build_mart(hand.con)["built_periods"] == ["2020H2", "2020FY"]
    assert half_year_values(hand.con, "2020FY")["taxable_sales"] == \
        half_year_values(hand.con, "2020H1")["taxable_sales"] + half_year_values(hand.con, "2020H2")["taxable_sales"]


# --- per-KPI completeness: a KPI on an optional source -------------------------------------------------

def _catalogue_without_core_employment(tmp_path):
    """The real catalogue with employment_services made optional: its KPIs no longer hold a period back."""
    text = catalogue().path.read_text(encoding="utf-8")
    core = "core_sources: [enterprise_monthly, investment_monthly, employment_services]"
    assert core in text
    path = tmp_path / "kpis.yml"
    path.write_text(text.replace(core, "core_sources: [enterprise_monthly, investment_monthly]"), encoding="utf-8")
    return catalogue(path)


def test_a_kpi_is_null_until_every_month_of_its_own_sources_is_loaded(hand, tmp_path):
    cat = _catalogue_without_core_employment(tmp_path)
    h1 = periods.half_year_months("2020H1")
    for month in h1:
        hand.load("enterprise_monthly", month, [enterprise("A", 100)])
        hand.load("investment_monthly", month, [project("P2", 600, 10)])
    # employment was never loaded: its fact table does not even exist, and the build does not need it
    assert mart.build_mart(hand.con, cat=cat)["built_periods"] == ["2020H1"]
    values = half_year_values(hand.con, "2020H1")
    assert values["taxable_sales"] == 600 and values["employment_certificates"] is None

    def certificates(month, n=1):
        day = date(2020, int(month[5:]), 1)
        return [service(f"c{month}-{i}", "employment_certificate", f"p{i}", day=day) for i in range(n)]

    for month in h1[:5]:  # five months of six: still NULL, never the five months' sum
        hand.load("employment_services", month, certificates(month))
    assert mart.build_mart(hand.con, cat=cat)["built_periods"] == ["2020H1"]
    assert half_year_values(hand.con, "2020H1")["employment_certificates"] is None
    assert hand.con.execute("SELECT count(*) FROM mart.kpi_members WHERE kpi_code = 'flexible_employment_subsidy_persons'"
                            ).fetchone()[0] == 0

    hand.load("employment_services", "2020-06", certificates("2020-06"))
    assert mart.build_mart(hand.con, cat=cat)["built_periods"] == ["2020H1"]
    assert half_year_values(hand.con, "2020H1")["employment_certificates"] == 6
    # a revised month of the optional source rebuilds the period too
    hand.load("employment_services", "2020-03", certificates("2020-03", n=3))
    assert mart.build_mart(hand.con, cat=cat)["built_periods"] == ["2020H1"]
    assert half_year_values(hand.con, "2020H1")["employment_certificates"] == 8


def test_a_lookback_needs_the_months_before_the_period_too():
    kpi = next(k for k in catalogue().kpis if k.code == "job_fairs")
    h1 = set(periods.half_year_months("2020H1"))
    year_before = set(periods.half_year_months("2019H1")) | set(periods.half_year_months("2019H2"))
    with_base = type(kpi)(**{**kpi.__dict__, "lookback_months": 12})
    assert mart.is_complete(kpi, "2020H1", {"employment_services": h1})
    assert not mart.is_complete(kpi, "2020H1", {"employment_services": h1 - {"2020-04"}})
    assert not mart.is_complete(with_base, "2020H1", {"employment_services": h1})
    assert not mart.is_complete(with_base, "2020H1", {"employment_services": h1 | year_before - {"2019-01"}})
    assert mart.is_complete(with_base, "2020H1", {"employment_services": h1 | year_before})
