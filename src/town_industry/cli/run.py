"""``make run``: real Airflow DAG runs for every month in a range, oldest first.

One process parses ``dags/`` once with a DagBag and calls ``dag.test()`` for each
source and month: the same DAGs, tasks, XComs and metadata database as the
scheduler uses, without paying Airflow's start-up for every run. Every month is
attempted even when an earlier one failed; the exit status is 1 if any run failed.
"""
from __future__ import annotations

import sys

from town_industry import settings
from town_industry.cli.summary import kpi_table
from town_industry.db import read
from town_industry.periods import first_day, months_between
from town_industry.text import pad

KPI_DAG = "build_kpi_mart"

# The words of the one-line run summaries, in the language of settings.language() (TOWN_INDUSTRY_LANGUAGE).
WORDS = {
    "zh": {"ok": "正常", "failed": "失败", "loaded": "已入库 {rows} 行，警告 {warnings} 条",
           "unchanged": "未变（同一文件已入库）", "rejected": "已退回，错误 {errors} 处",
           "no_file": "失败：未报送文件", "failed_in": "失败，出错的任务：{tasks}", "failed_run": "失败"},
    "en": {"ok": "ok", "failed": "FAILED", "loaded": "loaded {rows} rows, {warnings} warnings",
           "unchanged": "unchanged (same file already loaded)", "rejected": "REJECTED, {errors} errors",
           "no_file": "FAILED: no file delivered", "failed_in": "FAILED in {tasks}",
           "failed_run": "FAILED in the run"},
}


def words() -> dict[str, str]:
    return WORDS[settings.language()]


def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(settings.PROJECT_ROOT / "dags"))
    if bag.import_errors:
        for path, error in bag.import_errors.items():
            print(f"DAG import error in {path}:\n{error}", file=sys.stderr)
        raise SystemExit(2)
    return bag


def load_dags(sources: list[str] | None = None, bag=None) -> list:
    bag = bag or dag_bag()
    wanted = {f"ingest_{s}" for s in sources} if sources else None
    dags = [bag.dags[d] for d in sorted(bag.dags) if d.startswith("ingest_") and (wanted is None or d in wanted)]
    if wanted and len(dags) != len(wanted):
        raise SystemExit(f"unknown source(s): {sorted(wanted - {d.dag_id for d in dags})}")
    return dags


def describe(dag_run, source: str) -> tuple[bool, str]:
    """(ok, one-phrase outcome) of one source's run for one month, from meta.file_loads."""
    loads = []
    if settings.published_path().exists():
        with read() as con:
            loads = con.execute(
                "SELECT status, rows, warning_count, error_count FROM meta.file_loads "
                "WHERE airflow_run_id = ? AND source = ?", [dag_run.run_id, source]).fetchall()
    ok = dag_run.state == "success"
    if loads:
        status, rows, warnings, errors = loads[-1]
        detail = words()[status].format(rows=rows, warnings=warnings, errors=errors)
    else:
        failed = tasks_failed(dag_run)
        # dag.test() may still try downstream tasks after the sensor failed: the sensor is the cause.
        detail = (words()["no_file"] if "wait_for_file" in failed
                  else words()["failed_in"].format(tasks=", ".join(failed)) if failed else words()["failed_run"])
    return ok, f"{source}: {detail}"


def tasks_failed(dag_run) -> list[str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance.task_id).filter(
            TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id,
            TaskInstance.state == "failed").all()
    return sorted(r[0] for r in rows)


def run(first: str, last: str, echo=print, sources: list[str] | None = None, build_kpis: bool = True) -> bool:
    bag = dag_bag()
    dags = load_dags(sources, bag)
    all_ok = True
    try:
        months = months_between(first, last)
    except ValueError as exc:
        raise SystemExit(f"FROM {first} is after TO {last}") from exc
    for month in months:
        results = [describe(dag.test(logical_date=first_day(month)), dag.dag_id.removeprefix("ingest_"))
                   for dag in dags]
        month_ok = all(ok for ok, _ in results)
        all_ok &= month_ok
        status = pad(words()["ok" if month_ok else "failed"], 6)
        echo(f"{month}  {status}  " + " | ".join(outcome for _, outcome in results))
    if build_kpis:
        all_ok &= run_kpis(bag, first, last, echo)
    return all_ok


def run_kpis(bag, first: str, last: str, echo=print) -> bool:
    """One run of the KPI DAG (the scheduler would start it on the loads' asset events), then the
    KPIs of every complete half-year the range touches."""
    dag_run = bag.dags[KPI_DAG].test(run_conf={"wait_for_loads": False})  # this process's loads are done
    if dag_run.state != "success":
        echo(f"KPI mart  FAILED in {', '.join(tasks_failed(dag_run)) or 'the run'}")
        return False
    echo(kpi_table(settings.warehouse_path(), first, last))
    return True
