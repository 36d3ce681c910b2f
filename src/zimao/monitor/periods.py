"""Periods — 统计期: the time span a figure covers, parsed from text and labelled in zh and en.

Official statistics are not all monthly: a report says "1-6月" (year to date), "1-5月",
"累计" (since the zone's launch) or states a stock at a date ("高新技术企业375家"). A period is
``(start, end, kind)``; ``start`` is None for "cumulative since launch" (累计, 挂牌以来).

Canonical keys (also what import files use):

=============  ======================  ==========================
key            kind                    meaning
=============  ======================  ==========================
2022-05        month                   May 2022 (2022年5月)
2022-01..2022-06  range                Jan–Jun 2022 (2022年1-6月)
2022-Q2        quarter                 Q2 2022 (2022年第二季度)
2022-H1        half                    H1 2022 (2022年上半年)
2022           year                    2022 (2022年)
..2022-06-30   cumulative              since launch, to 30 Jun 2022 (累计)
2022-06-30     snapshot                a stock at a date (截至2022年6月30日)
=============  ======================  ==========================

Year-on-year (同比) compares a period with the same period a year earlier: ``shifted(-1)``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

KINDS = ("month", "range", "quarter", "half", "year", "cumulative", "snapshot")
_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_QUARTERS_ZH = ["一", "二", "三", "四"]


class PeriodError(ValueError):
    """Text that is not a period; carries a bilingual reason."""

    def __init__(self, text: str):
        self.text = text
        self.zh = (
            f"无法识别的统计期「{text}」，应为 2022-05、2022-01..2022-06、2022-Q2、2022-H1、2022、"
            f"..2022-06-30（累计）或 2022-06-30（时点）"
        )
        self.en = (
            f"unrecognised period '{text}': use 2022-05, 2022-01..2022-06, 2022-Q2, 2022-H1, 2022, "
            f"..2022-06-30 (cumulative) or 2022-06-30 (as at a date)"
        )
        super().__init__(self.en)


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _shift_date(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February in a year without one
        return d.replace(year=d.year + years, day=28)


@dataclass(frozen=True, order=True)
class Period:
    end: date
    start: date | None
    kind: str

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls(month_end(year, month), date(year, month, 1), "month")

    @classmethod
    def months(cls, year: int, first: int, last: int) -> Period:
        """Months ``first``..``last`` of one year (e.g. 1-6月); a single month is a month."""
        if first == last:
            return cls.month(year, first)
        return cls(month_end(year, last), date(year, first, 1), "range")

    @classmethod
    def span(cls, start: date, end: date) -> Period:
        """Whole months from ``start``'s month to ``end``'s month."""
        if (start.year, start.month) == (end.year, end.month):
            return cls.month(start.year, start.month)
        return cls(month_end(end.year, end.month), date(start.year, start.month, 1), "range")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 12, 31), date(year, 1, 1), "year")

    @classmethod
    def cumulative(cls, end: date) -> Period:
        return cls(end, None, "cumulative")

    @classmethod
    def snapshot(cls, at: date) -> Period:
        return cls(at, at, "snapshot")

    # -- identity -------------------------------------------------------------------------
    @property
    def key(self) -> str:
        s, e = self.start, self.end
        if self.kind == "month":
            return month_key(s)
        if self.kind == "range":
            return f"{month_key(s)}..{month_key(e)}"
        if self.kind == "quarter":
            return f"{s.year}-Q{(s.month - 1) // 3 + 1}"
        if self.kind == "half":
            return f"{s.year}-H{1 if s.month == 1 else 2}"
        if self.kind == "year":
            return str(s.year)
        if self.kind == "cumulative":
            return f"..{e.isoformat()}"
        return e.isoformat()

    def __str__(self) -> str:
        return self.key

    def shifted(self, years: int) -> Period:
        """The same period ``years`` earlier or later (同比 uses -1)."""
        start = _shift_date(self.start, years) if self.start else None
        end = _shift_date(self.end, years)
        if self.kind in ("month", "range", "quarter", "half", "year"):
            end = month_end(end.year, end.month)
        return Period(end, start, self.kind)

    def month_keys(self) -> list[str] | None:
        """The calendar months the period covers (None: everything up to ``end``, i.e. 累计)."""
        if self.start is None:
            return None
        keys, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            keys.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return keys

    @property
    def is_flow(self) -> bool:
        return self.kind not in ("snapshot",)

    # -- labels ---------------------------------------------------------------------------
    def label(self, language: str = "zh-hans") -> str:
        en = (language or "").startswith("en")
        s, e = self.start, self.end
        if self.kind == "month":
            return f"{_MONTHS_EN[s.month - 1]} {s.year}" if en else f"{s.year}年{s.month}月"
        if self.kind == "range":
            if s.year == e.year:
                return (
                    f"{_MONTHS_EN[s.month - 1]}–{_MONTHS_EN[e.month - 1]} {s.year}"
                    if en
                    else f"{s.year}年{s.month}-{e.month}月"
                )
            return (
                f"{_MONTHS_EN[s.month - 1]} {s.year}–{_MONTHS_EN[e.month - 1]} {e.year}"
                if en
                else f"{s.year}年{s.month}月-{e.year}年{e.month}月"
            )
        if self.kind == "quarter":
            q = (s.month - 1) // 3 + 1
            return f"Q{q} {s.year}" if en else f"{s.year}年第{_QUARTERS_ZH[q - 1]}季度"
        if self.kind == "half":
            h = 1 if s.month == 1 else 2
            return f"H{h} {s.year}" if en else f"{s.year}年{'上' if h == 1 else '下'}半年"
        if self.kind == "year":
            return str(s.year) if en else f"{s.year}年"
        if self.kind == "cumulative":
            if e == month_end(e.year, e.month):
                return (
                    f"Cumulative since launch, to {_MONTHS_EN[e.month - 1]} {e.year}"
                    if en
                    else f"累计（挂牌以来，截至{e.year}年{e.month}月）"
                )
            return (
                f"Cumulative since launch, to {e.day} {_MONTHS_EN[e.month - 1]} {e.year}"
                if en
                else f"累计（挂牌以来，截至{e.year}年{e.month}月{e.day}日）"
            )
        return f"As at {e.day} {_MONTHS_EN[e.month - 1]} {e.year}" if en else f"截至{e.year}年{e.month}月{e.day}日"


_RE_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RE_RANGE = re.compile(r"^(\d{4})-(\d{1,2})\s*\.\.\s*(\d{4})-(\d{1,2})$")
_RE_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_RE_HALF = re.compile(r"^(\d{4})-?H([12])$", re.I)
_RE_YEAR = re.compile(r"^(\d{4})$")
_RE_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_RE_CUM = re.compile(r"^(?:\.\.|累计\s*)(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")
# Chinese forms officials type: 2022年1-6月, 2022年5月, 2022年
_RE_ZH_RANGE = re.compile(r"^(\d{4})年(\d{1,2})\s*[-－—~至]\s*(\d{1,2})月$")
_RE_ZH_MONTH = re.compile(r"^(\d{4})年(\d{1,2})月$")
_RE_ZH_YEAR = re.compile(r"^(\d{4})年$")


def parse(text) -> Period:
    """Read a period from its key (or a common Chinese spelling); raise ``PeriodError``."""
    raw = str(text).strip() if text is not None else ""
    if isinstance(text, date):
        return Period.snapshot(text if not hasattr(text, "date") else text.date())
    try:
        if m := _RE_MONTH.match(raw):
            return Period.month(int(m[1]), int(m[2]))
        if m := _RE_RANGE.match(raw):
            start, end = date(int(m[1]), int(m[2]), 1), date(int(m[3]), int(m[4]), 1)
            if end < start:
                raise PeriodError(raw)
            return Period.span(start, end)
        if m := _RE_QUARTER.match(raw):
            y, q = int(m[1]), int(m[2])
            return Period(month_end(y, q * 3), date(y, q * 3 - 2, 1), "quarter")
        if m := _RE_HALF.match(raw):
            y, h = int(m[1]), int(m[2])
            return Period(month_end(y, h * 6), date(y, h * 6 - 5, 1), "half")
        if m := _RE_YEAR.match(raw):
            return Period.year(int(m[1]))
        if m := _RE_CUM.match(raw):
            y, mo = int(m[1]), int(m[2])
            end = date(y, mo, int(m[3])) if m[3] else month_end(y, mo)
            return Period.cumulative(end)
        if m := _RE_DATE.match(raw):
            return Period.snapshot(date(int(m[1]), int(m[2]), int(m[3])))
        if m := _RE_ZH_RANGE.match(raw):
            y, a, b = int(m[1]), int(m[2]), int(m[3])
            if b < a:
                raise PeriodError(raw)
            return Period.months(y, a, b)
        if m := _RE_ZH_MONTH.match(raw):
            return Period.month(int(m[1]), int(m[2]))
        if m := _RE_ZH_YEAR.match(raw):
            return Period.year(int(m[1]))
    except ValueError as exc:  # month 13, day 31 of a 30-day month
        if isinstance(exc, PeriodError):
            raise
        raise PeriodError(raw) from None
    raise PeriodError(raw)


def from_row(kind: str, start: date | None, end: date) -> Period:
    return Period(end, start, kind)
