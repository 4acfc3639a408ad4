"""``make bench`` (``python -m tools.bench``): what a national-scale month costs, measured against its floor
(DuckDB's own ``read_csv``) and its peer (pandas + GX + ``to_sql``) in the same run. Issue 10.

  __main__     the command line: sections, options, the table and the JSON
  population   the synthetic enterprises (numpy, cached per size and seed)
  months       one month's figures of the population, as SQL (the same for files and history)
  synthetic    a month's CSV or XLSX file, spelled as clerks deliver them; injected bad rows
  history      warehouses already holding months, built in SQL with the library's own models
  kpi_sources  investment and employment months, so the KPI warehouse's periods are complete
  measure      a measurement in a fresh process: wall time, peak memory, the probe's report; medians
  probe        what the measured process does (ingest, floor, peer, kpi, direct)
  peer         the usual way, as a tutorial writes it
  ingest       the ingest section: every size and history, its floor and peer, the ratios
  errors       every error rule finds every bad row, the last one on the file's last line
  kpi          the KPI mart over 60 months
  overhead     Airflow's overhead: town-industry run against the library called directly; start-up; make demo
  report       growth and targets derived from the figures; the table; the JSON
  paths        build/bench/ (BENCH_DIR): results, caches, scratch

Only the library's stable entry points are called: ``orchestration.ingest_tasks.validate``/``load``,
``marts.kpis.build_mart``, ``warehouse.models.build_models``, ``warehouse.meta.record``, and the
``town-industry run`` command.
"""
