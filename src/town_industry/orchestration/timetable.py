"""When an ingestion run starts, and which data month it processes (``periods.run_month``).

A run is for one data month. Scheduled and backfill runs have that month as their data interval
and their logical date is its first day. Airflow 3 gives a *manual* run the data interval of the
trigger time, whatever logical date was asked for, so the month is read from the logical date:

    airflow dags trigger ingest_investment_monthly --logical-date 2020-07-01T00:00:00+00:00

processes 2020-07 (any moment of the month will do). A manual run with no logical date processes
the latest complete month.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pendulum import UTC, DateTime

from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction, Timetable

from town_industry.periods import month_start, next_month


class DataMonthTimetable(Timetable):
    """One run per calendar month (UTC), started when the month ends; the data interval is the month.

    Like ``CronDataIntervalTimetable("0 0 1 * *")`` with one difference: with ``catchup=False``
    (switching the DAG on, or after the scheduler was down) it never starts a run for a month whose
    delivery deadline has already passed. Such a run could only fail for a missing file; months that
    old are history, loaded by a backfill. A month still inside its deadline is run at once.
    """

    description = "monthly, after the month ends"

    def __init__(self, deadline_days: float = 0):
        self.deadline_days = deadline_days

    @property
    def summary(self) -> str:
        return f"monthly (file due {self.deadline_days:g} days after the month)"

    def serialize(self) -> dict[str, Any]:
        return {"deadline_days": self.deadline_days}

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> Timetable:
        return cls(float(data["deadline_days"]))  # declarations may give fractions of a day

    def infer_manual_data_interval(self, *, run_after: DateTime) -> DataInterval:
        end = month_start(run_after)  # the latest complete month
        return DataInterval(start=month_start(end - timedelta(days=1)), end=end)

    def earliest_month_to_schedule(self, now: datetime) -> DateTime:
        """With catchup off: the last complete month while its file may still arrive, else the month in progress."""
        current = month_start(now)
        previous = month_start(current - timedelta(days=1))
        return previous if now < current + timedelta(days=self.deadline_days) else current

    def next_dagrun_info(self, *, last_automated_data_interval: DataInterval | None,
                         restriction: TimeRestriction) -> DagRunInfo | None:
        candidates = []
        if last_automated_data_interval is not None:
            candidates.append(month_start(last_automated_data_interval.end))
        if restriction.earliest is not None:
            earliest = month_start(restriction.earliest)
            candidates.append(earliest if earliest == restriction.earliest else next_month(earliest))
        if not restriction.catchup:
            candidates.append(self.earliest_month_to_schedule(DateTime.now(UTC)))
        if not candidates:
            return None
        start = max(candidates)
        if restriction.latest is not None and start > restriction.latest:
            return None
        return DagRunInfo.interval(start=start, end=next_month(start))
