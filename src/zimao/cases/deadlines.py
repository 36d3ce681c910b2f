"""Recounting deadlines when the calendar of a year changes (重算期限).

A deadline that reached a year nobody had entered was counted on the statutory holidays alone
and marked provisional. When the year's official arrangement is entered (or an administrator
changes a day), ``core.calendar.changing`` sends ``arrangement_changing``; ``recount`` answers:

* a case still running whose due dates reach the year is given its due dates again from its
  submission, limits, paused and extension days (``services._set_due_dates``), with separate
  provisional flags for the promised and the legal date;
* an open task (review, rectification, follow-up…) keeps its *number of working days* from the
  day it was created — read under the old calendar, re-added under the new one (a review task
  still never passes the case's legal date);
* every timer not yet fired moves with its task, or with the case's promised date.

Every change is audited (``case.due_dates_recomputed``, ``task.due_date_recomputed``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from zimao.core import audit, calendar

OPEN_TASK = ("open", "correction")


def recount(sender=None, *, years: list[int], actor="system:calendar", **kwargs):
    """Receiver of ``calendar.arrangement_changing``: measure now, recount after the change."""
    from zimao.cases.models import Case, Task
    from zimao.cases.workflow import FINAL

    if not years:
        return None
    first = dt.date(min(years), 1, 1)
    cases = list(
        Case.objects.exclude(status__in=list(FINAL))
        .filter(Q(legal_due_date__gte=first) | Q(due_date__gte=first))
        .select_related("service")
    )
    tasks = list(Task.objects.filter(status__in=OPEN_TASK, due_date__gte=first).select_related("case"))
    counts = {t.pk: calendar.working_days_between(timezone.localdate(t.created_at), t.due_date).count for t in tasks}

    def finish() -> dict:
        from zimao.cases import services
        from zimao.cases.models import Timer

        changed_cases = changed_tasks = moved_timers = 0
        fresh_cases: dict[int, Case] = {}
        for case in cases:
            before = (case.due_date, case.legal_due_date, case.due_date_provisional, case.legal_due_date_provisional)
            services._set_due_dates(case)
            after = (case.due_date, case.legal_due_date, case.due_date_provisional, case.legal_due_date_provisional)
            fresh_cases[case.pk] = case
            if after != before:
                case.save(
                    update_fields=[
                        "due_date",
                        "legal_due_date",
                        "due_date_provisional",
                        "legal_due_date_provisional",
                        "updated_at",
                    ]
                )
                audit.record(
                    actor,
                    "case.due_dates_recomputed",
                    case,
                    before=dict(
                        zip(
                            ("due_date", "legal_due_date", "due_date_provisional", "legal_due_date_provisional"),
                            before,
                            strict=False,
                        )
                    ),
                    after=dict(
                        zip(
                            ("due_date", "legal_due_date", "due_date_provisional", "legal_due_date_provisional"),
                            after,
                            strict=False,
                        )
                    ),
                )
                changed_cases += 1
        for task in tasks:
            case = fresh_cases.get(task.case_id, task.case)
            due = calendar.add_working_days(timezone.localdate(task.created_at), counts[task.pk]).date
            if task.kind in ("review", "intake"):
                due = min(due, case.legal_due_date)
            if due != task.due_date:
                audit.record(
                    actor, "task.due_date_recomputed", task, before={"due_date": task.due_date}, after={"due_date": due}
                )
                task.due_date = due
                task.save(update_fields=["due_date"])
                changed_tasks += 1
        task_due = {t.pk: t.due_date for t in tasks}
        for timer in Timer.objects.filter(fired_at__isnull=True).filter(
            case_id__in=list(fresh_cases) + [t.case_id for t in tasks]
        ):
            if timer.kind == Timer.Kind.CASE_DUE and timer.case_id in fresh_cases:
                target = fresh_cases[timer.case_id].due_date
            elif timer.task_id in task_due:
                target = task_due[timer.task_id]
            else:
                continue
            if timer.fire_on != target:
                timer.fire_on = target
                timer.save(update_fields=["fire_on"])
                moved_timers += 1
        return {"cases": changed_cases, "tasks": changed_tasks, "timers": moved_timers}

    return finish


def connect() -> None:
    calendar.arrangement_changing.connect(recount, dispatch_uid="zimao.cases.deadlines.recount")
