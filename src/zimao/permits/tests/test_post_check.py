"""The post-approval check (事后核查): a false commitment revokes the permit at once, records it
against the company and shows on verification; a true one lets the permit stand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from zimao.cases.models import Notification, Task
from zimao.cases.services import sweep
from zimao.core.errors import BusinessError, Conflict
from zimao.licences import services as licences
from zimao.notify.models import Notification as NotifyNotification
from zimao.permits import services as permits
from zimao.permits.models import Commitment, CreditRecord, PostCheck
from zimao.permits.tests.helpers import reviewer_for
from zimao.permits.tests.test_modes import commit

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(company):
    grant = commit(company)  # 拍卖 (ZZ-PM), checked by the Commerce Bureau
    check = PostCheck.objects.get(commitment__case_number=grant.case.number)
    business = next(c for c in licences.credentials_for(company.uscc) if c.kind == "business_licence")
    return grant, check, business


def test_a_false_commitment_revokes_records_and_shows_on_verification_at_once(company, granted):
    grant, check, business = granted
    permit = grant.credentials[0]
    before = licences.verify(business.identifier)
    assert {c.identifier: s for c, s in before.holder_credentials}[permit.identifier] == "valid"

    officer = reviewer_for("COMMERCE")
    permits.record_post_check(check.pk, officer, "false", "现场核查无拍卖师，承诺不实")

    permit.refresh_from_db()
    assert permit.status == "revoked" and "承诺不实" in permit.status_reason
    # The public verification of the permit itself, and of the business licence's QR code.
    assert licences.verify(permit.identifier).status == "revoked"
    after = licences.verify(business.identifier)
    assert after.current  # the business licence itself stands
    assert {c.identifier: s for c, s in after.holder_credentials}[permit.identifier] == "revoked"
    record = CreditRecord.objects.get()
    assert record.holder_uscc == company.uscc and record.kind == "false_commitment"
    assert record.credential_identifier == permit.identifier and "现场核查无拍卖师" in record.details_zh
    assert Commitment.objects.get().status == "false"
    task = Task.objects.get(pk=check.task_id)
    assert task.status == "refused" and task.decided_by == officer
    # The applicant is told in the notification centre (zimao.notify subscribes to case.message).
    assert NotifyNotification.objects.filter(
        user=company.applicant, kind="message", line_zh__contains="许可已撤销"
    ).exists()
    assert permits.company_record(company.applicant, company.uscc).credit_records == [record]


def test_the_verification_page_says_revoked(client, company, granted):
    grant, check, business = granted
    permits.record_post_check(check.pk, reviewer_for("COMMERCE"), "false", "承诺不实")
    page = client.get(f"/verify/{business.identifier}/")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = page.content.decode()
    assert grant.credentials[0].identifier in html and "已吊销" in html


def test_a_true_commitment_lets_the_permit_stand(company, granted):
    grant, check, _business = granted
    permits.record_post_check(check.pk, get_user_model().objects.get(username="admin"), "true", "现场核查属实")
    assert licences.verify(grant.credentials[0].identifier).current
    assert Commitment.objects.get().status == "verified" and not CreditRecord.objects.exists()
    assert Task.objects.get(pk=check.task_id).status == "approved"


def test_only_the_department_decides_once_with_findings(company, granted):
    _grant, check, _business = granted
    with pytest.raises(BusinessError) as exc:
        permits.record_post_check(check.pk, get_user_model().objects.get(username="reviewer"), "false", "x")
    assert exc.value.status == 404  # another department's check looks like no check at all
    officer = reviewer_for("COMMERCE")
    with pytest.raises(BusinessError):
        permits.record_post_check(check.pk, officer, "false", "  ")
    with pytest.raises(BusinessError):
        permits.record_post_check(check.pk, officer, "maybe", "x")
    permits.record_post_check(check.pk, officer, "true", "属实")
    with pytest.raises(Conflict):
        permits.record_post_check(check.pk, officer, "false", "再查")


def test_the_check_is_on_the_departments_worklist_and_escalates_when_overdue(company, granted):
    from zimao.cases.services import worklist

    _grant, check, _business = granted
    officer = reviewer_for("COMMERCE")
    assert [c.pk for c in permits.post_checks_for(officer)] == [check.pk]
    assert check.task_id in [t.pk for t in worklist(officer)]
    counts = sweep(today=check.due_date + dt.timedelta(days=1))
    assert counts["escalated_tasks"] >= 1
    assert Task.objects.get(pk=check.task_id).escalated
    assert Notification.objects.filter(department__code="COMMERCE", message_zh__contains="已超期").exists()


def test_a_revoked_permit_can_no_longer_be_revoked_twice(company, granted):
    grant, check, _business = granted
    licences.revoke(grant.credentials[0].identifier, "其他原因吊销", "system:test")
    permits.record_post_check(check.pk, reviewer_for("COMMERCE"), "false", "承诺不实")
    assert CreditRecord.objects.count() == 1  # still recorded against the company


def test_the_workbench_decides_a_post_check_in_two_clicks(company, granted):
    """The check is a follow-up task on the engine's workbench: refuse = the commitment is false."""
    from zimao.cases import services as cases

    grant, check, business = granted
    officer = reviewer_for("COMMERCE")
    task = check.task
    assert task.kind == Task.Kind.FOLLOW_UP
    assert task in cases.worklist(officer)
    cases.decide(task.pk, officer, "refuse", "现场核查：承诺不实")
    permit = grant.credentials[0]
    permit.refresh_from_db()
    assert permit.status == "revoked"
    with pytest.raises(Conflict):
        cases.decide(task.pk, officer, "approve")


def test_a_true_post_check_from_the_workbench_keeps_the_permit(company, granted):
    from zimao.cases import services as cases

    grant, check, business = granted
    cases.decide(check.task.pk, reviewer_for("COMMERCE"), "approve")
    permit = grant.credentials[0]
    permit.refresh_from_db()
    assert permit.status == "valid" and Commitment.objects.get().status == "verified"
