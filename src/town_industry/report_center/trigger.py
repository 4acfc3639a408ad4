"""Start the month's ingest run after an accepted upload, and read how it is going.

In-process, through Airflow's own service ``airflow.api.common.trigger_dag`` (what ``airflow dags
trigger`` and the REST API's trigger build on): the report center runs inside the api-server, so a
loop-back HTTP call to ``/api/v2`` would only add a second login and a URL to configure. The user's
right to start runs is checked before the upload is accepted (``auth.refusal``), and the run records
who triggered it.

A run processes the month of its logical date, and Airflow keeps one run per (DAG, logical date):
a month that already has runs (its scheduled run, a backfill, an earlier upload) gets the first free
second after them, still inside the month. The app calls ``Trigger``-shaped functions it is given, so
tests replace them and need no scheduler.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from town_industry.periods import first_day, next_month
from town_industry.report_center.auth import dag_id_of

log = logging.getLogger(__name__)


@dataclass
class Triggered:
    dag_id: str
    run_id: str | None  # None when no run could be started (``problem`` says why)
    logical_date: str | None = None
    paused: bool = False  # the run waits until the DAG is switched on
    problem: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


Trigger = Callable[[str, str, str, str], Triggered]  # (source, month, user name, sha256)
RunStatus = Callable[[str, str], dict]  # (source, run_id) -> {"state": ..., "tasks": {task_id: state}}


def free_logical_date(month: str, taken: list[datetime]) -> datetime:
    """The month's first moment if no run has it, else one second after the latest run of the month."""
    start = first_day(month)
    if not taken:
        return start
    candidate = max(taken) + timedelta(seconds=1)
    if candidate >= next_month(start):
        raise ValueError(f"{month}: no free logical date left in the month")
    return candidate


def run_id_for(month: str, sha256: str, now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"report_center__{month}__{now:%Y%m%dT%H%M%S}__{sha256[:12]}"


def airflow_trigger(source_name: str, month: str, user_name: str, sha256: str) -> Triggered:
    """Queue a manual run of ``ingest_<source>`` for ``month`` in Airflow's metadata database."""
    from airflow.api.common.trigger_dag import trigger_dag
    from airflow.exceptions import DagNotFound, DagRunAlreadyExists
    from airflow.models.dag import DagModel
    from airflow.utils.types import DagRunTriggeredByType

    dag_id = dag_id_of(source_name)
    try:
        logical = free_logical_date(month, _logical_dates(dag_id, month))
        run = trigger_dag(dag_id, triggered_by=DagRunTriggeredByType.UI, triggering_user_name=user_name,
                          run_id=run_id_for(month, sha256), logical_date=logical,
                          note=f"报表中心上传 / report center upload, SHA-256 {sha256[:12]}")
    except (DagNotFound, DagRunAlreadyExists, ValueError) as exc:
        log.warning("report center: could not trigger %s for %s: %s", dag_id, month, exc)
        return Triggered(dag_id, None, problem=f"{type(exc).__name__}: {exc}")
    model = DagModel.get_current(dag_id)
    return Triggered(dag_id, run.run_id, logical.isoformat(), paused=bool(model and model.is_paused))


def _logical_dates(dag_id: str, month: str) -> list[datetime]:
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    start = first_day(month)
    with create_session() as session:
        return list(session.scalars(select(DagRun.logical_date).where(
            DagRun.dag_id == dag_id, DagRun.logical_date >= start, DagRun.logical_date < next_month(start))))


def airflow_run_status(source_name: str, run_id: str) -> dict:
    """The run's state and each task's state, from Airflow's metadata database."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_id = dag_id_of(source_name)
    with create_session() as session:
        state = session.scalar(select(DagRun.state).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id))
        if state is None:
            return {"dag_id": dag_id, "run_id": run_id, "state": None, "tasks": {}}
        tasks = dict(session.execute(select(TaskInstance.task_id, TaskInstance.state).where(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)).all())
    return {"dag_id": dag_id, "run_id": run_id, "state": _name(state),
            "tasks": {task: _name(s) for task, s in sorted(tasks.items())}}


def _name(state) -> str | None:
    """'success' for DagRunState.SUCCESS (a str enum) and for 'success'; None for no state yet."""
    return None if state is None else str(getattr(state, "value", state))
