"""``zimao serve`` requeues what a dead worker left RUNNING before its own worker starts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from zimao.core.models import WorkerLease
from zimao.core.recovery import DEFAULT_TASK_TIMEOUT, LeaseKeeper, requeue_orphaned_tasks
from zimao.web.management.commands.serve import Command

pytestmark = pytest.mark.django_db


def _running(started_minutes_ago: int, worker: str | None = None) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status="RUNNING",
        started_at=now - timedelta(minutes=started_minutes_ago),
        args_kwargs={"args": [], "kwargs": {}},
        worker_ids=[worker] if worker else [],
        task_path="zimao.monitor.tasks.apply_event_task",
        backend_name="default",
        queue_name="default",
        run_after=now - timedelta(minutes=started_minutes_ago),
        exception_class_path="",
        traceback="",
    )


def test_single_node_requeues_every_running_task():
    fresh, stale = _running(1), _running(60)
    ids = Command().recover(shared_queue=False)
    assert set(ids) == {str(fresh.pk), str(stale.pk)}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"READY"}


def test_shared_queue_leaves_tasks_another_node_may_be_running():
    fresh, stale = _running(1), _running(60)
    assert Command().recover(shared_queue=True) == [str(stale.pk)]
    fresh.refresh_from_db()
    assert fresh.status == "RUNNING"


def test_nothing_to_recover_says_nothing(capsys):
    cmd = Command()
    assert cmd.recover(shared_queue=False) == []
    assert capsys.readouterr().out == ""


def _lease(worker: str, seconds_left: float) -> None:
    now = timezone.now()
    WorkerLease.objects.create(worker_id=worker, renewed_at=now, expires_at=now + timedelta(seconds=seconds_left))


def test_a_live_lease_is_never_requeued_even_on_a_single_node():
    """Issue 12 item 6: a second serve beside a live orphan must not steal the orphan's task."""
    held = _running(60, worker="alive")
    _lease("alive", 20)
    dead = _running(0, worker="dead")
    _lease("dead", -1)
    leaseless = _running(0, worker="bare-db-worker")
    assert set(Command().recover(shared_queue=False)) == {str(dead.pk), str(leaseless.pk)}
    held.refresh_from_db()
    assert held.status == "RUNNING"


def test_shared_queue_takes_expired_leases_at_once_and_leaseless_tasks_by_age():
    dead = _running(0, worker="dead")
    _lease("dead", -1)
    young, old = _running(1, worker="bare"), _running(60, worker="bare")
    _lease("alive", 20)
    held = _running(60, worker="alive")
    assert set(requeue_orphaned_tasks(DEFAULT_TASK_TIMEOUT)) == {str(dead.pk), str(old.pk)}
    assert DBTaskResult.objects.get(pk=young.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=held.pk).status == "RUNNING"


def test_lease_keeper_renews_and_gives_back():
    keeper = LeaseKeeper("w-1", lease_seconds=30, sweep=False)
    keeper.renew()
    first = WorkerLease.objects.get(worker_id="w-1")
    assert first.expires_at > timezone.now() + timedelta(seconds=25) and first.pid
    keeper.renew()
    assert WorkerLease.objects.get(worker_id="w-1").renewed_at >= first.renewed_at
    assert WorkerLease.objects.count() == 1
    keeper.stop()
    assert not WorkerLease.objects.exists()


def test_bind_check_refuses_a_taken_port():
    import socket

    from django.core.management.base import CommandError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(CommandError, match="cannot listen"):
            Command().check_port("127.0.0.1", taken.getsockname()[1])
