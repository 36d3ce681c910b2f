"""The certificate of origin as a catalogue service (RCEP-CO) on the case engine, through the case
API (``/api/v1/cases``): refusal before a case exists, routing to the chosen issuing body, the
decision-time exchange rate, issue as a licence-store credential, public verification,
revocation, withdrawal freeing back-to-back quantities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from zimao.core.apiauth import issue_token
from zimao.trade.models import Certificate, ExchangeRate
from zimao.trade.tests.trade_helpers import application, back_to_back_goods, chair_bom, failing_bom

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def case_data(uscc: str, **overrides) -> dict:
    """The trade application in the RCEP-CO form's sections."""
    app = application(uscc, **overrides)
    return {
        "certificate": {
            "kind": overrides.get("kind", "original"),
            "issuing_body": app["issuing_body"],
            "currency": app["currency"],
            "retroactive_reason": app.get("retroactive_reason", ""),
        },
        "exporter": app["exporter"],
        "producer": app["producer"],
        "importer": app["importer"],
        "transport": app["transport"],
        "invoices": {"items": app["invoices"]},
        "goods": {"items": app["goods"]},
        "declaration": app["declaration"],
    }


def apply(client, data, key=""):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        "/api/v1/cases", {"service": "RCEP-CO", "data": data}, content_type="application/json", **headers
    )


def test_not_originating_is_refused_with_the_engines_explanation_before_a_case_exists(trade):
    client = client_for(trade.applicant)
    data = case_data(
        trade.exporter.uscc,
        goods=[
            {
                "bom": failing_bom(),
                "description": "Chairs",
                "packages": "5 CARTONS",
                "quantity": "10",
                "unit": "PCS",
                "fob_value": "1000.00",
            }
        ],
    )
    response = apply(client, data)
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert errors["goods[0]"]["code"] == "not_originating"
    assert "RCEP" in errors["goods[0]"]["message_zh"] and "not originating" in errors["goods[0]"]["message_en"]
    assert client.get("/api/v1/cases").json() == [] and not Certificate.objects.exists()
    # A malformed table cell is named by its row and column, in both languages.
    data = case_data(trade.exporter.uscc)
    data["goods"]["items"][0]["quantity"] = "many"
    problem = apply(client, data).json()["errors"][0]
    assert problem["field"] == "goods.items" and "row 1" in problem["message_en"] and "第 1 行" in problem["message_zh"]


