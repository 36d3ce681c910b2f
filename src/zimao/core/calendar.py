"""Business calendar — 工作日历: statutory time limits (法定时限) count working days (工作日).

Which days are working days:

1. a ``CalendarDay`` row decides its date: ``is_workday=False`` is a public holiday
   (法定节假日), ``True`` a make-up working day on a weekend (调休上班);
2. otherwise, in a year with a ``CalendarYear`` row (its official arrangement is entered),
   Monday–Friday are working days;
3. in a year *without* one, the law decides: the statutory holidays of the 全国年节及纪念日放假办法
   (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆 — lunar dates and the solar term computed) with the
   days in lieu it gives for a holiday on a weekend (``zimao.core.holidays``); Monday–Friday are
   working days otherwise. Any result that counted a day of that year is marked ``provisional``:
   the State Council publishes each year's arrangement (with its 调休 swaps) only in the autumn
   before, and ``chinesecalendar`` 1.11 knows 2004–2026 only (it raises ``NotImplementedError``
   for 2027). ``calendar_warnings()`` tells administrators; entering the year
   (``enter_arrangement``, the admin, ``zimao calendar import``) recomputes every deadline that
   depended on it (``arrangement_changing``).

Counting rule (期间开始之日不计算在期间内 — the day a period starts is not counted): day 1 of
``add_working_days(start, n)`` is the first working day *after* ``start``, whatever time of day
``start`` is and whether or not ``start`` is itself a working day. So a case accepted on Friday
with a 1-working-day limit is due the next Monday (if it is a working day).

Speed: each year's overrides are read once (two small queries) and kept in memory, so adding 60
working days touches the database at most once per year crossed, not once per day. The cache is
dropped when a ``CalendarDay``/``CalendarYear`` is saved or deleted (signals, see
``connect_signals``) and, for the other worker processes, when the shared counter
``calendar-version`` moves (checked at most every ``ZIMAO_CALENDAR_RECHECK_SECONDS``, default 5).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from zimao.core import holidays

VERSION_SEQUENCE = "calendar-version"
PACKAGE = "chinesecalendar"


@dataclass(frozen=True)
class Deadline:
    """A due date counted in working days.

    ``provisional`` is True when the count crossed a year whose holiday arrangement nobody has
    entered (the statutory holidays were assumed there); ``provisional_years`` says which.
    """

    date: dt.date
    provisional: bool = False
    provisional_years: tuple[int, ...] = field(default=(), compare=False)


class WorkingDays(NamedTuple):
    """A count of working days, and whether it relied on an assumed (statutory-only) year."""

    count: int
    provisional: bool


@dataclass(frozen=True)
class _Year:
    known: bool  # a CalendarYear row exists: its official arrangement is entered
    overrides: Mapping[dt.date, bool]  # CalendarDay rows: date -> is_workday


_years: dict[int, _Year] = {}
_state = {"version": None, "checked_at": float("-inf")}
_lock = threading.Lock()
_signals_connected = False


# ----------------------------------------------------------------------------- cache


def clear_cache() -> None:
    """Forget every cached year in this process (the next call re-reads the database)."""
    with _lock:
        _years.clear()
        _state["version"] = None
        _state["checked_at"] = float("-inf")


def invalidate() -> None:
    """Tell every process the calendar changed: bump ``calendar-version`` and clear this cache.

    Called by the signals; call it yourself after bulk changes that send no signals
    (``bulk_create``, ``QuerySet.update``/``delete``).
    """
    from zimao.core.sequences import next_value

    next_value(VERSION_SEQUENCE)
    clear_cache()
    # If the change is rolled back, what was cached meanwhile saw uncommitted rows: clear again
    # once the outcome is known.
    transaction.on_commit(clear_cache)


def _on_change(sender, instance=None, **kwargs) -> None:
    invalidate()


def connect_signals() -> None:
    """Invalidate the cache whenever a ``CalendarDay`` or ``CalendarYear`` is saved or deleted.

    Idempotent. The lead calls it from ``CoreConfig.ready``; it is also called the first time
    a year is cached, so a process that caches always listens.
    """
    global _signals_connected
    if _signals_connected:
        return
    from django.db.models.signals import post_delete, post_save

    from zimao.core.models import CalendarDay, CalendarYear

    for model in (CalendarDay, CalendarYear):
        post_save.connect(_on_change, sender=model, dispatch_uid=f"zimao.calendar.save.{model.__name__}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"zimao.calendar.delete.{model.__name__}")
    _signals_connected = True


def _recheck_seconds() -> float:
    return float(getattr(settings, "ZIMAO_CALENDAR_RECHECK_SECONDS", 5.0))


def _fresh() -> None:
    """Drop the cache if another process changed the calendar (at most one query per interval)."""
    now = time.monotonic()
    if now - _state["checked_at"] < _recheck_seconds():
        return
    from zimao.core.models import Sequence

    version = Sequence.objects.filter(name=VERSION_SEQUENCE).values_list("value", flat=True).first() or 0
    with _lock:
        if version != _state["version"]:
            _years.clear()
            _state["version"] = version
        _state["checked_at"] = now


def _year(year: int) -> _Year:
    info = _years.get(year)
    if info is None:
        from zimao.core.models import CalendarDay, CalendarYear

        connect_signals()
        known = CalendarYear.objects.filter(year=year).exists()
        entered = dict(
            CalendarDay.objects.filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)).values_list(
                "date", "is_workday"
            )
        )
        # A year nobody entered follows the law; a day an administrator set still wins.
        overrides = entered if known else {**dict.fromkeys(holidays.weekday_holidays(year), False), **entered}
        info = _Year(known=known, overrides=MappingProxyType(overrides))
        with _lock:
            _years[year] = info
    return info


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    """A datetime counts as its local (Asia/Shanghai) calendar day."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    return value


