"""GB/T 4754-2017 industry classes and the groups the KPIs count them in: the one definition.

The classifications are reference data from the published standards (``include/reference/``): the whole
GB/T 4754-2017 tree (门类 sections, 大类 divisions, 中类 groups, 小类 classes, with their names), and
the NBS 2017 list of high-tech manufacturing classes. A class code is valid when the standard has it.
Which sections count as industrial, manufacturing or services is this project's rule, stated only here:
the warehouse's ``dim_industry`` receives these sections as parameters (``dim_industry_parameters``), and
Python code that needs a class's groups asks ``classify``, so the two cannot disagree.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache

from town_industry import settings

CLASSIFICATION_CSV = settings.REFERENCE_DIR / "gbt4754_2017.csv"
HIGH_TECH_CSV = settings.REFERENCE_DIR / "nbs2017_high_tech_manufacturing.csv"

# By section, so a division moved between sections by a revised standard moves with it.
INDUSTRIAL_SECTIONS = ("B", "C", "D")             # mining, manufacturing, utilities: divisions 06-46
MANUFACTURING_SECTIONS = ("C",)                   # divisions 13-43
SERVICES_SECTIONS = tuple("FGHIJKLMNOPQRST")      # the tertiary sections: divisions 51-97

@dataclass(frozen=True)
class IndustryClass:
    """One 4-digit class with the groups it belongs to (the flags of its ``dim_industry`` row)."""

    code: str
    section_code: str
    is_industrial: bool
    is_manufacturing: bool
    is_services: bool
    is_high_tech_manufacturing: bool


@lru_cache(maxsize=None)
def _section_of_class() -> dict[str, str]:
    """Every class code of the standard -> its section."""
    with CLASSIFICATION_CSV.open(encoding="utf-8") as f:
        return {row["code"]: row["section"] for row in csv.DictReader(f) if row["level"] == "class"}


@lru_cache(maxsize=None)
def _high_tech_classes() -> frozenset[str]:
    with HIGH_TECH_CSV.open(encoding="utf-8") as f:
        return frozenset(row["class_code"] for row in csv.DictReader(f))


def is_valid_industry_class(code: object) -> bool:
    """A 4-digit class (小类) of GB/T 4754-2017: '1819' is, '1810' (a class of the 2011 edition) is not."""
    return isinstance(code, str) and code in _section_of_class()


def classify(code: str) -> IndustryClass:
    """The groups of a valid class code (``ValueError`` for any other)."""
    if not is_valid_industry_class(code):
        raise ValueError(f"not a GB/T 4754-2017 class: {code!r}")
    section = _section_of_class()[code]
    return IndustryClass(code, section, section in INDUSTRIAL_SECTIONS, section in MANUFACTURING_SECTIONS,
                         section in SERVICES_SECTIONS, code in _high_tech_classes())


def dim_industry_parameters() -> dict[str, str | list[str]]:
    """What ``sql/dims/dim_industry.sql`` reads: the reference files and the sections of each group."""
    return {"classification_csv": str(CLASSIFICATION_CSV), "high_tech_csv": str(HIGH_TECH_CSV),
            "industrial_sections": list(INDUSTRIAL_SECTIONS),
            "manufacturing_sections": list(MANUFACTURING_SECTIONS),
            "services_sections": list(SERVICES_SECTIONS)}
