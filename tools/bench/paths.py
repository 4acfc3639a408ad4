"""Where the benchmark writes: only under ``build/bench/`` (results, caches, scratch runs).

``BENCH_DIR`` in the environment moves it (the smoke test uses a temporary folder).
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def bench_dir() -> Path:
    path = Path(os.environ.get("BENCH_DIR", REPO_ROOT / "build" / "bench")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Populations, files and prepared warehouses, reused by later runs (safe to delete)."""
    path = bench_dir() / "cache"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scratch_dir() -> Path:
    """Per-measurement working copies (warehouses, landing batches); emptied as each measurement ends."""
    path = bench_dir() / "scratch"
    path.mkdir(parents=True, exist_ok=True)
    return path
