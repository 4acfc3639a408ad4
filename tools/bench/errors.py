"""Every error rule still finds every bad row at scale: injected bad rows against the rejection.

Two files of the size asked for: one with a single bad row on its very last line, and one with a bad row
for every row-level error rule of ``enterprise_monthly``, spread through the file with the last on its
last line. Each goes through the same ``validate`` + ``load`` as a delivered file; the load must reject
it, and every injected (rule, file row) must be among its error findings.
"""
from __future__ import annotations

from tools.bench.ingest import Case, ingest_once
from tools.bench.synthetic import BadRow, header_row, spread_bad_rows


def check(rows: int, bad: tuple[BadRow, ...], seed: int, label: str) -> dict:
    result = ingest_once(Case("csv", rows, 0), seed, bad, label=f"errors_{label}")
    found = {(f["rule"], f["row"]) for f in result.get("error_findings", [])}
    injected = [{"rule": b.rule, "row": b.position + header_row("csv")} for b in bad]
    missing = [i for i in injected if (i["rule"], i["row"]) not in found]
    return {"case": label, "rows": rows, "status": result.get("status"), "injected": injected,
            "missing": missing, "error_findings": len(found), "all_found": result.get("status") == "rejected"
            and not missing, "message": result.get("message"), "work_s": result["work_s"],
            "validate_s": result.get("validate_s"), "peak_rss_mb": result["peak_rss_mb"]}


def measure(rows: int, seed: int, say=print) -> dict:
    cases = [check(rows, (BadRow("invalid_uscc", rows),), seed, "one_bad_row_at_end"),
             check(rows, spread_bad_rows(rows), seed, "every_rule")]
    for case in cases:
        say(f"  {case['case']} at {rows:,} rows: {len(case['injected']) - len(case['missing'])}/"
            f"{len(case['injected'])} injected bad rows found, {case['work_s']:.1f} s")
    return {"rows": rows, "cases": cases, "all_found": all(c["all_found"] for c in cases)}
