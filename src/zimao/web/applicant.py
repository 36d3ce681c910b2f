"""The applicant's journey, for any service in the catalogue (nothing here knows about starting a
company): a task list, one section per page, materials, check your answers, a confirmation with
the case number; then the case's status page, corrections, withdrawal and the rating.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zimao.cases import drafts as saved_drafts
from zimao.cases import services as cases
from zimao.cases.models import Task
from zimao.cases.ratings import REASONS, reason_words
from zimao.cases.workflow import FINAL, WITHDRAWABLE, CaseStatus
from zimao.catalog import forms as engine
from zimao.catalog import services as catalog
from zimao.core.errors import BusinessError, Problem
from zimao.notify import services as notify
from zimao.portal import forms as web_forms
from zimao.portal.pages import field_errors, login_required, page, read_upload
from zimao.portal.present import RATING_LEVELS, bi, enumerate_words, is_en, problem_message
from zimao.web.drafts import Draft

# ---------------------------------------------------------------- the task list


def _service(code: str):
    return catalog.get_service(code)


@page
@login_required
@require_safe
def task_list(request, code: str):
    from zimao.web.views import can_apply

    service = _service(code)
    if not can_apply(service):
        return redirect("web:service", code)
    draft = Draft(request, service)
    sections = [
        {
            "key": s["key"],
            "title": bi(s, "title") or s["key"],
            "done": draft.section_done(s["key"]),
            "url": reverse("web:apply_section", args=[code, s["key"]]),
        }
        for s in draft.form_sections
    ]
    done = sum(1 for s in sections if s["done"]) + (1 if draft.materials_done() else 0)
    return render(
        request,
        "web/apply/task_list.html",
        {
            "service": service,
            "sections": sections,
            "has_materials": bool(service.materials),
            "materials_done": draft.materials_done(),
            "complete": draft.complete(),
            "done_count": done,
            "total_count": len(sections) + (1 if service.materials else 0),
            "saved_at": draft.saved_at,
            "retention_days": settings.DRAFT_RETENTION_DAYS,
        },
    )


# ---------------------------------------------------------------- one section per page


def _section_problems(service, draft: Draft, section: dict, cleaned: dict, applicant=None) -> list[Problem]:
    """The service's own checks (e.g. "the company name is taken") as early as the section they
    concern, on the draft as it would be with this section saved (``cases.drafts``)."""
    data = {**dict(draft.sections.items()), section["key"]: cleaned.get(section["key"], {})}
    return saved_drafts.section_problems(service, data, [section["key"]], applicant=applicant)


@page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def section_page(request, code: str, section_key: str):
    service = _service(code)
    draft = Draft(request, service)
    section = draft.section(section_key)
    if section is None:
        from django.http import Http404

        raise Http404
    saved = draft.sections.get(section_key)
    typed, errors = None, {}
    if request.method == "POST":
        values, typed = web_forms.read_post(section, request.POST, saved or {})
        cleaned, problems = engine.validate({"sections": [section]}, {section_key: values}, partial=False)
        if not problems:
            problems = _section_problems(service, draft, section, cleaned, applicant=request.user)
        if not problems:
            draft.save_section(section_key, web_forms.draft_values(section, cleaned.get(section_key, {})))
            return redirect("web:apply", code)
        for p in problems:
            errors.setdefault(p.field.split(".", 1)[-1], problem_message(p))
    companies = _companies_for(request.user, section)
    if saved is None and typed is None and len(companies) == 1:  # the one company, filled in
        saved = {f["key"]: companies[0].uscc for f in section.get("fields", []) if f.get("type") == "uscc"}
    fields = web_forms.bound_fields(section, saved=saved, typed=typed, errors=errors)
    return render(
        request,
        "web/apply/section.html",
        {
            "service": service,
            "section": section,
            "title": bi(section, "title") or section_key,
            "fields": fields,
            "error_list": [{"href": f"#{f['id']}", "message": f["error"]} for f in fields if f["error"]],
            "conditions": _conditions_for(service, section_key),
            "companies": companies,
        },
    )


def _conditions_for(service, section_key: str) -> list:
    """告知承诺: the conditions the applicant commits to, from each item's catalogue entry, on the
    page where they sign (not "see the guide")."""
    if section_key != "commitment":
        return []
    from zimao.permits import catalogue as permit_catalogue

    return [
        i
        for i in permit_catalogue.commitment_items(service)
        if permit_catalogue.facts(i).conditions_zh or permit_catalogue.facts(i).conditions_en
    ]


def _companies_for(user, section: dict) -> list:
    """The active companies registered in the applicant's name, where a section asks for one."""
    if not any(f.get("type") == "uscc" for f in section.get("fields", [])):
        return []
    from zimao.registry import services as registry

    return [e for e in registry.entities_of(user) if e.status == "active"]


