"""The zone's picture — 片区画像: what the dashboard pages, charts and Excel exports show.

Pages and exports call the same builders so a spreadsheet always matches the screen. Chart
data is plain JSON (rendered into the page with ``json_script``; ``static/monitor/dashboard.js``
turns it into ECharts options), so tests can read exactly what a chart draws.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _

from zimao.core import dates
from zimao.monitor import catalogue, readout, rollups
from zimao.monitor.models import (
    Chain,
    Enterprise,
    Indicator,
    IndicatorValue,
    Industry,
    InnovationOutcome,
    PilotTask,
    Project,
    TalentProgramme,
)
from zimao.monitor.periods import Period, month_end

HEADLINE = [
    "market.entities_total",
    "market.new_entities",
    "openness.fdi_actual",
    "trade.import_export",
    "trade.rcep_certificates",
    "trade.rcep_fob_value",
    "tiers.high_tech",
    "tiers.tech_smes",
    "reform.innovation_outcomes",
    "registry.establishment_p90_hours",
    "registry.establishment_fastest_minutes",
    "cases.rating_good_share",
]
TIERS = [
    "tiers.tech_smes",
    "tiers.high_tech",
    "tiers.specialised",
    "tiers.little_giants",
    "tiers.hidden_champions",
    "innovation.platforms",
    "innovation.national_platforms",
    "innovation.incubators",
]


# --- what every chart carries: readable axes and its source ------------------------------------

AXIS_WIDTH = 64  # about how many Latin characters fit along a chart's category axis
SLANTED = 3  # the room one slanted label takes along the axis


def _width(text) -> int:
    """Display width: a Chinese character takes two Latin ones' room."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in str(text))


def category_axis(categories: list, horizontal: bool = False) -> dict:
    """ECharts ``axisLabel`` settings for the category axis — 坐标轴标签: every label while even
    slanted ones fit, else every n-th (``interval``); slanted (45°) only when level ones collide."""
    n = len(categories)
    if horizontal or not n:
        return {"interval": 0, "rotate": 0}
    interval = 0 if n * SLANTED <= AXIS_WIDTH else math.ceil(n * SLANTED / AXIS_WIDTH) - 1
    shown = math.ceil(n / (interval + 1))
    widest = max(_width(c) for c in categories)
    return {"interval": interval, "rotate": 0 if shown * (widest + 2) <= AXIS_WIDTH else 45}


def finish_chart(chart: dict, source: str, *, counts: bool = False) -> dict:
    """Axis settings, whole-number ticks for counts (``minInterval`` 1: no "2.5 enterprises"),
    and the source line shown under the chart — 来源."""
    if chart.get("type") not in ("tree", "pie"):
        chart["category_axis"] = category_axis(chart.get("categories") or [], bool(chart.get("horizontal")))
        chart["value_axis"] = {"minInterval": 1} if counts else {}
    chart["source"] = source
    return chart


def _live_source() -> str:
    return _("Live, computed from the cases on this platform")


def _report_source(years) -> str:
    years = [y for y in years if y]
    return f"{_('Zone development report')} ({max(years)})" if years else _("Zone development report")


def is_en(language: str | None) -> bool:
    return (language or "").startswith("en")


# --- the period filter --------------------------------------------------------------------------


def parse_window(get) -> tuple[date | None, date | None, list[str]]:
    """``?from=YYYY-MM&to=YYYY-MM`` → (since, until, bilingual errors)."""
    errors, since, until = [], None, None
    for name in ("from", "to"):
        raw = (get.get(name) or "").strip()
        if not raw:
            continue
        try:
            y, m = (int(p) for p in raw.split("-"))
            d = date(y, m, 1) if name == "from" else month_end(y, m)
        except ValueError:
            errors.append(
                _("%(field)s: enter a month as YYYY-MM") % {"field": _("From") if name == "from" else _("To")}
            )
            continue
        if dates.out_of_range(d):  # 0001-01 parses, and means nothing here
            errors.append(
                _("%(field)s: enter a month from 1900 to %(year)s")
                % {"field": _("From") if name == "from" else _("To"), "year": dates.latest().year}
            )
            continue
        if name == "from":
            since = d
        else:
            until = d
    if since and until and since > until:
        errors.append(_("From must not be after To"))
        since = until = None
    return since, until, errors


