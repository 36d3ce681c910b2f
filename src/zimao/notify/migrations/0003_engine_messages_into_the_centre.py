"""The engine's earlier messages to a person (``cases.Notification`` with a user: corrections, the
mailing note, extensions, ratings' answers) are copied into the notification centre, which the
case page now reads; the centre's own earlier rows get their subject as that page's line. The rows in ``cases`` stay (nothing reads them any more); departments' rows
(催办/督办) are not people's messages and are not copied."""

from django.db import migrations
from django.db.models import F

BATCH = 1000


def copy(apps, schema_editor):
    Old = apps.get_model("cases", "Notification")
    New = apps.get_model("notify", "Notification")
    # The centre's own rows, written before it kept a case-page line: their subject is the line.
    New.objects.filter(line_zh="").update(line_zh=F("subject_zh"), line_en=F("subject_en"))
    created_at = New._meta.get_field("created_at")
    created_at.auto_now_add = False  # keep when each was written
    try:
        _copy(Old, New)
    finally:
        created_at.auto_now_add = True


def _copy(Old, New):
    rows = Old.objects.filter(user__isnull=False).select_related("case").order_by("pk")
    batch = []
    for old in rows.iterator(chunk_size=BATCH):
        one_line_zh, one_line_en = " ".join(old.message_zh.split()), " ".join(old.message_en.split())
        batch.append(
            New(
                user_id=old.user_id,
                event_key=f"cases.notification:{old.pk}",
                kind="message",
                case_number=old.case.number,
                subject_zh=one_line_zh[:300],
                subject_en=one_line_en[:300],
                body_zh=old.message_zh,
                body_en=old.message_en,
                line_zh=old.message_zh,
                line_en=old.message_en,
                created_at=old.created_at,
                read_at=old.read_at,
            )
        )
        if len(batch) >= BATCH:
            New.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    New.objects.bulk_create(batch, ignore_conflicts=True)


def uncopy(apps, schema_editor):
    apps.get_model("notify", "Notification").objects.filter(event_key__startswith="cases.notification:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("notify", "0002_case_page_line"),
        ("cases", "0006_step_outputs"),
    ]

    operations = [migrations.RunPython(copy, uncopy)]
