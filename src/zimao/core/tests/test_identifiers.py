"""USCC (GB 32100-2015), organisation code (GB 11714) and resident identity number (GB 11643-1999),
checked against the published codes in the standards notes."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zimao.core import divisions
from zimao.core.errors import BusinessError
from zimao.core.identifiers import (
    ID_WEIGHTS,
    USCC_AUTHORITIES,
    USCC_CHARSET,
    id_check_char,
    issue_uscc,
    org_code_check_char,
    uscc_check_char,
    validate_id_number,
    validate_organisation_code,
    validate_uscc,
)

PUBLISHED = ["914403001922038216", "91110108551385082Q", "91440300100012316L"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def make_uscc(first8: str, org_body: str = "55138508") -> str:
    """A code with correct organisation-code and USCC check characters around ``first8``."""
    first17 = first8 + org_body + org_code_check_char(org_body)
    return first17 + uscc_check_char(first17)


def codes(result):
    return [p.code for p in result.problems]


def assert_bilingual(problem, field="uscc"):
    assert problem.field == field
    assert CJK.search(problem.zh), problem.zh
    assert problem.en and not CJK.search(problem.en), problem.en


# ----------------------------------------------------------------------------- USCC


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_pass_both_checks(code):
    result = validate_uscc(code)
    assert result.valid, result.problems
    assert result.warnings == []
    assert org_code_check_char(code[8:16]) == code[16]
    assert uscc_check_char(code[:17]) == code[17]


def test_details_say_what_the_code_means():
    d = validate_uscc("91110108551385082Q").details
    assert (d["authority"], d["entity_type"], d["division"]) == ("9", "1", "110108")
    assert d["division_zh"] == "海淀区" and d["entity_type_zh"] == "企业"
    assert d["organisation_code"] == "55138508-2"


def test_weights_are_powers_of_three_mod_31():
    from zimao.core.identifiers import USCC_WEIGHTS

    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert len(USCC_CHARSET) == 31 and not set("IOSVZ") & set(USCC_CHARSET)


def test_often_copied_example_fails_and_says_the_check_would_be_3():
    result = validate_uscc("91350100M000100Y4Z")
    assert not result.valid
    assert codes(result) == ["check_character"]
    problem = result.problems[0]
    assert_bilingual(problem)
    assert "“3”" in problem.zh and "'3'" in problem.en
    # …and with the check character it should have, it passes.
    assert validate_uscc("91350100M000100Y43").valid


def test_wrong_check_character_names_the_right_one():
    result = validate_uscc("91440300100012316X")
    assert codes(result) == ["check_character"]
    assert "'L'" in result.problems[0].en and "“L”" in result.problems[0].zh


def test_normalised_before_checking():
    assert validate_uscc("  91110108551385082q\n").value == "91110108551385082Q"
    assert validate_uscc("９１１１０１０８５５１３８５０８２Ｑ").valid  # full-width, from an IME
    assert validate_uscc("\ufeff91110108551385082Q").valid  # byte-order mark from an Excel export


@pytest.mark.parametrize("code, length", [("9111010855138508", 16), ("91110108551385082QQ", 19)])
def test_length(code, length):
    result = validate_uscc(code)
    assert codes(result) == ["length"]
    assert f"{length}位" in result.problems[0].zh and str(length) in result.problems[0].en


def test_empty_is_required():
    assert codes(validate_uscc("")) == ["required"]
    assert codes(validate_uscc(None)) == ["required"]


def test_illegal_character_names_its_position():
    result = validate_uscc("9144O300100012316L")  # letter O typed for zero
    assert codes(result) == ["illegal_character"]
    p = result.problems[0]
    assert_bilingual(p)
    assert "第5位" in p.zh and "Character 5" in p.en and "'0'" in p.en  # suggests the zero


def test_every_illegal_character_is_listed():
    result = validate_uscc("9I44O3001000123I6L")
    assert [p.code for p in result.problems] == ["illegal_character"] * 3
    assert ["第2位" in result.problems[0].zh, "第5位" in result.problems[1].zh, "第16位" in result.problems[2].zh] == [
        True
    ] * 3


def test_unknown_registration_authority():
    result = validate_uscc(make_uscc("B1110108"))
    assert codes(result) == ["authority"]
    assert_bilingual(result.problems[0])


def test_entity_type_not_defined_for_authority():
    result = validate_uscc(make_uscc("94110108"))
    assert codes(result) == ["entity_type"]
    assert "'4'" in result.problems[0].en


@pytest.mark.parametrize("first2", ["A1", "N2", "N3", "Y1", "11", "12", "51", "52", "53", "31", "92", "93"])
def test_authorities_beyond_digits_are_accepted(first2):
    # python-stdnum's cn.uscc rejects first-8 characters that are not digits (A, N, Y): not us.
    assert validate_uscc(make_uscc(first2 + "410305")).valid


def test_national_level_division_100000_is_accepted():
    # The ministry's own code in the GB/T 36904 e-licence example.
    assert validate_uscc("11100000000013338W").valid


def test_unknown_division_is_an_error():
    result = validate_uscc(make_uscc("91999999"))
    assert codes(result) == ["division"]
    assert "999999" in result.problems[0].zh and "999999" in result.problems[0].en


def test_division_with_letters_is_an_error():
    result = validate_uscc(make_uscc("91AB0305"))
    assert codes(result) == ["division"]
    assert "6" in result.problems[0].en


def test_unknown_county_in_a_known_prefecture_is_only_a_warning():
    # The table lags behind the Ministry's yearly changes; the check characters still hold.
    result = validate_uscc(make_uscc("91410399"))
    assert result.valid
    assert [w.code for w in result.warnings] == ["division_unknown"]


def test_abolished_division_still_valid_for_codes_issued_before():
    # 偃师市 410381 became 偃师区 in 2021; codes carrying it are never reissued and stay valid.
    assert validate_uscc(make_uscc("91410381")).valid


def test_organisation_code_check_failure_says_what_position_17_should_be():
    good = make_uscc("91410305")
    bad17 = good[:16] + ("1" if good[16] != "1" else "2")
    first17 = bad17[:17]
    code = first17 + uscc_check_char(first17)  # USCC check right, org check wrong
    result = validate_uscc(code)
    assert codes(result) == ["organisation_code_check"]
    assert f"'{good[16]}'" in result.problems[0].en and f"“{good[16]}”" in result.problems[0].zh


def test_all_problems_reported_at_once():
    result = validate_uscc("B4999999551385083Q")
    assert set(codes(result)) >= {"authority", "division", "organisation_code_check", "check_character"}
    for p in result.problems:
        assert_bilingual(p)


def test_raise_if_invalid_carries_the_problems():
    with pytest.raises(BusinessError) as exc:
        validate_uscc("91350100M000100Y4Z").raise_if_invalid()
    assert exc.value.problems[0].field == "uscc"
    assert exc.value.as_dict()["errors"][0]["message_en"].startswith("The check character")
    validate_uscc(PUBLISHED[0]).raise_if_invalid()  # no exception


def test_custom_field_name():
    assert validate_uscc("123", field_name="holder_uscc").problems[0].field == "holder_uscc"


# ----------------------------------------------------------------------------- organisation code


@pytest.mark.parametrize("body, check", [("19220382", "1"), ("55138508", "2"), ("10001231", "6"), ("M000100Y", "4")])
def test_organisation_code_check_of_published_codes(body, check):
    assert org_code_check_char(body) == check


def test_organisation_code_check_writes_10_as_X_and_11_as_0():
    seen = {}
    for n in range(2000):
        body = f"{n:08d}"
        total = sum(int(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=False))
        seen.setdefault(11 - total % 11, body)
    assert org_code_check_char(seen[10]) == "X"
    assert org_code_check_char(seen[11]) == "0"
    assert org_code_check_char(seen[5]) == "5"


def test_organisation_code_letters_count_alphabet_position_plus_9():
    # M=22, A=10: a body with letters uses those values.
    body = "MA000000"
    total = 22 * 3 + 10 * 7
    c = 11 - total % 11
    assert org_code_check_char(body) == {10: "X", 11: "0"}.get(c, str(c))


def test_standalone_organisation_code():
    assert validate_organisation_code("19220382-1").valid
    assert validate_organisation_code("192203821").valid
    bad = validate_organisation_code("19220382-2")
    assert [p.code for p in bad.problems] == ["check_character"]
    assert [p.code for p in validate_organisation_code("1922038").problems] == ["length"]


# ----------------------------------------------------------------------------- issuing


@pytest.mark.django_db
def test_issue_uscc_makes_a_valid_fresh_code():
    code = issue_uscc("410305")
    assert len(code) == 18 and code.startswith("91410305MA")
    result = validate_uscc(code)
    assert result.valid and result.warnings == []
    assert result.details["division_zh"] == "涧西区"
    assert issue_uscc("410305") != code


@pytest.mark.django_db
def test_issue_uscc_uses_the_never_reused_counter():
    from zimao.core.models import Sequence

    issue_uscc("410311")
    before = Sequence.objects.get(name="uscc-orgcode").value
    code = issue_uscc("410311", authority="9", entity_type="2")
    assert Sequence.objects.get(name="uscc-orgcode").value == before + 1
    assert code.startswith("92410311MA")
    # Body = MA + the counter in base 31 over the USCC characters.
    n, digits = before + 1, []
    for _ in range(6):
        n, r = divmod(n, 31)
        digits.append(USCC_CHARSET[r])
    assert code[8:16] == "MA" + "".join(reversed(digits))


@pytest.mark.django_db
def test_issue_uscc_counter_edges():
    from zimao.core.models import Sequence

    Sequence.objects.update_or_create(name="uscc-orgcode", defaults={"value": 31**6 - 2})
    last = issue_uscc("410300")
    assert last[8:16] == "MAYYYYYY" and validate_uscc(last).valid
    with pytest.raises(BusinessError) as exc:
        issue_uscc("410300")
    assert exc.value.problems[0].code == "exhausted"


@pytest.mark.django_db
@pytest.mark.parametrize("division", ["999999", "41030", "4103O5", "", "410381"])
def test_issue_uscc_refuses_a_division_that_is_not_current(division):
    # 410381 偃师市 was abolished in 2021: nothing new may be registered there.
    with pytest.raises(BusinessError) as exc:
        issue_uscc(division)
    p = exc.value.problems[0]
    assert p.field == "division"
    assert CJK.search(p.zh) and "division" in p.en


@pytest.mark.django_db
@pytest.mark.parametrize("authority, entity_type, field", [("B", "1", "authority"), ("9", "4", "entity_type")])
def test_issue_uscc_refuses_unknown_authority_or_type(authority, entity_type, field):
    with pytest.raises(BusinessError) as exc:
        issue_uscc("410305", authority=authority, entity_type=entity_type)
    assert exc.value.problems[0].field == field


_CURRENT = [d.code for d in divisions.all_divisions(on=date.today())]
_KINDS = [(a, t) for a, (_, _, types) in USCC_AUTHORITIES.items() for t in types]
_issued: set[str] = set()


@pytest.mark.django_db
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(division=st.sampled_from(_CURRENT), kind=st.sampled_from(_KINDS))
def test_property_every_issued_code_passes_both_checks_and_is_new(division, kind):
    code = issue_uscc(division, authority=kind[0], entity_type=kind[1])
    assert code not in _issued
    _issued.add(code)
    assert org_code_check_char(code[8:16]) == code[16]
    assert uscc_check_char(code[:17]) == code[17]
    result = validate_uscc(code)
    assert result.valid, result.problems
    assert result.warnings == []
    assert code[2:8] == division


# ----------------------------------------------------------------------------- resident identity number


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


def test_published_identity_number_is_valid():
    result = validate_id_number("11010519491231002X")
    assert result.valid and result.warnings == []
    d = result.details
    assert d["birth_date"] == date(1949, 12, 31)
    assert (d["sex"], d["sex_zh"]) == ("F", "女")  # sequence 002: even
    assert d["area_zh"] == "朝阳区"
    assert d["masked"] == "1101**********002X"


def test_lower_case_x_is_accepted():
    assert validate_id_number("11010519491231002x").value == "11010519491231002X"


def test_standard_sample_with_unknown_area_is_valid_with_a_warning():
    result = validate_id_number("440524188001010014")
    assert result.valid
    assert [(w.field, w.code) for w in result.warnings] == [("id_number", "area_unknown")]
    assert result.details["sex"] == "M" and result.details["birth_date"] == date(1880, 1, 1)


def test_check_character_weights():
    assert ID_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert id_check_char("11010519491231002") == "X"


def test_a_wrong_id_check_character_is_refused():
    result = validate_id_number("110105194912310021")
    assert codes(result) == ["check_character"]
    p = result.problems[0]
    assert_bilingual(p, "id_number")
    # The message never gives away the right check character of someone's identity number.
    assert "X" not in p.en.replace("X-", "") and "X" not in p.zh and "0021" not in p.en


def test_leap_day_2024_is_a_birth_date_but_2023_is_not():
    assert validate_id_number(make_id("11010520240229001")).valid
    result = validate_id_number(make_id("11010520230229001"))
    assert codes(result) == ["birth_date"]
    assert "20230229" in result.problems[0].zh


def test_impossible_dates():
    for ymd in ("19991301", "19990431", "19990000"):
        assert codes(validate_id_number(make_id(f"110105{ymd}001"))) == ["birth_date"]


def test_birth_date_in_the_future():
    number = make_id("11010520300101001")
    result = validate_id_number(number, today=date(2026, 11, 28))
    assert codes(result) == ["birth_date"]
    assert validate_id_number(number, today=date(2030, 1, 1)).valid


def test_sex_from_sequence():
    assert validate_id_number(make_id("11010519900101001")).details["sex"] == "M"
    assert validate_id_number(make_id("11010519900101002")).details["sex"] == "F"


def test_length_and_characters():
    assert codes(validate_id_number("1101051949123100")) == ["length"]
    old = validate_id_number("110105491231002")  # first-generation 15-digit number
    assert codes(old) == ["length"] and "15" in old.problems[0].zh
    result = validate_id_number("1101051949A231002X")
    assert codes(result) == ["illegal_character"]
    assert "第11位" in result.problems[0].zh
    assert codes(validate_id_number("11010519491231002Y")) == ["illegal_character"]
    assert codes(validate_id_number("")) == ["required"]


def test_messages_never_repeat_the_number():
    # Identity numbers are personal data (PIPL): errors may be logged or shown to others.
    for number in ("110105194912310021", "11010520300101001X", "1101051949A231002X"):
        result = validate_id_number(number, today=date(2026, 1, 1))
        for p in result.problems + result.warnings:
            assert number not in p.zh and number not in p.en
        assert number not in repr(result)
