"""Themed bundles (一件事一次办, "我要…"): one form with each field asked once, one submission,
one case with a task per department, one clock, one output window — built from member data."""

from __future__ import annotations

import pytest
from django.utils import timezone

from zimao.cases.models import Case, Timer
from zimao.cases.services import decide, submit
from zimao.catalog.forms import iter_fields
from zimao.catalog.models import ServiceItem
from zimao.core import calendar
from zimao.core.errors import BusinessError
from zimao.licences import services as licences
from zimao.permits import bundles, catalogue
from zimao.permits.models import Commitment, PostCheck
from zimao.permits.tests.helpers import reviewer_for, upload_for
from zimao.testing import application

pytestmark = pytest.mark.django_db

RESTAURANT = {
    "premises": {"address": "洛阳市洛龙区开元大道1号", "area_m2": "180"},
    "food": {"business_type": "catering", "food_safety_manager": "王芳", "staff_with_health_certificate": 6},
    "fire": {"building_area": "200", "max_occupancy": 80},
    "drainage": {"discharge_m3_per_day": "3", "pretreatment": "grease_trap"},
    "environment": {"project_name": "香满楼餐馆", "fume_treatment": "purifier"},
    "commitment": {"agree": True, "signer_name": "李明"},
}


def restaurant(user, trade_name="香满楼"):
    data = application(trade_name, name={"industry": "餐饮管理"}, registration={"business_scope": "餐饮服务；食品销售"})
    data.update(RESTAURANT)
    item = ServiceItem.objects.get(code="YJS-KCG")
    case = submit(user, "YJS-KCG", data, materials=upload_for(user, item)).case
    case.refresh_from_db()
    return case


def test_the_bundle_form_asks_each_field_once(permit_zone):
    item = ServiceItem.objects.get(code="YJS-KCG")
    assert catalogue.is_bundle(item) and catalogue.reform_mode(item) == ""
    keys = [s["key"] for s in item.form["sections"]]
    assert len(keys) == len(set(keys))
    assert "company" not in keys  # the company is the one this case registers
    assert keys.count("premises") == 1 and keys.count("commitment") == 1
    paths = [f"{s['key']}.{f['key']}" for s, f in iter_fields(item.form)]
    assert len(paths) == len(set(paths))
    assert {m["key"] for m in item.materials} == {"articles", "id_copy", "premises"}
    # The members' hooks come along: the name is held and released, the establishment time reported.
    proc = item.processes.get(published=True).definition
    assert proc["on_submit"][0] == "registry.reserve_name" and "permits.record_commitment" in proc["on_submit"]
    assert proc["on_close"] == ["registry.release_name"] and proc["on_complete"] == ["registry.report_establishment"]


def test_a_restaurant_opens_in_one_submission_one_case_one_clock(permit_zone):
    user = permit_zone.applicant
    before = Case.objects.count()
    case = restaurant(user)
    assert Case.objects.count() == before + 1
    assert case.status == "delivered"
    # One clock: the bundle's own limits, one case timer, every task due within it.
    item = ServiceItem.objects.get(code="YJS-KCG")
    start = timezone.localdate(case.submitted_at)
    assert case.due_date == calendar.add_working_days(start, item.promised_limit_days).date
    assert Timer.objects.filter(case=case, kind="case_due").count() == 1
    reviews = case.tasks.filter(kind="review").exclude(stage_key="post_check")
    assert all(t.due_date <= case.due_date for t in reviews)
    # A task per department, each with its part.
    by_key = {t.key: t.department.code for t in reviews}
    assert by_key["registration"] == "AMR" and by_key["ZZ-SPJY"] == "AMR"
    assert by_key["ZZ-XFJC"] == "FIRE" and by_key["ZZ-PSXK"] == "URBAN" and by_key["ZZ-HPBA"] == "ECOLOGY"
    # One output window: everything issued together for the company this case registered.
    kinds = [o["kind"] for o in case.outputs]
    assert kinds == [
        "business_licence",
        "food_business_permit",
        "fire_safety_permit",
        "sewer_discharge_permit",
        "filing.environmental_registration",
    ]
    holders = {licences.get_credential(o["identifier"]).holder_uscc for o in case.outputs}
    assert holders == {case.results["uscc"]}
    issued = {licences.get_credential(o["identifier"]).case_number for o in case.outputs}
    assert issued == {case.number}
    # The business licence's QR code shows the permits.
    lic = licences.get_credential(case.outputs[0]["identifier"])
    assert len(licences.verify(lic.identifier).holder_credentials) == 5
    # The commitments are bound to the new company and checked afterwards by each department.
    rows = Commitment.objects.filter(case_number=case.number)
    assert {r.item_code for r in rows} == {"ZZ-SPJY", "ZZ-XFJC", "ZZ-PSXK"}
    assert {r.holder_uscc for r in rows} == {case.results["uscc"]}
    assert sorted(PostCheck.objects.filter(commitment__in=rows).values_list("department__code", flat=True)) == [
        "AMR",
        "FIRE",
        "URBAN",
    ]


