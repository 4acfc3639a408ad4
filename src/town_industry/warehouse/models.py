"""A source's declared models (dimensions and facts), rebuilt for one month from staging."""
from __future__ import annotations

import hashlib

import duckdb

from town_industry import periods, settings
from town_industry.contracts.sources import Model, Source
from town_industry.db import read_sql, run_sql, table_exists


def _render(template: str, model: Model, select: str) -> str:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(settings.SQL_DIR / "macros"), undefined=StrictUndefined,
                      keep_trailing_newline=True)
    return env.get_template(template).render(model_sql=select.strip(), key=model.unique_key, table=model.table,
                                             tracked=list(model.tracked), surrogate_key=model.surrogate_key)


def scd2_sql(model: Model, select: str) -> str:
    """The type-2 dimension SELECT around a model's month-grain SELECT, over every staged month."""
    return _render("scd2.sql.j2", model, select)


def scd2_append_sql(model: Model, select: str) -> str:
    """The MERGE that adds ``$month`` to the built dimension (valid only where ``appends`` says so)."""
    return _render("scd2_append.sql.j2", model, select)


def definition(rebuild_sql: str) -> str:
    """What a full rebuild records in meta.model_builds: the digest of the SQL that built the table."""
    return "scd2 " + hashlib.sha256(rebuild_sql.encode()).hexdigest()[:16]


def appends(con: duckdb.DuckDBPyConnection, source: Source, model: Model, month: str, built_by: str) -> bool:
    """Whether adding ``month`` to the dimension gives the rows a full rebuild would.

    So only when ``month`` is later than every other staged month, and the dimension holds exactly
    those: it was built by today's definition ``built_by`` (a changed model SQL, key, tracked column or
    template is rebuilt), and its latest report is the latest of those months (not ``month`` itself,
    as after a revision of it). A backfill, a revision, a first load or anything else is rebuilt whole.
    """
    built = con.execute("SELECT digest FROM meta.model_builds WHERE table_name = ?", [model.table]).fetchone()
    if built is None or built[0] != built_by or not table_exists(con, model.table):
        return False
    earlier, held = con.execute(
        f"SELECT (SELECT month_key(max({source.month_column})) FROM {source.staging_table} "
        f"WHERE {source.month_column} <> $month), (SELECT max(last_reported_month_key) FROM {model.table})",
        {"month": periods.first_date(month)}).fetchone()
    return earlier is not None and earlier == held and earlier < periods.month_key(month)


def build_models(con: duckdb.DuckDBPyConnection, source: Source, month: str) -> None:
    """Rebuild the source's declared models for ``month`` (inside the caller's transaction)."""
    params = periods.sql_params(month)
    for model in source.models:
        select = read_sql(model.sql)
        if model.materialized == "scd2":
            rebuild = scd2_sql(model, select)
            if appends(con, source, model, month, definition(rebuild)):
                # the monthly case: costs this month's rows, where a rebuild costs every staged month's
                run_sql(con, scd2_append_sql(model, select), params)
            else:
                run_sql(con, f"CREATE OR REPLACE TABLE {model.table} AS\n{rebuild}", params)
                con.execute("INSERT OR REPLACE INTO meta.model_builds VALUES (?, ?, now())",
                            [model.table, definition(rebuild)])
        elif model.materialized == "table":
            run_sql(con, f"CREATE OR REPLACE TABLE {model.table} AS\n{select}", params)
        elif model.materialized == "month_partition":
            run_sql(con, f"CREATE TABLE IF NOT EXISTS {model.table} AS SELECT * FROM (\n{select}\n) WHERE false",
                    params)
            run_sql(con, f"DELETE FROM {model.table} WHERE {model.partition_filter}", params)
            run_sql(con, f"INSERT INTO {model.table} BY NAME\n{select}", params)
        else:
            raise ValueError(f"{source.name}: model {model.table}: unknown materialization {model.materialized!r}")
