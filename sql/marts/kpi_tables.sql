-- The KPI mart (a stable interface: analysts and the report query these by name) and its build ledger.
-- Run at every build; creates only what is missing.
CREATE SCHEMA IF NOT EXISTS mart;
CREATE SCHEMA IF NOT EXISTS meta;

-- One row per KPI per complete half-year ('2020H1' = January-June). value is NULL where the
-- definition gives no number (no comparison base, division by zero).
CREATE TABLE IF NOT EXISTS mart.half_year_kpis (
    period    VARCHAR NOT NULL,
    kpi_code  VARCHAR NOT NULL,
    value     DOUBLE,
    unit      VARCHAR NOT NULL,
    PRIMARY KEY (period, kpi_code)
);

-- One row per monthly KPI per complete month ('2020-04').
CREATE TABLE IF NOT EXISTS mart.monthly_kpis (
    month     VARCHAR NOT NULL,
    kpi_code  VARCHAR NOT NULL,
    value     DOUBLE,
    unit      VARCHAR NOT NULL,
    PRIMARY KEY (month, kpi_code)
);

-- What a counting KPI counted: the enterprises and projects behind each count (the report names
-- projects from here, so a named list and its count cannot disagree).
CREATE TABLE IF NOT EXISTS mart.kpi_members (
    period       VARCHAR NOT NULL,
    kpi_code     VARCHAR NOT NULL,
    member_key   VARCHAR NOT NULL,   -- uscc or project_code
    member_name  VARCHAR,
    PRIMARY KEY (period, kpi_code, member_key)
);

-- What moved each growth rate in each half-year (the KPIs with drivers: in include/kpis.yml; the columns
-- are explained in sql/marts/enterprise_drivers.sql). Rank 0 is all the members of a kind together, ranks
-- 1-5 its five largest. kind: raised | lowered | entered | left | largest.
CREATE TABLE IF NOT EXISTS mart.kpi_drivers (
    period              VARCHAR NOT NULL,
    kpi_code            VARCHAR NOT NULL,
    kind                VARCHAR NOT NULL,
    rank                INTEGER NOT NULL,
    member_key          VARCHAR NOT NULL,   -- uscc or project_code; '*' for rank 0
    member_name         VARCHAR,
    members             INTEGER NOT NULL,   -- 1, or how many members rank 0 stands for
    amount              DECIMAL(38, 4),     -- in the period, in the KPI's amount unit (万元)
    amount_year_before  DECIMAL(38, 4),     -- the same months a year earlier
    contribution_pp     DOUBLE,             -- raised / lowered: percentage points of the growth rate
    share_pct           DOUBLE,             -- largest: share of the period's total
    PRIMARY KEY (period, kpi_code, kind, rank)
);

-- The catalogue (include/kpis.yml) as a table: names, units, definitions and the SQL of every KPI.
CREATE TABLE IF NOT EXISTS mart.kpi_catalogue (
    kpi_code       VARCHAR PRIMARY KEY,
    section        VARCHAR NOT NULL,
    name_zh        VARCHAR NOT NULL,
    name_en        VARCHAR NOT NULL,
    unit           VARCHAR NOT NULL,
    precision      INTEGER NOT NULL,
    grains         VARCHAR NOT NULL,
    sql_file       VARCHAR NOT NULL,
    sql_text       VARCHAR NOT NULL,
    definition_zh  VARCHAR NOT NULL,
    definition_en  VARCHAR NOT NULL,
    sources        VARCHAR             -- the sources its SQL reads, comma-separated: NULL values until they are loaded
);
-- Warehouses built before KPIs declared their sources.
ALTER TABLE mart.kpi_catalogue ADD COLUMN IF NOT EXISTS sources VARCHAR;

-- One row per period built: the digest of its inputs (the files of every core source up to the
-- period's end, and the catalogue), so a build recomputes exactly the periods whose inputs changed.
CREATE TABLE IF NOT EXISTS meta.kpi_builds (
    period          VARCHAR   PRIMARY KEY,   -- '2020H1' or '2020-04'
    inputs_digest   VARCHAR   NOT NULL,
    built_at        TIMESTAMP NOT NULL,
    airflow_run_id  VARCHAR
);

-- The code lists: each code a category column stores (service_type, construction_type, ...) with its
-- Chinese name, from the source declarations (include/sources/*.yml). Rewritten at every build.
CREATE TABLE IF NOT EXISTS mart.code_values (
    source        VARCHAR NOT NULL,
    column_name   VARCHAR NOT NULL,   -- as stored in the warehouse
    code          VARCHAR NOT NULL,   -- what the warehouse stores ('flexible_employment_subsidy')
    name_zh       VARCHAR NOT NULL,   -- what the files say ('灵活就业社保补贴')
    other_names   VARCHAR,            -- other spellings a file may use, 、-separated
    PRIMARY KEY (source, column_name, code)
);
