"""The audit chain (审计留痕): every change is an append-only, hash-chained event.

``record`` appends inside the caller's transaction, so an event exists exactly when the change it
describes was committed. ``verify`` walks the chain and names the first broken link.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from zimao.core.models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def jsonable(value):
    """What the event stores: JSON-safe (dates as ISO strings) so the hash survives a round trip."""
    return None if value is None else json.loads(canonical(value))


def event_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, object_type: str,
               object_id: str, before, after) -> str:
    body = canonical({
        "seq": seq, "at": at.isoformat(timespec="microseconds"), "actor": actor, "action": action,
        "object_type": object_type, "object_id": str(object_id), "before": before, "after": after,
    })
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def actor_name(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "username", None) or str(actor)


def lock_chain() -> None:
    """Take the chain's lock now; it is held until the transaction ends.

    Every transaction that writes anything worth recording appends to the chain, so the chain
    head is the one lock every writer takes. A transaction that will also lock another shared
    row (a counter in ``sequences``) takes the head *first*: then no two transactions can each
    hold one of the two and wait for the other (on PostgreSQL that was a deadlock — a reviewer's
    approval holding the USCC counter while waiting for the head, the worker holding the head
    while waiting for the counter). SQLite takes its write lock at BEGIN and needs nothing here.
    """
    with transaction.atomic():
        AuditHead.objects.select_for_update().get_or_create(id=1)


def record(actor, action: str, obj=None, *, object_type: str | None = None, object_id=None,
           before=None, after=None) -> AuditEvent:
    """Append one event. ``obj`` may be a model instance (its type and pk are used)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    before, after = jsonable(before), jsonable(after)
    with transaction.atomic():
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        seq = head.seq + 1
        # Microsecond precision is what every database keeps; hash what will be read back.
        at = timezone.now()
        digest = event_hash(head.hash, seq, at, actor_name(actor), action, object_type, str(object_id), before, after)
        event = AuditEvent.objects.create(
            seq=seq, at=at, actor=actor_name(actor), action=action, object_type=object_type,
            object_id=str(object_id), before=before, after=after, prev_hash=head.hash, hash=digest,
        )
        AuditHead.objects.filter(id=1).update(seq=seq, hash=digest)
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in order; report the first event whose link or content is wrong."""
    prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    while True:
        events = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not events:
            break
        for ev in events:
            if ev.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, f"event #{expected_seq} is missing")
            if ev.prev_hash != prev:
                return VerifyResult(False, checked, ev.seq, "prev_hash does not match the previous event")
            digest = event_hash(prev, ev.seq, ev.at, ev.actor, ev.action, ev.object_type, ev.object_id, ev.before, ev.after)
            if digest != ev.hash:
                return VerifyResult(False, checked, ev.seq, "content does not match its hash (edited)")
            prev, expected_seq, checked = ev.hash, expected_seq + 1, checked + 1
        last_seq = events[-1].seq
    head = AuditHead.objects.filter(id=1).first()
    if head and head.seq != checked:
        return VerifyResult(False, checked, checked + 1, f"chain ends at #{checked} but head says #{head.seq} (events deleted)")
    return VerifyResult(True, checked)


def history(object_type: str, object_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("seq"))
