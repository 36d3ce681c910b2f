"""Reading figures — 指标读取: latest values, series, breakdowns, growth and targets.

One place answers "what is this indicator's value for that period", for computed indicators
(from monthly rollups, never from the cases) and reported ones (from observations), so the pages,
the Excel export, the API and ``zimao indicators --json`` all show the same numbers.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language

from zimao.monitor import rollups
from zimao.monitor.models import Indicator, IndicatorValue, Target
from zimao.monitor.periods import Period, month_end

HUNDRED = Decimal(100)

# Inside ``snapshot()`` observations and targets are read once (one query each for the whole
# page) and each stream's rollups once (``rollups.memoized``), instead of a few queries per
# indicator, per month of a chart and per year-earlier base.
_memo: ContextVar[dict | None] = ContextVar("monitor_readout_memo", default=None)


@contextmanager
def snapshot():
    """Read the figures once for a whole page, export or command — 一次读取. For reading only:
    changes made inside the block are not seen by it. Usable as a decorator on a GET view."""
    token = _memo.set({})
    try:
        with rollups.memoized():
            yield
    finally:
        _memo.reset(token)


def _memo_list(name: str, load) -> dict[int, list] | None:
    memo = _memo.get()
    if memo is None:
        return None
    if name not in memo:
        grouped: dict[int, list] = {}
        for row in load():
            grouped.setdefault(row.indicator_id, []).append(row)
        memo[name] = grouped
    return memo[name]


def _values_of(ind: Indicator, dimension: str | None = None) -> list[IndicatorValue] | None:
    """All observations of ``ind`` (of one dimension) from the snapshot, or None outside one."""
    grouped = _memo_list("values", lambda: IndicatorValue.objects.all())
    if grouped is None:
        return None
    rows = grouped.get(ind.pk, [])
    return rows if dimension is None else [v for v in rows if v.dimension == dimension]


def _targets_of(ind: Indicator, dimension: str) -> list[Target]:
    grouped = _memo_list("targets", lambda: Target.objects.select_related("indicator"))
    if grouped is None:
        return list(Target.objects.filter(indicator=ind, dimension=dimension))
    return [t for t in grouped.get(ind.pk, []) if t.dimension == dimension]


@dataclass
class Figure:
    """One value of an indicator for a period (a point on its series)."""

    indicator: Indicator
    period: Period
    value: Decimal | None
    source: str  # "computed" | "reported"
    dimension: str = ""
    qualifier: str = ""
    section: str = ""
    note: str = ""
    published_yoy: Decimal | None = None
    yoy: Decimal | None = None
    yoy_source: str = ""  # "derived" | "published" | ""
    count: int | None = None  # events behind a computed figure (drill-down)
    extra: dict = field(default_factory=dict)


# --- computing from rollups ---------------------------------------------------------------------


def _scaled(ind: Indicator, value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value) / (ind.scale or Decimal(1))


def _computed_value(ind: Indicator, period: Period, dimension: str = "") -> tuple[Decimal | None, int]:
    months = period.month_keys()
    end_month = f"{period.end.year:04d}-{period.end.month:02d}"
    dim = dimension or None
    agg_kind = ind.aggregation
    if agg_kind in ("share_dim", "count_dim"):
        agg = rollups.aggregate(ind.stream, months, end_month=end_month, dimension=dim)
        wanted = [d.strip() for d in ind.param.split(",") if d.strip()]
        part = sum(c for d, c in agg.by_dimension.items() if d in wanted)
        if not agg.count:
            return None, 0
        if agg_kind == "count_dim":
            return Decimal(part), agg.count
        return Decimal(part) * HUNDRED / Decimal(agg.count), agg.count
    needs_buckets = agg_kind in ("p50", "p90", "share_le")
    agg = rollups.aggregate(ind.stream, months, end_month=end_month, dimension=dim, with_buckets=needs_buckets)
    if not agg.count:
        return None, 0
    if agg_kind == "count":
        return Decimal(agg.count), agg.count
    if agg_kind == "sum":
        return _scaled(ind, agg.total), agg.count
    if agg_kind == "p50":
        return _scaled(ind, agg.percentile(0.5)), agg.count
    if agg_kind == "p90":
        return _scaled(ind, agg.percentile(0.9)), agg.count
    if agg_kind == "min":
        return _scaled(ind, agg.min_value), agg.count
    if agg_kind == "share_le":
        return agg.share_le(Decimal(ind.param or 0)), agg.count
    return None, 0


def _has_rollups(ind: Indicator, period: Period) -> bool:
    if ind.source != "computed" or not ind.stream:
        return False
    return rollups.has_events(
        ind.stream, period.month_keys(), end_month=f"{period.end.year:04d}-{period.end.month:02d}"
    )


def _observation(ind: Indicator, period: Period, dimension: str = "") -> IndicatorValue | None:
    values = _values_of(ind, dimension)
    if values is not None:
        return next((v for v in values if v.period_key == period.key), None)
    return IndicatorValue.objects.filter(indicator=ind, dimension=dimension, period_key=period.key).first()


def _observations(
    ind: Indicator, dimension: str, *, since: date | None, until: date | None, kind: str | None = None
) -> list[IndicatorValue]:
    """Observations of one dimension within the window, by period end then start."""
    values = _values_of(ind, dimension)
    if values is None:
        qs = IndicatorValue.objects.filter(indicator=ind, dimension=dimension)
        if until:
            qs = qs.filter(period_end__lte=until)
        if since:
            qs = qs.filter(period_end__gte=since)
        if kind:
            qs = qs.filter(period_kind=kind)
        values = list(qs)
    else:
        values = [
            v
            for v in values
            if (not until or v.period_end <= until)
            and (not since or v.period_end >= since)
            and (not kind or v.period_kind == kind)
        ]
    return sorted(values, key=lambda o: (o.period_end, o.period_start or date.min))


def _from_observation(ind: Indicator, obs: IndicatorValue) -> Figure:
    return Figure(
        ind,
        obs.period,
        obs.value,
        "reported",
        obs.dimension,
        obs.qualifier,
        obs.section,
        obs.source_note,
        obs.published_yoy,
    )


def value_for(ind: Indicator, period: Period, dimension: str = "", *, with_yoy: bool = True) -> Figure | None:
    """The figure for exactly this period: from rollups if the platform has events in it, else
    from a reported observation of the same period."""
    fig = None
    if ind.source == "computed" and ind.stream and period.kind != "snapshot" and _has_rollups(ind, period):
        value, count = _computed_value(ind, period, dimension)
        fig = Figure(ind, period, value, "computed", dimension, count=count)
    else:
        obs = _observation(ind, period, dimension)
        if obs is not None:
            fig = _from_observation(ind, obs)
    if fig is not None and with_yoy:
        attach_yoy(fig)
    return fig


def attach_yoy(fig: Figure) -> Figure:
    """Year-on-year growth (同比, %): derived against the same period a year earlier; a growth
    rate the source published is used only when the base figure is unknown."""
    if fig.value is None or fig.indicator.aggregation in ("p50", "p90", "min", "share_le", "share_dim"):
        # Growth of a percentile or a share is not meaningful as a percentage of itself.
        fig.yoy, fig.yoy_source = None, ""
        return fig
    base = value_for(fig.indicator, fig.period.shifted(-1), fig.dimension, with_yoy=False)
    if base is not None and base.value:
        fig.yoy = ((fig.value - base.value) * HUNDRED / base.value).quantize(Decimal("0.1"), ROUND_HALF_UP)
        fig.yoy_source = "derived"
    elif fig.published_yoy is not None:
        fig.yoy, fig.yoy_source = fig.published_yoy, "published"
    return fig


def latest(
    ind: Indicator, dimension: str = "", *, until: date | None = None, since: date | None = None
) -> Figure | None:
    """The most recent figure up to ``until``: for computed indicators the year to date of the
    last month with events (e.g. 2022年1-6月); otherwise the observation ending last (a shorter,
    more recent period beats a cumulative one ending the same day)."""
    candidates: list[Figure] = []
    if ind.source == "computed" and ind.stream:
        months = rollups.months_with_data(ind.stream)
        if until:
            months = [m for m in months if m <= f"{until.year:04d}-{until.month:02d}"]
        if since:
            months = [m for m in months if m >= f"{since.year:04d}-{since.month:02d}"]
        if months:
            y, m = (int(p) for p in months[-1].split("-"))
            first = 1
            if since and since.year == y:
                first = max(1, since.month)
            period = Period.months(y, first, m)
            value, count = _computed_value(ind, period, dimension)
            candidates.append(Figure(ind, period, value, "computed", dimension, count=count))
    obs = _observations(ind, dimension, since=since, until=until)[-1:]
    candidates += [_from_observation(ind, o) for o in obs]
    if not candidates:
        return None
    # Later end wins; on a tie the platform's own figure wins over a reported one.
    best = max(candidates, key=lambda f: (f.period.end, f.source == "computed", f.period.start or date.min))
    return attach_yoy(best)


def series(
    ind: Indicator,
    dimension: str = "",
    *,
    since: date | None = None,
    until: date | None = None,
    grain: str = "month",
    kind: str | None = None,
) -> list[Figure]:
    """Points over time. Computed: one per month (or quarter/year) with events; reported: each
    observation (optionally only one period ``kind``), ordered by period end."""
    points: list[Figure] = []
    covered: set[str] = set()
    if ind.source == "computed" and ind.stream:
        months = rollups.months_with_data(ind.stream)
        if until:
            months = [m for m in months if m <= f"{until.year:04d}-{until.month:02d}"]
        if since:
            months = [m for m in months if m >= f"{since.year:04d}-{since.month:02d}"]
        covered = set(months)
        periods: list[Period] = []
        for m in months:
            y, mo = (int(p) for p in m.split("-"))
            if grain == "year":
                p = Period.year(y)
            elif grain == "quarter":
                q = (mo - 1) // 3
                p = Period(month_end(y, q * 3 + 3), date(y, q * 3 + 1, 1), "quarter")
            else:
                p = Period.month(y, mo)
            if p not in periods:
                periods.append(p)
        for p in periods:
            value, count = _computed_value(ind, p, dimension)
            points.append(attach_yoy(Figure(ind, p, value, "computed", dimension, count=count)))
    for obs in _observations(ind, dimension, since=since, until=until, kind=kind):
        months = obs.period.month_keys()
        if months and covered.intersection(months):
            continue  # the platform's own figure for these months wins
        points.append(attach_yoy(_from_observation(ind, obs)))
    points.sort(key=lambda f: (f.period.end, f.period.start or date.min))
    return points


def breakdown(ind: Indicator, period: Period) -> list[Figure]:
    """The figure split by dimension (entity type, reform mode, industry…) for one period."""
    out = []
    if ind.source == "computed" and ind.stream and _has_rollups(ind, period):
        if ind.aggregation in ("count", "sum"):
            agg = rollups.aggregate(
                ind.stream, period.month_keys(), end_month=f"{period.end.year:04d}-{period.end.month:02d}"
            )
            for dim in sorted(agg.by_dimension):
                value, count = _computed_value(ind, period, dim)
                out.append(attach_yoy(Figure(ind, period, value, "computed", dim, count=count)))
        return out
    values = _values_of(ind)
    if values is None:
        values = (
            IndicatorValue.objects.filter(indicator=ind, period_key=period.key).exclude(dimension="").order_by("id")
        )
    else:
        values = sorted((v for v in values if v.period_key == period.key and v.dimension), key=lambda v: v.pk)
    for obs in values:
        out.append(attach_yoy(_from_observation(ind, obs)))
    return out


def target_for(ind: Indicator, period: Period | None, dimension: str = "") -> Target | None:
    """The target that applies: the earliest deadline on or after the period's end, else a
    standing commitment (no deadline)."""
    targets = _targets_of(ind, dimension)
    if not targets:
        return None
    end = period.end if period else date.min
    dated = sorted((t for t in targets if t.deadline and t.deadline >= end), key=lambda t: t.deadline)
    if dated:
        return dated[0]
    standing = [t for t in targets if t.deadline is None]
    if standing:
        return standing[0]
    return max(targets, key=lambda t: t.deadline)


# --- presentation -------------------------------------------------------------------------------


def _plain(value: Decimal, decimals: int) -> str:
    """Rounded to ``decimals`` places, without trailing zeros (25 stays 25, 35.80 shows 35.8)."""
    q = Decimal(1).scaleb(-decimals) if decimals else Decimal(1)
    v = value.quantize(q, ROUND_HALF_UP)
    places = max(0, -v.normalize().as_tuple().exponent) if v else 0
    return f"{v:,.{min(places, decimals)}f}"


def fmt(value: Decimal | None, decimals: int = 0, language: str | None = None) -> str:
    """A number the way the reader's language writes it: 3.87万 in Chinese, 38,700 in English."""
    if value is None:
        return "—"
    language = language or get_language() or "zh-hans"
    value = Decimal(value)
    if not language.startswith("en") and abs(value) >= 10000 and decimals == 0:
        wan = (value / Decimal(10000)).quantize(Decimal("0.01"), ROUND_HALF_UP).normalize()
        return f"{wan:f}万"
    text = _plain(value, decimals)
    return text if language.startswith("en") else text.replace(",", "")


