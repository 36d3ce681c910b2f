"""The origin engine, article by article — 原产地判定引擎逐条测试 (RCEP Chapter 3 Section A, Annex 3A).

Rules are stated inline in each bill; the shipped PSR table is tested in test_origin_psr.py.
"""

from decimal import Decimal

import pytest

from zimao.core.fieldnames import field_label
from zimao.trade.origin import MINIMAL_OPERATIONS, BomError, determine, load_bom

from .origin_helpers import assert_cited, make_bom, mat


def kinds(result):
    return [h["kind"] for h in result.to_qualify]


# ---------------------------------------------------------------------------------------------
# Art. 3.2 — production in a Party


def test_good_produced_outside_the_parties_is_not_originating():
    result = determine(make_bom([mat(originating=True, country="TH")], country="US"))
    assert not result.originating and result.criterion == []
    assert kinds(result) == ["produce_in_party"]
    assert_cited(result)


# ---------------------------------------------------------------------------------------------
# Art. 3.3 — wholly obtained (WO)


def test_wholly_obtained_good_needs_no_materials_and_no_rule():
    result = determine(make_bom([], rule=None, hs="080510", wholly_obtained="a"))
    assert result.originating and result.criterion == ["WO"]
    assert any("Art. 3.3(a)" in ln for ln in result.as_dict()["explanation"])
    assert_cited(result)


def test_wholly_obtained_claim_fails_with_a_non_originating_material():
    bom = make_bom(
        [mat(hs="080510", originating=False, country="US", value="3.00")], rule="CC", hs="200799", wholly_obtained="j"
    )
    result = determine(bom)
    assert "WO" not in result.criterion
    assert any("Art. 3.3(j)" in ln for ln in result.as_dict()["explanation"])
    assert result.originating and result.criterion == ["CTC"]  # CC still met: chapter 08 → 20


def test_wholly_obtained_claim_with_another_partys_material_falls_back_to_pe():
    bom = make_bom([mat(hs="080510", originating=True, country="TH")], rule=None, hs="200799", wholly_obtained="j")
    result = determine(bom)
    assert result.criterion == ["PE", "ACU"]


@pytest.mark.parametrize("claim", ["k", "yes", True, 3])
def test_wholly_obtained_claim_must_name_a_subparagraph(claim):
    with pytest.raises(BomError) as info:
        load_bom(make_bom([], wholly_obtained=claim))
    assert info.value.errors[0][0] == "product.wholly_obtained"


# ---------------------------------------------------------------------------------------------
# Art. 3.2(b) — produced exclusively from originating materials (PE)


def test_exclusively_originating_materials_of_the_same_party():
    result = determine(make_bom([mat(originating=True, country="CN")]))
    assert result.originating and result.criterion == ["PE"]


def test_pe_with_another_partys_materials_records_accumulation():
    result = determine(make_bom([mat(originating=True, country="CN"), mat(originating=True, country="VN")]))
    assert result.criterion == ["PE", "ACU"]


def test_pe_applies_to_every_line_without_a_psr():
    # Headnote 2: no rule is stated and the code is not in any table, yet PE suffices.
    from zimao.trade.origin import PsrTable

    result = determine(make_bom([mat(originating=True, country="CN")], rule=None, hs="010121"), PsrTable([]))
    assert result.originating and result.rule is None


def test_a_good_that_is_not_pe_needs_a_rule():
    from zimao.trade.origin import PsrError, PsrTable

    with pytest.raises(PsrError) as info:
        determine(make_bom([mat()], rule=None, hs="010121"), PsrTable([]))
    field, zh, en = info.value.errors[0]
    assert field == "rule" and "0101.21" in en and "规则" in zh


# ---------------------------------------------------------------------------------------------
# Art. 3.4 — accumulation (ACU)


def test_ctc_met_only_through_accumulation_records_acu():
    # The frame is in the good's own heading: only as a Thai originating material is it exempt from CTH.
    bom = make_bom(
        [
            mat("frame", hs="940390", country="TH", originating=True, value="60.00"),
            mat("hinges", hs="830210", country="DE", value="5.00"),
        ],
        rule="CTH",
    )
    result = determine(bom)
    assert result.originating and result.criterion == ["CTC", "ACU"]
    assert result.alternatives[0]["accumulation_needed"] is True
    assert_cited(result)


