"""Properties of the origin engine — 原产地判定的性质 (hypothesis)."""

import copy
import math
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from zimao.trade.origin import PARTIES, determine, load_bom
from zimao.trade.origin.engine import Scenario, rvc_figures
from zimao.trade.origin.explain import pct, percent

from .origin_helpers import assert_cited

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PRODUCT_CODES = ["940360", "940390", "610910", "200799", "390110"]
MATERIAL_CODES = PRODUCT_CODES + ["940190", "830210", "440791", "170199", "520512", "290121", None]
RULES = [
    "CTH or RVC40",
    "CC",
    "CTSH",
    "RVC40",
    "CTH and RVC40",
    "CC except from heading 17.01 or RVC35",
    "WO",
    "CR",
    "CTSH except from chapter 44",
    "CC or CR",
]
OPERATIONS = ["assembly", "painting", "cutting", "mixing", "weaving", "packaging", "moulding"]
ROLES = ["material", "material", "material", "accessory", "retail_packaging", "packing", "indirect"]

money = st.integers(0, 500_000).map(lambda cents: f"{Decimal(cents) / 100:.2f}")
positive_money = st.integers(1, 1_000_000).map(lambda cents: f"{Decimal(cents) / 100:.2f}")
weights = st.one_of(st.none(), st.integers(1, 10_000).map(lambda g: str(Decimal(g) / 1000)))


@st.composite
def materials(draw, role=None, originating=None):
    country = draw(st.sampled_from(["CN", "TH", "JP", "DE", "US", "unknown"]))
    if originating is None:
        choices = [True, False, None] if country in PARTIES else [False, None]
        originating = draw(st.sampled_from(choices))
    if originating is True and country not in PARTIES:
        country = draw(st.sampled_from(sorted(PARTIES)))
    value = draw(money)
    m = {
        "description": draw(st.sampled_from(["frame", "bolts", "fabric", "resin", "box"])),
        "hs": draw(st.sampled_from(MATERIAL_CODES)),
        "country": country,
        "originating": originating,
        "value": value,
    }
    role = role or draw(st.sampled_from(ROLES))
    if role != "material":
        m["role"] = role
    w = draw(weights)
    if w is not None:
        m["weight_kg"] = w
    if originating is not True and draw(st.booleans()):
        m["deductions"] = f"{Decimal(value) * Decimal(draw(st.integers(0, 50))) / 100:.2f}"
    return m


@st.composite
def boms(draw):
    product = {
        "hs": draw(st.sampled_from(PRODUCT_CODES)),
        "fob": draw(positive_money),
        "currency": "USD",
        "country": draw(st.sampled_from(["CN", "CN", "VN", "US"])),
    }
    ops = draw(st.one_of(st.none(), st.lists(st.sampled_from(OPERATIONS), max_size=3)))
    if ops is not None:
        product["operations"] = ops
    w = draw(weights)
    if w is not None:
        product["weight_kg"] = w
    if draw(st.booleans()):
        product["chemical_reaction"] = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        product["wholly_obtained"] = "j"
    mats = [draw(materials(role="material"))] + draw(st.lists(materials(), max_size=4))
    bom = {"hs_version": "HS2012", "product": product, "rule": draw(st.sampled_from(RULES)), "materials": mats}
    if draw(st.booleans()):
        bom["build_up"] = {k: draw(money) for k in ("direct_labour", "direct_overhead", "profit", "other_cost")}
    return bom


@SETTINGS
@given(boms(), materials(originating=True), st.data())
def test_adding_an_originating_material_never_makes_a_good_non_originating(bom, extra, data):
    before = determine(bom)
    grown = copy.deepcopy(bom)
    grown["materials"].insert(data.draw(st.integers(0, len(bom["materials"]))), extra)
    after = determine(grown)
    assert not (before.originating and not after.originating)


@SETTINGS
@given(boms(), st.data())
def test_raising_a_non_originating_value_never_raises_rvc(bom, data):
    parsed = load_bom(bom)
    candidates = [m.index for m in parsed.materials if m.originating is not True and m.role != "indirect"]
    assume(candidates)
    i = data.draw(st.sampled_from(candidates))
    raised = copy.deepcopy(bom)
    raised["materials"][i]["value"] = str(Decimal(bom["materials"][i]["value"]) + Decimal(data.draw(positive_money)))
    a, b = rvc_figures(Scenario(load_bom(bom))), rvc_figures(Scenario(load_bom(raised)))
    assert b.build_down <= a.build_down
    assert (a.build_up is None and b.build_up is None) or b.build_up <= a.build_up
    # …nor turns a non-originating good into an originating one.
    assert not (not determine(bom).originating and determine(raised).originating)


@SETTINGS
@given(boms())
def test_every_result_explains_itself_and_uses_box_10_codes(bom):
    result = determine(bom)
    assert_cited(result)
    assert result.originating == bool(result.criterion)
    if result.criterion:
        assert result.criterion[0] in {"WO", "PE", "CTC", "RVC", "CR"}
        assert set(result.criterion) <= {"WO", "PE", "CTC", "RVC", "CR", "ACU", "DMI"}
        assert result.to_qualify == []
    else:
        assert result.to_qualify


@SETTINGS
@given(fob=positive_money, vnm=money)
def test_rvc40_decision_matches_exact_rational_arithmetic(fob, vnm):
    bom = {
        "hs_version": "HS2012",
        "rule": "RVC40",
        "product": {"hs": "940360", "fob": fob, "currency": "USD", "country": "CN", "operations": ["assembly"]},
        "materials": [{"description": "part", "hs": "940390", "country": "DE", "originating": False, "value": vnm}],
    }
    exact = (Fraction(fob) - Fraction(vnm)) / Fraction(fob) * 100
    assert determine(bom).originating == (exact >= 40)


@SETTINGS
@given(st.integers(1, 10**9), st.integers(1, 10**9))
def test_percentages_round_half_up(num, den):
    exact = Fraction(num, den) * 100
    half_up = Fraction(math.floor(exact * 100 + Fraction(1, 2)), 100)  # half-up on the exact rational
    shown = pct(percent(Decimal(num), Decimal(den)))
    assert Fraction(Decimal(shown)) == half_up
    assert shown == f"{Decimal(half_up.numerator) / Decimal(half_up.denominator):.2f}"
