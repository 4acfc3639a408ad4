"""make new-source: the scaffold writes a source the pipeline takes as it is and refuses what it must; filled
in with a tiny month, the new source loads through its own DAG, which a DagBag parse of dags/ finds with
no DAG file edited.

The integration test never writes into this checkout: it scaffolds into a copy of the project (the files
`git ls-files` lists, untracked ones included, since the working tree is what the copy must behave as) and
runs the copy in subprocesses that import the copy's package rather than the editable install (see in_copy),
with a private copy of Airflow's metadata database.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import yaml

from conftest import ROOT, write_csv_rows
from town_industry import settings
from town_industry.cli.main import main
from town_industry.cli.scaffold import SAMPLE_MONTH, Refused, files, scaffold
from town_industry.contracts.declaration_checks import TOP_LEVEL_KEYS  # every key the parser reads
from town_industry.contracts.sources import parse_source

NAME = "scaffold_probe_ledger"  # a name no real source will take: the test asserts this checkout never has it


def uncomment(text: str, pattern: str) -> str:
    """``text`` with the ``# `` taken off every commented line whose rest matches ``pattern``."""
    return re.sub(rf"^(\s*)# (?=(?:{pattern}))", r"\1", text, flags=re.MULTILINE)


# What the declaration comments out as examples: its top-level keys, their list items and keys, the
# example columns. Not the dimension model, whose <placeholders> are a pattern, not an example.
EXAMPLES = r"(?:subject|enabled|limits|checks|history_checks):|\s{2}- |\s{4}\w+:|- \{name: "


# ---- what it writes ---------------------------------------------------------------------------------

@pytest.fixture
def scaffolded(tmp_path, monkeypatch) -> Path:
    """The declaration scaffolded into an empty project at tmp_path, whose sql/ the parser reads."""
    monkeypatch.setattr(settings, "SQL_DIR", tmp_path / "sql")
    written = scaffold(NAME, tmp_path)
    assert [p for p, _ in written] == list(files(NAME))
    assert sorted(written_path for written_path, _ in written) == sorted(
        p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    return tmp_path / f"include/sources/{NAME}.yml"


def test_the_declaration_has_every_key_and_the_parser_of_the_dags_accepts_it(scaffolded):
    text = scaffolded.read_text(encoding="utf-8")
    assert [k for k in TOP_LEVEL_KEYS if not re.search(rf"^(# )?{k}:", text, re.MULTILINE)] == []
    source = parse_source(scaffolded)
    assert (source.name, source.key, source.month_column, source.optional) == (NAME, ("record_id",), "stat_month",
                                                                                True)  # fails no scheduled run
    assert [m.table for m in source.models] == [f"main.fact_{NAME}"]
    sample = scaffolded.parents[1] / f"data/{NAME}/{SAMPLE_MONTH}.csv"
    assert sample.read_text(encoding="utf-8-sig") == ",".join(c.header for c in source.columns) + "\n"


def test_every_commented_example_is_accepted_once_uncommented(scaffolded):
    scaffolded.write_text(uncomment(scaffolded.read_text(encoding="utf-8"), EXAMPLES), encoding="utf-8")
    raw = yaml.safe_load(scaffolded.read_text(encoding="utf-8"))
    assert [k for k in TOP_LEVEL_KEYS if k not in raw] == []
    source = parse_source(scaffolded)
    assert [c.name for c in source.columns] == ["stat_month", "record_id", "amount_yuan", "record_type",
                                               "start_date", "end_date", "id_number"]
    assert [(c.rule, c.sql) for c in source.history_checks] == [
        ("record_id_already_loaded", f"checks/{NAME}_record_already_loaded.sql")]
    assert [c.rule for c in source.checks] == ["dates_out_of_order"]
    assert (source.enabled, source.limits.max_rows) == (False, 100000)


# ---- what it refuses --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["", "Land_transfers", "land-transfers", "land transfers", "1land", "_land",
                                  "land_", "land__transfers", "土地出让", "order"])
