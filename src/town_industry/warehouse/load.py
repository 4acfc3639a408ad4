"""Loading one source's month: one transaction from the landed batch to the models and ``meta``."""
from __future__ import annotations

from pathlib import Path

import duckdb

from town_industry import periods
from town_industry.contracts.dictionary import annotate
from town_industry.contracts.findings import ERROR, Finding
from town_industry.contracts.sources import Source
from town_industry.db import run_sql, transaction
from town_industry.faults import pause_point
from town_industry.warehouse.history import history_findings, recheck_later_months
from town_industry.warehouse.meta import LoadRecord, record
from town_industry.warehouse.models import build_models


class HistoryErrors(Exception):
    """The file contradicts what the warehouse holds (e.g. a record already loaded for another month)."""

    def __init__(self, findings: list[Finding]):
        super().__init__(f"{sum(f.severity == ERROR for f in findings)} error(s) against loaded months")
        self.findings = findings


def load_month(con: duckdb.DuckDBPyConnection, source: Source, month: str, landing: Path,
               load: LoadRecord, findings: list[Finding]) -> list[Finding]:
    """Replace ``month`` of ``source`` with the landed batch; returns the history findings added."""
    with transaction(con):
        run_sql(con, f"DELETE FROM {source.staging_table} WHERE {source.month_column} = $month",
                periods.sql_params(month))
        con.execute(f"INSERT INTO {source.staging_table} BY NAME SELECT * FROM read_parquet(?)", [str(landing)])
        added = history_findings(con, source, month)
        if any(f.severity == ERROR for f in added):
            raise HistoryErrors(added)  # rolls the staging change back: the file is rejected
        build_models(con, source, month)
        annotate(con)  # the rebuilt tables' comments (the data dictionary) were dropped with them
        record(con, load, findings + added)
        recheck_later_months(con, source, month)
        pause_point("transaction")  # everything written, nothing committed
    return added
