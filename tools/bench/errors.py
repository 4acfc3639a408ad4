"""Every error rule still finds every bad row at scale: injected bad rows against the rejection.

Three files of the size asked for: one with a single bad row on its very last line, one with a bad row
for every row-level error rule of ``enterprise_monthly``, spread through the file with the last on its
last line, and one where every 10th row is bad (100,000 bad rows at 1,000,000: the rejection report must
stay readable). Each goes through the same ``validate`` + ``load`` as a delivered file; the load must reject
it, and every injected (rule, file row) must be among its error findings.
"""
from __future__ import annotations

from tools.bench.ingest import Case, ingest_once
from tools.bench.synthetic import BadRow, header_row, spread_bad_rows


def check(rows: int, bad: tuple[BadRow, ...], seed: int, label: str) -> dict:
    result = ingest_once(Case("csv", rows, 0), seed, bad, label=f"errors_{label}")
    found = {(f["rule"], f["row"]) for f in result.get("error_findings", [])}
    injected = [{"rule": b.rule, "row": p + header_row("csv")} for b in bad for p in b.positions(rows)]
    missing = [i for i in injected if (i["rule"], i["row"]) not in found]
    return {"case": label, "rows": rows, "status": result.get("status"), "injected": injected[-20:],
            "injected_count": len(injected), "last_injected": max(injected, key=lambda i: i["row"]),
            "missing": missing[:20], "missing_count": len(missing), "error_findings": len(found),
            "all_found": result.get("status") == "rejected" and not missing, "message": result.get("message"),
            "report_kb": result.get("report_kb"), "report_lines": result.get("report_lines"),
            "work_s": result["work_s"], "validate_s": result.get("validate_s"), "peak_rss_mb": result["peak_rss_mb"]}


def measure(rows: int, seed: int, say=print) -> dict:
    cases = [check(rows, (BadRow("invalid_uscc", rows),), seed, "one_bad_row_at_end"),
             check(rows, spread_bad_rows(rows), seed, "every_rule"),
             check(rows, (BadRow("negative_amount", 0, every=10),), seed, "every_10th_row")]
    for case in cases:
        say(f"  {case['case']} at {rows:,} rows: {case['injected_count'] - case['missing_count']:,}/"
            f"{case['injected_count']:,} injected bad rows found, {case['work_s']:.1f} s; rejection report "
            f"{case['report_kb']} KB, {case['report_lines']} lines")
    return {"rows": rows, "cases": cases, "all_found": all(c["all_found"] for c in cases)}
