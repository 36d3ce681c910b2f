"""The officers' pages: the workbench (my department's tasks: open, due soon, overdue, done),
a task with everything needed to decide it, and the output window's hand-outs.

Decisions take two clicks: "Approve" posts straight from the list (after a confirmation);
refusing or asking for corrections needs a reason, given on the task's page.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from zimao.cases import reminders
from zimao.cases import services as cases
from zimao.cases.models import Task
from zimao.catalog import services as catalog
from zimao.catalog.models import Officer
from zimao.core.errors import BusinessError, NotFound
from zimao.portal import forms as web_forms
from zimao.portal.pages import field_errors, forbidden, not_found, officer_required, page, safe_next
from zimao.portal.present import bi, problem_message

VIEWS = [
    ("open", "All open"),
    ("due_soon", "Due soon"),
    ("overdue", "Overdue"),
    ("done", "Done"),
]
PAGE_SIZE = 50
COUNT_CAP = 100


def _tab_label(key: str) -> str:
    return {"open": _("All open"), "due_soon": _("Due soon"), "overdue": _("Overdue"), "done": _("Done")}[key]


def _actions(user, task: Task) -> dict:
    """What this officer may do with this task, from the list."""
    open_ = task.status == Task.Status.OPEN
    can_decide = open_ and task.kind != Task.Kind.RECTIFICATION and cases.officer_can_act(user, task)
    return {
        "can_decide": can_decide,
        "is_intake": task.kind == Task.Kind.INTAKE,
        "is_rectification": task.kind == Task.Kind.RECTIFICATION,
    }


# ---------------------------------------------------------------- the workbench


@page
@officer_required
@require_safe
def workbench(request):
    view = request.GET.get("view", "open")
    if view not in dict(VIEWS):
        view = "open"
    service = (request.GET.get("service") or "").strip()[:40]
    after = None
    try:
        if request.GET.get("after_due") and request.GET.get("after_id"):
            after = (date.fromisoformat(request.GET["after_due"]), int(request.GET["after_id"]))
    except ValueError:
        after = None
    tasks = cases.worklist(request.user, view=view, service=service, after=after, limit=PAGE_SIZE + 1)
    more = len(tasks) > PAGE_SIZE
    tasks = tasks[:PAGE_SIZE]
    counts = {}
    for key, _label in VIEWS:
        if key == "done":
            continue
        n = len(cases.worklist(request.user, view=key, service=service, limit=COUNT_CAP))
        counts[key] = f"{n}+" if n >= COUNT_CAP else str(n)
    base = {"service": service} if service else {}
    tabs = [
        {
            "key": key,
            "label": _tab_label(key),
            "count": counts.get(key),
            "url": reverse("web:workbench") + "?" + urlencode({"view": key, **base}),
            "current": key == view,
        }
        for key, _label in VIEWS
    ]
    next_url = None
    if more and tasks:
        last = tasks[-1]
        next_url = (
            reverse("web:workbench")
            + "?"
            + urlencode({"view": view, **base, "after_due": last.due_date.isoformat(), "after_id": last.pk})
        )
    rows = [{"task": t, **_actions(request.user, t)} for t in tasks]
    unread, unread_total = reminders.unread_for(request.user)
    return render(
        request,
        "web/officer/workbench.html",
        {
            "officer": request.officer,
            "view": view,
            "tabs": tabs,
            "rows": rows,
            "service": service,
            "services": catalog.published_services(),
            "next_url": next_url,
            "today": timezone.localdate(),
            "here": request.get_full_path(),
            "stuck": cases.stuck_cases(request.user),
            "reminders": unread,
            "reminders_total": unread_total,
        },
    )


# ---------------------------------------------------------------- the department's reminders (催办/督办)


@page
@officer_required
@require_POST
def reminder_read(request, pk: int):
    reminders.mark_read(request.user, pk)  # another department's: "not found" (``page``)
    messages.success(request, _("Reminder marked as read."))
    return redirect(safe_next(request, reverse("web:workbench")) + "#reminders")


@page
@officer_required
@require_POST
def reminders_read_all(request):
    reminders.mark_all_read(request.user)
    messages.success(request, _("All reminders marked as read."))
    return redirect(safe_next(request, reverse("web:workbench")) + "#reminders")


# ---------------------------------------------------------------- one task


def _task_for(request, task_id: int) -> Task | None:
    """A task the officer's department works on (any task for an administrator); None otherwise,
    which the pages show as "not found"."""
    try:
        return cases.get_task_for(request.user, task_id)
    except NotFound:
        return None


def _task_context(request, task: Task, **extra) -> dict:
    case = task.case
    groups = web_forms.grouped_summary(case.service.form, case.data, get_language() or "zh-hans")
    rating = cases.rating_for_rectification(task)
    context = {
        "task": task,
        "case": case,
        "groups": [g for g in groups if g["rows"]],
        "material_versions": cases.material_versions(case),
        "material_names": {m["key"]: bi(m, "name") for m in case.service.materials},
        "notes": [bi(n) for n in task.auto_notes or []],
        "other_tasks": list(case.tasks.select_related("department").exclude(pk=task.pk).order_by("id")),
        "history": cases.case_history(case),
        "rating": rating,
        "can_decide": task.status == Task.Status.OPEN
        and task.kind != Task.Kind.RECTIFICATION
        and cases.officer_can_act(request.user, task),
        "can_rectify": task.status == Task.Status.OPEN and task.kind == Task.Kind.RECTIFICATION,
        # Every correction of the case, with the applicant's reply: whichever step asked, the
        # reviewer reads what the applicant answered (and compares the materials replaced).
        "corrections": list(case.corrections.select_related("task", "requested_by").order_by("-requested_at", "-id")),
        "errors": {},
        "form": {},
        "today": timezone.localdate(),
    }
    if rating is not None:  # 好差评: the reasons chosen, and the rated unit's appeal (申诉)
        from zimao.cases import ratings as case_ratings

        appeal = getattr(rating, "appeal", None)
        context.update(
            {
                "rating_reasons": [bi(w) for w in case_ratings.reason_words(rating.level, rating.reasons)],
                "appeal": appeal,
                "can_appeal": appeal is None and case_ratings.can_appeal(request.user, rating),
            }
        )
    context.update(extra)
    # Decision-time fields the process asks for (e.g. an exchange rate), drawn like any form field.
    declared = cases.decision_fields(task) if context["can_decide"] else []
    context["decision_fields"] = web_forms.bound_fields(
        {"fields": declared}, saved=None, typed=extra.get("decision_typed"), errors=extra.get("decision_errors")
    )
    return context


@page
@officer_required
@require_safe
def task_page(request, task_id: int):
    task = _task_for(request, task_id)
    if task is None:
        return not_found(request)
    return render(request, "web/officer/task.html", _task_context(request, task))


@page
@officer_required
@require_POST
def decide(request, task_id: int):
    task = _task_for(request, task_id)
    if task is None:
        return not_found(request)
    outcome = request.POST.get("outcome", "")
    reason = request.POST.get("reason", "")
    fields, typed = web_forms.read_post({"fields": cases.decision_fields(task)}, request.POST, {})
    try:
        cases.decide(task.pk, request.user, outcome, reason, fields if outcome == "approve" else None)
    except BusinessError as exc:
        if exc.status == 404:
            return not_found(request)
        if exc.status == 403:
            return forbidden(request)
        if exc.status == 409:
            messages.error(request, " ".join(problem_message(p) for p in exc.problems))
            return redirect("web:task", task.pk)
        errors = field_errors(exc)
        task.refresh_from_db()
        return render(
            request,
            "web/officer/task.html",
            _task_context(
                request,
                task,
                errors=errors,
                form=request.POST,
                decision_typed=typed,
                decision_errors=field_errors(exc, prefix="fields."),
                error_list=[
                    {"href": f"#f-{k[len('fields.') :]}" if k.startswith("fields.") else f"#decision-{k}", "message": v}
                    for k, v in errors.items()
                ],
            ),
            status=422,
        )
    words = {
        ("intake", "approve"): _("Accepted: %(number)s"),
        ("intake", "refuse"): _("Not accepted: %(number)s"),
        ("review", "approve"): _("Approved: %(number)s"),
        ("review", "refuse"): _("Refused: %(number)s"),
        ("review", "correct"): _("Corrections requested: %(number)s"),
    }
    kind = "intake" if task.kind == Task.Kind.INTAKE else "review"
    messages.success(request, words.get((kind, outcome), _("Decided: %(number)s")) % {"number": task.case.number})
    return redirect(safe_next(request, reverse("web:workbench")))


@page
@officer_required
@require_POST
def rectify(request, task_id: int):
    task = _task_for(request, task_id)
    if task is None:
        return not_found(request)
    try:
        cases.rectify(task.pk, request.user, request.POST.get("answer", ""))
    except BusinessError as exc:
        if exc.status in (403, 404):
            return not_found(request)
        errors = field_errors(exc)
        task.refresh_from_db()
        return render(
            request,
            "web/officer/task.html",
            _task_context(
                request,
                task,
                errors=errors,
                form=request.POST,
                error_list=[{"href": f"#rectify-{k}", "message": v} for k, v in errors.items()],
            ),
            status=409 if exc.status == 409 else 422,
        )
    messages.success(
        request, _("Your answer has been sent to the applicant: %(number)s") % {"number": task.case.number}
    )
    return redirect("web:workbench")


# ---------------------------------------------------------------- the output window (统一窗口出件)


def _window_officer(request) -> bool:
    officer = request.officer
    return officer.role in (Officer.Role.CLERK, Officer.Role.ADMIN) or officer.department.is_window


def _waiting_cases():
    return cases.awaiting_handover()


def _window_page(request, errors=None, form_case: str = "", status: int = 200):
    return render(
        request,
        "web/officer/window.html",
        {
            "cases": _waiting_cases(),
            "errors": errors or {},
            "form_case": form_case,
            "form": request.POST if form_case else {},
            "error_list": [
                {"href": f"#d-{form_case}-{k}" if k in ("method", "tracking_number") else "", "message": v}
                for k, v in (errors or {}).items()
            ],
        },
        status=status,
    )


@page
@officer_required
@require_safe
def window(request):
    if not _window_officer(request):
        return forbidden(request)
    return _window_page(request)


@page
@officer_required
@require_POST
def deliver(request, number: str):
    if not _window_officer(request):
        return forbidden(request)
    method = request.POST.get("method", "")
    try:
        case = cases.record_delivery(number, request.user, method, request.POST.get("tracking_number", ""))
    except BusinessError as exc:
        if exc.status == 404:
            return not_found(request)
        if exc.status == 403:
            return forbidden(request)
        return _window_page(request, field_errors(exc), number, status=409 if exc.status == 409 else 422)
    if case.delivery_method == "mail":
        messages.success(
            request,
            _("Mailed: %(number)s, tracking number %(tracking)s")
            % {"number": case.number, "tracking": case.tracking_number},
        )
    else:
        messages.success(request, _("Handed over at the window: %(number)s") % {"number": case.number})
    return redirect("web:window")
