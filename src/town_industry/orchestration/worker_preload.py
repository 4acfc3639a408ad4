"""Imported once by each Celery worker before it forks its pool (orchestration/celery_config.py).

Each task process is forked from a pool process of its worker, so every task starts with Airflow's task
runner, Great Expectations, pandas and DuckDB already imported. Without it each
validate_file task imported them anew: about 2.5 s of CPU a task, half of a backfill's time on 2 cores.
"""
import logging

# GX logs ~200 "Skipping registering function ..." lines at import time.
logging.getLogger("great_expectations._docs_decorators").setLevel(logging.WARNING)

import airflow.sdk.execution_time.task_runner  # noqa: E402,F401
import great_expectations  # noqa: E402,F401

import town_industry.ingest.expectations  # noqa: E402,F401  (the custom expectations, registered with GX)
import town_industry.ingest.validation  # noqa: E402,F401
import town_industry.orchestration.ingest_tasks  # noqa: E402,F401
import town_industry.warehouse.load  # noqa: E402,F401
