"""GB/T 36904-2018 identifiers and the ISO/IEC 7064 MOD 37,36 check character."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zimao.core import elicence

EXAMPLE = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
# Further identifiers seen in use (different serial lengths and versions), with their checks.
SEEN = [
    "1.2.156.3005.2.11100000000013338W087.11370800MB28559184.37080001202411010001.001.3",
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
]


def test_example_check_is_u():
    assert elicence.mod37_36_check("11100000000013338W01111430000006122244L20230000403001") == "U"


def test_check_excludes_the_oid_prefix():
    # Over the prefix as well, the check would be 7: the standard's fields are those after it.
    assert elicence.mod37_36_check(EXAMPLE.rsplit(".", 1)[0].replace(".", "")) == "7"


def test_make_identifier_reproduces_example():
    assert elicence.make_identifier("11100000000013338W011", "11430000006122244L", "20230000403") == EXAMPLE
    assert elicence.make_identifier("11100000000013338W011", "11430000006122244L", 20230000403, 1) == EXAMPLE


@pytest.mark.parametrize("identifier", [EXAMPLE, *SEEN])
def test_valid_identifiers(identifier):
    assert elicence.validate_identifier(identifier) == (True, [])
    parsed = elicence.parse_identifier(identifier)
    assert str(parsed) == identifier
    assert elicence.mod37_36_valid(parsed.body + parsed.check)


def test_parse_fields():
    parsed = elicence.parse_identifier(EXAMPLE)
    assert parsed.type_code == "11100000000013338W011"
    assert parsed.defining_authority_uscc == "11100000000013338W"
    assert parsed.issuer_uscc == "11430000006122244L"
    assert parsed.serial == "20230000403"
    assert parsed.version == "001"
    assert parsed.check == "U"


def _tampered(identifier: str):
    """Every one-character substitution in the checked fields and the check character."""
    start = len(elicence.PREFIX) + 1
    for i in range(start, len(identifier)):
        if identifier[i] == ".":
            continue
        for ch in "0123456789ABCDEFGHJKLMNPQRTUWXY":
            if ch != identifier[i]:
                yield identifier[:i] + ch + identifier[i + 1 :]


def test_any_one_character_tamper_is_detected():
    count = 0
    for changed in _tampered(EXAMPLE):
        ok, problems = elicence.validate_identifier(changed)
        assert not ok, changed
        assert problems
        count += 1
    assert count > 1000


def test_single_tamper_reports_check_mismatch():
    changed = EXAMPLE.replace("20230000403", "20230000404")
    ok, problems = elicence.validate_identifier(changed)
    assert not ok
    assert [p.code for p in problems] == ["check_mismatch"]
    assert problems[0].zh and problems[0].en


def test_adjacent_transposition_detected():
    changed = EXAMPLE.replace(".001.U", ".010.U")  # version digits swapped
    assert not elicence.validate_identifier(changed)[0]


@pytest.mark.parametrize(
    "bad, code",
    [
        ("", "invalid_prefix"),
        ("1.2.156.3005.3.11100000000013338W011.11430000006122244L.20230000403.001.U", "invalid_prefix"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.U", "invalid_structure"),
        (EXAMPLE.lower(), "invalid_type_code"),
        ("1.2.156.3005.2.11100000000013338X011.11430000006122244L.20230000403.001.U", "invalid_defining_authority"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244M.20230000403.001.U", "invalid_issuer_check"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.2023-0403.001.U", "invalid_serial"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.01.U", "invalid_version"),
        ("1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.*", "invalid_check_character"),
    ],
)
def test_invalid_identifiers_name_the_problem(bad, code):
    ok, problems = elicence.validate_identifier(bad)
    assert not ok
    assert code in [p.code for p in problems]
    with pytest.raises(ValueError):
        elicence.parse_identifier(bad)


def test_make_identifier_refuses_bad_fields():
    with pytest.raises(ValueError, match="type_code"):
        elicence.make_identifier("11100000000013338W01", "11430000006122244L", "1")
    with pytest.raises(ValueError, match="issuer_uscc"):
        elicence.make_identifier("11100000000013338W011", "11430000006122244X", "1")


_USCC = st.sampled_from(["11100000000013338W", "11430000006122244L", "91110108551385082Q", "914403001922038216"])


@given(
    defining=_USCC,
    seq=st.integers(0, 999),
    issuer=_USCC,
    serial=st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=24),
    version=st.integers(1, 999),
)
def test_made_identifiers_validate(defining, seq, issuer, serial, version):
    identifier = elicence.make_identifier(f"{defining}{seq:03d}", issuer, serial, version)
    assert elicence.validate_identifier(identifier) == (True, [])
