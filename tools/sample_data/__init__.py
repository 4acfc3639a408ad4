"""The shipped sample data (``include/data/``): deterministic, built to reproduce the seed report.

``python -m tools.sample_data`` (``make sample-data``) writes ``<source>/<YYYY-MM>.csv|xlsx`` for every
month 2019-01 … 2020-12 and then checks its own records against the seed targets (``seed_targets.yml``),
the 2020H1 figures of the real report the pipeline exists to produce. Running it again gives the same
bytes.

The files are messy in the ways real files are and the readers must accept (``files.FileStyle``), and
the data holds the cases that make the KPI definitions matter (``checks``).

Adding a source: a module with ``generate(out_dir) -> records`` built on ``common`` and ``files``, a
check in ``checks/``, and an entry in ``__main__.SOURCES``. Each source draws from its own random stream
(``common.source_rng``), so adding one does not change the data of the others.
"""
