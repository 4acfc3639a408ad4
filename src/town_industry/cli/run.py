"""``make run``: real Airflow DAG runs for every month in a range, oldest first.

One process parses ``dags/`` once with a DagBag and calls ``dag.test()`` for each
source and month: the same DAGs, tasks, XComs and metadata database as the
scheduler uses, without paying Airflow's start-up for every run. Every month is
attempted even when an earlier one failed; the exit status is 1 if any run failed,
or if a source asked for could not run (its declaration or its suite is wrong).

The terminal gets one line per month and, under a failure, its reason; what the
runs themselves print (Airflow's task logs, tracebacks) goes to one log file per
source and month under Airflow's log folder, named on the failure's lines.
"""
from __future__ import annotations

import io
import logging
import re
import sys
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

from town_industry import settings
from town_industry.cli.summary import kpi_table
from town_industry.contracts.rules import CatalogueError
from town_industry.contracts.sources import (DeclarationError, declaration_errors, declared_sources, get_source,
                                             shown_path)
from town_industry.db import read
from town_industry.ingest.suites import suite_error
from town_industry.periods import first_day, months_between
from town_industry.text import pad

KPI_DAG = "build_kpi_mart"
# This DAG file fails to import exactly when declaration_errors() is not empty (for the UI): run reports
# those errors itself, so its import error is no reason to stop.
DECLARATIONS_DAG_FILE = "declaration_errors.py"
REASON_INDENT = " " * 17  # reasons line up under the outcomes: "2020-03  FAILED  "

# The words of the one-line run summaries, in the language of settings.language() (TOWN_INDUSTRY_LANGUAGE).
WORDS = {
    "zh": {"ok": "正常", "failed": "失败", "loaded": "已入库 {rows} 行，警告 {warnings} 条",
           "unchanged": "未变（同一文件已入库）", "rejected": "已退回，错误 {errors} 处",
           "no_file": "失败：未报送文件", "failed_in": "失败，出错的任务：{tasks}", "failed_run": "失败",
           "no_file_optional": "未报送文件（可选来源）",
           "not_run": "以下来源没有运行：声明或校验规则有误（改正后运行 make suites）：",
           "first_error": "第一处错误：{where}{message}（完整报告：{report}）", "row": "第{row}行，",
           "column": "{column}：",
           "expected": "应报送：{paths}", "log": "运行日志：{path}",
           "not_run_end": "未运行：{sources}（声明或校验规则有误，见开头）"},
    "en": {"ok": "ok", "failed": "FAILED", "loaded": "loaded {rows} rows, {warnings} warnings",
           "unchanged": "unchanged (same file already loaded)", "rejected": "REJECTED, {errors} errors",
           "no_file": "FAILED: no file delivered", "failed_in": "FAILED in {tasks}",
           "failed_run": "FAILED in the run", "no_file_optional": "no file (optional source)",
           "not_run": "NOT RUN, their declaration or suite is wrong (fix it, then make suites):",
           "first_error": "first error: {where}{message} (full report: {report})", "row": "row {row}, ",
           "column": "{column}: ",
           "expected": "expected {paths}", "log": "log: {path}",
           "not_run_end": "NOT RUN: {sources} (their declaration or suite is wrong: see the top)"},
}


def words() -> dict[str, str]:
    return WORDS[settings.language()]


def run_logs() -> Path:
    """Where the output of this command's DAG runs goes: beside the task logs of Airflow's log folder."""
    from airflow.configuration import conf

    return Path(conf.get("logging", "base_log_folder")) / "town-industry-run"


