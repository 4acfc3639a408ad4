"""Where things are: project folders and the paths a run is configured with.

``DATA_DIR`` and ``WAREHOUSE`` come from the environment (``make run`` sets them),
so the same DAGs serve the sample data, a test's temporary folder and production.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "sql"
SOURCES_DIR = PROJECT_ROOT / "include" / "sources"
# Classifications shipped with the project (not delivered data, so not under DATA_DIR).
REFERENCE_DIR = PROJECT_ROOT / "include" / "reference"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

# Shortest pause of a rescheduled sensor: a worker takes ~5 s to report a try, and Airflow 3.3's
# scheduler takes a new try queued before that report for a failure (measured under make airflow).
MIN_POKE_INTERVAL = 15.0

# The one-slot Airflow pool every task that writes DuckDB runs in.
WRITER_POOL = "duckdb_writer"
# The Celery queue of the tasks that open the warehouse (load, KPI build, draft): one worker serves it,
# the one that mounts the warehouse (docker-compose.yml). Other tasks go to Airflow's default queue.
WRITER_QUEUE = "warehouse"


# Where Airflow finds the project when a run parses the DAGs in this process (town-industry run, the
# tests): the same defaults the Makefile exports, so the command works when called directly too.
AIRFLOW_DEFAULTS = {
    "AIRFLOW_HOME": str(PROJECT_ROOT / ".airflow"),
    "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
    "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),  # registers the monthly timetable
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "GX_ANALYTICS_ENABLED": "false",
}


def use_project_airflow() -> None:
    """Fill in the Airflow settings above that the environment does not set (call before importing airflow)."""
    for name, value in AIRFLOW_DEFAULTS.items():
        os.environ.setdefault(name, value)


def data_dir() -> Path:
    """Root of the delivered files: ``DATA_DIR/<source>/<YYYY-MM>.csv|xlsx``."""
    return Path(os.environ.get("DATA_DIR", PROJECT_ROOT / "include" / "data")).resolve()


def warehouse_path() -> Path:
    """The DuckDB file of the star schema."""
    return Path(os.environ.get("WAREHOUSE", PROJECT_ROOT / "build" / "warehouse.duckdb")).resolve()


def published_path(warehouse: Path | None = None) -> Path:
    """The read-only copy of the warehouse that readers open (analysts, BI tools, the report draft).

    The writer never opens it: after each commit it copies its own file beside it and renames the copy
    over this path, so a reader holding the previous copy never blocks a load.
    """
    warehouse = warehouse or warehouse_path()
    return warehouse.parent / "published" / warehouse.name


def file_poke_interval() -> float:
    """Seconds between two checks for a month's file that has not arrived (``FILE_POKE_INTERVAL``)."""
    return max(float(os.environ.get("FILE_POKE_INTERVAL", 3600)), MIN_POKE_INTERVAL)


def settle_poke_interval() -> float:
    """Seconds between two checks of the KPI DAG for loads still to come (``KPI_SETTLE_INTERVAL``)."""
    return max(float(os.environ.get("KPI_SETTLE_INTERVAL", 60)), MIN_POKE_INTERVAL)


def retry_delay(minutes: float) -> timedelta:
    """Pause before a failed task's next try: ``minutes`` under the scheduler, ``RETRY_DELAY_SECONDS`` when
    set (``town-industry run`` sets 5: dag.test() waits the pause out, and a person is watching)."""
    seconds = os.environ.get("RETRY_DELAY_SECONDS")
    return timedelta(seconds=float(seconds)) if seconds else timedelta(minutes=minutes)


def reports_dir() -> Path:
    """Where half-year drafts are written: ``REPORTS_DIR/<period>/``."""
    return Path(os.environ.get("REPORTS_DIR", PROJECT_ROOT / "reports")).resolve()


LANGUAGES = ("zh", "en")


def language() -> str:
    """The language of the run summary ``town-industry run`` prints: ``TOWN_INDUSTRY_LANGUAGE``, zh (the
    default) or en. Reports for clerks are always Chinese; meta.dq_issues holds both languages."""
    chosen = os.environ.get("TOWN_INDUSTRY_LANGUAGE", "zh").strip().lower() or "zh"
    if chosen not in LANGUAGES:
        raise ValueError(f"TOWN_INDUSTRY_LANGUAGE must be one of {', '.join(LANGUAGES)}, not {chosen!r}")
    return chosen


def work_dir() -> Path:
    """Landed (validated) batches, rejection reports and alerts: ``WORK_DIR``, else beside the warehouse.

    Validating workers write here and never open the warehouse, so a deployment with several workers
    shares this folder with all of them and the warehouse only with the one that writes it
    (docker-compose.yml)."""
    return Path(os.environ.get("WORK_DIR", warehouse_path().parent)).resolve()


def archive_dir() -> Path:
    """The archive of every delivered file, loaded or rejected: ``ARCHIVE_DIR``, else ``archive/`` beside
    the warehouse. Files in it are named by their SHA-256 and never change (ingest/archive.py)."""
    return Path(os.environ.get("ARCHIVE_DIR", work_dir() / "archive")).resolve()


def file_settle_seconds() -> float:
    """A delivered file is taken only once it has not changed for this long (``FILE_SETTLE_SECONDS``,
    default 30): a file still being copied into the delivery folder is not read half-written.
    ``town-industry run`` (files already in place) defaults it to 0."""
    return max(float(os.environ.get("FILE_SETTLE_SECONDS", 30)), 0.0)
