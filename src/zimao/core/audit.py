"""The audit trail (审计留痕): per-object hash chains, sealed by signed Merkle checkpoints.

Every change is an append-only event in the chain of the object it changed (a case, a task, a
credential, a market entity…): ``object_seq`` counts that object's events and ``hash`` covers the
previous event's hash and this event's content. A chain is extended under the lock the change
already holds on its object (the case row the engine locked; SQLite's write lock), so writers in
the zone never queue on a shared row. On PostgreSQL a transaction-scoped advisory lock per object
is taken as well, so a caller that did not lock its object still cannot fork a chain; the unique
(object, object_seq) constraint backs both.

Chains alone cannot show that a whole chain was rewritten with recomputed hashes. The
checkpointer (``checkpoint``; ``zimao audit checkpoint``; after every ``zimao sweep``) gives the
events appended since the last checkpoint their leaf index in the zone's RFC 9162 Merkle log and
signs the new tree head with the node's key. Signed tree heads are published
(``/.well-known/zimao/checkpoints``) with inclusion and consistency proofs, so anyone who kept
one can prove later that history was not rewritten. ``verify`` checks every chain and every
checkpoint and names the first broken link.

``record`` appends inside the caller's transaction, so an event exists exactly when the change it
describes was committed. Inside ``buffered()`` events are collected and written with one INSERT
when the block ends; an event recorded in a savepoint that rolled back is dropped with it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from zimao.core import fastsql, merkle
from zimao.core.models import AuditCheckpoint, AuditEvent
from zimao.core.txbuffer import TransactionBuffer

GENESIS = "0" * 64
CHECKPOINT_TYPE = "zimao.audit.checkpoint/v1"
_CHECKPOINT_LOCK = "lock:core.audit.checkpoint"


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


def event_hash(
    prev_hash: str, seq: int, at: datetime, actor: str, action: str, object_type: str, object_id: str, before, after
) -> str:
    """The link: SHA-256 over the object's previous hash and this event (``seq`` = object_seq)."""
    body = canonical(
        {
            "seq": seq,
            "at": at.isoformat(timespec="microseconds"),
            "actor": actor,
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "before": before,
            "after": after,
        }
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def actor_name(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return getattr(actor, "username", None) or str(actor)


def origin() -> str:
    """The log's name in signed tree heads (C2SP: a schema-less, unique name)."""
    return getattr(settings, "AUDIT_LOG_ORIGIN", "") or f"zimao.{settings.ZONE_CODE.lower()}/audit"


# ---------------------------------------------------------------- appending


def _write(events: list[AuditEvent]) -> None:
    _append(events)


_buffer = TransactionBuffer(_write)


def buffered():
    """Collect the events recorded in this block and insert them together when it ends.

    Use it inside the transaction (``with transaction.atomic(), audit.buffered():``): the events
    are written before the transaction commits. Nested blocks share the outermost buffer
    (``zimao.core.txbuffer``).
    """
    return _buffer.block()


def record(
    actor, action: str, obj=None, *, object_type: str | None = None, object_id=None, before=None, after=None
) -> AuditEvent:
    """Append one event to its object's chain. ``obj`` may be a model instance (type and pk used).

    Inside ``buffered()`` the returned event is written (and gets its id) when the block ends.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    # Microsecond precision is what every database keeps; hash what will be read back.
    event = AuditEvent(
        at=timezone.now(),
        actor=actor_name(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=jsonable(before),
        after=jsonable(after),
    )
    if _buffer.add(event):
        return event
    with transaction.atomic(savepoint=False):  # the caller's transaction, or one of its own
        _append([event])
    return event


def _advisory_key(object_type: str, object_id: str) -> int:
    return int.from_bytes(
        hashlib.sha256(f"zimao.audit:{object_type}:{object_id}".encode()).digest()[:8], "big", signed=True
    )


def _tips(objects: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    """The last (object_seq, hash) of each object's chain: one statement, one index seek per
    object (the newest row of each, through the unique (object, object_seq) index)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    # The table name is the model's own; every value is a parameter.
    one = f"SELECT * FROM (SELECT object_type, object_id, object_seq, hash FROM {table} WHERE object_type = %s AND object_id = %s ORDER BY object_seq DESC LIMIT 1) AS t{{}}"  # noqa: S608
    sql = " UNION ALL ".join(one.format(i) for i in range(len(objects)))
    with connection.cursor() as cur:
        cur.execute(sql, [v for pair in objects for v in pair])
        return {(ot, oid): (seq, h) for ot, oid, seq, h in cur.fetchall()}


def _append(events: list[AuditEvent]) -> None:
    """Link ``events`` onto their objects' chains and insert them (one INSERT)."""
    if not events:
        return
    objects = sorted({(e.object_type, e.object_id) for e in events})
    if connection.vendor == "postgresql":
        # Per object, never zone-wide; sorted, so two writers of the same objects cannot deadlock.
        keys = sorted({_advisory_key(*o) for o in objects})
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT unnest(%s::bigint[]) AS k ORDER BY 1) s", [keys]
            )
    tips = _tips(objects)
    for e in events:
        seq, prev = tips.get((e.object_type, e.object_id), (0, GENESIS))
        e.object_seq, e.prev_hash = seq + 1, prev
        e.hash = event_hash(prev, e.object_seq, e.at, e.actor, e.action, e.object_type, e.object_id, e.before, e.after)
        tips[(e.object_type, e.object_id)] = (e.object_seq, e.hash)
    fastsql.create(events)  # bulk_create's rows and ids, without its compiler (issue 11)


