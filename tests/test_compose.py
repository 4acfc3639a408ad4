"""docker-compose.yml: rendered from deploy/topology.py, parsed by Debian's docker-compose (no engine runs
here: `config` only reads the file), no secret with a default, the warehouse mounted by one worker."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import threading
import time

import pytest
import yaml

from town_industry.deploy import compose, packages, topology
from town_industry.deploy.local_airflow import LocalAirflow
from town_industry.deploy.packages import apt_install
from town_industry.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def docker_compose() -> str:
    found = shutil.which("docker-compose") or (apt_install("docker-compose") and shutil.which("docker-compose"))
    assert found, "Debian's docker-compose could not be installed"
    return found


def config(docker_compose: str, env_file) -> subprocess.CompletedProcess:
    return subprocess.run([docker_compose, "--project-directory", str(PROJECT_ROOT), "-f",
                           str(compose.COMPOSE_FILE), "--env-file", str(env_file), "config"],
                          capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)


def test_the_committed_file_is_what_the_topology_renders():
    assert compose.compose_is_current(), "docker-compose.yml is stale: run `make compose`"


def test_docker_compose_parses_it_with_the_secrets_of_a_new_env(docker_compose, tmp_path):
    env_file = compose.write_env(tmp_path / ".env")
    assert env_file.stat().st_mode & 0o077 == 0, ".env is readable by others"
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if line and line[0] != "#")
    every = topology.all_secrets()
    assert set(every) <= set(values) and len({values[n] for n in every}) == len(every)

    done = config(docker_compose, env_file)
    assert done.returncode == 0, done.stderr
    parsed = yaml.safe_load(done.stdout)
    services = parsed["services"]
    airflow = [name for name in services if name.startswith("airflow-") and name != "airflow-init"]
    assert sorted(airflow) == sorted(f"airflow-{n.replace('api-server', 'apiserver')}" for n in topology.COMPONENTS)

    # every Airflow service gets the topology's settings, the secrets filled in from .env
    place = dataclasses.replace(compose.PLACE, secret=values.__getitem__)
    for name in airflow:
        environment = services[name]["environment"]
        assert {k: environment[k] for k in topology.airflow_settings(place)} == topology.airflow_settings(place), name
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        assert services[name]["healthcheck"]["test"], name
    # the warehouse and the reports: written by the warehouse worker alone, read by the report center
    mounting = {(name, v.get("read_only", False) if isinstance(v, dict) else v.endswith(":ro"))
                for name, s in services.items() for v in s.get("volumes", [])
                if (v["source"] if isinstance(v, dict) else v.split(":")[0]) in ("warehouse", "reports")}
    assert mounting == {("airflow-warehouse-worker", False), ("airflow-apiserver", True)}, mounting
    # the report center seals a replaced file with personal data: the api-server has the key the init sets
    key = services["airflow-apiserver"]["environment"]["PERSON_ID_HMAC_KEY"]
    assert key and key == services["airflow-init"]["environment"]["PERSON_ID_HMAC_KEY"]
    assert services["airflow-warehouse-worker"]["command"][:2] == ["celery", "worker"]
    assert topology.WRITER_QUEUE in services["airflow-warehouse-worker"]["command"]
    assert services["airflow-warehouse-worker"]["container_name"]  # a fixed name: `--scale` refuses it
    assert services["postgres"]["healthcheck"] and services["redis"]["healthcheck"]
    # the init writes every account's password from .env, in the file the api-server's auth manager reads
    init = services["airflow-init"]
    assert {topology.password_secret(u) for u in topology.accounts()} <= set(init["environment"])
    script = init["entrypoint"][-1]
    assert script.count('"%s"') == len(topology.accounts())
    assert all(f'"$${topology.password_secret(u)}"' in script for u in topology.accounts())


def test_without_an_env_no_service_starts_on_a_default_secret(docker_compose, tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    done = config(docker_compose, empty)
    assert done.returncode != 0
    assert "make compose-env" in done.stderr
    text = compose.COMPOSE_FILE.read_text()
    for name in topology.all_secrets():
        assert f"${{{name}:?" in text, name
    assert "airflow:airflow@" not in text and "airflow_jwt_secret" not in text


def test_make_compose_env_never_overwrites_secrets_in_use(tmp_path):
    path = compose.write_env(tmp_path / ".env")
    before = path.read_text()
    with pytest.raises(FileExistsError, match="Rotating the secrets"):
        compose.write_env(path)
    assert path.read_text() == before


def test_make_compose_env_adds_only_the_secrets_an_env_in_use_lacks(tmp_path):
    """An .env from before an account existed gets that account's password, and nothing else changes."""
    path = compose.write_env(tmp_path / ".env")
    clerk = topology.password_secret("labour_clerk")
    lines = path.read_text().splitlines()
    older = "\n".join(line for line in lines if not line.startswith(f"{clerk}=")) + "\n"
    path.write_text(older)
    assert compose.add_missing_secrets(path) == [clerk]
    text = path.read_text()
    assert text.startswith(older) and len(text.splitlines()) > len(older.splitlines())
    assert compose._names_in(text) >= set(topology.all_secrets())
    assert compose.add_missing_secrets(path) == [] and path.read_text() == text