def test_rvc_met_only_through_accumulation_records_acu():
    bom = make_bom(
        [
            mat("frame", hs="940390", country="KR", originating=True, value="30.00"),
            mat("cushion", hs="940490", country="US", value="50.00"),
        ],
        rule="RVC40",
        operations=["assembly"],
    )
    result = determine(bom)
    # Build-down 50%; without Art. 3.4 the Korean frame would be VNM too (20%).
    assert result.originating and result.criterion == ["RVC", "ACU"]
    bom["materials"][0]["country"] = "CN"
    assert determine(bom).criterion == ["RVC"]
    bom["materials"][0]["country"] = "KR"
    bom["materials"][1]["value"] = "65.00"
    bom["build_up"] = {"direct_labour": "10.00"}
    result = determine(bom)
    assert result.rvc["build_down"] == "35.00" and result.rvc["build_up"] == "40.00"
    assert result.criterion == ["RVC", "ACU"]


def test_no_acu_when_the_rule_is_met_without_other_parties_materials():
    bom = make_bom(
        [
            mat("boards", hs="440791", country="TH", originating=True, value="20.00"),
            mat("hinges", hs="830210", country="DE", value="5.00"),
        ]
    )
    assert determine(bom).criterion == ["CTC"]


@pytest.mark.parametrize("country", ["DE", "unknown"])
def test_only_a_partys_material_can_be_originating(country):
    with pytest.raises(BomError) as info:
        load_bom(make_bom([mat(country=country, originating=True)]))
    field, zh, en = info.value.errors[0]
    assert field == "materials[0].originating" and "RCEP" in zh and "RCEP Party" in en


def test_materials_from_a_party_without_proof_are_not_originating():
    bom = make_bom([mat("frame", hs="940390", country="TH", originating=None, value="30.00")], rule="CTH")
    result = determine(bom)
    assert not result.originating
    hint = next(h for h in result.to_qualify if h["kind"] == "source_from_party")
    assert hint["material"] == 0 and "proof of its RCEP origin" in hint["en"]


# ---------------------------------------------------------------------------------------------
# Art. 3.5 — regional value content


def rvc_bom(vnm, fob="100.00", rule="RVC40", **kw):
    return make_bom([mat("housing", hs="940390", value=vnm)], rule=rule, fob=fob, operations=["assembly"], **kw)


def test_build_down_exactly_40_percent_passes():
    result = determine(rvc_bom("60.00"))
    assert result.originating and result.criterion == ["RVC"]
    assert result.rvc["build_down"] == "40.00" and result.rvc["threshold"] == "40"


def test_build_down_just_below_40_percent_fails_with_the_largest_passing_vnm():
    result = determine(rvc_bom("60.01"))
    assert not result.originating and result.rvc["build_down"] == "39.99"
    hint = next(h for h in result.to_qualify if h["kind"] == "rvc")
    assert hint["max_non_originating_value"] == "60.00"
    assert hint["reduce_by"] == "0.01"
    assert hint["source_from_party"] == [0]
    assert_cited(result)


def test_comparison_uses_the_unrounded_value():
    # (3 − 1.8000001) / 3 = 39.99999667 %: displayed 40.00 %, but less than 40 %.
    result = determine(rvc_bom("1.8000001", fob="3.00"))
    assert result.rvc["build_down"] == "40.00"
    assert not result.originating
    assert any("rounds to 40.00% for display" in ln for ln in result.as_dict()["explanation"])


def test_percentages_are_shown_rounded_half_up():
    # (8 − 4.9996) / 8 = 37.505 %: half-up gives 37.51 (banker's rounding would give 37.50).
    assert determine(rvc_bom("4.9996", fob="8.00")).rvc["build_down"] == "37.51"


def test_largest_passing_vnm_is_rounded_down_to_the_cent():
    result = determine(rvc_bom("70.00", fob="100.01"))
    hint = next(h for h in result.to_qualify if h["kind"] == "rvc")
    assert hint["max_non_originating_value"] == "60.00"  # 60.006 rounded down still passes
    assert determine(rvc_bom("60.00", fob="100.01")).originating
    assert not determine(rvc_bom("60.01", fob="100.01")).originating


