"""The notification centre in a real browser (Debian's chromium through Playwright): the reviewer
asks for a correction; the applicant sees the unread count in the masthead, reads the message in
the notification centre, marks it read and chooses how to be told. Every page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import assert_accessible
from zimao.cases import services as engine
from zimao.testing import submit

PASSWORD = "zimao-demo-2026"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_applicant_reads_a_correction_request_in_the_notification_centre(page, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    engine.decide(case.tasks.get(key="registration").pk, zone.reviewer, "correct", "请补充章程第五条")

    page.goto("/login/")
    page.fill("#id_username", "applicant")
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    link = page.locator('[data-nav="notifications"]')
    expect(link).to_have_text("通知（1条未读）")
    link.click()
    expect(page.locator("h1")).to_have_text("通知")
    item = page.locator("#notifications li").first
    expect(item).to_contain_text(f"办件 {case.number} 需要您补正材料")
    expect(item).to_contain_text("请补充章程第五条")
    assert_accessible(page, context="notification centre, one unread")

    item.get_by_role("button", name="标为已读").click()
    expect(page.locator('[data-nav="notifications"]')).to_have_text("通知")
    expect(page.locator("#notify-unread")).to_have_text("0条未读通知")

    page.click("#notify-settings")
    page.fill("#notify-email-address", "not an address")
    page.click("#notify-save")
    expect(page.locator(".error-summary")).to_contain_text("请填写有效的电子邮箱")
    assert_accessible(page, context="notification settings, with an error")
    page.fill("#notify-email-address", "li.ming@example.cn")
    page.uncheck("#notify-sms")
    page.check("#notify-language-3")  # English
    assert_accessible(page, context="notification settings")
    page.click("#notify-save")
    expect(page.locator("h1")).to_have_text("通知")
    zone.applicant.refresh_from_db()
    assert zone.applicant.email == "li.ming@example.cn"
    assert not page.console_errors
