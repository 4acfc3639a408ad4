"""The Celery workers' configuration (``[celery] celery_config_options``, set in deploy/topology.py).

Airflow's own, plus ``imports``: a worker imports the pipeline's heavy libraries once when it starts,
before it forks its pool, so every task process starts with Great Expectations, pandas and DuckDB already
loaded (orchestration/worker_preload.py). Without it each validation imported them anew: about 2.5 s of
CPU a task.
"""
from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

CELERY_CONFIG = {**DEFAULT_CELERY_CONFIG, "imports": ("town_industry.orchestration.worker_preload",)}