# --- indicators ---------------------------------------------------------------------------------


def _indicators(published_only: bool):
    qs = Indicator.objects.all()
    return qs.filter(published=True) if published_only else qs


def overview(language: str, since=None, until=None, published_only=False) -> dict:
    inds = list(_indicators(published_only))
    rows = {i.code: readout.indicator_dict(i, until=until, since=since, language=language) for i in inds}
    for ind in inds:
        rows[ind.code]["url"] = reverse("monitor:indicator", args=[ind.code])
    headline = [rows[c] for c in HEADLINE if c in rows and rows[c]["latest"]]
    categories = []
    for key, (zh, en) in catalogue.CATEGORIES.items():
        members = [rows[i.code] for i in inds if i.category == key]
        if members:
            categories.append({"key": key, "name": en if is_en(language) else zh, "indicators": members})
    other = [rows[i.code] for i in inds if i.category not in catalogue.CATEGORIES]
    if other:
        categories.append({"key": "other", "name": _("Other"), "indicators": other})
    return {"headline": headline, "categories": categories, "rows": list(rows.values())}


def industry_output(language: str, until=None, since=None) -> dict:
    """The "3+1" leading industries' output for the latest period with figures, with growth."""
    try:
        ind = Indicator.objects.get(code="industry.output")
    except Indicator.DoesNotExist:
        return {"period": None, "rows": [], "chart": None}
    qs = IndicatorValue.objects.filter(indicator=ind).exclude(dimension="")
    if until:
        qs = qs.filter(period_end__lte=until)
    if since:
        qs = qs.filter(period_end__gte=since)
    last = qs.order_by("-period_end", "-period_start").first()
    if last is None:
        return {"period": None, "rows": [], "chart": None}
    period = last.period
    figures = readout.breakdown(ind, period)
    industries = {i.key: i for i in Industry.objects.filter(group="lead")}
    order = list(catalogue.INDUSTRY_DIMENSIONS)
    figures.sort(key=lambda f: order.index(f.dimension) if f.dimension in order else 99)
    rows = []
    for f in figures:
        industry = industries.get(f.dimension)
        rows.append(
            {
                "key": f.dimension,
                "name": industry.name(language) if industry else ind.dimension_label(f.dimension, language),
                "role": industry.lead_role if industry else "",
                "value": readout.number(f.value),
                "display": readout.display(f, language),
                "yoy": readout.number(f.yoy, 1),
                "yoy_source": f.yoy_source,
                "section": f.section,
                "enterprises": [e.name(language) for e in industry.enterprises.all()] if industry else [],
            }
        )
    unit = ind.unit(language)
    chart = {
        "type": "bar",
        "id": "industry",
        "title": f"{ind.name(language)}（{period.label(language)}）",
        "unit": unit,
        "categories": [r["name"] for r in rows],
        "series": [
            {"name": f"{_('Output')} ({unit})", "kind": "bar", "data": [r["value"] for r in rows]},
            {"name": _("Growth year on year (%)"), "kind": "line", "axis": 1, "data": [r["yoy"] for r in rows]},
        ],
    }
    finish_chart(chart, readout.source_line(figures[0], language) if figures else _report_source([period.end.year]))
    return {"period": period.key, "period_label": period.label(language), "unit": unit, "rows": rows, "chart": chart}


