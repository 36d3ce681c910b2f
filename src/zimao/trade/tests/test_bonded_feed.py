"""The dashboard's ``bonded.declarations`` stream — 综保区报关票数与进出口额: a single-window
declaration marked ``bonded_zone`` is counted once when customs accepts it (cleared), by
direction, with its goods value in US dollars at the month's customs rates."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zimao.core.apiauth import issue_token
from zimao.core.errors import BusinessError
from zimao.monitor import services as monitor
from zimao.monitor.catalogue import BONDED_DECLARATIONS
from zimao.monitor.models import MonitorEvent, Rollup
from zimao.trade.models import AgencySubmission, ExchangeRate
from zimao.trade.tests.test_window import CALM, declaration
from zimao.trade.window import services as window

pytestmark = pytest.mark.django_db

API = "/api/v1/trade"


def sandbox(settings, **agencies):
    settings.ZIMAO_TRADE_SANDBOX = {"seed": 11, "default": dict(CALM), **agencies}


def rate(currency: str, cny_per_unit: str, month: dt.date | None = None) -> None:
    ExchangeRate.objects.create(
        currency=currency,
        month=(month or timezone.localdate()).replace(day=1),
        cny_per_unit=Decimal(cny_per_unit),
        source="test",
    )


def rollups() -> list[tuple]:
    return sorted(
        Rollup.objects.filter(stream=BONDED_DECLARATIONS, count__gt=0).values_list(
            "period", "dimension", "count", "total"
        )
    )


def ledger() -> list[tuple]:
    return sorted(
        MonitorEvent.objects.filter(stream=BONDED_DECLARATIONS).values_list(
            "event_key", "dimension", "period", "at", "value", "ref", "label"
        )
    )


def bonded(uscc: str, value: str = "50000.00", currency: str = "USD", **extra) -> dict:
    data = declaration(uscc, bonded_zone=True, currency=currency, **extra)
    data["goods"] = [
        {**data["goods"][0], "value": value},
        {"hs": "940161", "description": "Upholstered seats", "quantity": "10", "unit": "PCS", "value": "1000.00"},
    ]
    return data


def month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def test_an_accepted_bonded_declaration_counts_once_with_its_usd_value(trade, settings):
    sandbox(settings)
    rate("EUR", "7.8000")  # the trade fixture enters USD at 7.1000 for this month
    decl = window.declare(trade.applicant, bonded(trade.exporter.uscc, value="9000.00", currency="EUR"))
    customs = AgencySubmission.objects.get(declaration=decl, agency="customs")
    assert customs.status == "accepted" and decl.data["bonded_zone"] is True
    assert customs.payload["bonded_zone"] is True  # customs is told it is a bonded-zone declaration
    usd = (Decimal("10000.00") * Decimal("7.8") / Decimal("7.1")).quantize(Decimal("0.01"))
    assert usd == Decimal("10985.92")
    assert rollups() == [(month(), "export", 1, usd)]
    event = MonitorEvent.objects.get(stream=BONDED_DECLARATIONS)
    assert (event.event_key, event.ref, event.label) == (f"bonded:{decl.number}", decl.number, trade.exporter.name)
    assert event.at == customs.answered_at

    # Delivered again (a retry, a second worker, a rebuild): still one declaration.
    window._answered(customs, window.Answer(accepted=True, reference=customs.reference), customs.answered_at)
    assert monitor.rebuild(BONDED_DECLARATIONS) == 1
    assert rollups() == [(month(), "export", 1, usd)]


def test_usd_needs_no_rate_and_cny_converts_at_the_usd_rate(trade, settings):
    sandbox(settings)
    ExchangeRate.objects.all().delete()  # a USD declaration needs no rate at all
    window.declare(trade.applicant, bonded(trade.exporter.uscc, value="49000.00"))
    assert rollups() == [(month(), "export", 1, Decimal("50000.00"))]
    rate("USD", "7.1000")
    window.declare(trade.applicant, bonded(trade.exporter.uscc, value="70000.00", currency="CNY", direction="import"))
    assert rollups() == [(month(), "export", 1, Decimal("50000.00")), (month(), "import", 1, Decimal("10000.00"))]


def test_a_declaration_not_marked_bonded_is_not_counted(trade, settings):
    sandbox(settings)
    plain = window.declare(trade.applicant, declaration(trade.exporter.uscc))
    explicit = window.declare(trade.applicant, declaration(trade.exporter.uscc, bonded_zone=False))
    assert plain.data["bonded_zone"] is False and explicit.data["bonded_zone"] is False
    assert {s.status for s in AgencySubmission.objects.filter(agency="customs")} == {"accepted"}
    assert rollups() == [] and monitor.rebuild(BONDED_DECLARATIONS) == 0


def test_rejected_by_customs_is_not_counted_but_another_agencys_refusal_does_not_matter(trade, settings):
    sandbox(settings, customs={"reject_rate": 1})
    rejected = window.declare(trade.applicant, bonded(trade.exporter.uscc))
    assert AgencySubmission.objects.get(declaration=rejected, agency="customs").status == "rejected"
    assert rollups() == []
    sandbox(settings, tax={"reject_rate": 1})
    cleared = window.declare(trade.applicant, bonded(trade.exporter.uscc))
    assert window.declaration_status(cleared)["status"] == "rejected"  # tax refused the rebate filing…
    assert rollups() == [(month(), "export", 1, Decimal("51000.00"))]  # …customs cleared the goods
    assert monitor.rebuild(BONDED_DECLARATIONS) == 1


def test_counted_when_the_answer_arrives_later_and_rebuild_equals_live(trade, settings):
    sandbox(settings, customs={"fail_first": 1, "min_delay": 60, "max_delay": 60})
    rate("JPY", "0.0497")
    start = timezone.now()
    late = window.declare(
        trade.applicant, bonded(trade.exporter.uscc, value="1999000", currency="JPY", direction="import")
    )
    assert rollups() == []  # customs is down, then deciding: nothing cleared yet
    sandbox(settings)
    on_time = window.declare(trade.applicant, bonded(trade.exporter.uscc))
    window.declare(trade.applicant, declaration(trade.exporter.uscc))  # not bonded
    assert len(rollups()) == 1
    now = start
    for _ in range(4):
        now += dt.timedelta(minutes=5)
        window.retry_due(now=now)
    customs = AgencySubmission.objects.get(declaration=late, agency="customs")
    assert customs.status == "accepted"
    jpy = (Decimal("2000000") * Decimal("0.0497") / Decimal("7.1")).quantize(Decimal("0.01"))
    live_rollups, live_ledger = rollups(), ledger()
    assert {(r[1], r[2], r[3]) for r in live_rollups} == {("export", 1, Decimal("51000.00")), ("import", 1, jpy)}
    assert {e[0] for e in live_ledger} == {f"bonded:{late.number}", f"bonded:{on_time.number}"}
    assert next(e for e in live_ledger if e[0] == f"bonded:{late.number}")[3] == customs.answered_at
    assert monitor.rebuild(BONDED_DECLARATIONS) == 2
    assert rollups() == live_rollups and ledger() == live_ledger


def test_a_missing_rate_counts_the_declaration_at_zero_until_a_rebuild(trade, settings, caplog):
    sandbox(settings)
    with caplog.at_level(logging.WARNING, logger="zimao.trade.window.services"):
        decl = window.declare(trade.applicant, bonded(trade.exporter.uscc, value="900.00", currency="GBP"))
    assert rollups() == [(month(), "export", 1, Decimal("0"))]
    assert any(decl.number in r.getMessage() and "GBP" in r.getMessage() for r in caplog.records)
    rate("GBP", "9.2300")
    assert monitor.rebuild(BONDED_DECLARATIONS) == 1
    assert rollups() == [(month(), "export", 1, Decimal("2470.00"))]  # 1 900 GBP × 9.23 ÷ 7.10


def test_a_rolled_back_acceptance_counts_nothing(trade, settings):
    sandbox(settings)
    with pytest.raises(RuntimeError), transaction.atomic():
        window.declare(trade.applicant, bonded(trade.exporter.uscc))
        assert len(rollups()) == 1  # counted inside the transaction that records the answer…
        raise RuntimeError("the transaction fails")
    assert rollups() == [] and not MonitorEvent.objects.filter(stream=BONDED_DECLARATIONS).exists()  # …undone with it


def test_the_flag_must_be_a_boolean(trade):
    with pytest.raises(BusinessError) as exc:
        window.declare(trade.applicant, declaration(trade.exporter.uscc, bonded_zone="yes"))
    problem = exc.value.problems[0]
    assert exc.value.status == 422 and problem.field == "bonded_zone"
    # The field is named in words, not by its key (issue 14 item 8).
    assert problem.zh.startswith("综合保税区申报：") and "bonded_zone" not in problem.zh
    assert problem.en.startswith("Bonded-zone declaration: ") and "true or false" in problem.en


def test_the_api_takes_the_flag_and_refuses_anything_but_a_boolean(trade, settings):
    sandbox(settings)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(trade.applicant)}")
    body = bonded(trade.exporter.uscc)
    for wrong in ("yes", 1, "true", None):
        response = client.post(f"{API}/declarations", {**body, "bonded_zone": wrong}, content_type="application/json")
        assert response.status_code == 422, wrong
        error = response.json()["errors"][0]
        assert error["field"] == "bonded_zone"
        assert error["message_zh"].startswith("综合保税区申报：")
        assert error["message_en"].startswith("Bonded-zone declaration: ")
    assert rollups() == []
    response = client.post(f"{API}/declarations", body, content_type="application/json")
    assert response.status_code == 201 and response.json()["data"]["bonded_zone"] is True
    assert rollups() == [(month(), "export", 1, Decimal("51000.00"))]
    schema = Client().get("/api/v1/openapi.json").json()
    fields = schema["components"]["schemas"]["SwDeclarationIn"]["properties"]
    assert fields["bonded_zone"]["type"] == "boolean" and "综合保税区" in fields["bonded_zone"]["description"]


def test_the_form_has_the_bonded_zone_box(trade, settings):
    sandbox(settings)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(trade.applicant)
    page = client.get(reverse("trade:declaration_new")).content.decode()
    assert 'name="bonded_zone"' in page and "综合保税区申报" in page and "货物进出综合保税区" in page
    form = {
        "idempotency_key": "b-1",
        "trader_uscc": trade.exporter.uscc,
        "destination_country": "JP",
        "consignee.name": "Osaka Furniture K.K.",
        "consignee.address": "1-1 Umeda, Osaka",
        "transport.mode": "sea",
        "transport.departure_date": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
        "transport.vessel": "COSCO HARMONY",
        "transport.port_of_loading": "Qingdao",
        "transport.port_of_discharge": "Osaka",
        "invoice.number": "ZM-1",
        "invoice.date": timezone.localdate().isoformat(),
        "goods[0].hs": "9403600000",
        "goods[0].description": "Oak chairs",
        "goods[0].quantity": "500",
        "goods[0].unit": "PCS",
        "goods[0].value": "50000",
        "currency": "USD",
        "bonded_zone": "1",
    }
    response = client.post(reverse("trade:declaration_new"), form)
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert "综合保税区申报" in detail
    assert rollups() == [(month(), "export", 1, Decimal("50000.00"))]
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    english.force_login(trade.applicant)
    assert "Bonded-zone declaration" in english.get(reverse("trade:declaration_new")).content.decode()
