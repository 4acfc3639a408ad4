"""Debian packages the stack on one machine needs (PostgreSQL, Redis, LibreOffice), installed where missing."""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

# One apt-get at a time on this machine: a second one fails at once on dpkg's lock, and make test runs two
# pytest sessions that may each install something (PostgreSQL and Redis for the stack, docker-compose,
# LibreOffice for the rendering test).
LOCK = Path(tempfile.gettempdir()) / "town-industry-apt.lock"
# An install by something else (the office's updates) holds dpkg's lock too: apt-get waits for it.
LOCK_TIMEOUT_SECONDS = 600


def apt_install(*packages: str) -> bool:
    """``apt-get install`` the packages (as root, or through sudo); a stale package list is refreshed once,
    as ``make fonts`` does. True when it installed."""
    apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-o", f"DPkg::Lock::Timeout={LOCK_TIMEOUT_SECONDS}"]
    if os.geteuid() != 0:
        apt = ["sudo", *apt]
    install = [*apt, "install", "-y", "--no-install-recommends", *packages]
    print(f"{', '.join(packages)} missing: " + " ".join(install), file=sys.stderr, flush=True)
    lock = os.open(LOCK, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # waits for the other session's install
        if subprocess.run(install).returncode == 0:
            return True
        return subprocess.run([*apt, "update"]).returncode == 0 and subprocess.run(install).returncode == 0
    finally:
        os.close(lock)
