"""Fault points: named moments where a test stops a run, to kill it there for certain (tests/test_faults.py),
or makes it raise, as a bug in the pipeline would (tests/test_hostile_files.py).

In a real run they do nothing. A test sets ``TOWN_INDUSTRY_PAUSE_AT`` to a point's name and
``TOWN_INDUSTRY_PAUSE_FILE`` to a path: the process that reaches the point writes its pid to that file
and waits to be killed (at most ``PAUSE_SECONDS``, then it carries on, so a forgotten setting cannot
hang a run for ever). ``TOWN_INDUSTRY_CRASH_AT`` and ``TOWN_INDUSTRY_CRASH_MESSAGE`` make the process that
reaches the point raise a RuntimeError with that message. Both travel in the environment, so they reach
a validating child wherever it was started from (ingest/bounded.py).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

POINTS = ("validate", "landing", "transaction", "mart", "draft")
PAUSE_SECONDS = 300


def pause_point(name: str) -> None:
    assert name in POINTS, name
    if os.environ.get("TOWN_INDUSTRY_PAUSE_AT") != name:
        return
    marker = Path(os.environ["TOWN_INDUSTRY_PAUSE_FILE"])
    partial = marker.with_suffix(".partial")
    partial.write_text(str(os.getpid()))
    partial.replace(marker)  # the test reads a whole pid or nothing
    deadline = time.monotonic() + PAUSE_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.1)


def crash_point(name: str) -> None:
    assert name in POINTS, name
    if os.environ.get("TOWN_INDUSTRY_CRASH_AT") == name:
        raise RuntimeError(os.environ.get("TOWN_INDUSTRY_CRASH_MESSAGE", f"a fault injected at {name}"))