QUALIFIER_TEXT = {"over": ("超过", "over "), "about": ("约", "about "), "nearly": ("近", "nearly ")}


def display(fig: Figure | None, language: str | None = None, unit: DisplayUnit | None = None) -> str:
    """The figure as text, in ``unit`` when given (``choose_unit``), else in the catalogued unit."""
    if fig is None or fig.value is None:
        return "—"
    language = language or get_language() or "zh-hans"
    if unit is None:
        text = fmt(fig.value, fig.indicator.decimals, language)
    else:
        text = fmt(in_unit(fig.value, unit), unit.decimals, language)
    if fig.qualifier in QUALIFIER_TEXT:
        zh, en = QUALIFIER_TEXT[fig.qualifier]
        text = (en if language.startswith("en") else zh) + text
    return text


# --- the unit for the magnitude -----------------------------------------------------------------
#
# 355,000 yuan in 亿元 is "0"; 12 minutes in hours is "0". An indicator whose catalogued unit is
# one rung of a ladder (money: 亿元/万元/元; time: 天/小时/分钟/秒) is shown in the rung that suits
# the figure: the largest whose threshold it reaches. Values stay in the catalogued unit in the
# API's ``value``; the words on the page (``display`` and ``unit``) follow the magnitude.


@dataclass(frozen=True)
class Rung:
    zh: str
    en: str
    factor: Decimal  # base units (yuan, seconds) in one of this unit
    shown_from: Decimal  # the smallest base amount shown in this unit
    decimals: int


