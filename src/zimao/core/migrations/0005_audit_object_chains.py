"""The audit trail becomes one hash chain per object, sealed by signed Merkle checkpoints.

Existing events were one zone-wide chain. That chain is verified first (a broken chain is not
silently re-hashed into a valid-looking one: the migration stops and names the broken event),
then every object's events, in their old order, are linked into that object's own chain.
"""

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from django.db import migrations, models

GENESIS = "0" * 64


def _default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def _hash(prev, seq, ev):
    # Frozen copy of zimao.core.audit.event_hash as of this migration.
    body = json.dumps({
        "seq": seq, "at": ev.at.isoformat(timespec="microseconds"), "actor": ev.actor, "action": ev.action,
        "object_type": ev.object_type, "object_id": str(ev.object_id), "before": ev.before, "after": ev.after,
    }, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)
    return hashlib.sha256((prev + body).encode()).hexdigest()


def to_object_chains(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    db = schema_editor.connection.alias
    prev, expected = GENESIS, 1
    tips: dict = {}
    batch = []
    for ev in AuditEvent.objects.using(db).order_by("seq").iterator(chunk_size=2000):
        if ev.seq != expected or ev.prev_hash != prev or _hash(prev, ev.seq, ev) != ev.hash:
            raise RuntimeError(
                f"审计链在 #{ev.seq} 处已断裂，迁移中止 / the audit chain is broken at event #{ev.seq} "
                f"(expected #{expected}); run `zimao audit verify` on the previous release and restore "
                "from a backup before migrating")
        prev, expected = ev.hash, expected + 1
        key = (ev.object_type, ev.object_id)
        seq, tip = tips.get(key, (0, GENESIS))
        ev.object_seq, ev.prev_hash = seq + 1, tip
        ev.hash = _hash(tip, ev.object_seq, ev)
        tips[key] = (ev.object_seq, ev.hash)
        batch.append(ev)
        if len(batch) >= 1000:
            AuditEvent.objects.using(db).bulk_update(batch, ["object_seq", "prev_hash", "hash"])
            batch = []
    if batch:
        AuditEvent.objects.using(db).bulk_update(batch, ["object_seq", "prev_hash", "hash"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_throttle_event"),
    ]

    operations = [
        # The chain hashes are rewritten below; the unique index on hash would collide mid-way.
        migrations.AlterField("auditevent", "hash", models.CharField(max_length=64)),
        migrations.AddField("auditevent", "object_seq", models.BigIntegerField(null=True)),
        migrations.RunPython(to_object_chains, migrations.RunPython.noop),
        migrations.RemoveIndex("auditevent", "core_audite_object__4f9eb5_idx"),
        migrations.AlterModelOptions("auditevent", {"ordering": ["id"], "verbose_name": "audit event"}),
        migrations.RemoveField("auditevent", "seq"),
        migrations.AlterField("auditevent", "object_seq",
                              models.BigIntegerField(help_text="position in this object's chain, from 1")),
        migrations.AlterField("auditevent", "hash", models.CharField(max_length=64, unique=True)),
        migrations.AddField("auditevent", "log_index", models.BigIntegerField(
            blank=True, null=True, unique=True, help_text="leaf index in the Merkle log; empty until checkpointed")),
        migrations.AddConstraint("auditevent", models.UniqueConstraint(
            fields=("object_type", "object_id", "object_seq"), name="core_auditevent_object_chain")),
        migrations.DeleteModel("AuditHead"),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("tree_size", models.BigIntegerField(unique=True)),
                ("root_hash", models.CharField(max_length=64)),
                ("at", models.DateTimeField()),
                ("kid", models.CharField(max_length=100)),
                ("signed", models.TextField(help_text="compact JWS over the tree head")),
                ("frontier", models.JSONField(default=list, help_text="the tree's right edge, for the next checkpoint")),
            ],
            options={"ordering": ["tree_size"], "verbose_name": "audit checkpoint"},
        ),
    ]
