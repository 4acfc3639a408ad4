"""The command line (``town-industry ...``) the Makefile calls: runs, summaries, the SQL prompt, the local
Airflow stack, generated documents."""
