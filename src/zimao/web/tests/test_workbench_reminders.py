"""The department's reminders (催办/督办) on the officers' workbench: its own department's unread
ones, counted, each linking to its case; marked read by the department's officers only."""

from __future__ import annotations

import pytest
from django.test import Client

from zimao.cases import reminders
from zimao.cases import services as engine
from zimao.cases.models import Notification
from zimao.catalog.models import Department
from zimao.core.errors import NotFound
from zimao.testing import submit


def review_case(zone, trade_name="智远"):
    case = submit(zone.applicant, trade_name, registration={"articles": "custom"}).case
    return case, case.tasks.get(key="registration")


@pytest.fixture
def reminded(zone):
    """Two reminders for the reviewer's department (AMR), one for taxation, one to a person."""
    case, task = review_case(zone)
    overdue = engine.notify(case, department=task.department, zh="任务已超期", en="The task is overdue")
    follow = engine.notify(case, department=task.department, zh="后续任务 <b>", en="A follow-up <b>")
    tax = engine.notify(case, department=Department.objects.get(code="TAX"), zh="税务催办", en="Tax reminder")
    return case, task, overdue, follow, tax


def test_an_officer_reads_the_departments_unread_reminders_each_with_its_case(zone, reminded):
    case, task, overdue, follow, tax = reminded
    rows, total = reminders.unread_for(zone.reviewer)
    assert total == 2
    assert [r.notification.pk for r in rows] == [follow.pk, overdue.pk]  # newest first
    assert {r.task_id for r in rows} == {task.pk}  # the department's open task on the case
    rows, total = reminders.unread_for(zone.reviewer_tax)
    assert [r.notification.pk for r in rows] == [tax.pk] and rows[0].task_id is None  # no tax task yet
    assert reminders.unread_for(zone.applicant) == ([], 0)
    assert reminders.unread_for(zone.admin) == ([], 0)  # another department's inbox


def test_only_the_departments_officers_mark_a_reminder_read(zone, reminded):
    _case, _task, overdue, follow, tax = reminded
    for someone in (zone.reviewer_tax, zone.admin, zone.clerk, zone.applicant):
        with pytest.raises(NotFound):
            reminders.mark_read(someone, overdue.pk)
    reminders.mark_read(zone.reviewer, overdue.pk)
    overdue.refresh_from_db()
    assert overdue.read_at is not None
    assert reminders.unread_for(zone.reviewer)[1] == 1
    assert reminders.mark_all_read(zone.reviewer) == 1
    assert reminders.unread_for(zone.reviewer) == ([], 0)
    assert Notification.objects.get(pk=tax.pk).read_at is None  # taxation's is still unread


def test_the_workbench_lists_counts_and_marks_reminders_read(zone, reminded):
    case, task, overdue, follow, tax = reminded
    client = Client(enforce_csrf_checks=True)
    client.force_login(zone.reviewer)
    page = client.get("/workbench/").content.decode()
    assert "催办提醒（2条未读）" in page
    assert f'href="/workbench/tasks/{task.pk}/"' in page and "任务已超期" in page
    assert "后续任务 &lt;b&gt;" in page  # the engine's words are escaped
    assert "税务催办" not in page

    # Without the CSRF token: refused.
    assert client.post(f"/workbench/reminders/{overdue.pk}/read/").status_code == 403
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/workbench/reminders/{overdue.pk}/read/", {"csrfmiddlewaretoken": token, "next": "/workbench/?view=overdue"}
    )
    assert response.status_code == 302 and response["Location"] == "/workbench/?view=overdue#reminders"
    page = client.get("/workbench/").content.decode()
    assert "催办提醒（1条未读）" in page and "任务已超期" not in page
    # Another department's reminder is "not found", like one that does not exist.
    assert client.post(f"/workbench/reminders/{tax.pk}/read/", {"csrfmiddlewaretoken": token}).status_code == 404
    assert client.post("/workbench/reminders/read/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert "本部门没有未读的催办提醒" in client.get("/workbench/").content.decode()

    client.cookies["django_language"] = "en"
    engine.notify(case, department=task.department, zh="督办：任务已超期", en="Escalated: the task is overdue")
    page = client.get("/workbench/?lang=en").content.decode()
    assert "Reminders (1 unread)" in page and "Escalated: the task is overdue" in page


def test_a_stuck_cases_reminder_links_to_it_on_the_workbench(zone):
    case, task = review_case(zone)
    engine.mark_stuck(case.pk, RuntimeError("plugin failed"))
    [row], total = reminders.unread_for(zone.reviewer)
    assert total == 1 and row.task_id == task.pk
    # No task of the department on the case: the reminder points at the case in the stuck list.
    type(task).objects.filter(pk=task.pk).update(department=Department.objects.get(code="TAX"))
    [row], _ = reminders.unread_for(zone.reviewer)
    assert row.task_id is None
    client = Client()
    client.force_login(zone.reviewer)
    page = client.get("/workbench/").content.decode()
    assert f'href="#stuck-{case.number}"' in page and f'id="stuck-{case.number}"' in page