def _classify(day: dt.date) -> tuple[bool, bool]:
    """(is a working day, its year's arrangement is known)."""
    info = _year(day.year)
    workday = info.overrides.get(day)
    if workday is None:
        workday = day.weekday() < 5
    return workday, info.known


# ----------------------------------------------------------------------------- public API


def is_workday(day: dt.date | dt.datetime) -> bool:
    """Whether ``day`` is a working day — 工作日 (see the module docstring for the rules)."""
    _fresh()
    return _classify(_as_date(day))[0]


def is_provisional_year(year: int) -> bool:
    """True if nobody has entered ``year``'s holiday arrangement (the statutory holidays are assumed)."""
    _fresh()
    return not _year(year).known


def add_working_days(start: dt.date | dt.datetime, n: int) -> Deadline:
    """The date ``n`` working days after ``start`` (day 1 = the first working day after ``start``).

    ``n = 0`` gives ``start``'s own date; a negative ``n`` counts backwards (day −1 = the last
    working day before ``start``), e.g. for "remind 2 working days before the due date".
    """
    _fresh()
    day = _as_date(start)
    step = 1 if n >= 0 else -1
    remaining = abs(n)
    unknown: set[int] = set()
    while remaining:
        day += dt.timedelta(days=step)
        workday, known = _classify(day)
        if not known:
            unknown.add(day.year)
        if workday:
            remaining -= 1
    return Deadline(date=day, provisional=bool(unknown), provisional_years=tuple(sorted(unknown)))


def working_days_between(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> WorkingDays:
    """Working days after ``a`` up to and including ``b`` (negative if ``b`` is before ``a``).

    The inverse of ``add_working_days``: ``working_days_between(s, add_working_days(s, n).date)``
    is ``n`` whenever the result is a working day. Returns ``(count, provisional)``.
    """
    _fresh()
    a, b = _as_date(a), _as_date(b)
    sign = 1
    if b < a:
        a, b, sign = b, a, -1
    count, provisional, day = 0, False, a
    while day < b:
        day += dt.timedelta(days=1)
        workday, known = _classify(day)
        provisional = provisional or not known
        count += workday
    return WorkingDays(sign * count, provisional)


def next_workday(day: dt.date | dt.datetime, inclusive: bool = False) -> dt.date:
    """The first working day after ``day`` (or ``day`` itself if ``inclusive`` and it is one)."""
    _fresh()
    current = _as_date(day)
    if inclusive and _classify(current)[0]:
        return current
    return add_working_days(current, 1).date


# ----------------------------------------------------------------------------- years and warnings


def known_years() -> list[int]:
    """Years whose official holiday arrangement is entered (``CalendarYear`` rows)."""
    from zimao.core.models import CalendarYear

    return list(CalendarYear.objects.order_by("year").values_list("year", flat=True))


def missing_years(today: dt.date | None = None) -> list[int]:
    """This year and next year, where no arrangement is entered yet."""
    from zimao.core.models import CalendarYear

    today = today or timezone.localdate()
    wanted = [today.year, today.year + 1]
    known = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    return [y for y in wanted if y not in known]


def calendar_warnings(today: dt.date | None = None) -> list[str]:
    """Bilingual warnings for administrators: one per year (this or next) without an arrangement.

    Deadlines that reach such a year are provisional until someone enters the State Council's
    notice (国务院办公厅关于××年部分节假日安排的通知) as ``CalendarDay`` rows plus a
    ``CalendarYear`` row.
    """
    return [
        f"请录入{year}年节假日安排（国务院办公厅通知）；在此之前，涉及{year}年的期限按《全国年节及纪念日放假办法》"
        f"的法定节假日及补假计算（不含调休）并标记为暂定，录入后自动重算。"
        f" / enter {year}'s holiday arrangement (the State Council notice); until then deadlines reaching "
        f"{year} count the statutory holidays and days in lieu of the national holidays law (no swapped weekends), "
        f"are marked provisional, and are recomputed once it is entered."
        for year in missing_years(today)
    ]


# ----------------------------------------------------------------------------- seeding from chinesecalendar


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PACKAGE)
    except PackageNotFoundError:  # pragma: no cover - it is a dependency
        return "unknown"


