"""Report periods: half-years and full years, named, bounded and ordered in one place (periods.py)."""
from __future__ import annotations

import pytest

from town_industry import periods


def test_a_full_year_is_a_report_period_of_twelve_months():
    assert periods.is_full_year("2020FY") and not periods.is_half_year("2020FY")
    assert periods.is_report_period("2020H2") and not periods.is_report_period("2020-06")
    assert periods.report_period_months("2020FY") == periods.months_between("2020-01", "2020-12")
    assert periods.period_bounds("2020FY") == (202001, 202012)
    assert periods.period_bounds("2020H2") == (202007, 202012)
    assert periods.last_month("2020FY") == "2020-12" and periods.last_month("2020-04") == "2020-04"
    assert periods.period_months("2020FY", 1)[:2] == ["2019-12", "2020-01"]
    assert periods.report_periods_of("2020-03") == ["2020H1", "2020FY"]


def test_report_periods_sort_as_a_year_writes_them_and_plan_for_the_next():
    assert sorted(["2020FY", "2020H2", "2019FY", "2020H1"], key=periods.report_period_order) == \
        ["2019FY", "2020H1", "2020H2", "2020FY"]
    assert [periods.next_report_period(p) for p in ("2020H1", "2020H2", "2020FY")] == ["2020H2", "2021H1", "2021FY"]


@pytest.mark.parametrize("name", ["2020H3", "2020fy", "20FY", "2020-06", "2020 H1", "2020Y"])
def test_a_bad_period_name_is_refused(name):
    assert not periods.is_report_period(name)
    with pytest.raises(ValueError, match="is not a report period"):
        periods.check_report_period(name)
    with pytest.raises(ValueError):
        periods.half_year_months(name)
