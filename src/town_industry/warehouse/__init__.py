"""The DuckDB star schema: schema set-up, the declared models, history checks and the month load.

Every change is one transaction keyed by (source, month): a loaded file replaces that month's staging
partition, the source's models are rebuilt from staging, and the load is written to ``meta`` in the
same commit. A failure anywhere rolls back all of it, so a month always holds either its previous file
or its new one.
"""
