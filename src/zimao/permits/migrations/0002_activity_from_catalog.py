"""The business-scope activities (经营范围) move from the catalogue to permits, rows and all."""

from django.db import migrations, models

FIELDS = ("key", "name_zh", "name_en", "industry_code", "position")


def copy_from_catalog(apps, schema_editor):
    Old = apps.get_model("catalog", "Activity")
    New = apps.get_model("permits", "Activity")
    New.objects.bulk_create([New(**{f: getattr(a, f) for f in FIELDS}) for a in Old.objects.order_by("pk")])


def copy_to_catalog(apps, schema_editor):
    Old = apps.get_model("catalog", "Activity")
    New = apps.get_model("permits", "Activity")
    Old.objects.all().delete()
    Old.objects.bulk_create([Old(**{f: getattr(a, f) for f in FIELDS}) for a in New.objects.order_by("pk")])


class Migration(migrations.Migration):
    dependencies = [
        ("permits", "0001_initial"),
        ("catalog", "0005_item_attributes"),
    ]
    # The catalogue drops its table only once the rows are here.
    run_before = [("catalog", "0006_permit_vocabulary_moved")]

    operations = [
        migrations.CreateModel(
            name="Activity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=40, unique=True)),
                ("name_zh", models.CharField(max_length=100)),
                ("name_en", models.CharField(max_length=150)),
                ("industry_code", models.CharField(blank=True, help_text="GB/T 4754-2017 class, e.g. 6210", max_length=5)),
                ("position", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "business-scope activity",
                "verbose_name_plural": "business-scope activities",
                "ordering": ["position", "key"],
            },
        ),
        migrations.RunPython(copy_from_catalog, copy_to_catalog),
    ]
