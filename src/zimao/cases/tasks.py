"""Background work (Django's tasks API; django-tasks-db stores the queue in the database, so a
task enqueued in a transaction exists exactly when the transaction commits)."""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def advance_case(case_id: int) -> str:
    from zimao.cases.services import advance, mark_stuck

    try:
        return advance(case_id, "system:worker").status
    except Exception as exc:
        mark_stuck(case_id, exc)  # an officer sees it; the sweep no longer retries it blindly
        raise


@task()
def sweep_timers() -> dict:
    """The periodic sweep: due timers, then announced events whose delivery was lost or failed."""
    from zimao.cases.services import sweep
    from zimao.core import events
    from zimao.core.tasks import checkpoint_audit

    checkpoint_audit.enqueue()  # the periodic sweep also seals the audit log (审计检查点)
    return {**sweep(), "events": events.drain()}


def run_after_commit(result) -> None:
    """Run a queued ``advance_case`` in this process as soon as its transaction commits.

    The queue row stays the record of the work: the inline run takes it over in its own
    transaction (``READY`` → ``SUCCESSFUL`` together with the engine's changes), so a worker never
    runs it twice, and if this process dies first the row is still ``READY`` and a worker runs it.
    Only with the database queue (the immediate backend of the tests has already run it);
    ``ZIMAO_ADVANCE_INLINE=0`` leaves it to the workers.
    """
    if not getattr(settings, "ADVANCE_INLINE", True) or not _database_queue(result):
        return
    transaction.on_commit(lambda: _take_over_and_run(result.id, *result.args), robust=True)


def _database_queue(result) -> bool:
    from django_tasks_db import DatabaseBackend

    return isinstance(result.task.get_backend(), DatabaseBackend)


def _take_over_and_run(result_id: str, case_id: int) -> None:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from zimao.cases.services import advance

    now = timezone.now()
    try:
        with transaction.atomic():
            taken = DBTaskResult.objects.filter(id=result_id, status=TaskResultStatus.READY).update(
                status=TaskResultStatus.SUCCESSFUL, started_at=now, finished_at=now, worker_ids=["inline"]
            )
            if taken:  # else a worker claimed it first and runs it
                advance(case_id, "system:worker")
    except Exception:
        logger.exception("inline advance of case %s failed; the worker will retry it", case_id)
