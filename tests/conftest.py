"""Shared fixtures: the project's Airflow home, temporary data folders and warehouses."""
from __future__ import annotations

import csv
import os
import re
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from town_industry import settings as project_settings
from town_industry.warehouse.fingerprint import fingerprint  # noqa: F401  (tests import it from here)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "include" / "data"
SEED_TARGETS = ROOT / "tools" / "sample_data" / "seed_targets.yml"

# Same environment as `make test` when pytest is started by hand (the Makefile exports these).
project_settings.use_project_airflow()
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "ERROR")
os.environ.setdefault("PERSON_ID_HMAC_KEY", "test-key-only-for-tests")
os.environ.setdefault("FILE_SETTLE_SECONDS", "0")  # test files are written just before their run
os.environ.setdefault("RETRY_DELAY_SECONDS", "1")  # dag.test() sleeps through retry delays
os.environ.setdefault("TOWN_INDUSTRY_LANGUAGE", "en")  # run summaries the tests read in English (zh: test_rules.py)
# make test starts the end-to-end session in the background, where the shell has it ignore SIGINT: Ctrl-C
# would end the rest and leave that session, and its stack, running.
signal.signal(signal.SIGINT, signal.default_int_handler)


# Tests that run DAGs through Airflow (dag.test on a DagBag) are the integration set: `make test-fast`
# leaves them out. A test is in it when it uses one of these fixtures or is marked integration; any
# other test that tries to parse the DAGs fails (see _unit_tests_run_no_dags), so the split stays true.
INTEGRATION_FIXTURES = {"workspace", "source_dir", "ingest_dags", "sample_pipeline"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if INTEGRATION_FIXTURES & set(item.fixturenames) and not item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _unit_tests_run_no_dags(request, monkeypatch):
    if request.node.get_closest_marker("integration") or request.node.get_closest_marker("e2e"):
        return
    from town_industry.cli import run

    def refuse(*args, **kwargs):
        raise AssertionError("this test runs DAGs: mark it integration (or use an integration fixture)")

    monkeypatch.setattr(run, "dag_bag", refuse)


@pytest.fixture(autouse=True)
def _data_docs_in_tmp(tmp_path, monkeypatch):
    """GX Data Docs pages of a test's validations go to its own folder, never to the project's build/."""
    monkeypatch.setenv("DATA_DOCS_DIR", str(tmp_path / "data_docs"))


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """An empty DATA_DIR and a WAREHOUSE path under tmp_path, set in the environment."""
    data = tmp_path / "data"
    (data / "enterprise_monthly").mkdir(parents=True)
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("WAREHOUSE", str(tmp_path / "wh" / "warehouse.duckdb"))
    monkeypatch.setenv("REPORTS_DIR", str(tmp_path / "reports"))
    return data


def copy_sample(data: Path, source: str, *months: str) -> None:
    for month in months:
        for found in (SAMPLE / source).glob(f"{month}.*"):
            shutil.copy(found, data / source / found.name)


def seed_targets() -> dict:
    """The seed targets (tools/sample_data/seed_targets.yml): the real 2020H1 report's figures, as written
    there ("half_year": kpi_code -> target; "monthly": month -> kpi_code -> target)."""
    import yaml

    return yaml.safe_load(SEED_TARGETS.read_text(encoding="utf-8"))


def meets(target: dict, value) -> bool:
    """A value meets its seed target: the sign it names, else low <= value < high of ``accepted``, else
    exactly ``target``."""
    if value is None:
        return False
    if "sign" in target:
        return value < 0 if target["sign"] == "negative" else value > 0
    if "accepted" in target:
        low, high = target["accepted"]
        return low <= value < high
    return value == target["target"]


def read_csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))


def write_csv_rows(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)


@dataclass(frozen=True)
class SampleRun:
    warehouse: Path
    reports: Path
    lines: list[str]


@pytest.fixture(scope="session")
def sample_pipeline(tmp_path_factory) -> SampleRun:
    """The real pipeline (every source, 2019-01..2020-12, then the KPI DAG) over a copy of the shipped
    sample data, once per test session. Tests only read what it wrote."""
    from town_industry.cli.run import run

    run_logs_in_this_home()
    root = tmp_path_factory.mktemp("sample_pipeline")
    shutil.copytree(SAMPLE, root / "data")
    env = {"DATA_DIR": str(root / "data"), "WAREHOUSE": str(root / "wh" / "warehouse.duckdb"),
           "REPORTS_DIR": str(root / "reports")}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        lines: list[str] = []
        ok = run("2019-01", "2020-12", echo=lines.append)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v
    assert ok, "\n".join(lines)
    return SampleRun(Path(env["WAREHOUSE"]), Path(env["REPORTS_DIR"]), lines)


@pytest.fixture(scope="session")
def ingest_dags():
    """The ingestion DAGs, parsed once per test session by a real DagBag."""
    from town_industry.cli.run import load_dags

    run_logs_in_this_home()
    return load_dags()


