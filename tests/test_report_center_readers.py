"""The report center's read-only pages: the status board, drafts and KPIs.

The board is checked on a ledger written by the warehouse's own ``record`` (a unit test: no DAG runs);
drafts and KPIs on the real sample pipeline's published warehouse and drafts (integration).
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from town_industry.contracts.rules import finding
from town_industry.contracts.sources import declared_sources
from town_industry.db import connect
from town_industry.report_center import board
from town_industry.warehouse.meta import LoadRecord, record
from town_industry.warehouse.schema import ensure_schema

import test_report_center as shared
from test_report_center import login

# The Airflow app with the report center, its users and a client per test (test_report_center.py).
airflow_app, report_center, client = shared.airflow_app, shared.report_center, shared.client

ID = "320612199312292684"


@pytest.fixture
def ledger(client, tmp_path):
    """2020-01 loaded with a warning, 2020-02 rejected (with its report), 2020-03 delivered, not loaded."""
    folder = client.data / "enterprise_monthly"
    folder.mkdir()
    for month in ("2020-01", "2020-02", "2020-03"):
        (folder / f"{month}.csv").write_text("x", encoding="utf-8")
    report = tmp_path / "rejections" / "2020-02.md"
    report.parent.mkdir()
    report.write_text(f"# 退回通知\n第 3 行 身份证号 {ID}\n", encoding="utf-8")
    with connect() as con:  # writes build's copy and publishes it, as a load does
        ensure_schema(con, declared_sources())
        record(con, LoadRecord("enterprise_monthly", "2020-01", "2020-01.csv", "a" * 64, "loaded", 10),
               [finding("amount_rounded", {"places": 6}, row=4, column="taxable_sales", value="1.1234567")])
        record(con, LoadRecord("enterprise_monthly", "2020-02", "2020-02.csv", "b" * 64, "rejected", 0,
                               error_report=str(report)),
               [finding("invalid_id_number", row=3, column="uscc", value=ID, subject=ID)])
    return client


def test_the_board_shows_each_source_and_month(ledger):
    cells = ledger.get("/report-center/api/board", headers=login(ledger, "stats_viewer")).json()
    by_month = {c["month"]: c for c in cells["cells"] if c["source"] == "enterprise_monthly"}
    assert cells["months"][0] == "2020-01"
    assert (by_month["2020-01"]["status"], by_month["2020-01"]["warnings"]) == ("loaded", 1)
    assert (by_month["2020-02"]["status"], by_month["2020-02"]["errors"], by_month["2020-02"]["report"]) == \
        ("rejected", 1, True)
    assert (by_month["2020-03"]["delivered"], by_month["2020-03"]["status"]) == ("2020-03.csv", None)
    assert by_month["2020-04"]["delivered"] is None
    # Delivered today, years after 2020's deadlines: every one of them is late.
    assert all(by_month[m]["late"] for m in ("2020-01", "2020-02", "2020-03", "2020-04"))
    page = ledger.get("/report-center/board", headers=login(ledger, "stats_viewer"))
    assert page.status_code == 200 and "已退回" in page.text and "已入库" in page.text and "逾期" in page.text


def test_a_cell_links_to_its_findings_and_rejection_report_with_ids_masked(ledger):
    headers = login(ledger, "stats_viewer")
    shown = ledger.get("/report-center/api/board/enterprise_monthly/2020-02", headers=headers)
    assert shown.json()["findings"][0]["rule"] == "invalid_id_number"
    report = ledger.get("/report-center/board/enterprise_monthly/2020-02/report", headers=headers)
    assert report.status_code == 200 and "退回通知" in report.text
    for response in (shown, report, ledger.get("/report-center/board/enterprise_monthly/2020-02", headers=headers)):
        assert ID not in response.text and "320612********2684" in response.text
    assert ledger.get("/report-center/board/enterprise_monthly/2020-01/report", headers=headers).status_code == 404


def test_the_board_reads_the_published_copy_while_a_writer_holds_the_warehouse(ledger):
    writer = duckdb.connect(str(Path(board.settings.warehouse_path())))  # a load in progress
    try:
        response = ledger.get("/report-center/api/board", headers=login(ledger, "stats_viewer"))
    finally:
        writer.close()
    assert response.status_code == 200


def test_the_board_before_anything_was_loaded(client):
    shown = client.get("/report-center/api/board", headers=login(client, "stats_viewer")).json()
    assert len(shown["months"]) == 6 and all(c["status"] is None for c in shown["cells"])
    # Nothing loaded: the half-year of the last complete month.
    assert board.shown_period(None, [], datetime(2026, 12, 5, tzinfo=timezone.utc)) == "2026H2"
    assert board.shown_period(None, [], datetime(2026, 7, 1, tzinfo=timezone.utc)) == "2026H1"


def test_the_board_shows_one_half_year_and_pages_through_them(ledger):
    headers = login(ledger, "stats_viewer")
    shown = ledger.get("/report-center/api/board?period=2019H2", headers=headers).json()
    assert (shown["period"], shown["previous"], shown["next"]) == ("2019H2", "2019H1", "2020H1")
    assert shown["months"] == ["2019-07", "2019-08", "2019-09", "2019-10", "2019-11", "2019-12"]
    page = ledger.get("/report-center/board?period=2019H2", headers=headers)
    assert 'href="/report-center/board?period=2020H1"' in page.text
    for bad in ("2020FY", "2020-06", "../2020H1"):
        assert ledger.get(f"/report-center/api/board?period={bad}", headers=headers).status_code == 422


def test_a_month_whose_deadline_has_not_come_is_not_due(ledger):
    december = datetime(2026, 12, 5, tzinfo=timezone.utc)
    shown = board.board("2026H2", now=december)
    cells = {c.month: c for c in shown.cells if c.source == "enterprise_monthly"}
    assert shown.next is None  # 2027H1 has not begun
    assert (cells["2026-12"].due, cells["2026-12"].late) == (False, False)
    assert (cells["2026-07"].due, cells["2026-07"].late) == (True, True)  # never delivered


# --- on the real sample pipeline ------------------------------------------------------------------------

@pytest.fixture
def published(client, sample_pipeline, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(sample_pipeline.warehouse))
    monkeypatch.setenv("REPORTS_DIR", str(sample_pipeline.reports))
    return client


def test_drafts_list_read_and_download(published, sample_pipeline):
    headers = login(published, "invest_clerk")
    listed = {d["period"]: d for d in published.get("/report-center/api/drafts", headers=headers).json()}
    assert {"2020H1", "2020H2", "2020FY"} <= set(listed)
    assert listed["2020H1"]["docx"] == "industrial_economy_report_2020H1.docx"
    assert listed["2020H1"]["mart_built_at"].endswith(" UTC") and listed["2020H1"]["current"] is True
    assert {f["source"] for f in listed["2020H1"]["built_from"]} >= {"enterprise_monthly", "investment_monthly"}
    docx = published.get("/report-center/drafts/2020H1/docx", headers=headers)
    expected = sample_pipeline.reports / "2020H1" / "industrial_economy_report_2020H1.docx"
    assert docx.status_code == 200 and docx.content == expected.read_bytes()
    assert docx.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")
    page = published.get("/report-center/drafts/2020H1", headers=headers)
    title = expected.with_suffix(".md").read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    assert page.status_code == 200 and title in page.text and "/drafts/2020H1/docx" in page.text
    for bad in ("2020H3", "..", "2020H1%2F..%2F..", "etc"):
        assert published.get(f"/report-center/drafts/{bad}/docx", headers=headers).status_code == 404


def test_kpis_with_their_definition_values_and_members(published, sample_pipeline):
    headers = login(published, "invest_clerk")
    codes = {k["kpi_code"] for k in published.get("/report-center/api/kpis", headers=headers).json()}
    with duckdb.connect(str(sample_pipeline.warehouse.parent / "published" / "warehouse.duckdb"), read_only=True) as con:
        assert codes == {c for (c,) in con.execute("SELECT kpi_code FROM mart.kpi_catalogue").fetchall()}
        value = con.execute("SELECT value FROM mart.half_year_kpis WHERE period = '2020H1' "
                            "AND kpi_code = 'taxable_sales_yoy_pct'").fetchone()[0]
        counting = con.execute("SELECT kpi_code, count(*) FROM mart.kpi_members WHERE period = '2020H1' "
                               "GROUP BY ALL ORDER BY 1 LIMIT 1").fetchone()
    shown = published.get("/report-center/api/kpis/taxable_sales_yoy_pct", headers=headers).json()
    assert shown["definition_zh"] and shown["sql_file"].endswith("taxable_sales_yoy_pct.sql")
    assert next(p["value"] for p in shown["periods"] if p["period"] == "2020H1") == value
    assert len(shown["months"]) >= 12
    members = published.get(f"/report-center/api/kpis/{counting[0]}", headers=headers).json()
    assert next(p["members"]["count"] for p in members["periods"] if p["period"] == "2020H1") == counting[1]
    page = published.get("/report-center/kpis/taxable_sales_yoy_pct", headers=headers)
    assert page.status_code == 200 and "<polyline" in page.text and shown["name_zh"] in page.text
    assert ">2020</text>" in page.text  # the month axis marks each January
    assert published.get("/report-center/api/kpis/no_such_kpi", headers=headers).status_code == 404


def test_the_kpi_chart_has_round_axes_and_breaks_at_a_gap():
    from town_industry.report_center.kpis import chart

    months = ["2019-11", "2019-12", "2020-01", "2020-02", "2020-03"]
    drawn = chart(months, [12.5, -3.0, None, 40.0, 41.0], width=400, height=100)
    assert [label for _, label in drawn.y_ticks] == ["-20", "0", "20", "40", "60"]
    assert drawn.y_ticks[0][0] == 100 and drawn.y_ticks[-1][0] == 0  # bottom to top of the plot
    assert drawn.x_ticks == [(0.0, "2019-11"), (200.0, "2020")]
    assert drawn.lines == ["0.0,59.4 100.0,78.8", "300.0,25.0 400.0,23.8"]  # 12.5 is 32.5/80 of the way up
    assert [label for _, label in chart(months[:2], [0.02, 0.031]).y_ticks] == ["0.00", "0.01", "0.02", "0.03", "0.04"]
    assert chart(months[:2], [None, None]) is None


# --- the trigger, against Airflow's metadata database (no scheduler: the run stays queued) -----------------

def test_an_accepted_month_becomes_a_one_month_backfill(sample_pipeline):
    """The sample pipeline's runs put the ingest DAGs in Airflow's database; 2021-01 has no run yet."""
    from airflow.models.backfill import Backfill, BackfillDagRun
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import delete

    from town_industry.report_center.trigger import airflow_run_status, airflow_trigger

    first = airflow_trigger("investment_monthly", "2021-01", "invest_clerk", "c" * 64)
    try:
        assert first.problem is None and first.run_id == "backfill__2021-02-01T00:00:00+00:00", first
        status = airflow_run_status("investment_monthly", first.run_id)
        assert status["state"] == "queued" and status["dag_id"] == "ingest_investment_monthly"
        assert status["month"] == "2021-01"
        # One backfill of a DAG at a time: the next upload's file is kept, and the verdict says no run started.
        second = airflow_trigger("investment_monthly", "2020-12", "invest_clerk", "d" * 64)
        assert second.run_id is None and "AlreadyRunningBackfill" in second.problem
        assert airflow_run_status("investment_monthly", "no-such-run")["state"] is None
    finally:
        with create_session() as session:
            session.execute(delete(BackfillDagRun).where(BackfillDagRun.backfill_id == first.backfill_id))
            session.execute(delete(DagRun).where(DagRun.backfill_id == first.backfill_id))
            session.execute(delete(Backfill).where(Backfill.id == first.backfill_id))
