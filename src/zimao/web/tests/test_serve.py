"""``zimao serve`` requeues what a dead worker left RUNNING before its own worker starts."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from zimao.web.management.commands.serve import Command

pytestmark = pytest.mark.django_db


def _running(started_minutes_ago: int) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status="RUNNING", started_at=now - timedelta(minutes=started_minutes_ago), args_kwargs={"args": [], "kwargs": {}},
        task_path="zimao.monitor.tasks.apply_event_task", backend_name="default", queue_name="default",
        run_after=now - timedelta(minutes=started_minutes_ago), exception_class_path="", traceback="")


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
