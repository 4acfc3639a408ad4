"""What the pipeline promises and checks against, as declared data: the sources' file contracts
(``include/sources/*.yml``), the KPI catalogue (``include/kpis.yml``), the rule catalogue, code formats and
the reference classifications. Every other layer reads these; they import nothing but the base modules."""