def test_a_bundle_waits_for_every_department_then_issues_together(permit_zone):
    """我要开药店: the pharmacy licence is reviewed; nothing is issued until it is decided."""
    user = permit_zone.applicant
    item = ServiceItem.objects.get(code="YJS-KYD")
    data = application("康宁", name={"industry": "医药零售"})
    data.update(
        {
            "premises": {"address": "洛阳市涧西区南昌路9号", "area_m2": "80"},
            "pharmacy": {"pharmacist_name": "赵敏", "scope": ["otc", "prescription"]},
            "device": {"categories": "6826 物理治疗设备", "quality_manager": "赵敏"},
            "food_filing": {"categories": ["health_food"]},
        }
    )
    case = submit(user, "YJS-KYD", data, materials=upload_for(user, item)).case
    case.refresh_from_db()
    assert case.status == "in_review" and not case.outputs
    open_ = case.tasks.filter(status="open")
    assert [t.key for t in open_] == ["ZZ-YPLS"]
    assert case.results.get("uscc")  # the company is registered while the pharmacy licence waits
    decide(open_[0].pk, permit_zone.reviewer, "approve")
    case.refresh_from_db()
    assert case.status == "delivered"
    assert [o["output"] for o in case.outputs] == ["business_licence", "permit", "filing_receipt", "filing_receipt"]
    assert (
        case.due_date == calendar.add_working_days(timezone.localdate(case.submitted_at), item.promised_limit_days).date
    )


def test_a_bundle_case_refused_by_one_department_ends_with_no_outputs(permit_zone):
    user = permit_zone.applicant
    item = ServiceItem.objects.get(code="YJS-KYD")
    data = application("安泰", name={"industry": "医药零售"})
    data.update(
        {
            "premises": {"address": "洛阳市涧西区南昌路9号", "area_m2": "80"},
            "pharmacy": {"pharmacist_name": "赵敏", "scope": ["otc"]},
            "device": {"categories": "6826", "quality_manager": "赵敏"},
            "food_filing": {"categories": ["prepackaged"]},
        }
    )
    case = submit(user, "YJS-KYD", data, materials=upload_for(user, item)).case
    task = case.tasks.get(key="ZZ-YPLS")
    decide(task.pk, permit_zone.reviewer, "refuse", "无执业药师")
    case.refresh_from_db()
    assert case.status == "refused" and case.outputs == []


def test_bundle_generation_refuses_what_cannot_work(permit_zone):
    with pytest.raises(BusinessError) as exc:
        bundles.load_bundle({"code": "YJS-BAD", "name_zh": "坏", "name_en": "Bad", "members": ["QYKB-001", "NOPE"]})
    assert exc.value.problems[0].code == "unknown_member"
    with pytest.raises(BusinessError) as exc:
        bundles.load_bundle({"code": "YJS-BAD", "name_zh": "坏", "name_en": "Bad", "members": ["ZZ-PM", "ZZ-PTHY45"]})
    assert exc.value.problems[0].code == "no_process"  # an abolished approval is not something to bundle
    with pytest.raises(BusinessError) as exc:
        bundles.load_bundle({"code": "YJS-BAD", "name_zh": "坏", "name_en": "Bad", "members": ["YJS-KCG"]})
    assert exc.value.problems[0].code == "nested_bundle"
    assert not ServiceItem.objects.filter(code="YJS-BAD").exists()


