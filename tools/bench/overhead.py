"""What Airflow costs: the sample run through ``town-industry run`` against the same work done directly.

``town-industry run`` (what ``make run`` calls) parses the DAGs and runs every source's month through
``dag.test``, then the KPI DAG. The direct run (``probe direct``) calls the same task functions in one
process: validate and load per source and month, then the KPI build and the drafts. Both are timed as
whole processes (start-up is part of what a user waits for) on fresh warehouses, against a fresh copy of
a migrated Airflow home kept under ``build/bench/cache/`` (never the project's ``.airflow/``).

Start-up is the time ``town-industry run`` takes to print its first month line for one source and one
month. ``make demo`` (optional) runs in a scratch folder that links to this checkout, with its own Airflow
home, warehouse and reports, so it never touches ``build/warehouse.duckdb`` or ``reports/``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tools.bench.measure import fresh_dir, median_of, probe, run_child
from tools.bench.paths import REPO_ROOT, cache_dir

SAMPLE = REPO_ROOT / "include" / "data"
FIRST, LAST = "2019-01", "2020-12"
STARTUP_SOURCE = "enterprise_monthly"  # start-up: one source, one month
DEMO_KEY = "demo-key-NOT-SECRET-do-not-use-for-real-data"  # the Makefile's public demo key
BIN = Path(sys.executable).parent


def airflow_env(home: Path) -> dict:
    return {"AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO_ROOT / "plugins"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False", "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"}


def migrated_home() -> Path:
    """A migrated Airflow home with the writer pool, made once (``make airflow-home`` does the same)."""
    home = cache_dir() / "airflow_home"
    if not (home / ".ready").exists():
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        env = {**os.environ, **airflow_env(home), "PYTHONWARNINGS": "ignore"}
        subprocess.run([BIN / "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
        subprocess.run([BIN / "airflow", "pools", "set", "duckdb_writer", "1", "DuckDB allows one writer"],
                       env=env, check=True, capture_output=True)
        (home / ".ready").touch()
    return home


def fresh_home(work: Path) -> Path:
    """A copy of the migrated home: every run starts with the same, empty, metadata database."""
    home = work / "airflow"
    shutil.copytree(migrated_home(), home, ignore=shutil.ignore_patterns("logs"))
    return home


def run_env(work: Path) -> dict:
    return {**airflow_env(fresh_home(work)), "DATA_DIR": str(SAMPLE), "WAREHOUSE": str(work / "wh" / "warehouse.duckdb"),
            "REPORTS_DIR": str(work / "reports"), "PERSON_ID_HMAC_KEY": DEMO_KEY, "TOWN_INDUSTRY_LANGUAGE": "en"}


def cli_run(first: str, last: str, sources: str = "") -> dict:
    """``town-industry run`` in a fresh process; ``first_line_s`` is when its first month line appeared."""
    work = fresh_dir("airflow_run")
    seen: dict = {}

    def on_line(line: str, at: float) -> None:
        if line[:7] == first and "first_line_s" not in seen:
            seen["first_line_s"] = at

    try:
        result = run_child([sys.executable, "-m", "town_industry", "run", "--from", first, "--to", last,
                            "--sources", sources], env=run_env(work), on_line=on_line, log_name="airflow_run")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {**seen, **result, "work_s": result["process_s"]}


def direct_run(first: str, last: str, sources: str = "") -> dict:
    work = fresh_dir("direct_run")
    try:
        result = probe("direct", first, last, sources, env=run_env(work), log_name="direct_run")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {**result, "after_imports_s": result["work_s"], "work_s": result["process_s"]}


def make_demo() -> dict:
    """``make demo`` after set-up, in a scratch checkout that links to this one's files and virtualenv."""
    work = fresh_dir("demo")
    for name in ("Makefile", "requirements.txt", "constraints.txt", "pyproject.toml", "dags", "plugins",
                 "include", "src", "sql", "expectations", ".venv"):
        (work / name).symlink_to(REPO_ROOT / name)
    home = work / ".airflow"
    shutil.copytree(migrated_home(), home, ignore=shutil.ignore_patterns("logs"))
    (home / ".ready").touch()  # set-up done: make's airflow-home target has nothing to do
    env = {**os.environ, "REPORTS_DIR": str(work / "reports"), "PYTHONWARNINGS": "ignore"}
    env.pop("AIRFLOW_HOME", None)
    start = time.perf_counter()
    try:
        done = subprocess.run(["make", "--no-print-directory", "demo"], cwd=work, env=env, capture_output=True,
                              text=True)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"make demo failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {"work_s": elapsed}


def measure(runs: int, demo: bool, first: str = FIRST, last: str = LAST, sources: str = "", say=print) -> dict:
    say("Airflow overhead: preparing a migrated Airflow home (cached)")
    migrated_home()
    samples_airflow, samples_direct = [], []
    for k in range(runs):
        samples_airflow.append(cli_run(first, last, sources))
        samples_direct.append(direct_run(first, last, sources))
        say(f"  sample run {k + 1}/{runs}: town-industry run {samples_airflow[-1]['work_s']:.1f} s, "
            f"direct {samples_direct[-1]['work_s']:.1f} s")
    if first == last and len([s for s in sources.split(",") if s]) == 1:
        startups = samples_airflow  # the sample run is itself one source and one month
    else:
        startups = [cli_run(FIRST, FIRST, STARTUP_SOURCE) for _ in range(runs)]
    say(f"  start-up: first month line after {median_of(startups).get('first_line_s', float('nan')):.1f} s")
    airflow, direct = median_of(samples_airflow), median_of(samples_direct)
    result = {"months": f"{first}..{last}", "sources": sources, "airflow_run": airflow, "direct_run": direct,
              "ratio": airflow["work_s"] / direct["work_s"], "startup": median_of(startups)}
    if demo:
        say("  make demo (after set-up) ...")
        result["make_demo"] = make_demo()
        say(f"  make demo: {result['make_demo']['work_s']:.1f} s")
    return result
