"""Validated batches, handed from the validate task to the load task as Parquet files.

A batch is written with the warehouse's own column types (exact decimals), so the
load task only copies it into staging: nothing is parsed twice.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from town_industry.contracts.sources import STORAGE_TYPES, Source
from town_industry.ingest.personal import hmac_key, pseudonym
from town_industry.ingest.readers import ROW


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _stored_texts(values: pd.Series, column) -> list[str | None]:
    """Cell values as text for the batch; ID numbers replaced by their keyed pseudonym."""
    if column.personal == "id_number":
        key = hmac_key()
        return [None if v is None else pseudonym(v, key) for v in values]
    return [_as_text(v) for v in values]


def _cast(column: str, column_type: str) -> str:
    text = f'"{column}"'
    if column_type in ("text", "category"):
        return f"CAST({text} AS VARCHAR) AS {column}"
    if column_type == "month":
        return f"CAST({text} || '-01' AS DATE) AS {column}"
    return f"CAST({text} AS {STORAGE_TYPES[column_type]}) AS {column}"


def write_batch(frame: pd.DataFrame, source: Source, sha256: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    texts = pd.DataFrame({c.stored_name: _stored_texts(frame[c.name], c) for c in source.stored_columns},
                         dtype=object)
    texts[ROW] = frame[ROW].astype("int64").to_numpy()
    casts = ",\n    ".join(_cast(c.stored_name, c.type) for c in source.stored_columns)
    tmp = path.with_suffix(".tmp")
    con = duckdb.connect()
    try:
        con.register("batch", texts)
        con.execute(
            f"COPY (SELECT\n    {casts},\n    CAST({ROW} AS INTEGER) AS _row,\n    ? AS _file_sha256\n"
            f"FROM batch ORDER BY _row) TO '{str(tmp).replace(chr(39), chr(39) * 2)}' (FORMAT parquet)",
            [sha256],
        )
    finally:
        con.close()
    tmp.replace(path)  # a batch file is either complete or absent
    return path
