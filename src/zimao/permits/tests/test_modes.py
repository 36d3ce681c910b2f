"""Behaviour per reform mode (证照分离): abolished, filing, commitment, optimised; and the merged
(两证合一) and industry (一业一证) permits as configurations of the same machinery."""

from __future__ import annotations

import pytest
from django.utils import timezone

from zimao.cases.models import Timer
from zimao.cases.services import decide, submit
from zimao.catalog import zone
from zimao.catalog.models import ServiceItem
from zimao.core import calendar, elicence
from zimao.core.errors import BusinessError, Conflict
from zimao.licences import services as licences
from zimao.permits import catalogue
from zimao.permits import services as permits
from zimao.permits.models import ActivityNote, Commitment, PostCheck
from zimao.permits.tests.helpers import apply, reviewer_for, sample_data

pytestmark = pytest.mark.django_db


def commit(company, code="ZZ-PM", **kw):
    item = ServiceItem.objects.get(code=code)
    params = {
        "uscc": company.uscc,
        "signer_name": "李明",
        "agree": True,
        "data": sample_data(item, company.uscc),
        "conditions_hash": catalogue.conditions_version(item),
    }
    params.update(kw)
    return permits.apply_with_commitment(company.applicant, code, **params)


# ---------------------------------------------------------------- 直接取消审批


def test_abolished_approval_has_no_case_and_notes_the_activity(company):
    item = ServiceItem.objects.get(code="ZZ-PTHY45")
    assert catalogue.reform_mode(item) == "cancelled"
    assert "无需提出申请" in item.guide_zh and "without applying" in item.guide_en
    with pytest.raises(BusinessError) as exc:
        submit(company.applicant, "ZZ-PTHY45", {})
    assert exc.value.problems[0].code == "no_process"
    note = permits.note_activity(company.applicant, company.uscc, "ZZ-PTHY45")
    assert note.activities == ["light_freight"] and note.holder_uscc == company.uscc
    again = permits.note_activity(company.applicant, company.uscc, "ZZ-PTHY45")
    assert again.pk == note.pk and ActivityNote.objects.count() == 1
    record = permits.company_record(company.applicant, company.uscc)
    assert [n.item_code for n in record.activity_notes] == ["ZZ-PTHY45"]


def test_an_activity_is_noted_only_for_your_own_company_and_only_when_abolished(company, other_company):
    with pytest.raises(BusinessError) as exc:
        permits.note_activity(company.applicant, other_company.uscc, "ZZ-PTHY45")
    assert exc.value.problems[0].code == "not_your_company"
    with pytest.raises(BusinessError) as exc:
        permits.note_activity(company.applicant, company.uscc, "ZZ-PM")
    assert exc.value.status == 409


# ---------------------------------------------------------------- 审批改为备案


def test_a_filing_gets_its_receipt_at_once_in_the_licence_store(company):
    case = apply(company.applicant, "ZZ-YLQX2", company.uscc)
    assert case.status == "delivered"
    ref = case.outputs[0]
    assert ref["output"] == "filing_receipt" and ref["item"] == "ZZ-YLQX2"
    cred = licences.get_credential(ref["identifier"])
    assert cred.holder_uscc == company.uscc and cred.title_zh == "第二类医疗器械经营备案凭证"
    # The receipt's own type code (per kind, not one code for every filing), issued by the
    # authority that decides it: the market regulator of the zone profile.
    assert elicence.parse_identifier(cred.identifier).type_code == licences.type_code_for("filing.device_class2")
    assert licences.type_code_for("filing.device_class2") != licences.type_code_for("filing.clinic")
    assert elicence.parse_identifier(cred.identifier).issuer_uscc == zone.authority_for("AMR").uscc
    assert cred.valid_until is None  # a filing does not expire
    task = case.tasks.get(key="ZZ-YLQX2")
    assert task.department.code == "AMR" and task.status == "approved" and task.decided_by is None
    assert licences.verify(cred.identifier).current


# ---------------------------------------------------------------- 实行告知承诺


