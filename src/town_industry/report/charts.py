"""The report's charts, as PNG files drawn with matplotlib.

Every chart is drawn on its own ``Figure`` with the Agg canvas (no pyplot, so no global figure state),
in a font that has Chinese glyphs (``make fonts`` installs one). Identical input gives identical bytes.
"""
from __future__ import annotations

import functools
import math
import subprocess
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import FuncFormatter

from town_industry import periods

PROBE_CHAR = "销"  # U+9500, in every Simplified Chinese font, absent from Latin-only ones
NO_FONT = "No font with Chinese glyphs found: run `make fonts` (installs fonts-wqy-microhei)"

CM = 1 / 2.54
FIGSIZE = (16 * CM, 9 * CM)
DPI = 150
TITLE_SIZE, LABEL_SIZE, TICK_SIZE = 11, 9, 8

BLUE, ORANGE, GREY = "#4472C4", "#ED7D31", "#A5A5A5"


def _has_chinese(path: str | Path) -> bool:
    """Whether the font file at ``path`` (first face of a collection) has a glyph for PROBE_CHAR."""
    try:
        return font_manager.get_font(str(path)).get_char_index(ord(PROBE_CHAR)) != 0
    except (OSError, RuntimeError, ValueError):  # unreadable or not a font FreeType can open
        return False


