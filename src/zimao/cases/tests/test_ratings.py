"""好差评 completed (GB/T 39734, 国办发〔2019〕51号): reasons per level, 回访核实 before a
rectification closes, escalation of a poor follow-up, 申诉复核 with a decision that is audited
and takes a removed rating off the dashboard. Through the service functions and the API."""

from __future__ import annotations

import pytest

from zimao.cases import ratings, services
from zimao.cases.models import Rating, RatingAppeal, Task
from zimao.core.errors import BusinessError, Conflict, Forbidden, NotFound
from zimao.core.models import AuditEvent
from zimao.testing import submit

pytestmark = pytest.mark.django_db


def poor(zone, level=2, trade_name="智远"):
    case = submit(zone.applicant, trade_name=trade_name).case
    return case, services.rate(case.number, zone.applicant, level, "等待时间太长", reasons=["long_wait", "other"])


def test_reasons_belong_to_their_level(zone):
    case = submit(zone.applicant).case
    with pytest.raises(BusinessError) as exc:
        services.rate(case.number, zone.applicant, 5, reasons=["long_wait"])  # a poor reason on a good rating
    assert exc.value.problems[0].field == "reasons" and "long_wait" in exc.value.problems[0].en
    with pytest.raises(BusinessError) as exc:
        services.rate(case.number, zone.applicant, 2, reasons=["other"])  # "other" needs the comment
    assert exc.value.problems[0].field == "comment"
    rating = services.rate(case.number, zone.applicant, 5, reasons=["one_visit", "efficient"])
    assert rating.reasons == ["efficient", "one_visit"]  # the list's order
    assert ratings.reason_words(5, rating.reasons) == [("办事效率高", "Quick service"), ("一次办成", "Done in one go")]
    assert {k for k, _zh, _en in ratings.REASONS[1]} == {k for k, _zh, _en in ratings.REASONS[2]}
    assert "attitude" in {k for k, _zh, _en in ratings.REASONS[1]} and "attitude_good" in {
        k for k, _zh, _en in ratings.REASONS[4]
    }


def test_rectification_needs_verification_before_the_rater_is_asked_again(zone):
    case, rating = poor(zone)
    task = rating.rectification
    services.rectify(task.pk, zone.reviewer, "已优化窗口排队流程")
    with pytest.raises(Conflict):
        services.follow_up(case.number, zone.applicant, 4)  # not verified yet
    assert not ratings.awaiting_follow_up(Rating.objects.get(pk=rating.pk))
    with pytest.raises(Forbidden):
        services.verify_rectification(case.number, zone.reviewer, "自己核实")  # not the department itself
    with pytest.raises(BusinessError) as exc:
        services.verify_rectification(case.number, zone.clerk, " ")
    assert exc.value.problems[0].field == "note"
    services.verify_rectification(case.number, zone.clerk, "电话回访：申请人确认已改进")
    with pytest.raises(Conflict):
        services.verify_rectification(case.number, zone.admin, "again")
    assert ratings.awaiting_follow_up(Rating.objects.get(pk=rating.pk))
    rating = services.follow_up(case.number, zone.applicant, 4)
    assert rating.follow_up_level == 4 and rating.escalation is None
    assert AuditEvent.objects.filter(action="case.rating_verified", actor="clerk").exists()


def test_verification_waits_for_the_department(zone):
    case, _rating = poor(zone)
    with pytest.raises(Conflict):
        services.verify_rectification(case.number, zone.clerk, "未整改")


def test_a_poor_follow_up_escalates_to_the_zone_administrator(zone):
    case, rating = poor(zone, level=1)
    services.rectify(rating.rectification.pk, zone.reviewer, "已解释说明")
    services.verify_rectification(case.number, zone.admin, "已回访")
    rating = services.follow_up(case.number, zone.applicant, 2)
    task = rating.escalation
    assert task.department.code == "ADMIN" and task.kind == Task.Kind.RECTIFICATION and task.status == Task.Status.OPEN
    assert case.notifications.filter(department__code="ADMIN", message_zh__startswith="督办").exists()
    assert task in services.worklist(zone.admin)
    services.rectify(task.pk, zone.admin, "管委会督办：窗口人员已培训")
    from zimao.notify.services import notifications_for_case

    assert any("督办" in n.line_zh for n in notifications_for_case(zone.applicant, case.number))


