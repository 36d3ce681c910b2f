"""好差评 pages for the service centre: 回访核实 of rectified poor ratings (window clerks and the
zone administrator), 申诉复核 of appealed ratings (the zone administrator), and the rated unit's
appeal from its rectification task."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from zimao.cases import ratings as case_ratings
from zimao.cases import services as cases
from zimao.cases.models import Rating, RatingAppeal, Task
from zimao.catalog.models import Officer
from zimao.core.errors import BusinessError
from zimao.portal.pages import field_errors, forbidden, not_found, officer_required, page, safe_next
from zimao.portal.present import RATING_LEVELS, bi, problem_message

CENTRE = (Officer.Role.CLERK, Officer.Role.ADMIN)


def _reasons(rating: Rating) -> list[str]:
    return [bi(words) for words in case_ratings.reason_words(rating.level, rating.reasons)]


def _context(request, **extra) -> dict:
    officer = request.officer
    level_word = {v: bi((zh, en)) for v, zh, en in RATING_LEVELS}
    to_verify = list(
        Rating.objects.filter(rectification__status=Task.Status.DONE, verified_at__isnull=True, voided=False)
        .select_related("case__service", "rectification__department")
        .order_by("rectification__decided_at")[:100]
    )
    appeals = case_ratings.pending_appeals(request.user) if officer.role == Officer.Role.ADMIN else []
    decided = (
        list(
            RatingAppeal.objects.exclude(status=RatingAppeal.Status.PENDING)
            .select_related("rating__case", "decided_by")
            .order_by("-decided_at")[:20]
        )
        if officer.role == Officer.Role.ADMIN
        else []
    )
    context = {
        "to_verify": [{"rating": r, "level": level_word.get(r.level), "reasons": _reasons(r)} for r in to_verify],
        "appeals": [
            {"appeal": a, "level": level_word.get(a.rating.level), "reasons": _reasons(a.rating)} for a in appeals
        ],
        "decided": decided,
        "is_admin": officer.role == Officer.Role.ADMIN,
        "errors": {},
        "form": {},
        "form_for": "",
    }
    context.update(extra)
    for row in context["to_verify"]:  # which form the refused post came from: it shows the errors
        row["failed"] = context["form_for"] == row["rating"].case.number
    for row in context["appeals"]:
        row["failed"] = context["form_for"] == str(row["appeal"].pk)
    return context


@page
@officer_required
@require_safe
def ratings_page(request):
    if request.officer.role not in CENTRE:
        return forbidden(request)
    return render(request, "web/officer/ratings.html", _context(request))


def _refused(request, exc: BusinessError, form_for: str, prefix: str):
    if exc.status == 404:
        return not_found(request)
    if exc.status == 403:
        return forbidden(request)
    if exc.status == 409:
        messages.error(request, " ".join(problem_message(p) for p in exc.problems))
        return redirect("web:ratings")
    errors = field_errors(exc)
    return render(
        request,
        "web/officer/ratings.html",
        _context(
            request,
            errors=errors,
            form=request.POST,
            form_for=form_for,
            error_list=[{"href": f"#{prefix}-{k}", "message": v} for k, v in errors.items()],
        ),
        status=422,
    )


@page
@officer_required
@require_POST
def verify(request, number: str):
    """回访核实 recorded by a window clerk or the zone administrator."""
    if request.officer.role not in CENTRE:
        return forbidden(request)
    try:
        cases.verify_rectification(number, request.user, request.POST.get("note", ""))
    except BusinessError as exc:
        return _refused(request, exc, number, f"verify-{number}")
    messages.success(
        request, _("Follow-up recorded; the applicant is asked to rate again: %(number)s") % {"number": number}
    )
    return redirect("web:ratings")


@page
@officer_required
@require_POST
def review(request, appeal_id: int):
    """复核: the zone administrator upholds or removes an appealed rating."""
    if request.officer.role != Officer.Role.ADMIN:
        return forbidden(request)
    try:
        item = cases.review_appeal(
            appeal_id, request.user, request.POST.get("decision", ""), request.POST.get("reason", "")
        )
    except BusinessError as exc:
        return _refused(request, exc, str(appeal_id), f"review-{appeal_id}")
    words = _("Rating upheld: %(number)s") if item.status == "upheld" else _("Rating removed: %(number)s")
    messages.success(request, words % {"number": item.rating.case.number})
    return redirect("web:ratings")


@page
@officer_required
@require_POST
def appeal(request, number: str):
    """申诉: the rated department appeals from its rectification task's page."""
    back = safe_next(request, reverse("web:workbench"))
    try:
        cases.appeal(number, request.user, request.POST.get("reason", ""))
    except BusinessError as exc:
        if exc.status in (403, 404):
            return not_found(request)
        messages.error(request, " ".join(problem_message(p) for p in exc.problems))
        return redirect(back)
    messages.success(request, _("Appeal sent for review: %(number)s") % {"number": number})
    return redirect(back)