MONEY_UNITS = (
    Rung("亿元", "100 million CNY", Decimal(100_000_000), Decimal(100_000_000), 2),
    Rung("万元", "10,000 CNY", Decimal(10_000), Decimal(10_000), 2),
    Rung("元", "CNY", Decimal(1), Decimal(0), 0),
)
TIME_UNITS = (
    Rung("天", "days", Decimal(86_400), Decimal(3 * 86_400), 1),  # under 3 days: hours (the 24-hour limit)
    Rung("小时", "hours", Decimal(3_600), Decimal(3_600), 1),
    Rung("分钟", "minutes", Decimal(60), Decimal(60), 0),
    Rung("秒", "seconds", Decimal(1), Decimal(0), 0),
)


@dataclass(frozen=True)
class DisplayUnit:
    """How to show an indicator's figures: divide the catalogued value by ``divisor``."""

    zh: str
    en: str
    divisor: Decimal
    decimals: int

    def name(self, language: str | None = None) -> str:
        return self.en if (language or get_language() or "zh-hans").startswith("en") else self.zh


def counted(unit_name: str, display: str, language: str | None = None) -> str:
    """The unit as said after this figure: English says "1 entity", "1 hour" — units are
    catalogued in the plural ("entities", "hours"); Chinese has no plural. Only whole count
    words change: "1 %" or "1 100 million CNY" stay as they are."""
    if display != "1" or not (language or get_language() or "zh-hans").startswith("en"):
        return unit_name
    head, _, word = unit_name.rpartition(" ")
    if word == "people":
        word = "person"
    elif word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss") and word.isalpha():
        word = word[:-1]
    return f"{head} {word}" if head else word


