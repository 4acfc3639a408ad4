"""Connections to the DuckDB warehouse, transactions, and the published copy readers use.

DuckDB allows one writing process per file. A writer that meets another process's lock waits with a
bounded, logged back-off instead of failing; after it closes, a read-only copy is published beside the
file, so readers (analysts, BI tools, the report draft) never block a load nor are blocked by one.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from town_industry import settings

_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_LINE_COMMENT = re.compile(r"--[^\n]*")
log = logging.getLogger(__name__)


def read_sql(relative: str) -> str:
    """The text of a SQL file under ``sql/``."""
    return (settings.SQL_DIR / relative).read_text(encoding="utf-8")


def run_sql(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None):
    """Execute one statement, passing only the ``$named`` parameters it uses."""
    used = set(_PARAM.findall(_LINE_COMMENT.sub("", sql)))  # a $name in a comment is not a parameter
    return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used} or None)


@contextmanager
def connect(path: Path | None = None, read_only: bool = False):
    """A connection to the warehouse, closed on exit.

    A writer (``read_only=False``) that meets a lock held by another process waits for it (see
    ``lock_timeout``), and on exit publishes a read-only copy for readers (see ``publish``). Readers
    should use ``read()``, not this.
    """
    path = path or settings.warehouse_path()
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = _open_waiting_for_lock(path, read_only)
    try:
        yield con
    except BaseException:
        # What was committed before the failure (say, a rejected file's record) is published too.
        if not read_only:
            try:
                publish(con, path)
            except Exception:
                log.exception("could not publish %s after a failed write", path)
        raise
    else:
        if not read_only:
            publish(con, path)
    finally:
        con.close()


@contextmanager
def read(warehouse: Path | None = None):
    """A read-only connection to the warehouse's published copy: it never blocks (nor is blocked by) a load."""
    path = settings.published_path(warehouse)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no published warehouse yet (nothing has been loaded)")
    with connect(path, read_only=True) as con:
        yield con


def lock_timeout() -> float:
    """Seconds a writer waits for another process's lock on the warehouse before it gives up."""
    return float(os.environ.get("WAREHOUSE_LOCK_TIMEOUT", "900"))


def _open_waiting_for_lock(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    # Another process holds the file (a second writer, or a reader that opened the writer's file
    # instead of the published copy): wait for it, doubling the pause up to 30 s, for lock_timeout().
    deadline = time.monotonic() + lock_timeout()
    pause = 0.5
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() + pause > deadline:
                raise
            log.warning("%s is locked by another process; retrying in %.1f s (%s)", path, pause, exc)
            time.sleep(pause)
            pause = min(pause * 2, 30.0)


def publish(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Copy the warehouse to ``published/`` and rename it over the previous copy, atomically.

    Taken after a CHECKPOINT while this process still holds the write lock, so the copy is a
    committed state and no other writer can change the file under it. Readers holding the previous
    copy keep reading it (the rename does not touch their open file); new readers get this one.
    """
    published = settings.published_path(path)
    published.parent.mkdir(parents=True, exist_ok=True)
    con.execute("CHECKPOINT")
    partial = published.with_name(f".{published.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(path, partial)
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, published)
    finally:
        partial.unlink(missing_ok=True)
    return published


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection):
    """BEGIN ... COMMIT, rolled back on any exception: a task is a transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def table_exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, _, name = qualified.rpartition(".")
    return con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema or "main", name],
    ).fetchone()[0] > 0
