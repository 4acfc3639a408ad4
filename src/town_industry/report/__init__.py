"""The half-year report draft: the figures read from the KPI mart, their wording, charts and the Word file."""
