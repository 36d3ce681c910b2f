"""Who sees what: administrators everything, the public only published figures; exports; API."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zimao.monitor.models import Indicator

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["monitor:dashboard", "monitor:industry", "monitor:projects", "monitor:ledgers", "monitor:import"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_anonymous_is_sent_to_log_in(client, name):
    resp = client.get(reverse(name))
    assert resp.status_code == 302 and resp["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_an_applicant_is_refused(client, applicant, name):
    client.force_login(applicant)
    assert client.get(reverse(name)).status_code == 403


def test_applicant_cannot_export_or_drill_down(client, applicant, demo):
    client.force_login(applicant)
    assert client.get(reverse("monitor:export", args=["overview"])).status_code == 403
    assert client.get(reverse("monitor:events", args=["market.new_entities"])).status_code == 403
    assert client.get(reverse("monitor:indicator", args=["tiers.high_tech"])).status_code == 403


@pytest.mark.parametrize("who", ["admin_user", "group_admin"])
def test_zone_admins_see_every_page(client, demo, who, request):
    client.force_login(request.getfixturevalue(who))
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    body = client.get(reverse("monitor:dashboard")).content.decode()
    assert "3.87万" in body and "1990" in body and 'id="data-industry"' in body


def test_unpublished_figures_only_for_administrators(client, admin_user, demo):
    Indicator.objects.filter(code="tiers.high_tech").update(published=False)
    public = client.get(reverse("monitor:public")).content.decode()
    assert "高新技术企业" not in public and "科技型中小企业" in public
    xlsx = client.get(reverse("monitor:public_export"))
    codes = [r[0] for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(min_row=2, values_only=True)]
    assert "tiers.high_tech" not in codes and "tiers.tech_smes" in codes
    api = client.get("/api/v1/monitor/public/indicators").json()
    assert "tiers.high_tech" not in {r["code"] for r in api}
    assert client.get("/api/v1/monitor/public/indicators/tiers.high_tech/series").status_code == 404
    client.force_login(admin_user)
    admin = client.get(reverse("monitor:dashboard")).content.decode()
    assert "高新技术企业" in admin
    rows = client.get("/api/v1/monitor/indicators").json()
    assert next(r for r in rows if r["code"] == "tiers.high_tech")["published"] is False


def test_api_permissions_and_shapes(client, admin_user, applicant, demo):
    assert client.get("/api/v1/monitor/indicators").status_code == 401
    client.force_login(applicant)
    resp = client.get("/api/v1/monitor/indicators")
    assert resp.status_code == 403 and resp.json()["errors"][0]["message_zh"]
    client.force_login(admin_user)
    rows = {r["code"]: r for r in client.get("/api/v1/monitor/indicators").json()}
    assert rows["market.entities_total"]["latest"]["value"] == 38700
    assert rows["tiers.high_tech"]["target"]["value"] == 400
    series = client.get("/api/v1/monitor/indicators/industry.output/series?dimension=electronics").json()
    assert [(p["value"], p["yoy"], p["yoy_source"]) for p in series["points"]] == [(87.3, 16.2, "published")]
    bad = client.get("/api/v1/monitor/indicators?since=2022-07-01&until=2022-01-01")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "since"
    bad = client.get("/api/v1/monitor/indicators?until=yesterday")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "until"
    assert client.get("/api/v1/monitor/indicators/nope/series").status_code == 404


def test_period_filter_and_bad_filter(client, admin_user, demo):
    client.force_login(admin_user)
    body = client.get(reverse("monitor:dashboard") + "?to=2021-12").content.decode()
    assert "3.87万" not in body  # nothing in the report ends before 2022
    bad = client.get(reverse("monitor:dashboard") + "?from=2022-13").content.decode()
    assert "YYYY-MM" in bad


def test_exports_match_the_pages(client, admin_user, demo):
    client.force_login(admin_user)
    for view in ("overview", "industry", "projects", "ledgers"):
        resp = client.get(reverse("monitor:export", args=[view]))
        assert resp.status_code == 200 and resp["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(client.get(reverse("monitor:export", args=["overview"])).content))
    rows = {r[0]: r for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert rows["market.entities_total"][2] == 38700 and rows["market.entities_total"][3] == "3.87万"
    industry = {r[0]: r for r in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert industry["电子信息"][2] == 87.3 and industry["电子信息"][5] == 16.2
    resp = client.get(reverse("monitor:export", args=["indicator"]) + "?code=tiers.high_tech")
    assert load_workbook(io.BytesIO(resp.content)).active["B2"].value == 375
    assert client.get(reverse("monitor:export", args=["nothing"])).status_code == 404


def test_english_page_shows_chinese_names_in_chinese_only(client, admin_user, demo):
    client.force_login(admin_user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(reverse("monitor:dashboard")).content.decode()
    assert "High-tech enterprises" in body and "38,700" in body
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    body = client.get(reverse("monitor:dashboard")).content.decode()
    assert "高新技术企业" in body and "<h1>运行监测</h1>" in body and "3.87万" in body


def test_drill_down_lists_the_events_behind_a_figure(client, admin_user):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from zimao.monitor import services

    for i in range(3):
        services.record_event(
            "market.new_entities",
            datetime(2022, 4, 2 + i, tzinfo=ZoneInfo("Asia/Shanghai")),
            event_key=f"e{i}",
            dimension="enterprise",
            ref=f"REF{i}",
            label=f"测试企业{i}",
        )
    client.force_login(admin_user)
    detail = client.get(reverse("monitor:indicator", args=["market.new_entities"])).content.decode()
    assert "events/?period=2022-04" in detail
    body = client.get(reverse("monitor:events", args=["market.new_entities"]) + "?period=2022-04").content.decode()
    assert all(f"REF{i}" in body for i in range(3))
    xlsx = client.get(reverse("monitor:events", args=["market.new_entities"]) + "?period=2022-04&format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).active.max_row == 4
    bad = client.get(reverse("monitor:events", args=["market.new_entities"]) + "?period=soon").content.decode()
    assert "统计期" in bad


def test_charts_carry_their_data_in_json_script(client, admin_user, demo):
    client.force_login(admin_user)
    body = client.get(reverse("monitor:dashboard")).content.decode()
    start = body.index('<script id="data-industry" type="application/json">') + len(
        '<script id="data-industry" type="application/json">'
    )
    chart = json.loads(body[start : body.index("</script>", start)])
    assert chart["series"][0]["data"] == [35.8, 87.3, 47.7, 2.2]
    assert chart["series"][1]["data"] == [9.9, 16.2, 48.4, None]
    assert "<script>" not in body  # no inline scripts (CSP)
