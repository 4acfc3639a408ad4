"""employment_services (就业服务台账): one row per service record of the town's labour office.

Made-up residents with valid ID numbers receive certificates, subsidies and loans; job fairs offer
positions. The records of 2020H1 are planned person by person so that the counts of the seed targets come
out, and so that persons, not records, are what the KPIs count.
"""
from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from town_industry.contracts.codes import id_check_char
from tools.sample_data.common import MONTHS, month_end, print_roles, source_rng
from tools.sample_data.files import FileStyle, format_amount, format_date, format_month, write_monthly_files

SOURCE = "employment_services"
COLUMNS = [  # (English name, Chinese header)
    ("stat_month", "统计年月"),
    ("record_id", "业务编号"),
    ("service_date", "办理日期"),
    ("service_type", "业务类型"),
    ("person_id_number", "身份证号"),
    ("person_name", "姓名"),
    ("amount_yuan", "金额(元)"),
    ("positions", "岗位数"),
]
SERVICE_TYPES = {
    "employment_certificate": "就业创业证",
    "flexible_employment_subsidy": "灵活就业社保补贴",
    "guaranteed_loan": "创业担保贷款",
    "startup_subsidy": "创业补贴",
    "job_fair": "招聘会",
}
PAID_TYPES = ("flexible_employment_subsidy", "guaranteed_loan", "startup_subsidy")  # amount required
LOAN_CEILING = Decimal(500_000)  # 元; a larger guaranteed loan is a warning

# Certificates issued per month (2020H1: 177; February 2020 the office was closed until the 10th).
CERTIFICATES = {
    2019: [28, 22, 35, 31, 33, 29, 27, 30, 32, 29, 26, 24],
    2020: [34, 9, 26, 33, 37, 38, 36, 34, 31, 33, 30, 27],
}
# Office closed (public holidays); online job fairs run regardless.
HOLIDAYS = [("2019-02-04", "2019-02-10"), ("2019-04-05", "2019-04-07"), ("2019-05-01", "2019-05-04"),
            ("2019-06-07", "2019-06-09"), ("2019-09-13", "2019-09-15"), ("2019-10-01", "2019-10-07"),
            ("2020-01-01", "2020-01-01"), ("2020-01-24", "2020-02-09"), ("2020-04-04", "2020-04-06"),
            ("2020-05-01", "2020-05-05"), ("2020-06-25", "2020-06-27"), ("2020-10-01", "2020-10-08")]
# Monthly flexible-employment social insurance subsidy per person (元), by year.
FLEX_MONTHLY = {2019: Decimal(396), 2020: Decimal(412)}