def test_build_up_exactly_40_percent_passes_when_build_down_fails():
    bom = make_bom(
        [
            mat("panel", hs="940390", country="CN", originating=True, value="25.00"),
            mat("motor", hs="940390", value="70.00"),
        ],
        rule="RVC40",
        operations=["assembly"],
    )
    bom["build_up"] = {"direct_labour": "10.00", "direct_overhead": "2.00", "profit": "2.00", "other_cost": "1.00"}
    result = determine(bom)
    assert result.rvc["build_down"] == "30.00" and result.rvc["build_up"] == "40.00"
    assert result.originating and result.criterion == ["RVC"]


def test_build_up_is_null_without_costs():
    assert determine(rvc_bom("10.00")).rvc["build_up"] is None


def test_materials_of_undetermined_origin_count_in_vnm():
    bom = make_bom(
        [mat("resin", hs="390110", country="unknown", originating=None, value="61.00")],
        rule="RVC40",
        operations=["moulding"],
    )
    result = determine(bom)
    assert result.rvc["vnm"] == "61.00" and not result.originating
    assert any(ln.startswith("Art. 3.5.4") for ln in result.as_dict()["explanation"])


def test_missing_originating_key_is_treated_as_undetermined():
    m = mat("resin", hs="390110", country="KR", value="10.00")
    del m["originating"]
    result = determine(make_bom([m], rule="RVC40"))
    assert result.materials[0]["treated_as"] == "non-originating (undetermined origin)"
    assert any("origin not stated" in ln for ln in result.as_dict()["explanation"])


def test_art_3_5_5_deductions_reduce_vnm():
    bom = rvc_bom("62.00")
    bom["materials"][0]["deductions"] = "2.00"
    result = determine(bom)
    assert result.rvc["vnm"] == "60.00" and result.originating
    assert any(ln.startswith("Art.") and "3.5.5" in ln for ln in result.as_dict()["explanation"])


def test_deductions_only_for_non_originating_materials():
    with pytest.raises(BomError) as info:
        load_bom(make_bom([mat(originating=True, country="CN", deductions="1.00")]))
    assert info.value.errors[0][0] == "materials[0].deductions"


def test_other_thresholds_are_read_from_the_rule():
    assert determine(rvc_bom("65.00", rule="RVC35")).originating
    assert not determine(rvc_bom("65.01", rule="RVC35")).originating


# ---------------------------------------------------------------------------------------------
# Art. 3.6 — minimal operations


@pytest.mark.parametrize("word", sorted(MINIMAL_OPERATIONS))
def test_each_minimal_operation_alone_confers_no_origin(word):
    bom = make_bom([mat("hinges", hs="830210", value="5.00")], operations=[word])
    result = determine(bom)
    assert not result.originating
    assert "minimal_operations" in kinds(result)
    assert any(ln.startswith(f"Art. 3.6{MINIMAL_OPERATIONS[word]}") for ln in result.as_dict()["explanation"])


def test_a_combination_of_minimal_operations_is_still_minimal():
    result = determine(make_bom([mat(hs="830210")], operations=["painting", "cutting", "labelling"]))
    assert not result.originating
    assert any("Art. 3.6(k)" in ln for ln in result.as_dict()["explanation"])


def test_one_operation_beyond_the_list_lifts_the_bar():
    result = determine(make_bom([mat(hs="830210")], operations=["assembly", "painting"]))
    assert result.originating and result.criterion == ["CTC"]


def test_minimal_operations_on_originating_materials_do_not_matter():
    result = determine(make_bom([mat(originating=True, country="CN")], operations=["cutting"]))
    assert result.criterion == ["PE"]


def test_nothing_is_assumed_when_operations_are_absent():
    result = determine(make_bom([mat(hs="830210")]))
    assert result.originating
    warnings = result.as_dict()["warnings"]
    assert len(warnings) == 1 and warnings[0]["en"].startswith("Art. 3.6")


def test_operation_words_are_matched_case_insensitively():
    assert not determine(make_bom([mat(hs="830210")], operations=["Painting ", "POLISHING"])).originating


# ---------------------------------------------------------------------------------------------
# Art. 3.7 — de minimis


def dmi_bom(value, fob="100.00", **kw):
    # The bolts share the good's heading, so they fail CTH; the frame changes heading.
    return make_bom(
        [mat("frame", hs="440791", value="30.00"), mat("bolts", hs="940390", value=value)],
        rule="CTH",
        fob=fob,
        operations=["assembly"],
        **kw,
    )


def test_de_minimis_at_exactly_10_percent_of_fob():
    result = determine(dmi_bom("10.00"))
    assert result.originating and result.criterion == ["CTC", "DMI"]
    assert result.alternatives[0]["de_minimis_used"] is True
    assert_cited(result)