def tiers(language: str, until=None, published_only=False) -> dict:
    """Enterprise tiers (企业梯队) against the year's targets."""
    inds = {i.code: i for i in _indicators(published_only).filter(code__in=TIERS)}
    rows, figures = [], []
    for code in TIERS:
        ind = inds.get(code)
        if not ind:
            continue
        fig = readout.latest(ind, until=until)
        figures.append(fig)
        target = readout.target_for(ind, fig.period if fig else None)
        info = readout.target_info(target, fig, language)
        rows.append(
            {
                "code": code,
                "name": ind.name(language),
                "value": readout.number(fig.value) if fig else None,
                "display": readout.display(fig, language),
                "period_label": fig.period.label(language) if fig else "",
                "section": fig.section if fig else "",
                "target": info,
            }
        )
    chart = {
        "type": "bar",
        "id": "tiers",
        "title": _("Enterprise tiers and innovation platforms"),
        "horizontal": True,
        "categories": [r["name"] for r in rows],
        "series": [
            {"name": _("Now"), "kind": "bar", "data": [r["value"] for r in rows]},
            {"name": _("Target"), "kind": "bar", "data": [r["target"]["value"] if r["target"] else None for r in rows]},
        ],
    }
    shown = [f for f in figures if f is not None]
    source = readout.source_line(max(shown, key=lambda f: f.period.end), language) if shown else _report_source([])
    finish_chart(chart, source, counts=True)
    return {"rows": rows, "chart": chart}


def trend(ind: Indicator, language: str, since=None, until=None, dimension: str = "") -> dict:
    """A series chart: months for computed indicators, observations of one kind otherwise."""
    fig = readout.latest(ind, dimension, until=until, since=since)
    if ind.source == "computed" and fig is not None and fig.source == "computed":
        points = [p for p in readout.series(ind, dimension, since=since, until=until) if p.source == "computed"]
    else:
        kind = fig.period.kind if fig else None
        points = readout.series(ind, dimension, since=since, until=until, kind=kind)
    unit = readout.choose_unit(ind, [p.value for p in points], language)
    chart = {
        "type": "line" if len(points) > 2 else "bar",
        "id": f"trend-{ind.code}",
        "title": ind.name(language),
        "unit": unit.name(language),
        "categories": [p.period.label(language) for p in points],
        "series": [
            {
                "name": f"{ind.name(language)} ({unit.name(language)})",
                "kind": "bar" if len(points) <= 2 else "line",
                "data": [readout.number(readout.in_unit(p.value, unit)) for p in points],
            },
            {
                "name": _("Growth year on year (%)"),
                "kind": "line",
                "axis": 1,
                "data": [readout.number(p.yoy, 1) for p in points],
            },
        ],
        "points": [readout.figure_dict(p, language) for p in points],
    }
    last = points[-1] if points else fig
    return finish_chart(chart, readout.source_line(last, language) if last else "", counts=readout.is_count(ind))


def establishment(language: str, since=None, until=None) -> dict | None:
    """The histogram of enterprise-establishment times, with the 60-minute and 24-hour lines."""
    stream = catalogue.ESTABLISHMENTS
    months = rollups.months_with_data(stream)
    if until:
        months = [m for m in months if m <= until.strftime("%Y-%m")]
    if since:
        months = [m for m in months if m >= since.strftime("%Y-%m")]
    if not months:
        return None
    agg = rollups.aggregate(stream, months, with_buckets=True)
    edges = rollups.BUCKET_EDGES

    minutes, hours, days = _("min"), _("h"), _("d")

    def label(seconds):
        return f"≤{seconds // 60}{minutes}" if seconds < 7200 else f"≤{seconds / 3600:g}{hours}"

    cats = [label(e) for e in edges] + [f">{edges[-1] / 86400:g}{days}"]
    last = max(agg.buckets) if agg.buckets else 0
    cats = cats[: max(last + 1, edges.index(86400) + 1)]
    chart = {
        "type": "bar",
        "id": "establishment",
        "title": _("Enterprise establishment time"),
        "categories": cats,
        "series": [
            {"name": _("Establishments"), "kind": "bar", "data": [agg.buckets.get(i, 0) for i in range(len(cats))]}
        ],
        "marks": [
            {"at": edges.index(3600), "label": _("60 minutes")},
            {"at": edges.index(86400), "label": _("24 hours")},
        ],
        "count": agg.count,
    }
    return finish_chart(chart, _live_source(), counts=True)


# --- chains, projects, ledgers ------------------------------------------------------------------


