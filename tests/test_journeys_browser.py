"""The journeys people take, in a real browser (Debian's chromium through Playwright):

(a) a new applicant registers, starts a company through the task list and opens the licence;
(b) an application with its own articles goes to a reviewer, who approves it in two clicks, and
    the window clerk hands the licence over;
(c) a member of the public verifies the licence through its QR link; a tampered one is not genuine.

Each asserts the browser saw no script error and no content-security-policy violation.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from zimao.testing import ESTABLISHMENT, PDF, appointment_date

PASSWORD = "zimao-demo-2026"
NEW_PASSWORD = "Zimao-secure-2026"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(page):
    """The shared ``page`` plus console errors (a CSP violation is a console error, not a page
    error) and confirmations accepted, as a person clicking OK would."""
    page.on("dialog", lambda dialog: dialog.accept())
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    page.console = console
    return page


def csp_or_script_errors(page, allow_status: tuple[int, ...] = ()) -> list[str]:
    """Console errors, less the browser's note about a page we opened expecting its status."""
    noted = [f"status of {code}" for code in allow_status]
    return [m for m in page.console if not ("Failed to load resource" in m and any(n in m for n in noted))]


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("#login-submit")
    expect(page.locator("#logout")).to_be_visible()


def log_out(page) -> None:
    page.click("#logout")
    expect(page.locator("#nav-login")).to_be_visible()


def pdf_files(tmp_path) -> dict[str, str]:
    paths = {}
    for key in ("articles", "id_copy", "premises"):
        path = tmp_path / f"{key}.pdf"
        path.write_bytes(PDF)
        paths[key] = str(path)
    return paths


def apply_for_a_company(
    page, tmp_path, trade_name: str, *, articles: str = "standard", delivery: str = "electronic"
) -> str:
    """Fill every part of the task list, upload the materials, check and send. Returns the case number."""
    task_list = re.compile(rf".*/apply/{ESTABLISHMENT}/$")
    expect(page).to_have_url(task_list)
    expect(page.locator("#status-check")).to_be_visible()

    page.click("#task-name")
    page.select_option("#f-division", "410305")
    page.fill("#f-trade_name", trade_name)
    page.select_option("#f-industry", "科技")
    page.check("#f-org_form")  # 有限公司
    page.click("#save-section")
    expect(page).to_have_url(task_list)
    expect(page.locator("#status-name")).to_have_class(re.compile(r"\bok\b"))

    page.click("#task-registration")
    page.fill("#f-registered_capital", "100")
    page.fill("#f-address", "洛阳市涧西区天津路1号")
    page.fill("#f-business_scope", "软件开发；信息技术咨询服务")
    page.fill("#f-legal_rep_name", "李明")
    page.fill("#f-legal_rep_id", "11010519491231002X")
    page.fill("#f-legal_rep_phone", "13812345678")
    page.check("#f-articles" if articles == "standard" else "#f-articles-1")
    page.click("#save-section")
    expect(page).to_have_url(task_list)

    # The parallel steps keep their defaults; each still gets its page.
    for key in ("steps", "seal", "tax", "social_insurance", "housing_fund"):
        page.click(f"#task-{key}")
        page.click("#save-section")
        expect(page).to_have_url(task_list)
    page.click("#task-bank")
    page.fill("#f-appointment_date", appointment_date())
    page.click("#save-section")
    expect(page).to_have_url(task_list)

    page.click("#task-materials")
    for key, path in pdf_files(tmp_path).items():
        page.set_input_files(f"#m-{key}", path)
    page.click("#save-materials")
    expect(page).to_have_url(task_list)
    expect(page.locator("#status-materials")).to_have_class(re.compile(r"\bok\b"))

    page.click("#task-check")
    expect(page.locator("main")).to_contain_text("1101**********002X")
    expect(page.locator("main")).not_to_contain_text("11010519491231002X")
    if delivery == "electronic":
        page.check("#f-delivery_method")
    else:
        page.check(f"#f-delivery_method-{delivery}")
    page.click("#submit-application")
    expect(page).to_have_url(re.compile(r".*/cases/[A-Z]{2}\d+/submitted/$"))
    number = page.locator("#case-number").inner_text().strip()
    assert re.fullmatch(r"[A-Z]{2}\d{13}", number)
    return number