def run_logs_in_this_home() -> None:
    """make test runs two sessions at once on two Airflow homes: runs logging into the other home's folder
    overwrite its months' logs (test_pipeline once read a month's log without its traceback)."""
    from town_industry.cli.run import run_logs

    home = Path(os.environ["AIRFLOW_HOME"]).resolve()
    assert run_logs().resolve().is_relative_to(home), f"{home}/airflow.cfg names another home's log folder"


def rejection_outcome(warehouse: Path):
    """(error findings, file load statuses with report paths) recorded in meta."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        errors = con.execute("SELECT severity, rule, row_number, column_name, value FROM meta.dq_issues "
                             "WHERE severity = 'error'").fetchall()
        loads = con.execute("SELECT status, error_report FROM meta.file_loads ORDER BY recorded_at").fetchall()
        return errors, loads
    finally:
        con.close()


def assert_rejected(warehouse: Path, before: dict, file_name: str, rule: str, row: int | None,
                    column: str | None) -> None:
    """The file was rejected whole, the finding is in meta and in the report, and no data changed."""
    errors, loads = rejection_outcome(warehouse)
    assert (rule, row, column) in {(e[1], e[2], e[3]) for e in errors}, errors
    assert [s for s, _ in loads][-1] == "rejected"
    report = Path(loads[-1][1]).read_text(encoding="utf-8")
    assert file_name in report and rule in report
    if row is not None:  # the clerk's table: 类别 | 行 | 对象 (the row's subject) | 列 (header（column）) | 规则
        assert re.search(rf"^\| 错误 \| {row} \| (?!— )[^|]+ \| [^|]*{re.escape(column)}[^|]* \| [^|]*（{rule}） \|",
                         report, re.MULTILINE), report
    assert fingerprint(warehouse) == before


@pytest.fixture
def source_dir(workspace, request):
    """DATA_DIR/<the test module's SOURCE>/, empty."""
    path = workspace / request.module.SOURCE
    path.mkdir(exist_ok=True)
    return path


def run_source(source: str, first: str, last: str | None = None) -> bool:
    """Real DAG runs of one source for the months first..last (the path `make run` takes)."""
    from town_industry.cli.run import run

    return run(first, last or first, echo=lambda _: None, sources=[source], build_kpis=False)


def cell_setter(columns: dict[str, int]):
    """``set_cell(column, value, row=3)``: a mutation of CSV rows; rows numbered as in the file (header = 1)."""
    def set_cell(column: str, value: str, row: int = 3):
        def mutate(rows):
            rows[row - 1][columns[column]] = value
            return rows
        return mutate
    return set_cell


def check_revision_rejected(path: Path, source: str, good_rows: list, bad_rows: list, expected: tuple,
                            encoding: str = "utf-8") -> None:
    """Load ``good_rows`` as the month's file, deliver ``bad_rows`` as its revision: rejected, reported,
    warehouse unchanged. ``expected`` is (rule, row, column)."""
    from town_industry import settings

    month = path.stem
    write_csv_rows(path, good_rows)
    assert run_source(source, month)
    before = fingerprint(settings.warehouse_path())
    write_csv_rows(path, bad_rows, encoding=encoding)
    assert not run_source(source, month)
    assert_rejected(settings.warehouse_path(), before, path.name, *expected)


# A run's one-line month summaries: '2020-03  ok      source: outcome | source: outcome'
MONTH_LINE = re.compile(r"^(\d{4}-\d{2})  (\S+)\s+(.*)$")


def month_outcomes(lines: list[str], source: str) -> dict[str, str]:
    """What a run's month lines say of ``source``: month -> its outcome (``loaded 37 rows, 0 warnings``),
    wherever the line is and whatever other sources share it."""
    found = {}
    for line in lines:
        if match := MONTH_LINE.match(line):
            for part in match.group(3).split(" | "):
                if part.startswith(f"{source}: "):
                    found[match.group(1)] = part.removeprefix(f"{source}: ")
    return found


def metadata_copy(to: Path) -> Path:
    """A consistent copy of this home's Airflow metadata database, taken through SQLite (its backup API).

    Never read airflow.db as a plain file in this process: it holds SQLite connections to it, and closing
    any other descriptor of the file drops the process's POSIX locks on it; the next process that closes
    its own connection then takes itself for the last one and deletes the -wal and -shm files under this
    process's feet ("disk I/O error" at the next connection, later "database disk image is malformed").
    A copy through SQLite is safe (SQLite keeps such descriptors open), and holds what the WAL holds too."""
    import sqlite3

    source = sqlite3.connect(str(Path(os.environ["AIRFLOW_HOME"]) / "airflow.db"))
    copy = sqlite3.connect(str(to))
    try:
        with copy:
            source.backup(copy)
    finally:
        source.close()
        copy.close()
    return to


@pytest.fixture(scope="module")
def own_metadata(tmp_path_factory) -> dict:
    """Environment giving the runs these tests start (and kill) their own copy of Airflow's SQLite
    metadata database: a process killed by a test never shares a database with the rest of the suite."""
    folder = tmp_path_factory.mktemp("airflow_home")
    metadata_copy(folder / "airflow.db")
    shutil.copy(Path(os.environ["AIRFLOW_HOME"]) / "airflow.cfg", folder / "airflow.cfg")
    return {"AIRFLOW_HOME": str(folder), "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{folder / 'airflow.db'}"}
