"""The permit catalogue (事项清单) is data: it loads, it is complete, and every item of it can be
applied for in its mode without per-item code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from zimao.catalog import process
from zimao.catalog.models import Department, ServiceItem
from zimao.catalog.services import department_codes, load_packaged
from zimao.permits import catalogue
from zimao.permits.models import ReformMode

DATA = Path(__file__).resolve().parents[2] / "catalog" / "data" / "permits.json"
EXISTING_DEPARTMENTS = {"WINDOW", "ADMIN", "AMR", "PSB", "TAX", "HRSS", "HPF", "BANK"}


def test_the_file_adds_departments_without_clashing():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    codes = [d["code"] for d in data["departments"]]
    assert len(codes) == len(set(codes))
    assert not set(codes) & EXISTING_DEPARTMENTS, "reuse AMR/HRSS/PSB instead of redefining them"
    used = {s["department"] for s in data["services"]}
    assert {"AMR", "HRSS"} <= used  # the market regulator and HR bureau decide their own permits


@pytest.mark.django_db
def test_at_least_25_real_items_in_all_four_modes(permit_zone):
    items = catalogue.permit_items()
    assert len(items) >= 25
    modes = {catalogue.reform_mode(i) for i in items}
    assert modes == {ReformMode.CANCELLED, ReformMode.FILING, ReformMode.COMMITMENT, ReformMode.OPTIMISED}
    for item in items:
        assert re.search(r"《[^》]+》", item.legal_basis), f"{item.code} names no law or regulation"
        assert item.department and item.name_en and item.guide_zh and item.guide_en
        assert item.promised_limit_days <= item.legal_limit_days
    names = " ".join(i.legal_basis for i in items)
    for law in (
        "《中华人民共和国食品安全法》",
        "《拍卖管理办法》",
        "《医疗器械监督管理条例》",
        "《兽药管理条例》",
        "《印刷业管理条例》",
        "《旅行社条例》",
        "《中华人民共和国道路运输条例》",
        "《建筑业企业资质管理规定》",
    ):
        assert law in names


@pytest.mark.django_db
def test_each_mode_has_the_shape_it_needs(permit_zone):
    for item in catalogue.permit_items():
        proc = item.processes.filter(published=True).first()
        if catalogue.reform_mode(item) == ReformMode.CANCELLED:
            assert proc is None, f"{item.code}: an abolished approval has no case"
            assert "取消" in item.guide_zh
            continue
        if catalogue.facts(item).permit.get("merged_into"):
            assert proc is None and catalogue.merged_into(item) is not None
            continue
        assert proc is not None, item.code
        assert not process.validate_definition(proc.definition, department_codes())
        outputs = catalogue.item_outputs(item)
        if catalogue.reform_mode(item) == ReformMode.FILING:
            assert outputs == ["filing_receipt"]
            assert item.promised_limit_days == 0
        else:
            assert outputs == ["permit"]
        if catalogue.reform_mode(item) == ReformMode.COMMITMENT:
            assert catalogue.facts(item).conditions_zh and catalogue.facts(item).conditions_en, (
                f"{item.code} publishes no conditions"
            )
            assert "permits.record_commitment" in proc.definition["on_submit"]
            assert item.materials == []  # the commitment replaces the supporting documents
            assert item.promised_limit_days == 0
        if catalogue.reform_mode(item) == ReformMode.OPTIMISED and not catalogue.facts(item).permit.get("covers"):
            assert item.promised_limit_days < item.legal_limit_days
            assert len(item.materials) < catalogue.facts(item).permit["materials_before"]


@pytest.mark.django_db
def test_loading_twice_changes_nothing(permit_zone):
    assert not any(load_packaged("permits").values())


@pytest.mark.django_db
def test_a_new_permit_is_only_a_catalogue_entry(permit_zone, company):
    """A permit nobody wrote code for: a JSON entry, a case, a signed credential."""
    from zimao.catalog.services import load_catalogue
    from zimao.permits.tests.helpers import apply

    row = json.loads(DATA.read_text(encoding="utf-8"))
    template = next(s for s in row["services"] if s["code"] == "ZZ-YBZSP")
    new = {
        **template,
        "code": "ZZ-TEST-NEW",
        "name_zh": "新设备案事项",
        "name_en": "A new filing item",
        "permit": {"title_zh": "新设备案回执", "title_en": "New filing receipt"},
    }
    new["process"] = json.loads(json.dumps(template["process"]).replace("ZZ-YBZSP", "ZZ-TEST-NEW"))
    load_catalogue({"services": [new]})
    case = apply(company.applicant, "ZZ-TEST-NEW", company.uscc)
    assert case.status == "delivered"
    assert case.outputs[0]["title_zh"] == "新设备案回执"
    assert case.outputs[0]["kind"] == "permit.ZZ-TEST-NEW"


@pytest.mark.django_db
@pytest.mark.parametrize("mode", ["filing", "commitment", "optimised"])
def test_every_item_of_a_mode_can_be_applied_for(permit_zone, company, mode):
    """Data-driven: each item of the mode, with sample data made from its own form."""
    from zimao.cases.services import decide
    from zimao.permits.tests.helpers import apply

    admin = permit_zone.admin  # the zone administrator may act on any department's task
    for item in catalogue.permit_items():
        if catalogue.reform_mode(item) != mode or not item.processes.exists():
            continue
        case = apply(company.applicant, item.code, company.uscc)
        for _stage in range(3):  # an item decided at provincial level has a forwarding stage first
            for task in case.tasks.filter(status="open", kind="review").exclude(stage_key="post_check"):
                decide(task.pk, admin, "approve")
        case.refresh_from_db()
        assert case.status == "delivered", (item.code, case.status, [t.auto_notes for t in case.tasks.all()])
        assert len(case.outputs) == 1 and case.outputs[0]["identifier"], item.code


@pytest.mark.django_db
def test_departments_of_the_permits_exist(permit_zone):
    needed = {"COMMERCE", "CULTURE", "TRANSPORT", "HOUSING", "AGRICULTURE", "HEALTH", "HRSS", "AMR"}
    assert needed <= set(Department.objects.values_list("code", flat=True))
    assert any(catalogue.reform_mode(s) for s in ServiceItem.objects.filter(department__code="HRSS"))
