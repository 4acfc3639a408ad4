"""Run one measurement in a fresh process: its wall time, its peak memory, and what it reported.

A fresh process per measurement, so nothing is warm that would not be warm in a DAG task. Its peak
memory is ``VmHWM`` of ``/proc/<pid>/status``, the high-water mark of the resident set of the process's
own address space since its exec. Not ``ru_maxrss``: Linux carries the forking parent's high-water mark
over the exec into the child's ``ru_maxrss`` (with vfork, the parent's peak: the benchmark's own, a few
GB after it has built a warehouse), so every child would seem to peak at the parent's size. A probe
(``tools.bench.probe``) reads its own VmHWM as it finishes; for other commands the parent polls it.
The child prints one JSON object as its last line of stdout: the timings it took around the work
itself, after its imports.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tools.bench.paths import REPO_ROOT, scratch_dir

# What every child gets besides the caller's environment: quiet libraries, no network from GX.
QUIET = {"PYTHONWARNINGS": "ignore", "GX_ANALYTICS_ENABLED": "false", "PYTHONUNBUFFERED": "1",
         "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"}


class ChildFailed(RuntimeError):
    pass


def run_child(args: list[str], env: dict | None = None, on_line=None, log_name: str = "child") -> dict:
    """Run ``args``; returns its JSON report plus ``process_s`` (wall, start to exit) and ``peak_rss_mb``.

    ``on_line(line, seconds_since_start)`` sees each stdout line as it comes (the start-up figure of
    ``town-industry run`` is the time to its first month line).
    """
    logs = scratch_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stderr_path = logs / f"{log_name}.stderr"
    full_env = {**os.environ, **QUIET, **(env or {})}
    lines: list[str] = []
    start = time.perf_counter()
    with open(stderr_path, "wb") as stderr:
        child = subprocess.Popen(args, cwd=REPO_ROOT, env=full_env, stdout=subprocess.PIPE, stderr=stderr,
                                 text=True, encoding="utf-8", errors="replace")
        watch = HighWaterMark(child.pid)
        for line in child.stdout:  # stderr goes to a file, so reading stdout alone cannot deadlock
            lines.append(line.rstrip("\n"))
            if on_line:
                on_line(line.rstrip("\n"), time.perf_counter() - start)
        watch.stop()
        child.wait()
    elapsed = time.perf_counter() - start
    report = _last_json(lines)
    if child.returncode != 0 and not report.get("expected_failure"):
        tail = stderr_path.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise ChildFailed(f"{' '.join(args)} exited {child.returncode}\n{chr(10).join(lines[-20:])}\n{tail}")
    return {"peak_rss_mb": watch.peak_mb, **report, "process_s": elapsed, "exit_code": child.returncode,
            "stdout": lines}


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident set of a process's address space (VmHWM), in MB; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class HighWaterMark:
    """Polls a child's VmHWM (it only grows, so a poll misses at most the last interval's growth)."""

    def __init__(self, pid: int, interval: float = 0.05):
        import threading

        self.peak_mb = 0.0
        self._pid, self._interval = pid, interval
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            seen = vm_hwm_mb(self._pid)
            if seen is not None:
                self.peak_mb = max(self.peak_mb, seen)
            self._done.wait(self._interval)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def probe(kind: str, *args: str, env: dict | None = None, log_name: str | None = None) -> dict:
    """``python -m tools.bench.probe kind args...`` in a fresh interpreter of this virtualenv."""
    return run_child([sys.executable, "-m", "tools.bench.probe", kind, *map(str, args)], env=env,
                     log_name=log_name or kind)


def _last_json(lines: list[str]) -> dict:
    for line in reversed(lines):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return {}


def median_of(samples: list[dict]) -> dict:
    """Each numeric figure's median over the runs; the runs' own figures kept under ``runs``."""
    keys = [k for k, v in samples[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    merged = {k: v for k, v in samples[0].items() if k not in keys and k != "stdout"}
    merged.update({k: statistics.median(s[k] for s in samples if k in s) for k in keys})
    merged["runs"] = [{k: s.get(k) for k in keys} for s in samples]
    return merged


def fresh_dir(name: str) -> Path:
    """An empty scratch folder for one measurement."""
    import shutil

    path = scratch_dir() / name
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