def test_commitment_grants_the_permit_in_the_same_visit_and_schedules_the_check(company):
    before = timezone.now()
    grant = commit(company)
    assert grant.case.status == "delivered" and grant.granted
    cred = grant.credentials[0]
    assert cred.kind == "auction_licence" and cred.holder_uscc == company.uscc
    assert licences.verify(cred.identifier).current
    row = Commitment.objects.get(case_number=grant.case.number)
    item = ServiceItem.objects.get(code="ZZ-PM")
    assert row.signer_name == "李明" and row.signer == company.applicant and row.signed_at >= before
    assert row.text_hash == catalogue.conditions_hash(item) and row.conditions_zh == catalogue.facts(item).conditions_zh
    assert row.credential_identifier == cred.identifier and row.status == "signed"
    check = PostCheck.objects.get(commitment=row)
    assert check.department.code == "COMMERCE"
    assert (
        check.due_date
        == calendar.add_working_days(timezone.localdate(), catalogue.facts(item).permit["post_check_days"]).date
    )
    assert check.task.status == "open" and check.task.department.code == "COMMERCE"
    assert Timer.objects.filter(task=check.task, kind="task_due", fire_on=check.due_date).exists()


def test_commitment_needs_the_tick_and_a_name(company):
    with pytest.raises(BusinessError) as exc:
        commit(company, agree=False, signer_name="")
    assert {p.field for p in exc.value.problems} == {"commitment.agree", "commitment.signer_name"}
    assert not Commitment.objects.exists()


def test_commitment_binds_to_the_conditions_that_were_read(company):
    item = ServiceItem.objects.get(code="ZZ-PM")
    read = catalogue.conditions_version(item)
    catalogue.update(item, conditions_zh=catalogue.facts(item).conditions_zh + "七、新增条件。")
    with pytest.raises(Conflict) as exc:
        commit(company, conditions_hash=read)
    assert exc.value.problems[0].code == "conditions_changed"
    assert commit(company).granted  # having read the new version, it works


def test_a_commitment_signed_for_old_conditions_goes_to_the_window(company, monkeypatch, settings):
    """If the conditions change between signing and the rule (the engine ran later), the case is
    not granted on the spot: the rule sees the hash differ and a person looks at it."""
    from zimao.cases import services as engine

    settings.ADVANCE_INLINE = False  # the worker comes later …
    monkeypatch.setattr(engine, "schedule_advance", lambda case: None)  # … and is not run here
    item = ServiceItem.objects.get(code="ZZ-PM")
    case = submit(company.applicant, "ZZ-PM", sample_data(item, company.uscc, skip=())).case
    catalogue.update(item, conditions_zh=catalogue.facts(item).conditions_zh + "七、新增条件。")
    engine.advance(case.pk)
    case.refresh_from_db()
    assert case.status == "submitted" and not case.outputs
    task = case.tasks.get(kind="intake")
    assert task.status == "open" and any("条件已更新" in n["zh"] for n in task.auto_notes)


def test_you_cannot_commit_for_someone_elses_company(company, other_company):
    with pytest.raises(BusinessError) as exc:
        commit(company, uscc=other_company.uscc)
    assert exc.value.status == 422 and exc.value.problems[0].field == "company.uscc"


def test_the_company_check_names_the_field_early(company, other_company):
    from zimao.permits.plugins import company_registered

    assert company_registered({"company": {"uscc": company.uscc}}) == []
    assert (
        company_registered({"company": {"uscc": other_company.uscc}}, applicant=company.applicant)[0].code
        == "not_your_company"
    )
    assert company_registered({"company": {"uscc": "91110108551385082Q"}})[0].code == "unknown_company"


def test_commitment_is_idempotent(company):
    first = commit(company, idempotency_key="k-1")
    second = commit(company, idempotency_key="k-1")
    assert first.case.pk == second.case.pk
    assert PostCheck.objects.count() == 1


# ---------------------------------------------------------------- 优化审批服务


def test_an_optimised_approval_is_a_reviewed_case_with_shorter_limits(company):
    item = ServiceItem.objects.get(code="ZZ-YPLS")
    assert item.promised_limit_days < item.legal_limit_days
    assert len(item.materials) < catalogue.facts(item).permit["materials_before"]
    case = apply(company.applicant, "ZZ-YPLS", company.uscc)
    assert case.status == "in_review"
    assert (
        case.due_date == calendar.add_working_days(timezone.localdate(case.submitted_at), item.promised_limit_days).date
    )
    task = case.tasks.get(key="ZZ-YPLS")
    assert task.department.code == "AMR" and task.status == "open"
    decide(task.pk, company.applicant.__class__.objects.get(username="reviewer"), "approve", "材料齐全，符合条件")
    case.refresh_from_db()
    assert case.status == "delivered"
    cred = licences.get_credential(case.outputs[0]["identifier"])
    assert cred.title_zh == "药品经营许可证（零售）" and cred.valid_until is not None
    assert (cred.valid_until - cred.valid_from).days in range(1820, 1830)  # five years
    assert not PostCheck.objects.exists()  # no commitment, nothing to check afterwards