def test_de_minimis_just_above_10_percent_fails():
    result = determine(dmi_bom("10.01"))
    assert not result.originating
    hint = next(h for h in result.to_qualify if h["kind"] == "ctc")
    assert [m["index"] for m in hint["materials"]] == [1]
    assert hint["de_minimis_limit"] == "10.00" and hint["reduce_by"] == "0.01"


def test_de_minimis_uses_the_art_3_5_3_value_not_the_deducted_value():
    bom = dmi_bom("10.50")
    bom["materials"][1]["deductions"] = "1.00"
    assert not determine(bom).originating


def test_de_minimis_materials_still_count_in_rvc():
    bom = dmi_bom("10.00")
    bom["rule"] = "CTH and RVC40"
    bom["materials"][0]["value"] = "50.00"
    result = determine(bom)
    assert result.rvc["vnm"] == "60.00" and result.rvc["build_down"] == "40.00"
    assert result.originating and result.criterion == ["CTC", "RVC", "DMI"]
    bom["materials"][0]["value"] = "50.01"
    assert not determine(bom).originating


def test_de_minimis_does_not_apply_to_rvc():
    result = determine(rvc_bom("60.50"))
    assert not result.originating and "DMI" not in result.criterion


def test_de_minimis_covers_materials_caught_by_an_exclusion():
    bom = make_bom(
        [mat("sugar", hs="170199", value="8.00"), mat("fruit", hs="080810", value="20.00")],
        rule="CC except from heading 17.01",
        hs="200799",
        operations=["cooking"],
    )
    result = determine(bom)
    assert result.criterion == ["CTC", "DMI"]


def textile_bom(value, weight, product_weight="2.0"):
    return make_bom(
        [
            mat("yarn", hs="520512", value="20.00", weight_kg="1.5"),
            mat("trim", hs="610990", value=value, weight_kg=weight),
        ],
        rule="CC",
        hs="610910",
        weight_kg=product_weight,
        operations=["knitting", "sewing"],
    )


def test_textiles_may_use_weight_exactly_10_percent():
    result = determine(textile_bom("15.00", "0.2"))  # 15% of FOB by value, 10% by weight
    assert result.originating and result.criterion == ["CTC", "DMI"]
    assert any(ln.startswith("Art. 3.7.1(b)") for ln in result.as_dict()["explanation"])


def test_textiles_weight_above_10_percent_fails():
    assert not determine(textile_bom("15.00", "0.21")).originating


def test_textiles_may_still_use_value():
    assert determine(textile_bom("10.00", "1.0")).criterion == ["CTC", "DMI"]


def test_weight_test_needs_the_weights():
    bom = textile_bom("15.00", "0.2")
    del bom["product"]["weight_kg"]
    result = determine(bom)
    assert not result.originating
    assert any("cannot be applied" in ln for ln in result.as_dict()["explanation"])


def test_weight_test_is_only_for_chapters_50_to_63():
    bom = dmi_bom("15.00", weight_kg="10")
    bom["materials"][1]["weight_kg"] = "0.1"
    assert not determine(bom).originating


# ---------------------------------------------------------------------------------------------
# Annex 3A — tariff change with exclusions (headnotes 5–7)


def test_cc_exclusion_applies_to_non_originating_materials_only():
    bom = make_bom(
        [mat("sugar", hs="170199", value="30.00")],
        rule="CC except from heading 17.01",
        hs="200799",
        operations=["cooking"],
    )
    result = determine(bom)
    assert not result.originating
    assert any("headnote 6" in ln for ln in result.as_dict()["explanation"])
    bom["materials"][0].update(originating=True, country="TH")
    result = determine(bom)
    assert result.originating


def test_subheading_range_exclusion():
    rule = "CTSH except from subheading 2009.11 through 2009.19"
    orange = make_bom(
        [mat("orange juice", hs="200912", value="40.00")], rule=rule, hs="200990", operations=["blending"]
    )
    apple = make_bom([mat("apple juice", hs="200971", value="40.00")], rule=rule, hs="200990", operations=["blending"])
    assert not determine(orange).originating
    assert determine(apple).criterion == ["CTC"]