def test_whole_life_through_the_case_api(trade):
    ExchangeRate.objects.all().delete()  # the reviewer gives this month's rate when deciding
    exporter = client_for(trade.applicant)
    response = apply(exporter, case_data(trade.exporter.uscc), key="coo-1")
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["status"] == "in_review" and case["service"] == "RCEP-CO"
    assert apply(exporter, case_data(trade.exporter.uscc), key="coo-1").json()["number"] == case["number"]
    assert Certificate.objects.filter(case_number=case["number"]).count() == 1

    # Routed to the issuing body chosen (贸促会): customs does not see it, CCPIT does, on the one inbox.
    assert client_for(trade.customs).get("/api/v1/tasks").json() == []
    ccpit = client_for(trade.coo)
    tasks = [t for t in ccpit.get("/api/v1/tasks").json() if t["case"] == case["number"]]
    assert len(tasks) == 1 and tasks[0]["department"] == "CCPIT"
    decision = f"/api/v1/tasks/{tasks[0]['id']}/decision"
    refused = ccpit.post(
        decision, {"outcome": "approve", "fields": {"cny_rate": "lots"}}, content_type="application/json"
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "fields.cny_rate"
    missing = ccpit.post(decision, {"outcome": "approve"}, content_type="application/json")
    assert missing.status_code == 422
    assert (missing.json()["errors"][0]["field"], missing.json()["errors"][0]["code"]) == (
        "fields.cny_rate",
        "no_exchange_rate",
    )
    done = ccpit.post(decision, {"outcome": "approve", "fields": {"cny_rate": "7.1"}}, content_type="application/json")
    assert done.status_code == 200, done.content

    case = exporter.get(f"/api/v1/cases/{case['number']}").json()
    assert case["status"] == "delivered"
    output = case["outputs"][0]
    assert output["kind"] == "rcep_certificate_of_origin"
    cert = Certificate.objects.get(case_number=case["number"])
    assert cert.status == "issued" and cert.credential_identifier == output["identifier"]
    assert cert.content["certification"]["issuing_body"] == "CCPIT" and str(cert.fob_cny) == "355000.00"

    # Verified publicly — as a certificate of origin and as a credential of the licence store.
    assert Client().get(f"/api/v1/trade/verify/{cert.number}").json()["status"] == "valid"
    assert Client().get(f"/api/v1/licences/verify/{output['identifier']}").json()["genuine"] is True
    # Invalidation is the licence store's revocation, and it shows at once.
    from zimao.licences import services as licences

    licences.revoke(output["identifier"], "Corrected certificate to follow", trade.coo)
    assert Client().get(f"/api/v1/trade/verify/{cert.number}").json()["status"] == "invalidated"


def test_refusal_through_the_engine_closes_the_application(trade):
    exporter = client_for(trade.applicant)
    data = case_data(trade.exporter.uscc)
    data["certificate"]["issuing_body"] = "CUSTOMS"
    case = apply(exporter, data).json()
    customs = client_for(trade.customs)
    task = next(t for t in customs.get("/api/v1/tasks").json() if t["case"] == case["number"])
    assert (
        customs.post(
            f"/api/v1/tasks/{task['id']}/decision", {"outcome": "refuse"}, content_type="application/json"
        ).status_code
        == 422
    )  # a reason is required
    customs.post(
        f"/api/v1/tasks/{task['id']}/decision",
        {"outcome": "refuse", "reason": "Producer not verified"},
        content_type="application/json",
    )
    case = exporter.get(f"/api/v1/cases/{case['number']}").json()
    assert case["status"] == "refused"
    assert Certificate.objects.get(case_number=case["number"]).status == "refused"


def test_withdrawal_frees_the_back_to_back_quantity(trade):
    exporter = client_for(trade.applicant)
    data = case_data(trade.exporter.uscc, goods=back_to_back_goods(taken="800"), kind="back_to_back")
    first = apply(exporter, data).json()
    assert first["status"] == "in_review"
    # 800 of the original's 1000 KG are held: another 300 is too much …
    again = apply(exporter, case_data(trade.exporter.uscc, goods=back_to_back_goods(taken="300"), kind="back_to_back"))
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "exceeds_original"
    # … until the first application is withdrawn (the engine's on-close effect releases it).
    assert (
        exporter.post(f"/api/v1/cases/{first['number']}/withdraw", {}, content_type="application/json").status_code
        == 200
    )
    assert Certificate.objects.get(case_number=first["number"]).status == "withdrawn"
    assert (
        apply(
            exporter, case_data(trade.exporter.uscc, goods=back_to_back_goods(taken="300"), kind="back_to_back")
        ).status_code
        == 201
    )


def test_retroactive_issue_takes_the_reviewers_english_reason(trade):
    past = timezone.localdate() - dt.timedelta(days=3)
    exporter = client_for(trade.applicant)
    data = case_data(
        trade.exporter.uscc,
        departure=past,
        retroactive_reason="Oversight at shipment",
        goods=[
            {
                "bom": chair_bom(),
                "description": "Oak chairs",
                "packages": "5 CARTONS",
                "quantity": "10",
                "unit": "PCS",
                "fob_value": "1000.00",
            }
        ],
    )
    case = apply(exporter, data).json()
    ccpit = client_for(trade.coo)
    task = next(t for t in ccpit.get("/api/v1/tasks").json() if t["case"] == case["number"])
    ccpit.post(f"/api/v1/tasks/{task['id']}/decision", {"outcome": "approve"}, content_type="application/json")
    cert = Certificate.objects.get(case_number=case["number"])
    assert cert.retroactive and "ISSUED RETROACTIVELY: Oversight at shipment" in cert.content["remarks"]


def test_the_reviewer_decides_on_the_one_workbench_with_the_decision_fields(trade):
    """贸促会 reviewers find certificates of origin on the workbench every officer uses, and give
    the month's exchange rate there when it is missing."""
    from django.urls import reverse

    ExchangeRate.objects.all().delete()
    case = apply(client_for(trade.applicant), case_data(trade.exporter.uscc)).json()
    browser = Client()
    browser.force_login(trade.coo)
    workbench = browser.get(reverse("web:workbench")).content.decode()
    assert case["number"] in workbench
    from zimao.cases.models import Task

    task = Task.objects.get(case__number=case["number"])
    page = browser.get(reverse("web:task", args=[task.pk])).content.decode()
    assert 'name="cny_rate"' in page
    missing = browser.post(reverse("web:task_decide", args=[task.pk]), {"outcome": "approve"})
    assert missing.status_code == 422 and 'id="f-cny_rate-error"' in missing.content.decode()
    browser.post(reverse("web:task_decide", args=[task.pk]), {"outcome": "approve", "cny_rate": "7.1"})
    assert Certificate.objects.get(case_number=case["number"]).status == "issued"
