"""The synthetic enterprises of a benchmark: N firms with real-looking codes, names and industries.

Built with numpy (a million firms in a few seconds) and cached per (N, seed) as Parquet under
``build/bench/cache/``: every month's file and every history month is drawn from the same population,
so month-to-month comparisons (history checks, type-2 dimensions) see one set of enterprises that
changes a little, as a province's register does.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from town_industry.contracts.codes import USCC_CHARSET, uscc_check_char
from town_industry.contracts.industry import is_valid_industry_class

from tools.bench.paths import cache_dir

# County codes the firms are registered in (the 3rd-8th characters of a USCC): a province's mix.
REGIONS = ("320612", "320602", "320611", "320623", "320681", "320682", "320684", "320505", "320506",
           "320583", "320214", "320281", "320412", "320481", "321102", "321281", "330106", "330205",
           "330382", "440306", "441900", "370202", "370781", "350583", "410105", "420111", "510107")

# Real GB/T 4754-2017 classes: those of the town's sample firms plus common ones, then the NBS high-tech
# manufacturing classes (include/reference/): the mix a province reports.
COMMON_CLASSES = ("1311", "1351", "1411", "1512", "1711", "1712", "1713", "1752", "1771", "1819", "1829",
                  "1923", "2011", "2110", "2221", "2231", "2614", "2619", "2641", "2922", "2927", "3021",
                  "3031", "3130", "3311", "3312", "3351", "3360", "3421", "3444", "3484", "3670", "3811",
                  "3854", "3872", "4417", "4430", "4610")
HIGH_TECH_CLASSES = ("2710", "2720", "2740", "2761", "3562", "3581", "3584", "3921", "3922", "3973", "3974",
                     "3976", "3982", "3983", "3985", "4011", "4012", "4014", "4021", "4028")

CITIES = ("南通", "苏州", "无锡", "常州", "扬州", "杭州", "宁波", "温州", "佛山", "东莞", "青岛", "潍坊",
          "泉州", "郑州", "武汉", "成都", "嘉兴", "绍兴", "台州", "盐城")
WORD_CHARS = "金华振兴恒通宏达鑫源瑞丰博康海天明辉永盛佳美锦程东杰中信远航德隆新嘉泰和力宝诚"
INDUSTRY_WORDS = {"13": "食品", "14": "食品", "15": "酒业", "17": "纺织", "18": "服饰", "19": "鞋业",
                  "20": "木业", "21": "家具", "22": "纸业", "26": "化工", "27": "医药", "29": "塑业",
                  "30": "建材", "31": "钢铁", "33": "金属制品", "34": "机械", "35": "装备", "36": "汽车零部件",
                  "38": "电器", "39": "电子", "40": "仪器", "44": "电力", "46": "水务"}
SUFFIXES = ("有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司")

# Share of firms registered after 2015, whose organisation code starts with "MA".
MODERN_SHARE = 0.3


def population(n: int, seed: int) -> Path:
    """The Parquet file of ``n`` firms for ``seed``, built once and then read from the cache."""
    path = cache_dir() / f"population-{n}-{seed}.parquet"
    if not path.exists():
        frame = build(n, seed)
        tmp = path.with_suffix(".tmp")
        con = duckdb.connect()
        try:
            con.register("firms", frame)
            con.execute(f"COPY (FROM firms ORDER BY i) TO '{tmp}' (FORMAT parquet)")
        finally:
            con.close()
        tmp.replace(path)
    return path


def build(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    industry = rng.choice(np.array(COMMON_CLASSES + HIGH_TECH_CLASSES), n,
                          p=_class_weights())
    alt_industry = rng.choice(np.array(COMMON_CLASSES + HIGH_TECH_CLASSES), n)
    high_tech = np.isin(industry, HIGH_TECH_CLASSES)
    size = rng.lognormal(mean=np.log(40_000), sigma=1.1, size=n)  # 0.1 千元 a month: median 4,000 千元
    return pd.DataFrame({
        "i": np.arange(n, dtype=np.int64),
        "uscc": usccs(n, rng),
        "enterprise_name": names(industry, rng),
        "alt_name": names(alt_industry, rng),
        "industry_code": industry,
        "alt_industry_code": alt_industry,
        "above_scale": rng.random(n) < 0.9,
        "gross_units": np.maximum(size.round(), 10).astype(np.int64),
        "sales_ratio": rng.uniform(0.55, 0.95, n),          # taxable sales (万元) per gross output (万元)
        "high_tech_share": np.where(high_tech, rng.uniform(0.5, 0.95, n),
                                    np.where(rng.random(n) < 0.1, rng.uniform(0.05, 0.4, n), 0.0)),
        "rd_share": np.where(rng.random(n) < np.where(high_tech, 0.7, 0.25), rng.uniform(0.003, 0.04, n), 0.0),
        "employees": np.maximum((size / 250 * rng.uniform(0.5, 1.5, n)).round(), 3).astype(np.int64),
        # How often each tracked attribute flips (months): about 1.5 % of firms rename, 1 % change class
        # and 0.7 % cross the scale threshold in a month, so type-2 versions accumulate as in a register.
        "name_period": rng.integers(40, 90, n), "name_phase": rng.integers(0, 90, n),
        "industry_period": rng.integers(60, 140, n), "industry_phase": rng.integers(0, 140, n),
        "scale_period": rng.integers(100, 200, n), "scale_phase": rng.integers(0, 200, n),
    })


def _class_weights() -> np.ndarray:
    weights = np.array([3.0] * len(COMMON_CLASSES) + [1.0] * len(HIGH_TECH_CLASSES))
    return weights / weights.sum()


def usccs(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct USCCs: 91 + county + a GB 11714 organisation code + the GB 32100 check character.

    Distinct by construction: the organisation code encodes the firm's number (old codes as 8 shuffled
    digits, "MA" codes in base 31). Check characters are computed vectorised and compared with
    ``town_industry.contracts.codes.uscc_check_char`` on a sample, so the two cannot drift apart.
    """
    ids = rng.permutation(n).astype(np.int64)
    modern = rng.random(n) < MODERN_SHARE
    body = np.empty((n, 8), dtype=np.uint8)
    old_number = (ids * 7_919 + 10_000_000) % 90_000_000 + 10_000_000  # 8 digits, no leading zero
    for pos in range(8):
        body[:, 7 - pos] = ord("0") + (old_number // 10 ** pos) % 10
    charset = np.frombuffer(USCC_CHARSET.encode(), dtype=np.uint8)
    body[modern, 0], body[modern, 1] = ord("M"), ord("A")
    for pos in range(6):
        body[modern, 7 - pos] = charset[(ids[modern] // 31 ** pos) % 31]
    region = np.frombuffer("".join(REGIONS).encode(), dtype=np.uint8).reshape(-1, 6)[
        rng.integers(0, len(REGIONS), n)]
    first17 = np.concatenate([np.full((n, 2), [ord("9"), ord("1")], dtype=np.uint8), region, body,
                              _org_check_chars(body)[:, None]], axis=1)
    codes = np.concatenate([first17, _uscc_check_chars(first17)[:, None]], axis=1)
    texts = codes.view("S18").ravel().astype(str)
    for code in texts[:: max(1, n // 500)]:
        assert uscc_check_char(code[:17]) == code[17], code
    return texts


def _char_values(chars: np.ndarray) -> np.ndarray:
    """Digits 0-9, letters 10 (A) upward: the value GB 11714 and GB 32100 give a character."""
    chars = chars.astype(np.int64)
    return np.where(chars <= ord("9"), chars - ord("0"), chars - 55)


def _org_check_chars(body: np.ndarray) -> np.ndarray:
    total = (_char_values(body) * np.array([3, 7, 9, 10, 5, 8, 4, 2])).sum(axis=1)
    check = 11 - total % 11
    return np.where(check == 10, ord("X"), np.where(check == 11, ord("0"), ord("0") + check)).astype(np.uint8)


def _uscc_check_chars(first17: np.ndarray) -> np.ndarray:
    lookup = np.zeros(256, dtype=np.int64)
    for value, char in enumerate(USCC_CHARSET):
        lookup[ord(char)] = value
    weights = np.array([pow(3, i, 31) for i in range(17)])
    total = (lookup[first17] * weights).sum(axis=1)
    charset = np.frombuffer(USCC_CHARSET.encode(), dtype=np.uint8)
    return charset[(31 - total % 31) % 31]


def names(industry: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """City + two-character trade name + industry word + company form: 南通恒达纺织有限公司."""
    n = len(industry)
    city = np.array(CITIES)[rng.integers(0, len(CITIES), n)]
    chars = np.array(list(WORD_CHARS))
    word = np.char.add(chars[rng.integers(0, len(chars), n)], chars[rng.integers(0, len(chars), n)])
    divisions = np.array([code[:2] for code in industry])
    trade = np.array([INDUSTRY_WORDS.get(d, "实业") for d in np.unique(divisions)])
    trade = trade[np.searchsorted(np.unique(divisions), divisions)]
    suffix = np.array(SUFFIXES)[rng.integers(0, len(SUFFIXES), n)]
    return np.char.add(np.char.add(np.char.add(city, word), trade), suffix).astype(object)


assert all(is_valid_industry_class(c) for c in COMMON_CLASSES + HIGH_TECH_CLASSES)
