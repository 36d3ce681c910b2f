"""The case engine through its service functions: straight-through, review, corrections,
versions, ratings, timers and who may do what."""

from datetime import timedelta

import pytest
from django.utils import timezone

from zimao.cases import services
from zimao.cases.models import Case, Task, Timer
from zimao.cases.workflow import TRANSITIONS, CaseStatus, can_transition
from zimao.catalog.services import get_service, publish_process
from zimao.core import audit, calendar
from zimao.core.errors import BusinessError, Conflict, Forbidden, NotFound
from zimao.core.identifiers import validate_uscc
from zimao.testing import submit, upload_materials

pytestmark = pytest.mark.django_db


def test_transition_table_reads_as_the_rules():
    assert can_transition("submitted", "accepted")
    assert can_transition("suspended", "in_review")
    assert not can_transition("submitted", "approved")  # no decision before acceptance
    assert not can_transition("delivered", "in_review")  # finished is finished
    assert "withdrawn" not in TRANSITIONS["approved"]  # once approved, no withdrawal


def test_straight_through_issues_a_signed_licence_with_no_officer(zone):
    case = submit(zone.applicant).case
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED
    assert validate_uscc(case.results["uscc"]).valid
    assert case.results["entity_name"] == "洛阳智远科技有限公司"
    tasks = list(case.tasks.all())
    assert {t.key for t in tasks} == {"registration", "seal", "tax", "social_insurance", "housing_fund", "bank"}
    assert all(t.status == Task.Status.APPROVED and t.decided_by is None for t in tasks)
    [output] = case.outputs
    from zimao.licences import services as licences

    result = licences.verify(output["identifier"])
    assert result.genuine and result.status == "valid"
    assert audit.verify().ok


def test_only_chosen_steps_become_parallel_tasks(zone):
    case = submit(zone.applicant, steps={"selected": ["seal", "tax"]}).case
    assert set(case.tasks.values_list("key", flat=True)) == {"registration", "seal", "tax"}


