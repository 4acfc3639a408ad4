"""Broken source declarations, shown where Airflow shows a DAG file's problems.

This file defines no DAG. A broken declaration (include/sources/*.yml, or include/rules.yml) drops only
its own source's DAG: ingest_monthly_sources.py builds the DAGs of the valid ones, and logs and warns
about the others. But Airflow 3.3 shows a DAG file's warnings nowhere (the dag-processor keeps them in
its own process: apache/airflow#29275), while it shows a file's import error in the UI (Dag Import Errors)
and in `airflow dags list-import-errors`. So this file fails to import, naming every broken declaration's
file and keys, exactly when there is one; otherwise it parses to nothing.
"""
from town_industry.contracts.sources import BrokenDeclarations, declaration_errors

if declaration_errors():
    raise BrokenDeclarations(declaration_errors())
