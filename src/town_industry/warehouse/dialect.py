"""SQLAlchemy on the warehouse with reflection that works: the ``duckdb+warehouse://`` URL.

duckdb-engine reflects through PostgreSQL's catalogue, which DuckDB only imitates: with the pinned
SQLAlchemy 2.1 column reflection queries ``pg_catalog.pg_collation`` and primary keys cast to ``REGCLASS``,
neither of which DuckDB has (duckdb_engine issues #1379, #1391; duckdb issue #22069), so what a BI tool
does first (``inspect(engine).get_columns``, ``Table(..., autoload_with=engine)``) fails. This dialect is
duckdb-engine's for everything else and reflects from DuckDB's own catalogue functions instead
(``duckdb_columns()``, ``duckdb_constraints()``, ``duckdb_tables()``, ``duckdb_views()``), comments
included. It is registered as an entry point of this package (pyproject.toml), so
``create_engine("duckdb+warehouse:////abs/path/warehouse.duckdb?access_mode=read_only")`` finds it
wherever the package is installed.
"""
from __future__ import annotations

import re
from typing import Any

from duckdb_engine import Dialect as DuckDBDialect
from sqlalchemy import bindparam, text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine.reflection import ObjectKind, ObjectScope

SIMPLE_TYPES = {
    "BOOLEAN": sqltypes.Boolean, "TINYINT": sqltypes.SmallInteger, "SMALLINT": sqltypes.SmallInteger,
    "INTEGER": sqltypes.Integer, "BIGINT": sqltypes.BigInteger, "HUGEINT": sqltypes.Numeric,
    "UTINYINT": sqltypes.SmallInteger, "USMALLINT": sqltypes.Integer, "UINTEGER": sqltypes.BigInteger,
    "UBIGINT": sqltypes.Numeric, "FLOAT": sqltypes.Float, "DOUBLE": sqltypes.Double, "VARCHAR": sqltypes.String,
    "DATE": sqltypes.Date, "TIME": sqltypes.Time, "TIMESTAMP": sqltypes.DateTime, "BLOB": sqltypes.LargeBinary,
    "INTERVAL": sqltypes.Interval, "UUID": sqltypes.Uuid, "JSON": sqltypes.JSON,
}
DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


def column_type(duckdb_type: str) -> sqltypes.TypeEngine:
    """The SQLAlchemy type of a DuckDB column type (``DECIMAL(18,6)`` -> ``Numeric(18, 6)``)."""
    if match := DECIMAL.fullmatch(duckdb_type):
        return sqltypes.Numeric(int(match.group(1)), int(match.group(2)))
    if duckdb_type.endswith("[]"):
        return sqltypes.ARRAY(column_type(duckdb_type[:-2]))
    if duckdb_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return sqltypes.DateTime(timezone=True)
    simple = SIMPLE_TYPES.get(duckdb_type)
    return simple() if simple else sqltypes.NullType()


