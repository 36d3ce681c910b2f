"""Permit journeys in a real browser (Debian's chromium through Playwright):

(a) a company gets a 告知承诺 permit in one visit — reads the conditions, signs, gets the permit —
    and sees it on its business licence's QR page; a false commitment found at the check shows
    there as revoked on the next look;
(b) a restaurant is opened through the "我要开餐馆" bundle: the advisor offers it, one form, one
    submission, one case, and everything is issued together.

Each asserts the browser saw no script error and no content-security-policy violation.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from zimao.testing import PDF, appointment_date
from zimao.web.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(page):
    page.on("dialog", lambda dialog: dialog.accept())
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.console = console
    return page


@pytest.fixture
def catalogue(zone, live_server, settings):
    from zimao.catalog.services import load_packaged

    settings.SITE_URL = live_server.url  # QR codes point at this server
    load_packaged("permits")
    return zone


def script_errors(page, allow_status: tuple[int, ...] = ()) -> list[str]:
    """Console errors (a CSP violation is one), less the browser's note about a page answered
    with a status we expected (422 when a form is refused)."""
    noted = [f"status of {code}" for code in allow_status]
    return [m for m in page.console if not ("Failed to load resource" in m and any(n in m for n in noted))]


def log_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
    expect(page.locator("#logout")).to_be_visible()


def test_a_company_gets_a_commitment_permit_in_one_visit_and_sees_it_on_its_licence(browser_page, catalogue):
    from zimao.licences.models import Credential
    from zimao.permits import services as permits
    from zimao.permits.models import PostCheck
    from zimao.permits.tests.helpers import reviewer_for, start_company

    page = browser_page
    company = start_company(catalogue.applicant, "博雅")
    log_in(page, "applicant")

    page.goto("/permits/items/ZZ-PM/")
    expect(page.locator("#legal-basis")).to_contain_text("《拍卖管理办法》")
    page.click("#start")
    expect(page).to_have_url(re.compile(r".*/permits/items/ZZ-PM/commit/$"))
    expect(page.locator("#conditions")).to_contain_text("拍卖师")
    # Signing without ticking the box is refused beside the box, and nothing is granted.
    page.fill("#f-premises__address", "洛阳市涧西区天津路8号")
    page.fill("#f-premises__area_m2", "120")
    page.fill("#f-auction__auctioneers", "2")
    page.fill("#f-auction__registered_capital", "300")
    page.fill("#f-signer_name", "李明")
    page.click("#sign")
    expect(page.locator(".error-summary")).to_contain_text("勾选")
    page.fill("#f-auction__registered_capital", "300")
    page.check("#f-agree")
    page.click("#sign")

    expect(page).to_have_url(re.compile(r".*/permits/granted/[A-Z]{2}\d+/$"))
    expect(page.locator("#granted")).to_be_visible()
    expect(page.locator("#permit-status")).to_contain_text("真实有效")
    identifier = page.locator("#permit-identifier").inner_text().strip()
    expect(page.locator("#post-checks")).to_contain_text("商务局")

    # The business licence: its QR code leads to the public page, which lists the new permit.
    page.click("#my-companies")
    expect(page.locator(f"#company-{company.uscc}")).to_contain_text(identifier)
    page.locator(f"#company-{company.uscc} tr[data-kind='business_licence'] td a").first.click()
    expect(page).to_have_url(re.compile(r".*/licences/[^/]+/$"))
    expect(page.locator("figure.qr svg")).to_be_visible()
    page.locator("figure.qr a.ident").click()
    expect(page).to_have_url(re.compile(r".*/verify/[^/]+/$"))
    row = page.locator("table.integrated tr", has_text=identifier)
    expect(row).to_contain_text("拍卖经营批准证书")
    expect(row).to_contain_text("真实有效")

    # The department finds the commitment false: the same QR page says so at once.
    check = PostCheck.objects.get(commitment__credential_identifier=identifier)
    permits.record_post_check(check.pk, reviewer_for("COMMERCE"), "false", "现场核查无拍卖师")
    page.reload()
    expect(page.locator("table.integrated tr", has_text=identifier)).to_contain_text("已吊销")
    assert Credential.objects.get(identifier=identifier).status == "revoked"
    assert page.console_errors == []
    assert script_errors(page, allow_status=(422,)) == []


def test_a_restaurant_is_opened_through_the_bundle_in_one_submission(browser_page, catalogue, tmp_path):
    from zimao.cases.models import Case

    page = browser_page
    log_in(page, "applicant")
    page.goto("/permits/advisor/")
    page.check("#a-catering")
    page.click("#advise")
    expect(page.locator("#advice")).to_contain_text("食品经营许可")
    page.click("#bundle-YJS-KCG")
    expect(page.locator("h1")).to_contain_text("我要开餐馆")
    page.click("#start")
    task_list = re.compile(r".*/apply/YJS-KCG/$")
    expect(page).to_have_url(task_list)

    def section(key: str, fill: dict | None = None, check: tuple = (), select: dict | None = None) -> None:
        page.click(f"#task-{key}")
        for field, value in (select or {}).items():
            page.select_option(f"#f-{field}", value)
        for field, value in (fill or {}).items():
            page.fill(f"#f-{field}", value)
        for field in check:
            page.check(f"#f-{field}")
        page.click("#save-section")
        expect(page).to_have_url(task_list)
        expect(page.locator(f"#status-{key}")).to_have_class(re.compile(r"\bok\b"))

    section("name", {"trade_name": "香满楼"}, ("org_form",), {"division": "410311", "industry": "餐饮管理"})
    section(
        "registration",
        {
            "registered_capital": "50",
            "address": "洛阳市洛龙区开元大道1号",
            "business_scope": "餐饮服务",
            "legal_rep_name": "李明",
            "legal_rep_id": "11010519491231002X",
            "legal_rep_phone": "13812345678",
        },
        ("articles",),
    )
    for key in ("steps", "seal", "tax", "social_insurance", "housing_fund"):
        section(key)
    section("bank", {"appointment_date": appointment_date()})
    section("premises", {"address": "洛阳市洛龙区开元大道1号", "area_m2": "180"})
    section("food", {"food_safety_manager": "王芳", "staff_with_health_certificate": "6"}, ("business_type",))
    section("commitment", {"signer_name": "李明"}, ("agree",))
    section("fire", {"building_area": "200", "max_occupancy": "80"})
    section("drainage", {"discharge_m3_per_day": "3"}, ("pretreatment",))
    section("environment", {"project_name": "香满楼餐馆"}, ("fume_treatment",))

    page.click("#task-materials")
    for key in ("articles", "id_copy", "premises"):
        path = tmp_path / f"{key}.pdf"
        path.write_bytes(PDF)
        page.set_input_files(f"#m-{key}", str(path))
    page.click("#save-materials")
    expect(page).to_have_url(task_list)

    before = Case.objects.count()
    page.click("#task-check")
    page.check("#f-delivery_method")
    page.click("#submit-application")
    expect(page).to_have_url(re.compile(r".*/cases/[A-Z]{2}\d+/submitted/$"))
    number = page.locator("#case-number").inner_text().strip()
    assert Case.objects.count() == before + 1  # one submission, one case

    page.click("#view-case")
    expect(page.locator("#case-status")).to_have_text("已办结")
    expect(page.locator("#outputs a.output-link")).to_have_count(5)
    case = Case.objects.get(number=number)
    assert case.service.code == "YJS-KCG"
    assert [o["kind"] for o in case.outputs] == [
        "business_licence",
        "food_business_permit",
        "fire_safety_permit",
        "sewer_discharge_permit",
        "filing.environmental_registration",
    ]
    assert {t.department.code for t in case.tasks.filter(kind="review")} >= {"AMR", "FIRE", "URBAN", "ECOLOGY"}

    page.goto("/permits/companies/")
    expect(page.locator("section.company")).to_contain_text("洛阳香满楼餐饮管理有限公司")
    expect(page.locator("section.company tbody tr")).to_have_count(5)
    assert page.console_errors == []
    assert script_errors(page) == []


def test_a_commitment_outside_the_business_scope_is_refused_with_a_scope_change_to_make(browser_page, catalogue):
    """A software company asks for a printing permit on a commitment: refused beside the company,
    in words that say to change the business scope first; nothing is granted."""
    from conftest import assert_accessible
    from zimao.permits.models import Commitment
    from zimao.permits.tests.helpers import start_company

    page = browser_page
    company = start_company(catalogue.applicant, "码农", scope="软件开发；信息技术咨询服务")
    log_in(page, "applicant")
    page.goto("/permits/items/ZZ-YSJY/commit/")
    page.select_option("#f-uscc", company.uscc)
    page.fill("#f-premises__address", "洛阳市涧西区天津路8号")
    page.fill("#f-premises__area_m2", "120")
    page.check("#f-printing__printing_scope")
    page.fill("#f-printing__equipment", "胶印机一台")
    page.fill("#f-signer_name", "李明")
    page.check("#f-agree")
    page.click("#sign")
    expect(page.locator(".error-summary")).to_contain_text("变更经营范围")
    expect(page.locator("#f-uscc-error")).to_contain_text("软件开发；信息技术咨询服务")
    expect(page.locator("#f-uscc-error")).to_contain_text("包装装潢印刷品和其他印刷品印刷")
    assert_accessible(page, context="commitment refused: out of scope")
    assert not Commitment.objects.exists()
    # The same refusal on the generic journey's company section, before any other section.
    page.goto("/apply/ZZ-YSJY/company/")
    page.fill("#f-uscc", company.uscc)
    page.click("#save-section")
    expect(page.locator(".error-summary")).to_contain_text("变更经营范围")
    expect(page).to_have_url(re.compile(r"/apply/ZZ-YSJY/company/$"))
    assert script_errors(page, allow_status=(422,)) == []


def test_an_existing_company_opens_a_restaurant_through_the_bundle_without_registering(browser_page, catalogue):
    """我要开餐馆 for a company the applicant already has: the bundle page offers it, the form asks
    for the company (filled in: the one company), the commitment page shows the conditions
    themselves, and only the permits are issued — to that company."""
    from conftest import assert_accessible
    from zimao.cases.models import Case
    from zimao.permits.tests.helpers import start_company

    page = browser_page
    company = start_company(catalogue.applicant, "嘉禾")
    log_in(page, "applicant")
    page.goto("/permits/bundles/YJS-KCG/")
    expect(page.locator("#existing-companies")).to_contain_text(company.name)
    assert_accessible(page, context="bundle page")
    page.click("#start-existing")
    task_list = re.compile(r".*/apply/YJS-KCG-E/$")
    expect(page).to_have_url(task_list)
    expect(page.locator("#task-name")).to_have_count(0)  # no establishment part

    def section(key: str, fill: dict | None = None, check: tuple = (), on_page=None) -> None:
        page.click(f"#task-{key}")
        if on_page:
            on_page()
        for field, value in (fill or {}).items():
            page.fill(f"#f-{field}", value)
        for field in check:
            page.check(f"#f-{field}")
        page.click("#save-section")
        expect(page).to_have_url(task_list)
        expect(page.locator(f"#status-{key}")).to_have_class(re.compile(r"\bok\b"))

    def company_page():
        expect(page.locator("#your-companies")).to_contain_text(company.uscc)
        expect(page.locator("#f-uscc")).to_have_value(company.uscc)  # the one company, filled in

    def commitment_page():
        conditions = page.locator("#commitment-conditions")
        expect(conditions).to_contain_text("食品安全管理人员")  # food business permit
        expect(conditions).to_contain_text("疏散通道")  # fire safety inspection
        assert "见办事指南" not in page.content()
        assert_accessible(page, context="commitment with its conditions")

    section("company", on_page=company_page)
    section("premises", {"address": "洛阳市洛龙区开元大道1号", "area_m2": "180"})
    section("food", {"food_safety_manager": "王芳", "staff_with_health_certificate": "6"}, ("business_type",))
    section("commitment", {"signer_name": "李明"}, ("agree",), on_page=commitment_page)
    section("fire", {"building_area": "200", "max_occupancy": "80"})
    section("drainage", {"discharge_m3_per_day": "3"}, ("pretreatment",))
    section("environment", {"project_name": "嘉禾餐馆"}, ("fume_treatment",))

    page.click("#task-check")
    page.check("#f-delivery_method")
    page.click("#submit-application")
    expect(page).to_have_url(re.compile(r".*/cases/[A-Z]{2}\d+/submitted/$"))
    number = page.locator("#case-number").inner_text().strip()
    page.click("#view-case")
    expect(page.locator("#case-status")).to_have_text("已办结")
    expect(page.locator("#outputs a.output-link")).to_have_count(4)  # the permits, no new licence
    case = Case.objects.get(number=number)
    assert case.service.code == "YJS-KCG-E" and "uscc" not in case.results
    assert case.results["holder_uscc"] == company.uscc
    assert_accessible(page, context="case page")

    # The company's own establishment documents are in "my licences and documents".
    page.goto("/documents/")
    expect(page.locator("#my-step-outputs tbody tr")).to_have_count(5)
    assert_accessible(page, context="my documents")
    page.click("#my-step-outputs tr[data-kind=tax_registration_confirmation] a >> nth=0")
    expect(page.locator("#step-output-number")).to_contain_text("税通")
    assert_accessible(page, context="a step document")
    assert not script_errors(page) and not page.console_errors
