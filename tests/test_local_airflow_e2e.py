"""`make airflow` as a person uses it: the foreground command starts the stack, and both Ctrl-C and
`make airflow-stop` (from another process) leave no process behind, PostgreSQL included. (Slow set.)"""
from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil
import pytest

from test_scheduler_e2e import free_port

pytestmark = pytest.mark.e2e


def stack_processes(home) -> list[psutil.Process]:
    """Every process whose command line or working directory names the stack's home or its PostgreSQL
    cluster (which lives elsewhere when the postgres user cannot enter the home)."""
    names = {str(home), str((home / "postgres").resolve())}
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        try:
            text = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["cwd"] or "")
        except psutil.Error:
            continue
        if any(name in text for name in names) and proc.pid != psutil.Process().pid:
            found.append(proc)
    return found


def start_foreground(home) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "town_industry", "airflow", "start", "--home", str(home),
                             "--port", str(free_port()), "--pg-port", str(free_port())],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "Airflow is up" in line:
            return proc
    raise AssertionError(f"the stack did not start (exit {proc.wait()})")


def all_gone(home, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while (left := stack_processes(home)) and time.monotonic() < deadline:
        time.sleep(1)
    return [(p.pid, p.name()) for p in left if p.is_running()]


def test_ctrl_c_and_airflow_stop_leave_no_process(tmp_path_factory):
    home = tmp_path_factory.mktemp("stack_home")
    proc = start_foreground(home)
    assert len(stack_processes(home)) >= 5  # the command, api-server, scheduler, dag-processor, triggerer...
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.wait(timeout=120) == 0
    assert all_gone(home) == []

    proc = start_foreground(home)  # the same home again: the cluster and secrets are reused
    running = len(stack_processes(home))
    second = subprocess.run([sys.executable, "-m", "town_industry", "airflow", "start", "--home", str(home)],
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 1 and "already runs" in second.stderr  # refused...
    assert proc.poll() is None and len(stack_processes(home)) >= running  # ...and the running stack untouched
    subprocess.run([sys.executable, "-m", "town_industry", "airflow", "stop", "--home", str(home)],
                   check=True, timeout=120)  # what make airflow-stop runs
    assert proc.wait(timeout=120) == 0
    assert all_gone(home) == []
