"""``make sql``: query the published copy of the warehouse (read-only; never blocks a load).

    make sql                                   # a prompt: statements end with ';', Ctrl-D quits
    make sql Q="FROM mart.half_year_kpis"      # one statement, printed as a table

(``town-industry sql``; it opens ``db.read()``, the published copy.)
"""
from __future__ import annotations

import sys

import duckdb


def run(con: duckdb.DuckDBPyConnection, statement: str, out=sys.stdout) -> None:
    try:
        relation = con.sql(statement)
        if relation is not None:
            out.write(str(relation))
    except duckdb.Error as exc:
        out.write(f"Error: {exc}\n")


def prompt(con: duckdb.DuckDBPyConnection) -> None:
    buffer: list[str] = []
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            sys.stdout.write("sql> " if not buffer else " ..> ")
            sys.stdout.flush()
        line = sys.stdin.readline()
        if not line:
            break
        buffer.append(line)
        if line.rstrip().endswith(";"):
            run(con, "".join(buffer))
            buffer = []
    if "".join(buffer).strip():
        run(con, "".join(buffer))
