"""A local Airflow stack fit for the real scheduler: ``make airflow`` / ``make airflow-stop``.

``make run`` and the tests drive DAGs with ``dag.test()`` on SQLite (``.airflow/``). That never exercises
what production does: a scheduler deciding what runs, Celery workers talking to the API server's
execution API, asset-triggered DAGs, backfills, pools, queues. This module starts that on one machine,
as the topology docker-compose.yml declares (deploy/topology.py: the same processes and settings):

    PostgreSQL (a private cluster, 127.0.0.1:<pg_port>)  <- metadata DB (SQLite cannot serve parallel workers)
    Redis (127.0.0.1:<redis_port>, a password)            <- Celery broker
    airflow api-server --host 127.0.0.1 --port <port>     <- UI, /api/v2, /execution/ for the task workers
    airflow scheduler                                      <- CeleryExecutor
    airflow dag-processor                                  <- parses dags/
    airflow triggerer
    airflow celery worker --queues default                 <- waits for files, validates them
    airflow celery worker --queues warehouse -c 1          <- the one writer of the DuckDB warehouse

Everything lives in one home (default ``.airflow/server``): airflow.cfg (written by Airflow itself and
never edited: the configuration is the environment built by :meth:`LocalAirflow.environment`), the
PostgreSQL cluster, Redis's folder, the generated secrets (mode 600), one log per process in ``logs/`` and ``stack.json``
(what runs, so that ``stop`` works from another process).

    town-industry airflow start [--port 8080] [--pg-port 5433] [--home DIR]     (make airflow)
    town-industry airflow stop  [--home DIR]                                     (make airflow-stop)

From Python (an end-to-end test)::

    with LocalAirflow(tmp_home, port=free_port, pg_port=other_port, env={"WAREHOUSE": ...}) as stack:
        stack.cli("backfill", "create", "--dag-id", "ingest_enterprise_monthly", ...)
        stack.api("GET", "dags/ingest_enterprise_monthly/dagRuns")
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import psutil

from town_industry.deploy import topology
from town_industry.deploy.broker import Redis
from town_industry.deploy.packages import apt_install
from town_industry.settings import PROJECT_ROOT, WRITER_POOL

DEFAULT_HOME = PROJECT_ROOT / ".airflow" / "server"
AIRFLOW_BIN = Path(sys.prefix) / "bin" / "airflow"  # the virtualenv this module runs in
COMPONENTS = tuple(topology.COMPONENTS)
# make airflow's homes from before the stack ran Celery named their secrets so.
OLD_SECRET_NAMES = {"postgres_password": "POSTGRES_PASSWORD", "jwt_secret": "AIRFLOW_JWT_SECRET",
                    "api_secret_key": "AIRFLOW_API_SECRET_KEY", "fernet_key": "AIRFLOW_FERNET_KEY"}
HEALTH_COMPONENTS = ("metadatabase", "scheduler", "dag_processor", "triggerer")
# The pipeline's tasks read DATA_DIR, WAREHOUSE, REPORTS_DIR and PERSON_ID_HMAC_KEY: they reach the task
# processes with the caller's environment, which every process of the stack inherits. The paths among
# them are made absolute, since the processes run in the home.
PATH_SETTINGS = ("DATA_DIR", "WAREHOUSE", "REPORTS_DIR")
# Every Airflow process of a stack gets this variable and runs in the home, so stop() can find any that
# left its process group (Airflow puts each task process in a group of its own) and was orphaned.
# Processes that set their title (api_server, workers, serve-logs) overwrite /proc/<pid>/environ: for
# those the working directory and title tell. PostgreSQL has neither: pg_ctl stops it, after Airflow.
MARKER = "TOWN_INDUSTRY_AIRFLOW_STACK"
USERNAME = topology.ADMIN
STOP_GRACE_SECONDS = 20
SECOND_SIGNAL_AFTER = 5
# The Debian cluster tools run as this OS user; PostgreSQL refuses to run as root.
PG_OS_USER = "postgres"
# Where the cluster goes when the postgres user cannot reach the home (say a pytest tmp dir under the
# root-only /tmp/pytest-of-root) or its socket path would be too long. /var/tmp survives reboots.
PG_FALLBACK_ROOT = Path("/var/tmp/town-industry-airflow")
UNIX_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; keep a margin


class StackError(RuntimeError):
    """The stack could not start, or an API call failed; the message says why (with log tails)."""


class ApiError(StackError):
    def __init__(self, method: str, url: str, status: int, body: str):
        super().__init__(f"{method} {url} -> HTTP {status}: {body[:2000]}")
        self.status, self.body = status, body


class CliError(subprocess.CalledProcessError):
    """CalledProcessError whose message shows the command's output, not just its exit code."""

    def __str__(self) -> str:
        return f"{super().__str__()}\n{_tail_text((self.stdout or '') + (self.stderr or ''), 40)}"


# ---------------------------------------------------------------------------------------- helpers