def test_refuses_a_name_that_is_not_lower_snake_case_or_is_reserved_in_sql(tmp_path, name):
    with pytest.raises(Refused, match="lower_snake_case|reserved word"):
        scaffold(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_refuses_an_existing_source_and_writes_nothing(tmp_path):
    shutil.copytree(ROOT / "include" / "sources", tmp_path / "include" / "sources")
    with pytest.raises(Refused, match=r"exists already \(include/sources/employment_services.yml\)"):
        scaffold("employment_services", tmp_path)
    # declared in a misnamed file, or only one of its files left behind: refused all the same
    (tmp_path / "include/sources/ledger.yml").write_text(f"name: {NAME}\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / f"tests/test_{NAME}.py").write_text("", encoding="utf-8")
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(Refused, match=rf"include/sources/ledger.yml, tests/test_{NAME}.py\): nothing written"):
        scaffold(NAME, tmp_path)
    assert sorted(tmp_path.rglob("*")) == before


def test_the_command_refuses_with_the_reason_and_how_to_call_it(capsys):
    with pytest.raises(SystemExit, match="new-source: 'Bad-Name' is not a lower_snake_case name.*make new-source "
                                         "NAME=<name>"):
        main(["new-source", "Bad-Name"])
    with pytest.raises(SystemExit) as exit_:
        main(["new-source", "--help"])
    assert exit_.value.code == 0 and "usage: town-industry new-source" in capsys.readouterr().out


# ---- filled in, through the DAG ---------------------------------------------------------------------

def copy_project(to: Path) -> Path:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        if (ROOT / relative).is_file():  # listed but deleted in the working tree: absent from the copy too
            (to / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, to / relative)
    return to


def in_copy(project: Path, metadata: dict, *args: str) -> subprocess.CompletedProcess:
    """``python *args`` run as the copy, with its dags/ and plugins/ and the private metadata DB. It runs in
    the copy's src/: `python -m` and `-c` put the working directory first on sys.path, before the editable
    install's entry in site-packages, so the copy's package is the one imported (the test checks it)."""
    env = {**os.environ, **metadata, "AIRFLOW__CORE__DAGS_FOLDER": str(project / "dags"),
           "AIRFLOW__CORE__PLUGINS_FOLDER": str(project / "plugins"),
           "FILE_SETTLE_SECONDS": "0", "TOWN_INDUSTRY_LANGUAGE": "en"}
    return subprocess.run([sys.executable, *args], cwd=project / "src", env=env, capture_output=True, text=True,
                          timeout=300)


DAG_IDS = """
import json
from town_industry import settings
from town_industry.cli.run import dag_bag
print(json.dumps({"root": str(settings.PROJECT_ROOT), "dags": sorted(dag_bag().dags)}))
"""


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*")) if p.is_file()}


@pytest.mark.integration
def test_a_filled_in_scaffold_loads_through_its_own_dag(tmp_path, own_metadata):  # noqa: F811
    project = copy_project(tmp_path / "project")
    dag_files = digests(project / "dags")

    # the command, as the copy's: its files, then the suites command accepting the declaration as written
    done = in_copy(project, own_metadata, "-m", "town_industry", "new-source", NAME)
    assert done.returncode == 0, done.stdout + done.stderr
    for path in [*files(NAME), f"expectations/suites/{NAME}.json"]:
        assert f"wrote {path}" in done.stdout and (project / path).is_file() and not (ROOT / path).exists()
    assert "make suites docs" in done.stdout and f"SOURCES={NAME}" in done.stdout
    with pytest.raises(Refused, match="exists already"):
        scaffold(NAME, project)

    # filled in as an engineer would: a category column, the history check on, a three-row month
    declaration = project / f"include/sources/{NAME}.yml"
    switched_on = r"history_checks:|\s{2}- \{rule: |- \{name: record_type"
    declaration.write_text(uncomment(declaration.read_text(encoding="utf-8"), switched_on), encoding="utf-8")
    header = ["统计年月", "业务编号", "金额(元)", "业务类型"]
    sample = project / f"include/data/{NAME}/{SAMPLE_MONTH}.csv"
    write_csv_rows(sample, [header, ["2021年1月", "DL-0001", "12,345.60", "新办"],
                            ["2021年1月", "DL-0002", "800", "续办"], ["2021年1月", "DL-0003", "—", "renewal"]])
    done = in_copy(project, own_metadata, "-m", "town_industry", "suites")
    assert done.returncode == 0 and f"wrote expectations/suites/{NAME}.json" in done.stdout, done.stderr

    # the copy's package is the one imported, and its DAG is there without a DAG file edited
    done = in_copy(project, own_metadata, "-c", DAG_IDS)
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout.strip().splitlines()[-1])
    assert parsed["root"] == str(project)
    assert {f"ingest_{NAME}", "ingest_enterprise_monthly"} <= set(parsed["dags"])
    assert digests(project / "dags") == dag_files

    # the sample month loads; a next month reusing a record id is rejected by the history check
    data, warehouse = tmp_path / "data", tmp_path / "wh" / "warehouse.duckdb"
    (data / NAME).mkdir(parents=True)
    shutil.copy(sample, data / NAME)
    write_csv_rows(data / NAME / "2021-02.csv", [header, ["2021年2月", "DL-0002", "100", "新办"]])
    done = in_copy(project, own_metadata, "-m", "town_industry", "run", "--sources", NAME, "--from", SAMPLE_MONTH,
                   "--to", "2021-02", "--no-kpis", "--data-dir", str(data), "--warehouse", str(warehouse))
    assert f"{SAMPLE_MONTH}  ok      {NAME}: loaded 3 rows, 0 warnings" in done.stdout, done.stdout + done.stderr
    assert f"2021-02  FAILED  {NAME}: REJECTED, 1 errors" in done.stdout and done.returncode == 1
    assert_landed(warehouse, sample)
    assert_rejected_for_reused_id(warehouse, data / NAME / "2021-02.csv")

    # the scaffolded test passes on the filled-in sample
    done = in_copy(project, own_metadata, "-m", "pytest", "-q", "--rootdir", str(project),
                   "--basetemp", str(tmp_path / "pytest"), str(project / f"tests/test_{NAME}.py"))
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout[-3000:]


def assert_landed(warehouse: Path, sample: Path) -> None:
    """staging holds the file's rows (row numbers, codes, 万元, the file's hash); the fact carries lineage."""
    sha = hashlib.sha256(sample.read_bytes()).hexdigest()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        staged = con.execute(f"SELECT _row, stat_month::VARCHAR, record_id, record_type, amount, _file_sha256 "
                             f"FROM staging.{NAME} ORDER BY _row").fetchall()
        facts = con.execute(f"SELECT month_key, record_id, amount, source_row, source_file_sha256 "
                            f"FROM main.fact_{NAME} ORDER BY record_id").fetchall()
    finally:
        con.close()
    assert staged == [(2, "2021-01-01", "DL-0001", "new", Decimal("1.23456"), sha),
                      (3, "2021-01-01", "DL-0002", "renewal", Decimal("0.08"), sha),
                      (4, "2021-01-01", "DL-0003", "renewal", None, sha)]
    assert facts == [(202101, r[2], r[4], r[0], sha) for r in staged]


def assert_rejected_for_reused_id(warehouse: Path, delivered: Path) -> None:
    """The finding is in meta, and the report is where the README says: rejections/ beside the warehouse."""
    sha = hashlib.sha256(delivered.read_bytes()).hexdigest()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        issues = con.execute("SELECT rule, row_number, column_name, value FROM meta.dq_issues "
                             "WHERE month = '2021-02' AND severity = 'error'").fetchall()
        report = con.execute("SELECT error_report FROM meta.file_loads WHERE status = 'rejected'").fetchall()
    finally:
        con.close()
    assert issues == [("record_id_already_loaded", 2, "record_id", "DL-0002")]
    expected = warehouse.parent / "rejections" / NAME / f"2021-02-{sha[:12]}.md"
    assert report == [(str(expected),)] and "record_id_already_loaded" in expected.read_text(encoding="utf-8")
