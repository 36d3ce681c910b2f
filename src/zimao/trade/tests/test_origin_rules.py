"""The Annex 3A rule notation — 附件3A规则写法解析."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zimao.trade.origin import Alternative, Exclusion, Rule, RuleSyntaxError, Test, parse_rule


def test_alternatives_split_on_or():
    rule = parse_rule("CTH or RVC40")
    assert rule == Rule((Alternative((Test("CTH"),)), Alternative((Test("RVC", Decimal(40)),))))
    assert str(rule) == "CTH or RVC40"
    assert rule.rvc_thresholds == [Decimal(40)]


@pytest.mark.parametrize("text", ["RVC40", "rvc40", "RVC 40", "RVC40%", " RVC40 "])
def test_rvc_spellings(text):
    assert parse_rule(text) == parse_rule("RVC40")


def test_heading_exclusion():
    rule = parse_rule("CC except from heading 17.01")
    (test,) = rule.alternatives[0].tests
    assert test.kind == "CC" and test.exclusions == (Exclusion("heading", "1701", "1701"),)
    assert test.exclusions[0].covers("170199")
    assert not test.exclusions[0].covers("170290")


def test_subheading_range_exclusion():
    rule = parse_rule("CTSH except from subheading 2009.11 through 2009.19")
    (excl,) = rule.alternatives[0].tests[0].exclusions
    assert excl == Exclusion("subheading", "200911", "200919")
    assert excl.covers("200912") and excl.covers("200919") and not excl.covers("200921")
    assert str(rule) == "CTSH except from subheadings 2009.11 through 2009.19"


def test_chapter_exclusions_and_lists():
    rule = parse_rule("CTH except from Chapters 50 through 55, heading 58.01 and 58.02")
    excl = rule.alternatives[0].tests[0].exclusions
    assert excl == (
        Exclusion("chapter", "50", "55"),
        Exclusion("heading", "5801", "5801"),
        Exclusion("heading", "5802", "5802"),
    )


def test_or_after_exclusion_ends_it_only_before_a_test():
    two = parse_rule("CC except from heading 17.01 or RVC40")
    assert [str(a) for a in two.alternatives] == ["CC except from heading 17.01", "RVC40"]
    one = parse_rule("CC except from heading 17.01 or 17.02")
    assert len(one.alternatives) == 1
    assert len(one.alternatives[0].tests[0].exclusions) == 2


def test_and_joins_tests_into_one_alternative():
    rule = parse_rule("CTSH and RVC40 or CR")
    assert [len(a.tests) for a in rule.alternatives] == [2, 1]
    assert rule.alternatives[0].tests[1].threshold == Decimal(40)


def test_bare_digits_and_semicolons():
    assert parse_rule("CC except from heading 1701; RVC40") == parse_rule("CC except from heading 17.01 or RVC40")


@pytest.mark.parametrize("text", ["WO", "CR", "CC", "CTH", "CTSH"])
def test_single_tests(text):
    assert str(parse_rule(text)) == text


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty"),
        ("CTX", "expected WO"),
        ("CTH RVC40", 'expected "or"'),
        ("CTH or", "ends too early"),
        ("RVC", "percentage"),
        ("RVC0", "between 1 and 100"),
        ("CC except from 17.01", "chapter, heading or subheading"),
        ("CC except from heading 1701.10", "not a heading"),
        ("CTSH except from subheading 2009.19 through 2009.11", "reversed"),
        ("CC except from chapter 98", "outside HS chapters"),
        ("CTH @", "unexpected character"),
    ],
)
def test_syntax_errors_say_why_in_both_languages(text, fragment):
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text)
    assert fragment in info.value.en
    assert any("\u4e00" <= ch <= "\u9fff" for ch in info.value.zh)


# -- property: the canonical text parses back to the same rule

_codes = {
    "chapter": st.integers(1, 97).filter(lambda n: n != 77).map(lambda n: f"{n:02d}"),
    "heading": st.integers(100, 9799).map(lambda n: f"{n:04d}"),
    "subheading": st.integers(10000, 979999).map(lambda n: f"{n:06d}"),
}


@st.composite
def exclusions(draw):
    level = draw(st.sampled_from(list(_codes)))
    a, b = sorted([draw(_codes[level]), draw(_codes[level])])
    return Exclusion(level, a, b)


tests = st.one_of(
    st.sampled_from([Test("WO"), Test("CR")]),
    st.integers(1, 100).map(lambda n: Test("RVC", Decimal(n))),
    st.builds(
        lambda k, ex: Test(k, exclusions=tuple(ex)),
        st.sampled_from(["CC", "CTH", "CTSH"]),
        st.lists(exclusions(), max_size=3),
    ),
)
rules = st.lists(
    st.lists(tests, min_size=1, max_size=3).map(lambda ts: Alternative(tuple(ts))), min_size=1, max_size=4
).map(lambda alts: Rule(tuple(alts)))


@given(rules)
def test_canonical_text_round_trips(rule):
    assert parse_rule(str(rule)) == rule
