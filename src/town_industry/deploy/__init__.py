"""Running the pipeline under a real Airflow deployment on one machine (``make airflow``): the metadata
database, scheduler, api-server, dag-processor and triggerer, started, health-checked and stopped."""
