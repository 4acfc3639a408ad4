"""GB/T 4754-2017 industry classification and the NBS 2017 high-tech manufacturing list.

Both are reference data shipped as CSV under ``include/data/reference/``; the
warehouse's ``dim_industry`` is built from the same files.
"""
from __future__ import annotations

import csv
import re
from functools import lru_cache

from town_industry import settings

DIVISIONS_CSV = settings.REFERENCE_DIR / "gbt4754_2017_divisions.csv"
HIGH_TECH_CSV = settings.REFERENCE_DIR / "nbs2017_high_tech_manufacturing.csv"
_CLASS = re.compile(r"^\d{4}$")


@lru_cache(maxsize=None)
def division_codes() -> frozenset[str]:
    with DIVISIONS_CSV.open(encoding="utf-8") as f:
        return frozenset(row["division_code"] for row in csv.DictReader(f))


@lru_cache(maxsize=None)
def high_tech_classes() -> frozenset[str]:
    with HIGH_TECH_CSV.open(encoding="utf-8") as f:
        return frozenset(row["class_code"] for row in csv.DictReader(f))


def is_valid_industry_class(code: object) -> bool:
    """Four digits whose first two name a GB/T 4754-2017 division."""
    return isinstance(code, str) and bool(_CLASS.match(code)) and code[:2] in division_codes()


def is_high_tech_manufacturing(code: str) -> bool:
    return code in high_tech_classes()
