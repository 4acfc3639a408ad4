"""The DuckDB star schema: schema set-up, the declared models, history checks and the month load.

Every change is one transaction keyed by (source, month): a loaded file replaces that month's staging
partition, the source's models are rebuilt from staging (a type-2 dimension has the month appended when
it is the latest: the same rows at the cost of one month), and the load is written to ``meta`` in the
same commit. A failure anywhere rolls back all of it, so a month always holds either its previous file
or its new one.
"""
