"""Monthly ingestion: one DAG per source declared in include/sources/*.yml.

A run is for one data month: the month of its logical date (a scheduled or backfill run's data
interval; for a manual run, the logical date asked for). It starts after the month ends, then:

    wait_for_file  ->  validate_file  ->  load_month
    (until M's file    (GX suite; no        (one DuckDB transaction in the
     arrives or the     warehouse access)    one-slot writer pool; publishes
     deadline passes)                        the read-only copy for readers)

Why one DAG per source: each office delivers on its own schedule, so a late
file holds back only its own source, and each source backfills on its own.
For the same reason a broken declaration drops only its own DAG: the valid (and
enabled) sources get theirs, and each broken one is logged at ERROR and warned
about here, and shown in the UI's import errors by dags/declaration_errors.py.
"""
from __future__ import annotations

import logging
import warnings
from datetime import datetime, timedelta

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG, Asset, task

from town_industry import settings
from town_industry.contracts.sources import DeclarationWarning, declaration_errors, declared_sources
from town_industry.orchestration import alerts, ingest_tasks as tasks
from town_industry.orchestration.timetable import DataMonthTimetable
from town_industry.periods import run_month
from town_industry.settings import WRITER_POOL, WRITER_QUEUE

for error in declaration_errors():
    logging.getLogger(__name__).error("declaration left out, its source has no DAG:\n%s", error)
    with warnings.catch_warnings():
        warnings.simplefilter("always", DeclarationWarning)  # whatever filters the process runs with
        warnings.warn(str(error), DeclarationWarning, stacklevel=1)  # DagBag.captured_warnings keeps it

for source in declared_sources():
    with DAG(
        dag_id=f"ingest_{source.name}",
        description=f"{source.title}: validate and load one month's file",
        doc_md=f"### {source.title} (`{source.name}`)\n\n{source.description}\n\n"
               f"Declared in `include/sources/{source.name}.yml`; suite `expectations/suites/{source.name}.json`. "
               f"Due {source.arrival_deadline_days:g} days after the month ends"
               + (" (optional: a month without a file is skipped, not failed)." if source.optional else "."),
        schedule=DataMonthTimetable(deadline_days=source.arrival_deadline_days),
        start_date=datetime(2019, 1, 1),
        catchup=False,  # history is loaded by backfills (make run / airflow backfill create)
        max_active_runs=1,
        tags=["ingest", source.name],
        default_args={"owner": source.owner, "retries": 2, "retry_delay": settings.retry_delay(minutes=5),
                      "on_failure_callback": alerts.on_failure},  # one alert per failed run
    ) as dag:
        wait_for_file = PythonSensor(
            task_id="wait_for_file",
            python_callable=tasks.file_has_arrived,
            op_kwargs={"source_name": source.name},
            mode="reschedule",  # frees its worker slot between checks
            poke_interval=settings.file_poke_interval(),
            timeout=timedelta(days=source.arrival_deadline_days + 62),  # the deadline check fails it first
        )

        @task(retries=0)  # a rejected file will not improve by retrying
        def validate_file(source_name: str, logical_date=None, data_interval_start=None) -> dict:
            return tasks.validate(source_name, run_month(logical_date, data_interval_start))

        @task(pool=WRITER_POOL, queue=WRITER_QUEUE, outlets=[Asset(f"warehouse_{source.name}")])
        def load_month(verdict: dict, run_id=None) -> dict:
            return tasks.load(verdict, run_id)

        verdict = validate_file(source.name)
        wait_for_file >> verdict  # validation only starts once the file is there
        load_month(verdict)
