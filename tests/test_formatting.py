"""Figures as the draft writes them (docs/kpis.md, "How a draft writes a figure")."""
import pytest

from town_industry.report import formatting


@pytest.mark.parametrize("wan_yuan, text", [
    (92600, "9.26亿元"), (121000, "12.1亿元"), (13800, "1.38亿元"), (10000, "1亿元"), (9999.99, "9999.99万元"),
    (970, "970万元"), (1.5, "1.5万元"), (12, "12万元"), (92650, "9.27亿元"),  # half-up, not banker's
    (92649.99, "9.26亿元"), (0, "0万元"), (None, "—"),
])
def test_money_in_yi_from_one_yi_up_else_wan(wan_yuan, text):
    assert formatting.money(wan_yuan) == text


@pytest.mark.parametrize("pct, text", [(2.0, "2%"), (12.5, "12.5%"), (1.9999963, "2%"), (28.499999999, "28.5%"),
                                       (3.5997951820141205, "3.6%"), (-4.500018, "-4.5%"), (None, "—")])
def test_percent_one_decimal_trailing_zero_dropped(pct, text):
    assert formatting.percent(pct) == text


@pytest.mark.parametrize("pct, words", [(2.0, "增长2%"), (-28.00001, "下降28%"), (0.04, "持平"),
                                        (None, "无可比基数")])
def test_growth_in_words(pct, words):
    assert formatting.growth(pct) == words


def test_yoy_phrase_says_why_there_is_no_rate():
    assert formatting.yoy(2.0) == "同比增长2%" and formatting.yoy(None) == "暂无同比数据（上年同期未入库）"


@pytest.mark.parametrize("value, unit, precision, text", [
    (33, "家", 0, "33家"), (324.0, "亩", 2, "324亩"), (4, "month number", 0, "4月"), (3, "月", 0, "3个月"),
    (912, "个", 0, "912个"), (87000, "万元", 2, "8.7亿元"), (28.5, "%", 1, "28.5%"), (None, "个", 0, "—"),
])
def test_figure_by_unit(value, unit, precision, text):
    assert formatting.figure(value, unit, precision) == text
