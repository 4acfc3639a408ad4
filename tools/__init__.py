"""Developer tools that are not part of the pipeline (run from the repository root: python -m tools.<name>).

A regular package on purpose: a dependency (cron_descriptor) installs a stray top-level ``tools``
directory, and a namespace package here would be merged with it.
"""