def test_a_bundle_follows_its_members_when_rebuilt(permit_zone):
    food = ServiceItem.objects.get(code="ZZ-SPJY")
    food.legal_limit_days = 25
    food.save()
    bundles.rebuild_all()
    assert ServiceItem.objects.get(code="YJS-KCG").legal_limit_days == 25


def test_the_other_industry_bundle_is_offered_for_drug_retail(permit_zone):
    from zimao.permits.services import advise

    assert [b.code for b in advise(["drug_retail"]).bundles] == ["YJS-KYD"]
    assert reviewer_for("AMR", "someone")  # helper works for existing departments too


# ---------------------------------------------------------------- an existing company (已有企业)


def test_an_existing_company_opens_a_restaurant_without_registering_again(permit_zone, company):
    """我要开餐馆 for a company that exists: the same permits, no establishment part."""
    user = permit_zone.applicant
    item = ServiceItem.objects.get(code="YJS-KCG-E")
    assert catalogue.facts(item).bundle["variant_of"] == "YJS-KCG" and item.published
    keys = [s["key"] for s in item.form["sections"]]
    assert keys[0] == "company" and not {"name", "registration", "steps", "seal"} & set(keys)
    proc = item.processes.get(published=True).definition
    assert "registry.reserve_name" not in proc.get("on_submit", [])
    assert "business_licence" not in proc["stages"][-1]["outputs"]
    entities_before = type(company).objects.count()
    data = {"company": {"uscc": company.uscc}, **RESTAURANT}
    case = submit(user, "YJS-KCG-E", data, materials=upload_for(user, item)).case
    case.refresh_from_db()
    assert case.status == "delivered"
    assert type(company).objects.count() == entities_before  # no second company
    assert "registration" not in {t.key for t in case.tasks.all()}
    kinds = [o["kind"] for o in case.outputs]
    assert kinds == [
        "food_business_permit",
        "fire_safety_permit",
        "sewer_discharge_permit",
        "filing.environmental_registration",
    ]
    assert {licences.get_credential(o["identifier"]).holder_uscc for o in case.outputs} == {company.uscc}
    rows = Commitment.objects.filter(case_number=case.number)
    assert {r.holder_uscc for r in rows} == {company.uscc}
    # The business licence of the company now shows the new permits behind its QR code.
    [lic] = [c for c in licences.credentials_for(company.uscc) if c.kind == "business_licence"]
    assert len(licences.verify(lic.identifier).holder_credentials) == 5


def test_the_existing_company_bundle_is_only_for_ones_own_company(permit_zone, other_company):
    user = permit_zone.applicant
    item = ServiceItem.objects.get(code="YJS-KCG-E")
    with pytest.raises(BusinessError) as exc:
        submit(
            user, "YJS-KCG-E", {"company": {"uscc": other_company.uscc}, **RESTAURANT}, materials=upload_for(user, item)
        )
    assert exc.value.problems[0].field == "company.uscc"


def test_the_variant_is_listed_once_with_its_bundle(permit_zone):

    assert [b.code for b in catalogue.bundles_with("ZZ-SPJY")] == ["YJS-KCG"]
    assert catalogue.bundle_for_existing_company(ServiceItem.objects.get(code="YJS-KCG")).code == "YJS-KCG-E"
    assert catalogue.bundle_for_existing_company(ServiceItem.objects.get(code="YJS-KYD")).code == "YJS-KYD-E"
    assert bundles.rebuild_all() == 0  # regenerated from the stored specs: nothing changed


def test_an_existing_company_variant_needs_its_code_and_the_member_it_leaves_out(permit_zone):
    spec = {"code": "YJS-X", "name_zh": "某", "name_en": "X", "members": ["QYKB-001", {"code": "ZZ-SPJY", "phase": 1}]}
    with pytest.raises(BusinessError) as exc:
        bundles.load_bundle({**spec, "existing_company": {"code": "YJS-X-E"}})
    assert {p.field for p in exc.value.problems} == {
        "bundles.YJS-X.existing_company.name_zh",
        "bundles.YJS-X.existing_company.name_en",
        "bundles.YJS-X.existing_company.without",
    }