def history(object_type: str, object_id) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("object_seq"))


def events_of(object_type: str, object_ids, actions=None) -> list[AuditEvent]:
    """The events of several objects of one type (optionally only these actions), oldest first."""
    qs = AuditEvent.objects.filter(object_type=object_type, object_id__in=[str(i) for i in object_ids])
    if actions:
        qs = qs.filter(action__in=list(actions))
    return list(qs.order_by("at", "id"))


# ---------------------------------------------------------------- checkpoints (RFC 9162)


def _leaf(event_hash_hex: str) -> bytes:
    """Leaf i of the log is the event's chain hash (which commits to its content and its chain)."""
    return merkle.leaf_hash(bytes.fromhex(event_hash_hex))


def tree_head_payload(tree_size: int, root_hash: str, at: datetime) -> dict:
    return {
        "typ": CHECKPOINT_TYPE,
        "origin": origin(),
        "tree_size": tree_size,
        "root_hash": root_hash,
        "timestamp": at.isoformat(timespec="seconds"),
    }


def _leaf_hashes(size: int) -> list[bytes]:
    hashes = [
        _leaf(h)
        for h in AuditEvent.objects.filter(log_index__lt=size)
        .order_by("log_index")
        .values_list("hash", flat=True)
        .iterator(chunk_size=5000)
    ]
    if len(hashes) != size:
        raise merkle.ProofError(f"the log holds {len(hashes)} of {size} leaves")
    return hashes


