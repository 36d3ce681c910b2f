"""The trade API — 国际贸易接口 at /api/v1/trade/: origin check, certificates, public verification,
approved exporters, statistics and declarations; every refusal bilingual and naming its field."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from zimao.core.apiauth import issue_token
from zimao.trade.models import Certificate
from zimao.trade.tests.trade_helpers import application, back_to_back_goods, chair_bom, failing_bom

pytestmark = pytest.mark.django_db

API = "/api/v1/trade"


def client_for(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def post(client, path, body, **headers):
    return client.post(f"{API}/{path}", body, content_type="application/json", **headers)


def test_openapi_declares_errors_for_every_trade_operation(trade):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = {p: ops for p, ops in schema["paths"].items() if p.startswith(f"{API}/")}
    assert len(paths) >= 15
    for path, ops in paths.items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert codes - {"200", "201"}, f"{method.upper()} {path} declares no error response"
            assert "422" in codes, f"{method.upper()} {path}"


def test_origin_check(trade):
    client = client_for(trade.applicant)
    response = post(client, "origin/check", {"bom": chair_bom()})
    assert response.status_code == 200
    data = response.json()
    assert data["originating"] is True and data["criterion"] == ["CTC"] and data["check_id"]
    assert data["rcep_country"]["country"] == "CN" and data["rcep_country"]["basis"] == "Art. 2.6.2"
    assert data["explanation"][0].startswith("Art. 3.13") and data["explanation_zh"][0].startswith("第3.13条")
    failing = post(client, "origin/check", {"bom": failing_bom(), "save": False}).json()
    assert failing["originating"] is False and failing["to_qualify"] and failing["check_id"] is None


def test_origin_check_errors_are_bilingual_and_name_the_field(trade):
    client = client_for(trade.applicant)
    bom = chair_bom()
    bom["product"]["hs"] = "94"
    bom["materials"][0]["value"] = 20.5  # a float: money is written as a string
    response = post(client, "origin/check", {"bom": bom})
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"bom.product.hs", "bom.materials[0].value"}
    assert "6位税则号列" in errors["bom.product.hs"]["message_zh"]
    assert "6-digit" in errors["bom.product.hs"]["message_en"]
    unknown = post(client, "origin/check", {"bom": chair_bom(), "extra": 1})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "extra"
    assert unknown.json()["errors"][0]["message_zh"] == "extra：不允许的字段"


def test_anonymous_is_refused_in_both_languages(trade):
    response = Client().post(f"{API}/origin/check", {"bom": chair_bom()}, content_type="application/json")
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["message_zh"] and error["message_en"]


def test_apply_list_detail_issue_verify(trade):
    exporter = client_for(trade.applicant)
    response = post(exporter, "certificates", application(trade.exporter.uscc), HTTP_IDEMPOTENCY_KEY="a-1")
    assert response.status_code == 201, response.json()
    ref = response.json()["reference"]
    again = post(exporter, "certificates", application(trade.exporter.uscc), HTTP_IDEMPOTENCY_KEY="a-1")
    assert again.status_code == 200 and again.json()["reference"] == ref
    assert [c["reference"] for c in exporter.get(f"{API}/certificates").json()] == [ref]
    assert client_for(trade.applicant2).get(f"{API}/certificates").json() == []
    assert client_for(trade.applicant2).get(f"{API}/certificates/{ref}").status_code == 404

    desk = client_for(trade.coo)
    assert [c["reference"] for c in desk.get(f"{API}/certificates/queue").json()] == [ref]
    assert exporter.get(f"{API}/certificates/queue").status_code == 403
    forbidden = post(exporter, f"certificates/{ref}/issue", {})
    assert forbidden.status_code == 403 and forbidden.json()["errors"][0]["message_zh"]
    issued = post(desk, f"certificates/{ref}/issue", {})
    assert issued.status_code == 200
    cert = issued.json()
    assert cert["status"] == "issued" and cert["number"] and cert["content"]["goods"][0]["hs"] == "940360"
    assert cert["verify_url"].endswith(f"/coo/verify/{cert['number']}/") and cert["pdf_url"]
    conflict = post(desk, f"certificates/{ref}/issue", {})
    assert conflict.status_code == 409 and conflict.json()["errors"][0]["code"] == "invalid_transition"

    detail = exporter.get(f"{API}/certificates/{cert['number']}").json()
    assert detail["reference"] == ref and detail["jws"]

    public = Client().get(f"{API}/verify/{cert['number']}")
    assert public.status_code == 200
    facts = public.json()
    assert facts["genuine"] is True and facts["status"] == "valid" and facts["label_zh"] == "真实有效"
    assert facts["exporter"].startswith("Luoyang Zhimao") and facts["issued_on"] and facts["kind"] == "certificate"
    assert facts["goods"] == [
        {
            "item": 1,
            "hs": "940360",
            "description": "Oak chairs",
            "quantity": "500",
            "unit": "PCS",
            "criterion": ["CTC"],
            "rcep_country": "CN",
        }
    ]
    assert "fob" not in str(facts).lower()
    bad = Client().get(f"{API}/verify/NOTANUMBER").json()
    assert bad["genuine"] is False and bad["reason"] == "invalid_number" and bad["goods"] == []


def test_application_errors_in_both_languages(trade):
    exporter = client_for(trade.applicant)
    data = application(trade.exporter.uscc)
    data["importer"]["country"] = "US"
    data["goods"][0]["fob_value"] = "1,000"
    response = post(exporter, "certificates", data)
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert "goods.0.fob_value" in errors  # schema: money as a plain decimal string
    data["goods"][0]["fob_value"] = "1000"
    response = post(exporter, "certificates", data)
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert response.status_code == 422 and set(errors) == {"importer.country"}
    assert errors["importer.country"]["message_zh"] == "进口国：US 不是 RCEP 缔约方"
    assert errors["importer.country"]["message_en"] == "Importing country: US is not an RCEP Party"
    assert response.json()["detail"].startswith("进口国：")
    not_originating = application(trade.exporter.uscc)
    not_originating["goods"][0]["bom"] = failing_bom()
    response = post(exporter, "certificates", not_originating)
    assert response.json()["errors"][0]["code"] == "not_originating"
    assert Certificate.objects.count() == 0


def test_back_to_back_and_true_copy_over_the_api(trade):
    exporter, desk = client_for(trade.applicant), client_for(trade.coo)
    data = application(trade.exporter.uscc, goods=back_to_back_goods("400"), kind="back_to_back")
    ref = post(exporter, "certificates", data).json()["reference"]
    number = post(desk, f"certificates/{ref}/issue", {}).json()["number"]
    too_much = post(
        exporter, "certificates", application(trade.exporter.uscc, goods=back_to_back_goods("601"), kind="back_to_back")
    )
    assert too_much.status_code == 409 and too_much.json()["errors"][0]["code"] == "exceeds_original"
    copy = post(exporter, f"certificates/{number}/true-copies", {"reason": "Destroyed in a fire"})
    assert copy.status_code == 201 and copy.json()["number"] == number
    issued = post(desk, f"true-copies/{copy.json()['reference']}/issue", {})
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    facts = Client().get(f"{API}/verify/{number}").json()
    assert facts["back_to_back"] is True and len(facts["true_copies"]) == 1


def test_approved_exporter_and_declaration_of_origin(trade):
    customs, exporter = client_for(trade.customs), client_for(trade.applicant)
    body = {
        "uscc": trade.exporter.uscc,
        "name_en": "Luoyang Zhimao Import & Export Co., Ltd.",
        "address_en": "No. 1 Tianjin Road, Luoyang",
        "hs_chapters": ["94"],
    }
    assert post(exporter, "approved-exporters", body).status_code == 403
    created = post(customs, "approved-exporters", body)
    assert created.status_code == 201
    code = created.json()["code"]
    assert [e["code"] for e in exporter.get(f"{API}/approved-exporters").json()] == [code]
    dec = post(
        exporter,
        "declarations-of-origin",
        {
            "authorisation_code": code,
            "currency": "USD",
            "signatory": "Li Ming",
            "importer": {"name": "Seoul Living Co.", "address": "1 Sejong-daero, Seoul", "country": "KR"},
            "goods": [
                {
                    "bom": chair_bom(),
                    "description": "Oak chairs",
                    "packages": "10 CARTONS",
                    "quantity": "100",
                    "unit": "PCS",
                    "fob_value": "10000.00",
                }
            ],
        },
        HTTP_IDEMPOTENCY_KEY="d-1",
    )
    assert dec.status_code == 201, dec.json()
    reference = dec.json()["reference"]
    facts = Client().get(f"{API}/verify/{reference}").json()
    assert facts["kind"] == "declaration" and facts["authorisation_code"] == code and facts["status"] == "valid"
    suspended = post(customs, f"approved-exporters/{code}/status", {"status": "suspended", "reason": "audit"})
    assert suspended.json()["status"] == "suspended"


def test_statistics_for_officials(trade):
    exporter, desk = client_for(trade.applicant), client_for(trade.coo)
    ref = post(exporter, "certificates", application(trade.exporter.uscc)).json()["reference"]
    issued_on = post(desk, f"certificates/{ref}/issue", {}).json()["issued_on"]
    rows = desk.get(f"{API}/statistics?start={issued_on}&end={issued_on}").json()
    assert rows == [
        {
            "period": issued_on[:7],
            "country": "JP",
            "country_en": "Japan",
            "country_zh": "日本",
            "certificates": 1,
            "fob_cny": "355000.00",
            "fob": {"USD": "50000.00"},
        }
    ]
    assert exporter.get(f"{API}/statistics?start={issued_on}&end={issued_on}").status_code == 403
    backwards = desk.get(f"{API}/statistics?start=2026-02-01&end=2026-01-01")
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "end"


def test_single_window_declaration_over_the_api(trade, settings):
    settings.ZIMAO_TRADE_SANDBOX = {
        "seed": 3,
        "default": {"outage_rate": 0, "reject_rate": 0, "min_delay": 0, "max_delay": 0},
        "commerce": {"fail_first": 1},
    }
    from django.utils import timezone

    client = client_for(trade.applicant)
    body = {
        "trader_uscc": trade.exporter.uscc,
        "destination_country": "JP",
        "consignee": {"name": "Osaka Furniture K.K.", "address": "1-1 Umeda, Osaka"},
        "transport": {
            "mode": "sea",
            "departure_date": timezone.localdate().isoformat(),
            "vessel": "COSCO HARMONY",
            "port_of_loading": "Qingdao",
            "port_of_discharge": "Osaka",
        },
        "currency": "USD",
        "invoice": {"number": "ZM-1", "date": timezone.localdate().isoformat()},
        "goods": [{"hs": "940360", "description": "Oak chairs", "quantity": "500", "unit": "PCS", "value": "50000"}],
    }
    response = post(client, "declarations", body, HTTP_IDEMPOTENCY_KEY="sw-1")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "delayed"
    agencies = {a["agency"]: a for a in data["agencies"]}
    assert agencies["customs"]["status"] == "accepted" and agencies["commerce"]["status"] == "queued"
    assert agencies["commerce"]["next_attempt_at"] and "重试" in agencies["commerce"]["label_zh"]
    assert post(client, "declarations", body, HTTP_IDEMPOTENCY_KEY="sw-1").status_code == 200
    listed = client.get(f"{API}/declarations").json()
    assert [d["number"] for d in listed] == [data["number"]]
    assert client_for(trade.applicant2).get(f"{API}/declarations/{data['number']}").status_code == 404
    bad = post(client, "declarations", {**body, "agencies": ["police"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("agencies")


def _reused(response) -> None:
    assert response.status_code == 422, response.content[:300]
    [error] = response.json()["errors"]
    assert error["code"] == "key_reused" and error["field"] == "Idempotency-Key"
    assert error["message_zh"] and error["message_en"]


def test_an_idempotency_key_reused_with_another_body_is_refused_on_every_trade_operation(trade, settings):
    """The IETF idempotency-key draft on trade's three keys: the same body again is the first
    result (200); another body under the same key is 422, bilingual, and creates nothing."""
    from zimao.trade.models import OriginDeclaration, TradeDeclaration

    settings.ZIMAO_TRADE_SANDBOX = {
        "seed": 3,
        "default": {"outage_rate": 0, "reject_rate": 0, "min_delay": 0, "max_delay": 0, "fail_first": 0},
    }
    exporter, customs = client_for(trade.applicant), client_for(trade.customs)
    key = {"HTTP_IDEMPOTENCY_KEY": "k-1"}

    # 1. certificates of origin (a case of RCEP-CO)
    body = application(trade.exporter.uscc)
    first = post(exporter, "certificates", body, **key)
    assert first.status_code == 201, first.content[:300]
    same = post(exporter, "certificates", body, **key)
    assert same.status_code == 200 and same.json()["reference"] == first.json()["reference"]
    _reused(post(exporter, "certificates", {**body, "remarks": "another shipment"}, **key))
    assert Certificate.objects.filter(applicant=trade.applicant).count() == 1

    # 2. declarations of origin by an approved exporter
    code = post(
        customs,
        "approved-exporters",
        {"uscc": trade.exporter.uscc, "name_en": "Zhimao Co.", "address_en": "No. 1 Road", "hs_chapters": ["94"]},
    ).json()["code"]
    goods = {
        "bom": chair_bom(),
        "description": "Oak chairs",
        "packages": "10 CARTONS",
        "quantity": "100",
        "unit": "PCS",
        "fob_value": "10000.00",
    }
    dec = {
        "authorisation_code": code,
        "currency": "USD",
        "signatory": "Li Ming",
        "importer": {"name": "Seoul Living Co.", "address": "1 Sejong-daero, Seoul", "country": "KR"},
        "goods": [goods],
    }
    first = post(exporter, "declarations-of-origin", dec, **key)
    assert first.status_code == 201, first.content[:300]
    same = post(exporter, "declarations-of-origin", dec, **key)
    assert same.status_code == 200 and same.json()["reference"] == first.json()["reference"]
    _reused(post(exporter, "declarations-of-origin", {**dec, "goods": [{**goods, "quantity": "99"}]}, **key))
    assert OriginDeclaration.objects.filter(completed_by=trade.applicant).count() == 1

    # 3. single-window declarations
    today = timezone.localdate().isoformat()
    sw = {
        "trader_uscc": trade.exporter.uscc,
        "destination_country": "JP",
        "consignee": {"name": "Osaka Furniture K.K.", "address": "1-1 Umeda, Osaka"},
        "transport": {
            "mode": "sea",
            "departure_date": today,
            "vessel": "COSCO",
            "port_of_loading": "Qingdao",
            "port_of_discharge": "Osaka",
        },
        "currency": "USD",
        "invoice": {"number": "ZM-1", "date": today},
        "goods": [{"hs": "940360", "description": "Oak chairs", "quantity": "500", "unit": "PCS", "value": "50000"}],
    }
    first = post(exporter, "declarations", sw, **key)
    assert first.status_code == 201, first.content[:300]
    same = post(exporter, "declarations", sw, **key)
    assert same.status_code == 200 and same.json()["number"] == first.json()["number"]
    _reused(post(exporter, "declarations", {**sw, "destination_country": "KR"}, **key))
    assert TradeDeclaration.objects.filter(trader=trade.applicant).count() == 1


def test_the_certificate_service_compares_the_body_of_a_reused_key_too(trade):
    from zimao.core.errors import BusinessError
    from zimao.trade.certificates import services

    body = application(trade.exporter.uscc)
    cert = services.apply(trade.applicant, body, idempotency_key="svc-1")
    assert services.apply(trade.applicant, body, idempotency_key="svc-1").pk == cert.pk
    with pytest.raises(BusinessError) as refused:
        services.apply(trade.applicant, {**body, "remarks": "other"}, idempotency_key="svc-1")
    assert refused.value.status == 422 and refused.value.problems[0].code == "key_reused"
