"""Debian packages the stack on one machine needs (PostgreSQL, Redis), installed where missing."""
from __future__ import annotations

import os
import subprocess
import sys

# Another install running beside this one (a second test session, the office's updates) holds dpkg's lock:
# wait for it rather than fail.
LOCK_TIMEOUT_SECONDS = 600


def apt_install(*packages: str) -> bool:
    """``apt-get install`` the packages (as root, or through sudo); a stale package list is refreshed once,
    as ``make fonts`` does. True when it installed."""
    apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-o", f"DPkg::Lock::Timeout={LOCK_TIMEOUT_SECONDS}"]
    if os.geteuid() != 0:
        apt = ["sudo", *apt]
    install = [*apt, "install", "-y", "--no-install-recommends", *packages]
    print(f"{', '.join(packages)} missing: " + " ".join(install), file=sys.stderr, flush=True)
    if subprocess.run(install).returncode == 0:
        return True
    return subprocess.run([*apt, "update"]).returncode == 0 and subprocess.run(install).returncode == 0
