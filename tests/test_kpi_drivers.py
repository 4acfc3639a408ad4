"""What moved each growth rate (mart.kpi_drivers, make explain), on the warehouse of the sample run."""
from __future__ import annotations

from collections import defaultdict

import duckdb
import pytest
import yaml

from town_industry.cli.main import main
from town_industry.contracts.kpis import catalogue
from town_industry.report.drivers import read_drivers

GROWTH_KPIS = {"taxable_sales_yoy_pct", "gross_output_yoy_pct", "high_tech_output_yoy_pct",
               "fixed_asset_investment_yoy_pct"}


@pytest.fixture(scope="module")
def mart(sample_pipeline):
    con = duckdb.connect(str(sample_pipeline.warehouse), read_only=True)
    yield con
    con.close()


def test_the_growth_kpis_declare_drivers():
    assert {k.code for k in catalogue().kpis if k.drivers} == GROWTH_KPIS


def test_contributions_add_up_to_the_growth_rate(mart):
    """Each member's change over the base, summed over everyone who raised or lowered it, is the rate."""
    rates = mart.execute("SELECT period, kpi_code, value FROM mart.half_year_kpis "
                         "WHERE list_contains(?, kpi_code) AND value IS NOT NULL", [sorted(GROWTH_KPIS)]).fetchall()
    assert {code for _, code, _ in rates} == GROWTH_KPIS and {p for p, _, _ in rates} >= {"2020H1", "2020H2"}
    for period, code, rate in rates:
        drivers = read_drivers(mart, period, code)
        total = sum(d.contribution_pp for d in drivers if d.rank == 0 and d.kind in ("raised", "lowered"))
        assert total == pytest.approx(rate, abs=5e-7), (period, code)  # the mart keeps 6 decimals


def test_members_are_ranked_within_their_kind(mart):
    for period, code in mart.execute("SELECT DISTINCT period, kpi_code FROM mart.kpi_drivers").fetchall():
        by_kind = defaultdict(list)
        for d in read_drivers(mart, period, code):
            by_kind[d.kind].append(d)
        for kind, rows in by_kind.items():
            whole, members = rows[0], rows[1:]
            assert whole.rank == 0 and [d.rank for d in members] == list(range(1, len(members) + 1))
            assert len(members) <= 5 and whole.members >= len(members)
            if kind == "raised":
                assert all(d.contribution_pp > 0 for d in members)
                assert [d.contribution_pp for d in members] == sorted((d.contribution_pp for d in members), reverse=True)
            if kind == "lowered":
                assert all(d.contribution_pp < 0 for d in members)
                assert [d.contribution_pp for d in members] == sorted(d.contribution_pp for d in members)
            if kind == "largest":
                assert whole.share_pct == pytest.approx(sum(d.share_pct for d in members))
                assert [d.amount for d in members] == sorted((d.amount for d in members), reverse=True)
            assert all(d.member_name for d in members), (period, code, kind)


def test_entered_and_left_are_the_changes_of_the_above_scale_set(mart):
    """Recounted from the facts, independently of the drivers SQL: above scale in some month of 2020H1
    and in none of 2019H1 (entered), or the other way round (left)."""
    def above_scale(first, last):
        return {u for (u,) in mart.execute("SELECT DISTINCT uscc FROM main.fact_enterprise_month "
                                           "WHERE is_above_scale AND month_key BETWEEN ? AND ?", [first, last]).fetchall()}
    now, before = above_scale(202001, 202006), above_scale(201901, 201906)
    drivers = read_drivers(mart, "2020H1", "taxable_sales_yoy_pct")
    wholes = {d.kind: d for d in drivers if d.rank == 0}
    assert wholes["entered"].members == len(now - before) > 0
    assert wholes["left"].members == len(before - now) > 0
    assert {d.member_key for d in drivers if d.kind == "entered" and d.rank > 0} <= now - before
    assert {d.member_key for d in drivers if d.kind == "left" and d.rank > 0} <= before - now


def test_make_explain_prints_the_strongest_driver_and_the_table(sample_pipeline, capsys):
    assert main(["explain", "--kpi", "taxable_sales_yoy_pct", "--period", "2020H1",
                 "--warehouse", str(sample_pipeline.warehouse)]) == 0
    out = capsys.readouterr().out
    with duckdb.connect(str(sample_pipeline.warehouse), read_only=True) as con:
        strongest = read_drivers(con, "2020H1", "taxable_sales_yoy_pct")
    rate = next(d for d in strongest if d.rank == 0 and d.kind == "lowered")  # the rate fell in 2020H1
    top = next(d for d in strongest if d.rank == 1 and d.kind == "lowered")
    assert rate.contribution_pp < 0 and f"主要受{top.member_name}" in out and "拖累" in out
    assert "拉动增长最多" in out and "新进入统计范围" in out and "规模最大的五个" in out


def test_explain_refuses_a_kpi_without_drivers(sample_pipeline, capsys):
    assert main(["explain", "--kpi", "job_fairs", "--period", "2020H1",
                 "--warehouse", str(sample_pipeline.warehouse)]) == 2
    assert "taxable_sales_yoy_pct" in capsys.readouterr().err


@pytest.mark.parametrize("change, message", [
    ({"drivers": "marts/drivers/no_such.sql"}, "drivers: no SQL file sql/marts/drivers/no_such.sql"),
    ({"grains": ["month"]}, "drivers are kept for half-years"),
])
def test_a_drivers_mistake_is_named(tmp_path, change, message):
    from town_industry.contracts.kpis import CATALOGUE

    raw = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))
    kpi = next(k for k in raw["kpis"] if k["code"] == "taxable_sales_yoy_pct")
    kpi.update(change)
    path = tmp_path / "kpis.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        catalogue(path)


def test_the_macros_give_the_rate_over_any_span(mart):
    """Each member's part, summed, is the growth of any run of months: here a single month's, against the
    monthly KPIs the mart computed by their own SQL."""
    monthly = dict(mart.execute("SELECT kpi_code, value FROM mart.monthly_kpis WHERE month = '2020-04'").fetchall())
    calls = {"taxable_sales_yoy_pct": "mart.enterprise_drivers('taxable_sales', 202004, 202004)",
             "gross_output_yoy_pct": "mart.enterprise_drivers('gross_output', 202004, 202004)"}
    for code, call in calls.items():
        rate = mart.execute(f"SELECT (sum(comparable) / sum(comparable_year_before) - 1) * 100 FROM {call}").fetchone()[0]
        assert float(rate) == pytest.approx(monthly[code], abs=5e-7), code  # the mart keeps 6 decimals
