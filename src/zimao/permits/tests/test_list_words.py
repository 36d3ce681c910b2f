"""Lists on the permit pages in the reader's language (walkthrough of issue 14): an English bundle
page listed its departments "Administration for Market Regulation、Ecology and Environment Bureau"."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def between(page: str, start: str) -> str:
    return page.split(start, 1)[1].split("</dd>", 1)[0]


def test_a_bundles_departments_and_form_sections_are_listed_with_commas_in_english(client, permit_zone):
    client.cookies["django_language"] = "en"
    page = client.get("/permits/bundles/YJS-KCG/").content.decode()
    departments = between(page, "Departments</dt><dd>")
    sections = between(page, "Form sections</dt><dd>")
    assert ", " in departments and "、" not in departments
    assert ", " in sections and "、" not in sections
