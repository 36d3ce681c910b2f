"""A page's cost does not grow with the zone's history: the dashboard reads each stream's rollups
once (``readout.snapshot``), not once per indicator, per month of a chart and per base year."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zimao.monitor import catalogue as cat
from zimao.monitor import readout, services
from zimao.monitor.models import Indicator

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _history(first_year: int, last_year: int) -> None:
    """Events every month of these years in a few streams, several dimensions each."""
    n = 0
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            at = datetime(year, month, 10, 9, tzinfo=TZ)
            for dim in ("company", "individual", "branch"):
                n += 1
                services.record_event(cat.NEW_MARKET_ENTITIES, at, event_key=f"e{n}", dimension=dim)
            for level in ("5", "4", "1"):
                n += 1
                services.record_event(cat.RATINGS, at, event_key=f"r{n}", dimension=level)
            n += 1
            services.record_duration(cat.ESTABLISHMENTS, at, 3600 * (1 + month % 5), event_key=f"d{n}")


def _queries(client, url: str) -> int:
    client.get(url)  # warm (sessions, translations)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


PAGES = ["monitor:dashboard", "monitor:public"]


def test_pages_cost_the_same_queries_with_one_year_or_four_years_of_history(client, admin_user, demo):
    client.force_login(admin_user)
    _history(2022, 2022)
    one = {name: _queries(client, reverse(name)) for name in PAGES}
    one["api"] = _queries(client, "/api/v1/monitor/indicators")
    one["detail"] = _queries(client, reverse("monitor:indicator", args=[cat.NEW_MARKET_ENTITIES]))
    _history(2019, 2021)
    four = {name: _queries(client, reverse(name)) for name in PAGES}
    four["api"] = _queries(client, "/api/v1/monitor/indicators")
    four["detail"] = _queries(client, reverse("monitor:indicator", args=[cat.NEW_MARKET_ENTITIES]))
    assert four == one
    # and it is a page's worth, not a query per indicator
    assert one["monitor:dashboard"] < Indicator.objects.count()


def test_figures_inside_a_snapshot_equal_the_figures_outside(demo):
    _history(2021, 2022)
    plain = [readout.indicator_dict(i, language="zh-hans") for i in Indicator.objects.all()]
    with readout.snapshot():
        memo = [readout.indicator_dict(i, language="zh-hans") for i in Indicator.objects.all()]
    assert memo == plain
    ind = Indicator.objects.get(code=cat.NEW_MARKET_ENTITIES)
    with readout.snapshot():
        inside = [(f.period.key, f.value, f.yoy) for f in readout.series(ind)]
    assert inside == [(f.period.key, f.value, f.yoy) for f in readout.series(ind)] and len(inside) >= 24


def test_drill_down_takes_the_zone_local_month_of_each_event(demo):
    """The drill-down filters by instant range; an event at 23:30 on 31 July in the zone is July's,
    one at 00:10 on 1 August is August's (both are 31 July in UTC)."""
    from zimao.monitor import picture
    from zimao.monitor.periods import Period

    services.record_event(
        cat.CASES_COMPLETED,
        datetime(2022, 7, 31, 23, 30, tzinfo=TZ),
        event_key="late-july",
        dimension="QYKB-001",
        ref="LY-JUL",
    )
    services.record_event(
        cat.CASES_COMPLETED,
        datetime(2022, 8, 1, 0, 10, tzinfo=TZ),
        event_key="early-august",
        dimension="QYKB-001",
        ref="LY-AUG",
    )
    services.record_event(
        cat.CASES_COMPLETED,
        datetime(2022, 12, 31, 23, 59, tzinfo=TZ),
        event_key="new-year-eve",
        dimension="XK-002",
        ref="LY-DEC",
    )
    ind = Indicator.objects.get(code=cat.CASES_COMPLETED)

    def refs(period, dimension=None):
        return [r["ref"] for r in picture.events(ind, "zh-hans", period, dimension)]

    assert refs(Period.month(2022, 7)) == ["LY-JUL"]
    assert refs(Period.month(2022, 8)) == ["LY-AUG"]
    assert refs(Period.year(2022)) == ["LY-JUL", "LY-AUG", "LY-DEC"]
    assert refs(Period.year(2022), "XK-002") == ["LY-DEC"]
    assert refs(None) == ["LY-JUL", "LY-AUG", "LY-DEC"]
