"""One provisional flag per due date (promised, legal) instead of one for both."""

from django.db import migrations, models


def copy_flag(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.filter(due_provisional=True).update(due_date_provisional=True, legal_due_date_provisional=True)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_alter_task_kind")]

    operations = [
        migrations.AddField(
            model_name="case", name="due_date_provisional",
            field=models.BooleanField(default=False, help_text="承诺办结日暂定 promised date provisional"),
        ),
        migrations.AddField(
            model_name="case", name="legal_due_date_provisional",
            field=models.BooleanField(default=False, help_text="法定办结日暂定 legal date provisional"),
        ),
        migrations.RunPython(copy_flag, migrations.RunPython.noop),
        migrations.RemoveField(model_name="case", name="due_provisional"),
    ]
