"""What a BI tool does first, through SQLAlchemy, on a real DuckDB file: list schemas and tables, reflect
columns, keys and comments, load a table by reflection and query it (duckdb+warehouse://, the entry point
this package registers); and the plain duckdb:// URL of duckdb-engine still failing to reflect, which is
why the project's URL is another (if a later pin fixes it, this test says so)."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest
import sqlalchemy as sa

from town_industry.warehouse.dialect import column_type


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "wh.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("""
            CREATE SCHEMA mart;
            CREATE TABLE dim_enterprise (enterprise_key INTEGER PRIMARY KEY, uscc VARCHAR NOT NULL UNIQUE,
                                         name VARCHAR);
            CREATE TABLE fact_enterprise_month (
                enterprise_key INTEGER REFERENCES dim_enterprise (enterprise_key),
                month_key INTEGER NOT NULL CHECK (month_key BETWEEN 190001 AND 999912),
                taxable_sales DECIMAL(18, 6), tags VARCHAR[], loaded_at TIMESTAMP WITH TIME ZONE,
                PRIMARY KEY (enterprise_key, month_key));
            COMMENT ON TABLE fact_enterprise_month IS '规上工业企业月度数据';
            COMMENT ON COLUMN fact_enterprise_month.taxable_sales IS '应税销售，万元，当月';
            CREATE TABLE mart.half_year_kpis (period VARCHAR NOT NULL, kpi_code VARCHAR NOT NULL, value DOUBLE);
            CREATE VIEW mart.sales_2020 AS SELECT * FROM fact_enterprise_month WHERE month_key >= 202001;
            INSERT INTO dim_enterprise VALUES (1, '91320600MA1XXXXXX1', '南通某某有限公司');
            INSERT INTO fact_enterprise_month VALUES (1, 202006, 123.456789, ['a'], NULL);
            INSERT INTO mart.half_year_kpis VALUES ('2020H1', 'taxable_sales', 92600.0);
        """)
    return path


def engine(path, scheme="duckdb+warehouse"):
    return sa.create_engine(f"{scheme}:///{path.resolve()}?access_mode=read_only")


def test_inspection_lists_the_warehouse_and_reflects_columns_keys_and_comments(warehouse):
    inspector = sa.inspect(engine(warehouse))
    assert inspector.get_schema_names() == ["main", "mart"]
    assert inspector.get_table_names() == ["dim_enterprise", "fact_enterprise_month"]  # main only, as SQLAlchemy means
    assert inspector.get_table_names(schema="mart") == ["half_year_kpis"]
    assert inspector.get_view_names(schema="mart") == ["sales_2020"]
    columns = {c["name"]: c for c in inspector.get_columns("fact_enterprise_month")}
    assert list(columns) == ["enterprise_key", "month_key", "taxable_sales", "tags", "loaded_at"]
    assert isinstance(columns["taxable_sales"]["type"], sa.Numeric)
    assert (columns["taxable_sales"]["type"].precision, columns["taxable_sales"]["type"].scale) == (18, 6)
    assert columns["taxable_sales"]["comment"] == "应税销售，万元，当月"
    assert columns["month_key"]["nullable"] is False and columns["taxable_sales"]["nullable"] is True
    assert inspector.get_pk_constraint("fact_enterprise_month")["constrained_columns"] == ["enterprise_key",
                                                                                            "month_key"]
    [fk] = inspector.get_foreign_keys("fact_enterprise_month")
    assert (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) == \
        (["enterprise_key"], "dim_enterprise", ["enterprise_key"])
    assert [u["column_names"] for u in inspector.get_unique_constraints("dim_enterprise")] == [["uscc"]]
    assert inspector.get_table_comment("fact_enterprise_month")["text"] == "规上工业企业月度数据"
    assert [c["name"] for c in inspector.get_columns("sales_2020", schema="mart")][:2] == ["enterprise_key",
                                                                                           "month_key"]
    with pytest.raises(sa.exc.NoSuchTableError):
        inspector.get_columns("no_such_table")


def test_a_table_loaded_by_reflection_is_queried(warehouse, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path / "..")  # an absolute URL works from any directory
    eng = engine(warehouse)
    kpis = sa.Table("half_year_kpis", sa.MetaData(), schema="mart", autoload_with=eng)
    with eng.connect() as con:
        assert con.execute(sa.select(kpis.c.value).where(kpis.c.period == "2020H1")).scalar_one() == 92600.0
    metadata = sa.MetaData()
    metadata.reflect(eng, views=True)
    assert set(metadata.tables) == {"dim_enterprise", "fact_enterprise_month"}
    assert pd.read_sql("SELECT name FROM dim_enterprise", eng)["name"].tolist() == ["南通某某有限公司"]


def test_the_plain_duckdb_engine_url_cannot_reflect_with_the_pinned_versions(warehouse):
    with pytest.raises(sa.exc.ProgrammingError, match="pg_collation"):
        sa.inspect(engine(warehouse, scheme="duckdb")).get_columns("fact_enterprise_month")


@pytest.mark.parametrize("duckdb_type, expected", [("DECIMAL(18,6)", sa.Numeric), ("VARCHAR", sa.String),
                                                   ("INTEGER", sa.Integer), ("DATE", sa.Date),
                                                   ("VARCHAR[]", sa.ARRAY), ("UNION(a INTEGER)", sa.types.NullType)])
def test_column_types(duckdb_type, expected):
    assert isinstance(column_type(duckdb_type), expected)


def test_the_cli_prints_an_absolute_url_that_reflects(warehouse, tmp_path, capsys, monkeypatch):
    from town_industry.cli.main import main
    from town_industry.db import publish

    monkeypatch.chdir(tmp_path)
    with duckdb.connect(str(warehouse)) as con:  # what a load does after its commit
        publish(con, warehouse)
    assert main(["sql", "--url", "--warehouse", "wh.duckdb"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("duckdb+warehouse:////") and url.endswith("?access_mode=read_only")
    monkeypatch.chdir("/")
    assert "fact_enterprise_month" in sa.inspect(sa.create_engine(url)).get_table_names()
