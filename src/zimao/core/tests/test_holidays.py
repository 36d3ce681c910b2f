"""The calendar beyond the official schedule: statutory holidays of the 全国年节及纪念日放假办法
(lunar dates and the 清明 solar term via lunar-python), days in lieu, provisional deadlines, entering
a year (``enter_arrangement``, ``zimao calendar import``, the admin) and ``zimao calendar due``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from zimao.core import calendar, holidays
from zimao.core.models import AuditEvent, CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def seeded_calendar():
    if not CalendarYear.objects.filter(year=2026).exists():
        calendar.seed_from_package()
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def dates_of(year, festival, in_lieu=False):
    return [d.date for d in holidays.festival_days(year) if d.festival == festival and d.in_lieu == in_lieu]


# Known dates (published lunar calendars; 清明 from the solar term tables).
SPRING = {2027: D(2027, 2, 6), 2028: D(2028, 1, 26), 2029: D(2029, 2, 13), 2030: D(2030, 2, 3)}
MID_AUTUMN = {2027: D(2027, 9, 15), 2028: D(2028, 10, 3), 2029: D(2029, 9, 22), 2030: D(2030, 9, 12)}
DRAGON_BOAT = {2027: D(2027, 6, 9), 2028: D(2028, 5, 28), 2029: D(2029, 6, 16), 2030: D(2030, 6, 5)}
QINGMING = {2027: D(2027, 4, 5), 2028: D(2028, 4, 4), 2029: D(2029, 4, 4), 2030: D(2030, 4, 5)}


@pytest.mark.parametrize("year", [2027, 2028, 2029, 2030])
def test_lunar_holidays_2027_to_2030_fall_on_their_known_dates(year):
    spring = SPRING[year]
    # Since 2025 (国务院令第798号) 春节 is 除夕 plus 初一 to 初三.
    assert dates_of(year, "spring_festival") == [
        spring - dt.timedelta(days=1),
        spring,
        spring + dt.timedelta(days=1),
        spring + dt.timedelta(days=2),
    ]
    assert dates_of(year, "mid_autumn") == [MID_AUTUMN[year]]
    assert dates_of(year, "dragon_boat") == [DRAGON_BOAT[year]]
    assert dates_of(year, "qingming") == [QINGMING[year]]
    assert dates_of(year, "new_year") == [D(year, 1, 1)]
    assert dates_of(year, "labour_day") == [D(year, 5, 1), D(year, 5, 2)]
    assert dates_of(year, "national_day") == [D(year, 10, 1), D(year, 10, 2), D(year, 10, 3)]


def test_the_law_before_2025_had_eleven_days():
    assert len(holidays.festival_days(2024)) == 11 and len(holidays.festival_days(2025)) == 13
    assert dates_of(2024, "spring_festival")[0] == D(2024, 2, 10)  # 初一, no 除夕
    assert dates_of(2024, "labour_day") == [D(2024, 5, 1)]


@pytest.mark.parametrize("year", [2016, 2017, 2018, 2019, 2021, 2022, 2023, 2024, 2025, 2026])
def test_statutory_rule_gives_the_official_number_of_days_off(year):
    """调休 moves days but keeps the count: weekday holidays minus weekend working days of each
    official arrangement equal the law's days plus days in lieu. (2015 had the one-off 抗战胜利
    70周年 holiday, 2020 the epidemic extension.)"""
    official = calendar.package_arrangement(year)
    net = sum(not workday for _d, workday, _n in official) - sum(workday for _d, workday, _n in official)
    assert net == len(holidays.statutory_arrangement(year))


def test_days_in_lieu_follow_the_festival():
    days = {d.date: d for d in holidays.statutory_arrangement(2027)}
    # 春节 2027: 除夕 Fri 5 Feb, 初一/初二 on the weekend → in lieu Tue 9 and Wed 10 Feb.
    assert days[D(2027, 2, 9)].in_lieu and days[D(2027, 2, 10)].in_lieu
    assert days[D(2027, 2, 9)].label == "春节补假 Spring Festival (day in lieu)"
    # 劳动节 2027 on Saturday and Sunday → Monday 3 and Tuesday 4 May.
    assert days[D(2027, 5, 3)].in_lieu and days[D(2027, 5, 4)].in_lieu
    # 2028: 中秋 (3 Oct) falls inside 国庆; the day is given back after the festival.
    lieu_2028 = [d.date for d in holidays.statutory_arrangement(2028) if d.in_lieu and d.date.month == 10]
    assert lieu_2028 == [D(2028, 10, 4), D(2028, 10, 5)]  # 1 Oct is a Sunday, 3 Oct counts twice
    assert all(d.weekday() < 5 for d in holidays.weekday_holidays(2028))


def test_2027_new_years_day_is_not_a_working_day_and_the_issue_example_holds():
    assert not calendar.is_workday(D(2027, 1, 1))
    due = calendar.add_working_days(D(2026, 12, 28), 20)
    assert due.date == D(2027, 1, 26) and due.provisional and due.provisional_years == (2027,)
    assert not calendar.is_workday(D(2027, 2, 9))  # day in lieu
    assert calendar.is_workday(D(2027, 2, 11))


def test_an_administrators_day_wins_in_a_provisional_year():
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=True, name="test")
    assert calendar.is_workday(D(2027, 1, 1)) and calendar.is_provisional_year(2027)


# ----------------------------------------------------------------------------- entering a year

NOTICE_2027 = """date,kind,name
# a test notice, not the real one
2027-01-01,休,元旦
2027-02-05,休,春节
2027-02-08,休,春节
2027-02-09,休,春节
2027-02-10,休,春节
2027-02-11,休,春节
2027-02-20,班,春节调休上班
2027-02-06,休,春节
"""


def test_parse_arrangement_names_every_bad_line_and_reads_nothing():
    with pytest.raises(calendar.ArrangementError) as exc:
        calendar.parse_arrangement("2027-01-01,休,元旦\n2027-13-01,休,x\n2027-01-02,maybe,y\n2027-01-01,休,again\n")
    assert [line for line, _zh, _en in exc.value.problems] == [2, 3, 4]
    assert "第2行" in exc.value.bilingual() and "line 3: kind 'maybe'" in exc.value.bilingual()
    with pytest.raises(calendar.ArrangementError):
        calendar.parse_arrangement("2027-01-01,休,元旦\n2028-01-01,休,元旦\n")  # two years
    year, days = calendar.parse_arrangement(NOTICE_2027)
    assert year == 2027 and len(days) == 8 and days[0] == calendar.ArrangementDay(D(2027, 1, 1), False, "元旦")


def test_import_enters_the_year_idempotently_and_is_audited(tmp_path, capsys):
    path = tmp_path / "2027.csv"
    path.write_text(NOTICE_2027, encoding="utf-8")
    assert calendar.add_working_days(D(2027, 2, 4), 1).date == D(2027, 2, 11)  # provisional: 9, 10 in lieu
    call_command("calendar", "import", str(path), "--source", "国办发明电〔2026〕测试号")
    out = capsys.readouterr().out
    assert "已录入2027年节假日安排" in out and "Entered 2027's arrangement (7 non-standard days)" in out
    assert CalendarYear.objects.get(year=2027).source == "国办发明电〔2026〕测试号"
    assert not calendar.is_provisional_year(2027)
    # Only the notice counts now: no statutory days in lieu, the make-up Saturday works.
    assert calendar.add_working_days(D(2027, 2, 4), 1).date == D(2027, 2, 12)
    assert calendar.is_workday(D(2027, 2, 20)) and calendar.is_workday(D(2027, 5, 3))
    assert not calendar.add_working_days(D(2026, 12, 28), 20).provisional
    assert AuditEvent.objects.filter(action="calendaryear.entered").count() == 1
    call_command("calendar", "import", str(path))
    assert CalendarDay.objects.filter(date__year=2027).count() == 7


def test_import_of_a_bad_file_changes_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("2027-01-01,休,元旦\n2027-02-30,休,x\n", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("calendar", "import", str(path))
    assert "第2行" in str(exc.value) and "nothing was changed" in str(exc.value)
    assert not CalendarYear.objects.filter(year=2027).exists()
    assert not CalendarDay.objects.filter(date__year=2027).exists()
    with pytest.raises(CommandError):
        call_command("calendar", "import", str(tmp_path / "missing.csv"))


def test_status_lists_the_assumed_days_of_a_provisional_year(capsys):
    from django.utils import timezone

    this_year = timezone.localdate().year
    CalendarYear.objects.get_or_create(year=this_year)
    CalendarYear.objects.filter(year=this_year + 1).delete()
    with pytest.raises(CommandError):
        call_command("calendar", "status")
    out = capsys.readouterr().out
    assert f"{this_year + 1}年暂定" in out and f"{this_year + 1}-01-01 元旦" in out


# ----------------------------------------------------------------------------- zimao calendar due


def test_due_command_prints_the_date_and_whether_it_is_provisional(capsys):
    call_command("calendar", "due", "2026-12-28", "20", "--json")
    assert json.loads(capsys.readouterr().out) == {
        "start": "2026-12-28",
        "days": 20,
        "due": "2027-01-26",
        "provisional": True,
        "provisional_years": [2027],
    }
    call_command("calendar", "due", "2026-02-13", "1")
    out = capsys.readouterr().out
    assert "2026-02-14" in out and "暂定" not in out and "provisional" not in out
    call_command("calendar", "due", "2026-12-28", "20")
    assert "2027-01-26（暂定" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, field",
    [(["2026-02-30", "3"], "START"), (["2026-02-01", "three"], "DAYS"), (["2026-02-01", "99999"], "DAYS")],
)
def test_due_command_names_the_bad_argument(args, field):
    with pytest.raises(CommandError) as exc:
        call_command("calendar", "due", *args)
    assert str(exc.value).startswith(field)


# ----------------------------------------------------------------------------- admin


def test_admin_enters_a_year_with_its_days(admin_client):
    response = admin_client.post(
        "/admin/core/calendaryear/add/",
        {"year": "2027", "source": "国办发明电〔2026〕测试号", "arrangement": NOTICE_2027},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert CalendarDay.objects.filter(date__year=2027).count() == 7
    assert not calendar.is_provisional_year(2027)


def test_admin_year_form_names_a_bad_line(admin_client):
    response = admin_client.post(
        "/admin/core/calendaryear/add/",
        {"year": "2027", "source": "x", "arrangement": "2027-01-01,休,元旦\n2027-01-02,?,x"},
    )
    assert response.status_code == 200
    assert "第2行" in response.content.decode()
    response = admin_client.post(
        "/admin/core/calendaryear/add/", {"year": "2028", "source": "x", "arrangement": "2027-01-01,休,元旦"}
    )
    assert "the days are in 2027" in response.content.decode()
    assert not CalendarYear.objects.filter(year__in=[2027, 2028]).exists()