def test_every_office_user_has_a_clerk_account_and_the_analyst_reads_only():
    from town_industry.contracts.offices import load_offices

    offices = load_offices()
    accounts = topology.accounts()
    clerks = set().union(*offices.members.values())
    assert clerks and {accounts[u] for u in clerks} == {"user"}
    assert accounts[topology.ADMIN] == "admin" and accounts[topology.ANALYST] == "viewer"
    assert set(accounts) == clerks | offices.all_sources | {topology.ADMIN, topology.ANALYST}
    users = topology.airflow_settings(compose.PLACE)["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"]
    assert dict(pair.split(":") for pair in users.split(",")) == accounts


def test_a_user_name_the_auth_manager_cannot_hold_is_refused(tmp_path, monkeypatch):
    offices = tmp_path / "offices.yml"
    offices.write_text("offices:\n  labour-office: {users: ['clerk:admin']}\nall_sources: [admin]\n")
    monkeypatch.setenv("REPORT_CENTER_OFFICES", str(offices))
    with pytest.raises(ValueError, match="clerk:admin"):
        topology.accounts()


def test_the_stack_on_one_machine_gives_every_account_a_password_once(tmp_path):
    stack = LocalAirflow(tmp_path / "home", port=18080, pg_port=15433, redis_port=16379)
    stack.home.mkdir()
    stack._ensure_passwords()
    first = stack.passwords()
    assert set(first) == set(topology.accounts()) and len(set(first.values())) == len(first)
    assert stack.passwords_file.stat().st_mode & 0o077 == 0
    # a home from before the clerks: the admin keeps their password, the others get one
    stack.passwords_file.write_text(json.dumps({"admin": "kept"}))
    stack._ensure_passwords()
    again = stack.passwords()
    assert again["admin"] == "kept" and set(again) == set(first)
    stack._ensure_passwords()
    assert stack.passwords() == again


def test_the_stack_on_one_machine_runs_with_the_same_settings(tmp_path):
    stack = LocalAirflow(tmp_path / "home", port=18080, pg_port=15433, redis_port=16379)
    env = stack.environment()
    secrets = stack._secrets()
    place = topology.Place(postgres="127.0.0.1:15433", redis="127.0.0.1:16379", api_url="http://127.0.0.1:18080",
                           project=str(PROJECT_ROOT), passwords_file=str(stack.passwords_file),
                           secret=secrets.__getitem__)
    shared = topology.airflow_settings(place)
    assert {k: env[k] for k in shared} == shared
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"


def test_apt_get_runs_one_at_a_time(tmp_path, monkeypatch):
    """make test's two sessions may each install a package: the second waits for the first instead of
    failing on dpkg's lock."""
    running, seen = [], []

    def apt_get(cmd):
        running.append(cmd)
        seen.append(len(running))
        time.sleep(0.3)
        running.remove(cmd)
        return subprocess.CompletedProcess(cmd, 0)

    monkeypatch.setattr(packages, "LOCK", tmp_path / "apt.lock")
    monkeypatch.setattr(packages.subprocess, "run", apt_get)
    installs = [threading.Thread(target=packages.apt_install, args=(name,)) for name in ("postgresql", "redis-server")]
    for install in installs:
        install.start()
    for install in installs:
        install.join()
    assert seen == [1, 1]
