"""Start the month's ingest run after an accepted upload, and read how it is going.

The run is a one-month backfill of ``ingest_<source>``, created in-process through Airflow's own
backfill service (what ``airflow backfill create`` and ``POST /api/v2/backfills`` call): the report center
runs inside the api-server, so a loop-back HTTP call would only add a second login and a URL to
configure. A backfill, not a manual run, because each ingest DAG has ``max_active_runs=1`` and its
current month's scheduled run waits in its sensor for days: a manual run would queue behind it, while
backfill runs are counted apart. With ``reprocess_behavior=completed`` a month that already ran (loaded or
rejected) runs again; a month whose run is still under way is left to it (its sensor takes the new file
at its next check). The user's right to start runs is checked before the upload is accepted
(``auth.refusal``), and the backfill records who started it.

The app calls the ``Trigger``/``RunStatus``-shaped functions it is given, so tests replace them and need
no scheduler.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Callable

from town_industry.periods import first_day, run_month
from town_industry.report_center.auth import dag_id_of

log = logging.getLogger(__name__)

IN_FLIGHT = ("该月份的运行仍在进行（或在等待文件），它会在下次检查时取用新文件 / the month's run is still under way "
             "(or waiting for its file): its sensor takes the new file at its next check")


@dataclass
class Triggered:
    dag_id: str
    run_id: str | None  # None when no run was started (``problem`` says why)
    backfill_id: int | None = None
    paused: bool = False  # the run waits until the DAG is switched on
    problem: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


Trigger = Callable[[str, str, str, str], Triggered]  # (source, month, user name, sha256)
RunStatus = Callable[[str, str], dict]  # (source, run_id) -> {"state": ..., "tasks": {task_id: state}}


def airflow_trigger(source_name: str, month: str, user_name: str, sha256: str) -> Triggered:
    """A one-month backfill of ``ingest_<source>`` for ``month``, in Airflow's metadata database."""
    from airflow.exceptions import AirflowException, DagNotFound
    from airflow.models.backfill import ReprocessBehavior, _create_backfill
    from airflow.models.dag import DagModel

    dag_id = dag_id_of(source_name)
    try:
        backfill = _create_backfill(dag_id=dag_id, from_date=first_day(month), to_date=first_day(month),
                                    max_active_runs=1, reverse=False, dag_run_conf=None,
                                    triggering_user_name=user_name, reprocess_behavior=ReprocessBehavior.COMPLETED)
    except (DagNotFound, AirflowException, ValueError) as exc:  # AlreadyRunningBackfill among them
        log.warning("report center: no run of %s for %s (file %s): %s", dag_id, month, sha256[:12], exc)
        return Triggered(dag_id, None, problem=f"{type(exc).__name__}: {exc}")
    run_id, reason = _backfill_run(backfill.id)
    model = DagModel.get_current(dag_id)
    return Triggered(dag_id, run_id, backfill.id, paused=bool(model and model.is_paused),
                     problem=None if run_id else (IN_FLIGHT if reason == "in flight" else reason))


def _backfill_run(backfill_id: int) -> tuple[str | None, str | None]:
    """The run the one-month backfill created, or why it created none."""
    from airflow.models.backfill import BackfillDagRun
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        row = session.execute(select(BackfillDagRun.dag_run_id, BackfillDagRun.exception_reason).where(
            BackfillDagRun.backfill_id == backfill_id)).first()
        if row is None:
            return None, "no run created"
        if row.dag_run_id is None:
            return None, str(getattr(row.exception_reason, "value", row.exception_reason))
        return session.scalar(select(DagRun.run_id).where(DagRun.id == row.dag_run_id)), None


def airflow_run_status(source_name: str, run_id: str) -> dict:
    """The run's state, the month it processes, and each task's state in the DAG's order (upstream first:
    by priority weight, which Airflow sums downstream), from Airflow's metadata database."""
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session
    from sqlalchemy import select

    dag_id = dag_id_of(source_name)
    with create_session() as session:
        run = session.execute(select(DagRun.state, DagRun.logical_date, DagRun.data_interval_start).where(
            DagRun.dag_id == dag_id, DagRun.run_id == run_id)).first()
        if run is None:
            return {"dag_id": dag_id, "run_id": run_id, "state": None, "month": None, "tasks": {}}
        tasks = session.execute(select(TaskInstance.task_id, TaskInstance.state).where(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id).order_by(
            TaskInstance.priority_weight.desc(), TaskInstance.task_id)).all()
    return {"dag_id": dag_id, "run_id": run_id, "state": _name(run.state),
            "month": run_month(run.logical_date, run.data_interval_start),
            "tasks": {task: _name(state) for task, state in tasks}}


def _name(state) -> str | None:
    """'success' for DagRunState.SUCCESS (a str enum) and for 'success'; None for no state yet."""
    return None if state is None else str(getattr(state, "value", state))
