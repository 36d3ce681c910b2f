"""Background tasks — 后台任务 (Django tasks API; django_tasks_db in production).

Arguments are JSON (the database backend stores them), so instants travel as ISO strings and
amounts as decimal strings.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django_tasks import task

from zimao.monitor import rollups


@task()
def apply_event_task(
    stream: str,
    at: str,
    event_key: str,
    value: str,
    dimension: str = "",
    ref: str = "",
    label: str = "",
    duration: bool = False,
) -> bool:
    """Count one event into the rollups (idempotent per ``event_key``)."""
    return rollups.apply_event(
        stream,
        at=datetime.fromisoformat(at),
        event_key=event_key,
        value=Decimal(value),
        dimension=dimension,
        ref=ref,
        label=label,
        duration=duration,
    )


@task()
def rebuild_task(code: str) -> int:
    from zimao.monitor.services import rebuild

    return rebuild(code)


@task()
def validate_import_task(job_id: int) -> str:
    from zimao.monitor.importer import validate_job

    return validate_job(job_id)


@task()
def commit_import_task(job_id: int) -> str:
    from zimao.monitor.importer import commit_job

    return commit_job(job_id)
