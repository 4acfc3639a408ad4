"""The shipped sample data is the sample-data tool's output, and the seed targets it is built to are
consistent with the KPI catalogue (tools/sample_data: python -m tools.sample_data, make sample-data)."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, SAMPLE, meets, seed_targets
from town_industry.contracts import kpis
from tools.sample_data.__main__ import SOURCES


def test_the_tool_regenerates_the_shipped_files_byte_for_byte(tmp_path):
    # A subprocess, as make sample-data runs it: the tool's self-checks run too and must pass.
    done = subprocess.run([sys.executable, "-m", "tools.sample_data", "--out", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    written = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    # The tool writes the sources it generates; sources added by declaration ship their own files.
    generated = {path.parts[0] for path in written}
    assert generated == set(SOURCES)
    shipped = {p.relative_to(SAMPLE): p.read_bytes() for p in SAMPLE.rglob("*")
               if p.is_file() and p.relative_to(SAMPLE).parts[0] in generated}
    assert sorted(written) == sorted(shipped)
    assert [name for name in shipped if written[name] != shipped[name]] == []


def test_seed_targets_are_catalogue_kpis_in_their_units():
    targets = seed_targets()
    catalogue = kpis.catalogue()
    half_year = {k.code for k in catalogue.for_grain("half_year")}
    monthly = {k.code for k in catalogue.for_grain("month")}
    assert set(targets["half_year"]) <= half_year
    assert {code for month in targets["monthly"].values() for code in month} <= monthly
    every = [*targets["half_year"].items(), *(kv for month in targets["monthly"].values() for kv in month.items())]
    for code, target in every:
        assert target["unit"] == catalogue.get(code).unit, code
        # the figure the data is built to passes its own check
        assert "sign" in target or meets(target, target["target"]), code
