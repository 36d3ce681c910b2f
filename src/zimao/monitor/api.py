"""Monitoring API — 运行监测接口, under /api/v1/monitor/.

Zone administrators read every indicator; anyone may read the published ones through the
``/public/…`` operations (``auth=None``). Figures are the same the dashboard shows.
"""

from __future__ import annotations

from typing import Annotated

from django.utils.translation import get_language
from ninja import Path, Query, Router, Schema
from pydantic import Field

from zimao.core.dates import ApiDate
from zimao.core.errors import COMMON_ERRORS, BusinessError, ErrorOut, Problem, forbidden, not_found
from zimao.monitor import readout
from zimao.monitor.access import is_zone_admin
from zimao.monitor.models import Indicator

prefix = "/monitor/"
router = Router(tags=["monitor"])

PUBLIC_ERRORS = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class FigureOut(Schema):
    """``value`` is in the indicator's catalogued unit; ``display`` and ``unit`` are the words
    for people, in the unit that suits the figure's size (355,000 yuan: 35.5 万元, not 0 亿元).
    ``kind`` is "report" (a published report's figure) or "live" (computed from cases)."""

    value: float | None
    display: str
    unit: str = ""
    kind: str = ""
    kind_label: str = ""
    source_line: str = ""
    period: str
    period_label: str
    dimension: str = ""
    dimension_label: str = ""
    qualifier: str = ""
    yoy: float | None = None
    yoy_source: str = ""
    source: str
    section: str = ""
    note: str = ""
    events: int | None = None


class TargetOut(Schema):
    value: float | None
    display: str
    comparison: str
    comparison_text: str
    deadline: str | None
    progress: float | None
    met: bool | None
    note: str = ""
    section: str = ""


class IndicatorOut(Schema):
    code: str
    name: str
    name_zh: str
    name_en: str
    unit: str
    unit_zh: str
    unit_en: str
    category: str
    frequency: str
    source: str
    published: bool
    definition: str
    latest: FigureOut | None
    target: TargetOut | None


class SeriesOut(Schema):
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    dimension: str
    points: list[FigureOut]


class WindowIn(Schema):
    """The period to read — 统计区间 (both ends optional). ISO dates in 1900 … today + 100 years:
    ``until=0`` is not read as 1970-01-01 (a Unix time)."""

    until: ApiDate | None = Field(
        None, description="latest period end to include 截止日期 (YYYY-MM-DD)", examples=["2026-06-30"]
    )
    since: ApiDate | None = Field(
        None, description="earliest period end to include 起始日期 (YYYY-MM-DD)", examples=["2026-01-01"]
    )


class SeriesIn(WindowIn):
    dimension: str = Field(
        "", description="one breakdown of the indicator, e.g. a district code 维度; empty: the total"
    )


IndicatorCode = Annotated[str, Path(description="indicator code 指标编码, as listed by listIndicators")]


def _window(q: WindowIn):
    if q.since and q.until and q.since > q.until:
        raise BusinessError(
            Problem("since", "after_until", "since：起始日期不能晚于 until", "since: must not be after until")
        )
    return q.since, q.until


def _admin(request):
    if not is_zone_admin(request.user):
        raise forbidden("indicators")


@readout.snapshot()
def _list(published_only: bool, q: WindowIn):
    since, until = _window(q)
    qs = Indicator.objects.all()
    if published_only:
        qs = qs.filter(published=True)
    lang = get_language()
    return [readout.indicator_dict(i, until=until, since=since, language=lang) for i in qs]


@readout.snapshot()
def _series(code: str, published_only: bool, q: SeriesIn):
    since, until = _window(q)
    qs = Indicator.objects.filter(code=code)
    if published_only:
        qs = qs.filter(published=True)
    ind = qs.first()
    if ind is None:
        raise not_found("code")
    lang = get_language()
    points = [readout.figure_dict(p, lang) for p in readout.series(ind, q.dimension, since=since, until=until)]
    return {
        "code": ind.code,
        "name_zh": ind.name_zh,
        "name_en": ind.name_en,
        "unit_zh": ind.unit_zh,
        "unit_en": ind.unit_en,
        "dimension": q.dimension,
        "points": points,
    }


@router.get(
    "/indicators",
    response={200: list[IndicatorOut], **COMMON_ERRORS},
    summary="Indicators with latest values (administrators)",
    operation_id="listIndicators",
)
def list_indicators(request, q: Query[WindowIn]):
    """Every indicator — 全部指标 — with its latest value, period, growth, target and source."""
    _admin(request)
    return _list(False, q)


@router.get(
    "/indicators/{code}/series",
    response={200: SeriesOut, **COMMON_ERRORS},
    summary="An indicator's series (administrators)",
    operation_id="getIndicatorSeries",
)
def indicator_series(request, code: IndicatorCode, q: Query[SeriesIn]):
    """The indicator's values over time — 指标序列 — with derived year-on-year growth."""
    _admin(request)
    return _series(code, False, q)


@router.get(
    "/public/indicators",
    auth=None,
    response={200: list[IndicatorOut], **PUBLIC_ERRORS},
    summary="Published indicators with latest values",
    operation_id="listPublicIndicators",
)
def public_indicators(request, q: Query[WindowIn]):
    """Published indicators — 公开指标 — for anyone."""
    return _list(True, q)


@router.get(
    "/public/indicators/{code}/series",
    auth=None,
    response={200: SeriesOut, **PUBLIC_ERRORS},
    summary="A published indicator's series",
    operation_id="getPublicIndicatorSeries",
)
def public_series(request, code: IndicatorCode, q: Query[SeriesIn]):
    """A published indicator's values over time; unpublished ones are not found."""
    return _series(code, True, q)