def test_chapter_exclusion():
    bom = make_bom(
        [mat("steel", hs="720851", value="40.00")],
        rule="CTH except from chapter 72",
        hs="730890",
        operations=["welding"],
    )
    assert not determine(bom).originating
    bom["materials"][0]["hs"] = "740311"
    assert determine(bom).originating


@pytest.mark.parametrize(
    "rule, material_hs, ok",
    [
        ("CC", "940390", False),
        ("CC", "830210", True),
        ("CTH", "940390", False),
        ("CTH", "940190", True),
        ("CTSH", "940360", False),
        ("CTSH", "940390", True),
    ],
)
def test_change_levels(rule, material_hs, ok):
    bom = make_bom([mat(hs=material_hs, value="50.00")], rule=rule, operations=["assembly"])
    assert determine(bom).originating is ok


def test_non_originating_material_without_hs_cannot_show_a_change():
    bom = make_bom([mat(hs=None, value="50.00")], rule="CC", operations=["assembly"])
    result = determine(bom)
    assert not result.originating
    assert "HS code is not given" in result.to_qualify[0]["materials"][0]["reason"]


def test_any_passing_alternative_suffices_and_the_simplest_is_reported():
    bom = dmi_bom("10.00")
    bom["rule"] = "CTH or RVC40"
    result = determine(bom)
    # CTH passes only with DMI; RVC40 (build-down 60%) passes outright and is preferred.
    assert result.criterion == ["RVC"]
    assert [a["passed"] for a in result.alternatives] == [True, True]


def test_failure_lists_the_materials_that_break_the_tariff_change():
    bom = make_bom(
        [
            mat("legs", hs="940390", value="35.00"),
            mat("top", hs="940390", value="30.00"),
            mat("screws", hs="731815", value="1.00"),
        ],
        operations=["assembly"],
    )
    result = determine(bom)
    assert not result.originating
    ctc = next(h for h in result.to_qualify if h["kind"] == "ctc")
    assert [m["index"] for m in ctc["materials"]] == [0, 1]
    rvc = next(h for h in result.to_qualify if h["kind"] == "rvc")
    assert rvc["max_non_originating_value"] == "60.00" and rvc["reduce_by"] == "6.00"
    switches = [h["material"] for h in result.to_qualify if h["kind"] == "source_from_party"]
    assert switches == [0, 1]  # either large part sourced originating brings RVC to 40% or more
    for h in result.to_qualify:
        assert h["en"] and any("\u4e00" <= ch <= "\u9fff" for ch in h["zh"])
    assert_cited(result)


def test_originating_result_has_nothing_to_qualify():
    assert determine(make_bom([mat(hs="830210")])).to_qualify == []


# ---------------------------------------------------------------------------------------------
# CR, WO as a rule, combined tests


def test_chemical_reaction_rule():
    bom = make_bom([mat("ethylene", hs="290121", value="70.00")], rule="CR", hs="390110", operations=["polymerising"])
    assert not determine(bom).originating
    bom["product"]["chemical_reaction"] = True
    result = determine(bom)
    assert result.criterion == ["CR"]
    assert any("headnote 7(f)" in ln for ln in result.as_dict()["explanation"])


def test_wo_rule_is_met_only_by_wo_or_pe():
    bom = make_bom([mat("fish", hs="030389", value="10.00")], rule="WO", hs="030489", operations=["filleting"])
    assert not determine(bom).originating
    bom["materials"][0].update(originating=True, country="ID")
    assert determine(bom).criterion == ["PE", "ACU"]


# ---------------------------------------------------------------------------------------------
# Arts. 3.8–3.10 — packing, packaging, accessories, indirect materials


def test_transport_packing_is_disregarded_entirely():
    bom = rvc_bom("60.00")
    bom["materials"].append(mat("pallet", hs="441520", value="30.00", role="packing"))
    result = determine(bom)
    assert result.originating and result.rvc["vnm"] == "60.00"


def test_retail_packaging_disregarded_for_ctc_but_counted_in_rvc():
    box = mat("gift box", hs="940390", value="5.00", role="retail_packaging")
    result = determine(make_bom([mat(hs="830210", value="10.00"), box], rule="CTH", operations=["assembly"]))
    assert result.criterion == ["CTC"]
    result = determine(make_bom([mat(hs="830210", value="56.00"), box], rule="RVC40", operations=["assembly"]))
    assert result.rvc["vnm"] == "61.00" and not result.originating


