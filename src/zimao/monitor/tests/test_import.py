"""Statistics import: validation by row and column (bilingual), preview, all-or-nothing commit."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from zimao.core.models import AuditEvent
from zimao.monitor import importer
from zimao.monitor.models import ImportJob, Indicator, IndicatorValue

pytestmark = pytest.mark.django_db


def xlsx(rows):
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(client, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("monitor:import"), {"file": SimpleUploadedFile(name, content)})


GOOD = [
    ["指标代码 indicator", "统计期 period", "数值 value", "维度 dimension", "限定 qualifier", "出处 section"],
    ["tiers.high_tech", "2022-12-31", 412, "", "", "年报"],
    ["industry.output", "2023-01..2023-05", 40, "smart_equipment", "", ""],
    ["trade.rcep_fob_value", "2022-01..2022-06", "1.62", "", "超过", "一、（二）"],
]


def test_xlsx_import_preview_then_commit(client, admin_user):
    client.force_login(admin_user)
    resp = upload(client, "stats.xlsx", xlsx(GOOD))
    job = ImportJob.objects.get()
    assert resp.status_code == 302 and resp["Location"] == reverse("monitor:import_job", args=[job.pk])
    assert job.status == "preview" and job.total_rows == 3 and job.percent == 100
    assert job.summary["new"] == 3
    assert not IndicatorValue.objects.exists()  # nothing is saved before the commit
    page = client.get(resp["Location"])
    assert "import-preview" in page.content.decode() and "tiers.high_tech" in page.content.decode()
    partial = client.get(resp["Location"], HTTP_HX_REQUEST="true")
    assert partial.content.decode().lstrip().startswith('<div id="import-job"')
    assert "hx-trigger" not in partial.content.decode()  # finished: no more polling
    client.post(reverse("monitor:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "committed"
    v = IndicatorValue.objects.get(indicator__code="trade.rcep_fob_value")
    assert (v.value, v.qualifier, v.period_key, v.section) == (
        Decimal("1.62"),
        "over",
        "2022-01..2022-06",
        "一、（二）",
    )
    assert IndicatorValue.objects.get(indicator__code="industry.output").dimension == "smart_equipment"
    assert AuditEvent.objects.filter(action="monitor.import.commit", object_id=str(job.pk)).exists()


def test_csv_in_gbk_with_english_headers(client, admin_user):
    client.force_login(admin_user)
    content = "indicator,period,value\ntiers.tech_smes,2022-06-30,623\ninnovation.platforms,2022年1-6月,779\n".encode(
        "gb18030"
    )
    upload(client, "stats.csv", content)
    job = ImportJob.objects.get()
    assert job.status == "preview", job.errors
    assert [r["period"] for r in job.rows] == ["2022-06-30", "2022-01..2022-06"]


def test_bad_rows_are_named_by_row_and_column_in_both_languages_and_nothing_changes(client, admin_user):
    client.force_login(admin_user)
    IndicatorValue.objects.create(
        indicator=Indicator.objects.get(code="tiers.high_tech"),
        period_key="2022-12-31",
        period_kind="snapshot",
        period_start="2022-12-31",
        period_end="2022-12-31",
        value=1,
    )
    rows = GOOD + [
        ["no.such", "2022", 1],
        ["tiers.high_tech", "2022-13", 1],
        ["tiers.high_tech", "2022", "十二"],
        ["industry.output", "2022", 1, "steel"],
        ["tiers.high_tech", "2022-12-31", 5],
        ["", "", ""],
        ["tiers.specialised", "", 7, "", "maybe"],
    ]
    upload(client, "bad.xlsx", xlsx(rows))
    job = ImportJob.objects.get()
    assert job.status == "invalid"
    by_field = {e["field"]: e for e in job.errors}
    assert by_field["row 5.indicator"]["message_zh"] == "第5行「指标代码」列：未知的指标代码“no.such”"
    assert by_field["row 5.indicator"]["message_en"] == "Row 5, column 'indicator': unknown indicator code 'no.such'"
    assert "第6行「统计期」列" in by_field["row 6.period"]["message_zh"]
    assert by_field["row 7.value"]["message_en"] == "Row 7, column 'value': must be a number, got '十二'"
    assert "steel" in by_field["row 8.dimension"]["message_zh"]
    assert "duplicates row 2" in by_field["row 9.period"]["message_en"]
    assert "row 10.indicator" not in by_field  # a blank line is skipped
    assert {"row 11.period", "row 11.qualifier"} <= set(by_field)
    assert job.error_count == 7
    # Nothing changed, and the job cannot be committed.
    assert IndicatorValue.objects.get().value == 1
    client.post(reverse("monitor:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "invalid" and IndicatorValue.objects.count() == 1
    page = client.get(reverse("monitor:import_job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "unknown indicator code" in page.content.decode() or "未知的指标代码" in page.content.decode()


def test_missing_header_and_unreadable_files(client, admin_user):
    client.force_login(admin_user)
    upload(client, "h.csv", b"foo,bar\n1,2\n")
    job = ImportJob.objects.get()
    fields = {e["field"] for e in job.errors}
    assert fields == {"header.indicator", "header.period", "header.value"}
    assert "缺少「指标代码」列" in job.errors[0]["message_zh"]
    upload(client, "x.xlsx", b"PK\x03\x04not really a workbook")
    assert ImportJob.objects.order_by("-pk").first().errors[0]["code"] == "unreadable"
    resp = upload(client, "x.pdf", b"%PDF-1.4")
    assert resp.status_code == 400 and "xlsx" in resp.content.decode()


def test_a_failure_while_committing_rolls_everything_back(client, admin_user, monkeypatch):
    client.force_login(admin_user)
    upload(client, "stats.xlsx", xlsx(GOOD))
    job = ImportJob.objects.get()
    real = IndicatorValue.objects.update_or_create
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(IndicatorValue.objects, "update_or_create", flaky)
    client.post(reverse("monitor:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == "failed" and "disk full" in job.errors[0]["message_en"]
    assert "未做任何更改" in job.errors[0]["message_zh"]
    assert IndicatorValue.objects.count() == 0  # the two rows written before the failure were rolled back


def test_computed_periods_cannot_be_overwritten_by_an_import(client, admin_user):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from zimao.monitor import services

    services.record_event("cases.completed", datetime(2022, 3, 1, tzinfo=ZoneInfo("Asia/Shanghai")), event_key="k1")
    client.force_login(admin_user)
    upload(client, "c.csv", b"indicator,period,value\ncases.completed,2022-Q1,100\ncases.completed,2021-Q1,80\n")
    job = ImportJob.objects.get()
    assert [e["field"] for e in job.errors] == ["row 2.period"]


def test_progress_is_written_while_validating(admin_user, monkeypatch):
    monkeypatch.setattr(importer, "PROGRESS_EVERY", 2)
    seen = []
    real = ImportJob.objects.filter

    rows = [["indicator", "period", "value"]] + [["tiers.high_tech", f"2022-06-{d:02d}", d] for d in range(1, 8)]
    job = ImportJob.objects.create(created_by=admin_user, filename="p.xlsx", content=xlsx(rows))

    def spy(*args, **kwargs):
        qs = real(*args, **kwargs)
        seen.append(ImportJob.objects.values_list("processed_rows", flat=True).get(pk=job.pk))
        return qs

    monkeypatch.setattr(ImportJob.objects, "filter", spy)
    assert importer.validate_job(job.pk) == "preview"
    job.refresh_from_db()
    assert job.processed_rows == job.total_rows == 7
    assert any(0 < n < 7 for n in seen)


def test_template_download(client, admin_user):
    client.force_login(admin_user)
    resp = client.get(reverse("monitor:import_template"))
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(resp.content)).active
    assert ws["A1"].value == "指标代码 indicator"


def test_a_running_job_page_polls_with_htmx(client, admin_user):
    job = ImportJob.objects.create(
        created_by=admin_user,
        filename="big.xlsx",
        content=b"",
        status="validating",
        total_rows=1000,
        processed_rows=250,
    )
    client.force_login(admin_user)
    partial = client.get(reverse("monitor:import_job", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial and 'value="25"' in partial
    full = client.get(reverse("monitor:import_job", args=[job.pk])).content.decode()
    assert "htmx.min.js" in full and 'id="import-progress"' in full
