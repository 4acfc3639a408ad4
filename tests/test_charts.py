"""The report's charts: real PNG files, drawn in a font that has the Chinese glyphs."""
from __future__ import annotations

import logging
import struct
import warnings
from pathlib import Path

import pytest
from matplotlib import font_manager

from town_industry.report import charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MONTHS = [f"2020-{m:02d}" for m in range(1, 7)]
SALES = [52000.0, 31000.5, 60500.0, 71000.0, 69800.0, 80200.0]
YOY = [-4.5, -28.0, -8.9, 3.2, 5.0, 12.25]
INVEST_2020 = [12000.0, 8000.0, 15000.0, 21000.0, 19000.0, 26000.0]
INVEST_2019 = [10000.0, 11000.0, 14000.0, 16000.0, 18000.0, 20000.0]



def sales_chart(*args, title="规上工业应税销售及同比增速") -> Path:
    """The draft's first chart as include/report/report.yml declares it."""
    return charts.bars_and_growth_chart(*args, title=title, bar_label="应税销售(万元)")


def investment_chart(*args) -> Path:
    return charts.bars_against_year_before_chart(*args, title="固定资产投资分月完成情况", bar_label="固定资产投资(万元)")


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    return struct.unpack(">II", data[16:24])  # IHDR width, height


class FontTrouble(logging.Handler):
    """Collects what matplotlib's font manager logs (findfont fallbacks) at WARNING and above."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def draw_without_font_trouble(draw) -> None:
    """Run ``draw`` and fail on any missing-glyph warning or font fallback: the Chinese must render."""
    handler = FontTrouble()
    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            draw()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message) or "font" in str(w.message).lower()]
    assert glyphs == []
    assert handler.messages == []


def test_the_check_catches_chinese_drawn_in_a_latin_font(tmp_path):
    """The control: Chinese in DejaVu Sans (no CJK glyphs) must trip draw_without_font_trouble."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def draw():
        fig = Figure()
        FigureCanvasAgg(fig)
        fig.text(0.5, 0.5, "应税销售", family="DejaVu Sans")
        fig.savefig(tmp_path / "boxes.png")

    with pytest.raises(AssertionError):
        draw_without_font_trouble(draw)


def test_cjk_font_has_the_chinese_glyph():
    path = charts.cjk_font_path()
    assert path.is_file()
    assert font_manager.get_font(str(path)).get_char_index(ord("销")) != 0
    assert charts.cjk_font_path() is path  # cached


def test_sales_chart_is_a_png_drawn_with_chinese_glyphs(tmp_path):
    out = tmp_path / "nested" / "charts" / "sales.png"
    draw_without_font_trouble(lambda: sales_chart(MONTHS, SALES, YOY, out))
    width, height = png_size(out)
    # 16 x 9 cm at 150 dpi
    assert (width, height) == pytest.approx((945, 531), abs=2)
    assert out.stat().st_size > 10_000


def test_investment_chart_is_a_png_drawn_with_chinese_glyphs(tmp_path):
    out = tmp_path / "investment.png"
    returned = None

    def draw():
        nonlocal returned
        returned = investment_chart(MONTHS, INVEST_2020, INVEST_2019, out)

    draw_without_font_trouble(draw)
    assert returned == out
    assert png_size(out) == pytest.approx((945, 531), abs=2)


def test_second_half_months_and_negative_values_render(tmp_path):
    months = [f"2020-{m:02d}" for m in range(7, 13)]
    draw_without_font_trouble(lambda: sales_chart(months, SALES, [-1.0, -2.5, -0.4, -3.0, -12.0, -0.1],
                                                  tmp_path / "h2.png", title="下半年应税销售"))
    draw_without_font_trouble(lambda: investment_chart(months, [-500.0] + INVEST_2020[1:], INVEST_2019,
                                                       tmp_path / "h2-inv.png"))
    assert png_size(tmp_path / "h2.png")[0] > 0


def test_identical_input_gives_identical_bytes(tmp_path):
    first = sales_chart(MONTHS, SALES, YOY, tmp_path / "a.png").read_bytes()
    second = sales_chart(MONTHS, SALES, YOY, tmp_path / "b.png").read_bytes()
    assert first == second
    assert b"Software" not in first  # no matplotlib version stamped in
    inv_a = investment_chart(MONTHS, INVEST_2020, INVEST_2019, tmp_path / "c.png").read_bytes()
    inv_b = investment_chart(MONTHS, INVEST_2020, INVEST_2019, tmp_path / "d.png").read_bytes()
    assert inv_a == inv_b
    # and different data draws a different picture
    assert sales_chart(MONTHS, SALES, [1.0] * 6, tmp_path / "e.png").read_bytes() != first


def test_missing_values_leave_gaps_without_crashing(tmp_path):
    with_gaps = sales_chart(MONTHS, [None, 31000.5, None, 71000.0, 69800.0, None],
                                   [None, -28.0, 3.0, None, 5.0, 12.0], tmp_path / "gaps.png")
    all_missing = sales_chart(MONTHS, [None] * 6, [None] * 6, tmp_path / "empty.png")
    investment = investment_chart(MONTHS, [None, 1.0, None, 2.0, None, None], [None] * 6,
                                         tmp_path / "inv.png")
    for path in (with_gaps, all_missing, investment):
        assert png_size(path)[0] > 0
    # a gap is not a zero: the two pictures differ
    zeros = sales_chart(MONTHS, [0.0, 31000.5, 0.0, 71000.0, 69800.0, 0.0],
                               [0.0, -28.0, 3.0, 0.0, 5.0, 12.0], tmp_path / "zeros.png")
    assert zeros.read_bytes() != with_gaps.read_bytes()


def test_mismatched_series_are_refused(tmp_path):
    with pytest.raises(ValueError, match="yoy_pct has 5 values for 6 months"):
        sales_chart(MONTHS, SALES, YOY[:5], tmp_path / "x.png")
    with pytest.raises(ValueError, match="at least one month"):
        investment_chart([], [], [], tmp_path / "y.png")


def test_charts_leave_matplotlib_settings_as_they_were(tmp_path):
    import matplotlib

    before = (matplotlib.rcParams["axes.unicode_minus"], list(matplotlib.rcParams["font.family"]))
    sales_chart(MONTHS, SALES, YOY, tmp_path / "s.png")
    assert (matplotlib.rcParams["axes.unicode_minus"], list(matplotlib.rcParams["font.family"])) == before


def test_growth_labels_round_half_up_with_one_decimal():
    assert [charts._pct_label(v) for v in (-28, 12.25, 3.14, -0.04, 0)] == ["-28.0%", "12.3%", "3.1%", "0.0%", "0.0%"]
