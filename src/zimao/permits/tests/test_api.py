"""The permits API: the item list, the advisor, one-call 告知承诺, notes, companies and checks."""

from __future__ import annotations

import pytest

from zimao.core.apiauth import issue_token
from zimao.permits.models import PostCheck
from zimao.permits.tests.helpers import reviewer_for

pytestmark = pytest.mark.django_db


def auth(user):
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_token(user, 'test')}"}


def test_items_and_advice_are_public(client, permit_zone):
    items = client.get("/api/v1/permits/items").json()
    assert len(items) >= 25 and {i["reform_mode"] for i in items} == {"cancelled", "filing", "commitment", "optimised"}
    pm = client.get("/api/v1/permits/items/ZZ-PM").json()
    assert pm["reform_mode_zh"] == "实行告知承诺" and len(pm["conditions_version"]) == 64
    assert client.get("/api/v1/permits/items?reform_mode=filing").json()[0]["reform_mode"] == "filing"
    assert client.get("/api/v1/permits/items/NOPE").status_code == 404
    advice = client.get("/api/v1/permits/advice?activities=catering&activities=drug_retail").json()
    assert {b["code"] for b in advice["bundles"]} == {"YJS-KCG", "YJS-KYD"}
    assert "ZZ-SPJY" in [i["code"] for i in advice["items"]]


def test_commitment_in_one_call_with_idempotency(client, company):
    pm = client.get("/api/v1/permits/items/ZZ-PM").json()
    body = {
        "service": "ZZ-PM",
        "uscc": company.uscc,
        "signer_name": "李明",
        "agree": True,
        "conditions_version": pm["conditions_version"],
        "data": {
            "premises": {"address": "洛阳市涧西区1号", "area_m2": "90"},
            "auction": {"auctioneers": 1, "registered_capital": "100"},
        },
    }
    headers = {**auth(company.applicant), "HTTP_IDEMPOTENCY_KEY": "api-1"}
    first = client.post("/api/v1/permits/commitments", body, content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["granted"] and data["status"] == "delivered"
    assert data["credentials"][0]["status"] == "valid" and data["post_checks"][0]["department"] == "COMMERCE"
    again = client.post("/api/v1/permits/commitments", body, content_type="application/json", **headers)
    assert again.status_code == 200 and again.json()["case"] == data["case"]
    bad = client.post(
        "/api/v1/permits/commitments",
        {**body, "agree": False},
        content_type="application/json",
        **auth(company.applicant),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "commitment.agree"
    assert client.post("/api/v1/permits/commitments", body, content_type="application/json").status_code == 401


def test_companies_notes_and_checks(client, company):
    headers = auth(company.applicant)
    note = client.post(
        "/api/v1/permits/activity-notes",
        {"service": "ZZ-DWTZ", "uscc": company.uscc},
        content_type="application/json",
        **headers,
    )
    assert note.status_code == 201 and note.json()["activities"] == ["import_export"]
    pm = client.get("/api/v1/permits/items/ZZ-PM").json()
    client.post(
        "/api/v1/permits/commitments",
        {
            "service": "ZZ-PM",
            "uscc": company.uscc,
            "signer_name": "李明",
            "agree": True,
            "conditions_version": pm["conditions_version"],
            "data": {
                "premises": {"address": "洛阳", "area_m2": "9"},
                "auction": {"auctioneers": 1, "registered_capital": "100"},
            },
        },
        content_type="application/json",
        **headers,
    )
    mine = client.get("/api/v1/permits/companies", **headers).json()
    assert mine[0]["uscc"] == company.uscc and len(mine[0]["credentials"]) == 2
    officer = auth(reviewer_for("COMMERCE"))
    checks = client.get("/api/v1/permits/post-checks", **officer).json()
    assert len(checks) == 1
    done = client.post(
        f"/api/v1/permits/post-checks/{checks[0]['id']}",
        {"outcome": "false", "findings": "承诺不实"},
        content_type="application/json",
        **officer,
    )
    assert done.status_code == 200 and done.json()["outcome"] == "false"
    mine = client.get("/api/v1/permits/companies", **headers).json()
    assert {c["status"] for c in mine[0]["credentials"]} == {"valid", "revoked"}
    assert mine[0]["credit_records"][0]["kind"] == "false_commitment"
    assert client.get("/api/v1/permits/post-checks", **headers).status_code == 403
    assert PostCheck.objects.get().outcome == "false"
