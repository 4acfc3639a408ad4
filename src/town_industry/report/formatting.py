"""How figures are written in a report draft (docs/kpis.md, "How a draft writes a figure").

Amounts of 1亿元 or more in 亿元, smaller ones in 万元, with the KPI's precision and trailing zeros
dropped; percentages with one decimal, trailing zero dropped. Rounding is half-up on the decimal value,
as a person rounding by hand would (9.265亿 -> 9.27亿, never a binary-float 9.26).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from town_industry import periods

WAN_PER_YI = Decimal(10000)
MISSING = "—"


def plain_number(value: float | Decimal, precision: int) -> str:
    """``value`` rounded half-up to ``precision`` decimals, trailing zeros (and point) dropped."""
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-precision), rounding=ROUND_HALF_UP)
    text = f"{exact:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money(value_wan_yuan: float | None, precision: int = 2) -> str:
    """92600 -> '9.26亿元'; 970 -> '970万元'; 1.5 -> '1.5万元'."""
    if value_wan_yuan is None:
        return MISSING
    value = Decimal(str(value_wan_yuan))
    if abs(value) >= WAN_PER_YI:
        return plain_number(value / WAN_PER_YI, precision) + "亿元"
    return plain_number(value, precision) + "万元"


def percent(value: float | None, precision: int = 1) -> str:
    """2.0 -> '2%'; 12.5 -> '12.5%'."""
    return MISSING if value is None else plain_number(value, precision) + "%"


def growth(value: float | None, precision: int = 1) -> str:
    """A year-on-year change in words: '增长2%', '下降4.5%', '持平'; NULL -> no comparison base."""
    if value is None:
        return "无可比基数"
    magnitude = plain_number(abs(value), precision)
    if magnitude == "0":
        return "持平"
    return ("增长" if value > 0 else "下降") + magnitude + "%"


def yoy(value: float | None, precision: int = 1) -> str:
    """The phrase a sentence ends with: '同比增长2%', or why there is no rate."""
    if value is None:
        return "暂无同比数据（上年同期未入库）"
    return "同比" + growth(value, precision)


def figure(value: float | None, unit: str, precision: int) -> str:
    """A KPI value written with its unit, by the rules above."""
    if value is None:
        return MISSING
    if unit == "万元":
        return money(value, precision)
    if unit == "%":
        return percent(value, precision)
    if unit == "month number":
        return f"{int(value)}月"
    if unit == "月":  # a number of months: "3个月", never "3月" (March)
        return plain_number(value, precision) + "个月"
    return plain_number(value, precision) + unit


def part_of_year(period: str) -> str:
    """How a report names its period within the year: 上半年, 下半年, 全年."""
    if periods.is_full_year(period):
        return "全年"
    return "上半年" if periods.check_report_period(period).endswith("H1") else "下半年"


def period_name(period: str) -> str:
    """A report period in words: 2020年上半年, 2020年全年."""
    return f"{periods.year_of(period)}年{part_of_year(period)}"


_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """A chapter number as headings write it: 1 -> 一, 10 -> 十, 12 -> 十二, 20 -> 二十 (1 to 99)."""
    if not 1 <= n <= 99:
        raise ValueError(f"chapter number {n} is outside 1-99")
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else _DIGITS[tens]) + "十" if tens else "") + (_DIGITS[ones] if ones else "")
