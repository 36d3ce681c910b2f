"""Concurrency: the same thing done at the same moment has exactly one effect.

Real threads (each with its own database connection) and real processes against the real
database — the PostgreSQL test database, or on SQLite a migrated *file* (``real_db``), since an
in-memory database is not what production runs on. A barrier releases the contenders together;
each race is repeated so an unlucky interleaving is likely to be met.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connections
from django.test import Client, override_settings
from django.utils import timezone

from reliability.conftest import DB_QUEUE, same_keys_env
from zimao.testing import application, upload_materials

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 4


def race(*calls, timeout: float = 120) -> list:
    """Run the calls in threads released together; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=30)
            results[i] = call()
        except BaseException as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a contender hung (deadlock?)"
    return results


@pytest.fixture
def zone(real_db):
    from zimao.testing import build_zone

    return build_zone()


NAMES = iter("".join(p) for p in __import__("itertools").product("琪瑶瑾璇珂琳璐琼", repeat=3))


def _custom_case(zone, user=None):
    from zimao.cases.services import submit

    user = user or zone.applicant
    return submit(
        user,
        "QYKB-001",
        application(next(NAMES), registration={"articles": "custom"}),
        materials=upload_materials(user),
    ).case


def _audit_count(action, object_id=None):
    from zimao.core.models import AuditEvent

    qs = AuditEvent.objects.filter(action=action)
    return qs.filter(object_id=str(object_id)).count() if object_id is not None else qs.count()


def test_two_reviewers_deciding_the_same_task_have_one_effect(zone, real_db):
    from zimao.cases.models import Case, Task
    from zimao.cases.services import decide
    from zimao.core import audit
    from zimao.core.errors import Conflict
    from zimao.registry.models import MarketEntity

    for round_ in range(ROUNDS):
        case = _custom_case(zone)
        task = case.tasks.get(key="registration")
        deciders = [zone.reviewer, zone.admin, zone.reviewer, zone.admin]
        outcomes = ["approve", "approve", "refuse", "correct"] if round_ % 2 else ["approve"] * 4
        results = race(
            *[(lambda u=u, o=o: decide(task.pk, u, o, "理由")) for u, o in zip(deciders, outcomes, strict=False)]
        )
        won = [r for r in results if isinstance(r, Task)]
        lost = [r for r in results if isinstance(r, Conflict)]
        assert len(won) == 1 and len(lost) == 3, results
        task.refresh_from_db()
        case = Case.objects.get(pk=case.pk)
        decided = (
            _audit_count("case.correction_requested", case.pk)
            if task.status == Task.Status.CORRECTION
            else _audit_count(f"task.{task.status}", task.pk)
        )
        assert decided == 1, f"round {round_}: the task was decided {decided} times"
        entities = MarketEntity.objects.filter(case_number=case.number).count()
        assert entities == (1 if task.status == Task.Status.APPROVED else 0)
        if entities:
            assert case.results["uscc"] == MarketEntity.objects.get(case_number=case.number).uscc
    assert audit.verify().ok


def test_two_submissions_with_one_idempotency_key_make_one_case(zone, real_db):
    """Four identical requests at once (a double click, a retry): one case, every caller gets it."""
    from zimao.cases.models import Case
    from zimao.cases.services import submit
    from zimao.core import audit
    from zimao.registry.models import NameReservation

    for round_ in range(ROUNDS):
        key = f"double-click-{round_}"
        name = next(NAMES)
        mats = upload_materials(zone.applicant)  # a double click sends the same body: the same files
        calls = [
            (lambda: submit(zone.applicant, "QYKB-001", application(name), materials=mats, idempotency_key=key))
            for _ in range(4)
        ]
        results = race(*calls)
        errors = [r for r in results if isinstance(r, BaseException)]
        assert not errors, errors
        assert len({r.case.number for r in results}) == 1
        assert sum(r.created for r in results) == 1
        case = Case.objects.get(applicant=zone.applicant, idempotency_key=key)
        assert _audit_count("case.submitted", case.pk) == 1
        assert NameReservation.objects.filter(case_number=case.number).count() == 1
    assert Case.objects.filter(idempotency_key__startswith="double-click-").count() == ROUNDS
    assert audit.verify().ok


def test_the_same_idempotency_key_over_the_api_at_once(zone, real_db):
    from zimao.cases.models import Case
    from zimao.core.apiauth import issue_token

    token = issue_token(zone.applicant2)
    for round_ in range(ROUNDS):
        key = f"api-retry-{round_}"
        body = json.dumps(
            {"service": "QYKB-001", "data": application(next(NAMES)), "materials": upload_materials(zone.applicant2)}
        )

        def post():
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
            response = client.post("/api/v1/cases", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)
            return response.status_code, response.json().get("number")

        results = race(post, post, post)
        assert sorted(s for s, _ in results) == [200, 200, 201], results
        assert len({n for _, n in results}) == 1
        assert Case.objects.filter(idempotency_key=key).count() == 1


def _overdue_tasks(zone, n: int):
    from zimao.cases.models import Timer

    cases = [_custom_case(zone, zone.applicant if i % 2 else zone.applicant2) for i in range(n)]
    past = timezone.localdate() - timedelta(days=30)
    Timer.objects.filter(case__in=cases).update(fire_on=past)
    return cases