class WarehouseDialect(DuckDBDialect):
    supports_statement_cache = False
    supports_comments = True

    # ---- names: the default schema's when none is given, as SQLAlchemy means it ----------------------

    def _where(self, schema: str | None, filter_names, name_column: str) -> tuple[str, dict]:
        database, schema_name = self.identifier_preparer._separate(schema) if schema else (None, None)
        sql = " AND schema_name = coalesce(:schema_name, current_schema())"
        params: dict[str, Any] = {"schema_name": schema_name}
        sql += " AND database_name = coalesce(:database_name, current_database())"
        params["database_name"] = database
        if filter_names:
            sql += f" AND {name_column} IN :names"
            params["names"] = list(filter_names)
        return sql, params

    def _query(self, connection, sql: str, schema, filter_names, name_column: str):
        where, params = self._where(schema, filter_names, name_column)
        statement = text(sql + where)
        if filter_names:
            statement = statement.bindparams(bindparam("names", expanding=True))
        return connection.execute(statement, params).mappings().all()

    def get_schema_names(self, connection, **kw):
        """The warehouse's schemas (main, mart, meta, staging), not every attached catalogue's."""
        rows = connection.execute(text("SELECT schema_name FROM duckdb_schemas() WHERE schema_name NOT IN "
                                       "('information_schema', 'pg_catalog') AND "
                                       "database_name = current_database() ORDER BY 1")).all()
        return [name for (name,) in rows]

    def get_table_names(self, connection, schema=None, **kw):
        rows = self._query(connection, "SELECT table_name FROM duckdb_tables() WHERE NOT internal", schema, None, "")
        return [row["table_name"] for row in rows]

    def get_view_names(self, connection, schema=None, **kw):
        rows = self._query(connection, "SELECT view_name FROM duckdb_views() WHERE NOT internal", schema, None, "")
        return [row["view_name"] for row in rows]

    def _relations(self, connection, schema, filter_names, kind) -> set[str]:
        names: set[str] = set()
        if ObjectKind.TABLE in kind:
            names |= set(self.get_table_names(connection, schema))
        if ObjectKind.VIEW in kind or ObjectKind.MATERIALIZED_VIEW in kind:
            names |= set(self.get_view_names(connection, schema))
        return {n for n in names if not filter_names or n in filter_names}

    # ---- reflection from DuckDB's own catalogue ------------------------------------------------------

    def get_multi_columns(self, connection, schema=None, filter_names=None, scope=ObjectScope.DEFAULT,
                          kind=ObjectKind.TABLE, **kw):
        wanted = self._relations(connection, schema, filter_names, kind)
        rows = self._query(connection, "SELECT table_name, column_name, data_type, is_nullable, column_default, "
                           "comment FROM duckdb_columns() WHERE NOT internal", schema, filter_names, "table_name")
        columns: dict[tuple, list] = {(schema, name): [] for name in wanted}
        for row in sorted(rows, key=lambda r: r["table_name"]):
            if row["table_name"] not in wanted:
                continue
            columns[(schema, row["table_name"])].append({
                "name": row["column_name"], "type": column_type(row["data_type"]), "nullable": row["is_nullable"],
                "default": row["column_default"], "autoincrement": False, "comment": row["comment"] or None})
        return columns.items()

    def _constraints(self, connection, schema, filter_names, constraint_type: str):
        return self._query(connection, "SELECT table_name, constraint_name, constraint_column_names, "
                           "referenced_table, referenced_column_names, expression FROM duckdb_constraints() "
                           f"WHERE constraint_type = '{constraint_type}'", schema, filter_names, "table_name")

    def get_multi_pk_constraint(self, connection, schema=None, filter_names=None, scope=ObjectScope.DEFAULT,
                                kind=ObjectKind.TABLE, **kw):
        wanted = self._relations(connection, schema, filter_names, kind)
        keys = {(schema, name): {"constrained_columns": [], "name": None} for name in wanted}
        for row in self._constraints(connection, schema, filter_names, "PRIMARY KEY"):
            if row["table_name"] in wanted:
                keys[(schema, row["table_name"])] = {"constrained_columns": list(row["constraint_column_names"]),
                                                     "name": row["constraint_name"]}
        return keys.items()

    def _constraint_lists(self, connection, schema, filter_names, kind, constraint_type: str, entry):
        """(schema, table) -> [entry(row) for each constraint of that type on the table]."""
        wanted = self._relations(connection, schema, filter_names, kind)
        found: dict[tuple, list] = {(schema, name): [] for name in wanted}
        for row in self._constraints(connection, schema, filter_names, constraint_type):
            if row["table_name"] in wanted:
                found[(schema, row["table_name"])].append(entry(row))
        return found.items()

    def get_multi_foreign_keys(self, connection, schema=None, filter_names=None, scope=ObjectScope.DEFAULT,
                               kind=ObjectKind.TABLE, **kw):
        return self._constraint_lists(connection, schema, filter_names, kind, "FOREIGN KEY", lambda row: {
            "name": row["constraint_name"], "constrained_columns": list(row["constraint_column_names"]),
            "referred_schema": schema, "referred_table": row["referenced_table"],
            "referred_columns": list(row["referenced_column_names"] or []), "options": {}})

    def get_multi_unique_constraints(self, connection, schema=None, filter_names=None, scope=ObjectScope.DEFAULT,
                                     kind=ObjectKind.TABLE, **kw):
        return self._constraint_lists(connection, schema, filter_names, kind, "UNIQUE", lambda row: {
            "name": row["constraint_name"], "column_names": list(row["constraint_column_names"])})

    def get_multi_check_constraints(self, connection, schema=None, filter_names=None, scope=ObjectScope.DEFAULT,
                                    kind=ObjectKind.TABLE, **kw):
        return self._constraint_lists(connection, schema, filter_names, kind, "CHECK", lambda row: {
            "name": row["constraint_name"], "sqltext": row["expression"]})

    def get_multi_indexes(self, connection, schema=None, filter_names=None, scope=ObjectScope.DEFAULT,
                          kind=ObjectKind.TABLE, **kw):
        return [((schema, name), []) for name in self._relations(connection, schema, filter_names, kind)]

    def get_multi_table_comment(self, connection, schema=None, filter_names=None, scope=ObjectScope.DEFAULT,
                                kind=ObjectKind.TABLE, **kw):
        wanted = self._relations(connection, schema, filter_names, kind)
        rows = self._query(connection, "SELECT table_name, comment FROM (SELECT table_name, comment, schema_name, "
                           "database_name FROM duckdb_tables() UNION ALL SELECT view_name, comment, schema_name, "
                           "database_name FROM duckdb_views()) WHERE true", schema, filter_names, "table_name")
        comments = {(schema, name): {"text": None} for name in wanted}
        for row in rows:
            if row["table_name"] in wanted:
                comments[(schema, row["table_name"])] = {"text": row["comment"] or None}
        return comments.items()

    def get_multi_table_options(self, connection, schema=None, filter_names=None, scope=ObjectScope.DEFAULT,
                                kind=ObjectKind.TABLE, **kw):
        return [((schema, name), {}) for name in self._relations(connection, schema, filter_names, kind)]


dialect = WarehouseDialect
