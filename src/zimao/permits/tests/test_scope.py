"""告知承诺 only within the registered business scope (issue 14 item 6): a software company
cannot commit its way to a printing permit; it is told to change its scope first."""

from __future__ import annotations

import pytest

from zimao.catalog.models import ServiceItem
from zimao.core.errors import BusinessError
from zimao.permits import catalogue
from zimao.permits import services as permits
from zimao.permits.models import Activity, Commitment
from zimao.permits.tests.helpers import sample_data, start_company

pytestmark = pytest.mark.django_db


def commit(company, code):
    item = ServiceItem.objects.get(code=code)
    return permits.apply_with_commitment(
        company.applicant,
        code,
        uscc=company.uscc,
        signer_name="李明",
        agree=True,
        data=sample_data(item, company.uscc),
        conditions_hash=catalogue.conditions_version(item),
    )


def test_a_software_company_is_refused_a_printing_permit_and_told_to_change_its_scope(permit_zone):
    software = start_company(permit_zone.applicant, "码农", scope="软件开发；信息技术咨询服务")
    with pytest.raises(BusinessError) as exc:
        commit(software, "ZZ-YSJY")
    assert exc.value.status == 422
    [problem] = exc.value.problems
    assert problem.field == "company.uscc" and problem.code == "out_of_business_scope"
    assert "软件开发；信息技术咨询服务" in problem.zh and "包装装潢印刷品和其他印刷品印刷" in problem.zh
    assert "变更经营范围" in problem.zh and "印刷经营许可" in problem.zh
    assert "Change the business scope first" in problem.en and "Printing of packaging" in problem.en
    assert not Commitment.objects.exists()


def test_a_company_whose_scope_names_the_activity_is_granted(permit_zone):
    printer = start_company(permit_zone.applicant, "墨香", scope="包装装潢印刷品和其他印刷品印刷；软件开发")
    assert commit(printer, "ZZ-YSJY").granted


def test_scope_wording_is_matched_without_brackets_and_separators():
    food = Activity(key="food_sales", name_zh="食品销售（含散装食品）", name_en="Food sales")
    assert catalogue.scope_covers("日用百货销售；食品销售；", food)
    assert catalogue.scope_covers("食品销售（含散装食品）、日用百货", food)
    assert not catalogue.scope_covers("软件开发；信息技术咨询服务", food)
    assert not catalogue.scope_covers("", food)


def test_every_commitment_item_tied_to_activities_is_checked(permit_zone):
    checked = [
        item
        for item in catalogue.permit_items()
        if catalogue.commitment_items(item) and "permits.commitment_agreed" in item.checks
    ]
    assert checked, "the catalogue has commitment items"
    for item in checked:
        gaps = catalogue.out_of_scope(item, "软件开发")
        assert all(needed for _, needed in gaps)
        assert catalogue.out_of_scope(item, "；".join(Activity.objects.values_list("name_zh", flat=True))) == []


def test_a_bundle_that_registers_the_company_checks_the_scope_it_asks_for(permit_zone):
    from zimao.permits.plugins import commitment_agreed

    bundle = next(s for s in catalogue.permit_items(published_only=False) if s.code == "ZZ-SPJY")
    data = {"commitment": {"agree": True}, "registration": {"business_scope": "软件开发"}}
    [problem] = commitment_agreed(data, service=bundle)
    assert problem.field == "registration.business_scope" and "餐饮服务" in problem.zh
    data["registration"]["business_scope"] = "餐饮服务；食品销售"
    assert commitment_agreed(data, service=bundle) == []


def test_the_company_section_page_refuses_an_out_of_scope_commitment(client, permit_zone):
    """The scope is checked on the company section itself (the section checks are told the
    service, as at submission), not only when the application is finally sent."""
    from django.urls import reverse

    software = start_company(permit_zone.applicant, "码农", scope="软件开发；信息技术咨询服务")
    printer = start_company(permit_zone.applicant, "墨香", scope="包装装潢印刷品和其他印刷品印刷；软件开发")
    client.force_login(permit_zone.applicant)
    url = reverse("web:apply_section", args=["ZZ-YSJY", "company"])
    response = client.post(url, {"uscc": software.uscc})
    assert response.status_code == 200
    page = response.content.decode()
    assert "变更经营范围" in page and "包装装潢印刷品和其他印刷品印刷" in page
    response = client.post(url, {"uscc": printer.uscc})
    assert response.status_code == 302 and response["Location"] == reverse("web:apply", args=["ZZ-YSJY"])
