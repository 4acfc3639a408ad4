"""The usual way, as a tutorial writes it: ``pandas.read_csv``, the same GX suite, ``DataFrame.to_sql``.

The peer the pipeline is measured against. It reads the same file, checks it with the same suite
(``expectations/suites/enterprise_monthly.json`` with the project's custom expectations for USCCs and
industry classes) in an ephemeral GX context, and appends it through SQLAlchemy (duckdb-engine) to a
DuckDB table. It does what a hand-written loader needs to make the suite pass on a clerk's file
(Chinese headers to names, 2021年1月 to 2021-01, 是/否 to booleans, "—" as empty, units to 万元), and
nothing the pipeline adds (exact decimals, history checks, dimensions, the ledger).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

SUITE = "enterprise_monthly"


def prepare() -> None:
    """Imports, outside the timed part (the pipeline's imports are outside its timing too)."""
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401
    import sqlalchemy  # noqa: F401

    import town_industry.ingest.expectations  # noqa: F401  registers the suite's custom expectations


def usual_way(csv_path: Path, db_path: Path, month: str) -> dict:
    import great_expectations as gx
    import pandas as pd
    import sqlalchemy
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from town_industry import settings
    from town_industry.contracts.sources import get_source

    source = get_source(SUITE)
    suite_json = json.loads((settings.EXPECTATIONS_DIR / "suites" / f"{SUITE}.json").read_text(encoding="utf-8"))
    started = time.perf_counter()

    text_columns = {c.header: str for c in source.columns if c.type in ("text", "month", "category")}
    frame = pd.read_csv(csv_path, thousands=",", na_values=["—", "-", "/"], dtype=text_columns)
    frame = frame.rename(columns={c.header: c.name for c in source.columns})
    frame["stat_month"] = pd.to_datetime(frame["stat_month"], format="%Y年%m月").dt.strftime("%Y-%m")
    frame["is_above_scale"] = frame["is_above_scale"].map({"是": True, "否": False})
    for column in source.columns:
        if column.default is not None:
            frame[column.name] = frame[column.name].fillna(float(column.default))
        if column.money_factor:
            frame[column.name] = frame[column.name] * float(column.money_factor)
    parsed = time.perf_counter()

    context = gx.get_context(mode="ephemeral")
    batch_definition = (context.data_sources.add_pandas("files").add_dataframe_asset(SUITE)
                        .add_batch_definition_whole_dataframe("file"))
    suite = context.suites.add(gx.ExpectationSuite(name=SUITE))
    for expectation in suite_json["expectations"]:
        suite.add_expectation(ExpectationConfiguration(**expectation).to_domain_obj())
    start = pd.Timestamp(f"{month}-01")
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format="COMPLETE",
        expectation_parameters={"file_month": [month], "month_start": start,
                                "month_end": start + pd.offsets.MonthEnd(0)})
    unexpected = sum(r.result.get("unexpected_count") or 0 for r in result.results)
    validated = time.perf_counter()

    engine = sqlalchemy.create_engine(f"duckdb:///{db_path}")
    frame.to_sql(SUITE, engine, if_exists="append", index=False)
    engine.dispose()
    done = time.perf_counter()
    return {"work_s": done - started, "read_s": parsed - started, "validate_s": validated - parsed,
            "to_sql_s": done - validated, "rows": len(frame), "unexpected": unexpected,
            "success": bool(result.success)}
