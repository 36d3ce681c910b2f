"""The audit trail: per-object hash chains, buffered appends, signed Merkle checkpoints, proofs,
and ``zimao audit verify`` naming the first broken link for every kind of tampering."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from joserfc import jws
from joserfc.jwk import KeySet

from zimao.core import audit, merkle, sequences, signing
from zimao.core.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db


def _events():
    """Two objects, interleaved, as real writers produce them (after the signing key's own event)."""
    signing.active_key()
    for i in range(4):
        audit.record("alice", "case.step", object_type="cases.case", object_id=1, after={"i": i})
        audit.record("bob", "task.step", object_type="cases.task", object_id=7, after={"i": i})
    return list(AuditEvent.objects.order_by("id"))


def _case_chain():
    return list(AuditEvent.objects.filter(object_type="cases.case", object_id="1").order_by("object_seq"))


def test_each_object_keeps_its_own_chain():
    events = _events()
    case_events = [e for e in events if e.object_type == "cases.case"]
    assert [e.object_seq for e in case_events] == [1, 2, 3, 4]
    assert case_events[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(case_events, case_events[1:], strict=False))
    assert [e.action for e in audit.history("cases.case", 1)] == ["case.step"] * 4
    result = audit.verify()
    assert result.ok and result.checked == 9


def test_an_edited_event_is_named():
    _events()
    victim = _case_chain()[2]
    AuditEvent.objects.filter(pk=victim.pk).update(after={"i": 99})
    result = audit.verify()
    assert not result.ok and result.broken_seq == victim.pk
    assert result.where == "cases.case:1/3" and "edited" in result.reason


def test_a_deleted_event_is_named():
    _events()
    victim = _case_chain()[1]
    AuditEvent.objects.filter(pk=victim.pk).delete()
    result = audit.verify()
    assert not result.ok and result.where == "cases.case:1/3" and "missing" in result.reason


def test_reordered_events_are_detected():
    _events()
    a, b = _case_chain()[1:3]
    # swap the two events whole (content, links, hashes), keeping their positions in the chain
    fields = ["at", "actor", "action", "before", "after", "prev_hash", "hash"]
    AuditEvent.objects.filter(pk=b.pk).update(hash="e" * 64)  # free b's unique hash for the swap
    AuditEvent.objects.filter(pk=a.pk).update(**{f: getattr(b, f) for f in fields})
    AuditEvent.objects.filter(pk=b.pk).update(**{f: getattr(a, f) for f in fields})
    result = audit.verify()
    assert not result.ok and result.where == "cases.case:1/2"


def test_an_inserted_event_is_detected():
    _events()
    chain = _case_chain()
    # make room after the second event and slip a forged one in with a correct-looking link
    for ev in reversed(chain[2:]):
        AuditEvent.objects.filter(pk=ev.pk).update(object_seq=ev.object_seq + 1)
    forged = chain[1]
    at = forged.at
    digest = audit.event_hash(forged.hash, 3, at, "mallory", "case.step", "cases.case", "1", None, {"i": "forged"})
    AuditEvent.objects.create(
        at=at,
        actor="mallory",
        action="case.step",
        object_type="cases.case",
        object_id="1",
        object_seq=3,
        before=None,
        after={"i": "forged"},
        prev_hash=forged.hash,
        hash=digest,
    )
    result = audit.verify()
    assert not result.ok and result.where == "cases.case:1/4" and "prev_hash" in result.reason


def _rewrite_chain(object_type, object_id, change):
    """What an insider with database access would do: edit, then recompute every hash after it."""
    prev = audit.GENESIS
    for ev in AuditEvent.objects.filter(object_type=object_type, object_id=object_id).order_by("object_seq"):
        after = change(ev)
        digest = audit.event_hash(
            prev, ev.object_seq, ev.at, ev.actor, ev.action, ev.object_type, ev.object_id, ev.before, after
        )
        AuditEvent.objects.filter(pk=ev.pk).update(after=after, prev_hash=prev, hash=digest)
        prev = digest


def test_a_whole_chain_rewritten_with_recomputed_hashes_is_caught_by_the_checkpoint():
    _events()
    head = audit.checkpoint()
    assert head.tree_size == 9 and audit.verify().ok
    _rewrite_chain("cases.case", "1", lambda ev: {**ev.after, "i": 42})
    result = audit.verify()
    assert result.checked == 9 and not result.ok  # every chain link holds …
    assert result.where == "checkpoint 9" and "rewritten" in result.reason  # … but the signed root does not


def test_deleting_a_checkpointed_tail_event_is_caught():
    _events()
    audit.checkpoint()
    last = _case_chain()[-1]
    AuditEvent.objects.filter(pk=last.pk).delete()  # the chain alone cannot see a missing tail
    result = audit.verify()
    assert not result.ok and "deleted" in result.reason


def test_a_forged_checkpoint_signature_is_caught():
    _events()
    head = audit.checkpoint()
    header, payload, sig = head.signed.split(".")
    AuditCheckpoint.objects.filter(pk=head.pk).update(signed=f"{header}.{payload}.{sig[::-1]}")
    result = audit.verify()
    assert not result.ok and result.where == "checkpoint 9" and "signature" in result.reason


def test_checkpoints_extend_the_log_and_only_new_events_join():
    _events()
    first = audit.checkpoint()
    assert audit.checkpoint() is None  # nothing new
    audit.record("alice", "case.step", object_type="cases.case", object_id=1)
    second = audit.checkpoint()
    assert (first.tree_size, second.tree_size) == (9, 10)
    assert sorted(AuditEvent.objects.values_list("log_index", flat=True)) == list(range(10))
    proof = audit.consistency(9, 10)
    merkle.verify_consistency(
        9,
        10,
        bytes.fromhex(first.root_hash),
        bytes.fromhex(second.root_hash),
        [bytes.fromhex(h) for h in proof["path"]],
    )
    assert audit.verify().ok and audit.verify().checkpoints == 2


def test_buffered_events_are_one_insert_and_a_rolled_back_savepoint_drops_its_events():
    audit.record("alice", "case.step", object_type="cases.case", object_id=1)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries, audit.buffered():
            for i in range(10):
                audit.record("alice", "case.step", object_type="cases.case", object_id=1, after={"i": i})
            audit.record("alice", "task.step", object_type="cases.task", object_id=2)
            try:
                with transaction.atomic():
                    audit.record("alice", "case.undone", object_type="cases.case", object_id=1)
                    raise RuntimeError
            except RuntimeError:
                pass
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert len(queries) <= 6  # savepoints, (advisory lock), chain tips, one INSERT
    assert [e.object_seq for e in _case_chain()] == list(range(1, 12))
    assert not AuditEvent.objects.filter(action="case.undone").exists()
    assert audit.verify().ok


def test_published_checkpoints_and_proofs_verify_with_public_keys_only(client):
    _events()
    head = audit.checkpoint()
    body = client.get("/.well-known/zimao/checkpoints").json()
    assert body["origin"] == audit.origin() and [c["tree_size"] for c in body["checkpoints"]] == [9]
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    claims = jws.deserialize_compact(body["checkpoints"][0]["signed"], keys, algorithms=["Ed25519", "EdDSA"]).payload
    import json

    stated = json.loads(claims)
    assert (stated["tree_size"], stated["root_hash"]) == (9, head.root_hash)
    event = _case_chain()[2]
    proof = client.get("/.well-known/zimao/audit/inclusion", {"hash": event.hash}).json()
    merkle.verify_inclusion(
        merkle.leaf_hash(bytes.fromhex(event.hash)),
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(stated["root_hash"]),
    )
    audit.record("alice", "case.step", object_type="cases.case", object_id=1)
    audit.checkpoint()
    c = client.get("/.well-known/zimao/audit/consistency", {"first": 9, "second": 10}).json()
    assert c["first_root"] == head.root_hash and len(c["path"]) >= 1
    assert client.get("/.well-known/zimao/checkpoints", {"after": 9}).json()["checkpoints"][0]["tree_size"] == 10


def test_proof_endpoints_refuse_bad_input_in_both_languages(client):
    response = client.get("/.well-known/zimao/audit/inclusion", {"hash": "nothex"})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "hash" and error["message_zh"] and error["message_en"]
    assert client.get("/.well-known/zimao/audit/inclusion", {"hash": "a" * 64}).status_code == 404
    assert (
        client.get("/.well-known/zimao/audit/consistency", {"first": "x", "second": 2}).json()["errors"][0]["field"]
        == "first"
    )
    assert client.get("/.well-known/zimao/audit/consistency", {"first": 3, "second": 2}).status_code == 400
    assert client.get("/.well-known/zimao/checkpoints", {"after": "-1"}).status_code == 400
    assert client.post("/.well-known/zimao/checkpoints").status_code == 405


def test_the_command_checkpoints_and_names_the_broken_link():
    _events()
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert "tree_size=9" in out.getvalue()
    call_command("audit", "verify", stdout=out)
    assert "9 events" in out.getvalue() and "1 checkpoints" in out.getvalue()
    victim = _case_chain()[0]
    AuditEvent.objects.filter(pk=victim.pk).update(actor="mallory")
    with pytest.raises(CommandError, match=f"event id {victim.pk} .cases.case:1/1.: content does not match"):
        call_command("audit", "verify", stdout=out)


def test_counters_count_without_any_zone_wide_audit_row():
    with CaptureQueriesContext(connection) as queries:
        values = [sequences.next_value("test-counter") for _ in range(3)]
    assert values == [1, 2, 3] and sequences.next_value("other") == 1
    assert all("auditevent" not in q["sql"].lower() for q in queries.captured_queries)
