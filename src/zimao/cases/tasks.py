"""Background work (Django's tasks API; django-tasks-db stores the queue in the database, so a
task enqueued in a transaction exists exactly when the transaction commits)."""

from django_tasks import task


@task()
def advance_case(case_id: int) -> str:
    from zimao.cases.services import advance

    return advance(case_id, "system:worker").status


@task()
def sweep_timers() -> dict:
    """The periodic sweep: due timers, then announced events whose delivery was lost or failed."""
    from zimao.cases.services import sweep
    from zimao.core import events

    return {**sweep(), "events": events.drain()}
