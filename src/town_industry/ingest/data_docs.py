"""GX Data Docs of every validated file: one static HTML page per file, and a plain index of them.

A page is rendered by Great Expectations' own Data Docs renderers (``ValidationResultsPageRenderer`` turns
the suite's validation result into a document, ``DefaultJinjaPageView`` into HTML, as a Data Docs site
builder does), from a copy of the result cut down for reading:

- bounded: the complete unexpected lists (every bad row of a 100,000-row file) are left out; the page shows
  what GX's SUMMARY format does, the ``PARTIAL`` most common unexpected values with their counts in the whole
  file. The rows of every finding are in meta.dq_issues and in the rejection report;
- no ID numbers in clear: values of the source's personal columns (``personal: id_number``) are masked as
  reports show them (320611********123X), and in a source that holds ID numbers any ID-number-like text
  elsewhere on the page is masked too.

``data_docs_dir()/<source>/<YYYY-MM>-<sha256[:12]>.html`` is the page of a file (the rejection report
links it); a ``.json`` beside it says what the index lists (source, month, SHA-256, success, time), and
``index.html`` is rewritten from those after each page, newest first. Every file is written to a temporary
name and renamed, so a reader never sees half a page. Rendering runs in the bounded validation child
(ingest/bounded.py): it writes files only, and never fails a validation (validation.py logs and goes on).
"""
from __future__ import annotations

import html
import json
import os
import tempfile
from copy import deepcopy
from datetime import datetime, timezone
from pathlib import Path

from town_industry import settings
from town_industry.contracts.codes import mask_id_number, mask_id_numbers_in
from town_industry.contracts.sources import Source

PARTIAL = 20  # unexpected values shown per expectation (GX's own default partial_unexpected_count)
# Lists as long as the file's bad rows: not on a page (meta.dq_issues holds every finding).
COMPLETE_ONLY = ("unexpected_list", "unexpected_index_list", "unexpected_index_query", "unexpected_rows")


def data_docs_dir() -> Path:
    """``DATA_DOCS_DIR``, else ``data_docs/`` beside the warehouse (``build/data_docs`` by default)."""
    return Path(os.environ.get("DATA_DOCS_DIR", settings.work_dir() / "data_docs")).resolve()


def page_path(source: str, month: str, sha256: str) -> Path:
    """Where the page of ``source``'s file for ``month`` with this SHA-256 is (whether or not it exists)."""
    return data_docs_dir() / source / f"{month}-{sha256[:12]}.html"


def write_validation_page(result, source: Source, month: str, sha256: str) -> Path:
    """Render ``result`` (the ExpectationSuiteValidationResult of ``source``'s suite on the file) as its
    page, and rewrite the index; returns the page's path."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    validated_at = datetime.now(timezone.utc)
    shown = _readable_copy(result, source, month, sha256, validated_at)
    document = ValidationResultsPageRenderer().render(shown)
    page = DefaultJinjaPageView().render(document, show_how_to_buttons=False)
    path = page_path(source.name, month, sha256)
    _write_atomically(path, page)
    _write_atomically(path.with_suffix(".json"), json.dumps({
        "source": source.name, "month": month, "sha256": sha256, "success": bool(result.success),
        "suite": result.suite_name, "statistics": dict(result.statistics),
        "validated_at": validated_at.isoformat()}, ensure_ascii=False))
    write_index()
    return path


def _readable_copy(result, source: Source, month: str, sha256: str, validated_at: datetime):
    """``result`` as a page shows it: partial unexpected lists only, ID numbers masked, the file named."""
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
        ExpectationValidationResult,
    )

    personal = {c.name for c in source.columns if c.personal == "id_number"}
    outcomes = []
    for outcome in result.results:
        config = outcome.expectation_config
        kwargs = config.kwargs if config is not None else {}
        domain = {kwargs.get(k) for k in ("column", "column_A", "column_B")} | set(kwargs.get("column_list") or ())
        # Without the complete lists the renderer shows what GX's SUMMARY format would: the most common
        # unexpected values with their counts in the whole file (partial_unexpected_counts).
        values = {k: v[:PARTIAL] if isinstance(v, list) and k != "unexpected_index_column_names" else v
                  for k, v in (outcome.result or {}).items() if k not in COMPLETE_ONLY}
        outcomes.append(ExpectationValidationResult(
            success=outcome.success,
            expectation_config=deepcopy(config),  # the renderer may annotate it: not the caller's copy
            result={k: v if k == "unexpected_index_column_names"  # names of columns, not values
                    else _masked(v, personal, bool(personal), in_personal=bool(domain & personal))
                    for k, v in values.items()},
            meta=deepcopy(outcome.meta),
            exception_info=_masked(outcome.exception_info, personal, bool(personal), in_personal=False)))
    kept = ("great_expectations_version", "batch_markers", "active_batch_definition")  # no batch data
    meta = {k: v for k, v in result.meta.items() if k in kept}
    meta["run_id"] = {"run_name": f"file {sha256[:12]}", "run_time": validated_at.isoformat()}
    meta["batch_spec"] = {"data_asset_name": f"{source.name} {month}", "file_sha256": sha256}
    return ExpectationSuiteValidationResult(
        success=result.success, results=outcomes, suite_name=result.suite_name,
        statistics=dict(result.statistics), meta=meta)


def _masked(value, personal: set[str], scrub_text: bool, in_personal: bool):
    """``value`` with texts of personal columns masked (a dict entry named after one, or anything under
    ``in_personal``), and, with ``scrub_text``, ID numbers inside any other text masked too."""
    if isinstance(value, dict):
        return {k: _masked(v, personal, scrub_text, in_personal or k in personal) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_masked(v, personal, scrub_text, in_personal) for v in value]
    if isinstance(value, str):
        if in_personal:
            return mask_id_number(value)
        return mask_id_numbers_in(value) if scrub_text else value
    return value


def write_index() -> Path:
    """``index.html``: every page under data_docs_dir() (from the ``.json`` beside it), newest first."""
    root = data_docs_dir()
    entries = []
    for described in root.glob("*/*.json"):
        try:
            entry = json.loads(described.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # being replaced right now, or damaged: the next index lists it
        if described.with_suffix(".html").exists():
            entries.append((entry, described.with_suffix(".html").relative_to(root).as_posix()))
    entries.sort(key=lambda e: (e[0].get("validated_at", ""), e[1]), reverse=True)
    rows = []
    for entry, link in entries:
        verdict = "passed" if entry.get("success") else "failed"
        cells = [entry.get("source", ""), entry.get("month", ""), entry.get("sha256", "")[:12],
                 verdict, entry.get("validated_at", "")[:19].replace("T", " ")]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                    + f'<td><a href="{html.escape(link)}">{html.escape(link)}</a></td></tr>')
    page = "\n".join([
        "<!DOCTYPE html>", '<html lang="zh"><head><meta charset="utf-8">',
        "<title>GX 校验结果 / Validation results (Data Docs)</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.3em .6em}</style></head><body>",
        "<h1>GX 校验结果 / Validation results (Data Docs)</h1>",
        f"<p>{len(entries)} validated file(s), newest first. Every finding is in meta.dq_issues.</p>",
        "<table><thead><tr><th>source</th><th>month</th><th>file SHA-256</th><th>suite result</th>"
        "<th>validated at (UTC)</th><th>page</th></tr></thead><tbody>",
        *rows, "</tbody></table></body></html>", ""])
    return _write_atomically(root / "index.html", page)


def _write_atomically(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