# ---------------------------------------------------------------- materials


@page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def materials_page(request, code: str):
    service = _service(code)
    draft = Draft(request, service)
    errors: dict[str, str] = {}
    if request.method == "POST":
        for item in service.materials:
            upload = request.FILES.get(f"file-{item['key']}")
            if upload is None:
                continue
            try:
                material = cases.upload_material(
                    request.user, item["key"], upload.name, read_upload(upload, settings.UPLOAD_MAX_BYTES)
                )
            except BusinessError as exc:
                errors[item["key"]] = ("; " if is_en() else "；").join(field_errors(exc).values())
                continue
            draft.save_material(item["key"], material)
        require_materials(service, draft, errors)
        if not errors:
            return redirect("web:apply", code)
    return render(
        request,
        "web/apply/materials.html",
        {"service": service, **materials_context(service, draft, errors)},
        status=422 if errors else 200,
    )


def require_materials(service, draft: Draft, errors: dict) -> None:
    """Name each required material the draft still lacks (and that did not fail to upload)."""
    for m in service.materials:
        if m.get("required") and m["key"] not in draft.materials and m["key"] not in errors:
            errors[m["key"]] = _("Choose the file: %(name)s") % {"name": bi(m, "name")}


def materials_context(service, draft: Draft, errors: dict) -> dict:
    """The materials page's rows and error summary — the portal's and the counter's alike."""
    rows = [
        {
            "key": m["key"],
            "id": f"m-{m['key']}",
            "name": bi(m, "name"),
            "required": bool(m.get("required")),
            "uploaded": draft.materials.get(m["key"]),
            "error": errors.get(m["key"], ""),
        }
        for m in service.materials
    ]
    return {
        "rows": rows,
        "max_mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        "error_list": [
            {"href": f"#{r['id']}", "message": f"{r['name']}{': ' if is_en() else '：'}{r['error']}"}
            for r in rows
            if r["error"]
        ],
    }


# ---------------------------------------------------------------- check your answers and submit


def _problem_link(code: str, field: str) -> str:
    """Where the applicant fixes what a problem names."""
    if field.startswith("materials."):
        return reverse("web:apply_materials", args=[code]) + f"#m-{field.split('.', 1)[1]}"
    if field in ("delivery_method", "mail_address"):
        return f"#f-{field}"
    if "." in field:
        section, key = field.split(".", 1)
        return reverse("web:apply_section", args=[code, section]) + f"#f-{key.split('.')[0]}"
    return ""


@page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def check_page(request, code: str):
    service = _service(code)
    draft = Draft(request, service)
    problems: list[dict] = []
    delivery = {"method": "electronic", "mail_address": ""}
    if request.method == "POST":
        delivery = {
            "method": request.POST.get("delivery_method", ""),
            "mail_address": request.POST.get("mail_address", ""),
        }
        key = (request.POST.get("idempotency_key") or "").strip()
        try:
            result = cases.submit(
                request.user,
                service.code,
                draft.application_data(),
                materials=draft.material_ids(),
                idempotency_key=key,
                delivery_method=delivery["method"],
                mail_address=delivery["mail_address"],
                channel="web",
                fingerprint="",
            )  # a second click finds the draft already cleared
        except BusinessError as exc:
            if exc.status in (403, 404) and exc.problems[0].field == "service":
                raise
            problems = [
                {"field": p.field, "message": problem_message(p), "href": _problem_link(code, p.field)}
                for p in exc.problems
            ]
        else:
            draft.clear()
            return redirect("web:case_submitted", result.case.number)
    groups = web_forms.grouped_summary(service.form, draft.sections, get_language() or "zh-hans")
    for g in groups:
        g["url"] = reverse("web:apply_section", args=[code, g["key"]])
        g["done"] = draft.section_done(g["key"])
    materials = [
        {
            "key": m["key"],
            "name": bi(m, "name"),
            "required": bool(m.get("required")),
            "uploaded": draft.materials.get(m["key"]),
        }
        for m in service.materials
    ]
    field_msgs = {p["field"]: p["message"] for p in problems}
    return render(
        request,
        "web/apply/check.html",
        {
            "service": service,
            "groups": groups,
            "materials": materials,
            "complete": draft.complete(),
            "incomplete": enumerate_words(bi(s, "title") for s in draft.incomplete_sections()),
            "materials_done": draft.materials_done(),
            "problems": problems,
            "delivery": delivery,
            "delivery_error": field_msgs.get("delivery_method", ""),
            "mail_error": field_msgs.get("mail_address", ""),
            # A fresh key each time the page is drawn: the same form sent twice makes one case.
            "idempotency_key": uuid.uuid4().hex,
            "delivery_choices": [
                ("electronic", _("Electronic licence: download it here as soon as it is issued")),
                ("window", _("Collect the paper licence at the service centre window")),
                ("mail", _("Free mail delivery to your address")),
            ],
        },
        status=422 if problems else 200,
    )