def test_retail_packaging_does_not_spoil_pe():
    box = mat("gift box", hs="481910", value="2.00", role="retail_packaging")
    result = determine(make_bom([mat(originating=True, country="CN"), box]))
    assert result.criterion == ["PE"]


def test_accessories_disregarded_for_ctc_counted_in_rvc():
    manual = mat("spare legs", hs="940390", value="8.00", role="accessory")
    result = determine(make_bom([mat(hs="830210", value="10.00"), manual], rule="CTH", operations=["assembly"]))
    assert result.criterion == ["CTC"]
    assert result.rvc["vnm"] == "18.00"


def test_accessories_invoiced_separately_are_ordinary_materials():
    manual = mat("spare legs", hs="940390", value="18.00", role="accessory", invoiced_separately=True)
    result = determine(make_bom([mat(hs="830210", value="10.00"), manual], rule="CTH", operations=["assembly"]))
    assert not result.originating


def test_indirect_materials_are_originating_wherever_produced():
    fuel = mat("fuel", hs="271019", country="US", value="10.00", role="indirect")
    bom = make_bom([mat("motor", hs="940390", value="70.00"), fuel], rule="RVC40", operations=["assembly"])
    bom["build_up"] = {"direct_labour": "30.00"}
    result = determine(bom)
    assert result.rvc["vnm"] == "70.00" and result.rvc["vom"] == "10.00" and result.rvc["build_up"] == "40.00"
    assert result.originating and result.criterion == ["RVC"]


def test_indirect_materials_alone_do_not_make_pe():
    with pytest.raises(BomError):
        load_bom(make_bom([mat("fuel", role="indirect")]))


# ---------------------------------------------------------------------------------------------
# The bill of materials — input validation names each field in Chinese and English


def test_bad_fields_are_all_named():
    bom = make_bom([mat(value="-1"), {"description": "x", "hs": "12", "country": "China", "value": 1.5, "color": 1}])
    bom["product"]["fob"] = "0"
    bom["hs_version"] = "HS2020"
    with pytest.raises(BomError) as info:
        load_bom(bom)
    fields = [f for f, _zh, _en in info.value.errors]
    assert fields == [
        "hs_version",
        "product.fob",
        "materials[0].value",
        "materials[1].color",
        "materials[1].hs",
        "materials[1].country",
        "materials[1].value",
    ]
    for field, zh, en in info.value.errors:
        assert zh.startswith(field_label(field)[0] + "：") and en.startswith(field_label(field)[1] + ": ")
        assert "materials[" not in zh + en and "product." not in zh + en
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)


def test_floats_are_refused_as_money():
    with pytest.raises(BomError) as info:
        load_bom(make_bom([mat(value=0.1)]))
    assert "strings" in info.value.errors[0][2]


def test_codes_and_countries_are_normalised():
    bom = load_bom(make_bom([mat(hs="8302.10", country="de")], hs="9403.60"))
    assert bom.product.hs == "940360"
    assert bom.materials[0].hs == "830210" and bom.materials[0].country == "DE"
    assert bom.product.fob == Decimal("100.00")


def test_chapter_77_and_98_are_not_hs_codes():
    for code in ("770000", "980100"):
        with pytest.raises(BomError):
            load_bom(make_bom(hs=code))


def test_materials_may_not_mix_hs_editions():
    with pytest.raises(BomError) as info:
        load_bom(make_bom([mat(hs_version="HS2022")]))
    assert info.value.errors[0][0] == "materials[0].hs_version"


def test_material_currency_must_match():
    with pytest.raises(BomError) as info:
        load_bom(make_bom([mat(currency="EUR")]))
    assert info.value.errors[0][0] == "materials[0].currency"


def test_unparseable_rule_is_an_input_error():
    with pytest.raises(BomError) as info:
        load_bom(make_bom(rule="CTH or"))
    assert info.value.errors[0][0] == "rule"


def test_as_problems_bridges_to_the_api_error_shape():
    with pytest.raises(BomError) as info:
        load_bom(make_bom(hs="12"))
    problem = info.value.as_problems()[0]
    assert problem.field == "product.hs" and problem.code == "invalid_input"


def test_every_explanation_line_cites_an_article():
    for bom in (
        make_bom([mat(hs="830210")]),
        dmi_bom("10.01"),
        textile_bom("15.00", "0.2"),
        make_bom([], rule=None, wholly_obtained="b", hs="010229"),
    ):
        assert_cited(determine(bom))
