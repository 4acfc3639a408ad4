"""A warehouse's fingerprint: one digest per data table, independent of row order and load history.

The warehouse is a function of the set of delivered files: two warehouses built from the same files
(in any order, after a kill and a rerun, or rebuilt from the archive) have the same fingerprint.
``meta`` (the load log, with its times) is not part of it.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

DATA_SCHEMAS = ("main", "staging")  # the star schema and the staged files
ALL_SCHEMAS = (*DATA_SCHEMAS, "mart")  # with the KPI mart built from them


def fingerprint(warehouse: Path, schemas: tuple[str, ...] = DATA_SCHEMAS) -> dict[str, str]:
    """``{schema.table: sha256 of its sorted rows}`` for every base table of ``schemas``."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN (SELECT unnest(?)) AND table_type = 'BASE TABLE' ORDER BY 1",
            [list(schemas)]).fetchall()
        digests = {}
        for (table,) in tables:
            rows = sorted(repr(r) for r in con.execute(f"FROM {table}").fetchall())
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        return digests
    finally:
        con.close()