def _tail_text(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return _tail_text(path.read_text(errors="replace"), lines)
    except FileNotFoundError:
        return "(no log)"


def _say(*args, file=None) -> None:
    """print() that never raises: with Ctrl-C a `| tee` dies first, and a broken pipe must not stop
    the shutdown halfway."""
    try:
        print(*args, file=file or sys.stdout, flush=True)
    except OSError:
        pass


def _is_root() -> bool:
    return os.geteuid() == 0


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # SO_REUSEADDR: a port whose old connections linger in TIME_WAIT is free; one with a listener is not.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_private(path: Path, text: str) -> None:
    """Create a file only its owner can read (secrets): mode 600 from the start, never world-readable."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(path, 0o600)  # O_CREAT's mode does not apply to a file that already existed


def _rotate(log: Path) -> None:
    """Keep the previous run's log as <name>.log.1: the tail shown on failure is this run's."""
    if log.exists():
        log.replace(log.with_name(log.name + ".1"))


def _alive(proc: psutil.Process) -> bool:
    # A zombie has exited: it only waits for its parent (maybe another process) to reap it.
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _all_healthy(health: dict, since: datetime) -> bool:
    """All four healthy, by heartbeats of this start: a job killed without a goodbye (SIGKILL) keeps
    looking alive in the metadata DB for [scheduler] scheduler_health_check_threshold (30 s)."""
    for component in HEALTH_COMPONENTS:
        info = health.get(component) or {}
        if info.get("status") != "healthy":
            return False
        beat = info.get(f"latest_{component}_heartbeat")
        if component != "metadatabase" and (not beat or datetime.fromisoformat(beat) < since):
            return False
    return True


def _pgid(proc: psutil.Process) -> int | None:
    try:
        return os.getpgid(proc.pid)
    except ProcessLookupError:
        return None


def _send(proc: psutil.Process, sig: signal.Signals) -> None:
    try:
        proc.send_signal(sig)  # psutil checks the pid still names the same process
    except psutil.Error:
        pass


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Wait until every process has exited; return those still alive at the timeout."""
    deadline = time.monotonic() + timeout
    while (alive := [p for p in procs if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


# ------------------------------------------------------------------------------------- PostgreSQL


def _pg_bindir() -> Path:
    """Debian's server binaries (newest major version), installed on demand like the fonts."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not found:
        _install_postgres()
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise StackError("PostgreSQL is not installed and apt-get could not install it")
    return Path(found[-1]).parent


def _install_postgres() -> None:
    if not apt_install("postgresql"):
        raise StackError("PostgreSQL is not installed and apt-get could not install it")


def _as_pg_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run the cluster's commands as the postgres user."""
    return ["runuser", "-u", PG_OS_USER, "--", *cmd] if _is_root() else cmd


def _pg_can_reach(path: Path) -> bool:
    if not _is_root():
        return True
    return subprocess.run(_as_pg_owner(["test", "-x", str(path)]), cwd="/").returncode == 0


class Postgres:
    """A private cluster: data in <root>/data, socket in <root>/run, TCP on 127.0.0.1:<port> only."""

    def __init__(self, root: Path, port: int, bindir: Path | None = None):
        self.root, self.port = root, port
        self.data, self.socket_dir = root / "data", root / "run"
        self._bindir = bindir

    @property
    def bindir(self) -> Path:
        if self._bindir is None:
            self._bindir = _pg_bindir()
        return self._bindir

    def _run(self, *cmd: str, log: Path | None = None, input: str | None = None,
             check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        # cwd=/ : run as postgres from a directory it may not read, pg_ctl and initdb refuse to start.
        out = open(log, "ab") if log else subprocess.PIPE
        try:
            result = subprocess.run(
                _as_pg_owner([str(self.bindir / cmd[0]), *cmd[1:]]), cwd="/", stdout=out,
                stderr=subprocess.STDOUT, input=input.encode() if input else None, timeout=timeout,
                # its own session: the postmaster pg_ctl leaves behind must not get the terminal's Ctrl-C
                # before Airflow has stopped (Airflow needs its DB to shut down cleanly).
                start_new_session=True,
            )
        finally:
            if log:
                out.close()
        if check and result.returncode != 0:
            detail = _tail(log) if log else (result.stdout or b"").decode(errors="replace")
            raise StackError(f"{' '.join(cmd[:2])} failed ({result.returncode}):\n{detail}")
        return result

    def _prepare_dirs(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        for d in (self.data, self.socket_dir):
            d.mkdir(exist_ok=True)
            os.chmod(d, 0o700)  # initdb and postgres insist on a private data directory
            if _is_root():
                shutil.chown(d, PG_OS_USER, PG_OS_USER)

    def ensure_cluster(self, log: Path) -> None:
        """initdb once; a later start reuses the cluster (and the metadata it holds)."""
        if (self.data / "PG_VERSION").exists():
            return
        if self.data.exists() and any(self.data.iterdir()):  # an initdb that was interrupted
            shutil.rmtree(self.data)
        self._prepare_dirs()
        # peer for the owner on the socket (administration, no password), scram for Airflow over TCP.
        self._run("initdb", "-D", str(self.data), "--encoding=UTF8", "--no-locale",
                  "--auth-local=peer", "--auth-host=scram-sha-256", log=log)

    def running(self) -> bool:
        if not (self.data / "PG_VERSION").exists():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data), check=False).returncode == 0

    def start(self, log: Path) -> None:
        if self.running():  # left over from a stack that was killed: restart it with this port
            self.stop()
        self._prepare_dirs()
        # Settings on the command line, not in postgresql.conf: the port is the caller's choice.
        options = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                   f"-c unix_socket_directories='{self.socket_dir}'")
        self._run("pg_ctl", "start", "-D", str(self.data), "-w", "-t", "60", "-o", options, log=log)

    def ensure_database(self, user: str, password: str, database: str) -> None:
        """Role and database for Airflow; the password is (re)set from the home's secrets every start."""
        # CREATE DATABASE cannot run in a DO block: \gexec runs it only when the SELECT returns it.
        sql = f"""
SELECT 'CREATE ROLE {user} LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{user}')\\gexec
ALTER ROLE {user} WITH LOGIN PASSWORD '{password}';
SELECT 'CREATE DATABASE {database} OWNER {user} ENCODING ''UTF8'''
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{database}')\\gexec
"""
        # The SQL (with the password) goes through stdin, never the command line ps shows.
        self._run("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
                  "-p", str(self.port), "-d", "postgres", input=sql)

    def stop(self) -> None:
        if not self.running():
            return
        fast = self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w", "-t", "30", check=False)
        if fast.returncode != 0 and self.running():
            self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", check=False)


def _adopt_fallback_cluster(root: Path, home: Path) -> None:
    """A cluster outside its home: record whose it is (and link it from the home, for people), and
    delete the clusters of homes that are gone (each pytest run has a new tmp home) and that no longer
    run, so /var/tmp does not fill up with them."""
    PG_FALLBACK_ROOT.mkdir(parents=True, exist_ok=True)
    for other in PG_FALLBACK_ROOT.iterdir():
        owner = other / "home"
        if (other != root and owner.is_file() and not Path(owner.read_text().strip()).exists()
                and not (other / "data" / "postmaster.pid").exists()):
            shutil.rmtree(other, ignore_errors=True)
    root.mkdir(exist_ok=True)
    (root / "home").write_text(f"{home}\n")
    link = home / "postgres"
    if not link.exists() and not link.is_symlink():
        link.symlink_to(root)


# ---------------------------------------------------------------------------------- the stack


class LocalAirflow:
    """The stack in ``home``: ``start()``, ``stop()``, and helpers for tests (``token``, ``api``, ``cli``)."""

    def __init__(self, home: Path = DEFAULT_HOME, port: int = 8080, pg_port: int = 5433,
                 env: dict[str, str] | None = None, redis_port: int | None = None):
        self.home = Path(home).resolve()
        self.port, self.pg_port = port, pg_port
        self.redis_port = redis_port  # a free port chosen at start() unless given
        self.extra_env = dict(env or {})
        self.base_url = f"http://127.0.0.1:{port}"
        self.username = USERNAME
        self.logs = self.home / "logs"
        self.state_file = self.home / "stack.json"
        self.secrets_file = self.home / "secrets.json"
        self.passwords_file = self.home / "simple_auth_manager_passwords.json.generated"
        self._procs: dict[str, subprocess.Popen] = {}
        self._broker: subprocess.Popen | None = None
        self._log_ports: dict[str, int] | None = None
        self._token: str | None = None
        self.startup_seconds: float | None = None

    # -- context manager: `with LocalAirflow(...) as stack:` starts, and always stops
    def __enter__(self) -> LocalAirflow:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- secrets -------------------------------------------------------------------------------

    def _secrets(self) -> dict[str, str]:
        """Generated once and kept (mode 600): the same JWT secret for every process across restarts,
        the PostgreSQL password the cluster already has, the Fernet key Variables are encrypted with.
        The names are those of docker-compose.yml's .env (topology.SECRETS); the UI's passwords are
        kept in the passwords file, and the ID-number key comes from the caller (PERSON_ID_HMAC_KEY)."""
        values = json.loads(self.secrets_file.read_text()) if self.secrets_file.exists() else {}
        renamed = {new: values.pop(old) for old, new in OLD_SECRET_NAMES.items() if old in values}
        wanted = [n for n in topology.SECRETS if n != "PERSON_ID_HMAC_KEY"]
        if not renamed and all(n in values for n in wanted):
            return values
        values = {**renamed, **values}
        for name in wanted:
            values.setdefault(name, topology.new_secret(name))
        self.home.mkdir(parents=True, exist_ok=True)
        _write_private(self.secrets_file, json.dumps(values, indent=2) + "\n")
        return values

    def _ensure_passwords(self) -> None:
        """A password for every account of the UI (topology.accounts(): the admin, the offices' clerks,
        the analyst), written before the api-server starts so that they are known and the file private:
        the Simple auth manager generates passwords only for users missing from this file, and prints
        them only to its log. Passwords already given are kept: a user added to the offices file gets
        one at the next start."""
        given = json.loads(self.passwords_file.read_text()) if self.passwords_file.exists() else {}
        missing = [user for user in topology.accounts() if user not in given]
        if missing or not self.passwords_file.exists():
            given.update({user: secrets.token_urlsafe(12) for user in missing})
            _write_private(self.passwords_file, json.dumps(given, indent=2) + "\n")

    def passwords(self) -> dict[str, str]:
        """Every account's password, by user name."""
        return json.loads(self.passwords_file.read_text())

    @property
    def password(self) -> str:
        return self.passwords()[self.username]

    # -- configuration ---------------------------------------------------------------------------

    def _postgres(self) -> Postgres:
        return Postgres(self._pg_root(), self.pg_port)

    def _redis_port(self) -> int:
        if self.redis_port is None:
            self.redis_port = (self._read_state() or {}).get("redis_port") or _free_port()
        return self.redis_port

    def _redis(self) -> Redis:
        return Redis(self.home / "redis", self._redis_port(), self._secrets()["REDIS_PASSWORD"])

    def _pg_root(self) -> Path:
        inside = self.home / "postgres"
        if len(str(inside / "run" / f".s.PGSQL.{self.pg_port}")) <= UNIX_SOCKET_PATH_MAX:
            if _is_root():  # the postgres user must be able to traverse the home to reach its cluster
                os.chmod(self.home, os.stat(self.home).st_mode | 0o011)
            if _pg_can_reach(self.home):
                return inside
        return PG_FALLBACK_ROOT / hashlib.sha256(str(self.home).encode()).hexdigest()[:16]

    def environment(self) -> dict[str, str]:
        """The whole configuration, given to every Airflow process of the stack (and to cli())."""
        values = self._secrets()
        place = topology.Place(postgres=f"127.0.0.1:{self.pg_port}", redis=f"127.0.0.1:{self._redis_port()}",
                               api_url=self.base_url, project=str(PROJECT_ROOT),
                               passwords_file=str(self.passwords_file), secret=values.__getitem__)
        # The caller's AIRFLOW_* settings (the Makefile exports the SQLite home's) are not this stack's.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__") and k != "AIRFLOW_HOME"}
        env.update(topology.airflow_settings(place))
        env.update({
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "PATH": os.pathsep.join([str(AIRFLOW_BIN.parent), os.environ.get("PATH", "")]),
            MARKER: str(self.home),
        })
        if self._log_ports:
            # The workers and the triggerer serve running tasks' logs to the UI, the scheduler its health:
            # free ports, not the fixed 8793/8794/8974, so that two stacks (or a stack and a test) never
            # collide. The log servers listen on every interface (Airflow has no host setting for them),
            # but answer only requests signed with [api] secret_key. Each worker has a port of its own
            # (_component_env).
            env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(self._log_ports["worker"])
            env["AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"] = str(self._log_ports["triggerer"])
            env["AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT"] = str(self._log_ports["scheduler"])
        env.update(self.extra_env)
        for name in PATH_SETTINGS:
            if env.get(name):
                env[name] = os.path.abspath(env[name])
        return env

    # -- state file ------------------------------------------------------------------------------

    def _write_state(self, **changes) -> None:
        state = self._read_state() or {}
        state.update(changes)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2) + "\n")
        tmp.replace(self.state_file)

    def _read_state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    @staticmethod
    def _recorded_process(entry: dict) -> psutil.Process | None:
        """The process a state entry names, if it still runs and is the same one (pids are reused)."""
        try:
            proc = psutil.Process(entry["pid"])
            if abs(proc.create_time() - entry["create_time"]) < 1 and proc.status() != psutil.STATUS_ZOMBIE:
                return proc
        except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError):
            pass
        return None

    def running(self) -> bool:
        state = self._read_state() or {}
        return any(self._recorded_process(e) for e in state.get("processes", {}).values())

    # -- start -----------------------------------------------------------------------------------

    def start(self, timeout: float = 180) -> None:
        """Start PostgreSQL and the four Airflow processes; return once /monitor/health is all healthy.

        Raises StackError (with the tails of the logs) if a process dies or health never comes;
        whatever was started is stopped again first."""
        started = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        if self.running():
            raise StackError(f"an Airflow stack already runs in {self.home}: stop it first "
                             f"(make airflow-stop, or town-industry airflow stop)")
        self.stop(quiet=True)  # leftovers of a stack that was killed (SIGKILL, reboot): clean slate
        if not _port_free(self.port):
            raise StackError(f"port {self.port} is in use: choose another (make airflow PORT=...)")
        try:
            self._start_postgres()
            self._start_redis()
            self._prepare_airflow_db()
            self._log_ports = {name: _free_port() for name in (*topology.WORKERS, "triggerer", "scheduler")}
            launched = datetime.now(timezone.utc)
            self._start_components()
            self._wait_healthy(started + timeout, launched)
        except BaseException:  # Ctrl-C included: never leave half a stack behind
            self.stop(quiet=True)
            raise
        self.startup_seconds = time.monotonic() - started

    def _start_postgres(self) -> None:
        pg = self._postgres()
        if not pg.running() and not _port_free(self.pg_port):
            raise StackError(f"port {self.pg_port} is in use: choose another PostgreSQL port (PG_PORT=...)")
        if pg.root.parent == PG_FALLBACK_ROOT:
            _adopt_fallback_cluster(pg.root, self.home)
        log = self.logs / "postgres.log"
        _rotate(log)
        pg.ensure_cluster(log)
        # Recorded before it starts: if anything later fails, stop() (here or from another process)
        # knows which cluster to stop.
        self._write_state(home=str(self.home), port=self.port, pg_port=self.pg_port,
                          postgres={"root": str(pg.root), "bindir": str(pg.bindir)}, processes={})
        pg.start(log)
        pg.ensure_database("airflow", self._secrets()["POSTGRES_PASSWORD"], "airflow")

    def _start_redis(self) -> None:
        if not _port_free(self._redis_port()):
            raise StackError(f"port {self._redis_port()} is in use: choose another Redis port")
        log = self.logs / "redis.log"
        _rotate(log)
        redis = self._redis()
        # Not marked as the stack's: stop() ends it after Airflow, whose workers still talk to it.
        self._broker = redis.start(log, env={k: v for k, v in os.environ.items() if k != MARKER})
        self._write_state(redis_port=redis.port, redis={
            "pid": self._broker.pid, "create_time": psutil.Process(self._broker.pid).create_time()})
        redis.wait_ready(self._broker)

    def _prepare_airflow_db(self) -> None:
        self._ensure_passwords()
        log = self.logs / "migrate.log"
        _rotate(log)
        self._run_logged(["db", "migrate"], log, timeout=900)
        self._run_logged(["pools", "set", WRITER_POOL, "1", topology.POOL_DESCRIPTION], log, timeout=300)

    def _run_logged(self, args: list[str], log: Path, timeout: float) -> None:
        with open(log, "ab") as out:
            rc = subprocess.run([str(AIRFLOW_BIN), *args], env=self.environment(), cwd=self.home,
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                timeout=timeout).returncode
        if rc != 0:
            raise StackError(f"airflow {' '.join(args[:2])} failed ({rc}); end of {log}:\n{_tail(log, 40)}")

    def _component_command(self, name: str) -> list[str]:
        if name == "api-server":  # loopback only: the UI and the execution API are for this machine
            return [str(AIRFLOW_BIN), "api-server", "--host", "127.0.0.1", "--port", str(self.port)]
        return [str(AIRFLOW_BIN), *topology.COMPONENTS[name]]

    def _component_env(self, name: str, env: dict[str, str]) -> dict[str, str]:
        if name in topology.WORKERS:  # two workers on one machine: a log server port each
            return {**env, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self._log_ports[name])}
        return env

    def _start_components(self) -> None:
        env = self.environment()
        for name in COMPONENTS:
            log = self.logs / f"{name}.log"
            _rotate(log)
            with open(log, "ab") as out:
                # Its own session and process group (start_new_session): the terminal's Ctrl-C reaches only
                # the foreground process, which stops things in order (Airflow first, then PostgreSQL),
                # and stop() can SIGKILL a component with every child it spawned in one killpg.
                self._procs[name] = subprocess.Popen(
                    self._component_command(name), env=self._component_env(name, env), cwd=self.home, stdin=subprocess.DEVNULL,
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self._write_state(processes={
            name: {"pid": p.pid, "create_time": psutil.Process(p.pid).create_time()}
            for name, p in self._procs.items()})

    def _dead_component(self) -> str | None:
        if self._broker is not None and self._broker.poll() is not None:
            return (f"redis-server exited with code {self._broker.returncode}; "
                    f"end of {self.logs / 'redis.log'}:\n{_tail(self.logs / 'redis.log')}")
        exited = {name: proc.poll() for name, proc in self._procs.items()}  # poll() all: reaps them
        for name, proc in self._procs.items():
            if exited[name] is not None:
                return (f"airflow {name} exited with code {proc.returncode}; "
                        f"end of {self.logs / (name + '.log')}:\n{_tail(self.logs / (name + '.log'))}")
        return None

    def health(self) -> dict:
        """GET /api/v2/monitor/health (no authentication needed)."""
        with urllib.request.urlopen(f"{self.base_url}/api/v2/monitor/health", timeout=5) as resp:
            return json.load(resp)

    def celery_workers_answering(self) -> set[str]:
        """The stack's Celery workers that answer a ping through the broker, by their names in
        topology.CELERY_NODES: a worker that runs but never got to consume (broker unreachable, stuck
        while starting) does not answer."""
        from celery import Celery

        app = Celery(broker=self.environment()["AIRFLOW__CELERY__BROKER_URL"])
        try:
            replies = app.control.ping(timeout=1.0)
        finally:
            app.close()
        nodes = {reply_name.split("@", 1)[0] for reply in replies for reply_name in reply}
        return {name for name, node in topology.CELERY_NODES.items() if node in nodes}

    def _wait_healthy(self, deadline: float, since: datetime) -> None:
        """/monitor/health all healthy, then every Celery worker answering: only then can a task run."""
        last: object = "no answer yet"
        while time.monotonic() < deadline:
            if dead := self._dead_component():
                raise StackError(dead)
            try:
                last = self.health()
                if _all_healthy(last, since):
                    missing = set(topology.CELERY_NODES) - self.celery_workers_answering()
                    if not missing:
                        return
                    last = f"all healthy, but no answer to a Celery ping from {', '.join(sorted(missing))}"
            except (OSError, ValueError) as exc:  # not listening yet
                last = exc
            time.sleep(2)
        tails = "\n".join(f"--- {self.logs / (n + '.log')}\n{_tail(self.logs / (n + '.log'), 15)}"
                          for n in COMPONENTS)
        raise StackError(f"Airflow did not become healthy in time; last health: {last}\n{tails}")

    # -- stop ------------------------------------------------------------------------------------

    def stop(self, quiet: bool = False) -> None:
        """Stop the Airflow processes (SIGTERM, SIGKILL after ~20 s), then PostgreSQL.
        Works from any process (it reads stack.json) and when nothing runs."""
        if not self.home.exists():
            return
        state = self._read_state()
        if state:
            self._write_state(stopping=True)  # tells a foreground `start` the stop is deliberate
        leaders = {name: p for name, e in (state or {}).get("processes", {}).items()
                   if (p := self._recorded_process(e))}
        self._stop_airflow(leaders, quiet)
        for proc in self._procs.values():  # reap our own children: no zombies left in a test process
            proc.poll()
        self._stop_redis(state, quiet)
        pg_root = Path(state["postgres"]["root"]) if state and "postgres" in state else self._pg_root()
        pg = Postgres(pg_root, self.pg_port,
                      Path(state["postgres"]["bindir"]) if state and "postgres" in state else None)
        if (pg.data / "postmaster.pid").exists():
            if not quiet:
                _say("Stopping PostgreSQL...")
            pg.stop()
        self.state_file.unlink(missing_ok=True)
        self._procs.clear()
        self._token = None

    def _stop_redis(self, state: dict | None, quiet: bool) -> None:
        broker = self._recorded_process(state["redis"]) if state and "redis" in state else None
        if broker is None:
            return
        if not quiet:
            _say("Stopping Redis...")
        _send(broker, signal.SIGTERM)
        if _wait_gone([broker], STOP_GRACE_SECONDS):
            _send(broker, signal.SIGKILL)
            _wait_gone([broker], 5)
        if self._broker is not None:
            self._broker.poll()  # reap it when it is our own child
            self._broker = None

    def _stop_airflow(self, leaders: dict[str, psutil.Process], quiet: bool) -> None:
        procs = self._stack_processes(list(leaders.values()))
        if not procs:
            return
        if not quiet:
            _say(f"Stopping Airflow ({len(procs)} processes)...")
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        groups = {p.pid for p in leaders.values()}
        outsiders = [p for p in procs if _pgid(p) not in groups]  # task processes in a session of their own
        api = [p for name, p in leaders.items() if name == "api-server"]
        others = [p for name, p in leaders.items() if name != "api-server"]
        # 1. SIGTERM to each component's main process, as Docker or systemd would send it: each stops
        #    its own children (executor workers, log server, trigger runner, parsing processes).
        #    Signalling whole groups at once races them: children die before their parent asks them to,
        #    and the parent then waits for them (the triggerer up to 10 s). The api-server goes last:
        #    task processes report their end through its execution API, and retry for long without it.
        for p in others + outsiders:
            _send(p, signal.SIGTERM)
        # 2. A second SIGTERM to a component still busy after a few seconds: Airflow's way to say "do
        #    not wait" (the scheduler would wait for running tasks, the triggerer 10 s for its runner).
        if slow := _wait_gone(others, SECOND_SIGNAL_AFTER):
            for p in slow:
                _send(p, signal.SIGTERM)
        _wait_gone(others + outsiders, deadline - time.monotonic() - SECOND_SIGNAL_AFTER)
        for p in api:
            _send(p, signal.SIGTERM)
        _wait_gone(api, max(deadline - time.monotonic(), SECOND_SIGNAL_AFTER))
        # 3. Members a group still has (a leader that died first left them): SIGTERM the groups.
        if [p for p in procs if _alive(p)]:
            self._signal(groups, [], signal.SIGTERM)
            _wait_gone(procs, max(deadline - time.monotonic(), 2))
        # 4. SIGKILL what ignored all that, and anything spawned while shutting down.
        leftovers = [p for p in procs if _alive(p)]
        leftovers += [p for p in self._stack_processes(list(leaders.values()))
                      if p not in leftovers and _alive(p)]
        if leftovers:
            self._signal(groups, leftovers, signal.SIGKILL)
            _wait_gone(leftovers, 5)

    def _stack_processes(self, leaders: list[psutil.Process]) -> list[psutil.Process]:
        """The recorded processes, their descendants and process groups, and any other process of
        this stack (an orphan whose parent died)."""
        found: dict[int, psutil.Process] = {}
        groups = {p.pid for p in leaders}
        for leader in leaders:
            try:
                for p in [leader, *leader.children(recursive=True)]:
                    found[p.pid] = p
            except psutil.NoSuchProcess:
                pass
        for p in psutil.process_iter():
            if p.pid != os.getpid() and p.pid not in found and (_pgid(p) in groups or self._belongs(p)):
                found[p.pid] = p
        return list(found.values())

    def _belongs(self, proc: psutil.Process) -> bool:
        try:
            if proc.environ().get(MARKER) == str(self.home):
                return True
            cmd = proc.cmdline()
            is_airflow = bool(cmd) and (cmd[0].startswith("airflow") or str(AIRFLOW_BIN) in cmd[:2])
            return is_airflow and proc.cwd() == str(self.home)
        except psutil.Error:
            return False

    @staticmethod
    def _signal(groups: set[int], procs: list[psutil.Process], sig: signal.Signals) -> None:
        """Signal whole process groups (workers with their parent), and the processes outside them."""
        for pgid in groups:
            try:
                os.killpg(pgid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        for p in procs:
            if _pgid(p) not in groups:
                _send(p, sig)

    # -- helpers for tests -----------------------------------------------------------------------

    def token(self, user: str | None = None) -> str:
        """A JWT for /api/v2: POST /auth/token with an account's name and password (the admin's by default)."""
        user = user or self.username
        body = json.dumps({"username": user, "password": self.passwords()[user]}).encode()
        req = urllib.request.Request(f"{self.base_url}/auth/token", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        return json.loads(self._send(req))["access_token"]

    def api(self, method: str, path: str, json: dict | list | None = None) -> dict:
        """Call /api/v2/<path> with a token; returns the decoded JSON ({} when empty).
        Raises ApiError with the response body on an HTTP error."""
        data = None if json is None else _json_dumps(json).encode()
        for attempt in (1, 2):
            if self._token is None:
                self._token = self.token()
            req = urllib.request.Request(f"{self.base_url}/api/v2/{path.lstrip('/')}", data=data,
                                         method=method.upper(),
                                         headers={"Authorization": f"Bearer {self._token}",
                                                  "Content-Type": "application/json",
                                                  "Accept": "application/json"})
            try:
                text = self._send(req)
                break
            except ApiError as exc:
                # An expired token (or one from before a restart) gets 401/403 "Invalid JWT token":
                # fetch a new one, once.
                if exc.status not in (401, 403) or "token" not in exc.body.lower() or attempt == 2:
                    raise
                self._token = None
        return _json_loads(text) if text.strip() else {}

    @staticmethod
    def _send(req: urllib.request.Request) -> str:
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.read().decode()
        except urllib.error.HTTPError as exc:
            raise ApiError(req.get_method(), req.full_url, exc.code,
                           exc.read().decode(errors="replace")) from None

    def cli(self, *args: str, check: bool = True, timeout: float | None = 900) -> subprocess.CompletedProcess:
        """Run `airflow <args>` against this stack (e.g. cli("backfill", "create", ...)); output captured."""
        result = subprocess.run([str(AIRFLOW_BIN), *args], env=self.environment(), cwd=self.home,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise CliError(result.returncode, result.args, result.stdout, result.stderr)
        return result

    # -- foreground --------------------------------------------------------------------------------

    def wait(self) -> None:
        """Block while the stack runs. Returns when it was stopped from elsewhere (make airflow-stop);
        raises StackError if one of the processes died on its own."""
        while True:
            time.sleep(2)
            dead = self._dead_component()
            state = self._read_state()  # read after the liveness check: a stop marks the state first
            if state is None or state.get("stopping"):
                self._wait_for_other_stop()
                return
            if dead:
                raise StackError(dead)

    def _wait_for_other_stop(self) -> None:
        # Let the other process finish (it removes stack.json last) rather than signalling twice.
        deadline = time.monotonic() + STOP_GRACE_SECONDS + 60
        while self.state_file.exists() and time.monotonic() < deadline:
            self._dead_component()  # reaps our children as they exit
            time.sleep(1)


# api() has a parameter named json (like requests/httpx), which hides the module inside it.
def _json_dumps(value) -> str:
    return json.dumps(value)


def _json_loads(text: str):
    return json.loads(text)


# ----------------------------------------------------------------------------------------------- CLI


def _accounts_lines(stack: LocalAirflow) -> str:
    """One line per account besides the admin: name, role, office and the sources it submits, password."""
    from town_industry.contracts.offices import load_offices

    offices, passwords = load_offices(), stack.passwords()
    lines = []
    for user, role in topology.accounts().items():
        if user == stack.username:
            continue
        sources = ", ".join(offices.submittable(user)) or "reads only"
        what = f"{', '.join(offices.offices_of(user)) or 'no office'}: {sources}"
        lines.append(f"    {user:<14} {role:<6} {what:<52} {passwords[user]}\n")
    return "".join(lines)


def _banner(stack: LocalAirflow) -> str:
    return (
        f"\nAirflow is up (started in {stack.startup_seconds:.0f} s).\n"
        f"  UI and API: {stack.base_url}/   (API: {stack.base_url}/api/v2/, docs {stack.base_url}/docs)\n"
        f"  username:   {stack.username}\n"
        f"  password:   {stack.password}   (kept in {stack.passwords_file})\n"
        f"  report center: {stack.base_url}/report-center/ (报表中心), for these accounts too (same file):\n"
        f"{_accounts_lines(stack)}"
        f"  token:      curl -X POST {stack.base_url}/auth/token -H 'Content-Type: application/json' "
        f"-d '{{\"username\": \"{stack.username}\", \"password\": \"...\"}}'\n"
        f"  logs:       {stack.logs}/{{{','.join(COMPONENTS)},postgres,redis,migrate}}.log\n"
        f"  metadata:   PostgreSQL on 127.0.0.1:{stack.pg_port} (database airflow)\n"
        f"  workers:    Celery, broker Redis on 127.0.0.1:{stack.redis_port}; queue default (validation) and "
        f"queue warehouse (the one writer)\n"
        f"  DAGs start paused: unpause them in the UI, or trigger a backfill.\n"
        f"make airflow-stop or Ctrl-C stops everything.\n"
    )


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def start_foreground(stack: LocalAirflow, timeout: float) -> int:
    # SIGTERM (kill, a supervisor) and SIGHUP (the terminal closed) stop the stack exactly like Ctrl-C.
    # SIGINT too, set explicitly: a shell starting us in the background leaves it ignored.
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGHUP, _raise_interrupt)
    if stack.running():  # never stop somebody else's stack because a second start was refused
        _say(f"ERROR: an Airflow stack already runs in {stack.home}: stop it first "
             f"(make airflow-stop, or town-industry airflow stop)", file=sys.stderr)
        return 1
    code = 0
    try:
        _say(f"Starting Airflow in {stack.home} (PostgreSQL on {stack.pg_port}, UI on {stack.port})...")
        stack.start(timeout=timeout)
        _say(_banner(stack))
        stack.wait()
        _say("The stack was stopped from elsewhere.")
    except KeyboardInterrupt:
        _say("\nInterrupted.")
    except Exception as exc:  # StackError, or apt-get failing: say it, then clean up all the same
        _say(f"\nERROR: {exc}", file=sys.stderr)
        code = 1
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave processes behind.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        stack.stop()
        _say("Everything is stopped.")
    return code


def running_stack(home: Path, port: int, pg_port: int) -> LocalAirflow:
    """The stack started in ``home`` (its ports are in its state file; the arguments only without one)."""
    state = LocalAirflow(home)._read_state() or {}
    return LocalAirflow(home, state.get("port", port), state.get("pg_port", pg_port),
                        redis_port=state.get("redis_port"))


def backfill(stack: LocalAirflow, first: str, last: str, sources: list[str]) -> int:
    """Switch the ingest DAGs and the KPI DAG on (a paused DAG's backfill never starts), then one
    backfill per source for the months first..last."""
    from town_industry.contracts.sources import declared_sources
    from town_industry.periods import first_day

    names = sources or [s.name for s in declared_sources()]
    for dag_id in [f"ingest_{n}" for n in names] + ["build_kpi_mart"]:
        stack.cli("dags", "unpause", dag_id)
    for name in names:
        stack.cli("backfill", "create", "--dag-id", f"ingest_{name}", "--from-date",
                           first_day(first).to_date_string(), "--to-date", first_day(last).to_date_string())
        _say(f"ingest_{name}: backfill {first}..{last} created")
    _say(f"Follow it in {stack.base_url} (each DAG's Backfills and Grid); the KPI DAG builds once the loads settle.")
    return 0


def airflow_cli(args: list[str], home: Path = DEFAULT_HOME) -> int:
    """The airflow command line against the running stack in ``home``."""
    stack = running_stack(home, 8080, 5433)
    return subprocess.call([str(AIRFLOW_BIN), *args], env=stack.environment(), cwd=stack.home)
