"""A bank clerk types a company's unified social credit code on the public verification page:
the licences issued here to that company are listed; a code with none issued here is not called
fake; a mistyped code is caught by its check character (issue 14 item 5)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import assert_accessible

from .conftest import HOLDER, OTHER_HOLDER

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _look_up(page, code: str) -> None:
    page.goto("/verify/")
    assert_accessible(page, context="verify form")
    page.fill("#identifier", code)
    page.get_by_role("button", name="核验").click()


def test_a_clerk_looks_a_company_up_by_its_uscc(page):
    from zimao.licences import services

    cred = services.issue_credential(
        kind="business_licence",
        title_zh="营业执照",
        title_en="Business licence",
        holder_uscc=HOLDER,
        holder_name="示例科技有限公司",
        subject={"name": "示例科技有限公司"},
        actor="system:test",
    )
    _look_up(page, HOLDER.lower())
    verdict = page.get_by_role("status")
    expect(verdict).to_contain_text("已查到本平台签发的证照")
    row = page.locator("table.integrated tr", has_text=cred.identifier)
    expect(row).to_contain_text("营业执照")
    expect(row).to_contain_text("真实有效")
    expect(page.locator("main")).to_contain_text("示例科技有限公司")
    assert_accessible(page, context="USCC found")

    _look_up(page, OTHER_HOLDER)
    expect(page.get_by_role("status")).to_contain_text("本平台未签发")
    expect(page.get_by_role("status")).not_to_contain_text("无法核验")
    assert_accessible(page, context="USCC with nothing issued here")

    _look_up(page, HOLDER[:17] + ("0" if HOLDER[17] != "0" else "1"))
    expect(page.get_by_role("status")).to_contain_text("代码有误")
    expect(page.locator("ul.problems")).to_contain_text("第18位校验码不符")
    assert_accessible(page, context="USCC mistyped")
