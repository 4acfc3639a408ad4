"""Faults around the pipeline, for real: processes killed with SIGKILL at known moments, two writers at
once, files that change under the pipeline.

The kill tests start ``town-industry run`` (the path ``make run`` takes) as a real subprocess over a copy
of the sample warehouse, deliver a revised 2020-05 enterprise file, and stop the run at a pause point
(src/town_industry/faults.py) so the moment of the kill is certain; then SIGKILL the process group.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from conftest import copy_sample, read_csv_rows, write_csv_rows
from town_industry import settings
from town_industry.cli.run import run
from town_industry.warehouse.fingerprint import ALL_SCHEMAS, fingerprint

pytestmark = pytest.mark.integration

CLI = Path(sys.executable).with_name("town-industry")
SOURCE, MONTH = "enterprise_monthly", "2020-05"
TAXABLE_SALES = 6


class Scene:
    """A copy of the sample run's data and warehouse, in its own folder, with 2020-05 revised."""

    def __init__(self, root: Path, sample, metadata: dict):
        self.root, self.metadata = root, metadata
        self.data, self.warehouse, self.reports = root / "data", root / "wh" / "warehouse.duckdb", root / "reports"
        shutil.copytree(sample.warehouse.parent.parent / "data", self.data)
        shutil.copytree(sample.warehouse.parent, self.warehouse.parent)
        shutil.copytree(sample.reports, self.reports)
        self.before = fingerprint(self.warehouse, ALL_SCHEMAS)
        path = self.data / SOURCE / f"{MONTH}.csv"
        rows = read_csv_rows(path)
        for row in rows[1:11]:  # ten firms revise their taxable sales upwards
            row[TAXABLE_SALES] = f"{float(row[TAXABLE_SALES].replace(',', '')) + 100:.2f}"
        write_csv_rows(path, rows)

    def env(self, **extra) -> dict:
        return {**os.environ, **self.metadata, "DATA_DIR": str(self.data), "WAREHOUSE": str(self.warehouse),
                "REPORTS_DIR": str(self.reports), "FILE_SETTLE_SECONDS": "0", **extra}

    def command(self) -> list[str]:
        return [str(CLI), "run", "--from", MONTH, "--to", MONTH]

    def run_in_process(self, monkeypatch) -> bool:
        """The rerun, the way make run does it, in this test's process."""
        for name, path in (("DATA_DIR", self.data), ("WAREHOUSE", self.warehouse), ("REPORTS_DIR", self.reports)):
            monkeypatch.setenv(name, str(path))
        return run(MONTH, MONTH, echo=lambda _: None)

    def draft(self) -> Path:
        return self.reports / "2020H1" / "industrial_economy_report_2020H1.md"


