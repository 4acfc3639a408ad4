-- Schemas and the load ledger. Run at every start; creates only what is missing.
CREATE SCHEMA IF NOT EXISTS staging;  -- typed rows of every loaded file, one partition per source and month
CREATE SCHEMA IF NOT EXISTS meta;     -- what was loaded, rejected or found
CREATE SCHEMA IF NOT EXISTS mart;     -- KPI tables analysts query by name

-- The warehouse's key of the month a date falls in: month_key(DATE '2020-06-03') = 202006.
CREATE OR REPLACE MACRO month_key(d) AS year(d) * 100 + month(d);

-- What each rebuilt-by-definition table was built from: the reference dimensions (dim_date, dim_industry:
-- their SQL and reference files) and the type-2 dimensions (the SQL of their full rebuild). A changed
-- definition or reference file rebuilds the table at the next load.
CREATE TABLE IF NOT EXISTS meta.model_builds (
    table_name  VARCHAR   PRIMARY KEY,
    digest      VARCHAR   NOT NULL,
    built_at    TIMESTAMP NOT NULL
);
-- Its predecessor, for reference dimensions only (the type-2 digests were table comments, which now
-- carry the data dictionary): dropped, so each table is rebuilt once and recorded above.
DROP TABLE IF EXISTS meta.reference_builds;

-- One row per file seen by a load task, whatever became of it.
CREATE TABLE IF NOT EXISTS meta.file_loads (
    source          VARCHAR   NOT NULL,
    month           VARCHAR   NOT NULL,  -- data month, 'YYYY-MM'
    path            VARCHAR   NOT NULL,
    sha256          VARCHAR   NOT NULL,
    status          VARCHAR   NOT NULL CHECK (status IN ('loaded', 'rejected', 'unchanged')),
    rows            INTEGER   NOT NULL,
    error_count     INTEGER   NOT NULL,
    warning_count   INTEGER   NOT NULL,
    recorded_at     TIMESTAMP NOT NULL,
    airflow_run_id  VARCHAR,
    error_report    VARCHAR,             -- path of the human-readable report of a rejected file
    archived_as     VARCHAR              -- the delivered bytes, kept: ARCHIVE_DIR/<source>/<sha256>/<file name>
);
-- Warehouses created before the archive get the column here, as the last one.
ALTER TABLE meta.file_loads ADD COLUMN IF NOT EXISTS archived_as VARCHAR;

-- One row per error or warning found in a file (values of personal columns are masked).
CREATE TABLE IF NOT EXISTS meta.dq_issues (
    source       VARCHAR   NOT NULL,
    month        VARCHAR   NOT NULL,
    file_sha256  VARCHAR   NOT NULL,
    severity     VARCHAR   NOT NULL CHECK (severity IN ('error', 'warning')),
    rule         VARCHAR   NOT NULL,
    row_number   INTEGER,              -- as seen in the file; NULL for file-level findings
    column_name  VARCHAR,
    value        VARCHAR,
    message      VARCHAR   NOT NULL,   -- in Chinese, worded by the rule catalogue include/rules.yml
    recorded_at  TIMESTAMP NOT NULL,
    message_en   VARCHAR,              -- in English; NULL in rows recorded before it (their message is English)
    subject      VARCHAR               -- what the row is about: '913206125148900473（南通锦程服饰有限公司）', a
                                       -- project code and name, a record and its masked ID number; NULL for a
                                       -- file-level finding (and in rows recorded before it)
);
-- Warehouses created before message_en get it here, as the last column: the same layout as a new one.
ALTER TABLE meta.dq_issues ADD COLUMN IF NOT EXISTS message_en VARCHAR;
ALTER TABLE meta.dq_issues ADD COLUMN IF NOT EXISTS subject VARCHAR;

-- The file each source-month currently holds in the warehouse (latest load that changed it), with
-- its warnings as they stand now (warnings that compare months are recomputed when those months load).
CREATE OR REPLACE VIEW meta.current_files AS
WITH current_loads AS (
    SELECT source, month, path, sha256, rows, recorded_at, archived_as
    FROM meta.file_loads
    WHERE status = 'loaded'
    QUALIFY row_number() OVER (PARTITION BY source, month ORDER BY recorded_at DESC) = 1
)
SELECT
    l.source, l.month, l.path, l.sha256, l.rows,
    (SELECT count(*) FROM meta.dq_issues AS d
     WHERE d.source = l.source AND d.month = l.month AND d.file_sha256 = l.sha256
       AND d.severity = 'warning') AS warning_count,
    l.recorded_at,
    l.archived_as
FROM current_loads AS l;
