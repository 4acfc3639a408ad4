"""The build's own ways of being fast must not change a figure.

``build_mart`` computes the enterprise sums once per build (``mart.enterprise_monthly_totals``) and
writes only the members of ``mart.kpi_members`` that changed. Here, after revisions that add, drop and
rename members and change amounts, what the build stored must equal what each KPI's SQL gives when run
on its own (``compute``, after ``ensure_mart`` has recomputed the shared inputs), for every KPI and period.
"""
from __future__ import annotations

import pytest

from town_industry import periods
from town_industry.contracts.kpis import catalogue
from town_industry.marts import kpis as mart
from test_kpi_mart import HandMade, enterprise, project, service


@pytest.fixture
def hand(tmp_path):
    made = HandMade(tmp_path / "hand.duckdb")
    yield made
    made.con.close()


def _load_year(hand, year: int, enterprises) -> None:
    for month in periods.months_between(f"{year}-01", f"{year}-12"):
        hand.load("enterprise_monthly", month, enterprises(month))
        hand.load("investment_monthly", month, [project("P2", 600, 10)])
        hand.load("employment_services", month, [service(f"c{month}", "employment_certificate", "p1",
                                                         day=periods.first_date(month))])


def _stored(hand) -> tuple[dict, dict]:
    values = {(p, k): v for p, k, v in hand.con.execute(
        "SELECT period, kpi_code, value FROM mart.half_year_kpis UNION ALL "
        "SELECT month, kpi_code, value FROM mart.monthly_kpis").fetchall()}
    members = {}
    for p, k, key, name in hand.con.execute("SELECT * FROM mart.kpi_members").fetchall():
        members.setdefault((p, k), set()).add((key, name))
    return values, members


def _computed(hand) -> tuple[dict, dict]:
    """Every KPI of every built period, each SQL run on its own."""
    mart.ensure_mart(hand.con)
    values, members = {}, {}
    built = [p for (p,) in hand.con.execute("SELECT period FROM meta.kpi_builds").fetchall()]
    loaded = mart.loaded_months(hand.con, catalogue())
    for period in built:
        grain = "half_year" if periods.is_report_period(period) else "month"
        for kpi in catalogue().for_grain(grain):
            # a KPI on a source with months missing (here: the optional sources, never loaded) is NULL
            complete = mart.is_complete(kpi, period, loaded)
            value, rows = mart.compute(hand.con, kpi, period) if complete else (None, [])
            values[(period, kpi.code)] = value
            if rows:
                members[(period, kpi.code)] = {(str(key), name) for key, name in rows}
    return values, members


def test_a_build_stores_what_each_kpi_sql_gives_after_revisions(hand):
    def year_2019(month):
        return [enterprise("A", 100, rd=1), enterprise("B", 80), enterprise("C", 50, above=False)]

    def year_2020(month):
        return [enterprise("A", 120, rd=2), enterprise("B", 60), enterprise("C", 70, rd=1)]

    _load_year(hand, 2019, year_2019)
    _load_year(hand, 2020, year_2020)
    mart.build_mart(hand.con)
    assert _stored(hand) == _computed(hand)
    h2 = dict(hand.con.execute("SELECT kpi_code, value FROM mart.half_year_kpis WHERE period = '2020H2'").fetchall())
    assert h2["above_scale_enterprises"] == 3 and h2["taxable_sales"] == 6 * 250
    assert h2["taxable_sales_yoy_pct"] == pytest.approx((6 * 250) / (6 * 230) * 100 - 100)  # C's 2019 row counts
    year = dict(hand.con.execute("SELECT kpi_code, value FROM mart.half_year_kpis WHERE period = '2020FY'").fetchall())
    assert year["taxable_sales"] == 12 * 250 and year["rd_expense"] == 12 * 3
    assert year["taxable_sales_yoy_pct"] == pytest.approx(250 / 230 * 100 - 100)

    # December revised: B drops below scale, A is renamed, D appears with R&D; amounts change.
    hand.load("enterprise_monthly", "2020-12", [enterprise("A", 130, rd=2, name="新名A"), enterprise("B", 60, above=False),
                                                enterprise("C", 70, rd=1), enterprise("D", 10, rd=3)])
    built = mart.build_mart(hand.con)
    assert built["built_periods"] == ["2020H2", "2020FY"] and built["built_months"] == ["2020-12"]
    assert _stored(hand) == _computed(hand)
    members = _stored(hand)[1]
    assert members[("2020H2", "above_scale_enterprises")] == {("A", "新名A"), ("C", "企业C"), ("D", "企业D")}
    assert members[("2020H1", "above_scale_enterprises")] == {("A", "企业A"), ("B", "企业B"), ("C", "企业C")}
    assert members[("2020FY", "above_scale_enterprises")] == members[("2020H2", "above_scale_enterprises")]

    # and back: the same members as before the revision
    hand.load("enterprise_monthly", "2020-12", year_2020("2020-12"))
    mart.build_mart(hand.con)
    assert _stored(hand) == _computed(hand)
    assert _stored(hand)[1][("2020H2", "above_scale_enterprises")] == {("A", "企业A"), ("B", "企业B"), ("C", "企业C")}


def test_the_monthly_totals_add_up_the_in_scope_rows(hand):
    _load_year(hand, 2019, lambda m: [enterprise("A", 100, output=90, high_tech=9, rd=1), enterprise("B", 50, above=False)])
    hand.load("enterprise_monthly", "2020-01", [enterprise("A", 110, output=99, high_tech=11), enterprise("B", 40),
                                                enterprise("E", 5)])
    mart.ensure_mart(hand.con)
    totals = hand.con.execute("SELECT * FROM mart.enterprise_monthly_totals WHERE month_key = 202001").fetchall()
    columns = [c for (c,) in hand.con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'enterprise_monthly_totals' "
        "ORDER BY ordinal_position").fetchall()]
    row = dict(zip(columns, totals[0]))
    # in scope in January 2020: A 110, B 40 (above scale now), E 5; comparable: A and B (B's 2019 row counts)
    assert (row["taxable_sales"], row["taxable_sales_comparable"], row["taxable_sales_year_before"]) == (155, 150, 150)
    assert (row["gross_output"], row["gross_output_comparable"], row["gross_output_year_before"]) == (144, 139, 140)
    assert (row["high_tech_output"], row["high_tech_output_comparable"], row["high_tech_output_year_before"]) \
        == (11, 11, 9)
    assert row["rd_expense"] == 0
    growth = dict(hand.con.execute("SELECT * FROM mart.enterprise_monthly_sales_growth "
                                   "WHERE month_key IN (201901, 202001, 202002)").fetchall())
    assert growth[202001] == pytest.approx(0.0) and growth[201901] is None and growth[202002] is None


def test_a_warehouse_built_before_the_totals_table_gets_it_with_its_next_build(hand):
    _load_year(hand, 2020, lambda m: [enterprise("A", 100)])
    mart.build_mart(hand.con)
    expected = _stored(hand)
    hand.con.execute("DROP TABLE mart.enterprise_monthly_totals")
    assert mart.build_mart(hand.con)["built_periods"] == []  # nothing stale: the table is back, empty
    assert hand.con.execute("SELECT count(*) FROM mart.enterprise_monthly_totals").fetchone()[0] == 0
    hand.con.execute("DELETE FROM meta.kpi_builds WHERE period = '2020H2'")  # as a revised file would
    assert mart.build_mart(hand.con)["built_periods"] == ["2020H2"]
    assert _stored(hand) == expected
