"""DAG integrity: the real DagBag parses dags/ cleanly and every DAG follows the house rules; a broken
declaration drops only its own DAG and is shown where Airflow shows a DAG file's problems."""
import shutil

from town_industry import settings
from town_industry.settings import WRITER_POOL, WRITER_QUEUE
from town_industry.contracts.sources import declared_sources


def test_one_ingest_dag_per_declared_source(ingest_dags):
    assert {d.dag_id for d in ingest_dags} == {f"ingest_{s.name}" for s in declared_sources()}


def test_every_dag_has_tags_owner_retries_and_docs(ingest_dags):
    for dag in ingest_dags:
        assert dag.tags and dag.doc_md, dag.dag_id
        for task in dag.tasks:
            assert task.owner and task.owner != "airflow", (dag.dag_id, task.task_id)
        assert dag.get_task("load_month").retries >= 1


def test_only_the_load_task_writes_and_it_uses_the_writer_pool(ingest_dags):
    for dag in ingest_dags:
        assert [t.task_id for t in dag.tasks if t.pool == WRITER_POOL] == ["load_month"]
        # the one Celery worker that mounts the warehouse serves this queue (deploy/topology.py)
        assert [t.task_id for t in dag.tasks if t.queue == WRITER_QUEUE] == ["load_month"]
        assert dag.get_task("validate_file").retries == 0  # a rejected file does not improve by retrying
        assert [t.task_id for t in dag.topological_sort()] == ["wait_for_file", "validate_file", "load_month"]
        # the sensor guards validation, not only the load: nothing reads a file before it has arrived
        assert dag.get_task("validate_file").upstream_task_ids == {"wait_for_file"}
        assert dag.get_task("load_month").upstream_task_ids == {"validate_file"}


def test_monthly_data_intervals(ingest_dags):
    from datetime import datetime, timezone

    from airflow.timetables.base import TimeRestriction

    dag = ingest_dags[0]
    info = dag.timetable.infer_manual_data_interval(run_after=datetime(2020, 7, 1, tzinfo=timezone.utc))
    assert (info.start.month, info.end.month) == (6, 7)
    # a backfill walks month by month: the interval is the month, the run starts when it ends
    earliest, latest = datetime(2019, 11, 1, tzinfo=timezone.utc), datetime(2020, 2, 1, tzinfo=timezone.utc)
    runs, last = [], None
    while (info := dag.timetable.next_dagrun_info(last_automated_data_interval=last,
                                                   restriction=TimeRestriction(earliest, latest, True))):
        runs.append((info.data_interval.start.strftime("%Y-%m"), info.run_after.strftime("%Y-%m-%d")))
        last = info.data_interval
    assert runs == [("2019-11", "2019-12-01"), ("2019-12", "2020-01-01"), ("2020-01", "2020-02-01"),
                    ("2020-02", "2020-03-01")]


def test_a_broken_declaration_drops_only_its_own_dag(tmp_path, monkeypatch):
    """A real DagBag over the real dags/, with a misspelled key in one declaration and another source
    switched off: the others keep their DAGs, and the mistake is in the UI's import errors (of
    dags/declaration_errors.py, which holds no DAG) and the DAG file's captured warnings."""
    from airflow.dag_processing.dagbag import DagBag

    sources = tmp_path / "sources"
    shutil.copytree(settings.SOURCES_DIR, sources)
    broken = sources / "employment_services.yml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("store_as: amount,", "stor_as: amount,"),
                      encoding="utf-8")
    switched_off = sources / "investment_monthly.yml"
    switched_off.write_text(switched_off.read_text(encoding="utf-8") + "enabled: false\n", encoding="utf-8")
    monkeypatch.setattr(settings, "SOURCES_DIR", sources)  # the DagBag imports the DAG files in this process

    bag = DagBag(dag_folder=str(settings.PROJECT_ROOT / "dags"))
    ingest = sorted(d for d in bag.dags if d.startswith("ingest_"))
    assert ingest == [f"ingest_{s.name}" for s in declared_sources()]
    assert "ingest_enterprise_monthly" in ingest
    assert not {"ingest_employment_services", "ingest_investment_monthly"} & set(ingest)
    assert "build_kpi_mart" in bag.dags
    problem = f"{broken}: columns[6] (amount_yuan): unknown key 'stor_as'"
    assert list(bag.import_errors) == [str(settings.PROJECT_ROOT / "dags" / "declaration_errors.py")]
    assert problem in next(iter(bag.import_errors.values()))
    warned = [w for w in bag.captured_warnings[str(settings.PROJECT_ROOT / "dags" / "ingest_monthly_sources.py")]
              if "DeclarationWarning" in w]
    assert len(warned) == 1 and problem in warned[0]


def test_the_declarations_file_parses_to_nothing_when_every_declaration_is_valid():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(settings.PROJECT_ROOT / "dags" / "declaration_errors.py"))
    assert (bag.dags, bag.import_errors) == ({}, {})