def _ladder_of(ind: Indicator) -> tuple[tuple[Rung, ...], Rung] | None:
    for ladder in (MONEY_UNITS, TIME_UNITS):
        for rung in ladder:
            if rung.zh == ind.unit_zh and rung.factor == (ind.scale or Decimal(1)):
                return ladder, rung
    return None


def choose_unit(ind: Indicator, values, language: str | None = None) -> DisplayUnit:
    """The unit for figures of this size — 按量级选单位: the rung the largest of ``values`` (in the
    catalogued unit) reaches; the catalogued unit when the indicator has no ladder or no figure.
    In English, Chinese myriad units are said the English way (``english_magnitude``)."""
    unit = _chosen_unit(ind, values)
    return english_magnitude(unit) if (language or get_language() or "zh-hans").startswith("en") else unit


def _chosen_unit(ind: Indicator, values) -> DisplayUnit:
    same = DisplayUnit(ind.unit_zh, ind.unit_en, Decimal(1), ind.decimals)
    found = _ladder_of(ind)
    numbers = [abs(Decimal(v)) for v in values if v is not None]
    if found is None or not numbers or not max(numbers):
        return same
    ladder, own = found
    base = max(numbers) * own.factor
    rung = next(r for r in ladder if base >= r.shown_from)
    if rung is own:
        return same
    return DisplayUnit(rung.zh, rung.en, rung.factor / own.factor, rung.decimals)


# 亿 and 万 have no English word: "4.29 100 million USD" reads as two numbers. English counts in
# thousands and millions, so the same figure is shown as 429 million USD (×100) or 35.5 thousand →
# 355 thousand CNY (×10); Chinese keeps 亿元/万元.
_MYRIADS = (("100 million ", "million ", 100), ("10,000 ", "thousand ", 10))