def test_appeal_and_review_remove_a_rating_from_the_dashboard(zone):
    from zimao.monitor.models import MonitorEvent, Rollup

    case, rating = poor(zone)
    other, good = submit(zone.applicant, trade_name="远航").case, None
    good = services.rate(other.number, zone.applicant, 5)
    assert MonitorEvent.objects.filter(stream="cases.ratings").count() == 2
    with pytest.raises(NotFound):
        services.appeal(case.number, zone.reviewer_tax, "不是我们办的")  # not the rated unit
    with pytest.raises(BusinessError):
        services.appeal(case.number, zone.reviewer, "")
    item = services.appeal(case.number, zone.reviewer, "申请人评价的是另一窗口的服务（评价对象错误）")
    with pytest.raises(Conflict):
        services.appeal(case.number, zone.reviewer, "again")
    with pytest.raises(Forbidden):
        services.review_appeal(item.pk, zone.reviewer, "removed", "x")  # only the administrator reviews
    with pytest.raises(BusinessError) as exc:
        services.review_appeal(item.pk, zone.admin, "deleted", "x")
    assert exc.value.problems[0].field == "decision"
    item = services.review_appeal(item.pk, zone.admin, "removed", "核实为评价对象错误")
    with pytest.raises(Conflict):
        services.review_appeal(item.pk, zone.admin, "upheld", "again")
    rating.refresh_from_db()
    assert rating.voided and Rating.objects.filter(pk=rating.pk).exists()  # kept, never deleted
    assert Task.objects.get(pk=rating.rectification_id).status == Task.Status.CANCELLED
    # The dashboard counts the good rating only.
    assert list(MonitorEvent.objects.filter(stream="cases.ratings").values_list("ref", flat=True)) == [other.number]
    assert sum(Rollup.objects.filter(stream="cases.ratings", dimension="2").values_list("count", flat=True)) == 0
    event = AuditEvent.objects.get(action="case.rating_removed")
    assert event.actor == "admin" and event.after["reason"] == "核实为评价对象错误"
    assert good.voided is False


def test_an_upheld_rating_stays_counted(zone):
    from zimao.monitor.models import MonitorEvent

    case, rating = poor(zone)
    item = services.appeal(case.number, zone.reviewer, "恶意差评")
    services.review_appeal(item.pk, zone.admin, "upheld", "评价属实")
    rating.refresh_from_db()
    assert not rating.voided and RatingAppeal.objects.get(pk=item.pk).status == "upheld"
    assert Task.objects.get(pk=rating.rectification_id).status == Task.Status.OPEN
    assert MonitorEvent.objects.filter(stream="cases.ratings", ref=case.number).exists()


# ---------------------------------------------------------------- API


def test_the_api_journey(zone):
    from django.test import Client

    from zimao.core.apiauth import issue_token

    def client(user):
        return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")

    reasons = Client().get("/api/v1/rating-reasons").json()
    assert [r["level"] for r in reasons] == [5, 4, 3, 2, 1]
    assert any(r["key"] == "long_wait" for r in reasons[3]["reasons"])
    case = submit(zone.applicant).case
    applicant = client(zone.applicant)
    bad = applicant.post(
        f"/api/v1/cases/{case.number}/rating", {"level": 4, "reasons": ["attitude"]}, content_type="application/json"
    )
    assert bad.status_code == 422 and "reasons" in bad.content.decode()
    ok = applicant.post(
        f"/api/v1/cases/{case.number}/rating",
        {"level": 1, "reasons": ["attitude"], "comment": "态度差"},
        content_type="application/json",
    )
    assert ok.status_code == 201 and ok.json()["reasons"] == ["attitude"]
    task = ok.json()["rectification_task"]
    assert (
        client(zone.reviewer)
        .post(f"/api/v1/tasks/{task}/rectification", {"answer": "已约谈"}, content_type="application/json")
        .status_code
        == 200
    )
    assert (
        client(zone.reviewer)
        .post(f"/api/v1/cases/{case.number}/rating/verification", {"note": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    verified = client(zone.clerk).post(
        f"/api/v1/cases/{case.number}/rating/verification", {"note": "已回访"}, content_type="application/json"
    )
    assert verified.status_code == 200
    appealed = client(zone.reviewer).post(
        f"/api/v1/cases/{case.number}/rating/appeal",
        {"reason": "恶意差评，有录音为证"},
        content_type="application/json",
    )
    assert appealed.status_code == 201 and appealed.json()["status"] == "pending"
    assert client(zone.reviewer).get("/api/v1/rating-appeals").status_code == 403
    pending = client(zone.admin).get("/api/v1/rating-appeals").json()
    assert [a["case"] for a in pending] == [case.number]
    missing = client(zone.admin).post(
        f"/api/v1/rating-appeals/{pending[0]['id']}/decision",
        {"decision": "removed", "reason": ""},
        content_type="application/json",
    )
    assert missing.status_code == 422 and '"reason"' in missing.content.decode()
    decided = client(zone.admin).post(
        f"/api/v1/rating-appeals/{pending[0]['id']}/decision",
        {"decision": "removed", "reason": "录音证实为恶意差评"},
        content_type="application/json",
    )
    assert (
        decided.status_code == 200
        and decided.json()["status"] == "removed"
        and decided.json()["rating_counts"] is False
    )
