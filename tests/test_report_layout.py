"""The draft's layout (include/report/report.yml): chapters and charts are declared, and a mistake in
the declaration is refused with the file and the key."""
from __future__ import annotations

import pytest

from town_industry.contracts import kpis
from town_industry.contracts import report_layout

GOOD = report_layout.LAYOUT.read_text(encoding="utf-8")


def refused(tmp_path, old: str, new: str, message: str) -> None:
    assert old in GOOD, old
    path = tmp_path / "report.yml"
    path.write_text(GOOD.replace(old, new, 1), encoding="utf-8")
    (tmp_path / "chapters").symlink_to(report_layout.REPORT_DIR / "chapters")
    with pytest.raises(ValueError, match=message):
        report_layout.layout(path)


def test_the_shipped_layout_has_a_chapter_for_every_kpi_section():
    declared = report_layout.layout()
    assert {k.section for k in kpis.catalogue().kpis} <= {c.id for c in declared.chapters}
    assert [c.id for c in declared.chapters][:2] == ["enterprise", "investment"]
    assert {c.name for c in declared.charts} >= {"taxable_sales", "fixed_asset_investment"}


@pytest.mark.parametrize("old, new, message", [
    ("{id: investment, title:", "{id: investment, titel:", r"chapters\[1\]: unknown key\(s\) \['titel'\]"),
    ("template: chapters/investment.md.j2}", "template: chapters/investmnet.md.j2}",
     r"chapters\[1\] \(investment\): no template"),
    ("  - {id: employment, title: 就业与创业服务, title_en: Employment services, template: chapters/employment.md.j2}\n",
     "", r"KPIs of include/kpis.yml name section\(s\) \['employment'\], which no chapter declares"),
    ("kind: bars_against_year_before", "kind: pie", r"charts\[1\] \(fixed_asset_investment\): kind must be one of"),
    ("    bars: fixed_asset_investment", "    bars: industrial_investment",
     r"charts\[1\] \(fixed_asset_investment\): bars: 'industrial_investment' is not a monthly KPI"),
    ("    chapter: enterprise", "    chapter: economy", r"charts\[0\] \(taxable_sales\): chapter 'economy' is not"),
    ("    line: taxable_sales_yoy_pct\n", "", r"charts\[0\] \(taxable_sales\): a line is drawn by"),
])
def test_a_mistake_is_refused_naming_the_file_and_key(tmp_path, old, new, message):
    refused(tmp_path, old, new, message)
