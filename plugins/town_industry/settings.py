"""Where things are: project folders and the paths a run is configured with.

``DATA_DIR`` and ``WAREHOUSE`` come from the environment (``make run`` sets them),
so the same DAGs serve the sample data, a test's temporary folder and production.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "sql"
SOURCES_DIR = PROJECT_ROOT / "include" / "sources"
REFERENCE_DIR = PROJECT_ROOT / "include" / "data" / "reference"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

# The one-slot Airflow pool every task that writes DuckDB runs in.
WRITER_POOL = "duckdb_writer"


def data_dir() -> Path:
    """Root of the delivered files: ``DATA_DIR/<source>/<YYYY-MM>.csv|xlsx``."""
    return Path(os.environ.get("DATA_DIR", PROJECT_ROOT / "include" / "data")).resolve()


def warehouse_path() -> Path:
    """The DuckDB file of the star schema."""
    return Path(os.environ.get("WAREHOUSE", PROJECT_ROOT / "build" / "warehouse.duckdb")).resolve()


def reports_dir() -> Path:
    """Where half-year drafts are written: ``REPORTS_DIR/<period>/``."""
    return Path(os.environ.get("REPORTS_DIR", PROJECT_ROOT / "reports")).resolve()


def work_dir() -> Path:
    """Beside the warehouse: landed (validated) batches and rejection reports."""
    return warehouse_path().parent
