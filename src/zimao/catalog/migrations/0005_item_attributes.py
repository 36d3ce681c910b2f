"""Service items gain ``attributes`` (what apps register with the catalogue, keyed by app); the
permit reform's columns are copied into ``attributes["permits"]`` (0006 drops the columns)."""

from django.db import migrations, models

PERMIT_COLUMNS = ("reform_mode", "conditions_zh", "conditions_en", "validity_months", "activities", "permit", "bundle")
EMPTY = ("", None, [], {})


def columns_to_attributes(apps, schema_editor):
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    for item in ServiceItem.objects.all():
        permits = {name: getattr(item, name) for name in PERMIT_COLUMNS if getattr(item, name) not in EMPTY}
        if permits:
            item.attributes = {**(item.attributes or {}), "permits": permits}
            item.save(update_fields=["attributes"])


def attributes_to_columns(apps, schema_editor):
    ServiceItem = apps.get_model("catalog", "ServiceItem")
    defaults = {"reform_mode": "", "conditions_zh": "", "conditions_en": "", "validity_months": None,
                "activities": [], "permit": {}, "bundle": {}}
    for item in ServiceItem.objects.all():
        permits = (item.attributes or {}).get("permits") or {}
        for name in PERMIT_COLUMNS:
            value = permits.get(name, defaults[name])
            setattr(item, name, defaults[name] if value is None and name != "validity_months" else value)
        item.save(update_fields=list(PERMIT_COLUMNS))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_zone_profile")]

    operations = [
        migrations.AddField(
            model_name="serviceitem",
            name="attributes",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text='app-registered item attributes: {"<app>": {"<attribute>": value}}',
            ),
        ),
        migrations.RunPython(columns_to_attributes, attributes_to_columns),
    ]