def test_custom_articles_go_to_a_reviewer_then_run_in_parallel(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    reg = case.tasks.get(key="registration")
    assert reg.status == Task.Status.OPEN
    assert reg.auto_notes[0]["rule"] == "registry.standard_articles"
    assert services.worklist(zone.reviewer) == [reg]
    assert services.worklist(zone.reviewer_tax) == []
    services.decide(reg.pk, zone.reviewer, "approve")
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED
    assert case.tasks.get(key="tax").status == Task.Status.APPROVED


def test_reviewer_of_another_department_cannot_decide(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    reg = case.tasks.get(key="registration")
    with pytest.raises(Forbidden):
        services.decide(reg.pk, zone.reviewer_tax, "approve")
    with pytest.raises(NotFound):
        services.decide(reg.pk, zone.applicant, "approve")


def test_deciding_twice_is_refused(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    reg = case.tasks.get(key="registration")
    services.decide(reg.pk, zone.reviewer, "approve")
    with pytest.raises(Conflict):
        services.decide(reg.pk, zone.reviewer, "approve")
    assert Case.objects.get(pk=case.pk).results["uscc"]  # registered once
    from zimao.registry.models import MarketEntity

    assert MarketEntity.objects.filter(case_number=case.number).count() == 1


def test_missing_materials_wait_for_the_window_clerk(zone):
    case = submit(zone.applicant, materials=upload_materials(zone.applicant, keys=("articles",))).case
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED
    intake = case.tasks.get(kind=Task.Kind.INTAKE)
    assert "id_copy" in intake.auto_notes[0]["en"]
    with pytest.raises(Forbidden):
        services.decide(intake.pk, zone.reviewer, "approve")  # intake belongs to the window
    services.decide(intake.pk, zone.clerk, "refuse", "缺少身份证明")
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    # the name is free again once the case ends without a company
    assert submit(zone.applicant2).case.results["entity_name"] == "洛阳智远科技有限公司"


def test_refusal_needs_a_reason_and_closes_the_case(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    reg = case.tasks.get(key="registration")
    with pytest.raises(BusinessError) as err:
        services.decide(reg.pk, zone.reviewer, "refuse", "")
    assert err.value.problems[0].field == "reason"
    services.decide(reg.pk, zone.reviewer, "refuse", "章程条款违反公司法")
    case.refresh_from_db()
    assert case.status == CaseStatus.REFUSED and case.closed_reason == "章程条款违反公司法"


def test_window_delivery_by_mail_needs_tracking(zone):
    from zimao.cases.services import submit as engine_submit
    from zimao.testing import application

    case = engine_submit(
        zone.applicant,
        "QYKB-001",
        application(),
        materials=upload_materials(zone.applicant),
        delivery_method="mail",
        mail_address="洛阳市涧西区天津路1号",
    ).case
    case.refresh_from_db()
    assert case.status == CaseStatus.ISSUED
    with pytest.raises(Forbidden):
        services.record_delivery(case.number, zone.reviewer, "mail", "SF1234567890")
    with pytest.raises(BusinessError) as err:
        services.record_delivery(case.number, zone.clerk, "mail", "")
    assert err.value.problems[0].field == "tracking_number"
    services.record_delivery(case.number, zone.clerk, "mail", "sf1234567890")
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED and case.tracking_number == "SF1234567890"


def test_same_idempotency_key_makes_one_case(zone):
    materials = upload_materials(zone.applicant)
    first = submit(zone.applicant, key="click-1", materials=materials)
    second = submit(zone.applicant, key="click-1", materials=materials)  # the same request again
    assert first.created and not second.created
    assert first.case.pk == second.case.pk
    assert Case.objects.filter(applicant=zone.applicant).count() == 1


def test_taken_and_forbidden_names_are_refused_naming_the_field(zone):
    submit(zone.applicant)
    with pytest.raises(BusinessError) as err:
        submit(zone.applicant2)
    assert err.value.problems[0].field == "name.trade_name" and err.value.problems[0].code == "taken"
    with pytest.raises(BusinessError) as err:
        submit(zone.applicant2, trade_name="中华智远")
    assert err.value.problems[0].code == "forbidden"
    assert "中华" in err.value.problems[0].zh and "may not be used" in err.value.problems[0].en


def test_every_bad_field_is_reported_at_once(zone):
    with pytest.raises(BusinessError) as err:
        submit(
            zone.applicant,
            registration={"legal_rep_id": "110105194912310021", "legal_rep_phone": "123", "registered_capital": "abc"},
        )
    fields = {p.field for p in err.value.problems}
    assert {"registration.legal_rep_id", "registration.legal_rep_phone", "registration.registered_capital"} <= fields
    assert Case.objects.count() == 0


def test_identity_number_is_stored_encrypted_and_masked(zone):
    case = submit(zone.applicant).case
    entry = Case.objects.get(pk=case.pk).data["registration"]["legal_rep_id"]
    assert entry["masked"] == "1101**********002X"
    assert "11010519491231002X" not in str(Case.objects.filter(pk=case.pk).values_list("data", flat=True)[0])
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT legal_rep_id FROM registry_marketentity WHERE case_number = %s", [case.number])
        stored = cur.fetchone()[0]
    assert stored and "11010519491231002X" not in stored


def test_correction_pauses_the_clock_and_resumes_it(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    reg = case.tasks.get(key="registration")
    services.decide(reg.pk, zone.reviewer, "correct", "请补充章程第五条")
    case.refresh_from_db()
    assert case.status == CaseStatus.SUSPENDED
    due_before = case.due_date
    # the applicant answers three working days later
    three_days_ago = timezone.now() - timedelta(days=7)
    Case.objects.filter(pk=case.pk).update(suspended_at=three_days_ago)
    paused, _ = calendar.working_days_between(timezone.localdate(three_days_ago), timezone.localdate())
    assert paused >= 3
    services.answer_correction(
        case.number, zone.applicant, "已补充", data={"registration": {"address": "洛阳市涧西区天津路2号"}}
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert case.paused_days == paused
    assert case.due_date == calendar.add_working_days(due_before, paused).date
    assert case.data["registration"]["address"] == "洛阳市涧西区天津路2号"
    assert case.data["registration"]["legal_rep_id"]["masked"] == "1101**********002X"
    services.decide(reg.pk, zone.reviewer, "approve")
    case.refresh_from_db()
    assert case.status == CaseStatus.DELIVERED


def test_withdrawal(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    with pytest.raises(NotFound):
        services.withdraw(case.number, zone.applicant2)
    services.withdraw(case.number, zone.applicant)
    case.refresh_from_db()
    assert case.status == CaseStatus.WITHDRAWN
    assert not case.tasks.filter(status=Task.Status.OPEN).exists()


def test_running_case_keeps_its_process_version(zone):
    running = submit(zone.applicant, registration={"articles": "custom"}).case
    service = get_service("QYKB-001")
    v1 = running.process.definition
    v2 = {**v1, "stages": [s if s["key"] != "registration" else {**s, "deadline_days": 2} for s in v1["stages"]]}
    proc2 = publish_process(service, v2)
    assert proc2.version == running.process.version + 1
    newer = submit(zone.applicant2, trade_name="远航", registration={"articles": "custom"}).case
    assert newer.process_id == proc2.pk
    running.refresh_from_db()
    assert running.process.version == 1
    services.decide(running.tasks.get(key="registration").pk, zone.reviewer, "approve")
    running.refresh_from_db()
    assert running.status == CaseStatus.DELIVERED


def test_due_dates_count_working_days(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    start = timezone.localdate(case.submitted_at)
    assert case.due_date == calendar.add_working_days(start, 1).date
    assert case.legal_due_date == calendar.add_working_days(start, 3).date


def test_extension_by_an_administrator(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    with pytest.raises(Forbidden):
        services.extend(case.number, zone.reviewer, 5, "需要现场核查")
    services.extend(case.number, zone.admin, 3, "需要现场核查")
    case.refresh_from_db()
    assert case.extension_days == 3
    assert case.due_date == calendar.add_working_days(timezone.localdate(case.submitted_at), 4).date


def test_poor_named_rating_opens_rectification(zone):
    case = submit(zone.applicant).case
    with pytest.raises(NotFound):
        services.rate(case.number, zone.applicant2, 1)
    rating = services.rate(case.number, zone.applicant, 2, "等待时间太长", reasons=["long_wait"])
    task = rating.rectification
    assert task.kind == Task.Kind.RECTIFICATION and task.department.code == "AMR"
    assert task.due_date == calendar.add_working_days(timezone.localdate(), 10).date
    with pytest.raises(Conflict):
        services.rate(case.number, zone.applicant, 5)  # one rating per case
    services.rectify(task.pk, zone.reviewer, "已优化窗口排队流程")
    services.verify_rectification(case.number, zone.clerk, "电话回访，申请人确认已改进")  # 回访核实
    rating = services.follow_up(case.number, zone.applicant, 4)
    assert rating.follow_up_level == 4


def test_good_or_anonymous_ratings_open_nothing(zone):
    a = submit(zone.applicant).case
    b = submit(zone.applicant, trade_name="远航").case
    assert services.rate(a.number, zone.applicant, 5).rectification is None
    assert services.rate(b.number, zone.applicant, 1, named=False, reasons=["attitude"]).rectification is None


def test_sweep_escalates_an_overdue_task_once(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    reg = case.tasks.get(key="registration")
    later = calendar.add_working_days(reg.due_date, 2).date
    first = services.sweep(today=later)
    second = services.sweep(today=later)
    assert first["escalated_tasks"] == 1 and second["escalated_tasks"] == 0
    reg.refresh_from_db()
    assert reg.escalated
    departments = set(case.notifications.values_list("department__code", flat=True))
    assert {"AMR", "ADMIN"} <= departments
    assert Timer.objects.filter(task=reg, fired_at__isnull=False).count() == 1


def test_sweep_leaves_decided_tasks_alone(zone):
    case = submit(zone.applicant).case
    later = calendar.add_working_days(timezone.localdate(), 10).date
    assert services.sweep(today=later)["escalated_tasks"] == 0
    assert not case.notifications.exists()


def test_applicant_sees_only_their_own_cases(zone):
    case = submit(zone.applicant, steps={"selected": ["seal"]}).case  # no tax task on this case
    assert services.get_case_for(zone.applicant, case.number) == case
    for outsider in (zone.applicant2, zone.reviewer_tax):
        with pytest.raises(NotFound):
            services.get_case_for(outsider, case.number)
    assert services.get_case_for(zone.clerk, case.number) == case  # the window hands results out
    assert services.get_case_for(zone.reviewer, case.number) == case  # AMR has a task on it


def test_audit_chain_detects_an_edited_event(zone):
    submit(zone.applicant)
    assert audit.verify().ok
    from zimao.core.models import AuditEvent

    victim = AuditEvent.objects.order_by("id")[3]
    AuditEvent.objects.filter(pk=victim.pk).update(actor="mallory")
    result = audit.verify()
    assert not result.ok and result.broken_seq == victim.pk
    assert result.where == f"{victim.object_type}:{victim.object_id}/{victim.object_seq}"


def test_finished_cases_feed_the_dashboard(zone):
    from zimao.monitor import readout  # noqa: F401 — the dashboard app is installed
    from zimao.monitor.models import MonitorEvent

    case = submit(zone.applicant).case
    services.rate(case.number, zone.applicant, 5)
    keys = set(MonitorEvent.objects.values_list("event_key", flat=True))
    assert {f"case:{case.number}", f"establishment:{case.number}", f"rating:{case.number}"} <= keys
    assert any(k.startswith("entity:") for k in keys)


@pytest.mark.django_db
def test_a_material_sent_under_another_key_than_its_upload_is_filed_under_the_key_sent(zone):
    from zimao.cases.models import Material
    from zimao.testing import upload_materials

    uploaded = upload_materials(zone.applicant)
    swapped = {"articles": uploaded["premises"], "premises": uploaded["articles"], "id_copy": uploaded["id_copy"]}
    case = submit(zone.applicant, "换键", materials=swapped).case
    filed = dict(Material.objects.filter(case=case).values_list("pk", "key"))
    assert filed == {pk: key for key, pk in swapped.items()}
