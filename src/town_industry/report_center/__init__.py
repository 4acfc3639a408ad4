"""The report center: an Airflow plugin's web app where clerks submit files and see the verdict at once,
writers download drafts and analysts browse the KPIs (plugins/report_center_plugin.py mounts it)."""