def chains(language: str) -> list[dict]:
    """Industry-chain maps (产业链图谱): links by stage, enterprises present, and the gaps."""
    out = []
    stage_names = {"up": _("Upstream"), "mid": _("Midstream"), "down": _("Downstream")}
    for chain in Chain.objects.prefetch_related("links__enterprises").select_related("industry"):
        links = []
        for link in chain.links.all():
            ents = [e.name(language) for e in link.enterprises.all()]
            links.append(
                {
                    "stage": link.stage,
                    "stage_name": stage_names[link.stage],
                    "name": link.name(language),
                    "enterprises": ents,
                    "gap": not ents,
                }
            )
        tree = {
            "name": chain.name(language),
            "children": [
                {
                    "name": stage_names[s],
                    "children": [
                        {
                            "name": ln["name"],
                            "gap": ln["gap"],
                            "children": [{"name": e} for e in ln["enterprises"]]
                            or [{"name": _("gap — to attract"), "gap": True}],
                        }
                        for ln in links
                        if ln["stage"] == s
                    ],
                }
                for s in ("up", "mid", "down")
            ],
        }
        out.append(
            {
                "key": chain.key,
                "name": chain.name(language),
                "illustrative": chain.illustrative,
                "industry": chain.industry.name(language) if chain.industry else "",
                "links": links,
                "gaps": [ln["name"] for ln in links if ln["gap"]],
                "chart": finish_chart(
                    {"type": "tree", "id": f"chain-{chain.key}", "title": chain.name(language), "data": tree},
                    _report_source([]),
                ),
            }
        )
    return out


def industries(language: str) -> list[dict]:
    groups = {}
    for ind in Industry.objects.prefetch_related("enterprises"):
        groups.setdefault(ind.group, []).append(
            {
                "key": ind.key,
                "name": ind.name(language),
                "role": ind.lead_role,
                "section": ind.section,
                "enterprises": [
                    {"name": e.name(language), "uscc": e.uscc, "demo": e.uscc_is_demo} for e in ind.enterprises.all()
                ],
            }
        )
    labels = dict(Industry.GROUPS)
    return [
        {"group": g, "name": str(labels[g]), "items": groups[g]}
        for g in ("lead", "cluster", "frontier", "bonded_base")
        if g in groups
    ]


def enterprises(language: str) -> list[dict]:
    return [
        {
            "name": e.name(language),
            "uscc": e.uscc,
            "demo": e.uscc_is_demo,
            "section": e.section,
            "industries": [i.name(language) for i in e.industries.all()],
            "links": [
                f"{ln.chain.name(language)} · {ln.name(language)}" for ln in e.chain_links.select_related("chain")
            ],
        }
        for e in Enterprise.objects.prefetch_related("industries")
    ]


def projects(language: str) -> dict:
    kinds, stages = dict(Project.KINDS), dict(Project.STAGES)
    rows = [
        {
            "name": p.name(language),
            "kind": p.kind,
            "kind_name": str(kinds[p.kind]),
            "stage": p.stage,
            "stage_name": str(stages[p.stage]),
            "investment": readout.number(p.investment, 2),
            "progress": p.progress,
            "year": p.year,
            "section": p.section,
            "note": (p.note_en or p.note_zh) if is_en(language) else p.note_zh,
        }
        for p in Project.objects.all()
    ]
    counts = Counter(r["stage"] for r in rows if r["kind"] != "fund")
    chart = {
        "type": "funnel",
        "id": "pipeline",
        "title": _("Project pipeline, signing to production"),
        "categories": [str(stages[s]) for s in Project.PIPELINE],
        "series": [{"name": _("Projects"), "kind": "bar", "data": [counts.get(s, 0) for s in Project.PIPELINE]}],
    }
    finish_chart(chart, _report_source([r["year"] for r in rows]), counts=True)
    figures = []
    for code in (
        "projects.key_provincial_municipal",
        "projects.three_batches",
        "bonded.signed_projects",
        "bonded.signed_investment",
        "investment.capital_leveraged",
    ):
        ind = Indicator.objects.filter(code=code).first()
        if ind:
            fig = readout.latest(ind)
            figures.append(
                {
                    "name": ind.name(language),
                    "display": readout.display(fig, language),
                    "unit": readout.counted(ind.unit(language), readout.display(fig, language), language),
                    "section": fig.section if fig else "",
                    "url": reverse("monitor:indicator", args=[code]),
                }
            )
    return {"rows": rows, "chart": chart, "figures": figures}


