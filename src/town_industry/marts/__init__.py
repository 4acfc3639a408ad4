"""The KPI mart: what the report and analysts read."""
