import pytest

from town_industry.contracts.codes import (id_check_char, is_valid_id_number, is_valid_uscc, mask_id_number,
                                          uscc_check_char, valid_uscc_array)
from town_industry.contracts.industry import classify, is_valid_industry_class


@pytest.mark.parametrize("code", ["91110108551385082Q", "91110000600037341L"])
def test_known_valid_usccs(code):
    assert is_valid_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


@pytest.mark.parametrize("code", [
    "91110108551385082R",   # wrong check character
    "91110000600037341M",   # wrong check character
    "91110108551385O82Q",   # O is not a USCC character
    "9111010855138508IQ",   # I is not a USCC character
    "91110108551385082",    # 17 characters
    "91110108551385082QQ",  # 19 characters
    "91110108551385082q",   # lower case
    "",
    None,
])
def test_corrupted_usccs(code):
    assert not is_valid_uscc(code)


def test_every_single_character_change_is_caught():
    code = "91110108551385082Q"
    for pos in range(18):
        for other in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if other != code[pos]:
                assert not is_valid_uscc(code[:pos] + other + code[pos + 1:]), (pos, other)


def test_the_array_check_agrees_with_the_single_one():
    """valid_uscc_array (the GX expectation's vectorised form) on every kind of code the tests above use,
    every one-character change of a valid code, and codes with characters beyond ASCII."""
    code = "91110108551385082Q"
    cases = ["91110108551385082R", "91110000600037341L", "91110108551385O82Q", "91110108551385082", "",
             None, 12, "91110108551385082q", "９1110108551385082Q", "91110108551385082\u3000", code]
    cases += [code[:pos] + other + code[pos + 1:] for pos in range(18) for other in "0123456789ABCDEFGHJKLMNPQRTUWXYZ"]
    assert list(valid_uscc_array(cases)) == [is_valid_uscc(c) for c in cases]
    assert sum(valid_uscc_array(cases)) == 2 + 18  # the two valid codes, and the code itself once per position


def test_id_numbers():
    assert id_check_char("11010519491231002") == "X"
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")  # wrong check character
    body = "11010519490230002"  # 30 February
    assert not is_valid_id_number(body + id_check_char(body))
    assert mask_id_number("32061119900101123X") == "320611********123X"


@pytest.mark.parametrize("code", ["2710", "2720", "2740", "2761", "3911", "3921", "3973", "3976", "3581", "4011"])
def test_high_tech_classes(code):
    assert classify(code).is_high_tech_manufacturing


@pytest.mark.parametrize("code", ["1711", "1819", "2922", "3311", "3421", "3360", "4411"])
def test_not_high_tech_classes(code):
    assert not classify(code).is_high_tech_manufacturing


@pytest.mark.parametrize("code,groups", [
    ("0610", (True, False, False)), ("1711", (True, True, False)), ("4310", (True, True, False)),
    ("4411", (True, False, False)), ("4620", (True, False, False)), ("4710", (False, False, False)),
    ("5111", (False, False, True)), ("7010", (False, False, True)), ("9700", (False, False, True)),
    ("0111", (False, False, False))])
def test_industry_groups(code, groups):
    """Industrial = divisions 06-46, manufacturing = 13-43, services = 51-97."""
    c = classify(code)
    assert (c.is_industrial, c.is_manufacturing, c.is_services) == groups


def test_dim_industry_agrees_with_classify():
    """The warehouse's dim_industry and the Python classification share one definition: every row agrees."""
    import duckdb

    from town_industry.warehouse.schema import ensure_schema

    con = duckdb.connect()
    ensure_schema(con, ())
    rows = con.execute("SELECT industry_code, section_code, is_industrial, is_manufacturing, is_services, "
                       "is_high_tech_manufacturing FROM main.dim_industry").fetchall()
    assert len(rows) == 1381  # every class of the standard, and only those
    named = con.execute("SELECT count(*) FROM main.dim_industry WHERE class_name IS NOT NULL AND group_name IS NOT "
                        "NULL AND division_name IS NOT NULL AND section_name IS NOT NULL").fetchone()[0]
    assert named == 1381
    assert con.execute("SELECT class_name, group_code, group_name, division_name, section_name FROM main.dim_industry "
                       "WHERE industry_code = '1819'").fetchone() == (
        "其他机织服装制造", "181", "机织服装制造", "纺织服装、服饰业", "制造业")
    for code, *flags in rows:
        c = classify(code)
        assert [c.section_code, c.is_industrial, c.is_manufacturing, c.is_services,
                c.is_high_tech_manufacturing] == flags, code


@pytest.mark.parametrize("code,valid", [("1711", True), ("0111", True), ("9700", True), ("1819", True),
                                         ("9811", False), ("0011", False), ("171", False), ("17110", False),
                                         ("17A1", False), ("1810", False), ("1799", False), (1711, False)])
def test_industry_class_format(code, valid):
    assert is_valid_industry_class(code) is valid
