"""Imported by the fork server that validating children start from (ingest/bounded.py): GX's context and
the readers are loaded there once, so that each validation forked from it starts at once."""
from town_industry.ingest.validation import warm_up

warm_up()
