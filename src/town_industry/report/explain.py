"""Why a growth rate moved, in words and as a table: the draft's appendix and sentence on causes, and
``make explain`` in the terminal, all from ``mart.kpi_drivers`` (report/drivers.py)."""
from __future__ import annotations

from town_industry.report.drivers import KINDS, Driver, of_kind
from town_industry.report.formatting import MISSING, growth, money, plain_number

KIND_TITLES = {
    "raised": "拉动增长最多", "lowered": "拖累增长最多", "entered": "新进入统计范围", "left": "退出统计范围",
    "largest": "规模最大的五个",
}
HEADER = ["类别", "名次", "名称", "统一代码/项目代码", "本期", "上年同期", "自身增速", "拉动（百分点）", "占本期比重"]


def points(value: float | None) -> str:
    """A contribution in percentage points, signed: '+1.3', '-0.4'."""
    if value is None:
        return MISSING
    text = plain_number(value, 1)
    return text if text.startswith("-") or text == "0" else "+" + text


def _row(d: Driver) -> list[str]:
    whole = d.rank == 0
    return [
        KIND_TITLES[d.kind] if whole else "",
        f"合计 {d.members} 个" if whole else str(d.rank),
        "" if whole else (d.member_name or MISSING),
        "" if whole else d.member_key,
        money(d.amount),
        money(d.amount_year_before),
        # a kind's whole mixes members with and without a year-before amount: no growth of its own
        MISSING if whole or d.growth_pct is None else growth(d.growth_pct),
        points(d.contribution_pp),
        MISSING if d.share_pct is None else plain_number(d.share_pct, 1) + "%",
    ]


def driver_rows(drivers: list[Driver]) -> list[list[str]]:
    """HEADER, then for each kind its whole (rank 0) and its ranked members."""
    rows = [HEADER]
    for kind in KINDS:
        whole, members = of_kind(drivers, kind)
        if whole is not None:
            rows += [_row(whole), *(_row(d) for d in members)]
    return rows


def cause_phrase(drivers: list[Driver]) -> str | None:
    """The strongest driver in words, for the sentence on causes: '主要受甲公司（增长12%，拉动1.3个百分点）带动'
    when the rate rose most through one member, '主要受乙公司（下降8%，拖累0.9个百分点）影响' when it fell;
    None without drivers."""
    raised = of_kind(drivers, "raised")[1]
    lowered = of_kind(drivers, "lowered")[1]
    total = sum(d.contribution_pp or 0 for d in drivers if d.rank == 0 and d.kind in ("raised", "lowered"))
    pulling = raised if total >= 0 else lowered
    if not pulling:
        return None
    top = pulling[0]
    own = f"{growth(top.growth_pct)}，" if top.growth_pct is not None else "新增，"
    effect = "拉动" if total >= 0 else "拖累"
    verb = "带动" if total >= 0 else "影响"
    size = plain_number(abs(top.contribution_pp), 1)
    return f"主要受{top.member_name or top.member_key}（{own}{effect}{size}个百分点）{verb}"