def ledgers(language: str) -> dict:
    en = is_en(language)
    levels, reps = dict(InnovationOutcome.LEVELS), dict(InnovationOutcome.REPLICATION)
    outcomes = [
        {
            "title": o.title(language),
            "level": o.level,
            "level_name": str(levels[o.level]),
            "replication": str(reps[o.replication]),
            "count": o.count,
            "year": o.year,
            "section": o.section,
            "note": (o.note_en or o.note_zh) if en else o.note_zh,
        }
        for o in InnovationOutcome.objects.all()
    ]
    plevels, pstat = dict(PilotTask.LEVELS), dict(PilotTask.STATUSES)
    pilots = [
        {
            "title": p.title(language),
            "level": str(plevels[p.level]),
            "status": p.status,
            "status_name": str(pstat[p.status]),
            "items": p.items,
            "batches": p.batches,
            "section": p.section,
            "note": (p.note_en or p.note_zh) if en else p.note_zh,
        }
        for p in PilotTask.objects.all()
    ]
    talent = [
        {
            "name": t.name(language),
            "count": t.count,
            "unit": readout.counted(t.unit(language), str(t.count), language),
            "section": t.section,
        }
        for t in TalentProgramme.objects.all()
    ]
    bonded = []
    for ind in Indicator.objects.filter(category="bonded"):
        fig = readout.latest(ind)
        bonded.append(
            {
                "code": ind.code,
                "name": ind.name(language),
                "display": readout.display(fig, language),
                "unit": readout.counted(ind.unit(language), readout.display(fig, language), language),
                "period_label": fig.period.label(language) if fig else "",
                "section": fig.section if fig else "",
                "source": ind.source,
                "target": readout.target_info(readout.target_for(ind, fig.period if fig else None), fig, language),
                "url": reverse("monitor:indicator", args=[ind.code]),
            }
        )
    level_counts = Counter()
    for o in InnovationOutcome.objects.all():
        level_counts[o.level] += o.count
    chart = {
        "type": "pie",
        "id": "outcomes",
        "title": _("Innovation outcomes by level"),
        "categories": [str(levels[k]) for k in level_counts],
        "series": [{"name": _("Outcomes"), "kind": "pie", "data": list(level_counts.values())}],
    }
    finish_chart(chart, _report_source([o["year"] for o in outcomes]))
    return {"outcomes": outcomes, "pilots": pilots, "talent": talent, "bonded": bonded, "chart": chart}


def _month_start(month_key: str, *, after: bool = False):
    """The first instant of a ``YYYY-MM`` month (or of the month after it) in the zone's time zone."""
    from datetime import datetime

    from django.utils import timezone

    y, m = (int(p) for p in month_key.split("-"))
    if after:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return timezone.make_aware(datetime(y, m, 1))


def events(ind: Indicator, language: str, period: Period | None, dimension: str | None, limit: int = 500) -> list[dict]:
    """The events behind a computed figure (drill-down — 明细): the owning app's registered
    drill-down if there is one, else monitor's own event ledger."""
    from zimao.monitor import sources
    from zimao.monitor.models import MonitorEvent

    months = period.month_keys() if period else None
    fn = sources.drilldown_for(ind.code)
    if fn is not None:
        return list(fn(months, dimension or ""))[:limit]
    qs = MonitorEvent.objects.filter(stream=ind.stream)
    if period is not None:
        # As an instant range (an event's month is the zone-local month of its instant), so the
        # (stream, [dimension,] at) index yields the first rows in order without sorting the period.
        first = months[0] if months else None
        last = months[-1] if months else period.end.strftime("%Y-%m")
        if first:
            qs = qs.filter(at__gte=_month_start(first))
        qs = qs.filter(at__lt=_month_start(last, after=True))
    if dimension:
        qs = qs.filter(dimension=dimension)
    scale = ind.scale or Decimal(1)
    return [
        {
            "at": e.at,
            "ref": e.ref,
            "label": e.label,
            "dimension": ind.dimension_label(e.dimension, language),
            "value": readout.number(e.value / scale, 4),
            "key": e.event_key,
        }
        for e in qs.order_by("at", "id")[:limit]
    ]
