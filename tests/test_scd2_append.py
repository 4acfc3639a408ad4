"""Type-2 dimensions appended month by month equal the full rebuild, whatever order months load in.

Each month goes through ``load_month`` (staging, history checks, models, meta in one transaction);
after every load the dimension is compared, row for row and column type for column type, with
``scd2_sql`` run over the same staging: the append path (``scd2_append.sql.j2``) must never differ.
"""
from __future__ import annotations

import dataclasses
import random

import duckdb
import pytest

from town_industry import periods
from town_industry.contracts.sources import declared_sources, get_source
from town_industry.db import read_sql
from town_industry.warehouse import models
from town_industry.warehouse.load import load_month
from town_industry.warehouse.meta import LoadRecord
from town_industry.warehouse.schema import ensure_schema

ENTERPRISE = ("uscc", ("enterprise_name", "industry_code", "is_above_scale"))
PROJECT = ("project_code", ("project_name", "owner_uscc", "planned_investment", "completion_date"))
APPENDS = models.appends


class Warehouse:
    """A warehouse loaded through ``load_month``, recording which loads appended to the dimension."""

    def __init__(self, path, tmp_path, monkeypatch, source_name: str):
        self.con = duckdb.connect(str(path))
        ensure_schema(self.con, declared_sources())
        self.source = get_source(source_name)
        self.model = next(m for m in self.source.models if m.materialized == "scd2")
        self.tmp, self.loads, self.appended = tmp_path, 0, []

        def spy(*args):
            result = APPENDS(*args)
            self.appended.append(result)
            return result

        monkeypatch.setattr(models, "appends", spy)

    def load(self, month: str, reports: dict[str, tuple]) -> bool:
        """Load ``month`` holding ``reports`` (key -> tracked values); True if the dimension was appended."""
        key, tracked = ENTERPRISE if self.source.name == "enterprise_monthly" else PROJECT
        self.loads += 1
        sha = f"sha{self.loads}"
        landing = self.tmp / f"landing{self.loads}.parquet"
        rows = [{self.source.month_column: periods.first_date(month), key: k, **dict(zip(tracked, values)),
                 "_row": i + 2, "_file_sha256": sha} for i, (k, values) in enumerate(sorted(reports.items()))]
        types = {c.stored_name: c.type for c in self.source.stored_columns}
        staging = dict(self.con.execute(f"SELECT column_name, data_type FROM information_schema.columns "
                                        f"WHERE table_schema = 'staging' AND table_name = '{self.source.name}'"
                                        ).fetchall())
        columns = [self.source.month_column, key, *tracked, "_row", "_file_sha256"]
        assert set(columns) <= set(staging) and set(tracked) <= set(types)
        values = ", ".join(f"CAST(? AS {staging[c]}) AS {c}" for c in columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE landing AS SELECT {values} LIMIT 0", [None] * len(columns))
        for row in rows:
            self.con.execute(f"INSERT INTO landing VALUES ({', '.join('?' * len(columns))})",
                             [row[c] for c in columns])
        self.con.execute(f"COPY landing TO '{landing}' (FORMAT parquet)")
        load_month(self.con, self.source, month, landing,
                   LoadRecord(self.source.name, month, str(landing), sha, "loaded", len(rows)), [])
        self.assert_equals_rebuild()
        return self.appended[-1]

    def rows(self) -> list[tuple]:
        return sorted(self.con.execute(f"FROM {self.model.table}").fetchall(), key=repr)

    def assert_equals_rebuild(self) -> None:
        rebuild = models.scd2_sql(self.model, read_sql(self.model.sql))
        expected = sorted(self.con.execute(rebuild).fetchall(), key=repr)
        assert self.rows() == expected
        kinds = self.con.execute(f"DESCRIBE {self.model.table}").fetchall()
        assert [k[:2] for k in kinds] == [k[:2] for k in self.con.execute(f"DESCRIBE {rebuild}").fetchall()]


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    made = []

    def make(source_name: str = "enterprise_monthly", name: str = "wh") -> Warehouse:
        made.append(Warehouse(tmp_path / f"{name}.duckdb", tmp_path, monkeypatch, source_name))
        return made[-1]

    yield make
    for w in made:
        w.con.close()


A, B, C = ("甲厂", "1311", True), ("乙厂", "1311", True), ("甲厂", "1320", False)
MONTHS = {  # key -> its report per month (absent: not in that month's file)
    "2020-01": {"k1": A, "k2": A, "k3": A, "k4": A, "k6": (None, None, None)},
    "2020-02": {"k1": A, "k2": B, "k3": A, "k4": A, "k6": (None, None, None)},
    "2020-03": {"k1": A, "k2": B, "k6": A},                          # k3, k4 gone for a while
    "2020-04": {"k1": A, "k2": A, "k5": C, "k6": A},                 # k2 back to A: a new version
    "2020-05": {"k1": C, "k2": A, "k3": A, "k4": B, "k5": C, "k6": A},  # k3 back as it was, k4 changed
}


def test_ascending_months_append_and_equal_the_rebuild(warehouse):
    w = warehouse()
    assert [w.load(month, reports) for month, reports in MONTHS.items()] == [False, True, True, True, True]
    versions = {(r[1], r[2]): r[6:] for r in w.rows()}
    assert versions[("k3", 1)] == (202001, 999912, True, 202005)  # back unchanged: the same version runs on
    assert versions[("k4", 1)] == (202001, 202004, False, 202002)  # back changed: closed the month before
    assert versions[("k6", 0)][:2] == (202001, 202002)  # first reports without attributes are version 0


def test_revised_latest_month_is_rebuilt_then_appending_resumes(warehouse):
    w = warehouse()
    for month in ("2020-01", "2020-02", "2020-03"):
        w.load(month, MONTHS[month])
    assert not w.load("2020-03", {**MONTHS["2020-03"], "k1": B, "k7": C})  # the dimension holds the old file
    assert not w.load("2020-03", MONTHS["2020-03"])  # and back
    assert w.load("2020-04", MONTHS["2020-04"])


def test_backfill_and_gaps_end_as_the_ascending_load(warehouse):
    ascending = warehouse(name="ascending")
    for month, reports in MONTHS.items():
        ascending.load(month, reports)
    w = warehouse(name="backfilled")
    assert w.load("2020-01", MONTHS["2020-01"]) is False
    assert w.load("2020-03", MONTHS["2020-03"]) is True  # a gap: 2020-02 not yet delivered
    assert w.load("2020-05", MONTHS["2020-05"]) is True
    assert w.load("2020-02", MONTHS["2020-02"]) is False  # the backfill is rebuilt
    assert w.load("2020-04", MONTHS["2020-04"]) is False
    assert w.rows() == ascending.rows()


def test_a_changed_declaration_is_rebuilt(warehouse, monkeypatch):
    w = warehouse()
    w.load("2020-01", MONTHS["2020-01"])
    fewer = dataclasses.replace(w.model, tracked=w.model.tracked[:2])
    w.source = dataclasses.replace(w.source, models=(fewer, *w.source.models[1:]))
    w.model = fewer
    assert not w.load("2020-02", MONTHS["2020-02"])
    assert w.load("2020-03", MONTHS["2020-03"])


@pytest.mark.parametrize("seed", range(3))
def test_random_histories_in_random_orders(warehouse, seed):
    """Projects with NULLs coming and going, loaded ascending (with revisions) and shuffled."""
    rng = random.Random(seed)
    import datetime as dt
    from decimal import Decimal

    pool = [("一期", None, Decimal("600.5"), None), ("一期", "91320612MA1XXXXX0A", Decimal("600.5"), None),
            ("二期", "91320612MA1XXXXX0A", Decimal("800"), dt.date(2020, 3, 1)), (None, None, None, None)]
    months = periods.months_between("2020-01", "2020-09")
    state = {f"p{i}": rng.choice(pool) for i in range(25)}
    files = {}
    for month in months:
        state = {k: rng.choice(pool) if rng.random() < 0.25 else v for k, v in state.items()}
        files[month] = {k: v for k, v in state.items() if rng.random() < 0.8}
    ascending = warehouse("investment_monthly", f"ascending{seed}")
    appended = 0
    for month in months:
        appended += ascending.load(month, files[month])
        if rng.random() < 0.3:  # a revision of the latest month, then the real file again
            ascending.load(month, {k: rng.choice(pool) for k in files[month]})
            ascending.load(month, files[month])
    assert appended == len(months) - 1
    shuffled = warehouse("investment_monthly", f"shuffled{seed}")
    for month in rng.sample(months, len(months)):
        shuffled.load(month, files[month])
    assert shuffled.rows() == ascending.rows()