def english_magnitude(unit: DisplayUnit) -> DisplayUnit:
    for chinese_way, english_way, times in _MYRIADS:
        if unit.en.startswith(chinese_way):
            places = len(str(times)) - 1
            return DisplayUnit(
                unit.zh,
                english_way + unit.en[len(chinese_way) :],
                unit.divisor / times,
                max(unit.decimals - places, 0),
            )
    return unit


def is_count(ind: Indicator) -> bool:
    """Whole things counted (户, 家, 件, 个…): axes tick in whole numbers."""
    return ind.decimals == 0 and _ladder_of(ind) is None and ind.unit_zh not in ("%", "％")


def in_unit(value: Decimal | None, unit: DisplayUnit) -> Decimal | None:
    return None if value is None else Decimal(value) / unit.divisor


def kind_label(source: str) -> str:
    """What kind of figure it is, said on every card: 报告数据 (a published report) or 实时 (live,
    computed from the cases on this platform)."""
    from django.utils.translation import gettext

    return gettext("Live") if source == "computed" else gettext("Report figure")


def source_line(fig: Figure | None, language: str | None = None) -> str:
    """来源 / Source under a chart or card: the report and its year, or "live, computed from cases"."""
    from django.utils.translation import gettext

    if fig is None:
        return ""
    if fig.source == "computed":
        return gettext("Live, computed from the cases on this platform")
    report = fig.note or gettext("Reported figures")
    en = (language or get_language() or "zh-hans").startswith("en")
    return f"{report} ({fig.period.end.year})" if en else f"{report}（{fig.period.end.year}）"


def number(value: Decimal | None, decimals: int = 4) -> float | None:
    """A JSON number (rounded so float noise never shows)."""
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP))


def target_info(target: Target | None, fig: Figure | None, language: str | None = None) -> dict | None:
    if target is None:
        return None
    language = language or get_language() or "zh-hans"
    en = language.startswith("en")
    value = fig.value if fig else None
    progress = None
    if value is not None and target.value:
        if target.comparison == "lte":
            progress = min(Decimal(100), target.value * HUNDRED / value) if value else Decimal(100)
        else:
            progress = min(Decimal(100), value * HUNDRED / target.value)
    words = {"gt": ("超过", "over"), "gte": ("不低于", "at least"), "lte": ("不超过", "at most")}[target.comparison]
    return {
        "value": number(target.value),
        "display": fmt(target.value, target.indicator.decimals, language),
        "comparison": target.comparison,
        "comparison_text": words[1] if en else words[0],
        "deadline": target.deadline.isoformat() if target.deadline else None,
        "progress": number(progress, 1),
        "met": target.met_by(value),
        "note": (target.note_en or target.note_zh) if en else target.note_zh,
        "section": target.section,
    }


def figure_dict(fig: Figure | None, language: str | None = None) -> dict | None:
    if fig is None:
        return None
    language = language or get_language() or "zh-hans"
    ind = fig.indicator
    unit = choose_unit(ind, [fig.value], language)
    shown = display(fig, language, unit)
    return {
        "value": number(fig.value),
        "display": shown,
        "unit": counted(unit.name(language), shown, language),
        "kind": "live" if fig.source == "computed" else "report",
        "kind_label": kind_label(fig.source),
        "source_line": source_line(fig, language),
        "period": fig.period.key,
        "period_label": fig.period.label(language),
        "dimension": fig.dimension,
        "dimension_label": ind.dimension_label(fig.dimension, language),
        "qualifier": fig.qualifier,
        "yoy": number(fig.yoy, 1),
        "yoy_source": fig.yoy_source,
        "source": fig.source,
        "section": fig.section,
        "note": fig.note,
        "events": fig.count,
    }


def indicator_dict(
    ind: Indicator, *, until: date | None = None, since: date | None = None, language: str | None = None
) -> dict:
    """Everything the pages, the API and ``zimao indicators --json`` show about one indicator."""
    language = language or get_language() or "zh-hans"
    fig = latest(ind, until=until, since=since)
    target = target_for(ind, fig.period if fig else None)
    return {
        "code": ind.code,
        "name": ind.name(language),
        "name_zh": ind.name_zh,
        "name_en": ind.name_en,
        "unit": ind.unit(language),
        "unit_zh": ind.unit_zh,
        "unit_en": ind.unit_en,
        "category": ind.category,
        "frequency": ind.frequency,
        "source": ind.source,
        "published": ind.published,
        "definition": ind.definition(language),
        "latest": figure_dict(fig, language),
        "target": target_info(target, fig, language),
    }
