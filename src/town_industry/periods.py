"""Months and report periods: every computation on periods in one place.

A data month is written ``'YYYY-MM'`` (``'2020-04'``), and the warehouse keys a month as the integer
``yyyymm`` (``month_key``). A *report period* is what a work report covers: a half-year ``'YYYYH1'``
(January-June) or ``'YYYYH2'`` (July-December), or a full year ``'YYYYFY'`` (January-December, the
year's 工作总结). The KPI mart computes its half-year-grain KPIs for every report period. Airflow hands
tasks moments in time; ``run_month`` turns the moment a run is for into its data month (see
``orchestration.timetable``).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from pendulum import UTC, DateTime


def parse_month(month: str) -> tuple[int, int]:
    """'2020-04' -> (2020, 4)."""
    year, mon = month.split("-")
    return int(year), int(mon)


def month_label(year: int, mon: int) -> str:
    return f"{year:04d}-{mon:02d}"


def month_key(month: str) -> int:
    """'2020-04' -> 202004, the warehouse's key of a month."""
    year, mon = parse_month(month)
    return year * 100 + mon


def month_number(month: str) -> int:
    """'2020-04' -> 4."""
    return parse_month(month)[1]


def year_of(period: str) -> int:
    """The year of a month ('2020-04') or a report period ('2020H1', '2020FY')."""
    return int(period[:4])


def shift_month(month: str, months: int) -> str:
    """The month ``months`` later (earlier when negative): shift_month('2020-01', -12) == '2019-01'."""
    year, mon = parse_month(month)
    index = year * 12 + mon - 1 + months
    return month_label(index // 12, index % 12 + 1)


def months_between(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last``, both included."""
    if parse_month(first) > parse_month(last):
        raise ValueError(f"{first} is after {last}")
    months = [first]
    while months[-1] != last:
        months.append(shift_month(months[-1], 1))
    return months


def first_date(month: str) -> date:
    year, mon = parse_month(month)
    return date(year, mon, 1)


def sql_params(month: str) -> dict:
    """The parameters every month-keyed SQL model and check may use: $month (its first day), $month_key,
    $month_label."""
    return {"month": first_date(month), "month_key": month_key(month), "month_label": month}


# ---- report periods: half-years and full years -----------------------------------------------

_REPORT_PERIOD = re.compile(r"(\d{4})(H1|H2|FY)")
# The months of each kind of report period, as (first, last) month numbers.
_PERIOD_MONTHS = {"H1": (1, 6), "H2": (7, 12), "FY": (1, 12)}
# The order a year's reports are written in: the full year's summary after its second half-year.
_PERIOD_ORDER = ("H1", "H2", "FY")


def _report_period(period: str) -> tuple[int, str] | None:
    """'2020H1' -> (2020, 'H1'); None for anything else (a month, a typo)."""
    match = _REPORT_PERIOD.fullmatch(period)
    return (int(match.group(1)), match.group(2)) if match else None


def is_report_period(period: str) -> bool:
    return _report_period(period) is not None


def is_half_year(period: str) -> bool:
    parsed = _report_period(period)
    return parsed is not None and parsed[1] != "FY"


def is_full_year(period: str) -> bool:
    parsed = _report_period(period)
    return parsed is not None and parsed[1] == "FY"


def check_report_period(period: str) -> str:
    """``period`` itself if it names a report period; else a ValueError saying what one looks like."""
    if not is_report_period(period):
        raise ValueError(f"{period!r} is not a report period: write a half-year (2020H1, 2020H2) or a full "
                         "year (2020FY)")
    return period


def half_year_of(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year}H{1 if mon <= 6 else 2}"


def full_year_of(month: str) -> str:
    return f"{parse_month(month)[0]}FY"


def report_periods_of(month: str) -> list[str]:
    """The report periods a month belongs to: its half-year and its year."""
    return [half_year_of(month), full_year_of(month)]


def report_period_months(period: str) -> list[str]:
    """Every month of a half-year or full year, in order."""
    year, kind = _report_period(check_report_period(period))
    first, last = _PERIOD_MONTHS[kind]
    return [month_label(year, m) for m in range(first, last + 1)]


def half_year_months(period: str) -> list[str]:
    if not is_half_year(period):
        raise ValueError(f"{period!r} is not a half-year (2020H1, 2020H2)")
    return report_period_months(period)


def report_periods_in(period: str) -> list[str]:
    """The report periods a report covers: a half-year itself; a year its two half-years and itself."""
    year, kind = _report_period(check_report_period(period))
    return [f"{year}H1", f"{year}H2", period] if kind == "FY" else [period]


def report_period_order(period: str) -> tuple[int, int]:
    """Sort key: by year, then H1, H2, FY (sorting the names would put 2020FY before 2020H1)."""
    year, kind = _report_period(check_report_period(period))
    return year, _PERIOD_ORDER.index(kind)


def next_report_period(period: str) -> str:
    """The period a report's plans are for: 2020H1 -> 2020H2, 2020H2 -> 2021H1, 2020FY -> 2021FY."""
    year, kind = _report_period(check_report_period(period))
    return {"H1": f"{year}H2", "H2": f"{year + 1}H1", "FY": f"{year + 1}FY"}[kind]


def last_month(period: str) -> str:
    """The last month of a report period, or the month itself."""
    return report_period_months(period)[-1] if is_report_period(period) else period


def period_months(period: str, lookback_months: int = 0) -> list[str]:
    """The months of a report period or of a month, preceded by the ``lookback_months`` before its first."""
    months = report_period_months(period) if is_report_period(period) else [period]
    return [shift_month(months[0], -n) for n in range(lookback_months, 0, -1)] + months


def period_bounds(period: str) -> tuple[int, int]:
    """(first, last) month keys of a report period or a month."""
    months = period_months(period)
    return month_key(months[0]), month_key(months[-1])


# ---- moments (Airflow's dates, UTC) ------------------------------------------------------------

def month_start(moment: datetime) -> DateTime:
    moment = moment.astimezone(UTC)
    return DateTime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> DateTime:
    """The first moment of the month after the one ``start`` lies in."""
    start = month_start(start)
    return DateTime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def first_day(month: str) -> DateTime:
    """The first moment of ``month`` (UTC): a run's logical date."""
    year, mon = parse_month(month)
    return DateTime(year, mon, 1, tzinfo=UTC)


def run_month(logical_date: datetime | None, data_interval_start: datetime | None) -> str:
    """'YYYY-MM' of the month a run processes: the month of its logical date (a manual run's data
    interval ends at the trigger time, whatever logical date was asked for)."""
    moment = logical_date or data_interval_start
    if moment is None:
        raise ValueError("a run needs a logical date or a data interval to know its month")
    return month_start(moment).strftime("%Y-%m")


def delivery_deadline(month: str, deadline_days: float) -> DateTime:
    """When the month's file is due: the end of the month plus the source's arrival_deadline_days."""
    return next_month(first_day(month)) + timedelta(days=deadline_days)
