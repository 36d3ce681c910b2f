"""WCAG 2.1 AA across the site, as each kind of reader meets it (axe-core in Debian's chromium).

The pages are those a person reaches from the masthead without filling in a form; journeys
through forms check their own pages (``axe`` fixture)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "zimao-demo-2026"

PUBLIC = [
    "/",
    "/services/",
    "/services/QYKB-001/",
    "/login/",
    "/register/",
    "/account/claim/",
    "/verify/",
    "/dashboard/public/",
    "/permits/",
    "/permits/advisor/",
    "/coo/verify/",
]
BY_USER = {
    "applicant": ["/cases/", "/account/", "/apply/QYKB-001/", "/permits/companies/", "/trade/", "/trade/certificates/"],
    "reviewer": ["/workbench/", "/workbench/?view=done", "/permits/checks/"],
    "clerk": ["/window/"],
    "admin": [
        "/dashboard/",
        "/dashboard/industry/",
        "/dashboard/projects/",
        "/dashboard/ledgers/",
        "/dashboard/import/",
    ],
}


def _visit(page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response and response.status}"
    assert_accessible(page, context=path)


def test_public_pages_meet_wcag_21_aa(page, zone):
    for path in PUBLIC:
        _visit(page, path)


@pytest.mark.parametrize("username", sorted(BY_USER))
def test_each_role_s_pages_meet_wcag_21_aa(page, zone, username):
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    expect(page.locator("#logout")).to_be_visible()
    for path in BY_USER[username]:
        _visit(page, path)


def test_the_check_fails_on_a_page_that_breaks_wcag(page):
    """The check is not vacuous: an image without a text alternative and an unnamed button fail."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><button></button></main></body></html>'
    )
    with pytest.raises(AssertionError) as err:
        assert_accessible(page, context="broken")
    assert "image-alt" in str(err.value) and "button-name" in str(err.value)
