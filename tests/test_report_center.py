"""The report center (plugins/report_center_plugin.py) inside Airflow's real api-server app.

The app is Airflow's own (``airflow.api_fastapi.app.create_app``), so the plugin is found in plugins/
and mounted at /report-center as the api-server mounts it, and users log in through the Simple auth
manager's ``POST /auth/token``. Only the trigger is replaced (no scheduler in unit tests); every check
of a file is the real one, on copies of the shipped sample files.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from town_industry.contracts.sources import Limits, declared_sources
from town_industry.report_center import submission
from town_industry.report_center.trigger import Triggered

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "include" / "data"
PASSWORDS = {"admin": "pw-admin", "stats_clerk": "pw-stats", "stats_viewer": "pw-sv", "labour_clerk": "pw-labour",
             "invest_clerk": "pw-invest"}
ROLES = {"admin": "admin", "stats_clerk": "user", "stats_viewer": "viewer", "labour_clerk": "user",
         "invest_clerk": "user"}
OFFICES = """
offices:
  statistics-office: {users: [stats_clerk, stats_viewer]}
  labour-office: {users: [labour_clerk]}
  investment-promotion-office: {users: [invest_clerk]}
all_sources: [admin]
"""
# An ID number as a file holds it: what must never come back in clear.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


class Recorder:
    """Stands in for Airflow's trigger and run status: records the calls, starts nothing."""

    def __init__(self):
        self.calls = []
        self.busy = False  # True: as Airflow answers while another backfill of the DAG is going

    def trigger(self, source, month, user, sha256):
        self.calls.append((source, month, user, sha256))
        if self.busy:
            return Triggered(f"ingest_{source}", None, problem="AlreadyRunningBackfill: another backfill is running")
        return Triggered(f"ingest_{source}", f"backfill__{month}", backfill_id=1)

    def run_status(self, source, run_id):
        return {"dag_id": f"ingest_{source}", "run_id": run_id, "state": "running",
                "tasks": {"wait_for_file": "success", "validate_file": "running"}}


@pytest.fixture(scope="module")
def airflow_app(tmp_path_factory):
    """Airflow's api-server app with the project's plugins, users of several offices and roles."""
    from airflow.api_fastapi import app as api_app

    home = tmp_path_factory.mktemp("report_center_auth")
    (home / "passwords.json").write_text(__import__("json").dumps(PASSWORDS), encoding="utf-8")
    (home / "offices.yml").write_text(OFFICES, encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AIRFLOW__CORE__AUTH_MANAGER",
                  "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager")
        mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", ",".join(f"{u}:{r}" for u, r in ROLES.items()))
        mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(home / "passwords.json"))
        mp.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "report-center-tests-only")
        mp.setenv("REPORT_CENTER_OFFICES", str(home / "offices.yml"))
        api_app._AuthManagerState.instance = None
        app = api_app.create_app(apps="core")
        yield app
        api_app._AuthManagerState.instance = None


@pytest.fixture(scope="module")
def report_center(airflow_app):
    """The report center app as the plugin registered it (its trigger replaced per test)."""
    from airflow import plugins_manager

    apps, _ = plugins_manager.get_fastapi_plugins()
    return next(a["app"] for a in apps if a["url_prefix"] == "/report-center")