def package_years() -> list[int]:
    """The years ``chinesecalendar`` has data for (it raises ``NotImplementedError`` beyond)."""
    import chinese_calendar

    years = []
    for year in range(2000, 2100):
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            if years:
                break
            continue
        years.append(year)
    return years


def package_arrangement(year: int) -> list[tuple[dt.date, bool, str]]:
    """The non-standard days of ``year`` per ``chinesecalendar``: weekday holidays and weekend
    make-up working days, each ``(date, is_workday, "春节 Spring Festival")``."""
    import chinese_calendar
    from chinese_calendar.constants import Holiday

    zh = {h.value: h.chinese for h in Holiday}
    out = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        is_holiday, holiday = chinese_calendar.get_holiday_detail(day)
        workday = not is_holiday
        if workday != (day.weekday() < 5):
            label = holiday or ""
            name_zh = zh.get(label, label)
            if workday:
                name = f"{name_zh}调休上班 {label} make-up workday".strip()
            else:
                name = f"{name_zh} {label}".strip() if name_zh != label else label
            out.append((day, workday, name[:100]))
        day += dt.timedelta(days=1)
    return out


@dataclass
class SeedReport:
    years: list[int]
    created: int = 0
    updated: int = 0
    deleted: int = 0
    kept_admin: int = 0  # dates an administrator set, left as they are


def seed_from_package(years: Iterable[int] | None = None) -> SeedReport:
    """Copy ``chinesecalendar``'s arrangements into the calendar tables (idempotent).

    Only non-standard days are stored (source ``package``). Rows an administrator entered or
    edited (source ``admin``) win and are never overwritten. Package rows the package no longer
    lists for a seeded year are removed. Each seeded year gets a ``CalendarYear`` row unless it
    has one.
    """
    from zimao.core.models import CalendarDay, CalendarYear

    report = SeedReport(years=sorted(years) if years is not None else package_years())
    source = f"{PACKAGE} {package_version()}"
    with transaction.atomic():
        for year in report.years:
            wanted = {day: (workday, name) for day, workday, name in package_arrangement(year)}
            existing = {
                row.date: row
                for row in CalendarDay.objects.filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31))
            }
            create, update, delete = [], [], []
            for day, (workday, name) in wanted.items():
                row = existing.get(day)
                if row is None:
                    create.append(CalendarDay(date=day, is_workday=workday, name=name, source="package"))
                elif row.source != "package":
                    report.kept_admin += 1
                elif (row.is_workday, row.name) != (workday, name):
                    row.is_workday, row.name = workday, name
                    update.append(row)
            delete = [row.pk for day, row in existing.items() if row.source == "package" and day not in wanted]
            CalendarDay.objects.bulk_create(create)
            if update:
                CalendarDay.objects.bulk_update(update, ["is_workday", "name"])
            if delete:
                CalendarDay.objects.filter(pk__in=delete).delete()
            CalendarYear.objects.get_or_create(year=year, defaults={"source": source})
            report.created += len(create)
            report.updated += len(update)
            report.deleted += len(delete)
        invalidate()  # bulk operations send no signals
    return report


# ----------------------------------------------------------------------------- entering a year, recomputing

# Sent inside the transaction *before* the calendar of ``years`` changes. A receiver reads what it
# needs under the old calendar and returns a callable; the callables run after the change (same
# transaction) and return a summary dict each. The case engine recounts its deadlines and timers.
arrangement_changing = Signal()


