"""Business calendar (工作日历): holidays, make-up working days, provisional years, the cache,
seeding from chinesecalendar, the ``zimao calendar`` command and the calendar admin."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from zimao.core import calendar
from zimao.core.models import AuditEvent, CalendarDay, CalendarYear, SigningKey

pytestmark = pytest.mark.django_db
D = dt.date
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def seeded_calendar():
    """The migration seeds 2004–2026; re-seed in case a transactional test elsewhere flushed it.
    The per-process cache is cleared around each test because rollbacks send no signals."""
    if not CalendarYear.objects.filter(year=2026).exists():
        calendar.seed_from_package()
    calendar.clear_cache()
    yield
    calendar.clear_cache()


# ----------------------------------------------------------------------------- which days work


def test_spring_festival_2026_and_its_make_up_saturdays():
    # 2026: 春节 15–23 Feb off (9 days); Saturday 14 Feb and Saturday 28 Feb are working days.
    assert calendar.is_workday(D(2026, 2, 13))  # Friday
    assert calendar.is_workday(D(2026, 2, 14))  # Saturday, 调休上班
    for day in range(15, 24):
        assert not calendar.is_workday(D(2026, 2, day)), day
    assert calendar.is_workday(D(2026, 2, 24))
    assert calendar.is_workday(D(2026, 2, 28))  # Saturday, 调休上班
    assert not calendar.is_workday(D(2026, 3, 1))  # an ordinary Sunday


def test_make_up_sunday_and_national_day():
    assert calendar.is_workday(D(2026, 1, 4))  # Sunday after New Year's Day, 调休上班
    assert calendar.is_workday(D(2026, 9, 20))  # Sunday before National Day
    assert not any(calendar.is_workday(D(2026, 10, d)) for d in range(1, 8))
    assert calendar.add_working_days(D(2026, 9, 30), 1).date == D(2026, 10, 8)


def test_seeded_rows_have_names_and_source():
    row = CalendarDay.objects.get(date=D(2026, 2, 16))
    assert (row.is_workday, row.name, row.source) == (False, "春节 Spring Festival", "package")
    make_up = CalendarDay.objects.get(date=D(2026, 2, 14))
    assert make_up.is_workday and make_up.name.startswith("春节调休上班")
    # Only non-standard days are stored: the festival's Saturday/Sunday are not rows.
    assert not CalendarDay.objects.filter(date=D(2026, 2, 21)).exists()
    assert CalendarDay.objects.filter(date__year=2026).count() == 25


def test_datetime_counts_as_its_shanghai_day():
    # 17:00 UTC on Sunday 8 March is 01:00 on Monday 9 March in Shanghai.
    late = dt.datetime(2026, 3, 8, 17, 0, tzinfo=dt.UTC)
    assert calendar.is_workday(late)
    assert calendar.add_working_days(late, 1).date == D(2026, 3, 10)


# ----------------------------------------------------------------------------- counting


def test_day_one_is_the_first_working_day_after_start():
    assert calendar.add_working_days(D(2026, 3, 9), 1).date == D(2026, 3, 10)  # Monday -> Tuesday
    assert calendar.add_working_days(D(2026, 3, 6), 1).date == D(2026, 3, 9)  # Friday -> Monday
    assert calendar.add_working_days(D(2026, 3, 7), 1).date == D(2026, 3, 9)  # Saturday -> Monday
    evening = dt.datetime(2026, 3, 6, 23, 30, tzinfo=SHANGHAI)
    assert calendar.add_working_days(evening, 1).date == D(2026, 3, 9)


def test_counting_across_spring_festival():
    assert calendar.add_working_days(D(2026, 2, 13), 1) == calendar.Deadline(D(2026, 2, 14), provisional=False)
    assert calendar.add_working_days(D(2026, 2, 13), 2).date == D(2026, 2, 24)
    assert calendar.add_working_days(D(2026, 2, 13), 6).date == D(2026, 2, 28)
    assert calendar.working_days_between(D(2026, 2, 13), D(2026, 2, 28)) == (6, False)
    assert calendar.working_days_between(D(2026, 2, 28), D(2026, 2, 13)) == (-6, False)


def test_zero_and_negative():
    assert calendar.add_working_days(D(2026, 3, 7), 0).date == D(2026, 3, 7)
    assert calendar.add_working_days(D(2026, 2, 24), -1).date == D(2026, 2, 14)
    assert calendar.add_working_days(D(2026, 3, 9), -1).date == D(2026, 3, 6)


@pytest.mark.parametrize("start", [D(2026, 1, 1), D(2026, 2, 10), D(2026, 4, 30), D(2026, 9, 18)])
@pytest.mark.parametrize("n", [1, 5, 20, 60])
def test_between_inverts_add(start, n):
    due = calendar.add_working_days(start, n)
    assert calendar.is_workday(due.date)
    assert calendar.working_days_between(start, due.date) == (n, False)


def test_next_workday():
    assert calendar.next_workday(D(2026, 2, 14)) == D(2026, 2, 24)
    assert calendar.next_workday(D(2026, 2, 14), inclusive=True) == D(2026, 2, 14)
    assert calendar.next_workday(D(2026, 2, 15), inclusive=True) == D(2026, 2, 24)


# ----------------------------------------------------------------------------- years nobody entered


def test_chinesecalendar_stops_at_2026():
    import chinese_calendar

    assert calendar.package_years() == list(range(2004, 2027))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(D(2027, 1, 4))
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_deadline_crossing_into_2027_is_provisional():
    due = calendar.add_working_days(D(2026, 12, 24), 10)
    # 25, 28, 29, 30, 31 Dec; then the statutory holidays assumed: 1 Jan (元旦) off; 4, 5, 6, 7, 8 Jan.
    assert due.date == D(2027, 1, 8)
    assert due.provisional and due.provisional_years == (2027,)
    assert calendar.is_provisional_year(2027) and not calendar.is_provisional_year(2026)
    assert not calendar.add_working_days(D(2026, 12, 1), 5).provisional
    assert calendar.working_days_between(D(2026, 12, 24), D(2027, 1, 8)) == (10, True)


def test_entering_2027_makes_the_deadline_firm_and_the_cache_sees_it():
    assert calendar.add_working_days(D(2026, 12, 24), 10).provisional  # 2027 now cached as unknown
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕测试号")
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦 New Year's Day")
    due = calendar.add_working_days(D(2026, 12, 24), 10)
    assert due == calendar.Deadline(D(2027, 1, 8), provisional=False)


def test_admin_override_makes_a_day_a_holiday_and_the_cache_sees_it():
    day = D(2026, 3, 10)  # an ordinary Tuesday
    assert calendar.is_workday(day)
    row = CalendarDay.objects.create(date=day, is_workday=False, name="临时放假 special holiday")
    assert not calendar.is_workday(day)
    assert calendar.add_working_days(D(2026, 3, 9), 1).date == D(2026, 3, 11)
    row.is_workday = True
    row.save()
    assert calendar.is_workday(day)
    row.delete()
    assert calendar.add_working_days(D(2026, 3, 9), 1).date == D(2026, 3, 10)


def test_other_processes_notice_through_the_version_counter(settings):
    day = D(2026, 3, 11)
    assert calendar.is_workday(day)
    # Another process inserts a holiday without this process hearing a signal…
    CalendarDay.objects.bulk_create([CalendarDay(date=day, is_workday=False, name="x")])
    assert calendar.is_workday(day)  # …the cache still has the old answer within the interval…
    from zimao.core.sequences import next_value

    next_value(calendar.VERSION_SEQUENCE)  # …until the version moves and the interval passes.
    settings.ZIMAO_CALENDAR_RECHECK_SECONDS = 0
    assert not calendar.is_workday(day)


def test_sixty_working_days_read_the_database_once_per_year(django_assert_max_num_queries, django_assert_num_queries):
    with django_assert_max_num_queries(3):  # version check + the year's two queries
        due = calendar.add_working_days(D(2026, 3, 2), 60)
    # March 3–31: 21; April (6th is 清明): 21; May (1, 4, 5 off; Saturday 9 works): 6–8, 9, 11–28: 18.
    assert due.date == D(2026, 5, 28)
    with django_assert_num_queries(0):
        calendar.add_working_days(D(2026, 3, 2), 60)
        calendar.working_days_between(D(2026, 3, 2), D(2026, 5, 28))
    with django_assert_max_num_queries(2):  # a new year: its two queries only
        calendar.add_working_days(D(2026, 12, 1), 60)


# ----------------------------------------------------------------------------- warnings and status


def test_calendar_warnings_for_a_missing_next_year():
    [warning] = calendar.calendar_warnings(today=D(2026, 6, 1))
    assert "请录入2027年节假日安排" in warning and "enter 2027's holiday arrangement" in warning
    assert calendar.calendar_warnings(today=D(2025, 6, 1)) == []
    CalendarYear.objects.create(year=2027)
    assert calendar.calendar_warnings(today=D(2026, 6, 1)) == []
    assert len(calendar.calendar_warnings(today=D(2027, 6, 1))) == 1  # 2028 missing


def test_status_command_exits_1_when_next_year_is_missing(capsys):
    this_year = timezone.localdate().year
    CalendarYear.objects.get_or_create(year=this_year)
    CalendarYear.objects.filter(year=this_year + 1).delete()
    with pytest.raises(CommandError) as exc:
        call_command("calendar", "status")
    assert f"请录入{this_year + 1}年节假日安排" in str(exc.value)
    assert exc.value.returncode == 1
    assert "2026" in capsys.readouterr().out

    CalendarYear.objects.create(year=this_year + 1, source="test")
    call_command("calendar", "status")
    assert "已录入" in capsys.readouterr().out


# ----------------------------------------------------------------------------- seeding


def test_seed_is_idempotent_and_keeps_administrator_rows(capsys):
    admin_row = CalendarDay.objects.get(date=D(2026, 2, 16))
    admin_row.is_workday, admin_row.source = True, "admin"
    admin_row.save()
    CalendarDay.objects.create(date=D(2026, 3, 12), is_workday=False, name="stale", source="package")
    before = CalendarDay.objects.count()

    report = calendar.seed_from_package()
    assert (report.created, report.updated, report.deleted, report.kept_admin) == (0, 0, 1, 1)
    assert CalendarDay.objects.count() == before - 1
    assert CalendarDay.objects.get(date=D(2026, 2, 16)).is_workday  # the administrator's choice stands
    assert calendar.is_workday(D(2026, 2, 16)) and calendar.is_workday(D(2026, 3, 12))

    call_command("calendar", "seed")
    assert "2004–2026" in capsys.readouterr().out
    assert calendar.seed_from_package().created == 0


def test_seed_restores_what_was_lost():
    CalendarDay.objects.filter(date__year=2025).delete()
    CalendarYear.objects.filter(year=2025).delete()
    report = calendar.seed_from_package([2025])
    assert report.created == len(calendar.package_arrangement(2025)) == 23
    assert CalendarYear.objects.get(year=2025).source == "chinesecalendar 1.11.0"


def test_migration_seeds_the_same_days_as_the_command():
    from django.apps import apps

    migration = importlib.import_module("zimao.core.migrations.0002_seed_calendar")
    CalendarDay.objects.all().delete()
    CalendarYear.objects.all().delete()
    migration.seed(apps, None)
    assert sorted(CalendarYear.objects.values_list("year", flat=True)) == list(range(2004, 2027))
    stored = set(CalendarDay.objects.values_list("date", "is_workday", "name"))
    expected = {row for year in range(2004, 2027) for row in calendar.package_arrangement(year)}
    assert stored == expected
    assert {r.source for r in CalendarDay.objects.all()} == {"package"}
    migration.unseed(apps, None)
    assert not CalendarDay.objects.exists() and not CalendarYear.objects.exists()


# ----------------------------------------------------------------------------- admin


def test_admin_enters_a_holiday_it_is_audited_and_deadlines_move(admin_client):
    day = D(2026, 3, 10)
    assert calendar.add_working_days(D(2026, 3, 9), 1).date == day
    response = admin_client.post("/admin/core/calendarday/add/", {"date": "2026-03-10", "name": "临时放假 special"})
    assert response.status_code == 302, response.content[:2000]
    row = CalendarDay.objects.get(date=day)
    assert (row.is_workday, row.source) == (False, "admin")
    assert calendar.add_working_days(D(2026, 3, 9), 1).date == D(2026, 3, 11)
    event = AuditEvent.objects.get(action="calendarday.add")
    assert event.after["date"] == "2026-03-10" and event.actor == "admin"


def test_admin_calendar_list_filters_by_year_and_warns(admin_client):
    response = admin_client.get("/admin/core/calendarday/", {"year": "2026", "source": "package"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "春节 Spring Festival" in text and "元旦 New Year&#x27;s Day" in text
    assert "2025-10-01" not in text
    if calendar.missing_years():
        assert "请录入" in text


def test_admin_read_only_tables(admin_client):
    assert admin_client.get("/admin/core/auditevent/").status_code == 200
    assert admin_client.get("/admin/core/auditevent/add/").status_code == 403
    assert admin_client.get("/admin/core/sequence/add/").status_code == 403
    key = SigningKey.objects.create(
        kid="test-key",
        public_jwk={"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
        private_key_encrypted="SECRET-CIPHERTEXT-MARKER",
    )
    page = admin_client.get(f"/admin/core/signingkey/{key.pk}/change/")
    assert page.status_code == 200
    assert "test-key" in page.content.decode()
    assert "SECRET-CIPHERTEXT-MARKER" not in page.content.decode()
    assert "private_key_encrypted" not in page.content.decode()
    assert admin_client.post(f"/admin/core/signingkey/{key.pk}/delete/", {"post": "yes"}).status_code == 403
    assert SigningKey.objects.filter(pk=key.pk).exists()
