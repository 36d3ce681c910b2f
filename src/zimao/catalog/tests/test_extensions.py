"""Item attributes apps register with the catalogue (``catalog.extensions``): the catalogue stores,
checks, loads and lists them without knowing what they mean."""

import tokenize
from pathlib import Path

import pytest

from zimao.catalog import extensions
from zimao.catalog.extensions import Attribute
from zimao.core.errors import BusinessError

CATALOG = Path(__file__).resolve().parents[1]


def test_the_catalogue_code_names_no_permit_vocabulary():
    """No name in the catalogue's code is the reform's (its docs may give one as an example)."""
    words = {"ReformMode", "Activity", "reform_mode", "validity_months", "conditions_zh", "conditions_en"}
    words |= {"is_bundle", "bundle_members", "bundles_with", "activities", "bundles"}
    for path in CATALOG.glob("*.py"):
        with path.open("rb") as f:
            names = {t.string for t in tokenize.tokenize(f.readline) if t.type == tokenize.NAME}
        assert not names & words, path.name


def test_permits_registers_its_vocabulary():
    ext = extensions.extension("permits")
    assert {"reform_mode", "conditions_zh", "validity_months", "activities", "permit", "bundle"} <= set(ext.attributes)
    assert {"activities", "bundles"} <= set(ext.sections)
    assert extensions.owner("reform_mode")[0] == "permits"
    assert extensions.owner("name_zh") is None


def test_an_attribute_name_has_one_owner():
    with pytest.raises(ValueError, match="registered by 'permits'"):
        extensions.register("someone_else", attributes={"reform_mode": Attribute("text", "x", "x")})
    assert "someone_else" not in {e.app_label for e in extensions.registered()}


@pytest.mark.parametrize(
    ("kind", "value", "ok"),
    [
        ("int?", 12, True),
        ("int?", 0, False),
        ("int?", "12", False),
        ("list", ["a"], True),
        ("list", "a", False),
        ("object", {"a": 1}, True),
        ("object", [1], False),
        ("text", "", True),
    ],
)
def test_values_are_checked_by_kind(kind, value, ok):
    _cleaned, problem = Attribute(kind, "属性", "attribute").clean("x", value)
    assert (problem is None) == ok
    if problem:
        assert problem.field == "x" and problem.zh and problem.en


def test_a_choice_allows_its_values_and_none():
    mode = extensions.extension("permits").attributes["reform_mode"]
    assert mode.clean("reform_mode", "filing") == ("filing", None)
    assert mode.clean("reform_mode", "") == ("", None)
    assert mode.clean("reform_mode", "whatever")[1].code == "invalid_choice"


def test_a_row_splits_into_the_items_fields_and_each_apps_attributes():
    own, attrs, problems = extensions.split_row({"code": "X", "reform_mode": "filing", "validity_months": None})
    assert own == {"code": "X"} and attrs == {"permits": {"reform_mode": "filing", "validity_months": None}}
    assert problems == []
    merged = extensions.merged({"permits": {"bundle": {}}, "other": {"a": 1}}, attrs)
    assert merged == {"permits": {"bundle": {}, "reform_mode": "filing", "validity_months": None}, "other": {"a": 1}}


@pytest.mark.django_db
def test_loading_refuses_a_bad_attribute_and_keeps_other_apps_values():
    from zimao.catalog.models import Department, ServiceItem
    from zimao.catalog.services import load_catalogue

    Department.objects.create(code="EXT-D", name_zh="部门", name_en="Dept")
    row = {"code": "EXT-1", "name_zh": "事项", "name_en": "Item", "department": "EXT-D"}
    row |= {"legal_limit_days": 20, "promised_limit_days": 5}
    with pytest.raises(BusinessError) as exc:
        load_catalogue({"services": [{**row, "validity_months": -3}]})
    assert exc.value.problems[0].field == "services.EXT-1.validity_months"
    assert not ServiceItem.objects.filter(code="EXT-1").exists()

    load_catalogue({"services": [{**row, "reform_mode": "filing"}]})
    item = ServiceItem.objects.get(code="EXT-1")
    item.attributes["other"] = {"kept": True}
    item.save()
    load_catalogue({"services": [{**row, "validity_months": 24}]})
    item.refresh_from_db()
    assert item.attributes == {"permits": {"reform_mode": "filing", "validity_months": 24}, "other": {"kept": True}}
    assert item.ext["permits"]["conditions_zh"] == "" and item.ext["permits"]["validity_months"] == 24

    with pytest.raises(BusinessError):
        extensions.update(item, "permits", {"nonsense": 1})
    extensions.update(item, "permits", {"reform_mode": "commitment"})
    item.refresh_from_db()
    assert item.attributes["permits"]["reform_mode"] == "commitment"


@pytest.mark.django_db
def test_the_admin_form_checks_attributes_by_their_registered_kind():
    from zimao.catalog.admin import ServiceItemForm
    from zimao.catalog.models import Department

    dept = Department.objects.create(code="EXT-A", name_zh="部门", name_en="Dept")
    data = {"code": "EXT-A1", "name_zh": "事项", "name_en": "Item", "department": dept.pk}
    data |= {"legal_limit_days": 20, "promised_limit_days": 5, "rectification_days": 10}
    data |= {"materials": "[]", "form": "{}", "checks": "[]", "published": True}
    bad = ServiceItemForm(data={**data, "attributes": '{"permits": {"reform_mode": "maybe", "colour": 1}}'})
    assert not bad.is_valid()
    assert any("reform_mode" in e for e in bad.errors["attributes"]) and any(
        "colour" in e for e in bad.errors["attributes"]
    )
    good = ServiceItemForm(data={**data, "attributes": '{"permits": {"reform_mode": "filing"}}'})
    assert good.is_valid(), good.errors
    assert good.save().attributes == {"permits": {"reform_mode": "filing"}}
