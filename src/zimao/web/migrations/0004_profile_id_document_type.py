from django.db import migrations, models


def type_existing_documents(apps, schema_editor):
    """Every identity number on file so far was taken as a resident identity card (GB 11643); its
    keyed digest stays as it is (``intake.document_digest`` digests resident cards as before)."""
    Profile = apps.get_model("web", "Profile")
    Profile.objects.exclude(id_digest="").update(id_type="resident")


class Migration(migrations.Migration):
    dependencies = [
        ("web", "0003_profile_phone_digest"),
    ]

    operations = [
        migrations.AddField(
            model_name="profile",
            name="id_type",
            field=models.CharField(blank=True, default="", max_length=20),
        ),
        migrations.RunPython(type_existing_documents, migrations.RunPython.noop),
    ]
