"""Browser journeys — 原产地证书全流程: an exporter checks a product's origin, applies for a
certificate of origin, the issuing body (贸促会) issues it, and the public verification page
reached from the certificate verifies it; and the one-workbench journey: a certificate of origin
and a 企业开办 applied for in one session, each reviewer finding theirs on the workbench, the
certificate issued, verified and revoked (Playwright on Debian chromium; the CSP must block nothing)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone


@pytest.fixture
def trade_zone(settings, live_server):
    # Argon2 costs ~0.4 s a user here; what is tested is the journey, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = live_server.url  # the QR code and verify link lead to this server
    from zimao.testing import build_zone
    from zimao.trade import demo
    from zimao.trade.models import ExchangeRate
    from zimao.web.demo import DEMO_PASSWORD

    build_zone()
    demo.load(password=DEMO_PASSWORD)
    ExchangeRate.objects.create(
        currency="USD", month=timezone.localdate().replace(day=1), cny_per_unit=Decimal("7.1"), source="test"
    )
    return DEMO_PASSWORD


def log_in(page, username, password, next_path):
    page.goto(f"/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
    page.wait_for_url(f"**{next_path}")


def check_and_apply(page, password) -> str:
    """The exporter checks a product and applies for a certificate of origin for it; returns the
    application reference."""
    # The exporter checks a product: an oak chair of 9403.60 with Thai oak and German hinges.
    log_in(page, "applicant", password, "/trade/origin/check/")
    page.fill("#f-product-description", "Oak chair")
    page.fill("#f-product-hs", "940360")
    page.fill("#f-product-fob", "100.00")
    page.fill("#f-product-currency", "USD")
    page.select_option("#f-product-country", "CN")
    page.fill("#f-product-operations", "assembly, painting")
    page.fill("#f-rule", "CTH or RVC40")
    for i, (desc, hs, country, origin, value) in enumerate(
        [("oak boards", "440791", "TH", "yes", "20.00"), ("hinges", "830210", "DE", "no", "5.00")]
    ):
        page.fill(f"#f-materials-{i}-description", desc)
        page.fill(f"#f-materials-{i}-hs", hs)
        page.fill(f"#f-materials-{i}-country", country)
        page.select_option(f"#f-materials-{i}-originating", origin)
        page.fill(f"#f-materials-{i}-value", value)
    page.click("#check-submit")
    page.wait_for_url(re.compile(r".*/trade/origin/checks/\d+/$"))
    assert page.locator("[data-originating=true]").count() == 1
    assert page.locator("#criterion").inner_text() == "CTC"
    assert "CN" in page.locator("#rcep-country").inner_text()
    assert "第3.13条" in page.locator("#explanation").inner_text()  # explained in Chinese first

    # … and applies for a certificate of origin for it.
    page.click("#apply-now")
    page.wait_for_url(re.compile(r".*/trade/certificates/apply/\?check=\d+"))
    departure = (timezone.localdate() + dt.timedelta(days=4)).isoformat()
    page.fill("#f-exporter-name", "Luoyang Zhimao Import & Export Co., Ltd.")
    page.fill("#f-exporter-address", "No. 1 Tianjin Road, Jianxi District, Luoyang, Henan")
    page.fill("#f-importer-name", "Osaka Furniture K.K.")
    page.fill("#f-importer-address", "1-1 Umeda, Kita-ku, Osaka")
    page.select_option("#f-importer-country", "JP")
    page.fill("#f-transport-departure-date", departure)
    page.fill("#f-transport-vessel", "COSCO HARMONY V.012E")
    page.fill("#f-transport-port-of-loading", "Qingdao")
    page.fill("#f-transport-port-of-discharge", "Osaka")
    page.fill("#f-invoices-0-number", "ZM-2026-001")
    page.fill("#f-invoices-0-date", timezone.localdate().isoformat())
    page.fill("#f-goods-0-description", "Oak chairs")
    page.fill("#f-goods-0-packages", "50 CARTONS")
    page.fill("#f-goods-0-quantity", "500")
    page.fill("#f-goods-0-fob-value", "50000.00")
    page.fill("#f-declaration-signatory", "Li Ming")
    page.click("#apply-submit")
    page.wait_for_url(re.compile(r".*/trade/certificates/COA[A-Z0-9]+/$"))
    reference = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert "已申请" in page.locator("#certificate-status").inner_text()
    return reference


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_exporter_checks_applies_reviewer_issues_public_verifies(page, trade_zone):
    password = trade_zone
    page.on("dialog", lambda dialog: dialog.accept())  # "Issue this certificate?"

    reference = check_and_apply(page, password)
    page.click("#logout")
    page.wait_for_load_state()

    # 3. The issuing body's reviewer finds it on the desk and issues it.
    log_in(page, "reviewer_coo", password, "/trade/desk/")
    page.click(f"#queue a[data-reference={reference}]")
    page.wait_for_url(f"**/trade/desk/{reference}/")
    assert "940360" in page.locator("#goods").inner_text()
    page.click("#issue-submit")
    page.wait_for_selector("#certificate-number")
    number = page.locator("#certificate-number").inner_text().strip()
    assert re.fullmatch(r"R\d{4}LYP\d{6}[0-9A-Z]", number)
    pdf = page.request.get(page.locator("#download-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    # 4. The public verification page — where the QR code leads — verifies it.
    page.click("#logout")
    page.wait_for_load_state()
    page.goto(f"/coo/verify/{number}/")
    assert "真实有效" in page.locator("#verdict").inner_text()
    assert page.locator("#fact-number").inner_text().strip() == number
    assert "Luoyang Zhimao" in page.locator("#fact-exporter").inner_text()
    goods = page.locator("#fact-goods").inner_text()
    assert "940360" in goods and "Oak chairs" in goods and "500 PCS" in goods
    assert page.console_errors == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_certificate_and_company_in_one_session_each_reviewer_on_the_one_workbench(page, trade_zone, tmp_path):
    from tests.test_journeys_browser import apply_for_a_company
    from zimao.licences import services as licences
    from zimao.testing import ESTABLISHMENT
    from zimao.trade.models import Certificate

    password = trade_zone
    page.on("dialog", lambda dialog: dialog.accept())  # "Approve case …?"

    # One session: a certificate of origin (a case of RCEP-CO) and a company with its own articles.
    reference = check_and_apply(page, password)
    coo_case = Certificate.objects.get(reference=reference).case_number
    assert coo_case
    page.goto(f"/apply/{ESTABLISHMENT}/")
    company_case = apply_for_a_company(page, tmp_path, "洛神", articles="custom")
    page.click("#logout")
    page.wait_for_load_state()

    # 贸促会's reviewer finds the certificate on the workbench every officer uses — not the company.
    log_in(page, "reviewer_coo", password, "/workbench/")
    row = page.locator(f"tr[data-case='{coo_case}']")
    row.wait_for()
    assert page.locator(f"tr[data-case='{company_case}']").count() == 0
    row.locator("button[id^='approve-']").click()
    page.wait_for_selector(".messages")
    assert coo_case in page.locator(".messages").inner_text()
    page.click("#logout")
    page.wait_for_load_state()

    # The market regulator's reviewer finds the company there — not the certificate.
    log_in(page, "reviewer", password, "/workbench/")
    row = page.locator(f"tr[data-case='{company_case}']")
    row.wait_for()
    assert page.locator(f"tr[data-case='{coo_case}']").count() == 0
    row.locator("button[id^='approve-']").click()
    page.wait_for_selector(".messages")
    page.click("#logout")
    page.wait_for_load_state()

    # Issued: verified publicly; revoked in the licence store, and the revocation shows at once.
    cert = Certificate.objects.get(reference=reference)
    assert cert.status == "issued" and cert.credential_identifier
    page.goto(f"/coo/verify/{cert.number}/")
    assert "真实有效" in page.locator("#verdict").inner_text()
    licences.revoke(cert.credential_identifier, "Corrected certificate to follow", "reviewer_coo")
    page.reload()
    assert "已作废" in page.locator("#verdict").inner_text()
    assert page.console_errors == []


def test_goods_table_on_the_generic_apply_page_is_accessible(page, trade_zone, axe):
    """RCEP-CO's bill of goods drawn by the portal's generic forms: typed in a row, saved, shown
    again — WCAG 2.1 AA with an error and without."""
    log_in(page, "applicant", trade_zone, "/apply/RCEP-CO/goods/")
    page.fill("#f-items-0-description", "Oak chairs")
    page.fill("#f-items-0-quantity", "many")
    page.click("#save-section")
    assert page.locator("#f-items-error").is_visible()
    axe(page, context="goods table with an error")
    for cell, value in (("packages", "10 cartons"), ("quantity", "500"), ("unit", "PCS"), ("fob-value", "500")):
        page.fill(f"#f-items-0-{cell}", value)
    page.click("#save-section")
    page.wait_for_url("**/apply/RCEP-CO/")
    page.goto("/apply/RCEP-CO/goods/")
    assert page.input_value("#f-items-0-description") == "Oak chairs"
    axe(page, context="goods table")