def checkpoint(limit: int = 100_000) -> AuditCheckpoint | None:
    """Seal the events appended since the last checkpoint under a new signed tree head (审计检查点).

    Only checkpointers lock each other (a mutex row); writers never wait for this. An event whose
    transaction commits after a later one (PostgreSQL) simply joins the next checkpoint.
    """
    from zimao.core import signing
    from zimao.core.models import Sequence

    signing.active_key()  # created (and audited) outside our transaction if this is the first use
    with transaction.atomic():
        Sequence.objects.get_or_create(name=_CHECKPOINT_LOCK)
        Sequence.objects.select_for_update().filter(name=_CHECKPOINT_LOCK).first()
        last = AuditCheckpoint.objects.order_by("-tree_size").first()
        size = last.tree_size if last else 0
        new = list(AuditEvent.objects.filter(log_index__isnull=True).order_by("id").values_list("id", "hash")[:limit])
        if not new:
            return None
        # Go on from the last head's right edge (O(new events)). A tampered edge cannot hide
        # anything: ``verify`` recomputes every root from the events themselves.
        frontier = merkle.Frontier.from_state(last.frontier) if last and last.frontier else merkle.Frontier()
        if frontier.size != size:
            frontier = merkle.Frontier()
            for h in _leaf_hashes(size):
                frontier.append(h)
        updates = []
        for i, (pk, h) in enumerate(new):
            frontier.append(_leaf(h))
            updates.append(AuditEvent(pk=pk, log_index=size + i))
        AuditEvent.objects.bulk_update(updates, ["log_index"], batch_size=1000)
        at = timezone.now()
        tree_size, root_hash = frontier.size, frontier.root().hex()
        signed = signing.sign_jws(tree_head_payload(tree_size, root_hash, at))
        return AuditCheckpoint.objects.create(
            tree_size=tree_size,
            root_hash=root_hash,
            at=at,
            kid=signing.token_header(signed)["kid"],
            signed=signed,
            frontier=frontier.state(),
        )


def published(after: int = 0, limit: int = 1000) -> list[dict]:
    """Signed tree heads, oldest first, as published at ``/.well-known/zimao/checkpoints``."""
    return [
        {
            "tree_size": c.tree_size,
            "root_hash": c.root_hash,
            "timestamp": c.at.isoformat(timespec="seconds"),
            "kid": c.kid,
            "signed": c.signed,
        }
        for c in AuditCheckpoint.objects.filter(tree_size__gt=after).order_by("tree_size")[:limit]
    ]


def _checkpoint_of_size(tree_size: int | None) -> AuditCheckpoint:
    qs = AuditCheckpoint.objects.order_by("-tree_size")
    found = qs.filter(tree_size=tree_size).first() if tree_size is not None else qs.first()
    if found is None:
        raise LookupError(f"no checkpoint of size {tree_size}" if tree_size is not None else "no checkpoint yet")
    return found


def inclusion(event_hash_hex: str, tree_size: int | None = None) -> dict:
    """RFC 9162 inclusion proof of the event whose chain hash is given, in a signed tree head.

    Raises LookupError when the event is unknown or not yet in that checkpoint.
    """
    head = _checkpoint_of_size(tree_size)
    event = AuditEvent.objects.filter(hash=event_hash_hex).values_list("log_index", flat=True).first()
    if event is None:
        raise LookupError("no such event")
    if event >= head.tree_size:
        raise LookupError(f"the event is not in the checkpoint of size {head.tree_size} yet")
    leaves = _leaf_hashes(head.tree_size)
    return {
        "leaf_index": event,
        "tree_size": head.tree_size,
        "leaf_hash": leaves[event].hex(),
        "root_hash": head.root_hash,
        "signed": head.signed,
        "path": [h.hex() for h in merkle.inclusion_proof(event, leaves)],
    }


def consistency(first: int, second: int) -> dict:
    """RFC 9162 consistency proof between two signed tree heads (the log only appended)."""
    old, new = _checkpoint_of_size(first), _checkpoint_of_size(second)
    if old.tree_size > new.tree_size:
        raise ValueError("first must not be larger than second")
    leaves = _leaf_hashes(new.tree_size)
    path = merkle.consistency_proof(old.tree_size, leaves) if old.tree_size < new.tree_size else []
    return {
        "first": old.tree_size,
        "second": new.tree_size,
        "first_root": old.root_hash,
        "second_root": new.root_hash,
        "path": [h.hex() for h in path],
    }


# ---------------------------------------------------------------- verification


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None  # the id of the first broken event (its place in the global order)
    reason: str = ""
    checkpoints: int = 0
    where: str = ""  # object_type:object_id/object_seq of the broken link, or "checkpoint N"


