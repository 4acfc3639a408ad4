"""DAG integrity: the real DagBag parses dags/ cleanly and every DAG follows the house rules."""
from town_industry.settings import WRITER_POOL
from town_industry.sources import declared_sources


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
        assert dag.get_task("validate_file").retries == 0  # a rejected file does not improve by retrying
        assert [t.task_id for t in dag.topological_sort()] == ["wait_for_file", "validate_file", "load_month"]


def test_monthly_data_intervals(ingest_dags):
    from datetime import datetime, timezone

    dag = ingest_dags[0]
    info = dag.timetable.infer_manual_data_interval(run_after=datetime(2020, 7, 1, tzinfo=timezone.utc))
    assert (info.start.month, info.end.month) == (6, 7)
