"""Run a file's validation in a child process, within the source's time and memory limits.

A hostile or broken file (a zip bomb, a runaway export) must cost a clear rejection, not the worker:
the parent watches the child's memory and the clock, and kills it at the first limit it crosses. The
parent stays responsive to Airflow's SIGTERM, and the child ends with it.

How the child starts depends on the process. A task process under the scheduler holds no database
connection, so the child is forked from it and inherits the loaded libraries (it starts in milliseconds).
A process that runs DAGs in-process (``dag.test``: ``make run``, the tests) holds connections to
Airflow's SQLite metadata database, which the threads of the in-process execution API use while the child is forked; a
child that inherits those connections and closes them can corrupt the database (measured: broken
indexes and "disk I/O error" in the full test suite). There the child comes from a fork server, a clean
process started once per process that has already loaded the validation's libraries.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from typing import Callable

import psutil

from town_industry.contracts.codes import mask_id_numbers_in
from town_industry.contracts.rules import bilingual, finding
from town_industry.contracts.sources import Limits

POLL_SECONDS = 0.1


class LimitExceeded(Exception):
    """The validation crossed a limit and was stopped."""

    def __init__(self, kind: str, limit: float, unit: str):
        self.kind, self.limit, self.unit = kind, limit, unit
        super().__init__(f"the {kind} limit of {limit:g} {unit} was reached")


class ChildFailed(Exception):
    """The validation raised an exception (``detail``: type and message; ``trace``: the child's traceback)."""

    def __init__(self, detail: str, trace: str = ""):
        super().__init__(detail)
        self.detail, self.trace = detail, trace


def failure_finding(exc: LimitExceeded | ChildFailed, file_name: str):
    """The finding that rejects a file whose validation crossed a limit or crashed: the DAG's validation
    and the report center's upload check give the clerk the same verdict for the same file."""
    if isinstance(exc, LimitExceeded):
        what = {"time": bilingual("时间", "time"), "memory": bilingual("内存", "memory")}[exc.kind]
        return finding("file_too_costly", {"file": file_name, "what": what, "limit": f"{exc.limit:g} {exc.unit}"})
    return finding("validation_crashed", {"file": file_name, "detail": mask_id_numbers_in(exc.detail)[:500]})


def run_within(limits: Limits, function: Callable, *args, method: str | None = None):
    """``function(*args)`` in a child process; its return value (picklable), or LimitExceeded / ChildFailed.

    ``method``: "fork" or "forkserver" (see above); by default the one this process needs. With a fork
    server, ``function`` must be importable (a module-level function) and its arguments picklable.
    """
    _may_have_children()
    context = multiprocessing.get_context(method or start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload([function.__module__, *FORK_SERVER_PRELOAD])  # once: the first call's
    receiver, sender = context.Pipe(duplex=False)
    # The child sees this process's environment as it is now (a fork server started with an older one).
    me = psutil.Process()
    child = context.Process(target=_child, args=(sender, (me.pid, me.create_time()), dict(os.environ), function,
                                                args), daemon=True)
    child.start()
    sender.close()
    watched = psutil.Process(child.pid)
    try:  # the child starts sharing all the memory of the process it was forked from
        baseline = watched.parent().memory_info().rss
    except (psutil.NoSuchProcess, AttributeError):  # it already ended: the loop reads why
        baseline = 0
    deadline = time.monotonic() + limits.max_seconds
    try:
        while not receiver.poll(POLL_SECONDS):
            if not child.is_alive():
                raise ChildFailed(f"the validating process ended without a result (exit code {child.exitcode})")
            try:
                grown = watched.memory_info().rss - baseline
            except psutil.NoSuchProcess:
                continue  # it just ended: the next turn reads its result or its exit code
            if grown > limits.max_memory_mb * 2**20:
                raise LimitExceeded("memory", limits.max_memory_mb, "MB")
            if time.monotonic() > deadline:
                raise LimitExceeded("time", limits.max_seconds, "s")
        try:
            status, payload = receiver.recv()
        except EOFError:  # it died after poll() saw its end of the pipe close
            child.join(timeout=10)
            raise ChildFailed(f"the validating process ended without a result (exit code {child.exitcode})") from None
    finally:  # on a limit, an error or the task's own SIGTERM: the child never outlives the decision
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if status == "error":
        raise ChildFailed(*payload)
    return payload


def _may_have_children() -> None:
    """A Celery worker's pool processes are daemonic, and a task process forked from one inherits the flag,
    with which multiprocessing refuses to start a child ("daemonic processes are not allowed to have
    children"). The flag belongs to the pool process; the task's process is not a pool worker, and its
    child never outlives it (_end_with)."""
    multiprocessing.current_process()._config.pop("daemon", None)


def start_method() -> str:
    """"forkserver" in a process with connections open to Airflow's SQLite metadata database, "fork" elsewhere
    (importing Airflow only configures the database; a process that never used it has nothing to pass on)."""
    airflow_settings = sys.modules.get("airflow.settings")
    async_engine = getattr(airflow_settings, "async_engine", None)
    for engine in (getattr(airflow_settings, "engine", None), getattr(async_engine, "sync_engine", None)):
        if engine is not None and engine.dialect.name == "sqlite" and _has_connections(engine.pool):
            return "forkserver"
    return "fork"


def _has_connections(pool) -> bool:
    try:
        return pool.checkedin() + pool.checkedout() > 0
    except AttributeError:  # a pool that keeps no count (NullPool): a connection may be open in another thread
        return True


# What the fork server loads before it forks any child, besides the function's own module.
FORK_SERVER_PRELOAD = ["town_industry.ingest.warm"]


def _child(sender, parent: tuple[int, float], environment: dict, function: Callable, args: tuple) -> None:
    _end_with(*parent)
    # Airflow's handlers belong to the task process: here SIGTERM simply ends the child.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(environment)
    try:
        result = ("ok", function(*args))
    except BaseException as exc:  # noqa: BLE001  the parent decides what a failure means
        result = ("error", (f"{type(exc).__name__}: {exc}"[:2000], traceback.format_exc()[-8000:]))
    sender.send(result)
    sender.close()


def _end_with(pid: int, started: float) -> None:
    """If the task's process is killed (SIGKILL, a lost worker), this child ends within POLL_SECONDS.

    A thread watches the process by pid and start time (pids are reused). The kernel's parent-death
    signal would not do: a fork server's child has the server for its parent, and the server lives on
    while any of its children holds its end of the server's pipe.
    """
    def watch():
        while True:
            try:
                task = psutil.Process(pid)
                alive = task.create_time() == started and task.status() != psutil.STATUS_ZOMBIE
            except psutil.NoSuchProcess:
                alive = False
            if not alive:
                os._exit(1)
            time.sleep(POLL_SECONDS)

    threading.Thread(target=watch, name="end-with-the-task", daemon=True).start()
