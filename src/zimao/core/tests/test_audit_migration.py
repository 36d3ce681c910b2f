"""The data migration of existing deployments: the zone-wide chain becomes per-object chains."""

import hashlib
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from zimao.core import audit

BEFORE = [("core", "0004_throttle_event")]
AFTER = [("core", "0005_audit_object_chains")]


def _old_hash(prev, seq, at, actor, action, object_type, object_id, before, after):
    body = json.dumps(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "before": before,
            "after": after,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev + body).encode()).hexdigest()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _migrate_to_latest() -> None:
    """Leave the database as every other test expects it: every app at its newest migration
    (going back to BEFORE also unapplied what came after it, in core and in other apps)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_chain(apps, tamper_seq=None):
    OldEvent = apps.get_model("core", "AuditEvent")
    OldEvent.objects.all().delete()
    prev, start = "0" * 64, timezone.now().replace(microsecond=123456)
    objects = [("cases.case", "1"), ("cases.task", "5"), ("cases.case", "1"), ("cases.case", "2"), ("cases.task", "5")]
    for seq, (ot, oid) in enumerate(objects, start=1):
        at = start + timedelta(seconds=seq)
        after = {"n": seq, "名": "洛阳"}
        digest = _old_hash(prev, seq, at, "alice", "x.step", ot, oid, None, after)
        OldEvent.objects.create(
            seq=seq,
            at=at,
            actor="alice",
            action="x.step",
            object_type=ot,
            object_id=oid,
            before=None,
            after={"n": 99} if seq == tamper_seq else after,
            prev_hash=prev,
            hash=digest,
        )
        prev = digest


@pytest.mark.django_db(transaction=True)
def test_existing_events_are_relinked_into_object_chains():
    try:
        _old_chain(_migrate(BEFORE))
        _migrate(AFTER)
        from zimao.core.models import AuditEvent

        assert [(e.object_type, e.object_id, e.object_seq) for e in AuditEvent.objects.order_by("id")] == [
            ("cases.case", "1", 1),
            ("cases.task", "5", 1),
            ("cases.case", "1", 2),
            ("cases.case", "2", 1),
            ("cases.task", "5", 2),
        ]
        assert audit.verify().ok
        assert [e.after["n"] for e in audit.history("cases.case", 1)] == [1, 3]
    finally:
        _migrate_to_latest()


@pytest.mark.django_db(transaction=True)
def test_a_broken_old_chain_stops_the_migration_instead_of_being_laundered():
    try:
        _old_chain(_migrate(BEFORE), tamper_seq=3)
        with pytest.raises(RuntimeError, match="#3"):
            _migrate(AFTER)
    finally:
        from django.apps import apps as live

        _migrate(BEFORE)
        live.get_model("core", "AuditEvent")  # the live model is the new one; clear old rows via SQL
        with connection.cursor() as cur:
            cur.execute("DELETE FROM core_auditevent")
        _migrate_to_latest()
