"""Report-period KPIs and the report drafts, rebuilt when the loads of the sources they read settle.

Scheduled on the warehouse assets of every source a KPI reads (any one of them), not on a clock:

    wait_for_loads  ->  build_kpis  ->  draft_reports
    (until no ingest     (writer pool: recompute the     (reads the published copy:
     load is queued       complete periods whose files    reports/<period>/ in Markdown
     or running)          changed: marts/kpis.py)         and Word for each report period
                                                          rebuilt: half-years, full years)

A half-year is built once all six of its months are loaded for every core source (a full year once all
twelve are, and drafted as the year's 工作总结), and rebuilt when any file it depends on is revised
(optional sources' files included: their KPIs are NULL until their months are there). Runs with nothing
new to build finish at once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG, Asset, AssetAny, Param, task

from town_industry import settings
from town_industry.contracts.kpis import catalogue
from town_industry.orchestration import alerts, kpi_tasks
from town_industry.contracts.report_layout import layout
from town_industry.contracts.targets import declared_targets
from town_industry.settings import WRITER_POOL, WRITER_QUEUE

# The draft's declared chapters and charts, and the targets (include/targets/), checked against the KPI
# catalogue: a mistake in any stops this DAG here, at parse, with the file and the key (the ingestion DAGs
# are not affected).
layout()
declared_targets()

with DAG(
    dag_id="build_kpi_mart",
    description="KPI mart and report drafts (half-years and full years)",
    doc_md=__doc__,
    schedule=AssetAny(*(Asset(f"warehouse_{source}") for source in catalogue().input_sources)),
    start_date=datetime(2019, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["kpi", "report"],
    params={"wait_for_loads": Param(True, type="boolean",
                                    description="Wait until no ingest load is queued or running before building "
                                                "(make run turns it off: it builds after its own loads).")},
    default_args={"owner": "economic-development-office", "retries": 1, "retry_delay": settings.retry_delay(minutes=2),
                  "on_failure_callback": alerts.on_failure},  # one alert per failed run
):
    wait_for_loads = PythonSensor(
        task_id="wait_for_loads",
        python_callable=kpi_tasks.loads_settled,
        mode="reschedule",
        poke_interval=settings.settle_poke_interval(),
        timeout=timedelta(days=1),
    )

    @task(pool=WRITER_POOL, queue=WRITER_QUEUE, outlets=[Asset("kpi_mart")])
    def build_kpis(run_id=None) -> dict:
        return kpi_tasks.build_kpis(run_id)

    @task(retries=0, queue=WRITER_QUEUE)  # a failed draft (say, no CJK font) will not improve by retrying;
    # it reads the published warehouse and writes the reports, which only the warehouse worker mounts
    def draft_reports(built: dict) -> list[str]:
        return kpi_tasks.draft_reports(built)

    built = build_kpis()
    wait_for_loads >> built
    draft_reports(built)
