"""Saved drafts and accountability, in a real browser (Debian's chromium through Playwright):

(a) an applicant fills part of an application, logs out, logs in again in a new browser context
    (another device), finds the draft under "my applications", resumes it with the answers still
    there and submits it;
(b) a reviewer reads the applicant's correction reply and compares the replaced material's two
    versions side by side; the history names the officer.

axe-core (WCAG 2.1 AA) on every page these changed.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from test_journeys_browser import log_in

from conftest import assert_accessible
from zimao.testing import ESTABLISHMENT, PDF, appointment_date

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_draft_is_resumed_after_logging_in_again_on_another_device(page, browser, live_server, zone, tmp_path):
    page.on("dialog", lambda dialog: dialog.accept())
    task_list = re.compile(rf".*/apply/{ESTABLISHMENT}/$")
    log_in(page, "applicant")
    page.goto(f"/apply/{ESTABLISHMENT}/")
    page.click("#task-name")
    page.select_option("#f-division", "410305")
    page.fill("#f-trade_name", "云帆")
    page.select_option("#f-industry", "科技")
    page.check("#f-org_form")
    page.click("#save-section")
    expect(page).to_have_url(task_list)
    page.click("#task-registration")
    page.fill("#f-registered_capital", "100")
    page.fill("#f-address", "涧西区天津路1号")
    page.fill("#f-business_scope", "软件开发；信息技术咨询服务")
    page.fill("#f-legal_rep_name", "李明")
    page.fill("#f-legal_rep_id", "11010519491231002X")
    page.fill("#f-legal_rep_phone", "13812345678")
    page.check("#f-articles")
    page.click("#save-section")
    expect(page).to_have_url(task_list)
    expect(page.locator("#draft-saved-at")).to_be_visible()
    assert_accessible(page, context="task list with a saved draft")
    page.click("#logout")
    expect(page.locator("#nav-login")).to_be_visible()

    # Another device: a new browser context, nothing shared with the first.
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    context.set_default_timeout(15000)
    other = context.new_page()
    errors: list[str] = []
    other.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        log_in(other, "applicant")
        other.goto("/cases/")
        row = other.locator(f"tr[data-draft='{ESTABLISHMENT}']")
        expect(row).to_be_visible()
        assert_accessible(other, context="my applications with a draft")
        other.click(f"#resume-{ESTABLISHMENT}")
        expect(other).to_have_url(task_list)
        expect(other.locator("#status-name")).to_have_class(re.compile(r"\bok\b"))
        expect(other.locator("#status-registration")).to_have_class(re.compile(r"\bok\b"))
        other.click("#task-registration")
        expect(other.locator("#f-legal_rep_name")).to_have_value("李明")
        expect(other.locator("main")).to_contain_text("1101**********002X")
        expect(other.locator("main")).not_to_contain_text("11010519491231002X")
        other.click("#save-section")
        for key in ("steps", "seal", "tax", "social_insurance", "housing_fund"):
            other.click(f"#task-{key}")
            other.click("#save-section")
            expect(other).to_have_url(task_list)
        other.click("#task-bank")
        other.fill("#f-appointment_date", appointment_date())
        other.click("#save-section")
        other.click("#task-materials")
        for key in ("articles", "id_copy", "premises"):
            path = tmp_path / f"{key}.pdf"
            path.write_bytes(PDF)
            other.set_input_files(f"#m-{key}", str(path))
        other.click("#save-materials")
        expect(other).to_have_url(task_list)
        other.click("#task-check")
        expect(other.locator("main")).to_contain_text("云帆")
        other.check("#f-delivery_method")
        other.click("#submit-application")
        expect(other).to_have_url(re.compile(r".*/cases/[A-Z]{2}\d+/submitted/$"))
        number = other.locator("#case-number").inner_text().strip()
        other.goto("/cases/")
        expect(other.locator("#my-drafts")).to_have_count(0)
        expect(other.locator("#my-cases")).to_contain_text(number)
        assert errors == []
    finally:
        context.close()
    assert page.console_errors == []


def test_the_reviewer_compares_the_corrected_material_and_reads_the_reply(page, zone):
    from zimao.cases import services
    from zimao.testing import submit

    case = submit(zone.applicant, "青松", registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    services.decide(task.pk, zone.reviewer, "correct", "章程第五条请补充出资方式")
    new = services.upload_material(
        zone.applicant, "articles", "articles-v2.pdf", PDF.replace(b"/Catalog", b"/Catalog ")
    )
    services.answer_correction(
        case.number, zone.applicant, "已在第五条补充货币出资方式", materials={"articles": new.pk}
    )

    log_in(page, "reviewer")
    page.goto(f"/workbench/tasks/{task.pk}/")
    expect(page.locator("#corrections")).to_contain_text("已在第五条补充货币出资方式")
    versions = page.locator("#versions-articles")
    expect(versions.locator("td.version.superseded")).to_contain_text("已被替换")
    expect(versions.locator("td.version.current")).to_contain_text("articles-v2.pdf")
    expect(page.locator("#history")).to_contain_text("陈静")
    assert_accessible(page, context="task page with a correction and two versions")
    page.click("#decision-outcome")
    page.click("#decide")
    expect(page.locator(".messages")).to_contain_text(case.number)
    page.goto(f"/workbench/tasks/{task.pk}/")
    expect(page.locator("#history li").filter(has_text="审核通过").last).to_contain_text("陈静")

    page.click("#logout")
    log_in(page, "applicant")
    page.goto(f"/cases/{case.number}/")
    expect(page.locator("#history")).to_contain_text("陈静")
    assert_accessible(page, context="case page with a named history")
    assert page.console_errors == []
