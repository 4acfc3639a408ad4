"""Schemas, meta tables, reference dimensions and staging tables: created when missing."""
from __future__ import annotations

import duckdb

from town_industry.contracts.industry import dim_industry_parameters
from town_industry.contracts.sources import STORAGE_TYPES, Source
from town_industry.db import read_sql, run_sql, table_exists, transaction

REFERENCE_DIMENSIONS = (("main.dim_date", "dims/dim_date.sql"), ("main.dim_industry", "dims/dim_industry.sql"))


def staging_ddl(source: Source) -> str:
    columns = [f"    {c.stored_name} {STORAGE_TYPES[c.type]}" for c in source.stored_columns]
    columns += ["    _row INTEGER NOT NULL", "    _file_sha256 VARCHAR NOT NULL"]
    return f"CREATE TABLE IF NOT EXISTS {source.staging_table} (\n" + ",\n".join(columns) + "\n)"


def ensure_schema(con: duckdb.DuckDBPyConnection, sources: tuple[Source, ...]) -> None:
    """Create schemas, meta tables, reference dimensions and staging tables that are missing."""
    with transaction(con):
        con.execute(read_sql("meta/schema.sql"))  # DuckDB runs a multi-statement script
        reference = dim_industry_parameters()
        for table, sql in REFERENCE_DIMENSIONS:
            if not table_exists(con, table):
                run_sql(con, f"CREATE TABLE {table} AS\n{read_sql(sql)}", reference)
        for source in sources:
            con.execute(staging_ddl(source))
