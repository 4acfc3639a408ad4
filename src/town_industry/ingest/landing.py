"""Validated batches, handed from the validate task to the load task as Parquet files.

A batch is written with the warehouse's own column types (exact decimals) straight from the
typed rows in DuckDB, so the load task only copies it into staging: nothing is parsed twice.
"""
from __future__ import annotations

from pathlib import Path

from town_industry.contracts.sources import STORAGE_TYPES, Source
from town_industry.faults import pause_point
from town_industry.ingest.parsing import quoted
from town_industry.ingest.personal import hmac_key, pseudonym
from town_industry.ingest.readers import ROW
from town_industry.ingest.validation import TypedRows


def _stored(column) -> str:
    name = f'"{column.name}"'
    if column.personal == "id_number":
        return f'(SELECT p FROM "pseudonyms_{column.name}" WHERE id = {name}) AS "{column.stored_name}"'
    return f'CAST({name} AS {STORAGE_TYPES[column.type]}) AS "{column.stored_name}"'


def _pseudonymise(typed: TypedRows, source: Source, key: bytes) -> None:
    """ID numbers → keyed pseudonyms (HMAC in Python: the key never enters SQL), one table per column."""
    for column in source.stored_columns:
        if column.personal != "id_number":
            continue
        ids = [i for (i,) in typed.con.execute(
            f'SELECT DISTINCT "{column.name}" FROM typed WHERE "{column.name}" IS NOT NULL').fetchall()]
        typed.con.execute(f'CREATE OR REPLACE TEMP TABLE "pseudonyms_{column.name}" (id VARCHAR, p VARCHAR)')
        if ids:
            typed.con.executemany(f'INSERT INTO "pseudonyms_{column.name}" VALUES (?, ?)',
                                  [(i, pseudonym(i, key)) for i in ids])


def write_batch(typed: TypedRows, source: Source, sha256: str, path: Path, key: bytes | None = None) -> Path:
    """The typed rows as the landing batch ``path``; ID numbers pseudonymised with ``key`` (default: the
    configured key; a validation forked from a task gets it from the task, as only the task may ask Airflow)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if any(c.personal == "id_number" for c in source.stored_columns):
        _pseudonymise(typed, source, key or hmac_key())
    columns = ",\n    ".join(_stored(c) for c in source.stored_columns)
    tmp = path.with_suffix(".tmp")
    typed.con.execute(
        f"COPY (SELECT\n    {columns},\n    {ROW},\n    {quoted(sha256)} AS _file_sha256\n"
        f"FROM typed ORDER BY {ROW}) TO {quoted(str(tmp))} (FORMAT parquet)")
    pause_point("landing")
    tmp.replace(path)  # a batch file is either complete or absent
    return path
