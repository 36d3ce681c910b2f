"""Helpers the crash test runs *inside* a zimao installation (``python -m reliability.crash_tools``):
seed the zone, wait for the queue to drain, run the recovery sweep, and inspect what survived.

Every check the crash test makes on the database is here, so it runs against exactly the data the
killed processes left, with the installation's own keys.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from datetime import timedelta


def setup():
    import django

    django.setup()


def seed() -> dict:
    from zimao.core.apiauth import issue_token
    from zimao.testing import build_zone

    zone = build_zone()
    return {
        role: issue_token(getattr(zone, role), "crash-test")
        for role in ("applicant", "applicant2", "reviewer", "clerk", "admin")
    }


def queue() -> dict:
    from django_tasks_db.models import DBTaskResult

    return dict(Counter(DBTaskResult.objects.values_list("status", flat=True)))


def drain(timeout: float) -> dict:
    """Wait until no task is waiting or running (the worker is running elsewhere)."""
    end = time.monotonic() + timeout
    while True:
        counts = queue()
        if not counts.get("READY") and not counts.get("RUNNING"):
            return counts
        if time.monotonic() > end:
            return counts
        time.sleep(0.3)


def sweep_now() -> dict:
    """The periodic sweep, with "stale" meaning "now": run only after everything was drained."""
    from zimao.cases.services import sweep

    return sweep(stale_after=timedelta(0), task_timeout=timedelta(0))


def inspect(acknowledged: dict) -> dict:
    """Every invariant of the case engine after the crashes; returns problems and figures."""
    from django.db.models import Count

    from zimao.cases.models import Case, Material, Task, Timer
    from zimao.cases.workflow import FINAL
    from zimao.cases.workflow import CaseStatus as S
    from zimao.core import audit
    from zimao.core.models import AuditEvent
    from zimao.licences import services as licences
    from zimao.licences.models import Credential
    from zimao.registry.models import MarketEntity, NameReservation

    problems: list[str] = []
    cases = {c.number: c for c in Case.objects.select_related("applicant")}

    def events(action_prefix: str) -> Counter:
        qs = AuditEvent.objects.filter(action__startswith=action_prefix)
        return Counter(qs.values_list("object_id", flat=True))

    submitted = events("case.submitted")
    # 1. every acknowledged submission exists, completely, as it was sent
    for key, ack in acknowledged["submissions"].items():
        case = cases.get(ack["number"])
        if case is None:
            problems.append(f"acknowledged case {ack['number']} (key {key}) is missing")
            continue
        if case.idempotency_key != key or case.applicant.username != ack["username"]:
            problems.append(f"{case.number}: key/applicant differ from what was acknowledged")
        if (case.data.get("name") or {}).get("trade_name") != ack["trade_name"]:
            problems.append(f"{case.number}: data differs from what was sent")
        n = Material.objects.filter(case=case).count()
        if n != ack["materials"]:
            problems.append(f"{case.number}: {n} materials, {ack['materials']} were sent")
    # 2. every acknowledged decision holds
    for task_id, outcome in acknowledged["decisions"].items():
        task = Task.objects.filter(pk=int(task_id)).first()
        want = {"approve": Task.Status.APPROVED, "refuse": Task.Status.REFUSED}[outcome]
        if task is None or task.status != want:
            problems.append(f"acknowledged decision {outcome} on task {task_id} is not there ({task and task.status})")
    # 3. no case is half-written, and every case is at rest: finished, or waiting for a person
    entities = {e.case_number: e for e in MarketEntity.objects.all()}
    creds = Counter(Credential.objects.values_list("case_number", flat=True))
    reservations = set(NameReservation.objects.values_list("case_number", flat=True))
    due_timers = set(Timer.objects.filter(kind=Timer.Kind.CASE_DUE).values_list("case_id", flat=True))
    open_tasks = Counter(Task.objects.filter(status=Task.Status.OPEN).values_list("case_id", flat=True))
    for number, case in cases.items():
        where = f"{number} ({case.status})"
        if submitted[str(case.pk)] != 1:
            problems.append(f"{where}: {submitted[str(case.pk)]} submission events")
        if case.pk not in due_timers:
            problems.append(f"{where}: no deadline timer")
        if number not in reservations:
            problems.append(f"{where}: no name reservation")
        if case.status not in FINAL and not open_tasks[case.pk]:
            problems.append(f"{where}: stalled — not finished and nobody has a task on it")
        reg = case.tasks.filter(key="registration").first()
        if reg and reg.status == Task.Status.APPROVED and number not in entities:
            problems.append(f"{where}: registration approved but no company")
        if case.status in (S.ISSUED, S.DELIVERED):
            entity = entities.get(number)
            if entity is None or case.results.get("uscc") != entity.uscc:
                problems.append(f"{where}: issued without its company / USCC")
            if creds[number] != 1 or len(case.outputs) != 1:
                problems.append(f"{where}: {creds[number]} licences, outputs {case.outputs}")
            elif not licences.verify(case.outputs[0]["identifier"]).genuine:
                problems.append(f"{where}: its licence does not verify")
    # 4. nothing done twice
    for label, counter in (
        ("companies", Counter(e.case_number for e in entities.values())),
        ("licences", creds),
        ("registrations", events("entity.registered")),
        ("issuings", events("case.issued")),
        ("deliveries", events("case.delivered")),
        ("licence signatures", events("credential.issue")),
        ("task approvals", events("task.approved")),
        ("task refusals", events("task.refused")),
    ):
        twice = {k: v for k, v in counter.items() if v > 1}
        if twice:
            problems.append(f"{label} done more than once: {dict(list(twice.items())[:5])}")
    usccs = list(MarketEntity.objects.values_list("uscc", flat=True))
    if len(usccs) != len(set(usccs)):
        problems.append("a USCC was issued twice")
    identifiers = list(Credential.objects.values_list("identifier", flat=True))
    if len(identifiers) != len(set(identifiers)):
        problems.append("a licence number was issued twice")
    dup_keys = Case.objects.values("applicant", "idempotency_key").annotate(n=Count("id")).filter(n__gt=1)
    if dup_keys.exists():
        problems.append(f"two cases for one idempotency key: {list(dup_keys[:3])}")
    # 5. the queue is empty and nothing ran twice
    from django_tasks_db.models import DBTaskResult

    q = queue()
    if q.get("READY") or q.get("RUNNING"):
        problems.append(f"work left in the queue: {q}")
    failed = [
        (r.task_path.rsplit(".", 1)[-1], r.exception_class_path, (r.traceback.strip().splitlines() or [""])[-1][:200])
        for r in DBTaskResult.objects.filter(status="FAILED")
    ]
    # A task whose worker was killed mid-way was claimed again after recovery: its first attempt
    # rolled back, so its effects are there once (checked above). Counted, not a problem.
    retried = sum(1 for ids in DBTaskResult.objects.values_list("worker_ids", flat=True) if len(ids) > 1)
    # 6. the audit chain
    result = audit.verify()
    if not result.ok:
        problems.append(f"audit chain broken at #{result.broken_seq}: {result.reason}")
    return {
        "problems": problems,
        "cases": len(cases),
        "acknowledged": len(acknowledged["submissions"]),
        "decisions": len(acknowledged["decisions"]),
        "companies": len(usccs),
        "licences": len(identifiers),
        "statuses": dict(Counter(c.status for c in cases.values())),
        "queue": q,
        "failed_tasks": failed[:20],
        "failed": len(failed),
        "retried_after_crash": retried,
        "audit_events": result.checked,
    }


def summary() -> dict:
    """What a restored installation holds: row counts, and proof that it works with its keys."""
    import hashlib

    from django.apps import apps

    from zimao.cases.models import Material
    from zimao.core import audit
    from zimao.licences import services as licences
    from zimao.licences.models import Credential
    from zimao.registry.models import MarketEntity

    counts = {m._meta.label: m.objects.count() for m in apps.get_models() if m._meta.managed}
    materials_ok = True
    for m in Material.objects.all():
        with m.file.open("rb") as f:
            materials_ok &= hashlib.sha256(f.read()).hexdigest() == m.sha256
    return {
        "counts": counts,
        "audit_ok": audit.verify().ok,
        "licences_genuine": all(licences.verify(c.identifier).genuine for c in Credential.objects.all()),
        "materials_ok": materials_ok,
        "ids_decrypt": sorted({e.legal_rep_id for e in MarketEntity.objects.exclude(legal_rep_id="")}),
    }


def main(argv: list[str]) -> None:
    setup()
    command = argv[0]
    if command == "seed":
        out = seed()
    elif command == "drain":
        out = drain(float(argv[1]))
    elif command == "summary":
        out = summary()
    elif command == "sweep":
        out = sweep_now()
    elif command == "inspect":
        with open(argv[1], encoding="utf-8") as f:
            out = inspect(json.load(f))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