# ---------------------------------------------------------------- 两证合一 and 一业一证


def test_two_permits_in_one_is_one_application_one_review_one_credential(company):
    merged = ServiceItem.objects.get(code="ZZ-SYJY")
    covered = catalogue.covered_items(merged)
    assert [c.code for c in covered] == ["ZZ-SYJY-SW", "ZZ-SYJY-FSW"]
    assert all(catalogue.merged_into(c) == merged for c in covered)
    case = apply(company.applicant, "ZZ-SYJY", company.uscc, vet={"scope": ["biological", "non_biological"]})
    reviews = list(case.tasks.filter(kind="review"))
    assert [t.key for t in reviews] == ["ZZ-SYJY:AGRICULTURE"]  # one review, one department
    decide(reviews[0].pk, reviewer_for("AGRICULTURE"), "approve")
    case.refresh_from_db()
    assert case.status == "delivered" and len(case.outputs) == 1
    cred = licences.get_credential(case.outputs[0]["identifier"])
    assert cred.subject["covers"] == "兽用生物制品经营许可；非生物制品类兽药经营许可"
    assert "兽用生物制品" in cred.subject["permit_scope"] and "非生物制品类兽药" in cred.subject["permit_scope"]


def test_one_industry_one_permit_routes_each_department_and_issues_one_card(company):
    case = apply(company.applicant, "ZZ-HYZH-BLD", company.uscc)
    tasks = {t.key: t for t in case.tasks.filter(kind="review")}
    assert set(tasks) == {"ZZ-HYZH-BLD:AMR", "ZZ-HYZH-BLD:TOBACCO", "ZZ-HYZH-BLD:PRESS"}
    # Food is granted on commitment and prepackaged food is a filing: AMR's part approves at once;
    # publications are a commitment too; tobacco retail is still reviewed.
    assert tasks["ZZ-HYZH-BLD:AMR"].status == "approved" and tasks["ZZ-HYZH-BLD:PRESS"].status == "approved"
    assert tasks["ZZ-HYZH-BLD:TOBACCO"].status == "open"
    assert case.status == "in_review" and not case.outputs
    decide(tasks["ZZ-HYZH-BLD:TOBACCO"].pk, reviewer_for("TOBACCO"), "approve")
    case.refresh_from_db()
    assert case.status == "delivered" and len(case.outputs) == 1
    cred = licences.get_credential(case.outputs[0]["identifier"])
    assert cred.kind == "industry_permit.convenience_store"
    assert "烟草专卖零售许可" in cred.subject["covers"]
    # The covered commitments are checked afterwards, and bound to the one card.
    rows = Commitment.objects.filter(case_number=case.number).order_by("item_code")
    assert [r.item_code for r in rows] == ["ZZ-CBWLS", "ZZ-SPJY"]
    assert {r.credential_identifier for r in rows} == {cred.identifier}
    assert PostCheck.objects.filter(commitment__in=rows).count() == 2


def test_the_advisor_turns_activities_into_permits_and_offers_the_bundle(permit_zone):
    advice = permits.advise(["catering", "tobacco_retail", "light_freight", "vet_drugs", "nonsense"])
    by_mode = {m: [i.code for i in items] for m, items in advice.by_mode.items()}
    assert set(by_mode["commitment"]) >= {"ZZ-SPJY", "ZZ-XFJC", "ZZ-PSXK"}
    assert "ZZ-HPBA" in by_mode["filing"]
    assert "ZZ-PTHY45" in by_mode["cancelled"]
    assert "ZZ-YCLS" in by_mode["optimised"]
    # 两证合一: either vet permit leads to the merged one, once.
    assert by_mode["optimised"].count("ZZ-SYJY") == 1 and "ZZ-SYJY-SW" not in by_mode["optimised"]
    assert [b.code for b in advice.bundles] == ["YJS-KCG"]
    assert advice.unknown == ["nonsense"]
    store = permits.advise(["convenience_store"])
    assert [i.code for i in store.industry_permits] == ["ZZ-HYZH-BLD"] and not store.items
