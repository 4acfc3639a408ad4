"""Airflow plugin: registers the project's timetable so the scheduler can (de)serialise the ingest DAGs.

The logic lives in the ``town_industry`` package (ignored by the plugin loader, see .airflowignore).
"""
from airflow.plugins_manager import AirflowPlugin

from town_industry.schedule import DataMonthTimetable


class TownIndustryPlugin(AirflowPlugin):
    name = "town_industry"
    timetables = [DataMonthTimetable]
