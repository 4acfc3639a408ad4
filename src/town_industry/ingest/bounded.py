"""Run a file's validation in a child process, within the source's time and memory limits.

A hostile or broken file (a zip bomb, a runaway export) must cost a clear rejection, not the worker:
the child is forked from the task's process (it inherits the loaded libraries, so it starts in
milliseconds), the parent watches its memory and the clock, and kills it at the first limit it
crosses. The parent stays responsive to Airflow's SIGTERM, and the child dies with it.
"""
from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import time
import traceback
from typing import Callable

import psutil

from town_industry.contracts.sources import Limits

POLL_SECONDS = 0.1
PR_SET_PDEATHSIG = 1  # linux/prctl.h


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


def run_within(limits: Limits, function: Callable, *args):
    """``function(*args)`` in a forked child; its return value (picklable), or LimitExceeded / ChildFailed."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    baseline = psutil.Process().memory_info().rss  # the child starts sharing all of it
    child = context.Process(target=_child, args=(sender, os.getpid(), function, args), daemon=True)
    child.start()
    sender.close()
    watched = psutil.Process(child.pid)
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


def _child(sender, parent: int, function: Callable, args: tuple) -> None:
    _die_with_parent(parent)
    # Airflow's handlers belong to the task process: here SIGTERM simply ends the child.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        result = ("ok", function(*args))
    except BaseException as exc:  # noqa: BLE001  the parent decides what a failure means
        result = ("error", (f"{type(exc).__name__}: {exc}"[:2000], traceback.format_exc()[-8000:]))
    sender.send(result)
    sender.close()


def _die_with_parent(parent: int) -> None:
    """If the task's process is killed (SIGKILL, a lost worker), the kernel kills this child too."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's finally still kills it in every other case
        pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)
