"""Recovery after a crash — 故障恢复: work a dead worker had claimed goes back to the queue.

django-tasks-db marks a task RUNNING when a worker claims it and SUCCESSFUL/FAILED when it ends.
A worker killed in between (SIGKILL, out of memory, power) leaves the row RUNNING forever: its
transaction was rolled back, so the work is undone — and, without this, never redone.

zimao's tasks are idempotent (the engine re-reads the case under a row lock and does only what
is left; monitor events are keyed), so running an orphaned task again is safe. Two ways in:

- ``zimao recover`` — run when no worker is alive (e.g. before starting the worker after a
  crash or a reboot): every RUNNING task is an orphan and goes back to READY;
- ``zimao sweep`` (cron) — requeues tasks RUNNING for longer than a task ever takes
  (``task_timeout``), which is safe with several workers on several machines.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

logger = logging.getLogger(__name__)

DEFAULT_TASK_TIMEOUT = timedelta(minutes=10)


def requeue_orphaned_tasks(older_than: timedelta | None = DEFAULT_TASK_TIMEOUT, actor: str = "system:recovery") -> list[str]:
    """Put tasks claimed by a dead worker back in the queue; returns their ids.

    ``older_than=None`` takes every RUNNING task: only when no worker is running.
    """
    from django_tasks_db.models import DBTaskResult

    from zimao.core import audit

    running = DBTaskResult.objects.filter(status="RUNNING")
    if older_than is not None:
        running = running.filter(started_at__lt=timezone.now() - older_than)
    requeued = []
    for pk, path in running.values_list("id", "task_path"):
        # Conditional: a worker that finishes it meanwhile wins, and the row is left alone.
        if DBTaskResult.objects.filter(id=pk, status="RUNNING").update(status="READY", started_at=None):
            requeued.append(str(pk))
            logger.warning("requeued task %s (%s) left running by a dead worker", pk, path)
    if requeued:
        audit.record(actor, "tasks.requeued", object_type="django_tasks_database.dbtaskresult", object_id="*",
                     after={"tasks": requeued, "older_than_seconds": None if older_than is None else older_than.total_seconds()})
    return requeued