@pytest.fixture
def client(airflow_app, report_center, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("DATA_DIR", str(data))
    monkeypatch.setenv("WAREHOUSE", str(tmp_path / "wh" / "warehouse.duckdb"))
    monkeypatch.setenv("ARCHIVE_DIR", str(tmp_path / "archive"))
    recorder = Recorder()
    real = report_center.state.trigger, report_center.state.run_status  # (monkeypatch would delete them)
    report_center.state.trigger, report_center.state.run_status = recorder.trigger, recorder.run_status
    try:
        with TestClient(airflow_app) as c:
            c.recorder, c.data = recorder, data
            yield c
    finally:
        report_center.state.trigger, report_center.state.run_status = real


def login(client: TestClient, user: str) -> dict:
    response = client.post("/auth/token", json={"username": user, "password": PASSWORDS[user]})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def upload(client, user, source, month, name, content: bytes, **kwargs):
    headers = login(client, user) if user else {}
    return client.post(f"/report-center/api/uploads/{source}/{month}", headers=headers,
                       files={"file": (name, content, "application/octet-stream")}, **kwargs)


def sample(source: str, month: str) -> bytes:
    return next((SAMPLE / source).glob(f"{month}.*")).read_bytes()


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


# --- mounted in Airflow, behind its login ---------------------------------------------------------------

def test_the_plugin_mounts_the_app_and_adds_a_navigation_entry(client):
    plugins = client.get("/api/v2/plugins", headers=login(client, "admin")).json()["plugins"]
    mine = next(p for p in plugins if p["name"] == "town_industry_report_center")
    assert mine["fastapi_apps"] == [{"app": "fastapi.applications.FastAPI", "url_prefix": "/report-center",
                                     "name": "报表中心 Report center"}]
    view = mine["external_views"][0]
    assert (view["href"], view["url_route"], view["destination"]) == ("/report-center/", "report-center", "nav")


def test_reading_needs_a_login(client):
    assert client.get("/report-center/api/me").status_code == 401
    page = client.get("/report-center/board")
    assert page.status_code == 401 and "请先登录" in page.text and "/auth/login" in page.text
    forged = client.get("/report-center/api/me", headers={"Authorization": "Bearer not-a-token"})
    assert forged.status_code == 403


def test_the_ui_cookie_logs_in_as_well(client):
    token = login(client, "stats_clerk")["Authorization"].split()[1]
    client.cookies.set("_token", token)
    me = client.get("/report-center/api/me")
    assert me.json() == {"user": "stats_clerk", "offices": ["statistics-office"], "may_submit": ["enterprise_monthly"]}
    page = client.get("/report-center/")
    assert page.status_code == 200 and "enterprise_monthly" in page.text and "statistics-office" in page.text


def test_an_upload_without_login_is_refused_and_stores_nothing(client):
    response = upload(client, None, "enterprise_monthly", "2020-01", "2020-01.csv", sample("enterprise_monthly", "2020-01"))
    assert response.status_code == 401
    assert files_under(client.data) == [] and client.recorder.calls == []


@pytest.mark.parametrize("user, reason", [
    ("invest_clerk", "不属于报送 enterprise_monthly 的科室"),  # another office
    ("stats_viewer", "无权启动 ingest_enterprise_monthly"),  # the right office, but Airflow's viewer role
])
def test_only_the_sources_office_with_a_right_to_start_runs_may_submit(client, user, reason):
    response = upload(client, user, "enterprise_monthly", "2020-01", "2020-01.csv", sample("enterprise_monthly", "2020-01"))
    assert response.status_code == 403 and reason in response.json()["detail"]
    assert files_under(client.data) == [] and client.recorder.calls == []


# --- the verdict ----------------------------------------------------------------------------------------

def test_an_accepted_file_is_stored_under_its_months_name_and_starts_the_run(client):
    content = sample("enterprise_monthly", "2020-01")
    response = upload(client, "stats_clerk", "enterprise_monthly", "2020-01", "我的文件 (final).CSV", content)
    body = response.json()
    assert response.status_code == 200 and body["accepted"] and body["errors"] == 0, body
    assert body["rows"] == len(content.decode("utf-8-sig").strip().splitlines()) - 1
    stored = client.data / "enterprise_monthly" / "2020-01.csv"
    assert files_under(client.data) == ["enterprise_monthly/2020-01.csv"] and stored.read_bytes() == content
    sha = hashlib.sha256(content).hexdigest()
    assert client.recorder.calls == [("enterprise_monthly", "2020-01", "stats_clerk", sha)]
    assert body["run"]["dag_id"] == "ingest_enterprise_monthly" and body["delivered"] == "enterprise_monthly/2020-01.csv"


def test_a_replaced_version_is_archived_before_it_is_overwritten(client, tmp_path):
    folder = client.data / "enterprise_monthly"
    folder.mkdir()
    old_csv, old_xlsx = b"old version", b"PK old workbook"
    (folder / "2020-01.csv").write_bytes(old_csv)
    (folder / "2020-01.xlsx").write_bytes(old_xlsx)  # under the other extension it would hide nothing: removed
    response = upload(client, "admin", "enterprise_monthly", "2020-01", "2020-01.csv", sample("enterprise_monthly", "2020-01"))
    assert response.status_code == 200, response.text
    assert files_under(client.data) == ["enterprise_monthly/2020-01.csv"]
    for old, name in ((old_csv, "2020-01.csv"), (old_xlsx, "2020-01.xlsx")):
        sha = hashlib.sha256(old).hexdigest()
        assert (tmp_path / "archive" / "enterprise_monthly" / sha / name).read_bytes() == old
        assert sha[:12] in response.json()["replaced_versions_archived"]


def corrupted_employment_file() -> tuple[bytes, list[str]]:
    """The sample month with a wrong check character in row 2's ID number and a bad date in row 3."""
    text = sample("employment_services", "2020-01").decode("utf-8-sig")
    lines = text.splitlines()
    ids = ID_NUMBER.findall(text)
    fields = lines[1].split(",")
    fields[4] = fields[4][:-1] + ("1" if fields[4][-1] != "1" else "2")
    lines[1] = ",".join(fields)
    fields = lines[2].split(",")
    fields[2] = "20200199"
    lines[2] = ",".join(fields)
    return ("\n".join(lines) + "\n").encode("utf-8"), ids + [lines[1].split(",")[4]]


def test_a_rejected_file_shows_every_error_with_its_rule_and_masked_ids(client):
    content, id_numbers = corrupted_employment_file()
    response = upload(client, "labour_clerk", "employment_services", "2020-01", "2020-01.csv", content)
    body = response.json()
    assert response.status_code == 422 and not body["accepted"] and body["errors"] == 2, body
    errors = [f for f in body["findings"] if f["severity"] == "error"]
    assert [(f["row"], f["column"], f["rule"]) for f in errors] == [
        (2, "person_id_number", "invalid_id_number"), (3, "service_date", "unparseable_value")]
    assert all(f["message"] and f["rule_zh"] and f["message_en"] for f in errors)
    assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", errors[0]["value"]), errors[0]["value"]
    assert not any(number in response.text for number in id_numbers), "an ID number came back in clear"
    assert files_under(client.data) == [] and client.recorder.calls == []


def test_the_upload_page_shows_the_rejection_in_chinese(client):
    content, id_numbers = corrupted_employment_file()
    page = client.post("/report-center/submit", headers=login(client, "labour_clerk"),
                       data={"source": "employment_services", "month": "2020-01"},
                       files={"file": ("2020-01.csv", content, "text/csv")})
    assert page.status_code == 422 and "文件被退回：2 处错误" in page.text
    assert "身份证号" in page.text and "invalid_id_number" in page.text
    assert not any(number in page.text for number in id_numbers)


def test_an_xlsx_with_personal_data_is_accepted_and_the_old_version_sealed(client, tmp_path):
    folder = client.data / "employment_services"
    folder.mkdir()
    (folder / "2020-04.xlsx").write_bytes(b"PK previous workbook")
    content = sample("employment_services", "2020-04")
    response = upload(client, "labour_clerk", "employment_services", "2020-04", "四月.xlsx", content)
    assert response.status_code == 200, response.text
    assert (folder / "2020-04.xlsx").read_bytes() == content
    sealed = list((tmp_path / "archive" / "employment_services").rglob("*"))
    assert [p.name for p in sealed if p.is_file()] == ["2020-04.xlsx.sealed"]  # personal data never archived in clear


# --- refused before validation: size, type, names -------------------------------------------------------

def test_a_file_over_the_sources_limit_is_refused(client, monkeypatch):
    small = tuple(replace(s, limits=Limits(max_file_mb=0.001)) if s.name == "enterprise_monthly" else s
                  for s in declared_sources())
    monkeypatch.setattr(submission, "declared_sources", lambda: small)
    response = upload(client, "stats_clerk", "enterprise_monthly", "2020-01", "2020-01.csv", b"a,b\n" * 1000)
    assert response.status_code == 413
    refusal = response.json()["findings"][0]
    assert refusal["rule"] == "file_too_large" and "0.001 MB" in refusal["message"]
    assert files_under(client.data) == []


def test_a_body_over_every_limit_is_refused_before_it_is_read(client):
    huge = str(10**12)
    response = client.post("/report-center/api/uploads/enterprise_monthly/2020-01",
                           headers={**login(client, "stats_clerk"), "Content-Length": huge,
                                    "Content-Type": "multipart/form-data; boundary=x"}, content=b"--x--\r\n")
    assert response.status_code == 413 and "上传内容超出上限" in response.json()["detail"]


def workbook_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


@pytest.mark.parametrize("name, content", [
    ("2020-01.csv", workbook_bytes()),  # a workbook named .csv
    ("2020-01.xlsx", "统计年月,企业名称\n2020年1月,甲\n".encode()),  # text named .xlsx
    ("2020-01.csv", b"%PDF-1.7 a,b,c\n"),  # a PDF named .csv
    ("2020-01.csv", b"a,b\x00c\n"),  # binary: a NUL byte
    ("2020-01.xls", b"\xd0\xcf\x11\xe0old excel"),  # an extension the source does not declare
    ("2020-01.txt", b"a,b\n"),
    ("report", b"a,b\n"),  # no extension at all
])
def test_a_file_of_the_wrong_type_is_refused(client, name, content):
    response = upload(client, "stats_clerk", "enterprise_monthly", "2020-01", name, content)
    assert response.status_code == 415, response.text
    assert response.json()["findings"][0]["rule"] == "unsupported_file_type"
    assert files_under(client.data) == []


@pytest.mark.parametrize("name", [
    "../../../../etc/passwd.csv", "/etc/cron.d/evil.csv", "..\\..\\windows\\evil.csv", "C:\\evil.csv",
    "％２Ｅ％２Ｅ／evil.csv", ".csv", "~/.ssh/evil.csv",
])
def test_a_client_path_never_reaches_the_file_system(client, tmp_path, name):
    content = sample("enterprise_monthly", "2020-01")
    response = upload(client, "stats_clerk", "enterprise_monthly", "2020-01", name, content)
    assert response.status_code == 200, response.text
    assert files_under(tmp_path / "data") == ["enterprise_monthly/2020-01.csv"]
    assert "evil" not in response.text and "passwd" not in response.text
    assert not any("evil" in p.name or "passwd" in p.name for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("name", ["evil\x00.csv", "passwd\x00", "2020-01.ｃｓｖ", "2020-01.csv\x00.exe",
                                  "evil\u202evsc.xlsx", "a\nb.csv"])
def test_odd_characters_in_a_file_name_are_refused(client, name):
    boundary = "b0undary"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + b"a,b\n" + f"\r\n--{boundary}--\r\n".encode()
    response = client.post("/report-center/api/uploads/enterprise_monthly/2020-01", content=body,
                           headers={**login(client, "stats_clerk"),
                                    "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 415, response.text
    assert files_under(client.data) == []


@pytest.mark.parametrize("source, month, status", [
    ("..%2F..%2Fetc", "2020-01", 404), ("enterprise_monthly%00", "2020-01", 404), ("no_such_source", "2020-01", 404),
    ("enterprise_monthly", "2020-13", 422), ("enterprise_monthly", "2020-1", 422), ("enterprise_monthly", "2999-01", 422),
    ("enterprise_monthly", "..%2F2020-01", 404),  # the route never matches a slash
])
def test_source_and_month_come_from_the_declarations_and_the_calendar(client, source, month, status):
    response = client.post(f"/report-center/api/uploads/{source}/{month}", headers=login(client, "admin"),
                           files={"file": ("2020-01.csv", sample("enterprise_monthly", "2020-01"), "text/csv")})
    assert response.status_code == status, response.text
    assert files_under(client.data) == [] and client.recorder.calls == []


# --- the run --------------------------------------------------------------------------------------------

def test_a_stored_file_whose_run_could_not_start_can_start_it_later(client):
    client.recorder.busy = True
    content = sample("enterprise_monthly", "2020-01")
    page = client.post("/report-center/submit", headers=login(client, "stats_clerk"),
                       data={"source": "enterprise_monthly", "month": "2020-01"},
                       files={"file": ("2020-01.csv", content, "text/csv")})
    assert page.status_code == 200 and "没有启动新的入库运行" in page.text and "AlreadyRunningBackfill" in page.text
    assert 'action="/report-center/months/enterprise_monthly/2020-01/run"' in page.text
    assert client.post("/report-center/api/months/enterprise_monthly/2020-01/run",
                       headers=login(client, "invest_clerk")).status_code == 403
    assert client.post("/report-center/api/months/enterprise_monthly/2020-02/run",
                       headers=login(client, "stats_clerk")).status_code == 404  # no file for that month
    client.recorder.busy = False
    started = client.post("/report-center/months/enterprise_monthly/2020-01/run", headers=login(client, "stats_clerk"),
                          follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == \
        "/report-center/runs/enterprise_monthly/backfill__2020-01"
    sha = hashlib.sha256(content).hexdigest()
    assert client.recorder.calls == [("enterprise_monthly", "2020-01", "stats_clerk", sha)] * 2


def test_the_run_page_shows_the_runs_progress(client):
    page = client.get("/report-center/runs/enterprise_monthly/backfill__2020-02-01T00:00:00+00:00",
                      headers=login(client, "stats_viewer"))
    assert page.status_code == 200 and "validate_file" in page.text and "running" in page.text
    assert client.get("/report-center/api/runs/enterprise_monthly/x").status_code == 401



# --- the offices file -----------------------------------------------------------------------------------

def test_the_shipped_offices_file_names_only_declared_owners():
    from town_industry.contracts.offices import OFFICES_FILE, load_offices

    offices = load_offices(OFFICES_FILE)
    owners = {s.owner for s in declared_sources()}
    assert set(offices.members) <= owners
    assert all(offices.submittable(user) for users in offices.members.values() for user in users)


@pytest.mark.parametrize("text, problem", [
    ("offices:\n  statistics-ofice: {users: [a]}\n", "offices.statistics-ofice: no source declaration has owner"),
    ("offices:\n  statistics-office: {users: []}\n", "offices.statistics-office.users: expected a list"),
    ("offices:\n  statistics-office: [a]\n", "offices.statistics-office.users: expected a list"),
    ("all_sources: admin\n", "all_sources: expected a list"),
    ("office: {}\n", "expected the keys offices and all_sources"),
])
def test_a_wrong_offices_file_is_refused_naming_the_key(tmp_path, text, problem):
    from town_industry.contracts.offices import OfficesError, load_offices

    path = tmp_path / "offices.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(OfficesError, match=re.escape(problem)):
        load_offices(path)


def test_an_edited_offices_file_is_read_again(tmp_path):
    from town_industry.contracts.offices import load_offices

    path = tmp_path / "offices.yml"
    path.write_text("offices:\n  labour-office: {users: [a]}\n", encoding="utf-8")
    assert load_offices(path).submittable("a") == ["employment_services"]
    path.write_text("offices:\n  labour-office: {users: [b]}\nall_sources: [a]\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)  # a later edit, whatever the clock's grain
    offices = load_offices(path)
    assert offices.submittable("b") == ["employment_services"]
    assert offices.submittable("a") == [s.name for s in declared_sources()]
