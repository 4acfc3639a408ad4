"""Debian packages the stack on one machine needs (PostgreSQL, Redis), installed where missing."""
from __future__ import annotations

import os
import subprocess
import sys


def apt_install(package: str) -> bool:
    """``apt-get install`` one package (as root, or through sudo); a stale package list is refreshed once,
    as ``make fonts`` does. True when it installed."""
    apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    if os.geteuid() != 0:
        apt = ["sudo", *apt]
    install = [*apt, "install", "-y", "--no-install-recommends", package]
    print(f"{package} is missing: " + " ".join(install), file=sys.stderr, flush=True)
    if subprocess.run(install).returncode == 0:
        return True
    return subprocess.run([*apt, "update"]).returncode == 0 and subprocess.run(install).returncode == 0