@contextmanager
def output_to(path: Path):
    """Send what this process prints while the block runs into ``path``: through the ``sys.stdout`` and
    ``sys.stderr`` objects and the logging handlers writing to them (Airflow's handler keeps the stream it
    was configured with). Not through the file descriptors 1 and 2: swapping those under a process that
    holds Airflow's SQLite metadata open corrupted that database in the test suite (disk I/O errors and
    broken indexes after a few dozen runs), so output written straight to a descriptor stays on the terminal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    terminal = {id(s) for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)}
    handlers = [h for h in logging.getLogger().handlers
                if isinstance(h, logging.StreamHandler) and id(h.stream) in terminal]
    with path.open("w", encoding="utf-8", buffering=1) as log, _streams_to(log):
        previous = [handler.setStream(log) for handler in handlers]
        try:
            yield path
        finally:
            for handler, stream in zip(handlers, previous):
                handler.setStream(stream)


class _Switch(io.TextIOBase):
    """Stands in for sys.stdout or sys.stderr while output_to runs, writing to its current target. A logger
    that keeps the stream it first saw (Airflow's structlog does) keeps this switch, which after the block
    writes where the stream itself would have: never into a log file closed since."""

    def __init__(self, stream):
        self.target = stream

    def write(self, text: str) -> int:
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()


@contextmanager
def _streams_to(log):
    switches = [s if isinstance(s, _Switch) else _Switch(s) for s in (sys.stdout, sys.stderr)]
    previous = [s.target for s in switches]
    for switch in switches:
        switch.target = log
    try:
        with redirect_stdout(switches[0]), redirect_stderr(switches[1]):
            yield
    finally:
        for switch, target in zip(switches, previous):
            switch.target = target


def dag_bag():
    from airflow.dag_processing.dagbag import DagBag

    with output_to(run_logs() / "dag_parse.log"):
        bag = DagBag(dag_folder=str(settings.PROJECT_ROOT / "dags"))
    errors = {path: error for path, error in bag.import_errors.items() if Path(path).name != DECLARATIONS_DAG_FILE}
    if errors:
        for path, error in errors.items():
            print(f"DAG import error in {path}:\n{error}", file=sys.stderr)
        raise SystemExit(2)
    return bag


def load_dags(sources: list[str] | None = None, bag=None) -> list:
    """The ingest DAGs of ``sources`` (all when None); a source whose declaration is broken has none."""
    bag = bag or dag_bag()
    wanted = {f"ingest_{s}" for s in sources} if sources else None
    dags = [bag.dags[d] for d in sorted(bag.dags) if d.startswith("ingest_") and (wanted is None or d in wanted)]
    broken = {f"ingest_{error.path.stem}" for error in declaration_errors()}
    unknown = sorted(d.removeprefix("ingest_") for d in (wanted or set()) - {d.dag_id for d in dags} - broken)
    if unknown:
        raise SystemExit(f"unknown or switched-off (enabled: false) source(s): {unknown}")
    return dags


def not_runnable(sources: list[str] | None) -> list[DeclarationError]:
    """Why some of ``sources`` (all when None) cannot run: a broken declaration, or a suite that is not
    the one the declaration generates (each of their months would fail the same way)."""
    broken = [e for e in declaration_errors()  # a broken include/rules.yml stops every source
              if not sources or e.path.stem in sources or isinstance(e, CatalogueError)]
    stale = [suite_error(s) for s in declared_sources() if not sources or s.name in sources]
    return broken + [e for e in stale if e]


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
    elif task_states(dag_run).get("wait_for_file") == "skipped":  # an optional source's month without a file
        detail = words()["no_file_optional"]
    else:
        failed = tasks_failed(dag_run)
        # dag.test() may still try downstream tasks after the sensor failed: the sensor is the cause.
        detail = (words()["no_file"] if "wait_for_file" in failed
                  else words()["failed_in"].format(tasks=", ".join(failed)) if failed else words()["failed_run"])
    return ok, f"{source}: {detail}"


def task_states(dag_run) -> dict[str, str]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance.task_id, TaskInstance.state).filter(
            TaskInstance.dag_id == dag_run.dag_id, TaskInstance.run_id == dag_run.run_id).all()
    return {task_id: str(state) for task_id, state in rows}


def tasks_failed(dag_run) -> list[str]:
    return sorted(task for task, state in task_states(dag_run).items() if state == "failed")


def reasons(dag_run, source: str, month: str, log: Path) -> list[str]:
    """Why a source's month failed, in a line or two: the file's first error, where the file was expected,
    or the exception the run ended with; then where its log is."""
    first = _first_error(dag_run, source)
    if first:
        reason = first
    elif "wait_for_file" in tasks_failed(dag_run):
        paths = get_source(source).file_candidates(settings.data_dir(), month)
        reason = words()["expected"].format(paths=" | ".join(map(str, paths)))
    else:
        reason = _exception_in(log)
    return [line for line in (reason, words()["log"].format(path=log)) if line]


def _first_error(dag_run, source: str) -> str | None:
    """The first error of the file this run rejected, in the summary's language, with its report."""
    if not settings.published_path().exists():
        return None
    with read() as con:
        row = con.execute(
            "SELECT d.row_number, d.column_name, d.message, coalesce(d.message_en, d.message), f.error_report "
            "FROM meta.file_loads AS f JOIN meta.dq_issues AS d ON d.source = f.source AND d.month = f.month "
            "AND d.file_sha256 = f.sha256 AND d.severity = 'error' "
            "WHERE f.airflow_run_id = ? AND f.source = ? AND f.status = 'rejected' "
            "ORDER BY d.row_number NULLS FIRST, d.column_name LIMIT 1", [dag_run.run_id, source]).fetchone()
    if row is None:
        return None
    number, column, zh, en, report = row
    chinese = settings.language() == "zh"
    shown = get_source(source).label(column) if chinese else column  # the clerk's header, then the name
    where = (words()["row"].format(row=number) if number else "") + (words()["column"].format(column=shown)
                                                                      if column else "")
    return words()["first_error"].format(where=where, message=zh if chinese else en, report=report)


_TRACEBACK = "Traceback (most recent call last):"


def _exception_in(log: Path) -> str | None:
    """The exception the last traceback in ``log`` ended with, on one line, without its module path."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith(_TRACEBACK)]
    if not starts:
        return None
    last = next((line for line in lines[starts[-1] + 1:] if line and not line[0].isspace()), None)
    return None if last is None else re.sub(r"^[\w.]+\.(\w+: )", r"\1", last)[:400]


def run(first: str, last: str, echo=print, sources: list[str] | None = None, build_kpis: bool = True) -> bool:
    try:
        months = months_between(first, last)
    except ValueError as exc:
        raise SystemExit(f"FROM {first} is after TO {last}") from exc
    unusable = not_runnable(sources)
    if unusable:
        echo(words()["not_run"])
        echo("\n".join(f"  {line}" for error in unusable for line in str(error).splitlines()))
    bag = dag_bag()
    skipped = {f"ingest_{error.path.stem}" for error in unusable}
    dags = [dag for dag in load_dags(sources, bag) if dag.dag_id not in skipped]
    all_ok = not unusable
    for month in months if dags else ():
        results = [run_month(dag, month) for dag in dags]
        month_ok = all(ok for ok, _, _ in results)
        all_ok &= month_ok
        status = pad(words()["ok" if month_ok else "failed"], 6)
        echo(f"{month}  {status}  " + " | ".join(outcome for _, outcome, _ in results))
        for line in (line for _, _, why in results for line in why):
            echo(REASON_INDENT + line)
    if build_kpis:
        all_ok &= run_kpis(bag, first, last, echo)
    if unusable:  # again at the end, where the eye lands after many months
        echo(words()["not_run_end"].format(sources=", ".join(sorted({shown_path(e.path) for e in unusable}))))
    return all_ok


def run_month(dag, month: str) -> tuple[bool, str, list[str]]:
    """(ok, outcome, reason lines) of one DAG run for ``month``; its output goes to its log file."""
    source = dag.dag_id.removeprefix("ingest_")
    with output_to(run_logs() / source / f"{month}.log") as log:
        dag_run = dag.test(logical_date=first_day(month))
    ok, outcome = describe(dag_run, source)
    return ok, outcome, [] if ok else [f"{source}: {line}" for line in reasons(dag_run, source, month, log)]


def run_kpis(bag, first: str, last: str, echo=print) -> bool:
    """One run of the KPI DAG (the scheduler would start it on the loads' asset events), then the
    KPIs of every complete report period (half-year, full year) the range touches."""
    with output_to(run_logs() / f"{KPI_DAG}.log") as log:
        dag_run = bag.dags[KPI_DAG].test(run_conf={"wait_for_loads": False})  # this process's loads are done
    if dag_run.state != "success":
        echo(f"KPI mart  FAILED in {', '.join(tasks_failed(dag_run)) or 'the run'}")
        echo("\n".join(REASON_INDENT + line for line in (_exception_in(log), words()["log"].format(path=log)) if line))
        return False
    echo(kpi_table(settings.warehouse_path(), first, last))
    return True
