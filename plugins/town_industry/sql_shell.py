"""``make sql``: query the published copy of the warehouse (read-only; never blocks a load).

    make sql                                   # a prompt: statements end with ';', Ctrl-D quits
    make sql Q="FROM mart.half_year_kpis"      # one statement, printed as a table
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from town_industry import settings, warehouse


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="the warehouse (default: $WAREHOUSE); its published copy is read")
    parser.add_argument("query", nargs="?", help="one statement; without it, read statements from standard input")
    args = parser.parse_args(argv)
    print(f"-- {settings.published_path(args.warehouse)} (read-only)", file=sys.stderr)
    with warehouse.read(args.warehouse) as con:
        if args.query:
            run(con, args.query)
        else:
            prompt(con)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