@pytest.fixture(scope="module")
def undisturbed(sample_pipeline, tmp_path_factory, own_metadata):
    """The fingerprint (data and mart) and draft of the revision applied without a fault."""
    scene = Scene(tmp_path_factory.mktemp("undisturbed"), sample_pipeline, own_metadata)
    done = subprocess.run(scene.command(), env=scene.env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    after = fingerprint(scene.warehouse, ALL_SCHEMAS)
    assert after != scene.before, "the revision changes the warehouse"
    return {"fingerprint": after, "draft": scene.draft().read_text(encoding="utf-8"),
            "old_draft": (sample_pipeline.reports / "2020H1" / scene.draft().name).read_text(encoding="utf-8")}


def kill_at(scene: Scene, point: str) -> None:
    """Start the run, wait until a process reaches ``point``, SIGKILL the run's whole process group."""
    marker = scene.root / "paused.pid"
    process = subprocess.Popen(scene.command(), env=scene.env(TOWN_INDUSTRY_PAUSE_AT=point,
                                                               TOWN_INDUSTRY_PAUSE_FILE=str(marker)),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 300
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"the run ended before reaching {point}:\n{process.stdout.read()}")
        assert time.monotonic() < deadline, f"the run never reached {point}"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


# point -> what the warehouse must hold right after the kill (data and mart, as one fingerprint)
KILL_POINTS = {
    "validate": "old",      # in the bounded validating child, before the landing batch exists
    "landing": "old",       # the batch written under its temporary name, not renamed
    "transaction": "old",   # every change made inside the load's transaction, not committed
    "mart": "new_data",     # the month committed; the KPI build's transaction not committed
    "draft": "new",         # mart committed; the draft's Markdown written in its temporary folder
}


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_run_leaves_old_or_new_and_a_rerun_matches_an_undisturbed_one(sample_pipeline, undisturbed,
                                                                            own_metadata, tmp_path, monkeypatch,
                                                                            point):
    scene = Scene(tmp_path, sample_pipeline, own_metadata)
    kill_at(scene, point)

    state = fingerprint(scene.warehouse, ALL_SCHEMAS)
    data_only = {t: d for t, d in state.items() if not t.startswith("mart.")}
    if KILL_POINTS[point] == "old":
        assert state == scene.before
    elif KILL_POINTS[point] == "new_data":  # the month is new, the mart still the old one (and says so)
        assert data_only == {t: d for t, d in undisturbed["fingerprint"].items() if not t.startswith("mart.")}
        assert {t: d for t, d in state.items() if t.startswith("mart.")} == \
            {t: d for t, d in scene.before.items() if t.startswith("mart.")}
    else:
        assert state == undisturbed["fingerprint"]
    # no half-written draft under the report's name: the old one whole (or none), never a mix
    assert not scene.draft().exists() or scene.draft().read_text(encoding="utf-8") == undisturbed["old_draft"]
    # nothing half-written is taken for a batch: only complete .parquet files would ever be loaded
    landing = scene.warehouse.parent / "landing" / SOURCE / MONTH
    assert all(not p.name.endswith(".parquet") or p.stat().st_size > 0 for p in landing.glob("*"))

    assert scene.run_in_process(monkeypatch), f"the rerun after a kill at {point} failed"
    assert fingerprint(scene.warehouse, ALL_SCHEMAS) == undisturbed["fingerprint"]
    assert scene.draft().read_text(encoding="utf-8") == undisturbed["draft"]


# ---- two writers at once --------------------------------------------------------------------------

def test_two_writers_at_once_are_serialised_and_give_the_sequential_result(workspace, ingest_dags, tmp_path,
                                                                         own_metadata):
    """Two `town-industry run` processes loading different sources into one warehouse at the same time:
    both succeed (the second waits for the first's lock, no DuckDB lock error), and the warehouse equals
    the one sequential runs give."""
    for source in ("investment_monthly", "employment_services", SOURCE):
        (workspace / source).mkdir(exist_ok=True)
        copy_sample(workspace, source, "2020-01", "2020-02", "2020-03")
    env = {**os.environ, **own_metadata, "DATA_DIR": str(workspace), "FILE_SETTLE_SECONDS": "0"}

    def command(source, warehouse):
        return [str(CLI), "run", "--from", "2020-01", "--to", "2020-03", "--sources", source, "--no-kpis",
                "--warehouse", str(warehouse)]

    together = tmp_path / "together" / "warehouse.duckdb"
    processes = [subprocess.Popen(command(s, together), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for s in ("investment_monthly", "employment_services")]
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], "\n".join(outputs)
    assert "lock" not in "".join(o for o in outputs if "FAILED" in o)

    one_by_one = tmp_path / "one_by_one" / "warehouse.duckdb"
    for source in ("investment_monthly", "employment_services"):
        done = subprocess.run(command(source, one_by_one), env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    assert fingerprint(together) == fingerprint(one_by_one)


# ---- files that change under the pipeline -----------------------------------------------------------

def loads(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT status, sha256, archived_as FROM meta.file_loads ORDER BY recorded_at").fetchall()
    finally:
        con.close()


def findings(warehouse: Path, rule: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT severity, value, message FROM meta.dq_issues WHERE rule = ?", [rule]).fetchall()
    finally:
        con.close()


def test_a_file_replaced_between_validation_and_load_loads_what_was_validated(workspace, ingest_dags, monkeypatch):
    from town_industry.ingest.archive import sha256_of
    from town_industry.orchestration import ingest_tasks

    copy_sample(workspace, SOURCE, "2020-01")
    delivered = workspace / SOURCE / "2020-01.csv"
    validated = sha256_of(delivered)
    real_validate = ingest_tasks.validate

    def validate_then_replace(source_name, month):
        verdict = real_validate(source_name, month)
        rows = read_csv_rows(delivered)
        rows[1][TAXABLE_SALES] = "999999"  # the clerk saves a new version meanwhile
        write_csv_rows(delivered, rows)
        return verdict

    monkeypatch.setattr(ingest_tasks, "validate", validate_then_replace)
    assert run("2020-01", "2020-01", echo=lambda _: None, sources=[SOURCE], build_kpis=False)

    (status, sha, archived), = loads(settings.warehouse_path())
    assert (status, sha) == ("loaded", validated) and Path(archived).read_bytes() != delivered.read_bytes()
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    try:
        assert con.execute("SELECT max(taxable_sales) FROM staging.enterprise_monthly").fetchall()[0][0] < 999999
    finally:
        con.close()
    (severity, _, message), = findings(settings.warehouse_path(), "file_changed_after_validation")
    assert severity == "warning" and "被替换" in message and validated[:12] in message


def test_a_file_deleted_after_validation_still_loads_the_validated_copy(workspace, ingest_dags, monkeypatch):
    from town_industry.orchestration import ingest_tasks

    copy_sample(workspace, SOURCE, "2020-01")
    real_validate = ingest_tasks.validate

    def validate_then_delete(source_name, month):
        verdict = real_validate(source_name, month)
        Path(verdict["path"]).unlink()
        return verdict

    monkeypatch.setattr(ingest_tasks, "validate", validate_then_delete)
    assert run("2020-01", "2020-01", echo=lambda _: None, sources=[SOURCE], build_kpis=False)
    assert [s for s, _, _ in loads(settings.warehouse_path())] == ["loaded"]
    (_, _, message), = findings(settings.warehouse_path(), "file_changed_after_validation")
    assert "被删除" in message


def test_a_file_deleted_after_sensing_fails_the_run_with_a_clear_message(workspace, ingest_dags, monkeypatch):
    from town_industry.orchestration import ingest_tasks

    copy_sample(workspace, SOURCE, "2020-01")
    real_sensor = ingest_tasks.file_has_arrived

    def sense_then_delete(source_name, logical_date=None, data_interval_start=None):
        arrived = real_sensor(source_name, logical_date, data_interval_start)
        (workspace / SOURCE / "2020-01.csv").unlink()
        return arrived

    monkeypatch.setattr(ingest_tasks, "file_has_arrived", sense_then_delete)
    lines = []
    assert not run("2020-01", "2020-01", echo=lines.append, sources=[SOURCE], build_kpis=False)
    assert "validate_file" in lines[0]
    with pytest.raises(ingest_tasks.FileNotDelivered, match="disappeared after it was sensed"):
        ingest_tasks.validate(SOURCE, "2020-01")


def test_a_file_still_being_copied_is_taken_only_once_complete(workspace, ingest_dags, monkeypatch):
    """The copy writes the first half, pauses, then the rest: the sensor waits for the file to settle,
    and the month loads whole (a truncated CSV would have loaded without a word)."""
    monkeypatch.setenv("FILE_SETTLE_SECONDS", "1.5")
    rows = read_csv_rows(Path(settings.PROJECT_ROOT) / "include" / "data" / SOURCE / "2020-01.csv")
    path = workspace / SOURCE / "2020-01.csv"
    write_csv_rows(path, rows[:10])

    def finish_the_copy():
        time.sleep(1.0)
        write_csv_rows(path, rows)

    copier = threading.Thread(target=finish_the_copy)
    copier.start()
    try:
        assert run("2020-01", "2020-01", echo=lambda _: None, sources=[SOURCE], build_kpis=False)
    finally:
        copier.join()
    con = duckdb.connect(str(settings.warehouse_path()), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM staging.enterprise_monthly").fetchall()[0][0] == len(rows) - 1
    finally:
        con.close()


def test_a_file_being_written_is_not_archived_until_it_stops_changing(tmp_path, monkeypatch):
    from town_industry.ingest import archive

    monkeypatch.setenv("ARCHIVE_DIR", str(tmp_path / "archive"))
    path = tmp_path / "2020-01.csv"
    path.write_bytes(b"x" * 20_000_000)
    stop = threading.Event()

    def keep_writing():
        with path.open("ab") as f:
            while not stop.is_set():
                f.write(b"y" * 1000)
                f.flush()
                time.sleep(0.001)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        with pytest.raises(archive.FileStillChanging, match="still being copied"):
            archive.archive_file(path, SOURCE, attempts=2)
    finally:
        stop.set()
        writer.join()
    archived = archive.archive_file(path, SOURCE)
    assert archived.path.read_bytes() == path.read_bytes() and archived.path.parent.name == archived.sha256
    assert archived.path.stat().st_mode & 0o222 == 0, "an archived file is read-only"
    assert list((tmp_path / "archive").rglob(".incoming-*")) == [], "no partial copy is left behind"
    assert archive.archive_file(path, SOURCE).path == archived.path  # the same bytes are archived once
