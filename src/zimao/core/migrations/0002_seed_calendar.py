"""Seed the business calendar — 工作日历 — from ``chinesecalendar`` (2004–2026 in version 1.11).

Only the non-standard days are stored: weekday public holidays (法定节假日) and weekend make-up
working days (调休上班), each with its name; every seeded year gets a ``CalendarYear`` row. Later
years are entered by administrators (or ``zimao calendar seed`` after upgrading the package).

Self-contained on purpose: a migration must keep doing what it did when it was written, so it
does not call ``zimao.core.calendar`` (which may change); ``zimao calendar seed`` does the same
work for a database that already ran this migration.
"""

import datetime as dt

from django.db import migrations
from django.db.models import F


def _years(chinese_calendar):
    years = []
    for year in range(2000, 2100):
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:  # e.g. 2027 in version 1.11
            if years:
                break
            continue
        years.append(year)
    return years


def seed(apps, schema_editor):
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    try:
        from importlib.metadata import version

        source = f"chinesecalendar {version('chinesecalendar')}"
    except Exception:  # pragma: no cover
        source = "chinesecalendar"

    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    Sequence = apps.get_model("core", "Sequence")
    zh = {h.value: h.chinese for h in Holiday}
    taken = set(CalendarDay.objects.values_list("date", flat=True))  # never overwrite an existing row
    rows = []
    years = _years(chinese_calendar)
    for year in years:
        day = dt.date(year, 1, 1)
        while day.year == year:
            is_holiday, label = chinese_calendar.get_holiday_detail(day)
            workday = not is_holiday
            if workday != (day.weekday() < 5) and day not in taken:
                label = label or ""
                name_zh = zh.get(label, label)
                if workday:
                    name = f"{name_zh}调休上班 {label} make-up workday".strip()
                else:
                    name = f"{name_zh} {label}".strip() if name_zh != label else label
                rows.append(CalendarDay(date=day, is_workday=workday, name=name[:100], source="package"))
            day += dt.timedelta(days=1)
    CalendarDay.objects.bulk_create(rows)
    for year in years:
        CalendarYear.objects.get_or_create(year=year, defaults={"source": source})
    # Running processes re-read the calendar when this counter moves (zimao.core.calendar).
    Sequence.objects.get_or_create(name="calendar-version")
    Sequence.objects.filter(name="calendar-version").update(value=F("value") + 1)


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.filter(source="package").delete()
    apps.get_model("core", "CalendarYear").objects.filter(source__startswith="chinesecalendar").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