def test_a_new_applicant_starts_a_company_and_opens_the_licence(browser_page, zone, tmp_path):
    page = browser_page
    page.goto("/register/")
    page.fill("#id_username", "zhangsan")
    page.fill("#id_first_name", "张三")
    page.fill("#id_id_number", "440524199001010018")
    page.fill("#id_phone", "13912345678")
    page.fill("#id_password1", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.click("#register-submit")
    expect(page).to_have_url(re.compile(r".*/login/$"))
    log_in(page, "zhangsan", NEW_PASSWORD)

    page.goto("/")
    page.click("#start-company")
    expect(page).to_have_url(re.compile(rf".*/services/{ESTABLISHMENT}/$"))
    page.click("#start")
    number = apply_for_a_company(page, tmp_path, "星河")

    page.click("#view-case")
    expect(page).to_have_url(re.compile(rf".*/cases/{number}/$"))
    expect(page.locator("#case-status")).to_have_text("已办结")  # straight through (秒批)
    page.locator("#outputs a.output-link").first.click()
    expect(page).to_have_url(re.compile(r".*/licences/[^/]+/$"))
    expect(page.locator("h1")).to_contain_text("营业执照")
    expect(page.locator("main")).to_contain_text("洛阳星河科技有限公司")
    expect(page.locator("main")).to_contain_text(number)
    assert page.console_errors == []
    assert csp_or_script_errors(page) == []


def test_custom_articles_are_approved_in_two_clicks_and_handed_over_at_the_window(browser_page, zone, tmp_path):
    page = browser_page
    log_in(page, "applicant")
    page.goto(f"/apply/{ESTABLISHMENT}/")
    number = apply_for_a_company(page, tmp_path, "洛神", articles="custom", delivery="window")
    page.click("#view-case")
    expect(page.locator("#case-status")).to_have_text("审核中")
    log_out(page)

    # The reviewer sees it on the workbench and approves it: a click, and OK in the confirmation.
    log_in(page, "reviewer")
    page.goto("/workbench/")
    row = page.locator(f"tr[data-case='{number}']")
    expect(row).to_be_visible()
    row.locator("button[id^='approve-']").click()
    expect(page.locator(".messages")).to_contain_text(number)
    expect(page.locator(f"tr[data-case='{number}']")).to_have_count(0)
    page.click("#tab-done")
    expect(page.locator(f"tr[data-case='{number}']")).to_be_visible()
    log_out(page)

    # The window clerk hands the paper licence over.
    log_in(page, "clerk")
    page.goto("/window/")
    expect(page.locator(f"#handover-{number}")).to_be_visible()
    expect(page.locator(f"#d-{number}-method")).to_have_value("window")
    page.click(f"#deliver-{number}")
    expect(page.locator(".messages")).to_contain_text(number)
    expect(page.locator(f"#handover-{number}")).to_have_count(0)
    log_out(page)

    log_in(page, "applicant")
    page.goto(f"/cases/{number}/")
    expect(page.locator("#case-status")).to_have_text("已办结")
    assert page.console_errors == []
    assert csp_or_script_errors(page) == []


def test_the_public_verifies_a_licence_by_its_qr_link(browser_page, zone, live_server, settings):
    from zimao.core import elicence
    from zimao.testing import submit

    settings.SITE_URL = live_server.url  # the QR code points at this server
    page = browser_page
    case = submit(zone.applicant, trade_name="伊河").case
    case.refresh_from_db()
    identifier = case.outputs[0]["identifier"]

    log_in(page, "applicant")
    page.goto(f"/licences/{identifier}/")
    verify_url = page.locator("figure.qr a.ident").get_attribute("href")
    assert verify_url == f"{live_server.url}/verify/{identifier}/"
    log_out(page)

    # A member of the public (not logged in) follows the QR link.
    page.goto(verify_url)
    expect(page.locator(".verdict")).to_contain_text("真实有效")
    expect(page.locator("main")).to_contain_text("洛阳伊河科技有限公司")
    expect(page.locator("main")).not_to_contain_text("11010519491231002X")

    serial = elicence.parse_identifier(identifier).serial
    tampered = identifier.replace(serial, serial[:-1] + ("7" if serial[-1] != "7" else "6"))
    response = page.goto(f"/verify/{tampered}/")
    assert response.status == 404
    expect(page.locator(".verdict")).to_contain_text("Not genuine")
    expect(page.locator(".verdict")).not_to_contain_text("真实有效")
    expect(page.locator("main")).not_to_contain_text("洛阳伊河科技有限公司")

    # The verification form on the portal leads to the same page.
    page.goto("/verify/")
    page.fill("#identifier", identifier)
    page.press("#identifier", "Enter")
    expect(page.locator(".verdict")).to_contain_text("真实有效")
    assert page.console_errors == []
    assert csp_or_script_errors(page, allow_status=(404,)) == []
