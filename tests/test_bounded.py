"""Validation in a bounded child process (ingest/bounded.py): real forks, real kills, real signals.

The tests in this process use the plain fork; those of the fork server run in a process of their own
(a fork server is started once per process, with the modules of its first caller).
"""
from __future__ import annotations

import json
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


def environment_value(name):
    return os.environ.get(name)


def test_the_result_comes_back_from_another_process():
    result = run_within(Limits(), answer, 21, method="fork")
    assert result["double"] == 42 and result["pid"] != os.getpid()


def test_time_limit_kills_the_child():
    before = psutil.Process().children()
    started = time.monotonic()
    with pytest.raises(LimitExceeded) as caught:
        run_within(Limits(max_seconds=0.5), sleep_for, 30, method="fork")
    assert caught.value.kind == "time" and time.monotonic() - started < 5
    assert psutil.Process().children() == before  # nothing left running (a fork server of an earlier test may)


def test_memory_limit_kills_the_child():
    before = psutil.Process().children()
    with pytest.raises(LimitExceeded) as caught:
        run_within(Limits(max_memory_mb=100, max_seconds=60), hoard, 400, method="fork")
    assert caught.value.kind == "memory"
    assert psutil.Process().children() == before


def test_an_exception_in_the_child_is_reported_with_its_message():
    with pytest.raises(ChildFailed) as caught:
        run_within(Limits(), fail_with_an_id_number, method="fork")
    assert "ValueError: could not convert" in caught.value.detail and "fail_with_an_id_number" in caught.value.trace


def kill_myself():
    os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does


def test_a_child_killed_by_the_kernel_is_reported():
    with pytest.raises(ChildFailed, match="exit code -9"):
        run_within(Limits(), kill_myself, method="fork")


TESTS = os.path.dirname(os.path.abspath(__file__))

FORK_SERVER = textwrap.dedent("""
    import json, os
    from test_bounded import answer, environment_value, fail_with_an_id_number, hoard, sleep_for
    from town_industry.contracts.sources import Limits
    from town_industry.ingest.bounded import ChildFailed, LimitExceeded, run_within

    def outcome(function, *args, limits=Limits()):
        try:
            return run_within(limits, function, *args, method="forkserver")
        except LimitExceeded as exc:
            return "limit: " + exc.kind
        except ChildFailed as exc:
            return "failed: " + exc.detail

    os.environ["PROBE"] = "before"
    first = outcome(answer, 21)
    os.environ["PROBE"] = "after"  # the fork server is running by now, with the old environment
    print(json.dumps({"parent": os.getpid(), "first": first, "probe": outcome(environment_value, "PROBE"),
                      "time": outcome(sleep_for, 30, limits=Limits(max_seconds=0.5)),
                      "memory": outcome(hoard, 400, limits=Limits(max_memory_mb=100, max_seconds=60)),
                      "crash": outcome(fail_with_an_id_number)}))
""")


def test_a_child_from_the_fork_server_sees_the_current_environment_and_keeps_to_the_limits():
    """The start the in-process runs use (they hold Airflow's SQLite database, which no child may inherit)."""
    done = subprocess.run([sys.executable, "-c", FORK_SERVER], capture_output=True, text=True, timeout=120,
                          cwd=TESTS)  # `python -c` imports from its working directory: test_bounded
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["first"]["double"] == 42 and seen["first"]["pid"] != seen["parent"]
    assert seen["probe"] == "after"
    assert seen["time"] == "limit: time" and seen["memory"] == "limit: memory"
    assert seen["crash"].startswith("failed: ValueError: could not convert")


def test_a_process_holding_airflows_sqlite_database_uses_the_fork_server(tmp_path):
    script = textwrap.dedent("""
        from town_industry.ingest.bounded import start_method
        seen = [start_method()]
        import airflow.settings  # configures the database from the environment, opens no connection
        seen.append(start_method())
        with airflow.settings.engine.connect():
            pass  # the pool keeps it open, as dag.test's sessions do
        seen.append(start_method())
        print(*seen)
    """)
    env = {**os.environ, "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=env)
    assert done.stdout.split() == ["fork", "fork", "forkserver"], done.stderr[-2000:]


def test_a_task_process_forked_from_a_celery_pool_process_may_validate():
    """Celery's pool processes are daemonic (billiard marks multiprocessing's current process so), and the
    task processes forked from them inherit the mark."""
    script = textwrap.dedent("""
        import multiprocessing
        from test_bounded import answer
        from town_industry.contracts.sources import Limits
        from town_industry.ingest.bounded import run_within
        multiprocessing.current_process()._config["daemon"] = True  # what billiard's pool leaves behind
        print(run_within(Limits(), answer, 21, method="fork")["double"])
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=TESTS)
    assert done.stdout.split() == ["42"], done.stderr[-2000:]


def announce_and_sleep():
    print("child", os.getpid(), flush=True)
    time.sleep(60)


PARENT = textwrap.dedent("""
    import sys
    from test_bounded import announce_and_sleep
    from town_industry.contracts.sources import Limits
    from town_industry.ingest.bounded import run_within

    run_within(Limits(), announce_and_sleep, method=sys.argv[1])
""")


@pytest.mark.parametrize("method", ["fork", "forkserver"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_child_never_outlives_its_parent(signum, method):
    """SIGTERM (Airflow stopping a task) and SIGKILL (a lost worker) on the parent end the child too, and
    the fork server with it."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT, method], stdout=subprocess.PIPE, text=True, cwd=TESTS)
    child = int(parent.stdout.readline().split()[1])
    assert psutil.pid_exists(child)
    descendants = psutil.Process(parent.pid).children(recursive=True)
    assert child in [p.pid for p in descendants]
    parent.send_signal(signum)
    parent.wait(timeout=10)
    deadline = time.monotonic() + 10
    for pid in [p.pid for p in descendants]:
        while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, f"process {pid} outlived the parent"
            time.sleep(0.05)
