"""Validation in a bounded child process (ingest/bounded.py): real forks, real kills, real signals."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from town_industry.contracts.sources import Limits
from town_industry.ingest.bounded import ChildFailed, LimitExceeded, run_within


def answer(x):
    return {"double": 2 * x, "pid": os.getpid()}


def sleep_for(seconds):
    time.sleep(seconds)
    return "woke"


def hoard(megabytes):
    blocks = [bytearray(2**20) for _ in range(megabytes)]  # touched: resident, not just reserved
    time.sleep(5)
    return len(blocks)


def fail_with_an_id_number():
    raise ValueError("could not convert '110101199003074514' in row 7")


def test_the_result_comes_back_from_another_process():
    result = run_within(Limits(), answer, 21)
    assert result["double"] == 42 and result["pid"] != os.getpid()


def test_time_limit_kills_the_child():
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as caught:
        run_within(Limits(max_seconds=0.5), sleep_for, 30)
    assert caught.value.kind == "time" and time.monotonic() - started < 5
    assert psutil.Process().children() == []  # nothing left running


def test_memory_limit_kills_the_child():
    with pytest.raises(LimitExceeded) as caught:
        run_within(Limits(max_memory_mb=100, max_seconds=60), hoard, 400)
    assert caught.value.kind == "memory"
    assert psutil.Process().children() == []


def test_an_exception_in_the_child_is_reported_with_its_message():
    with pytest.raises(ChildFailed) as caught:
        run_within(Limits(), fail_with_an_id_number)
    assert "ValueError: could not convert" in caught.value.detail and "fail_with_an_id_number" in caught.value.trace


def kill_myself():
    os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does


def test_a_child_killed_by_the_kernel_is_reported():
    with pytest.raises(ChildFailed, match="exit code -9"):
        run_within(Limits(), kill_myself)


PARENT = textwrap.dedent("""
    import sys, time
    from town_industry.contracts.sources import Limits
    from town_industry.ingest.bounded import run_within

    def child():
        print("child", __import__("os").getpid(), flush=True)
        time.sleep(60)

    run_within(Limits(), child)
""")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_child_never_outlives_its_parent(signum):
    """SIGTERM (Airflow stopping a task) and SIGKILL (a lost worker) on the parent end the child too."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline().split()[1])
    assert psutil.pid_exists(child)
    parent.send_signal(signum)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    while psutil.pid_exists(child) and psutil.Process(child).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the child outlived its parent"
        time.sleep(0.05)
