"""Provisional due dates are recomputed when the year's holiday arrangement is entered
(``cases/deadlines.py`` answering ``core.calendar.arrangement_changing``): the case's promised and
legal dates with their own flags, its open tasks and every timer not yet fired."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from zimao.cases import services
from zimao.cases.models import Timer
from zimao.catalog.models import ServiceItem
from zimao.core import calendar
from zimao.core.models import AuditEvent, CalendarDay
from zimao.testing import submit

pytestmark = pytest.mark.django_db
D = dt.date
NOTICE_2027 = (
    "2027-01-01,休,元旦\n"
    + "".join(f"2027-02-{d:02d},休,春节\n" for d in (5, 8, 9, 10, 11))
    + "2027-02-20,班,春节调休上班\n"
)


@pytest.fixture
def december_case(zone):
    """A case under review submitted on Monday 28 December 2026, limits 20 (promised) and 30 (legal)
    working days, with a review task of 30 working days: every date lands in provisional 2027."""
    calendar.clear_cache()
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    ServiceItem.objects.filter(pk=case.service_id).update(promised_limit_days=20, legal_limit_days=30)
    case.refresh_from_db()
    case.service.refresh_from_db()
    start = dt.datetime(2026, 12, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    case.submitted_at = start
    services._set_due_dates(case)
    case.save()
    task = case.tasks.get(key="registration")
    task.created_at = start
    task.due_date = calendar.add_working_days(start, 30).date
    task.save()
    Timer.objects.filter(case=case, kind=Timer.Kind.CASE_DUE).update(fire_on=case.due_date)
    Timer.objects.filter(task=task).update(fire_on=task.due_date)
    yield case, task
    calendar.clear_cache()


def test_provisional_dates_are_flagged_separately(december_case, zone):
    case, task = december_case
    # Statutory holidays assumed: 1 Jan; 5 and 8 Feb (春节) with 9 and 10 Feb in lieu.
    assert (case.due_date, case.legal_due_date) == (D(2027, 1, 26), D(2027, 2, 15))
    assert case.due_date_provisional and case.legal_due_date_provisional
    assert task.due_date == D(2027, 2, 15)
    short = submit(zone.applicant, trade_name="远航").case
    assert not short.due_date_provisional or short.due_date.year >= 2027


def test_import_recomputes_due_dates_tasks_and_timers(december_case, tmp_path, capsys):
    case, task = december_case
    path = tmp_path / "2027.csv"
    path.write_text(NOTICE_2027, encoding="utf-8")
    call_command("calendar", "import", str(path), "--source", "测试通知")
    assert "recomputed 1 cases, 1 tasks, 1 timers" in capsys.readouterr().out
    case.refresh_from_db()
    task.refresh_from_db()
    # Entered: 1 Jan and 5, 8–11 Feb off, no statutory days in lieu; 20 WD still 26 Jan, 30 WD now 16 Feb.
    assert (case.due_date, case.legal_due_date) == (D(2027, 1, 26), D(2027, 2, 16))
    assert not case.due_date_provisional and not case.legal_due_date_provisional
    assert task.due_date == D(2027, 2, 16)
    fire = dict(Timer.objects.filter(case=case).values_list("kind", "fire_on"))
    assert fire == {Timer.Kind.CASE_DUE: D(2027, 1, 26), Timer.Kind.TASK_DUE: D(2027, 2, 16)}
    event = AuditEvent.objects.get(action="case.due_dates_recomputed")
    assert event.before["legal_due_date"] == "2027-02-15" and event.after["legal_due_date"] == "2027-02-16"
    assert AuditEvent.objects.filter(action="task.due_date_recomputed").count() == 1


def test_an_administrators_holiday_moves_the_deadlines_too(december_case, admin_client):
    case, task = december_case
    response = admin_client.post("/admin/core/calendarday/add/", {"date": "2027-01-25", "name": "测试放假"})
    assert response.status_code == 302
    assert CalendarDay.objects.filter(date=D(2027, 1, 25)).exists()
    case.refresh_from_db()
    task.refresh_from_db()
    assert case.due_date == D(2027, 1, 27) and case.due_date_provisional  # 2027 still not entered
    assert task.due_date == D(2027, 2, 16)
    assert Timer.objects.get(case=case, kind=Timer.Kind.CASE_DUE).fire_on == D(2027, 1, 27)


def test_finished_cases_and_fired_timers_are_left_alone(december_case, zone):
    case, task = december_case
    Timer.objects.filter(case=case, kind=Timer.Kind.CASE_DUE).update(
        fired_at=dt.datetime(2027, 1, 27, tzinfo=ZoneInfo("UTC"))
    )
    other = submit(zone.applicant, trade_name="远航").case  # straight through: delivered
    before = (other.due_date, other.legal_due_date)
    year, days = calendar.parse_arrangement(NOTICE_2027)
    report = calendar.enter_arrangement(year, days, "测试通知")
    assert report.recomputed == [{"cases": 1, "tasks": 1, "timers": 1}]
    other.refresh_from_db()
    assert (other.due_date, other.legal_due_date) == before
    assert Timer.objects.get(case=case, kind=Timer.Kind.CASE_DUE).fire_on == D(2027, 1, 26)