def test_two_workers_sweeping_the_same_timers_fire_each_once(zone, real_db):
    """Threads: the conditional UPDATE that claims a timer lets exactly one sweeper fire it."""
    from zimao.cases.models import Notification, Timer
    from zimao.cases.services import sweep
    from zimao.core import audit

    cases = _overdue_tasks(zone, 6)
    timers = Timer.objects.filter(case__in=cases).count()
    results = race(*[sweep for _ in range(4)])
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r["fired"] for r in results) == timers
    assert not Timer.objects.filter(case__in=cases, fired_at__isnull=True).exists()
    for case in cases:
        task = case.tasks.get(key="registration")
        assert _audit_count("task.overdue", task.pk) == 1
        assert _audit_count("case.overdue", case.pk) == 1
        # the department and the administrator (督办) are told once each, the case once
        assert Notification.objects.filter(case=case, department__isnull=False).count() == 3
    assert audit.verify().ok


@pytest.mark.slow
def test_sweeper_processes_started_together_fire_each_timer_once(zone, real_db, tmp_path):
    """Processes: three ``zimao sweep`` commands at once over the same due timers."""
    from zimao.cases.models import Timer

    cases = _overdue_tasks(zone, 12)
    timers = Timer.objects.filter(case__in=cases).count()
    connections.close_all()
    env = same_keys_env(tmp_path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "zimao", "sweep"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    fired = [json.loads(out.strip().splitlines()[-1])["fired"] for out, _ in outputs]
    assert sum(fired) == timers, fired
    assert not Timer.objects.filter(case__in=cases, fired_at__isnull=True).exists()
    for case in cases:
        assert _audit_count("task.overdue", case.tasks.get(key="registration").pk) == 1


@pytest.mark.slow
def test_two_queue_workers_never_run_one_task_twice(zone, real_db, tmp_path):
    """Two ``zimao db_worker`` processes, both polling, then a burst of engine runs: each task runs
    once (claimed by one worker), and each case goes through once (one company, one licence)."""
    import signal

    from django_tasks_db.models import DBTaskResult

    from zimao.cases.models import Case
    from zimao.cases.services import submit
    from zimao.core import audit
    from zimao.licences.models import Credential

    env = same_keys_env(tmp_path)
    cmd = [sys.executable, "-m", "zimao", "db_worker", "--no-startup-delay", "--interval", "0.05", "--no-reload"]
    logs = [tmp_path / f"worker{i}.log" for i in range(2)]
    procs = [subprocess.Popen(cmd, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT) for log in logs]
    try:
        deadline = time.monotonic() + 60
        while not all("Starting worker" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            assert all(p.poll() is None for p in procs), [log.read_text() for log in logs]
            time.sleep(0.1)
        with override_settings(TASKS=DB_QUEUE, ADVANCE_INLINE=False):  # the workers, not the inline run, here
            numbers = [
                submit(
                    zone.applicant, "QYKB-001", application(next(NAMES)), materials=upload_materials(zone.applicant)
                ).case.number
                for _ in range(16)
            ]
        deadline = time.monotonic() + 180
        while DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists():
            assert time.monotonic() < deadline, "the workers did not drain the queue"
            time.sleep(0.2)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=60)
    connections.close_all()
    results = list(DBTaskResult.objects.all())  # the engine runs, and what they enqueued in turn
    assert len(results) >= 16
    assert set(Counter(r.status for r in results)) == {"SUCCESSFUL"}, [(r.status, r.traceback[-300:]) for r in results]
    assert all(len(r.worker_ids) == 1 for r in results), "a task was claimed by two workers"
    assert len({w for r in results for w in r.worker_ids}) == 2, "both workers took part"
    for number in numbers:
        case = Case.objects.get(number=number)
        assert case.status == "delivered"
        assert Credential.objects.filter(case_number=number).count() == 1
        assert _audit_count("case.issued", case.pk) == 1
    assert audit.verify().ok


def test_a_retry_that_passed_the_key_check_before_the_first_commit_still_gets_the_case(zone, real_db, monkeypatch):
    """The narrowest interleaving, forced: the retry looks for its key (not there yet), the first
    request then commits, the retry goes on. It must answer with the first request's case — not
    refuse the application because "its" name is now taken by itself."""
    from zimao.cases import services

    original = services.catalog.get_service
    first_done = threading.Event()

    def get_service(code):
        if threading.current_thread().name == "retry":
            first_done.wait(30)  # the key check has passed; now let the first request commit
        return original(code)

    monkeypatch.setattr(services.catalog, "get_service", get_service)
    name, key = next(NAMES), "retry-after-commit"
    box = {}
    mats = upload_materials(zone.applicant)

    def retry():  # the same request again (same body, same key)
        try:
            box["retry"] = services.submit(
                zone.applicant, "QYKB-001", application(name), materials=mats, idempotency_key=key
            )
        except BaseException as exc:
            box["retry"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=retry, name="retry")
    thread.start()
    time.sleep(0.5)  # the retry is now waiting inside submit, past its key check
    first = services.submit(zone.applicant, "QYKB-001", application(name), materials=mats, idempotency_key=key)
    first_done.set()
    thread.join(60)
    assert first.created
    assert not isinstance(box["retry"], BaseException), box["retry"]
    assert box["retry"].case.number == first.case.number and not box["retry"].created
