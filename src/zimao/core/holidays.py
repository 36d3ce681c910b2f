"""Statutory public holidays — 全国年节及纪念日放假办法 — for a year nobody has entered.

The State Council publishes each year's arrangement (国务院办公厅关于××年部分节假日安排的通知)
in the autumn before; until an administrator enters it, the calendar applies what the law itself
says, so a deadline that crosses into such a year is right on the holidays and only *provisional*
on the days the notice may still move.

The law (as amended by 国务院令第798号, in force 2025-01-01), art. 2 — holidays for all citizens
(全体公民放假的节日), 13 days:

=========  =====  ============================================
元旦        1 day  1 January
春节        4 days 农历除夕 and 正月初一 to 初三
清明节      1 day  the day of the 清明 solar term
劳动节      2 days 1 and 2 May
端午节      1 day  农历五月初五
中秋节      1 day  农历八月十五
国庆节      3 days 1 to 3 October
=========  =====  ============================================

Before 2025 (国务院令第644号, in force 2014-01-01) 春节 was 初一 to 初三 and 劳动节 1 May only
(11 days). Holidays for part of the citizens (妇女节 half a day, 青年节, 儿童节, 建军节) do not
close offices and are left out.

Days in lieu (补假), art. 6: "全体公民放假的假日，如果适逢星期六、星期日，应当在工作日补假". The law
says *that* a working day is given, not *which*. What this module does (a heuristic, stated where
the result is shown as provisional):

* every holiday day that falls on a Saturday or Sunday, or on a day already a holiday (中秋 can
  fall inside 国庆, e.g. 2028-10-03), is given back on the first Monday–Friday after that
  festival that is not already off — the State Council's usual choice (e.g. 端午 on Saturday
  2025-05-31 gave Monday 2 June);
* the swaps the notices add to join festivals with weekends (调休: a weekend worked, a weekday
  off) are not guessed. They move days but keep the count, so they change a deadline by a day
  or two at most — that is why such deadlines stay marked provisional until the year is entered.

Lunar dates and the 清明 solar term come from ``lunar-python`` (6tail/lunar, maintained; its
lunar tables and astronomical solar terms cover far beyond any deadline).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

D = dt.date
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class StatutoryDay:
    """One statutory holiday day, or a day given in lieu (``in_lieu``) of one lost to a weekend."""

    date: dt.date
    festival: str  # key: new_year, spring_festival, qingming, labour_day, dragon_boat, mid_autumn, national_day
    name_zh: str
    name_en: str
    in_lieu: bool = False

    @property
    def label(self) -> str:
        if self.in_lieu:
            return f"{self.name_zh}补假 {self.name_en} (day in lieu)"
        return f"{self.name_zh} {self.name_en}"


# Which version of the law applies: (in force from, source, spring festival starts on 除夕, May Day days)
VERSIONS = (
    (D(2014, 1, 1), "全国年节及纪念日放假办法（国务院令第644号）", False, 1),
    (D(2025, 1, 1), "全国年节及纪念日放假办法（国务院令第798号修订）", True, 2),
)


def law_for(year: int) -> tuple[dt.date, str, bool, int]:
    """The version of the law in force on 1 January of ``year`` (the earliest one before 2014)."""
    chosen = VERSIONS[0]
    for version in VERSIONS:
        if version[0] <= D(year, 1, 1):
            chosen = version
    return chosen


def lunar_to_solar(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of lunar ``month``/``day`` of the lunar year that starts in ``year``."""
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return D(solar.getYear(), solar.getMonth(), solar.getDay())


def qingming(year: int) -> dt.date:
    """The day of the 清明 solar term (sun at 15° ecliptic longitude, Beijing time) in ``year``."""
    from lunar_python import Solar

    table = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()
    solar = table["清明"]
    found = D(solar.getYear(), solar.getMonth(), solar.getDay())
    if found.year != year:  # pragma: no cover - 清明 is always 4–6 April
        raise ValueError(f"清明 of {year} not found")
    return found


def festival_days(year: int) -> list[StatutoryDay]:
    """The statutory holiday days of ``year`` in festival order (a date may appear twice)."""
    _, _, eve, may_days = law_for(year)
    spring = lunar_to_solar(year, 1, 1)
    festivals = [
        ("new_year", "元旦", "New Year's Day", [D(year, 1, 1)]),
        (
            "spring_festival",
            "春节",
            "Spring Festival",
            ([spring - ONE_DAY] if eve else []) + [spring + i * ONE_DAY for i in range(3)],
        ),
        ("qingming", "清明节", "Qingming Festival", [qingming(year)]),
        ("labour_day", "劳动节", "Labour Day", [D(year, 5, 1 + i) for i in range(may_days)]),
        ("dragon_boat", "端午节", "Dragon Boat Festival", [lunar_to_solar(year, 5, 5)]),
        ("mid_autumn", "中秋节", "Mid-Autumn Festival", [lunar_to_solar(year, 8, 15)]),
        ("national_day", "国庆节", "National Day", [D(year, 10, 1 + i) for i in range(3)]),
    ]
    days = [StatutoryDay(day, key, zh, en) for key, zh, en, dates in festivals for day in dates]
    days.sort(key=lambda d: d.date)  # stable: National Day stays before a Mid-Autumn that falls inside it
    return days


@lru_cache(maxsize=64)
def statutory_arrangement(year: int) -> tuple[StatutoryDay, ...]:
    """Holidays and days in lieu of ``year`` per the law (see the module docstring for the rule).

    Only days of ``year`` itself are returned; a day in lieu that would fall in January of the
    next year (never seen: 国庆 is the last festival) would be dropped rather than guessed.
    """
    off: dict[dt.date, StatutoryDay] = {}
    out: list[StatutoryDay] = []
    for day in festival_days(year):
        if day.date.weekday() < 5 and day.date not in off:
            off[day.date] = day
            out.append(day)
            continue
        if day.date not in off:  # a weekend day of the festival: off anyway, recorded for the label
            off[day.date] = day
        # Lost to a weekend or to another festival: give the first free weekday after the festival.
        last = max(d.date for d in festival_days(year) if d.festival == day.festival)
        substitute = last + ONE_DAY
        while substitute.weekday() >= 5 or substitute in off:
            substitute += ONE_DAY
        if substitute.year != year:  # pragma: no cover - see docstring
            continue
        lieu = StatutoryDay(substitute, day.festival, day.name_zh, day.name_en, in_lieu=True)
        off[substitute] = lieu
        out.append(lieu)
    out.sort(key=lambda d: d.date)
    return tuple(out)


def weekday_holidays(year: int) -> dict[dt.date, str]:
    """Monday–Friday dates that are off in ``year`` under the law: {date: label}."""
    return {d.date: d.label for d in statutory_arrangement(year)}