# ---------------------------------------------------------------- after submission


def _own_case(request, number: str):
    """The applicant's own case; anyone else's is "not found" (officers use the workbench)."""
    case = cases.get_case_for(request.user, number)
    if case.applicant_id != request.user.pk:
        from django.http import Http404

        raise Http404
    return case


@page
@login_required
@require_safe
def submitted(request, number: str):
    case = _own_case(request, number)
    return render(request, "web/cases/submitted.html", {"case": case})


@page
@login_required
@require_safe
def my_cases(request):
    return render(
        request,
        "web/cases/list.html",
        {
            "cases": cases.cases_of(request.user)[:200],
            "drafts": saved_drafts.drafts_of(request.user),
            "retention_days": settings.DRAFT_RETENTION_DAYS,
        },
    )


@page
@login_required
@require_POST
def delete_draft(request, code: str):
    """The applicant deletes a saved draft (暂存) from "my applications", with its unsent files."""
    Draft(request, _service(code)).clear()
    messages.success(request, _("The draft has been deleted."))
    return redirect("web:cases")


def _reason_groups(form) -> list[dict]:
    """The reasons per level (评价原因), grouped as raters see them: dissatisfied, basically
    satisfied, satisfied. The service checks that the chosen ones belong to the level."""
    chosen = set(form.getlist("reasons")) if hasattr(form, "getlist") else set()
    groups = [
        ("poor", 2, _("If you are dissatisfied, why?")),
        ("fair", 3, _("If you are basically satisfied, what could be better?")),
        ("good", 4, _("If you are satisfied, what went well?")),
    ]
    return [
        {
            "key": key,
            "legend": legend,
            "reasons": [{"key": k, "label": bi((zh, en)), "checked": k in chosen} for k, zh, en in REASONS[level]],
        }
        for key, level, legend in groups
    ]


def _case_context(request, case, **extra) -> dict:
    tasks = list(case.tasks.select_related("department").order_by("id"))
    rating = cases.rating_of(case)
    correction = cases.open_correction(case)
    finished = case.status in FINAL
    follow_up = cases.awaiting_follow_up(rating)  # only after 回访核实
    history = cases.case_history(case)
    notes = notify.notifications_for_case(request.user, case.number)
    context = {
        "case": case,
        "tasks": [t for t in tasks if t.kind != Task.Kind.RECTIFICATION],
        "outputs": [o for o in case.outputs if o.get("identifier")],
        "step_outputs": cases.step_outputs_of(case),
        "correction": correction,
        "can_withdraw": case.status in WITHDRAWABLE,
        "can_rate": finished and case.status != CaseStatus.WITHDRAWN and rating is None,
        "rating": rating,
        "follow_up": follow_up,
        "rating_levels": [{"value": v, "label": bi((zh, en))} for v, zh, en in RATING_LEVELS],
        "rating_label": {v: bi((zh, en)) for v, zh, en in RATING_LEVELS},
        "reason_groups": _reason_groups(extra.get("form") if extra.get("form_name") == "rating" else None),
        "history": history,
        "notifications": notes,
        "materials": [{"key": m["key"], "name": bi(m, "name"), "id": f"c-{m['key']}"} for m in case.service.materials],
        "errors": {},
        "form": {},
    }
    if rating:
        context["rating_word"] = context["rating_label"].get(rating.level, rating.level)
        context["rating_reasons"] = [bi(w) for w in reason_words(rating.level, rating.reasons)]
        context["follow_up_word"] = context["rating_label"].get(rating.follow_up_level, "")
    context.update(extra)
    return context


@page
@login_required
@require_safe
def step_output(request, number: str, kind: str):
    """One step's document (办理结果), as a page to read and print: what was issued, by whom."""
    case = _own_case(request, number)
    output = case.step_outputs.filter(kind=kind).first()
    if output is None:
        from django.http import Http404

        raise Http404
    return render(request, "web/cases/step_output.html", {"case": case, "output": output})


