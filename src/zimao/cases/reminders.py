"""A department's reminders — 催办/督办提醒: what the engine writes to a department's inbox
(``services.notify(case, department=…)``: an overdue task, an escalation, a stuck case, a follow-up
task, a rating to rectify), read by the department's officers on their workbench.

The inbox is the department's, not one officer's: an officer who marks a reminder read marks it
read for the department. Only the department's own officers see or mark its reminders (the zone
administrator reads the administration's own inbox, where escalations go); anyone else's reminder
is "not found", exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from zimao.cases.models import Notification, Task
from zimao.catalog import services as catalog
from zimao.catalog.models import Officer
from zimao.core.errors import not_found

LIMIT = 50


@dataclass(frozen=True)
class Reminder:
    """One unread reminder and where its case is opened from the workbench: a task of the
    officer's department on the case (an open one first; any for the administrator), else none."""

    notification: Notification
    task_id: int | None


def _unread(officer: Officer):
    return Notification.objects.filter(department_id=officer.department_id, user__isnull=True, read_at__isnull=True)


def unread_for(user, limit: int = LIMIT) -> tuple[list[Reminder], int]:
    """The officer's department's unread reminders, newest first (at most ``limit``), and how many
    there are in all. Nothing for someone who is not an officer."""
    officer = catalog.officer_of(user)
    if officer is None:
        return [], 0
    limit = max(1, min(limit, 200))
    rows = list(_unread(officer).select_related("case", "case__service")[:limit])
    if not rows:
        return [], 0
    total = len(rows) if len(rows) < limit else _unread(officer).count()
    tasks = Task.objects.filter(case_id__in={r.case_id for r in rows})
    if officer.role != Officer.Role.ADMIN:
        tasks = tasks.filter(department_id=officer.department_id)
    best: dict[int, tuple] = {}
    for pk, case_id, status in tasks.values_list("pk", "case_id", "status"):
        rank = (status == Task.Status.OPEN, pk)  # an open task first, then the latest
        if case_id not in best or rank > best[case_id]:
            best[case_id] = rank
    return [Reminder(r, best[r.case_id][1] if r.case_id in best else None) for r in rows], total


def mark_read(user, pk: int) -> Notification:
    """Mark one of the department's reminders read; "not found" for anyone else's."""
    officer = catalog.officer_of(user)
    if officer is None:
        raise not_found("notification")
    with transaction.atomic():
        row = (
            Notification.objects.select_for_update()
            .filter(pk=pk, department_id=officer.department_id, user__isnull=True)
            .first()
        )
        if row is None:
            raise not_found("notification")
        if row.read_at is None:
            row.read_at = timezone.now()
            row.save(update_fields=["read_at"])
        return row


def mark_all_read(user) -> int:
    officer = catalog.officer_of(user)
    if officer is None:
        return 0
    return _unread(officer).update(read_at=timezone.now())
