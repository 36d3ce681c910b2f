"""The permit reform's columns and the business-scope activities leave the catalogue: permits
owns them now (``ServiceItem.attributes["permits"]``, ``permits.Activity``; copied by
catalog 0005 and permits 0002, which runs before this one)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_item_attributes")]

    operations = [
        migrations.RemoveField(model_name="serviceitem", name="reform_mode"),
        migrations.RemoveField(model_name="serviceitem", name="conditions_zh"),
        migrations.RemoveField(model_name="serviceitem", name="conditions_en"),
        migrations.RemoveField(model_name="serviceitem", name="validity_months"),
        migrations.RemoveField(model_name="serviceitem", name="activities"),
        migrations.RemoveField(model_name="serviceitem", name="permit"),
        migrations.RemoveField(model_name="serviceitem", name="bundle"),
        migrations.DeleteModel(name="Activity"),
    ]
