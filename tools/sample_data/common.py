"""What every source's generator shares: the random seed, the months, apportioning, company codes."""
from __future__ import annotations

import datetime
import math
import random

from town_industry.contracts.codes import USCC_CHARSET, uscc_check_char
from town_industry.periods import first_date, half_year_months, months_between, shift_month

RANDOM_SEED = 20200716  # the day the seed report was given; any fixed value would do
MONTHS = months_between("2019-01", "2020-12")
H1_2020 = half_year_months("2020H1")  # the half-year of the seed report: the generators calibrate to it


def year_earlier(month: str) -> str:
    return shift_month(month, -12)


def month_in(month: str, first: str, last: str) -> bool:
    # 'YYYY-MM' strings sort chronologically, so plain comparison works.
    return first <= month <= last


def month_end(month: str) -> datetime.date:
    return first_date(shift_month(month, 1)) - datetime.timedelta(days=1)


def as_date(text: str | None) -> datetime.date | None:
    return None if text is None else datetime.date.fromisoformat(text)


def source_rng(source: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random, independent of
    # PYTHONHASHSEED, so every source gets a stable stream of its own.
    return random.Random(f"{RANDOM_SEED}:{source}")


def apportion(weights: list[float], total: int, caps: list[int] | None = None) -> list[int]:
    """Integers proportional to ``weights`` that sum to exactly ``total``.

    Largest-remainder rounding: this is how a target sum survives rounding
    every row to the file's precision. A part never exceeds its cap (used to
    keep high_tech_output <= gross_output); capped parts are pinned and the
    rest is shared again among the others.
    """
    n = len(weights)
    pinned: dict[int, int] = {}
    while True:
        free = [i for i in range(n) if i not in pinned]
        remaining = total - sum(pinned.values())
        weight_sum = sum(weights[i] for i in free)
        shares = {i: weights[i] * remaining / weight_sum for i in free}
        # "- 1": a share may still be rounded up by one unit below.
        over = [i for i in free if caps is not None and shares[i] > caps[i] - 1]
        if not over:
            break
        for i in over:
            pinned[i] = caps[i]
    parts = {i: math.floor(shares[i]) for i in free}
    leftover = remaining - sum(parts.values())
    by_remainder = sorted(free, key=lambda i: (parts[i] - shares[i], i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    parts.update(pinned)
    result = [parts[i] for i in range(n)]
    assert sum(result) == total and min(result) >= 0
    return result


def make_uscc(rng: random.Random, taken: set[str], modern: bool) -> str:
    """A USCC of a company registered in 通州区 (320612).

    Characters 9-17 are the organisation code: 8 digits for older firms, 'MA…'
    for firms registered after 2015, plus its GB 11714 check character, so the
    codes look like real ones; the 18th is the GB 32100 check character.
    """
    while True:
        if modern:
            body = "MA1" + "".join(rng.choice(USCC_CHARSET) for _ in range(5))
        else:
            body = str(rng.randint(1, 7)) + "".join(rng.choice("0123456789") for _ in range(7))
        first17 = "91320612" + body + org_code_check_char(body)
        code = first17 + uscc_check_char(first17)
        if code not in taken:
            taken.add(code)
            return code


def org_code_check_char(body: str) -> str:
    # GB 11714: weights 3 7 9 10 5 8 4 2; letters count 10 (A) upward. The pipeline never checks
    # organisation codes, so this lives here rather than in town_industry.contracts.codes.
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def print_roles(title: str, roles: list[tuple[str, str]]) -> None:
    """The rows that play a part in the definitions, so a reader of the output can find them."""
    print(title)
    for who, role in roles:
        print(f"  {who:34} {role}")
