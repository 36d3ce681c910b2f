"""Year-on-year growth (同比) is derived, never typed in; targets and progress."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from zimao.monitor import catalogue as cat
from zimao.monitor import readout, services
from zimao.monitor.models import Indicator, IndicatorValue, Target
from zimao.monitor.periods import parse

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def observe(code, period, value, dimension="", **kw):
    p = parse(period)
    v = IndicatorValue(indicator=Indicator.objects.get(code=code), dimension=dimension, value=Decimal(value), **kw)
    v.set_period(p)
    v.save()
    return v


def test_reported_growth_against_the_same_period_a_year_earlier():
    observe("trade.import_export", "2021-01..2021-06", "20")
    observe("trade.import_export", "2022-01..2022-06", "25")
    fig = readout.latest(Indicator.objects.get(code="trade.import_export"))
    assert (fig.yoy, fig.yoy_source) == (Decimal("25.0"), "derived")


def test_a_published_rate_is_used_only_without_a_base_and_a_derived_rate_wins():
    ind = Indicator.objects.get(code="industry.output")
    observe("industry.output", "2022-01..2022-05", "35.8", "smart_equipment", published_yoy=Decimal("9.9"))
    fig = readout.value_for(ind, parse("2022-01..2022-05"), "smart_equipment")
    assert (fig.yoy, fig.yoy_source) == (Decimal("9.9"), "published")
    observe("industry.output", "2023-01..2023-05", "40", "smart_equipment", published_yoy=Decimal("99"))
    fig = readout.value_for(ind, parse("2023-01..2023-05"), "smart_equipment")
    assert (fig.yoy, fig.yoy_source) == (Decimal("11.7"), "derived")  # (40 − 35.8) / 35.8


def test_no_growth_without_a_base_or_for_a_zero_base():
    observe("tiers.high_tech", "2022-06-30", "375")
    assert readout.latest(Indicator.objects.get(code="tiers.high_tech")).yoy is None
    observe("reform.pilots_landed", "2021-06-30", "0")
    observe("reform.pilots_landed", "2022-06-30", "2")
    assert readout.latest(Indicator.objects.get(code="reform.pilots_landed")).yoy is None


def test_computed_growth_month_on_same_month_and_against_a_reported_baseline():
    for i in range(4):
        services.record_event(cat.CASES_COMPLETED, datetime(2021, 3, 5, tzinfo=CST), event_key=f"a{i}")
    for i in range(5):
        services.record_event(cat.CASES_COMPLETED, datetime(2022, 3, 5, tzinfo=CST), event_key=f"b{i}")
    ind = Indicator.objects.get(code=cat.CASES_COMPLETED)
    march = readout.value_for(ind, parse("2022-03"))
    assert (march.value, march.yoy) == (5, Decimal("25.0"))
    # Before the platform went live the year-earlier figure may be a reported statistic.
    observe(cat.NEW_MARKET_ENTITIES, "2021-01..2021-02", "10")
    for i in range(8):
        services.record_event(cat.NEW_MARKET_ENTITIES, datetime(2022, 1 + i % 2, 3, tzinfo=CST), event_key=f"e{i}")
    fig = readout.latest(Indicator.objects.get(code=cat.NEW_MARKET_ENTITIES))
    assert (fig.period.key, fig.value, fig.yoy, fig.yoy_source) == ("2022-01..2022-02", 8, Decimal("-20.0"), "derived")


def test_series_prefers_the_platforms_figures_over_reported_ones_for_the_same_months():
    observe(cat.CASES_COMPLETED, "2022-03", "99")
    observe(cat.CASES_COMPLETED, "2022-02", "7")
    services.record_event(cat.CASES_COMPLETED, datetime(2022, 3, 5, tzinfo=CST), event_key="c1")
    points = readout.series(Indicator.objects.get(code=cat.CASES_COMPLETED))
    assert [(p.period.key, p.value, p.source) for p in points] == [
        ("2022-02", 7, "reported"),
        ("2022-03", 1, "computed"),
    ]


def test_targets_met_and_progress():
    ind = Indicator.objects.get(code="tiers.high_tech")
    observe("tiers.high_tech", "2022-06-30", "375")
    Target.objects.create(indicator=ind, value=400, comparison="gt", deadline=parse("2022").end)
    fig = readout.latest(ind)
    info = readout.target_info(readout.target_for(ind, fig.period), fig, "zh-hans")
    assert info["met"] is False and info["progress"] == 93.8 and info["comparison_text"] == "超过"
    p90 = Indicator.objects.get(code="registry.establishment_p90_hours")
    Target.objects.create(indicator=p90, value=24, comparison="lte")
    for i, hours in enumerate([2, 3, 20]):
        services.record_duration(cat.ESTABLISHMENTS, datetime(2022, 6, 1, tzinfo=CST), hours * 3600, event_key=f"t{i}")
    fig = readout.latest(p90)
    assert fig.value == 20
    assert readout.target_for(p90, fig.period).met_by(fig.value) is True


def test_number_formats():
    assert readout.fmt(Decimal(38700), 0, "zh-hans") == "3.87万"
    assert readout.fmt(Decimal(38700), 0, "en") == "38,700"
    assert readout.fmt(Decimal("25.0000"), 2, "zh-hans") == "25"
    assert readout.fmt(Decimal("35.8"), 1, "zh-hans") == "35.8"
    assert readout.fmt(Decimal("91.15"), 2, "en") == "91.15"