def _verify_chains(batch: int) -> tuple[int, tuple | None]:
    """Walk every chain; (events checked, (event id, where, reason) of the earliest break)."""
    broken, checked, current, prev, expect = None, 0, None, GENESIS, 1

    def fail(pk, where, reason):
        nonlocal broken
        if broken is None or pk < broken[0]:
            broken = (pk, where, reason)

    rows = AuditEvent.objects.order_by("object_type", "object_id", "object_seq").values_list(
        "id", "object_type", "object_id", "object_seq", "at", "actor", "action", "before", "after", "prev_hash", "hash"
    )
    for pk, ot, oid, seq, at, actor, action, before, after, prev_hash, h in rows.iterator(chunk_size=batch):
        if (ot, oid) != current:
            current, prev, expect = (ot, oid), GENESIS, 1
        where = f"{ot}:{oid}/{seq}"
        checked += 1
        if seq != expect:
            fail(
                pk,
                where,
                f"event {expect} of this object's chain is missing (deleted or reordered)"
                if seq > expect
                else "this object's chain repeats a position (inserted)",
            )
        elif prev_hash != prev:
            fail(pk, where, "prev_hash does not match the previous event of this object (reordered or inserted)")
        elif event_hash(prev_hash, seq, at, actor, action, ot, oid, before, after) != h:
            fail(pk, where, "content does not match its hash (edited)")
        prev, expect = h, seq + 1
    return checked, broken


def verify_checkpoint_signature(head: AuditCheckpoint) -> str:
    """'' when the stored head's JWS is genuine and states exactly its size and root, else why not."""
    from zimao.core import signing

    try:
        payload = signing.verify_jws(head.signed)
    except signing.SignatureError as exc:
        return f"signature does not verify ({exc.code})"
    if (payload.get("typ"), payload.get("tree_size"), payload.get("root_hash")) != (
        CHECKPOINT_TYPE,
        head.tree_size,
        head.root_hash,
    ):
        return "the signed tree head does not state this size and root"
    return ""


def _verify_checkpoints(batch: int) -> tuple[int, tuple | None]:
    heads = list(AuditCheckpoint.objects.order_by("tree_size"))
    if not heads:
        return 0, None
    frontier, pending = merkle.Frontier(), iter(heads)
    head = next(pending)
    rows = (
        AuditEvent.objects.filter(log_index__isnull=False).order_by("log_index").values_list("id", "log_index", "hash")
    )
    checked = 0

    def close(head):
        why = verify_checkpoint_signature(head)
        if why:
            return (None, f"checkpoint {head.tree_size}", why)
        if frontier.root().hex() != head.root_hash:
            return (
                None,
                f"checkpoint {head.tree_size}",
                "the events no longer hash to the signed root (an event or a whole chain was rewritten)",
            )
        return None

    for pk, index, h in rows.iterator(chunk_size=batch):
        if head is None:
            break
        if index != frontier.size:
            return checked, (
                pk,
                f"log index {frontier.size}",
                "a checkpointed event is missing (deleted) or renumbered",
            )
        frontier.append(_leaf(h))
        while head is not None and frontier.size == head.tree_size:
            problem = close(head)
            if problem:
                return checked, problem
            checked += 1
            head = next(pending, None)
    if head is not None:
        return checked, (
            None,
            f"checkpoint {head.tree_size}",
            f"the log holds {frontier.size} checkpointed events, fewer than the signed size (deleted)",
        )
    return checked, None


def verify(batch: int = 5000) -> VerifyResult:
    """Check every chain and every checkpoint; report the first broken link."""
    checked, broken = _verify_chains(batch)
    heads, head_problem = _verify_checkpoints(batch)
    if broken:
        pk, where, reason = broken
        return VerifyResult(False, checked, pk, reason, heads, where)
    if head_problem:
        pk, where, reason = head_problem
        return VerifyResult(False, checked, pk, reason, heads, where)
    return VerifyResult(True, checked, checkpoints=heads)
