"""The case API end to end: apply, idempotency, errors naming fields, worklist, decisions."""

import pytest
from django.test import Client

from zimao.core.apiauth import issue_token
from zimao.testing import PDF, application

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def upload(client, key, content=PDF, name="file.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/materials", {"key": key, "file": SimpleUploadedFile(name, content)})


def apply(client, data=None, key="", materials=None, **extra):
    if materials is None:
        materials = {k: upload(client, k).json()["id"] for k in ("articles", "id_copy", "premises")}
    body = {"service": "QYKB-001", "data": data or application(), "materials": materials, **extra}
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/cases", body, content_type="application/json", **headers)


def test_openapi_declares_errors_for_every_operation(zone):
    schema = Client().get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if not (op.get("parameters") or op.get("requestBody") or op.get("security")):
                continue  # nothing the caller sends can be wrong
            codes = set(op["responses"])
            assert codes - {"200", "201"}, f"{method.upper()} {path} declares no error response"


def test_anonymous_gets_401_in_both_languages(zone):
    response = Client().get("/api/v1/cases")
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["message_zh"] and error["message_en"]


def test_apply_straight_through_and_read_status(zone):
    client = client_for(zone.applicant)
    response = apply(client, key="k-1")
    assert response.status_code == 201, response.content
    case = response.json()
    assert case["status"] == "delivered" and case["status_zh"] == "已办结"
    assert case["outputs"][0]["kind"] == "business_licence"
    identifier = case["outputs"][0]["identifier"]
    verify = Client().get(f"/api/v1/licences/verify/{identifier}")
    assert verify.status_code == 200 and verify.json()["genuine"] is True
    again = client.get(f"/api/v1/cases/{case['number']}")
    assert again.json() == case  # the answer to the POST (not read back) is what was stored
    history = client.get(f"/api/v1/cases/{case['number']}/history").json()
    assert history[0]["action"] == "case.submitted"
    # People are named as on the case page; what the engine did by itself names nobody.
    assert history[0]["actor_name"] == (zone.applicant.get_full_name() or zone.applicant.first_name or "applicant")
    assert {e["actor_name"] for e in history if e["actor"].startswith("system")} <= {""}


def test_idempotency_key_returns_the_same_case(zone):
    client = client_for(zone.applicant)
    materials = {k: upload(client, k).json()["id"] for k in ("articles", "id_copy", "premises")}
    first = apply(client, key="double-click", materials=materials)
    second = apply(client, key="double-click", materials=materials)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["number"] == second.json()["number"]
    assert len(client.get("/api/v1/cases").json()) == 1


def test_an_idempotency_key_reused_with_another_body_is_refused(zone):
    """IETF draft-ietf-httpapi-idempotency-key-header: the same key with a different payload is a
    client error (422), not silently the first request's answer."""
    client = client_for(zone.applicant)
    materials = {k: upload(client, k).json()["id"] for k in ("articles", "id_copy", "premises")}
    assert apply(client, key="k-reused", materials=materials).status_code == 201
    for change in ({"materials": {}}, {"data": application("别名")}, {"delivery_method": "window"}):
        response = apply(client, key="k-reused", **{"materials": materials, **change})
        assert response.status_code == 422, change
        [error] = response.json()["errors"]
        assert error["field"] == "Idempotency-Key" and error["code"] == "key_reused"
        assert "幂等键" in error["message_zh"] and "different request" in error["message_en"]
    assert len(client.get("/api/v1/cases").json()) == 1


def test_bad_fields_are_named_in_chinese_and_english(zone):
    client = client_for(zone.applicant)
    data = application(registration={"legal_rep_id": "11010519491231002", "legal_rep_phone": "12"})
    response = apply(client, data=data, materials={})
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert "registration.legal_rep_id" in errors and "registration.legal_rep_phone" in errors
    assert (
        "身份" in errors["registration.legal_rep_id"]["message_zh"]
        or "号码" in errors["registration.legal_rep_id"]["message_zh"]
    )
    assert errors["registration.legal_rep_phone"]["message_en"]


