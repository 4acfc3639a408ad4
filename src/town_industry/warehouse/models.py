"""A source's declared models (dimensions and facts), rebuilt for one month from staging."""
from __future__ import annotations

import duckdb

from town_industry import periods
from town_industry.contracts.sources import Source
from town_industry.db import read_sql, run_sql


def scd2_sql(model, select: str) -> str:
    """The type-2 dimension SELECT around a model's month-grain SELECT."""
    from jinja2 import Environment, StrictUndefined

    template = Environment(undefined=StrictUndefined, keep_trailing_newline=True).from_string(
        read_sql("macros/scd2.sql.j2"))
    return template.render(model_sql=select.strip(), key=model.unique_key, tracked=list(model.tracked),
                           surrogate_key=model.surrogate_key)


def build_models(con: duckdb.DuckDBPyConnection, source: Source, month: str) -> None:
    """Rebuild the source's declared models for ``month`` (inside the caller's transaction)."""
    params = periods.sql_params(month)
    for model in source.models:
        select = read_sql(model.sql)
        if model.materialized == "scd2":
            select = scd2_sql(model, select)
        if model.materialized in ("table", "scd2"):
            run_sql(con, f"CREATE OR REPLACE TABLE {model.table} AS\n{select}", params)
        elif model.materialized == "month_partition":
            run_sql(con, f"CREATE TABLE IF NOT EXISTS {model.table} AS SELECT * FROM (\n{select}\n) WHERE false",
                    params)
            run_sql(con, f"DELETE FROM {model.table} WHERE {model.partition_filter}", params)
            run_sql(con, f"INSERT INTO {model.table} BY NAME\n{select}", params)
        else:
            raise ValueError(f"{source.name}: model {model.table}: unknown materialization {model.materialized!r}")
