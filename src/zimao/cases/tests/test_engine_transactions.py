"""Short transactions in the engine: statements per straight-through case (counted, not timed),
the same audit trail as before, and straight-through work continuing right after commit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks.base import TaskResultStatus

from zimao.cases.models import Case
from zimao.cases.workflow import CaseStatus
from zimao.core import audit
from zimao.testing import submit, upload_materials

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Measured: 91 statements on SQLite, 92 on PostgreSQL (the audit's per-object advisory locks) for
# submit + advance of one 企业开办 case, in a test that also delivers the announced events inline
# (3 events × 12 outbox and dashboard statements that a worker runs after commit in production;
# the engine bench counts 57 without them). That includes the five step documents (办理结果: one
# read of what the case already has, one multi-row counter upsert, one INSERT). Folded since 127:
# the case's tasks and departments read once per run, the run's task moves in one UPDATE, the
# entity and its establishment steps read once and the steps inserted together (context memo,
# ``plugins.at_end_of_run``), the zone profile once per run, the holder's verification version one
# upsert, the name reserved with one INSERT and checked with one statement, the materials attached
# with one UPDATE. It was 265 with one audit INSERT (and its savepoint and head row) per event.
# Then the applicant's notifications (zimao.notify): ``case.decided`` and ``case.issued`` are
# 2 statements each in the engine's transaction (look-up by key, insert); the other 17 of each
# are their inline delivery to notify's three subscribers, which a worker runs after commit in
# production. Measured with them: 130 on SQLite, 131 on PostgreSQL (the engine bench: 64; who
# approved is read from the run's tasks).
# A case approved and issued in the same run is then told once (the issued message says both):
# 123 on SQLite, 124 on PostgreSQL.
# Announcing made cheap (issue 11): a run's announcements are buffered (``events.buffered()``) and
# written with one INSERT … ON CONFLICT DO NOTHING (no look-up by key first), with one queued
# delivery for all of them: 114 on SQLite, 115 on PostgreSQL (the engine bench: 64 → 51 SQLite,
# 60 → 47 PostgreSQL).
# The run in the submitting transaction itself (a savepoint; one write transaction per case, no
# queue row to insert and claim, the case not read back, its tasks known to be none): 111 on
# SQLite, 112 on PostgreSQL (the engine bench: 51 → 44 on SQLite).
# Reference data from the process's cache (core.refcache): the service item, its process version,
# the departments and the zone profile are not read per case, and which signing key is active is
# one plain-SQL query (the key's row is cached): 105 → 102 on SQLite, 106 → 103 on PostgreSQL (one
# of them the key's row, read again after the warm-up created it; the engine bench: 37 → 33 on
# SQLite).
# The saved draft let go of with two plain statements instead of the ORM's delete (one SELECT,
# then its collector): one statement more, less CPU inside the write lock: 103 / 104.
STATEMENTS_PER_STRAIGHT_THROUGH_CASE = 104


@pytest.mark.django_db
def test_a_straight_through_establishment_takes_a_bounded_number_of_statements(zone):
    submit(zone.applicant, "热身", key="warm-up")  # first-use work (the signing key) out of the count
    materials = upload_materials(zone.applicant)
    with CaptureQueriesContext(connection) as queries:
        case = submit(zone.applicant, "智远", materials=materials).case
    assert case.status == CaseStatus.DELIVERED
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) <= STATEMENTS_PER_STRAIGHT_THROUGH_CASE, len(statements)
    audit_inserts = [s for s in statements if s.startswith('INSERT INTO "core_auditevent"')]
    assert len(audit_inserts) == 1  # the engine's events go in together (tests run the task inline)
    outbox_inserts = [s for s in statements if 'INTO "core_outboxevent"' in s]
    assert len(outbox_inserts) == 1  # the run announces its events together (no look-up first)
    assert sum(s.startswith('SELECT "cases_material"."key"') for s in statements) <= 1  # materials read once
    assert audit.verify().ok


@pytest.mark.django_db
def test_the_audit_trail_of_a_straight_through_case_is_unchanged(zone):
    case = submit(zone.applicant).case
    assert [(e.actor, e.action) for e in audit.history("cases.case", case.pk)] == [
        ("applicant", "case.submitted"),
        ("system:intake", "case.accepted.auto"),
        ("system", "case.in_review"),
        ("system", "case.approved"),
        ("system:output-window", "case.issued"),
        ("system:output-window", "case.delivered.electronic"),
    ]
    tasks = audit.history("cases.task", case.tasks.get(key="tax").pk)
    assert [e.action for e in tasks] == ["task.created", "task.approved"]
    assert [e.object_seq for e in tasks] == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_straight_through_work_runs_in_the_submitting_transaction(zone, settings):
    """With the database queue and no worker running, the case is already delivered when submit
    returns: the engine ran in the submitting transaction (one write transaction per case), so
    there is no queue row for a worker to claim or repeat."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE
    materials = upload_materials(zone.applicant)
    with CaptureQueriesContext(connection) as queries:
        case = submit(zone.applicant, materials=materials).case
    assert case.status == CaseStatus.DELIVERED
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DELIVERED
    assert not DBTaskResult.objects.filter(task_path__endswith="advance_case").exists()
    if connection.vendor == "sqlite":
        assert sum(q["sql"].startswith("BEGIN") for q in queries.captured_queries) == 1
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_a_failed_inline_run_leaves_the_work_queued_for_a_worker(zone, settings, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from zimao.cases import services
    from zimao.cases.tasks import advance_case

    settings.TASKS = DATABASE_QUEUE
    real_advance = services.advance

    def broken(case_id, actor=None, **kwargs):
        real_advance(case_id, actor, **kwargs)
        raise RuntimeError("the web process fails mid-way")

    monkeypatch.setattr(services, "advance", broken)
    case = submit(zone.applicant).case
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == CaseStatus.SUBMITTED  # the run rolled back, nothing half-done
    assert stored.results and stored.results == case.results  # the submission's own effects kept
    assert not stored.tasks.exists()
    [row] = DBTaskResult.objects.filter(task_path__endswith="advance_case")
    assert row.status == TaskResultStatus.READY
    monkeypatch.setattr(services, "advance", real_advance)
    assert advance_case.call(case.pk) == CaseStatus.DELIVERED  # what the worker does with the row
    assert audit.verify().ok


@pytest.mark.django_db(transaction=True)
def test_inline_runs_can_be_switched_off(zone, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_QUEUE
    settings.ADVANCE_INLINE = False
    case = submit(zone.applicant).case
    assert case.status == CaseStatus.SUBMITTED
    assert DBTaskResult.objects.get(task_path__endswith="advance_case").status == TaskResultStatus.READY


@pytest.mark.django_db
def test_an_applicant_can_prove_an_event_of_their_case_is_in_a_signed_checkpoint(zone):
    """The case history (API) gives each event's chain hash; the public proof endpoint puts it in
    a signed tree head — no account needed for the proof."""
    from django.test import Client

    from zimao.core import merkle
    from zimao.core.apiauth import issue_token

    case = submit(zone.applicant).case
    head = audit.checkpoint()
    applicant = Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(zone.applicant, 'test')}")
    history = applicant.get(f"/api/v1/cases/{case.number}/history").json()
    delivered = history[-1]
    assert delivered["action"] == "case.delivered.electronic" and len(delivered["hash"]) == 64
    proof = Client().get("/.well-known/zimao/audit/inclusion", {"hash": delivered["hash"]}).json()
    assert proof["tree_size"] == head.tree_size
    merkle.verify_inclusion(
        merkle.leaf_hash(bytes.fromhex(delivered["hash"])),
        proof["leaf_index"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["path"]],
        bytes.fromhex(head.root_hash),
    )
