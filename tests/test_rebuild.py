"""The archive of delivered files: the warehouse rebuilt from it has the same fingerprint, and any
archived version can be taken out again, byte for byte (sealed files included)."""
from __future__ import annotations

import os
from pathlib import Path

from conftest import SAMPLE
from town_industry.cli.rebuild import rebuild, take_out, versions
from town_industry.warehouse.fingerprint import ALL_SCHEMAS, fingerprint


def test_rebuild_from_the_archive_gives_the_same_fingerprint(sample_pipeline, tmp_path, monkeypatch):
    for name in ("DATA_DIR", "REPORTS_DIR", "ARCHIVE_DIR", "FILE_SETTLE_SECONDS"):
        monkeypatch.delenv(name, raising=False)  # rebuild sets them for its runs only
    monkeypatch.setenv("WAREHOUSE", str(sample_pipeline.warehouse))
    into = tmp_path / "rebuilt" / "warehouse.duckdb"
    lines: list[str] = []
    assert rebuild(sample_pipeline.warehouse, into, echo=lines.append), "\n".join(lines)
    assert "the rebuilt warehouse equals the original" in lines[-1]
    # and gives the process its settings back: later work does not write into the rebuild or its archive
    assert os.environ["WAREHOUSE"] == str(sample_pipeline.warehouse)
    assert not {"DATA_DIR", "REPORTS_DIR", "ARCHIVE_DIR", "FILE_SETTLE_SECONDS"} & set(os.environ)
    assert fingerprint(into, ALL_SCHEMAS) == fingerprint(sample_pipeline.warehouse, ALL_SCHEMAS)
    assert len(fingerprint(into, ALL_SCHEMAS)) >= 10  # star schema, staging and mart tables were compared


def test_every_archived_version_can_be_taken_out_byte_for_byte(sample_pipeline, tmp_path):
    listed = versions(sample_pipeline.warehouse, "employment_services", "2020-03")
    (source, month, status, sha, _, archived), = listed
    assert (source, month, status) == ("employment_services", "2020-03", "loaded")
    assert archived.endswith(".csv.sealed")  # personal data rests encrypted
    delivered = (SAMPLE / "employment_services" / "2020-03.csv").read_bytes()
    assert delivered not in Path(archived).read_bytes()
    assert take_out(sample_pipeline.warehouse, sha[:12], tmp_path / "out.csv").read_bytes() == delivered

    (*_, sha, _, archived), = versions(sample_pipeline.warehouse, "enterprise_monthly", "2020-03")
    assert Path(archived).read_bytes() == (SAMPLE / "enterprise_monthly" / "2020-03.csv").read_bytes()
