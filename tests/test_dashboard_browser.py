"""Browser journey: a zone administrator imports statistics, sees them on the dashboard's
charts, and exports them to Excel (Playwright on Debian chromium; CSP must block nothing)."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook, load_workbook

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Queued but not run: the test plays the worker, so the page's htmx polling is seen at work.
QUEUED = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def zone_admin(django_user_model):
    return django_user_model.objects.create_user("guanweihui", password="Luoyang-2022-ftz", is_staff=True)


def statistics_file(path):
    wb = Workbook()
    ws = wb.active
    ws.append(["指标代码 indicator", "统计期 period", "数值 value", "维度 dimension", "出处 section"])
    ws.append(["industry.output", "2023-01..2023-05", 40, "smart_equipment", "2023年报"])
    ws.append(["industry.output", "2023-01..2023-05", 100, "electronics", "2023年报"])
    ws.append(["tiers.high_tech", "2022-12-31", 412, "", "年报"])
    wb.save(path)
    return path


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_imports_statistics_sees_them_charted_and_exports(page, zone_admin, settings, tmp_path):
    settings.TASKS = IMMEDIATE
    from zimao.monitor.demo import load_demo

    load_demo()
    # pageerror (page.console_errors) misses CSP refusals; they arrive as console errors.
    refused = []
    page.on(
        "console",
        lambda msg: refused.append(msg.text) if msg.type == "error" and "Content Security Policy" in msg.text else None,
    )

    # Log in through the admin login page, landing on the import page.
    page.goto("/admin/login/?next=/dashboard/import/")
    page.fill("#id_username", "guanweihui")
    page.fill("#id_password", "Luoyang-2022-ftz")
    page.click("input[type=submit]")
    page.wait_for_url("**/dashboard/import/")

    # Upload: the job is queued and the page polls its progress (htmx) while a worker checks it.
    from zimao.monitor import importer
    from zimao.monitor.models import ImportJob

    settings.TASKS = QUEUED
    page.set_input_files("#id_file", str(statistics_file(tmp_path / "统计.xlsx")))
    page.click("#import-form button[type=submit]")
    page.wait_for_selector("#import-job[data-status=queued]")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="validating", total_rows=3, processed_rows=1)
    page.wait_for_selector("#import-progress[value='33']")
    importer.validate_job(job.pk)  # the worker's turn
    page.wait_for_selector("#import-preview")
    assert page.locator("#import-progress").get_attribute("value") == "100"
    assert "3" in page.locator("#import-summary").inner_text()
    page.click("#import-commit")
    page.wait_for_selector("#import-job[data-status=committing]")
    importer.commit_job(job.pk)
    page.wait_for_selector("#import-done")
    settings.TASKS = IMMEDIATE

    # The dashboard charts the new figures, with growth derived against the report's 2022 figures.
    page.goto("/dashboard/")
    industry = json.loads(page.locator("#data-industry").text_content())
    assert industry["series"][0]["data"] == [40, 100]
    assert industry["series"][1]["data"] == [11.7, 14.5]  # (40−35.8)/35.8, (100−87.3)/87.3
    tiers = json.loads(page.locator("#data-tiers").text_content())
    high_tech = tiers["categories"].index("高新技术企业")
    assert tiers["series"][0]["data"][high_tech] == 412 and tiers["series"][1]["data"][high_tech] == 400
    page.wait_for_selector("#chart-industry[data-rendered=true] canvas")
    drawn = page.evaluate(
        "() => echarts.getInstanceByDom(document.getElementById('chart-industry')).getOption().series[0].data"
    )
    assert drawn == [40, 100]
    assert page.locator("[data-rendered=true] canvas").count() >= 3
    assert "412" in page.locator(".indicator-card[data-code='tiers.high_tech']").inner_text()

    # Export the view and read the workbook back.
    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename == "zimao-overview.xlsx"
    with open(download.path(), "rb") as fh:
        wb = load_workbook(fh)
    indicators = {row[0]: row for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert indicators["tiers.high_tech"][2] == 412
    output = {row[0]: row for row in wb.worksheets[1].iter_rows(min_row=2, values_only=True)}
    assert output["智能装备制造"][2] == 40 and output["智能装备制造"][5] == 11.7

    # The chain maps render as trees on the industry page.
    page.goto("/dashboard/industry/")
    page.wait_for_selector("#chart-chain-hydrogen[data-rendered=true] canvas")
    assert page.console_errors == []
    assert refused == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_says_what_each_figure_is_and_where_it_comes_from(page, zone_admin, settings):
    """Issue 14 item 10: a small live figure in its own unit, report and live cards labelled,
    a source under every chart, whole-number ticks on counts; WCAG 2.1 AA still holds."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from conftest import assert_accessible
    from zimao.monitor import services
    from zimao.monitor.demo import load_demo

    settings.TASKS = IMMEDIATE
    load_demo()
    services.record_event(
        "trade.rcep_certificates", datetime.now(ZoneInfo("Asia/Shanghai")), event_key="rcep-b1", value=355_000
    )
    page.goto("/admin/login/?next=/dashboard/")
    page.fill("#id_username", "guanweihui")
    page.fill("#id_password", "Luoyang-2022-ftz")
    page.click("input[type=submit]")
    page.wait_for_url("**/dashboard/")
    rcep = page.locator(".indicator-card[data-code='trade.rcep_fob_value']").first
    assert "35.5" in rcep.inner_text() and "万元" in rcep.inner_text() and "实时" in rcep.inner_text()
    assert page.locator(".indicator-card [data-kind=report]").count() >= 1
    page.wait_for_selector("#chart-tiers[data-rendered=true] canvas")
    charts = page.locator("figure.chart-box").count()
    assert charts >= 2 and page.locator("figure.chart-box .chart-source").count() == charts
    ticks = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chart-tiers')).getOption().xAxis[0]")
    assert ticks["minInterval"] == 1
    assert_accessible(page, context="dashboard")
    assert page.console_errors == []
