"""What moved a growth rate in a half-year, as the mart keeps it (``mart.kpi_drivers``, written from the
KPIs' drivers SQL by marts/kpis.py): read by the draft (its appendix and the sentence on causes) and by
``make explain``."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

KINDS = ("raised", "lowered", "entered", "left", "largest")


@dataclass(frozen=True)
class Driver:
    kind: str                  # one of KINDS
    rank: int                  # 0: all the members of the kind together; 1-5: the largest, in order
    member_key: str            # uscc or project_code ('*' for rank 0)
    member_name: str | None
    members: int               # how many members the row stands for
    amount: Decimal | None     # in the period (万元)
    amount_year_before: Decimal | None
    contribution_pp: float | None
    share_pct: float | None

    @property
    def growth_pct(self) -> float | None:
        """The member's own growth against the same months a year earlier."""
        if self.amount is None or not self.amount_year_before:
            return None
        return float(self.amount / self.amount_year_before - 1) * 100


def read_drivers(con, period: str, kpi_code: str) -> list[Driver]:
    """The drivers of one KPI in one half-year, by kind (in KINDS order) and rank; [] when none are kept
    (the KPI has no drivers, or no value in that period)."""
    rows = con.execute(
        "SELECT kind, rank, member_key, member_name, members, amount, amount_year_before, contribution_pp, "
        "share_pct FROM mart.kpi_drivers WHERE period = ? AND kpi_code = ? "
        "ORDER BY list_position(?, kind), rank", [period, kpi_code, list(KINDS)]).fetchall()
    return [Driver(*row) for row in rows]


def of_kind(drivers: list[Driver], kind: str) -> tuple[Driver | None, list[Driver]]:
    """(the kind as a whole, its ranked members)."""
    whole = next((d for d in drivers if d.kind == kind and d.rank == 0), None)
    return whole, [d for d in drivers if d.kind == kind and d.rank > 0]
