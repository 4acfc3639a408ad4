"""The deployment in one place: which processes run, what each is given, which secrets exist.

Two places run it, and both take their settings from here so that they cannot drift apart:

* ``docker-compose.yml``, rendered from this module by ``town-industry compose`` (``make compose``);
  a test fails when the committed file differs from the rendering;
* the stack on one machine (``make airflow``, deploy/local_airflow.py), which starts the same processes
  on localhost: PostgreSQL, Redis, the api-server, scheduler, dag-processor, triggerer and two Celery
  workers.

The topology::

    postgres   metadata database (and the Celery result backend)
    redis      Celery broker
    api-server UI, REST API, the execution API the workers report to
    scheduler, dag-processor, triggerer
    worker             queue "default": waits for files and validates them (any number of them)
    warehouse-worker   queue "warehouse" (settings.WRITER_QUEUE), one slot: the tasks that open the
                       DuckDB warehouse (load, KPI build, draft). Exactly one: DuckDB allows one
                       writing process per file, and only this worker mounts the warehouse.

What differs between the two places is only where things are (:class:`Place`): host names and ports,
the project's folder, and how a secret is spelled (its value here, ``${NAME}`` in the compose file).
"""
from __future__ import annotations

import base64
import os
import re
import secrets
from dataclasses import dataclass
from typing import Callable

from town_industry.settings import WRITER_QUEUE

DEFAULT_QUEUE = "default"
# The one-slot pool every task that writes DuckDB runs in (settings.WRITER_POOL), as the init step creates it.
POOL_DESCRIPTION = "DuckDB allows one writer: every task that writes the warehouse"

# The secrets every deployment has, whoever its users are. None has a default anywhere: `make compose-env`
# draws them at random into .env (git-ignored); make airflow draws its own into its home's secrets.json
# (mode 600). The UI's passwords come on top, one per account (all_secrets()).
SECRETS = {
    "POSTGRES_PASSWORD": "the metadata database's password (user airflow)",
    "REDIS_PASSWORD": "the Celery broker's password",
    "AIRFLOW_FERNET_KEY": "encrypts connections and variables in the metadata database",
    "AIRFLOW_JWT_SECRET": "signs the tokens task workers present to the execution API",
    "AIRFLOW_API_SECRET_KEY": "signs the api-server's requests for task logs",
    "PERSON_ID_HMAC_KEY": "pseudonymises personal ID numbers (never rotate it: see the README)",
}

# The UI's accounts (Simple auth manager: roles viewer < user < op < admin). Besides the admin, every user
# the report center's offices file names gets role `user`, the least that may start the run an accepted file
# starts (the file says which sources; auth.py asks both), and an analyst gets a read-only account.
ADMIN = "admin"
ANALYST = "analyst"
# [core] simple_auth_manager_users is "name:role,name:role": a name may not hold either separator.
ACCOUNT_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def accounts() -> dict[str, str]:
    """Every account of the UI, user name -> role: the admin, the offices' users (each office in the
    file's order), the analyst."""
    from town_industry.contracts.offices import load_offices

    offices = load_offices()
    found = {ADMIN: "admin"}
    for users in [*offices.members.values(), offices.all_sources]:
        for user in sorted(users):
            found.setdefault(user, "user")
    found.setdefault(ANALYST, "viewer")
    bad = [user for user in found if not ACCOUNT_NAME.fullmatch(user)]
    if bad:
        raise ValueError(f"user names the Simple auth manager cannot hold (letters, digits, _ . - only): {bad}")
    return found


def password_secret(user: str) -> str:
    """The secret holding an account's password: AIRFLOW_ADMIN_PASSWORD, AIRFLOW_STATS_CLERK_PASSWORD..."""
    return f"AIRFLOW_{re.sub(r'[^A-Za-z0-9]', '_', user).upper()}_PASSWORD"


def all_secrets() -> dict[str, str]:
    """Every secret of a deployment, name -> what it is: SECRETS and a password per account."""
    found = accounts()
    passwords = {password_secret(user): f"the password of the UI's user {user} (role {role})"
                 for user, role in found.items()}
    if len(passwords) != len(found):  # stats.clerk and stats_clerk would share one
        raise ValueError("two user names give the same password secret: rename one")
    return {**SECRETS, **passwords}


def new_secret(name: str) -> str:
    """A random value for a secret, in characters that need no quoting in a URL or a .env file."""
    if name == "AIRFLOW_FERNET_KEY":
        return base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Place:
    """Where the processes of one deployment find each other and the project."""

    postgres: str          # host:port of the metadata database
    redis: str             # host:port of the broker
    api_url: str           # the api-server, as the workers reach it
    project: str           # the folder holding dags/, plugins/, sql/, include/
    passwords_file: str    # the UI's passwords (Simple auth manager), written before the api-server starts
    secret: Callable[[str], str]  # a secret's value, or its spelling in the place's configuration


# The Celery workers: name -> the node name it takes on its host (``<node>@<host>``: what a health check
# pings) and the queues it serves.
CELERY_NODES = {"worker": "validator", "warehouse-worker": "warehouse"}
WORKERS = {  # name -> the arguments of `airflow celery worker`
    "worker": ["--queues", DEFAULT_QUEUE, "--celery-hostname", f"{CELERY_NODES['worker']}@%h"],
    "warehouse-worker": ["--queues", WRITER_QUEUE, "--concurrency", "1",
                         "--celery-hostname", f"{CELERY_NODES['warehouse-worker']}@%h"],
}
# The Airflow processes: name -> the arguments of `airflow`.
COMPONENTS = {
    "api-server": ["api-server"],
    "scheduler": ["scheduler"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer"],
    **{name: ["celery", "worker", *args] for name, args in WORKERS.items()},
}


def airflow_settings(place: Place) -> dict[str, str]:
    """The configuration every Airflow process of the deployment gets, as environment variables."""
    database = f"airflow:{place.secret('POSTGRES_PASSWORD')}@{place.postgres}/airflow"
    return {
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{database}",
        # The api-server also opens async sessions (asyncpg).
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": f"postgresql+asyncpg://{database}",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": f"redis://:{place.secret('REDIS_PASSWORD')}@{place.redis}/0",
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://{database}",  # SQLAlchemy 2.1 defaults to psycopg 3
        # The workers import the heavy libraries once, before they fork the processes that run tasks.
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "town_industry.orchestration.celery_config.CELERY_CONFIG",
        # Slots of a validating worker; the warehouse worker has one (WORKERS). A sensor waiting for a
        # file is rescheduled between checks and holds no slot.
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": DEFAULT_QUEUE,
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__DAGS_FOLDER": f"{place.project}/dags",
        "AIRFLOW__CORE__PLUGINS_FOLDER": f"{place.project}/plugins",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__FERNET_KEY": place.secret("AIRFLOW_FERNET_KEY"),
        # Task workers report to the execution API of this api-server.
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{place.api_url}/execution/",
        "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{u}:{r}" for u, r in accounts().items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": place.passwords_file,
        # The same in every process: the scheduler signs the workers' tokens, the api-server checks them;
        # the log servers check the api-server's requests with secret_key.
        "AIRFLOW__API_AUTH__JWT_SECRET": place.secret("AIRFLOW_JWT_SECRET"),
        "AIRFLOW__API__SECRET_KEY": place.secret("AIRFLOW_API_SECRET_KEY"),
        # A new DAG file shows within ~10 s, an edited one within ~20 s (defaults: 300 s and 30 s).
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "20",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "GX_ANALYTICS_ENABLED": "false",
    }
