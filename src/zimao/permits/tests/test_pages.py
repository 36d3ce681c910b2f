"""The permit pages: the item list and guides, the 告知承诺 page (one visit), a company's
credentials with PDF downloads, the advisor, the bundle page and the department's checks."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from zimao.catalog.models import ServiceItem
from zimao.licences import services as licences
from zimao.permits import catalogue
from zimao.permits.models import ActivityNote, Commitment, PostCheck
from zimao.permits.tests.helpers import reviewer_for
from zimao.permits.tests.test_modes import commit
from zimao.web.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def login(client, username="applicant", password=DEMO_PASSWORD):
    assert client.login(username=username, password=password)
    return client


def test_the_catalogue_lists_every_mode_and_downloads_as_excel(client, permit_zone):
    page = client.get("/permits/")
    html = page.content.decode()
    assert page.status_code == 200
    for code in ("ZZ-PM", "ZZ-PTHY45", "ZZ-YLQX2", "ZZ-YPLS"):
        assert f'data-code="{code}"' in html
    assert "《拍卖管理办法》" in html and "我要开餐馆" in html
    only = client.get("/permits/?department=CULTURE").content.decode()
    assert 'data-code="ZZ-LXS"' in only and 'data-code="ZZ-PM"' not in only
    xlsx = client.get("/permits/catalogue.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_an_abolished_items_guide_says_so_and_notes_the_activity(client, company):
    login(client)
    html = client.get("/permits/items/ZZ-PTHY45/").content.decode()
    assert "无需" in html and 'id="start"' not in html
    response = client.post("/permits/items/ZZ-PTHY45/note/", {"uscc": company.uscc})
    assert response.status_code == 302 and response["Location"] == "/permits/companies/"
    assert ActivityNote.objects.filter(holder_uscc=company.uscc, item_code="ZZ-PTHY45").exists()


def test_guides_link_each_mode_to_where_it_is_done(client, permit_zone):
    assert "/permits/items/ZZ-PM/commit/" in client.get("/permits/items/ZZ-PM/").content.decode()
    assert "/apply/ZZ-YPLS/" in client.get("/permits/items/ZZ-YPLS/").content.decode()
    merged = client.get("/permits/items/ZZ-SYJY-SW/").content.decode()
    assert "/permits/items/ZZ-SYJY/" in merged and 'id="merged-into"' in merged
    assert client.get("/permits/items/QYKB-001/").status_code == 404  # not a permit item


def test_the_commitment_page_grants_the_permit_in_one_visit(client, company):
    login(client)
    page = client.get("/permits/items/ZZ-PM/commit/")
    html = page.content.decode()
    item = ServiceItem.objects.get(code="ZZ-PM")
    assert page.status_code == 200 and catalogue.facts(item).conditions_zh[:20] in html and company.uscc in html
    version = catalogue.conditions_version(item)
    post = {
        "uscc": company.uscc,
        "conditions_version": version,
        "idempotency_key": "page-1",
        "premises__address": "洛阳市涧西区天津路8号",
        "premises__area_m2": "90",
        "auction__auctioneers": "2",
        "auction__registered_capital": "300",
        "signer_name": "李明",
        "agree": "true",
    }
    response = client.post("/permits/items/ZZ-PM/commit/", post)
    assert response.status_code == 302
    number = response["Location"].rstrip("/").split("/")[-1]
    granted = client.get(response["Location"]).content.decode()
    cred = licences.credentials_for(company.uscc)[-1]
    assert cred.kind == "auction_licence" and cred.case_number == number
    assert cred.identifier in granted and "<svg" in granted and 'id="licence-qr-page"' in granted
    assert Commitment.objects.get(case_number=number).signer_name == "李明"


def test_the_commitment_page_names_what_is_missing(client, company):
    login(client)
    response = client.post(
        "/permits/items/ZZ-PM/commit/",
        {"uscc": company.uscc, "premises__address": "", "auction__auctioneers": "0", "signer_name": ""},
    )
    html = response.content.decode()
    assert response.status_code == 422
    for anchor in ("#f-agree", "#f-signer_name", "#f-premises__address", "#f-auction__auctioneers"):
        assert anchor in html
    assert not Commitment.objects.exists()


def test_the_commitment_page_refuses_changed_conditions(client, company):
    login(client)
    post = {
        "uscc": company.uscc,
        "conditions_version": "0" * 64,
        "premises__address": "洛阳市",
        "premises__area_m2": "90",
        "auction__auctioneers": "2",
        "auction__registered_capital": "300",
        "signer_name": "李明",
        "agree": "true",
    }
    response = client.post("/permits/items/ZZ-PM/commit/", post)
    assert response.status_code == 422 and "重新阅读" in response.content.decode()


def test_the_companies_page_shows_every_credential_with_pdf(client, company):
    grant = commit(company)
    login(client)
    html = client.get("/permits/companies/").content.decode()
    for cred in licences.credentials_for(company.uscc):
        assert cred.identifier in html and f"/licences/{cred.identifier}/pdf/" in html
    pdf = client.get(f"/licences/{grant.credentials[0].identifier}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert len(pdf.content) > 5000
    client.logout()
    login(client, "applicant2")
    assert client.get(f"/licences/{grant.credentials[0].identifier}/pdf/").status_code == 404


def test_the_pdf_carries_the_cjk_text_and_the_qr_code(company):
    from zimao.licences.pdf import pdf_context, render_pdf

    lic = next(c for c in licences.credentials_for(company.uscc) if c.kind == "business_licence")
    commit(company)
    context = pdf_context(lic)
    # The licence is a stable document: the permit committed to is on the verify page, not here.
    assert context["qr"].startswith("data:image/png;base64,") and "others" not in context
    data = render_pdf(lic)
    assert data[:5] == b"%PDF-"
    assert b"NotoSansCJK" in _inflated(data).replace(b"-", b"")  # the CJK font is embedded (subset)
    assert len(data) < 2_000_000  # subset, not the whole 16 MB font collection


def _inflated(pdf: bytes) -> bytes:
    """Every stream of the PDF, decompressed where it is Flate-compressed, and the rest as is."""
    import re
    import zlib

    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"".join(out)


def test_the_advisor_offers_the_restaurant_bundle(client, permit_zone):
    html = client.get("/permits/advisor/?activities=catering").content.decode()
    assert 'id="bundle-YJS-KCG"' in html and 'data-code="ZZ-SPJY"' in html and 'data-code="ZZ-HPBA"' in html
    bundle = client.get("/permits/bundles/YJS-KCG/").content.decode()
    assert "/apply/YJS-KCG/" in bundle and "消防救援支队" in bundle


def test_the_department_records_its_check_on_its_page(client, company):
    grant = commit(company)
    check = PostCheck.objects.get(commitment__case_number=grant.case.number)
    officer = reviewer_for("COMMERCE")
    officer.set_password("pw-commerce-1")
    officer.save()
    login(client, officer.username, "pw-commerce-1")
    assert grant.case.number in client.get("/permits/checks/").content.decode()
    assert client.post(f"/permits/checks/{check.pk}/", {"outcome": "false", "findings": ""}).status_code == 422
    response = client.post(f"/permits/checks/{check.pk}/", {"outcome": "false", "findings": "现场无拍卖师"})
    assert response.status_code == 302
    assert licences.verify(grant.credentials[0].identifier).status == "revoked"
    client.logout()
    login(client)  # an applicant is no officer
    assert client.get("/permits/checks/").status_code == 403
    assert get_user_model().objects.filter(username=officer.username).exists()