@contextmanager
def changing(years: Iterable[int], actor="system:calendar"):
    """Wrap any change to the calendar of ``years``: deadlines that depended on it are recounted.

    Yields a list that is filled, after the change, with each receiver's summary.
    """
    years = sorted(set(years))
    summaries: list[dict] = []
    with transaction.atomic():
        _fresh()
        responses = arrangement_changing.send(sender=None, years=years, actor=actor)
        finishers = [response for _receiver, response in responses if callable(response)]
        yield summaries
        invalidate()
        for finish in finishers:
            summaries.append(finish() or {})


@dataclass(frozen=True)
class ArrangementDay:
    date: dt.date
    is_workday: bool
    name: str


class ArrangementError(ValueError):
    """A bad arrangement file: ``problems`` is a list of (line, zh, en)."""

    def __init__(self, problems: list[tuple[int, str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"line {line}: {en}" for line, _zh, en in problems))

    def bilingual(self) -> str:
        return "\n".join(f"第{line}行：{zh} / line {line}: {en}" for line, zh, en in self.problems)


_HOLIDAY_WORDS = {"休", "放假", "holiday", "off", "0"}
_WORKDAY_WORDS = {"班", "上班", "workday", "work", "1"}


def parse_arrangement(text: str) -> tuple[int, list[ArrangementDay]]:
    """Read a year's arrangement as CSV lines ``date,kind,name`` (kind 休/holiday or 班/workday).

    A header line and ``#`` comments are allowed. Every day must be in the same year. Returns
    ``(year, days)`` or raises ``ArrangementError`` naming each bad line (nothing is half-read).
    """
    import csv

    problems: list[tuple[int, str, str]] = []
    days: dict[dt.date, ArrangementDay] = {}
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or not "".join(row).strip() or row[0].strip().startswith("#"):
            continue
        if number == 1 and row[0].strip().lower() in ("date", "日期"):
            continue
        cells = [c.strip() for c in row] + ["", ""]
        try:
            day = dt.date.fromisoformat(cells[0])
        except ValueError:
            problems.append((number, f"日期“{cells[0]}”应为YYYY-MM-DD", f"date '{cells[0]}' must be YYYY-MM-DD"))
            continue
        kind = cells[1].lower()
        if kind in _HOLIDAY_WORDS:
            workday = False
        elif kind in _WORKDAY_WORDS:
            workday = True
        else:
            problems.append(
                (number, f"类型“{cells[1]}”应为“休”或“班”", f"kind '{cells[1]}' must be holiday (休) or workday (班)")
            )
            continue
        if day in days:
            problems.append((number, f"{day} 重复", f"{day} is listed twice"))
            continue
        days[day] = ArrangementDay(day, workday, cells[2][:100])
    years = {d.year for d in days}
    if not problems and len(years) != 1:
        problems.append((0, "文件应包含且只包含一个年度的安排", "the file must hold the days of exactly one year"))
    if problems:
        raise ArrangementError(problems)
    return years.pop(), sorted(days.values(), key=lambda d: d.date)


@dataclass
class EnterReport:
    year: int
    stored: int
    recomputed: list[dict]


def enter_arrangement(year: int, days: Iterable[ArrangementDay], source: str, actor="system:calendar") -> EnterReport:
    """Enter ``year``'s official arrangement: its days replace that year's rows, the year becomes
    known (no longer provisional), and every deadline that depended on it is recomputed.

    Only non-standard days are stored (a weekday off, a weekend worked), like the seeded years.
    Idempotent: entering the same notice twice changes nothing the second time.
    """
    from zimao.core import audit
    from zimao.core.models import CalendarDay, CalendarYear

    days = [d for d in days if d.date.year == year and d.is_workday != (d.date.weekday() < 5)]
    with changing([year], actor) as summaries:
        CalendarDay.objects.filter(date__year=year).delete()
        CalendarDay.objects.bulk_create(
            [CalendarDay(date=d.date, is_workday=d.is_workday, name=d.name, source="admin") for d in days]
        )
        row, created = CalendarYear.objects.get_or_create(year=year, defaults={"source": source[:200]})
        if not created and source and row.source != source[:200]:
            row.source = source[:200]
            row.save(update_fields=["source"])
        audit.record(
            actor,
            "calendaryear.entered",
            row,
            after={
                "year": year,
                "source": row.source,
                "days": [[d.date.isoformat(), d.is_workday, d.name] for d in days],
            },
        )
    return EnterReport(year=year, stored=len(days), recomputed=summaries)


def provisional_days(year: int) -> list[holidays.StatutoryDay]:
    """The days off the law gives in ``year`` (what a provisional year assumes), for display."""
    return list(holidays.statutory_arrangement(year))
