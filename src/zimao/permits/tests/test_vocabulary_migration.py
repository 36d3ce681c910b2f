"""The data migration of existing deployments: the permit reform's columns of the catalogue become
``ServiceItem.attributes["permits"]`` and the business-scope activities move to permits — and
back again when the migrations are reversed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("catalog", "0004_zone_profile"), ("permits", "0001_initial")]
AFTER = [("catalog", "0006_permit_vocabulary_moved"), ("permits", "0002_activity_from_catalog")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_catalogue(apps):
    Department = apps.get_model("catalog", "Department")
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    Activity = apps.get_model("catalog", "Activity")
    ServiceItem.objects.all().delete()
    Activity.objects.all().delete()
    dept, _ = Department.objects.get_or_create(code="MIG-D", defaults={"name_zh": "部门", "name_en": "Dept"})
    Activity.objects.create(key="catering", name_zh="餐饮服务", name_en="Catering", industry_code="6210", position=3)
    common = {"department": dept, "legal_limit_days": 20, "promised_limit_days": 5}
    ServiceItem.objects.create(
        code="MIG-PM",
        name_zh="拍卖",
        name_en="Auction",
        reform_mode="commitment",
        conditions_zh="一、条件。",
        conditions_en="1. Conditions.",
        validity_months=60,
        activities=["catering"],
        permit={"kind": "permit.auction", "post_check_days": 20},
        **common,
    )
    ServiceItem.objects.create(
        code="MIG-YJS", name_zh="主题", name_en="Bundle", bundle={"members": [{"code": "MIG-PM", "phase": 0}]}, **common
    )
    ServiceItem.objects.create(code="MIG-PLAIN", name_zh="普通", name_en="Plain", **common)


@pytest.mark.django_db(transaction=True)
def test_permit_columns_and_activities_move_to_permits_and_back():
    try:
        _old_catalogue(_migrate(BEFORE))

        apps = _migrate(AFTER)
        items = {s.code: s.attributes for s in apps.get_model("catalog", "ServiceItem").objects.all()}
        assert items["MIG-PM"] == {
            "permits": {
                "reform_mode": "commitment",
                "conditions_zh": "一、条件。",
                "conditions_en": "1. Conditions.",
                "validity_months": 60,
                "activities": ["catering"],
                "permit": {"kind": "permit.auction", "post_check_days": 20},
            }
        }
        assert items["MIG-YJS"] == {"permits": {"bundle": {"members": [{"code": "MIG-PM", "phase": 0}]}}}
        assert items["MIG-PLAIN"] == {}
        moved = apps.get_model("permits", "Activity").objects.get()
        assert (moved.key, moved.name_zh, moved.industry_code, moved.position) == ("catering", "餐饮服务", "6210", 3)

        # What the live code reads through permits' service functions.
        from zimao.catalog.models import ServiceItem
        from zimao.permits import catalogue

        pm = catalogue.facts(ServiceItem.objects.get(code="MIG-PM"))
        assert (pm.reform_mode, pm.validity_months, pm.activities) == ("commitment", 60, ["catering"])
        assert catalogue.is_bundle(ServiceItem.objects.get(code="MIG-YJS"))
        assert catalogue.reform_mode(ServiceItem.objects.get(code="MIG-PLAIN")) == ""

        back = _migrate(BEFORE)
        old = {s.code: s for s in back.get_model("catalog", "ServiceItem").objects.all()}
        assert (old["MIG-PM"].reform_mode, old["MIG-PM"].validity_months) == ("commitment", 60)
        assert old["MIG-PM"].conditions_en == "1. Conditions." and old["MIG-PM"].permit["kind"] == "permit.auction"
        assert old["MIG-YJS"].bundle["members"][0]["code"] == "MIG-PM" and old["MIG-YJS"].reform_mode == ""
        assert old["MIG-PLAIN"].validity_months is None and old["MIG-PLAIN"].activities == []
        assert list(back.get_model("catalog", "Activity").objects.values_list("key", "position")) == [("catering", 3)]
    finally:
        _migrate_to_latest()
        from zimao.catalog.models import Department, ServiceItem
        from zimao.permits.models import Activity

        ServiceItem.objects.filter(code__startswith="MIG-").delete()
        Department.objects.filter(code="MIG-D").delete()
        Activity.objects.filter(key="catering").delete()
