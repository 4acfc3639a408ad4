"""Monthly ingest against its floor and its peer, each in a fresh process, all in the same run.

For every size: the pipeline's ingest of one month (``validate`` then ``load``, the DAG's two tasks)
into a warehouse holding 0, 12 and 24 months at that scale (a copy of a prepared warehouse per run, so
every run starts from the same state); DuckDB's own ``read_csv`` of the same file into a fresh file (the
floor); and, at the peer sizes, the usual pandas + GX + ``to_sql`` loader. Ratios are taken within the run.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass

from tools.bench.history import prepared_warehouse
from tools.bench.measure import fresh_dir, median_of, probe
from tools.bench.synthetic import SOURCE, BadRow, month_file

MONTH = "2021-01"  # the month measured; history months are the ones before it
PSEUDONYM_KEY = "bench-key-not-secret"  # enterprise files hold no ID numbers, but load() may ask for the key


@dataclass(frozen=True)
class Case:
    fmt: str
    rows: int
    history: int


def ingest_once(case: Case, seed: int, bad: tuple[BadRow, ...] = (), label: str = "ingest") -> dict:
    """One measured load of the month's file into a copy of the prepared warehouse."""
    work = fresh_dir(label)
    data = work / "data" / SOURCE
    data.mkdir(parents=True)
    (data / f"{MONTH}.{case.fmt}").symlink_to(month_file(case.rows, MONTH, seed, case.fmt, bad))
    warehouse = work / "wh" / "warehouse.duckdb"
    warehouse.parent.mkdir()
    prepared = prepared_warehouse(case.rows, case.history, MONTH, seed)
    if prepared:
        shutil.copyfile(prepared, warehouse)
    env = {"DATA_DIR": str(work / "data"), "WAREHOUSE": str(warehouse), "PERSON_ID_HMAC_KEY": PSEUDONYM_KEY,
           "REPORTS_DIR": str(work / "reports")}
    try:
        return probe("ingest", SOURCE, MONTH, env=env, log_name=label)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def floor_once(rows: int, seed: int) -> dict:
    work = fresh_dir("floor")
    try:
        return probe("floor", month_file(rows, MONTH, seed, "csv"), work / "floor.duckdb")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def peer_once(rows: int, seed: int) -> dict:
    work = fresh_dir("peer")
    try:
        return probe("peer", month_file(rows, MONTH, seed, "csv"), work / "peer.duckdb", MONTH)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def repeat(measure, runs: int, say, what: str) -> dict:
    samples = []
    for k in range(runs):
        samples.append(measure())
        say(f"  {what}: run {k + 1}/{runs} {samples[-1]['work_s']:.2f} s, "
            f"peak {samples[-1]['peak_rss_mb']:.0f} MB")
    return median_of(samples)


def measure_all(sizes: list[int], xlsx_rows: int | None, histories: list[int], peer_sizes: list[int],
                runs: int, peer_runs: int, seed: int, say=print) -> dict:
    """Every ingest, floor and peer figure of the run, with ratios (``compare``)."""
    cases = [Case("csv", n, h) for n in sizes for h in histories]
    if xlsx_rows:
        cases += [Case("xlsx", xlsx_rows, h) for h in histories[:1]]
    say("preparing files and history warehouses (cached under build/bench/cache/)")
    for case in cases:
        month_file(case.rows, MONTH, seed, case.fmt)
        prepared_warehouse(case.rows, case.history, MONTH, seed)
    floors = {}
    for rows in sorted({c.rows for c in cases}):
        floors[rows] = repeat(lambda: floor_once(rows, seed), runs, say, f"floor {rows:,} rows")
    peers = {rows: repeat(lambda: peer_once(rows, seed), peer_runs, say, f"peer {rows:,} rows")
             for rows in peer_sizes}
    ingests = []
    for case in cases:
        what = f"ingest {case.fmt} {case.rows:,} rows, {case.history} months loaded"
        result = repeat(lambda: ingest_once(case, seed), runs, say, what)
        if result.get("status") != "loaded":
            raise RuntimeError(f"{what}: the clean file was not loaded: {result}")
        ingests.append({"format": case.fmt, "rows": case.rows, "history_months": case.history, **result})
    return compare(ingests, floors, peers)


def compare(ingests: list[dict], floors: dict[int, dict], peers: dict[int, dict]) -> dict:
    """Ratios within the run: ingest / floor, and the peer's time / ingest (the peer's per-row cost
    scaled to the size where it was not run at that size)."""
    peer_per_row = {rows: p["work_s"] / rows for rows, p in peers.items()}
    largest_peer = max(peer_per_row) if peer_per_row else None
    for row in ingests:
        rows = row["rows"]
        row["per_row_us"] = row["work_s"] / rows * 1e6
        row["floor_s"] = floors[rows]["work_s"]
        row["x_floor"] = row["work_s"] / row["floor_s"]
        if largest_peer is not None:
            measured = rows in peers
            row["peer_s"] = peers[rows]["work_s"] if measured else peer_per_row[largest_peer] * rows
            row["peer_measured"] = measured
            row["peer_speedup"] = row["peer_s"] / row["work_s"]
    for rows, peer in peers.items():
        peer["per_row_us"] = peer["work_s"] / rows * 1e6
        peer["x_floor"] = peer["work_s"] / floors[rows]["work_s"] if rows in floors else None
    return {"month": MONTH, "ingest": ingests,
            "floor": [{"rows": rows, **f, "per_row_us": f["work_s"] / rows * 1e6} for rows, f in floors.items()],
            "peer": [{"rows": rows, **p} for rows, p in peers.items()]}
