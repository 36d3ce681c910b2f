"""Trade pages — 国际贸易页面: the exporter's check → apply → certificate, the issuing desk, the
public verification page (Art. 3.17.7), the PDF, and the single-window declaration page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from zimao.core.errors import BusinessError
from zimao.trade import services
from zimao.trade.certificates import document as docs
from zimao.trade.models import Certificate, OriginCheck
from zimao.trade.tests.trade_helpers import application, chair_bom, failing_bom

pytestmark = pytest.mark.django_db


def login(user, language="zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def bom_form(**extra) -> dict:
    data = {
        "rows": "4",
        "action": "check",
        "product.description": "Oak chair",
        "product.hs": "940360",
        "hs_version": "HS2012",
        "product.fob": "100.00",
        "product.currency": "USD",
        "product.country": "CN",
        "product.operations": "assembly, painting",
        "rule": "CTH or RVC40",
        "materials[0].description": "oak boards",
        "materials[0].hs": "440791",
        "materials[0].country": "TH",
        "materials[0].originating": "yes",
        "materials[0].value": "20.00",
        "materials[0].role": "material",
        "materials[1].description": "hinges",
        "materials[1].hs": "830210",
        "materials[1].country": "DE",
        "materials[1].originating": "no",
        "materials[1].value": "5.00",
        "materials[1].role": "material",
    }
    data.update(extra)
    return data


def apply_form(check_id: int, uscc: str, **extra) -> dict:
    data = {
        "check": str(check_id),
        "idempotency_key": "page-1",
        "exporter.uscc": uscc,
        "exporter.name": "Luoyang Zhimao Import & Export Co., Ltd.",
        "exporter.address": "No. 1 Tianjin Road, Luoyang",
        "producer.mode": "same",
        "importer.name": "Osaka Furniture K.K.",
        "importer.address": "1-1 Umeda, Osaka",
        "importer.country": "JP",
        "transport.departure_date": (timezone.localdate() + dt.timedelta(days=5)).isoformat(),
        "transport.vessel": "COSCO HARMONY V.012E",
        "transport.port_of_loading": "Qingdao",
        "transport.port_of_discharge": "Osaka",
        "invoices[0].number": "ZM-1",
        "invoices[0].date": timezone.localdate().isoformat(),
        "goods[0].description": "Oak chairs",
        "goods[0].packages": "50 CARTONS",
        "goods[0].quantity": "500",
        "goods[0].unit": "PCS",
        "currency": "USD",
        "goods[0].fob_value": "50000.00",
        "issuing_body": "CCPIT",
        "declaration.place": "Luoyang",
        "declaration.signatory": "Li Ming",
    }
    data.update(extra)
    return data


def test_check_apply_issue_verify_through_the_pages(trade):
    exporter = login(trade.applicant)
    response = exporter.post(reverse("trade:origin_check"), bom_form())
    assert response.status_code == 302
    check = OriginCheck.objects.get()
    assert check.originating and check.criterion == "CTC" and check.rcep_country == "CN"
    page = exporter.get(response["Location"]).content.decode()
    assert "具有原产资格" in page or "Originating" in page
    assert "第3.13条" in page  # the explanation, in Chinese first
    assert 'id="apply-now"' in page

    response = exporter.get(reverse("trade:certificate_apply") + f"?check={check.pk}")
    assert response.status_code == 200
    response = exporter.post(reverse("trade:certificate_apply"), apply_form(check.pk, trade.exporter.uscc))
    assert response.status_code == 302, response.content.decode()[:2000]
    cert = Certificate.objects.get()
    assert response["Location"] == reverse("trade:certificate", args=[cert.reference])
    assert "已申请，待签证" in exporter.get(response["Location"]).content.decode()

    desk = login(trade.coo)
    page = desk.get(reverse("trade:desk")).content.decode()
    assert cert.reference in page
    assert desk.get(reverse("trade:desk_review", args=[cert.reference])).status_code == 200
    response = desk.post(reverse("trade:desk_issue", args=[cert.reference]))
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.status == "issued"
    # Applied for on the exporter's pages, it is a case of RCEP-CO: the desk's decision was the
    # case task's, and the certificate is a credential of the licence store.
    from zimao.cases.services import get_case_for

    case = get_case_for(trade.applicant, cert.case_number)
    assert case.service.code == "RCEP-CO" and case.status == "delivered"
    assert case.outputs[0]["identifier"] == cert.credential_identifier != ""

    page = exporter.get(reverse("trade:certificate", args=[cert.reference])).content.decode()
    assert cert.number in page and "<svg" in page and docs.verify_url(cert.number) in page
    pdf = exporter.get(reverse("trade:certificate_pdf", args=[cert.reference]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    public = Client().get(reverse("trade:verify", args=[cert.number]))
    assert public.status_code == 200 and public["Cache-Control"] == "no-store"


def test_verification_page_shows_what_art_3_17_7_requires(trade):
    cert = services.issue(services.apply(trade.applicant, application(trade.exporter.uscc)).reference, trade.coo)
    page = Client().get(reverse("trade:verify", args=[cert.number])).content.decode()
    for expected in (
        cert.number,
        "940360",
        "Oak chairs",
        "500",
        "PCS",
        cert.issued_on.isoformat(),
        "Luoyang Zhimao Import &amp; Export Co., Ltd.",
        "真实有效",
    ):
        assert expected in page, expected
    # Commercial details stay private: no FOB, no importer name, no invoice.
    for secret in ("50000", "Osaka Furniture", "ZM-2026-001"):
        assert secret not in page, secret
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("trade:verify", args=[cert.number])).content.decode()
    assert "Genuine and valid" in english


def test_verification_page_for_bad_and_tampered_numbers(trade):
    cert = services.issue(services.apply(trade.applicant, application(trade.exporter.uscc)).reference, trade.coo)
    response = Client().get(
        reverse("trade:verify", args=[cert.number[:-1] + "0" if cert.number[-1] != "0" else cert.number[:-1] + "1"])
    )
    assert response.status_code == 404 and "无法核验" in response.content.decode()
    Certificate.objects.filter(pk=cert.pk).update(exporter_name="Someone Else", exporter_uscc="91410300MA00000000")
    response = Client().get(reverse("trade:verify", args=[cert.number]))
    assert response.status_code == 404
    assert "Luoyang Zhimao" not in response.content.decode()
    form = Client().get(reverse("trade:verify_form") + f"?number={cert.number.lower()}")
    assert form.status_code == 302 and form["Location"].endswith(f"/coo/verify/{cert.number}/")


def test_form_errors_are_shown_beside_the_field(trade):
    exporter = login(trade.applicant, "en")
    response = exporter.post(
        reverse("trade:origin_check"), bom_form(**{"product.hs": "94", "materials[1].value": "abc"})
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="f-product-hs-error"' in page and 'id="f-materials-1-value-error"' in page
    assert "6-digit HS subheading" in page
    response = exporter.post(reverse("trade:origin_check"), {"rows": "4", "action": "check", "bom_json": "{nope"})
    assert response.status_code == 422 and 'id="f-bom-json-error"' in response.content.decode()


def test_json_upload_and_a_failing_product_explains_what_would_qualify(trade):
    exporter = login(trade.applicant)
    response = exporter.post(
        reverse("trade:origin_check"), {"rows": "4", "action": "check", "bom_json": json.dumps(failing_bom())}
    )
    assert response.status_code == 302
    page = exporter.get(response["Location"]).content.decode()
    assert 'data-originating="false"' in page and 'id="to-qualify"' in page
    assert 'id="apply-now"' not in page


def test_add_row_keeps_what_was_typed(trade):
    exporter = login(trade.applicant)
    response = exporter.post(reverse("trade:origin_check"), bom_form(action="add_row"))
    page = response.content.decode()
    assert response.status_code == 200 and 'name="materials[4].description"' in page and 'value="oak boards"' in page


def test_application_errors_land_on_their_fields(trade):
    exporter = login(trade.applicant, "en")
    check = services.check_origin(trade.applicant, chair_bom())
    response = exporter.post(
        reverse("trade:certificate_apply"),
        apply_form(check["check_id"], trade.exporter.uscc, **{"importer.country": "CN", "exporter.name": "智贸"}),
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="f-importer-country-error"' in page and 'id="f-exporter-name-error"' in page
    assert 'href="#f-importer-country"' in page
    assert Certificate.objects.count() == 0


def test_exporter_pages_are_private(trade):
    cert = services.apply(trade.applicant, application(trade.exporter.uscc))
    other = login(trade.applicant2)
    assert other.get(reverse("trade:certificate", args=[cert.reference])).status_code == 404
    assert other.get(reverse("trade:certificate_pdf", args=[cert.reference])).status_code == 404
    assert login(trade.applicant).get(reverse("trade:desk")).status_code == 403
    assert login(trade.reviewer).get(reverse("trade:desk")).status_code == 403
    assert login(trade.customs).post(reverse("trade:desk_issue", args=[cert.reference])).status_code == 403
    assert Client().get(reverse("trade:certificates")).status_code == 302


def test_desk_asks_for_the_rate_and_the_retroactive_reason(trade):
    from zimao.trade.models import ExchangeRate

    ExchangeRate.objects.all().delete()
    cert = services.apply(trade.applicant, application(trade.exporter.uscc))
    desk = login(trade.coo, "en")
    page = desk.get(reverse("trade:desk_review", args=[cert.reference])).content.decode()
    assert 'name="cny_rate"' in page
    response = desk.post(reverse("trade:desk_issue", args=[cert.reference]))
    assert response.status_code == 422 and 'id="f-cny-rate-error"' in response.content.decode()
    response = desk.post(reverse("trade:desk_issue", args=[cert.reference]), {"cny_rate": "7.12"})
    assert response.status_code == 302
    cert.refresh_from_db()
    assert cert.status == "issued"


def test_refusal_is_shown_to_the_exporter(trade):
    cert = services.apply(trade.applicant, application(trade.exporter.uscc))
    desk = login(trade.coo)
    response = desk.post(reverse("trade:desk_refuse", args=[cert.reference]), {"reason": ""})
    assert response.status_code == 422
    desk.post(reverse("trade:desk_refuse", args=[cert.reference]), {"reason": "发票与货物不符"})
    page = login(trade.applicant).get(reverse("trade:certificate", args=[cert.reference])).content.decode()
    assert "不予签证" in page and "发票与货物不符" in page


def test_true_copy_through_the_pages_and_its_pdf(trade):
    cert = services.issue(services.apply(trade.applicant, application(trade.exporter.uscc)).reference, trade.coo)
    exporter = login(trade.applicant)
    exporter.post(reverse("trade:true_copy_request", args=[cert.reference]), {"reason": "Lost in transit"})
    copy = cert.true_copies.get()
    desk = login(trade.coo)
    assert copy.reference in desk.get(reverse("trade:desk")).content.decode()
    desk.post(reverse("trade:desk_true_copy", args=[copy.reference]), {"action": "issue"})
    copy.refresh_from_db()
    assert copy.status == "issued"
    pdf = exporter.get(reverse("trade:true_copy_pdf", args=[copy.reference]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_pdf_layout_has_the_sixteen_boxes_and_the_endorsements(trade):
    from django.template.loader import render_to_string

    from zimao.trade.certificates.views import _pdf_context

    past = timezone.localdate() - dt.timedelta(days=3)
    data = application(trade.exporter.uscc, departure=past, retroactive_reason="Oversight at shipment")
    data["third_party_invoicing"] = {"name": "Hong Kong Trading Ltd.", "country": "HK"}
    cert = services.issue(services.apply(trade.applicant, data).reference, trade.coo)
    html = render_to_string("trade/pdf/certificate.html", _pdf_context(cert))
    for n in range(1, 17):
        assert f'<span class="n">{n}.</span>' in html, n
    assert "Form RCEP" in html and "Issued in <b>CHINA</b>" in html and cert.number in html
    assert "ISSUED RETROACTIVELY" in html and "THIRD-PARTY INVOICING: invoice issued by Hong Kong Trading Ltd." in html
    assert "CERTIFIED TRUE COPY" not in html
    copy = services.issue_true_copy(
        services.request_true_copy(trade.applicant, cert.number, "lost").reference, trade.coo
    )
    html = render_to_string("trade/pdf/certificate.html", _pdf_context(cert, copy))
    assert html.count("CERTIFIED TRUE COPY") >= 2 and cert.issued_on.isoformat() in html


def test_declaration_page_shows_each_agency(trade, settings):
    settings.ZIMAO_TRADE_SANDBOX = {
        "seed": 1,
        "default": {"outage_rate": 0, "reject_rate": 0, "min_delay": 0, "max_delay": 0},
        "tax": {"reject_rate": 1},
    }
    exporter = login(trade.applicant)
    form = {
        "idempotency_key": "d-1",
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
        "agencies": ["customs", "commerce", "tax"],
    }
    response = exporter.post(reverse("trade:declaration_new"), form)
    assert response.status_code == 302
    page = exporter.get(response["Location"]).content.decode()
    assert 'data-status="rejected"' in page and "有部门退回" in page
    assert 'data-agency="customs" data-status="accepted"' in page and 'data-agency="tax" data-status="rejected"' in page
    assert "hx-get" not in page  # final: no more polling
    number = response["Location"].rstrip("/").split("/")[-1]
    fragment = exporter.get(reverse("trade:declaration_status", args=[number]))
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert login(trade.applicant2).get(response["Location"]).status_code == 404


def test_statistics_page_for_officials_only(trade):
    services.issue(services.apply(trade.applicant, application(trade.exporter.uscc)).reference, trade.coo)
    page = login(trade.admin).get(reverse("trade:statistics")).content.decode()
    assert "355000.00" in page and "日本" in page
    assert login(trade.applicant).get(reverse("trade:statistics")).status_code == 403


def test_declarations_of_origin_are_listed_with_their_pdf(trade):
    exporter = services.authorise_exporter(
        trade.customs,
        uscc=trade.exporter.uscc,
        name_en="Luoyang Zhimao Co., Ltd.",
        address_en="No. 1 Tianjin Road, Luoyang",
        hs_chapters=["94"],
    )
    dec = services.complete_declaration(
        trade.applicant,
        {
            "authorisation_code": exporter.code,
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
    )
    client = login(trade.applicant)
    page = client.get(reverse("trade:certificates")).content.decode()
    assert dec.reference in page and exporter.code in page
    pdf = client.get(reverse("trade:declaration_pdf", args=[dec.reference]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert login(trade.applicant2).get(reverse("trade:declaration_pdf", args=[dec.reference])).status_code == 404
    public = Client().get(reverse("trade:verify", args=[dec.reference])).content.decode()
    assert exporter.code in public and "Luoyang Zhimao Co., Ltd." in public


def test_form_rcep_is_english_only_and_draws_no_seal(trade):
    """Art. 3.17.3(c): the form is in English — box 16 too, even for an officer whose name is
    Chinese; and no seal is drawn (seal impressions are notified to the Parties, Art. 3.17)."""
    import re

    from django.template.loader import render_to_string

    from zimao.trade.certificates.views import _pdf_context

    trade.coo.first_name, trade.coo.last_name = "明", "王"
    trade.coo.save()
    cert = services.issue(services.apply(trade.applicant, application(trade.exporter.uscc)).reference, trade.coo)
    assert cert.content["certification"]["signatory"].startswith("Authorised officer, China Council")
    html = render_to_string("trade/pdf/certificate.html", _pdf_context(cert))
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", html, flags=re.S)
    assert not re.search(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]", text), re.findall(
        r"\S*[\u2e80-\u9fff]+\S*", text
    )
    assert "seal" not in html.replace("signature and seal or stamp of Issuing Body", "").lower()
    assert "<polygon" not in html and "电子印章" not in html


def test_a_chinese_retroactive_reason_is_refused_in_english_terms(trade):
    past = timezone.localdate() - dt.timedelta(days=3)
    with pytest.raises(BusinessError) as exc:
        services.apply(
            trade.applicant, application(trade.exporter.uscc, departure=past, retroactive_reason="装运时疏忽")
        )
    assert any(p.field == "retroactive_reason" and p.code == "not_english" for p in exc.value.problems)
    cert = services.apply(
        trade.applicant, application(trade.exporter.uscc, departure=past, retroactive_reason="Oversight at shipment")
    )
    with pytest.raises(BusinessError) as exc:
        services.issue(cert.reference, trade.coo, retroactive_reason="补发")
    assert exc.value.problems[0].code == "not_english"
