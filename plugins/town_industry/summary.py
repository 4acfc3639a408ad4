"""Print where the warehouse is and what it holds (the end of ``make demo``)."""
from __future__ import annotations

import argparse
from pathlib import Path

from town_industry import settings, warehouse


def summarize(path: Path) -> str:
    published = settings.published_path(path)
    lines = [f"Warehouse (the loads' own file): {path}", f"Published copy for readers:     {published}", ""]
    with warehouse.read(path) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' ORDER BY table_schema, table_name").fetchall()
        lines.append("Tables (rows):")
        for schema, name in tables:
            rows = con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
            lines.append(f"  {schema}.{name:<28} {rows:>8}")
        lines += ["", "Files by source and status:"]
        for source, status, files, months in con.execute(
            "SELECT source, status, count(*), min(month) || ' .. ' || max(month) FROM meta.file_loads "
            "GROUP BY ALL ORDER BY ALL").fetchall():
            lines.append(f"  {source:<22} {status:<10} {files:>4} files  {months}")
        warnings = con.execute("SELECT count(*) FROM meta.dq_issues WHERE severity = 'warning'").fetchone()[0]
        lines += ["", f"Data-quality warnings recorded: {warnings} (meta.dq_issues)",
                  "", "Query it:  make sql   (or any DuckDB client, read-only, on the published copy)"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--warehouse", type=Path, required=True)
    print(summarize(parser.parse_args().warehouse))


if __name__ == "__main__":
    main()