def test_schema_violations_are_bilingual_too(zone):
    client = client_for(zone.applicant)
    response = client.post("/api/v1/cases", {"service": "QYKB-001"}, content_type="application/json")
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "data" and error["message_zh"].startswith("data")


def test_disguised_and_oversize_uploads_are_refused(zone, settings):
    client = client_for(zone.applicant)
    response = upload(client, "articles", content=b"MZ\x90\x00 not really a pdf", name="articles.pdf")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "wrong_type"
    settings.UPLOAD_MAX_BYTES = 100
    response = upload(client, "articles", content=PDF + b"0" * 200)
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "too_large"
    truncated = upload(client, "articles", content=PDF[:30])
    assert truncated.status_code == 422


def test_reviewer_worklist_and_two_click_decision(zone):
    applicant = client_for(zone.applicant)
    number = apply(applicant, data=application(registration={"articles": "custom"})).json()["number"]
    reviewer = client_for(zone.reviewer)
    tasks = reviewer.get("/api/v1/tasks").json()
    assert [t["case"] for t in tasks] == [number]
    assert client_for(zone.reviewer_tax).get("/api/v1/tasks").json() == []
    forbidden = client_for(zone.reviewer_tax).post(
        f"/api/v1/tasks/{tasks[0]['id']}/decision", {"outcome": "approve"}, content_type="application/json"
    )
    assert forbidden.status_code == 403
    decided = reviewer.post(
        f"/api/v1/tasks/{tasks[0]['id']}/decision", {"outcome": "approve"}, content_type="application/json"
    )
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    twice = reviewer.post(
        f"/api/v1/tasks/{tasks[0]['id']}/decision", {"outcome": "approve"}, content_type="application/json"
    )
    assert twice.status_code == 409
    assert applicant.get(f"/api/v1/cases/{number}").json()["status"] == "delivered"


def test_applicant_cannot_read_another_applicants_case(zone):
    number = apply(client_for(zone.applicant)).json()["number"]
    other = client_for(zone.applicant2)
    assert other.get(f"/api/v1/cases/{number}").status_code == 404
    assert other.get(f"/api/v1/cases/{number}/history").status_code == 404
    assert (
        other.post(f"/api/v1/cases/{number}/rating", {"level": 1}, content_type="application/json").status_code == 404
    )
    assert client_for(zone.applicant2).get("/api/v1/tasks").status_code == 403


def test_rating_through_the_api(zone):
    client = client_for(zone.applicant)
    number = apply(client).json()["number"]
    bad = client.post(f"/api/v1/cases/{number}/rating", {"level": 9}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "level"
    ok = client.post(f"/api/v1/cases/{number}/rating", {"level": 1, "comment": "太慢"}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["rectification_task"]


def test_service_guide_is_public(zone):
    services = Client().get("/api/v1/catalog/services").json()
    assert any(s["code"] == "QYKB-001" for s in services)
    guide = Client().get("/api/v1/catalog/services/QYKB-001").json()
    assert guide["promised_limit_days"] == 1 and guide["form"]["sections"][0]["key"] == "name"
    assert Client().get("/api/v1/catalog/services/NOPE").status_code == 404


def test_listing_cases_costs_the_same_queries_for_two_cases_as_for_six(zone):
    """GET /api/v1/cases fetches tasks and ratings per page, not per case (no N+1)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zimao.cases import services

    client = client_for(zone.applicant)

    def listing_queries(expected: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            cases = client.get("/api/v1/cases").json()
        assert len(cases) == expected and all(c["tasks"] for c in cases)
        return len(ctx.captured_queries)

    names = iter(["智远", "航达", "信诚", "恒泰", "丰瑞", "安康"])
    numbers = [apply(client, data=application(next(names))).json()["number"] for _ in range(2)]
    services.rate(numbers[0], zone.applicant, 5, "", False)
    two = listing_queries(2)
    for _ in range(4):
        apply(client, data=application(next(names)))
    six = listing_queries(6)
    assert six == two
    rated = {c["number"]: c["rating"] for c in client.get("/api/v1/cases").json()}
    assert rated[numbers[0]] == 5 and rated[numbers[1]] is None
