"""Airflow plugin: registers the project's timetable so the scheduler can (de)serialise the ingest DAGs.

The logic lives in the installed ``town_industry`` package (``src/``).
"""
from airflow.plugins_manager import AirflowPlugin

from town_industry.orchestration.timetable import DataMonthTimetable


class TownIndustryPlugin(AirflowPlugin):
    name = "town_industry"
    timetables = [DataMonthTimetable]