EMPLOYMENT_STYLES = {
    "2019-03": FileStyle(encoding="utf-8-sig", date_format="slash"),
    "2019-07": FileStyle(english_headers=True),   # English headers and English service-type codes
    "2019-10": FileStyle(month_format="chinese", date_format="chinese", thousands=True),
    "2020-01": FileStyle(month_format="chinese", date_format="compact", empty_as_dash=True),
    "2020-02": FileStyle(encoding="gbk", month_format="slash", date_format="slash"),
    "2020-03": FileStyle(date_format="chinese", thousands=True),
    "2020-04": FileStyle(ext="xlsx", month_format="chinese", title="东社镇就业服务台账 2020年4月"),
    "2020-05": FileStyle(month_format="compact", empty_as_dash=True),
    "2020-06": FileStyle(date_format="slash", thousands=True),
    "2020-09": FileStyle(date_format="compact"),
    "2020-12": FileStyle(date_format="chinese", empty_as_dash=True),
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁沈姜顾陆钱施"
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆建国志文海峰林亮成东兵新春晓荣"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英红梅琳燕萍雪慧颖洁婷倩琴云莉兰凤霞蓉佳月玉晶欣怡"


@dataclass
class Person:
    id_number: str
    name: str


@dataclass
class Service:
    month: str
    day: datetime.date
    kind: str
    person: Person | None = None
    amount: Decimal | None = None   # 元
    positions: int | None = None
    record_id: str = ""


class People:
    """Made-up residents of 通州区 (320612) with valid GB 11643 ID numbers and plausible names."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.ids: set[str] = set()
        self.names: set[str] = set()

    def new(self, born_from: int = 1960, born_to: int = 2002) -> Person:
        rng = self.rng
        while True:
            birth = datetime.date(rng.randint(born_from, born_to), 1, 1) + datetime.timedelta(days=rng.randint(0, 364))
            male = rng.random() < 0.5
            seq = rng.randint(0, 499) * 2 + (1 if male else 0)  # 17th digit: odd = male
            first17 = f"320612{birth:%Y%m%d}{seq:03d}"
            id_number = first17 + id_check_char(first17)
            pool = GIVEN_MALE if male else GIVEN_FEMALE
            given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
            name = rng.choice(SURNAMES) + given
            if id_number not in self.ids and name not in self.names and len(set(given)) == len(given):
                self.ids.add(id_number)
                self.names.add(name)
                return Person(id_number, name)


def office_day(rng: random.Random, month: str, online: bool = False, not_before: int = 1) -> datetime.date:
    """A random working day of the month (any day for an online job fair)."""
    last = month_end(month).day
    while True:
        day = datetime.date(int(month[:4]), int(month[5:]), rng.randint(not_before, last))
        if online:
            return day
        closed = any(datetime.date.fromisoformat(a) <= day <= datetime.date.fromisoformat(b) for a, b in HOLIDAYS)
        if day.weekday() < 5 and not closed:
            return day


def generate(out_dir: Path) -> list[dict]:
    """Write ``out_dir/employment_services/<month>``; returns the records as the pipeline should read them."""
    rng = source_rng(SOURCE)
    people = People(rng)
    services, roles = plan_services(rng, people)
    assign_record_ids(services)
    records = [employment_record(s) for s in services]
    write_monthly_files(out_dir / SOURCE, records, COLUMNS, EMPLOYMENT_STYLES, employment_cell)
    print_roles(f"{SOURCE} special roles:", roles)
    return records


def plan_services(rng: random.Random, people: People) -> tuple[list[Service], list[tuple[str, str]]]:
    S = Service
    out: list[Service] = []

    def day(month: str, **kw) -> datetime.date:
        return office_day(rng, month, **kw)

    def flex(month: str, person: Person, months_paid: int) -> Service:
        return S(month, day(month), "flexible_employment_subsidy", person,
                 FLEX_MONTHLY[int(month[:4])] * months_paid)

    # Persons with a role in 2020H1.
    quarterly = people.new(1968, 1975)      # flexible subsidy paid quarterly: two months of 2020H1
    new_flexible = people.new(1985, 1992)   # certificate 2020-01, then a flexible subsidy 2020-03
    reissued = people.new(1978, 1990)       # certificate 2020-01, re-issued (lost) 2020-05
    founder = people.new(1986, 1994)        # guaranteed loan 120,000 and startup subsidy in two parts
    founder_2 = people.new(1990, 1997)      # startup subsidy 5,000
    flex_h1 = [people.new(1966, 1980) for _ in range(5)]  # half-year subsidies
    roles = [
        (quarterly.id_number, "flexible subsidy quarterly: 2019-04/07/10, 2020-01 and 2020-04 (2 records in H1)"),
        (new_flexible.id_number, "certificate 2020-01, flexible subsidy 2020-03"),
        (reissued.id_number, "certificate 2020-01 and a re-issue 2020-05 (2 certificates, 1 person)"),
        (founder.id_number, "guaranteed loan 120,000 (2020-05); startup subsidy 6,000 (2020-05) + 4,000 (2020-06)"),
        (founder_2.id_number, "startup subsidy 5,000 (2020-03)"),
    ]

    # Flexible-employment subsidies: 2020H1 = 7 persons, 8 records.
    flex_2019_persons = [people.new(1963, 1980) for _ in range(9)]
    plan_flex = {
        "2019-01": [(p, 6) for p in flex_2019_persons[:3]],
        "2019-04": [(quarterly, 3), (flex_2019_persons[3], 6)],
        "2019-06": [(p, 6) for p in flex_2019_persons[4:7]],
        "2019-07": [(quarterly, 3), (flex_h1[0], 6)],
        "2019-10": [(quarterly, 3), (flex_2019_persons[7], 3)],
        "2019-12": [(flex_2019_persons[8], 6), (flex_2019_persons[0], 6)],
        "2020-01": [(quarterly, 3), (flex_h1[0], 6), (flex_h1[1], 6)],
        "2020-03": [(new_flexible, 2)],
        "2020-04": [(quarterly, 3)],
        "2020-06": [(flex_h1[2], 6), (flex_h1[3], 6), (flex_h1[4], 6)],
        "2020-07": [(quarterly, 3), (new_flexible, 3), (flex_h1[0], 6)],
        "2020-10": [(quarterly, 3), (new_flexible, 3), (people.new(1970, 1982), 3)],
        "2020-12": [(flex_h1[2], 6), (flex_h1[3], 6), (people.new(1965, 1978), 6)],
    }
    for month, paid in plan_flex.items():
        out += [flex(month, person, n) for person, n in paid]

    # Guaranteed loans (元, all under the 500,000 ceiling) and startup subsidies.
    loans = {"2019-04": 100_000, "2019-08": 200_000, "2019-11": 150_000, "2020-05": 120_000,
             "2020-08": 300_000, "2020-11": 100_000}
    for month, amount in loans.items():
        person = founder if month == "2020-05" else people.new(1975, 1995)
        out.append(S(month, day(month), "guaranteed_loan", person, Decimal(amount)))
    startup = [("2019-06", None, 5_000), ("2019-10", None, 10_000), ("2019-12", None, 5_000),
               ("2020-03", founder_2, 5_000), ("2020-05", founder, 6_000), ("2020-06", founder, 4_000),
               ("2020-09", None, 5_000), ("2020-12", None, 5_000), ("2020-12", None, 3_000)]
    for month, person, amount in startup:
        out.append(S(month, day(month), "startup_subsidy", person or people.new(1978, 1996), Decimal(amount)))

    # Job fairs: no person; positions offered. 2020H1: three online fairs, 912 positions.
    fairs = [("2019-02", 620, False), ("2019-05", 385, False), ("2019-09", 410, False), ("2019-11", 236, False),
             ("2020-02", 268, True), ("2020-04", 356, True), ("2020-06", 288, True),
             ("2020-08", 305, True), ("2020-10", 420, False)]
    for month, positions, online in fairs:
        out.append(S(month, day(month, online=online, not_before=10), "job_fair", positions=positions))

    # Certificates: mostly new persons; the role persons as planned above.
    special = {"2020-01": [new_flexible, reissued], "2020-05": [reissued]}
    for month in MONTHS:
        count = CERTIFICATES[int(month[:4])][int(month[5:]) - 1]
        persons = special.get(month, [])
        persons = persons + [people.new(1962, min(2002, int(month[:4]) - 17)) for _ in range(count - len(persons))]
        for person in persons:
            out.append(S(month, day(month), "employment_certificate", person))
    return out, roles


def assign_record_ids(services: list[Service]) -> None:
    """JY<yyyymm>-<nnnn>, numbered in date order within the month: unique across months."""
    order = {kind: i for i, kind in enumerate(SERVICE_TYPES)}
    services.sort(key=lambda s: (s.month, s.day, order[s.kind]))
    number = 0
    for i, s in enumerate(services):
        number = 1 if i == 0 or services[i - 1].month != s.month else number + 1
        s.record_id = f"JY{s.month.replace('-', '')}-{number:04d}"


def employment_record(s: Service) -> dict:
    return {
        "stat_month": s.month,
        "record_id": s.record_id,
        "service_date": s.day,
        "service_type": s.kind,
        "person_id_number": s.person.id_number if s.person else None,
        "person_name": s.person.name if s.person else None,
        "amount_yuan": s.amount,
        "positions": s.positions,
    }


def employment_cell(rec: dict, name: str, style: FileStyle):
    value = rec[name]
    if name == "stat_month":
        return format_month(value, style)
    if name == "service_type":
        return value if style.english_headers else SERVICE_TYPES[value]
    if name == "service_date":
        return format_date(value, style)
    if value is None:
        return "—" if style.empty_as_dash else None
    if name == "amount_yuan":
        return float(value) if style.ext == "xlsx" else format_amount(value, 2, style)
    if name == "positions":
        return value if style.ext == "xlsx" else str(value)
    return value
