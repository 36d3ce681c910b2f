"""A department's reminders (催办/督办) on the workbench in a real browser (Debian's chromium through
Playwright): the reviewer sees the department's unread reminders with their count, opens the case
from one, marks one and then all read, in Chinese and in English. Every state passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import assert_accessible
from zimao.cases import services as engine
from zimao.testing import submit

PASSWORD = "zimao-demo-2026"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_reviewer_reads_and_clears_the_departments_reminders_on_the_workbench(page, zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    first = engine.notify(case, department=task.department, zh="任务已超期", en="The task is overdue")
    engine.notify(case, department=task.department, zh="督办：任务已超期", en="Escalated: the task is overdue")

    page.goto("/login/")
    page.fill("#id_username", "reviewer")
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.goto("/workbench/")
    section = page.locator("#reminders")
    expect(section.locator("h2")).to_have_text("催办提醒（2条未读）")
    expect(section.locator("li")).to_have_count(2)
    expect(section.locator("li").first).to_contain_text("督办：任务已超期")
    assert_accessible(page, context="workbench, two unread reminders")

    page.click(f"#reminder-read-{first.pk}")
    expect(page.locator(".messages")).to_contain_text("提醒已标为已读")
    expect(section.locator("h2")).to_have_text("催办提醒（1条未读）")
    assert_accessible(page, context="workbench, one reminder read")

    page.get_by_role("button", name="English").click()
    expect(section.locator("h2")).to_have_text("Reminders (1 unread)")
    expect(section.locator("li")).to_contain_text("Escalated: the task is overdue")
    assert_accessible(page, context="workbench in English, one unread reminder")

    section.locator("a.case-link").click()
    expect(page).to_have_url(f"{page.url.split('/workbench')[0]}/workbench/tasks/{task.pk}/")
    page.go_back()
    page.click("#reminders-read-all")
    expect(section.locator("h2")).to_have_text("Reminders (0 unread)")
    expect(page.locator("#no-reminders")).to_be_visible()
    assert_accessible(page, context="workbench in English, no reminders")
    assert not page.console_errors
