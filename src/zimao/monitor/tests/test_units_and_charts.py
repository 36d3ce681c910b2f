"""The dashboard says what it shows (issue 14 item 10): the unit suits the figure (355,000 yuan is
35.5 万元, not "0 亿元"; 12 minutes is not "0 小时"), every card says whether it is a report's
figure or a live one and of which period, every chart names its source, and the chart options
keep axes readable (labels spaced or slanted, whole-number ticks on counts)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from zimao.monitor import picture, readout
from zimao.monitor.models import Indicator
from zimao.monitor.periods import Period

pytestmark = pytest.mark.django_db

YUAN_IN_YI = Decimal(100_000_000)


def money(unit_zh="亿元", scale=YUAN_IN_YI, decimals=2):
    return Indicator(
        code="t.money",
        name_zh="货值",
        name_en="Value",
        unit_zh=unit_zh,
        unit_en="100 million CNY",
        scale=scale,
        decimals=decimals,
    )


def hours():
    return Indicator(
        code="t.hours", name_zh="用时", name_en="Time", unit_zh="小时", unit_en="hours", scale=Decimal(3600), decimals=1
    )


def minutes():
    return Indicator(
        code="t.minutes",
        name_zh="最快",
        name_en="Fastest",
        unit_zh="分钟",
        unit_en="minutes",
        scale=Decimal(60),
        decimals=0,
    )


def shown(ind, value, language="zh-hans"):
    fig = readout.Figure(ind, Period.month(2026, 11), Decimal(value), "computed")
    data = readout.figure_dict(fig, language)
    return data["display"], data["unit"]


@pytest.mark.parametrize(
    "yuan, expected",
    [
        (355_000, ("35.5", "万元")),
        (250_000_000, ("2.5", "亿元")),
        (123_456_789_000, ("1234.57", "亿元")),
        (800, ("800", "元")),
        (0, ("0", "亿元")),
    ],
)
def test_money_is_shown_in_the_unit_its_size_needs(yuan, expected):
    assert shown(money(), Decimal(yuan) / YUAN_IN_YI) == expected


@pytest.mark.parametrize(
    "ind, seconds, expected",
    [
        (hours, 12 * 60, ("12", "分钟")),
        (hours, 30, ("30", "秒")),
        (hours, 5400, ("1.5", "小时")),
        (hours, 30 * 3600, ("30", "小时")),  # under three days: hours, against the 24-hour limit
        (hours, 100 * 3600, ("4.2", "天")),
        (minutes, 45 * 60, ("45", "分钟")),
        (minutes, 20, ("20", "秒")),
        (minutes, 2 * 3600, ("2", "小时")),
    ],
)
def test_durations_are_shown_in_the_unit_their_size_needs(ind, seconds, expected):
    indicator = ind()
    assert shown(indicator, Decimal(seconds) / indicator.scale) == expected


def test_units_follow_the_reader_s_language_and_leave_other_indicators_alone():
    assert shown(money(), Decimal(355_000) / YUAN_IN_YI, "en") == ("355", "thousand CNY")
    assert shown(money(), Decimal(429_000_000) / YUAN_IN_YI, "en") == ("429", "million CNY")
    assert shown(money(), Decimal(123_456_789_000) / YUAN_IN_YI, "en") == ("123,457", "million CNY")
    assert shown(money(), Decimal(800) / YUAN_IN_YI, "en") == ("800", "CNY")
    count = Indicator(code="t.count", name_zh="户数", name_en="Count", unit_zh="户", unit_en="entities", decimals=0)
    assert readout.choose_unit(count, [Decimal("0.4")]).divisor == 1
    assert readout.is_count(count) and not readout.is_count(hours()) and not readout.is_count(money())


def test_the_series_picks_one_unit_for_the_whole_chart():
    unit = readout.choose_unit(money(), [Decimal("0.001"), Decimal("0.0035"), None])
    assert (unit.zh, unit.divisor) == ("万元", Decimal("0.0001"))
    assert readout.in_unit(Decimal("0.0035"), unit) == Decimal(35)


def test_category_labels_are_spaced_or_slanted_only_when_they_would_collide():
    assert picture.category_axis(["1月", "2月", "3月"]) == {"interval": 0, "rotate": 0}
    months = [f"2025年{m}月" for m in range(1, 13)] + [f"2026年{m}月" for m in range(1, 13)]
    assert picture.category_axis(months) == {"interval": 1, "rotate": 45}
    long_names = ["高端装备制造产业", "新材料产业", "生物医药产业", "现代服务业", "数字经济", "文化旅游", "现代物流"]
    assert picture.category_axis(long_names)["rotate"] == 45
    assert picture.category_axis(long_names, horizontal=True) == {"interval": 0, "rotate": 0}


def test_count_charts_tick_in_whole_numbers_and_every_chart_names_its_source():
    from zimao.monitor import services

    for i, seconds in enumerate((1800, 5400, 90000)):
        services.record_duration(
            "registry.establishments",
            datetime(2026, 11, 2 + i, tzinfo=ZoneInfo("Asia/Shanghai")),
            seconds,
            event_key=f"est{i}",
        )
    with translation.override("zh-hans"):
        chart = picture.establishment("zh-hans")
    assert chart["value_axis"] == {"minInterval": 1}
    assert chart["source"] == "实时，由本平台办件计算"
    assert chart["category_axis"]["interval"] == 0


def test_the_dashboard_labels_cards_and_sources(client, admin_user, demo):
    from zimao.monitor import services

    services.record_event(
        "trade.rcep_certificates",
        datetime.now(ZoneInfo("Asia/Shanghai")),
        event_key="rcep-1",
        value=355_000,
    )
    client.force_login(admin_user)
    with translation.override("zh-hans"):
        body = client.get(reverse("monitor:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "报告数据" in body and "实时" in body  # report figures and live ones, each said
    card = body[body.index('data-code="trade.rcep_fob_value"') :]
    card = card[: card.index("</article>")]
    assert 'data-kind="live"' in card and "35.5" in card and "万元" in card and "0 亿元" not in card
    charts = []
    for chunk in body.split('type="application/json">')[1:]:
        charts.append(json.loads(chunk[: chunk.index("</script>")]))
    assert charts and all(c.get("source") for c in charts), [c.get("id") for c in charts if not c.get("source")]
    assert body.count('class="chart-source"') == len(charts)
    assert "来源" in body


@pytest.mark.parametrize(
    ("unit", "display", "language", "said"),
    [
        ("entities", "1", "en", "entity"),
        ("entities", "2", "en", "entities"),
        ("entities", "1", "zh-hans", "entities"),  # Chinese has no plural (户 stays 户)
        ("people", "1", "en", "person"),
        ("hours", "1", "en", "hour"),
        ("permit types", "1", "en", "permit type"),
        ("companies", "1", "en", "company"),
        ("%", "1", "en", "%"),
        ("100 million CNY", "1", "en", "100 million CNY"),
        ("km²", "1", "en", "km²"),
        ("entities", "1.0", "en", "entities"),
    ],
)
def test_one_of_a_count_is_said_in_the_singular_in_english(unit, display, language, said):
    assert readout.counted(unit, display, language) == said


def test_a_card_with_one_entity_says_entity(client, admin_user, demo):
    from zimao.monitor import services

    services.record_event(
        "market.new_entities",
        datetime.now(ZoneInfo("Asia/Shanghai")),
        event_key="entity:1",
        dimension="enterprise",
        ref="91410300MA00000001",
    )
    ind = Indicator.objects.get(code="market.new_entities")
    with translation.override("en"):
        latest = readout.figure_dict(readout.latest(ind), "en")
    assert (latest["display"], latest["unit"]) == ("1", "entity")
