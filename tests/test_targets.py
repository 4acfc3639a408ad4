"""Targets as data (include/targets/<period>.yml): the shipped files load, and each mistake is refused
naming the file and the key, at load and by `make suites`."""
from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from town_industry.cli.main import main
from town_industry.contracts import targets
from town_industry.ingest import suites

GOOD = (targets.TARGETS_DIR / "2020H2.yml").read_text(encoding="utf-8")


def test_the_shipped_targets_load_in_the_kpis_units():
    declared = {t.period: t for t in targets.declared_targets()}
    assert set(declared) == {"2020H2", "2020FY"}
    h2 = {t.kpi: t for t in declared["2020H2"].targets}
    assert h2["fixed_asset_investment"].unit == "亿元" and h2["fixed_asset_investment"].value == 100000  # 万元
    assert h2["manufacturing_projects_started"].value == 4
    assert "示例目标" in declared["2020H2"].note  # the sample says it is one
    assert targets.targets_for("2021H1") is None


@pytest.mark.parametrize("name, old, new, message", [
    ("2020H2.yml", "kpi: industrial_investment", "kpi: industry_investment",
     r"targets\[4\] \(industry_investment\): kpi: 'industry_investment' is not a KPI of include/kpis.yml"),
    ("2020H2.yml", "kpi: taxable_sales\n", "kpi: taxable_sales\n    traget: 3\n",
     r"targets\[2\] \(taxable_sales\): unknown key\(s\) \['traget'\]"),
    ("2020H2.yml", "    unit: 本", "    unit: 个", r"targets\[5\] \(employment_certificates\): unit: '个' is not the unit"),
    ("2020H2.yml", "    target: 4\n", "    target: 四\n", r"targets\[0\] \(manufacturing_projects_started\): target: a number"),
    ("2020H2.yml", "    name_zh: 新开工制造业项目\n", "", r"targets\[0\] \(manufacturing_projects_started\): .*name_zh"),
    ("2020H2.yml", "note: 示例", "notes: 示例", r"unknown key\(s\) \['notes'\]"),
    ("2020H2.yml", "kpi: industrial_investment", "kpi: fixed_asset_investment",
     r"KPI\(s\) \['fixed_asset_investment'\] given more than one target"),
    ("2020H3.yml", "", "", r"2020H3.yml: the file's name must be the report period"),
])
def test_a_mistake_is_refused_naming_the_file_and_key(tmp_path, name, old, new, message):
    assert old in GOOD
    path = tmp_path / name
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ValueError, match=message) as refused:
        targets.load_targets(path)
    assert str(refused.value).startswith(str(path))


def test_a_monthly_only_kpi_cannot_be_a_target(tmp_path, monkeypatch):
    from town_industry.contracts import kpis

    # the shipped catalogue has no monthly-only KPI: the same catalogue with taxable_sales made one
    real = kpis.catalogue()
    monthly = tuple(replace(k, grains=("month",)) if k.code == "taxable_sales" else k for k in real.kpis)
    monkeypatch.setattr(kpis, "catalogue", lambda path=None: replace(real, kpis=monthly))
    path = tmp_path / "2020H2.yml"
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(ValueError, match=r"targets\[2\] \(taxable_sales\): kpi: 'taxable_sales' is not computed "
                                         r"for report periods"):
        targets.load_targets(path)


def test_make_suites_refuses_a_broken_targets_file(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "targets"
    shutil.copytree(targets.TARGETS_DIR, folder)
    monkeypatch.setattr(targets, "TARGETS_DIR", folder)
    monkeypatch.setattr(suites, "SUITES_DIR", tmp_path / "suites")
    broken = GOOD.replace("    unit: 亿元\n  - kpi: fixed_asset_investment", "    unit: 千元\n  - kpi: fixed_asset_investment")
    (folder / "2020H2.yml").write_text(broken, encoding="utf-8")
    assert main(["suites"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "1 problem(s) in the declarations; no suite written:"
    assert err[1] == (f"{folder}/2020H2.yml: targets[2] (taxable_sales): unit: '千元' is not the unit of "
                      "taxable_sales (write 万元 or 亿元)")
    assert not (tmp_path / "suites").exists()
