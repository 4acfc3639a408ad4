"""What the DAGs in ``dags/`` run: the tasks' bodies and the timetable. Only ``dags/`` and the Airflow
plugin import this layer; everything it calls lives in the layers below."""
