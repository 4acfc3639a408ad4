"""``make rebuild`` and ``town-industry archive``: the warehouse rebuilt from the archive, and any
delivered version of a file handed back out of it.

The warehouse is a function of the set of files it holds: a rebuild takes, for every source and month,
the file the warehouse currently holds (``meta.current_files``), from the archive, and runs the same
DAGs over them into a new warehouse; then it compares the two fingerprints table by table.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import duckdb

from town_industry import settings
from town_industry.ingest.archive import archive_key, delivered_name, read_archived
from town_industry.warehouse.fingerprint import ALL_SCHEMAS, fingerprint


def ledger_path(warehouse: Path, ledger: Path | None) -> Path:
    """Where the list of current files is read: ``ledger`` (a backup), else the published copy, else
    the warehouse itself."""
    for candidate in (ledger, settings.published_path(warehouse), warehouse):
        if candidate is not None and candidate.exists():
            return candidate
    raise SystemExit(f"no warehouse at {warehouse} (nor a published copy): give --ledger, a backup of it")


def current_files(ledger: Path) -> list[tuple[str, str, str, str | None]]:
    """(source, month, sha256, archived copy) of every source-month the ledger's warehouse holds."""
    con = duckdb.connect(str(ledger), read_only=True)
    try:
        return con.execute("SELECT source, month, sha256, archived_as FROM meta.current_files "
                           "ORDER BY month, source").fetchall()
    finally:
        con.close()


def _seal_key() -> bytes | None:
    from town_industry.ingest.personal import MissingKey, hmac_key

    try:
        return archive_key(hmac_key())
    except MissingKey:
        return None  # fine as long as no sealed file is needed; read_archived says so otherwise


@contextmanager
def delivery_folder(files: list[tuple[str, str, str, str | None]]):
    """A private delivery folder holding each current file under its month's name, out of the archive."""
    missing = [f"{source} {month}" for source, month, _, archived in files if not archived or not Path(archived).exists()]
    if missing:
        raise SystemExit(f"{len(missing)} current file(s) have no archived copy ({', '.join(missing[:5])}"
                         f"{' ...' if len(missing) > 5 else ''}): loads recorded before the archive existed. "
                         "Rerun those months once (make run) to archive them, then rebuild.")
    key = _seal_key()
    folder = Path(tempfile.mkdtemp(prefix="town-industry-rebuild-"))  # owner-only: sealed files open here
    try:
        for source, month, _, archived in files:
            path = Path(archived)
            target = folder / source / (month + Path(delivered_name(path)).suffix)
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(read_archived(path, key))
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _environment(values: dict[str, str]):
    """The runs' settings (read from the environment by the tasks), only while they run: a process that
    rebuilds and goes on, a test for one, keeps its own warehouse and archive afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def rebuild(warehouse: Path, into: Path, ledger: Path | None = None, echo=print) -> bool:
    """Rebuild ``warehouse`` from the archive into ``into``; True when the fingerprints are equal."""
    from town_industry.cli.run import dag_bag, describe, load_dags, run_kpis
    from town_industry.periods import first_day

    source_ledger = ledger_path(warehouse, ledger)
    files = current_files(source_ledger)
    if not files:
        raise SystemExit(f"{source_ledger} holds no loaded file: nothing to rebuild")
    if into.exists():
        raise SystemExit(f"{into} exists: remove it or choose another --into")
    original = fingerprint(source_ledger, ALL_SCHEMAS)
    echo(f"rebuilding {len(files)} source-months listed by {source_ledger} into {into}")
    with delivery_folder(files) as folder, _environment({
            "DATA_DIR": str(folder), "WAREHOUSE": str(into), "FILE_SETTLE_SECONDS": "0",
            "REPORTS_DIR": str(into.parent / "reports"),
            "ARCHIVE_DIR": str(settings.archive_dir())}):  # the same archive: nothing copied twice
        bag = dag_bag()
        dags = {d.dag_id.removeprefix("ingest_"): d for d in load_dags(bag=bag)}
        ok = True
        for month in sorted({m for _, m, _, _ in files}):
            outcomes = [describe(dags[s].test(logical_date=first_day(month)), s) for s, m, _, _ in files if m == month]
            ok &= all(good for good, _ in outcomes)
            echo(f"{month}  " + " | ".join(text for _, text in outcomes))
        first, last = files[0][1], files[-1][1]
        ok &= run_kpis(bag, first, last, echo=lambda _: None)
    rebuilt = fingerprint(into, ALL_SCHEMAS)
    differ = sorted(t for t in original.keys() | rebuilt.keys() if original.get(t) != rebuilt.get(t))
    echo(f"fingerprint: {len(original) - len(differ)} of {len(original)} tables identical"
         + (f"; differ: {', '.join(differ)}" if differ else " (the rebuilt warehouse equals the original)"))
    return ok and not differ


def versions(warehouse: Path, source: str | None, month: str | None) -> list[tuple]:
    """Every archived version (loaded, rejected or unchanged) the load log knows, newest first."""
    con = duckdb.connect(str(ledger_path(warehouse, None)), read_only=True)
    try:
        return con.execute(
            "SELECT source, month, status, sha256, recorded_at, archived_as FROM meta.file_loads "
            "WHERE ($1 IS NULL OR source = $1) AND ($2 IS NULL OR month = $2) AND archived_as IS NOT NULL "
            "QUALIFY row_number() OVER (PARTITION BY source, month, sha256, status ORDER BY recorded_at DESC) = 1 "
            "ORDER BY source, month, recorded_at DESC", [source, month]).fetchall()
    finally:
        con.close()


def take_out(warehouse: Path, sha256: str, out: Path) -> Path:
    """Write the delivered bytes of the archived file ``sha256`` (a prefix will do) to ``out``."""
    matches = {Path(a) for *_, sha, _, a in versions(warehouse, None, None) if sha.startswith(sha256)}
    if len(matches) != 1:
        raise SystemExit(f"{len(matches)} archived files match {sha256!r}: give more of the SHA-256")
    out.write_bytes(read_archived(matches.pop(), _seal_key()))
    return out
