"""Catalogue corrections (issue 13 item 6): each item decided by the authority the law names,
provincial items marked and forwarded, abolished approvals offered as no application, the
reform mode exported in Chinese with its code, no placeholder legal basis."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from zimao.catalog import excel
from zimao.catalog.models import Department, ServiceItem
from zimao.core.errors import Forbidden, NotFound
from zimao.permits import catalogue
from zimao.permits.tests.helpers import apply, reviewer_for

pytestmark = pytest.mark.django_db


def item(code):
    return ServiceItem.objects.select_related("department").get(code=code)


def test_printing_and_publications_go_to_the_press_and_publication_administration(permit_zone):
    for code in ("ZZ-YSJY", "ZZ-CBWLS"):
        service = item(code)
        assert service.department.code == "PRESS", code
        assert "宣传部" in service.department.name_zh and "新闻出版" in service.department.name_zh
        tasks = [t for s in service.processes.get().definition["stages"] for t in s.get("tasks", [])]
        assert {t["department"] for t in tasks} == {"PRESS"}, code
    assert not ServiceItem.objects.filter(department__code="CULTURE", code__in=["ZZ-YSJY", "ZZ-CBWLS"]).exists()


def test_security_services_are_decided_at_provincial_level_and_forwarded(permit_zone, company):
    service = item("ZZ-BAFW")
    assert service.department.code == "HN-PSB" and service.department.is_provincial
    assert Department.objects.get(code="PSB").name_zh == "公安局"  # no longer "（印章刻制备案）"
    assert not Department.objects.filter(name_zh__contains="印章刻制备案").exists()
    case = apply(company.applicant, "ZZ-BAFW", company.uscc)
    [forward] = case.tasks.filter(kind="review", status="open")
    assert forward.department.code == "PSB" and "转报省公安厅" in forward.name_zh
    from zimao.cases.services import decide

    decide(forward.pk, reviewer_for("PSB"), "approve")
    [decision] = case.tasks.filter(kind="review", status="open")
    assert decision.department.code == "HN-PSB" and decision.stage_key == "provincial_decision"
    with pytest.raises((Forbidden, NotFound)):
        decide(decision.pk, reviewer_for("PSB", "city_reviewer_2"), "approve")  # the city cannot decide
    decide(decision.pk, reviewer_for("HN-PSB"), "approve")
    case.refresh_from_db()
    assert case.status == "delivered"


def test_the_guide_marks_a_provincial_item_and_the_forwarding(client, permit_zone):
    body = client.get("/services/ZZ-BAFW/").content.decode()
    assert 'id="provincial"' in body and 'id="forwarded"' in body and "河南省公安厅" in body
    listing = client.get("/services/").content.decode()
    assert "省级" in listing or "provincial level" in listing
    assert 'id="provincial"' not in client.get("/services/ZZ-LGTZ/").content.decode()


def test_abolished_approvals_are_not_offered_as_applications(client, permit_zone):
    listing = client.get("/services/").content.decode()
    table, _, abolished = listing.partition('id="abolished-heading"')
    for code in ("ZZ-PTHY45", "ZZ-DWTZ", "ZZ-CPYPF"):
        assert f"/services/{code}/" not in table, code
        assert f"/services/{code}/" in abolished, code
        page = client.get(f"/services/{code}/").content.decode()
        assert 'id="abolished"' in page and 'id="start"' not in page
        assert 'id="commit-now"' not in page
        # No time limits for something nobody applies for.
        assert "法定时限" not in page and "Legal time limit" not in page
    assert "/services/ZZ-LGTZ/" in table


def test_reform_mode_exports_in_chinese_with_its_code_and_imports_back(tmp_path, permit_zone):
    path = tmp_path / "catalogue.xlsx"
    excel.export_workbook(path)
    ws = load_workbook(path)[excel.ITEMS_SHEET]
    header = {str(c.value).split("\n")[-1]: c.column_letter for c in ws[1]}
    modes = {
        ws[f"{header['code']}{r}"].value: ws[f"{header['reform_mode']}{r}"].value for r in range(2, ws.max_row + 1)
    }
    assert modes["ZZ-PM"] == "实行告知承诺（commitment）"
    assert modes["ZZ-PTHY45"] == "直接取消审批（cancelled）"
    assert modes["ZZ-YBZSP"] == "审批改为备案（filing）" and modes["ZZ-YPLS"] == "优化审批服务（optimised）"
    assert not any(m in ("commitment", "filing", "optimised", "cancelled") for m in modes.values())
    assert excel.choice_aliases(catalogue.ATTRIBUTES["reform_mode"])["实行告知承诺（commitment）"] == "commitment"


def test_no_placeholder_legal_basis(permit_zone):
    for service in catalogue.permit_items(published_only=False):
        assert service.legal_basis, service.code
        assert "（片区）" not in service.legal_basis and "实施细则（" not in service.legal_basis, service.code
    assert "国发〔2021〕7号" in item("ZZ-PM").legal_basis
