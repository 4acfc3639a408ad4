"""Monthly ingestion of town industrial-economy files into a DuckDB star schema.

Everything that is not wiring lives here, so tests exercise it without a
scheduler: source declarations, readers, parsers, Great Expectations
validation, warehouse loads and the ``make run`` driver.
"""
