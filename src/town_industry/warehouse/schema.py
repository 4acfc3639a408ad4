"""Schemas, meta tables, reference dimensions and staging tables: created when missing."""
from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from town_industry.contracts.dictionary import annotate
from town_industry.contracts.industry import dim_industry_parameters
from town_industry.contracts.sources import STORAGE_TYPES, Source
from town_industry.db import read_sql, run_sql, table_exists, transaction

REFERENCE_DIMENSIONS = (("main.dim_date", "dims/dim_date.sql"), ("main.dim_industry", "dims/dim_industry.sql"))


def staging_ddl(source: Source) -> str:
    columns = [f"    {c.stored_name} {STORAGE_TYPES[c.type]}" for c in source.stored_columns]
    columns += ["    _row INTEGER NOT NULL", "    _file_sha256 VARCHAR NOT NULL"]
    return f"CREATE TABLE IF NOT EXISTS {source.staging_table} (\n" + ",\n".join(columns) + "\n)"


def _reference_digest(sql: str, parameters: dict) -> str:
    """The SQL, the parameters and the content of every reference file they name."""
    h = hashlib.sha256(sql.encode())
    for name, value in sorted(parameters.items()):
        h.update(f"{name}={value}".encode())
        if isinstance(value, str) and value.endswith(".csv"):
            h.update(Path(value).read_bytes())
    return h.hexdigest()


def ensure_schema(con: duckdb.DuckDBPyConnection, sources: tuple[Source, ...]) -> None:
    """Create schemas, meta tables, reference dimensions and staging tables that are missing."""
    with transaction(con):
        con.execute(read_sql("meta/schema.sql"))  # DuckDB runs a multi-statement script
        reference = dim_industry_parameters()
        for table, sql in REFERENCE_DIMENSIONS:
            digest = _reference_digest(read_sql(sql), reference)
            built = con.execute("SELECT digest FROM meta.model_builds WHERE table_name = ?", [table]).fetchall()
            if not table_exists(con, table) or built != [(digest,)]:
                run_sql(con, f"CREATE OR REPLACE TABLE {table} AS\n{read_sql(sql)}", reference)
                con.execute("INSERT OR REPLACE INTO meta.model_builds VALUES (?, ?, now())", [table, digest])
        for source in sources:
            con.execute(staging_ddl(source))
        annotate(con)