@page
@login_required
@require_safe
def step_output_pdf(request, number: str, kind: str):
    """The step's document as a PDF, signed in the issuer's name (core.pdfsign)."""
    from django.http import Http404, HttpResponse

    from zimao.cases.pdf import render_pdf

    case = _own_case(request, number)
    output = case.step_outputs.filter(kind=kind).first()
    if output is None:
        raise Http404
    response = HttpResponse(render_pdf(output), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{output.kind}-{case.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@page
@login_required
@require_safe
def my_documents(request):
    """我的证照和文书: the licences of the companies the applicant founded and every document
    their cases' steps produced (tax confirmation, seal filing record, accounts…)."""
    from zimao.licences import services as licences

    return render(
        request,
        "web/cases/documents.html",
        {
            "credentials": licences.credentials_of_user(request.user),
            "step_outputs": cases.step_outputs_of_applicant(request.user),
        },
    )


@page
@login_required
@require_safe
def case_page(request, number: str):
    case = _own_case(request, number)
    return render(request, "web/cases/detail.html", _case_context(request, case))


def _after(request, case, done_message: str, call, form_name: str):
    """Run an applicant's action on the case; on a refusal, show the case page again with the
    problems beside the fields they name."""
    try:
        call()
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        errors = field_errors(exc)
        case.refresh_from_db()
        return render(
            request,
            "web/cases/detail.html",
            _case_context(
                request,
                case,
                errors=errors,
                form_name=form_name,
                form=request.POST,
                error_list=[
                    {"href": f"#{form_name}-{k.replace('.', '-')}" if k != "status" else "", "message": v}
                    for k, v in errors.items()
                ],
            ),
            status=409 if exc.status == 409 else 422,
        )
    messages.success(request, done_message)
    return redirect("web:case", case.number)


@page
@login_required
@require_POST
def withdraw(request, number: str):
    case = _own_case(request, number)
    return _after(
        request,
        case,
        _("Your application has been withdrawn."),
        lambda: cases.withdraw(case.number, request.user, request.POST.get("reason", "")),
        "withdraw",
    )


@page
@login_required
@require_POST
def correction(request, number: str):
    """补正: the applicant's answer, and any materials uploaded again."""
    case = _own_case(request, number)
    uploaded: dict[str, int] = {}
    upload_errors: dict[str, str] = {}
    for item in case.service.materials:
        upload = request.FILES.get(f"file-{item['key']}")
        if upload is None:
            continue
        try:
            uploaded[item["key"]] = cases.upload_material(
                request.user, item["key"], upload.name, read_upload(upload, settings.UPLOAD_MAX_BYTES)
            ).pk
        except BusinessError as exc:
            upload_errors[f"materials.{item['key']}"] = "; ".join(field_errors(exc).values())
    answer = (request.POST.get("answer") or "").strip()
    if not answer and not uploaded and not upload_errors:
        upload_errors["answer"] = _("Describe what you corrected, or upload the corrected materials")
    if upload_errors:
        return render(
            request,
            "web/cases/detail.html",
            _case_context(
                request,
                case,
                errors=upload_errors,
                form_name="correction",
                form=request.POST,
                error_list=[
                    {"href": f"#correction-{k.replace('.', '-')}", "message": v} for k, v in upload_errors.items()
                ],
            ),
            status=422,
        )
    return _after(
        request,
        case,
        _("Thank you. Your corrections have been sent and the review continues."),
        lambda: cases.answer_correction(case.number, request.user, answer, materials=uploaded),
        "correction",
    )


@page
@login_required
@require_POST
def rate(request, number: str):
    case = _own_case(request, number)
    return _after(
        request,
        case,
        _("Thank you for rating this service."),
        lambda: cases.rate(
            case.number,
            request.user,
            request.POST.get("level"),
            request.POST.get("comment", ""),
            named=bool(request.POST.get("named")),
            reasons=request.POST.getlist("reasons"),
        ),
        "rating",
    )


@page
@login_required
@require_POST
def follow_up(request, number: str):
    case = _own_case(request, number)

    def call():
        level = request.POST.get("level") or ""
        if not level.isdigit():
            raise BusinessError.of("level", "required", "请选择满意程度", "Choose how satisfied you are", status=422)
        cases.follow_up(case.number, request.user, int(level))

    return _after(request, case, _("Thank you for your answer."), call, "follow-up")
