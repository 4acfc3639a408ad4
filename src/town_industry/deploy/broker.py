"""The Celery broker of the stack on one machine: a private Redis on 127.0.0.1, with a password.

Debian's redis-server, installed on demand like PostgreSQL (deploy/local_airflow.py). It keeps nothing
on disk: a message lost with a restart of the stack belongs to a task that the scheduler queues again.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from town_industry.deploy.packages import apt_install


class BrokerError(RuntimeError):
    pass


def redis_server() -> str:
    found = shutil.which("redis-server") or (apt_install("redis-server") and shutil.which("redis-server"))
    if not found:
        raise BrokerError("redis-server is not installed and apt-get could not install it")
    return found


class Redis:
    """redis-server in the foreground, its configuration (password included) given on stdin: nothing
    secret on its command line."""

    def __init__(self, root: Path, port: int, password: str):
        self.root, self.port, self.password = root, port, password

    def start(self, log: Path, env: dict[str, str]) -> subprocess.Popen:
        self.root.mkdir(parents=True, exist_ok=True)
        config = "\n".join([
            f"port {self.port}", "bind 127.0.0.1", "protected-mode yes", f"requirepass {self.password}",
            f"dir {self.root}", 'save ""', "appendonly no", "daemonize no", 'logfile ""', "",
        ])
        with open(log, "ab") as out:
            proc = subprocess.Popen([redis_server(), "-"], stdin=subprocess.PIPE, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=self.root, env=env, start_new_session=True)
        proc.stdin.write(config.encode())
        proc.stdin.close()
        return proc

    def wait_ready(self, proc: subprocess.Popen, timeout: float = 30) -> None:
        import redis

        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise BrokerError(f"redis-server exited with code {proc.returncode}")
            try:
                if redis.Redis(host="127.0.0.1", port=self.port, password=self.password,
                               socket_connect_timeout=1).ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise BrokerError(f"redis-server did not answer on port {self.port} in {timeout:.0f} s") from None
            time.sleep(0.2)