@functools.lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """An installed font file covering Simplified Chinese: fontconfig's choice, else any system font."""
    try:
        found = subprocess.run(["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True,
                               timeout=30, check=False).stdout.strip()
    except (OSError, subprocess.SubprocessError):  # no fontconfig on this machine
        found = ""
    # fc-match always answers, with a Latin font when no Chinese one is installed: check the glyph
    if found and Path(found).is_file() and _has_chinese(found):
        return Path(found)
    for candidate in sorted(font_manager.findSystemFonts()):
        if _has_chinese(candidate):
            return Path(candidate)
    raise RuntimeError(NO_FONT)


@functools.lru_cache(maxsize=1)
def _family() -> str:
    """The family name of cjk_font_path(), registered with matplotlib's font manager (once)."""
    path = cjk_font_path()
    font_manager.fontManager.addfont(path)
    return font_manager.ttfFontProperty(font_manager.get_font(str(path))).name


def _font(size: float) -> FontProperties:
    return FontProperties(family=_family(), size=size)


def _rc() -> dict:
    # Only for the duration of one chart: a plain '-' for negative numbers (the CJK font may lack U+2212).
    return {"axes.unicode_minus": False, "font.family": [_family()]}


def _month_labels(months: list[str]) -> list[str]:
    return [f"{periods.month_number(m)}月" for m in months]


def _check_lengths(months: list[str], **series: list) -> None:
    if not months:
        raise ValueError("a chart needs at least one month")
    for name, values in series.items():
        if len(values) != len(months):
            raise ValueError(f"{name} has {len(values)} values for {len(months)} months")


def _new_figure() -> Figure:
    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style_axes(ax, ylabel: str) -> None:
    ax.set_ylabel(ylabel, fontproperties=_font(LABEL_SIZE))
    ax.tick_params(labelsize=TICK_SIZE, labelfontfamily=_family())
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.spines["top"].set_visible(False)


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    return path


def _pct_label(value: float) -> str:
    """One decimal, rounded half-up like the report's text (12.25 -> '12.3%', never a binary-float 12.2)."""
    rounded = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{abs(rounded) if rounded == 0 else rounded}%"  # never '-0.0%'


def _legend(fig: Figure, handles: list, labels: list[str]) -> None:
    # below the plot, outside it: never over a bar or a point
    fig.legend(handles, labels, loc="outside lower center", ncols=len(labels), frameon=False, prop=_font(LABEL_SIZE))


def _nan(values: list[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


def bars_and_growth_chart(months: list[str], bars: list[float | None], yoy_pct: list[float | None], path: Path,
                          title: str, bar_label: str, growth_label: str = "同比增速(%)") -> Path:
    """Bars of a monthly amount (``bar_label`` names it with its unit) and a line of its year-on-year
    growth (%), on two axes (include/report/report.yml: kind bars_and_growth).

    Months are 'YYYY-MM'; a None value leaves a gap. Returns ``path``.
    """
    _check_lengths(months, bars=bars, yoy_pct=yoy_pct)
    x = list(range(len(months)))
    with matplotlib.rc_context(_rc()):
        fig = _new_figure()
        ax = fig.add_subplot()
        shown = [(i, v) for i, v in zip(x, bars) if v is not None]
        drawn = ax.bar([i for i, _ in shown], [v for _, v in shown], width=0.55, color=BLUE, label=bar_label,
                       zorder=2)
        ax.set_xticks(x, _month_labels(months))
        ax.set_xlim(-0.6, len(months) - 0.4)
        _style_axes(ax, bar_label)
        ax.grid(axis="y", color="#E0E0E0", linewidth=0.6, zorder=0)
        top = max((v for _, v in shown), default=0)
        ax.set_ylim(min(0, min((v for _, v in shown), default=0)) * 1.15, (top or 1) * 1.12)

        ax2 = ax.twinx()
        growth = _nan(yoy_pct)
        (line,) = ax2.plot(x, growth, color=ORANGE, marker="o", markersize=4, linewidth=1.6, label=growth_label,
                           zorder=3)
        ax2.axhline(0, color="#7F7F7F", linewidth=0.8, linestyle="--", zorder=1)
        present = [g for g in growth if not math.isnan(g)]
        low, high = min(present + [0.0]), max(present + [0.0])
        pad = max((high - low) * 0.25, 5.0)
        ax2.set_ylim(low - pad, high + pad)
        for i, g in zip(x, growth):
            if math.isnan(g):
                continue
            ax2.annotate(_pct_label(g), (i, g), xytext=(0, 6 if g >= 0 else -6), textcoords="offset points",
                         ha="center", va="bottom" if g >= 0 else "top", color=ORANGE, fontproperties=_font(TICK_SIZE),
                         bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
        ax2.set_ylabel(growth_label, fontproperties=_font(LABEL_SIZE))
        ax2.tick_params(labelsize=TICK_SIZE, labelfontfamily=_family())
        ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax2.spines["top"].set_visible(False)

        ax.set_title(title, fontproperties=_font(TITLE_SIZE))
        _legend(fig, [drawn, line], [bar_label, growth_label])
        return _save(fig, path)


def bars_against_year_before_chart(months: list[str], this_year: list[float | None], year_before: list[float | None],
                                   path: Path, title: str, bar_label: str) -> Path:
    """Grouped bars per month: this year's amount (``bar_label`` names it with its unit) beside the same
    month a year before (include/report/report.yml: kind bars_against_year_before).

    Months are this year's, 'YYYY-MM'; a None value leaves its bar out. Returns ``path``.
    """
    _check_lengths(months, this_year=this_year, year_before=year_before)
    year = periods.year_of(months[0])
    x = list(range(len(months)))
    width = 0.38
    with matplotlib.rc_context(_rc()):
        fig = _new_figure()
        ax = fig.add_subplot()
        for values, offset, color, label in ((year_before, -width / 2, GREY, f"{year - 1}年"),
                                             (this_year, width / 2, BLUE, f"{year}年")):
            shown = [(i, v) for i, v in zip(x, values) if v is not None]
            ax.bar([i + offset for i, _ in shown], [v for _, v in shown], width=width, color=color, label=label,
                   zorder=2)
        ax.set_xticks(x, _month_labels(months))
        ax.set_xlim(-0.6, len(months) - 0.4)
        _style_axes(ax, bar_label)
        ax.spines["right"].set_visible(False)
        ax.grid(axis="y", color="#E0E0E0", linewidth=0.6, zorder=0)
        values = [v for v in this_year + year_before if v is not None]
        ax.set_ylim(min(0, min(values, default=0)) * 1.15, (max(values, default=0) or 1) * 1.1)
        ax.set_title(title, fontproperties=_font(TITLE_SIZE))
        _legend(fig, *ax.get_legend_handles_labels())
        return _save(fig, path)
