"""Background work (Django's tasks API; django-tasks-db stores the queue in the database, so a
task enqueued in a transaction exists exactly when the transaction commits)."""

from django_tasks import task


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
    from zimao.cases.services import sweep

    return sweep()
