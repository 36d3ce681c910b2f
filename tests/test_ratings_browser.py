"""好差评 in a real browser (Debian's chromium through Playwright): an applicant rates a finished
case poorly with reasons; the department appeals the rating as mistaken from its rectification
task (申诉); the zone administrator reviews it and removes it (复核), and the applicant's page says
so. Every page on the way passes axe-core (WCAG 2 A/AA rules) and shows no script or CSP error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import assert_accessible
from zimao.testing import submit

PASSWORD = "zimao-demo-2026"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#logout")).to_be_visible()


def log_out(page) -> None:
    page.click("#logout")
    expect(page.locator("#nav-login")).to_be_visible()


def test_a_rating_is_appealed_and_removed_on_review(page, zone):
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if msg.type == "error" else None)
    case = submit(zone.applicant).case  # straight through: delivered, ready to rate
    number = case.number

    # The applicant rates it poorly, with a reason from the dissatisfied list.
    log_in(page, "applicant")
    page.goto(f"/cases/{number}/")
    assert_accessible(page)
    page.check("#rating-level-2")
    page.check("#rating-reasons-poor-long_wait")
    page.fill("#rating-comment", "排队等了很久")
    page.click("#send-rating")
    expect(page.locator("#your-rating")).to_contain_text("等待时间长")
    log_out(page)

    # The department finds the rating was meant for another window, and appeals from its task.
    log_in(page, "reviewer")
    page.goto("/workbench/")
    page.locator(f"tr[data-case='{number}'] a").first.click()
    expect(page.locator("#rating-complaint")).to_contain_text("等待时间长")
    page.click("#appeal summary")
    assert_accessible(page)
    page.fill("#appeal-reason", "申请人当天在另一办事大厅排队，评价对象错误（附取号记录）")
    page.click("#send-appeal")
    expect(page.locator("#appeal-status")).to_contain_text("待复核")
    log_out(page)

    # The zone administrator reviews it: a reason is required, then the rating is removed.
    log_in(page, "admin")
    page.click("[data-nav='ratings']")
    section = page.locator("section[id^='review-']")
    expect(section).to_contain_text(number)
    assert_accessible(page)
    section.locator("input[value='removed']").check()
    section.locator("button").click()
    expect(page.locator(".error-summary")).to_be_visible()  # no reason given: refused, naming the field
    assert_accessible(page)
    section = page.locator("section[id^='review-']")
    section.locator("input[value='removed']").check()
    section.locator("textarea").fill("取号记录证实评价对象错误，予以撤销")
    section.locator("button").click()
    expect(page.locator(".messages")).to_contain_text(number)
    expect(page.locator("#decided")).to_contain_text("取号记录证实评价对象错误")
    expect(page.locator("#no-appeals")).to_be_visible()
    log_out(page)

    log_in(page, "applicant")
    page.goto(f"/cases/{number}/")
    expect(page.locator("#rating-removed")).to_be_visible()
    assert_accessible(page)
    # The refused review answered 422 on purpose; the browser notes that, nothing else.
    assert page.console_errors == []
    assert [m for m in console if not ("Failed to load resource" in m and "status of 422" in m)] == []
