"""The window's counter intake pages (前台综合受理): find or register the walk-in applicant, fill
the service's catalogue form and scan the materials for them, send the confirmation code, and
submit when the applicant gives it. The rules are in ``intake.py``; the form pages are the
portal's (same catalogue form engine, same field adapter, same upload checks)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zimao.catalog import forms as engine
from zimao.catalog import services as catalog
from zimao.core import protected
from zimao.core.errors import BusinessError
from zimao.core.identifiers import ID_RESIDENT
from zimao.permits import catalogue as permit_catalogue
from zimao.portal import forms as web_forms
from zimao.portal.pages import field_errors, forbidden, officer_required, page, read_upload
from zimao.portal.present import bi, is_en, problem_message
from zimao.web import forms as account_forms
from zimao.web import intake as counter
from zimao.web.applicant import _section_problems, materials_context, require_materials

PERSON_KEY = "zimao.intake.person"  # the document being served ("type:number"), encrypted, in the clerk's session
PHONE_KEY = "zimao.intake.phone"  # the phone an account without identity number was looked for by, encrypted
ATTACH_KEY = "zimao.intake.attach"  # the account an attach code went to


def window_clerk_only(view):
    """Officers only (``officer_required``), and of them only the window's clerks."""

    @officer_required
    def wrapper(request, *args, **kwargs):
        if not counter.is_window_clerk(request.user):
            return forbidden(request)
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _person(request, key: str = PERSON_KEY) -> str:
    token = request.session.get(key) or ""
    try:
        return protected.decrypt_text(token) if token else ""
    except ValueError:
        return ""


def _document(request) -> tuple[str, str]:
    """(type, number) of the identity document being served; ("", "") when none. A session from
    before document types holds the number alone: a resident card."""
    value = _person(request)
    id_type, _sep, number = value.rpartition(":")
    return (id_type or ID_RESIDENT, number) if number else ("", "")


def _serve(request, id_type: str, number: str) -> None:
    request.session[PERSON_KEY] = protected.encrypt_text(f"{id_type}:{number}")


def _services():
    from zimao.web.views import can_apply

    return [
        s
        for s in catalog.published_services()
        if can_apply(s) and not permit_catalogue.facts(s).permit.get("merged_into")
    ]


# ---------------------------------------------------------------- find or register the applicant


@page
@window_clerk_only
@require_http_methods(["GET", "HEAD", "POST"])
def find(request):
    if request.GET.get("restart"):
        for key in (PERSON_KEY, PHONE_KEY, ATTACH_KEY):
            request.session.pop(key, None)
        return redirect("web:intake")
    errors: dict[str, str] = {}
    form = {}
    if request.method == "POST":
        id_type = request.POST.get("id_type") or ID_RESIDENT
        form = {"id_type": id_type}
        try:
            number = counter.checked_id(request.POST.get("id_number", ""), id_type)
        except BusinessError as exc:
            errors = field_errors(exc)
        else:
            _serve(request, id_type, number)
            request.session.pop(PHONE_KEY, None)
            request.session.pop(ATTACH_KEY, None)
            return redirect("web:intake")
    return _find_page(request, errors=errors, form=form, status=422 if errors else 200)


def _find_page(request, *, errors=None, form=None, status=200, phone_in_use=False):
    id_type, number = _document(request) if not errors or not {"id_number", "id_type"} & set(errors) else ("", "")
    profile = counter.find_applicant(number, id_type) if number else None
    phone = _person(request, PHONE_KEY) if number and profile is None else ""
    candidates = counter.accounts_without_id(phone) if phone else []
    attach = next((c for c in candidates if c.pk == request.session.get(ATTACH_KEY)), None)
    return render(
        request,
        "web/intake/find.html",
        {
            "number": number,
            "masked": protected.mask_document_number(number) if number else "",
            "id_type_name": account_forms.id_document_name(id_type),
            "id_types": account_forms.id_document_choices(),
            "chosen_type": (form or {}).get("id_type") or ID_RESIDENT,
            "resident": id_type == ID_RESIDENT,
            "profile": profile,
            "services": _services() if profile else [],
            "phone_searched": bool(phone),
            "candidates": [
                {
                    "pk": c.pk,
                    "name": counter.masked_name(c.user.first_name),
                    "phone": c.phone_masked,
                    "since": c.created_at,
                }
                for c in candidates
            ],
            "attach": attach,
            "phone_in_use": phone_in_use,
            "code_minutes": int(counter.CODE_TTL.total_seconds() // 60),
            "errors": errors or {},
            "form": form or {},
            "error_list": [{"href": f"#f-{k}", "message": v} for k, v in (errors or {}).items()],
        },
        status=status,
    )


@page
@window_clerk_only
@require_POST
def register_applicant(request):
    id_type, number = _document(request)
    if not number:
        return redirect("web:intake")
    try:
        counter.create_applicant(
            request.user,
            name=request.POST.get("name", ""),
            id_type=id_type,
            id_number=number,
            phone=request.POST.get("phone", ""),
            phone_shared=request.POST.get("phone_shared") == "1",
        )
    except BusinessError as exc:
        return _find_page(
            request,
            errors=field_errors(exc),
            form=request.POST,
            status=exc.status,
            phone_in_use=any(p.code == "in_use" for p in exc.problems),
        )
    messages.success(request, _("The applicant's account has been opened."))
    return redirect("web:intake")


@page
@window_clerk_only
@require_POST
def find_by_phone(request):
    """No account holds the identity number: look for one registered online with the applicant's
    phone and no identity number yet (shown masked)."""
    if not _person(request):
        return redirect("web:intake")
    try:
        phone = counter.checked_phone(request.POST.get("phone", ""))
    except BusinessError as exc:
        return _find_page(request, errors=_attach_errors(exc), status=exc.status)
    request.session[PHONE_KEY] = protected.encrypt_text(phone)
    request.session.pop(ATTACH_KEY, None)
    return redirect("web:intake")


@page
@window_clerk_only
@require_POST
def attach(request):
    """Send the code to the account's own phone (``send``), then attach the identity number being
    served once the holder gives the code (``confirm``): a clerk cannot attach a number to a
    stranger's account."""
    (id_type, number), phone = _document(request), _person(request, PHONE_KEY)
    if not number or not phone:
        return redirect("web:intake")
    try:
        if request.POST.get("action") == "confirm":
            counter.attach_id(
                request.user,
                request.session.get(ATTACH_KEY),
                phone,
                number,
                request.POST.get("code", ""),
                id_type=id_type,
            )
            for key in (PHONE_KEY, ATTACH_KEY):
                request.session.pop(key, None)
            messages.success(request, _("The identity number is now on the applicant's account."))
        else:
            try:
                profile_id = int(request.POST.get("account", ""))
            except ValueError:
                profile_id = None
            profile = counter.send_attach_code(request.user, profile_id, phone)
            request.session[ATTACH_KEY] = profile.pk
    except BusinessError as exc:
        return _find_page(request, errors=_attach_errors(exc), status=exc.status)
    return redirect("web:intake")


def _attach_errors(exc: BusinessError) -> dict:
    """The phone search's and the attach form's errors, keyed by their own fields on the page
    (the open-an-account form below has a phone field too)."""
    names = {"phone": "find_phone", "id_number": "attach_id"}
    return {names.get(k, k): v for k, v in field_errors(exc).items()}


@page
@window_clerk_only
@require_POST
def start(request):
    id_type, number = _document(request)
    profile = counter.find_applicant(number, id_type) if number else None
    if profile is None:
        return redirect("web:intake")
    code = request.POST.get("service", "")
    if code not in {s.code for s in _services()}:
        return _find_page(request, errors={"service": _("Choose the service the applicant applies for")}, status=422)
    intake = counter.start(request.user, profile.user, code)
    request.session.pop(PERSON_KEY, None)
    return redirect("web:intake_tasks", intake.ref)


# ---------------------------------------------------------------- the application, for the applicant


def _open(ref):
    intake = counter.get_intake(ref)
    return intake, counter.draft_of(intake)


def _document_shown(profile) -> str:
    """The applicant's identity document as the pages show it: masked, named unless it is the
    resident identity card (what the window mostly sees, and what the pages showed before)."""
    if profile is None or not profile.id_masked:
        return ""
    if profile.id_type in ("", ID_RESIDENT):
        return profile.id_masked
    return f"{account_forms.id_document_name(profile.id_type)} {profile.id_masked}"


def _common(intake, draft) -> dict:
    profile = counter.profile_of(intake.applicant)
    return {
        "intake": intake,
        "service": draft.service,
        "applicant_name": intake.applicant.first_name or intake.applicant.username,
        "applicant_id": _document_shown(profile),
        "applicant_phone": profile.phone_masked if profile else "",
        "back_url": reverse("web:intake_tasks", args=[intake.ref]),
    }


@page
@window_clerk_only
@require_safe
def tasks(request, ref):
    intake, draft = _open(ref)
    if intake.case_number:
        return redirect("web:intake_done", ref)
    sections = [
        {
            "key": s["key"],
            "title": bi(s, "title") or s["key"],
            "done": draft.section_done(s["key"]),
            "url": reverse("web:intake_section", args=[ref, s["key"]]),
        }
        for s in draft.form_sections
    ]
    return render(
        request,
        "web/intake/task_list.html",
        {
            **_common(intake, draft),
            "sections": sections,
            "has_materials": bool(draft.service.materials),
            "materials_done": draft.materials_done(),
            "complete": draft.complete(),
        },
    )


@page
@window_clerk_only
@require_http_methods(["GET", "HEAD", "POST"])
def section(request, ref, section_key: str):
    intake, draft = _open(ref)
    if intake.case_number:
        return redirect("web:intake_done", ref)
    part = draft.section(section_key)
    if part is None:
        from django.http import Http404

        raise Http404
    saved = draft.sections.get(section_key)
    typed, errors = None, {}
    if request.method == "POST":
        values, typed = web_forms.read_post(part, request.POST, saved or {})
        cleaned, problems = engine.validate({"sections": [part]}, {section_key: values}, partial=False)
        if not problems:
            problems = _section_problems(draft.service, draft, part, cleaned)
        if not problems:
            draft.save_section(section_key, web_forms.draft_values(part, cleaned.get(section_key, {})))
            return redirect("web:intake_tasks", ref)
        for p in problems:
            errors.setdefault(p.field.split(".", 1)[-1], problem_message(p))
    fields = web_forms.bound_fields(part, saved=saved, typed=typed, errors=errors)
    return render(
        request,
        "web/intake/section.html",
        {
            **_common(intake, draft),
            "section": part,
            "title": bi(part, "title") or section_key,
            "fields": fields,
            "error_list": [{"href": f"#{f['id']}", "message": f["error"]} for f in fields if f["error"]],
        },
    )


@page
@window_clerk_only
@require_http_methods(["GET", "HEAD", "POST"])
def materials(request, ref):
    intake, draft = _open(ref)
    if intake.case_number:
        return redirect("web:intake_done", ref)
    service = draft.service
    errors: dict[str, str] = {}
    if request.method == "POST":
        for item in service.materials:
            upload = request.FILES.get(f"file-{item['key']}")
            if upload is None:
                continue
            try:
                counter.upload(draft, item["key"], upload.name, read_upload(upload, settings.UPLOAD_MAX_BYTES))
            except BusinessError as exc:
                errors[item["key"]] = ("; " if is_en() else "；").join(field_errors(exc).values())
        require_materials(service, draft, errors)
        if not errors:
            return redirect("web:intake_tasks", ref)
    return render(
        request,
        "web/intake/materials.html",
        {**_common(intake, draft), **materials_context(service, draft, errors)},
        status=422 if errors else 200,
    )


DELIVERY_CHOICES = [
    ("window", "Collect the paper licence at the service centre window"),
    ("electronic", "Electronic licence: download it here as soon as it is issued"),
    ("mail", "Free mail delivery to your address"),
]


@page
@window_clerk_only
@require_http_methods(["GET", "HEAD", "POST"])
def check(request, ref):
    intake, draft = _open(ref)
    if intake.case_number:
        return redirect("web:intake_done", ref)
    errors: dict[str, str] = {}
    delivery = {"method": intake.delivery_method, "mail_address": intake.mail_address}
    if request.method == "POST":
        delivery = {
            "method": request.POST.get("delivery_method", ""),
            "mail_address": request.POST.get("mail_address", ""),
        }
        try:
            counter.send_code(
                intake, request.user, delivery_method=delivery["method"], mail_address=delivery["mail_address"]
            )
        except BusinessError as exc:
            errors = field_errors(exc)
        else:
            return redirect("web:intake_confirm", ref)
    groups = web_forms.grouped_summary(draft.service.form, draft.sections, get_language() or "zh-hans")
    for g in groups:
        g["url"] = reverse("web:intake_section", args=[ref, g["key"]])
        g["done"] = draft.section_done(g["key"])
    return render(
        request,
        "web/intake/check.html",
        {
            **_common(intake, draft),
            "groups": groups,
            "materials": [
                {"key": m["key"], "name": bi(m, "name"), "uploaded": draft.materials.get(m["key"])}
                for m in draft.service.materials
            ],
            "complete": draft.complete(),
            "delivery": delivery,
            "delivery_choices": [(v, _(label)) for v, label in DELIVERY_CHOICES],
            "errors": errors,
            "error_list": [
                {"href": f"#f-{k}" if k in ("delivery_method", "mail_address") else "", "message": v}
                for k, v in errors.items()
            ],
        },
        status=422 if errors else 200,
    )


@page
@window_clerk_only
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, ref):
    intake, draft = _open(ref)
    if intake.case_number:
        return redirect("web:intake_done", ref)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            counter.confirm(ref, request.user, request.POST.get("code", ""))
        except BusinessError as exc:
            errors, status = field_errors(exc), 422
            intake.refresh_from_db()
        else:
            return redirect("web:intake_done", ref)
    problems = [{"href": "#f-code" if k == "code" else "", "message": v} for k, v in errors.items()]
    return render(
        request,
        "web/intake/confirm.html",
        {
            **_common(intake, draft),
            "minutes": int(counter.CODE_TTL.total_seconds() // 60),
            "errors": errors,
            "error_list": problems,
            "has_code": bool(intake.code_hash),
        },
        status=status,
    )


@page
@window_clerk_only
@require_safe
def done(request, ref):
    intake, draft = _open(ref)
    if not intake.case_number:
        return redirect("web:intake_tasks", ref)
    from zimao.cases import services as cases

    case = cases.get_case_for(intake.applicant, intake.case_number)
    return render(request, "web/intake/done.html", {**_common(intake, draft), "case": case})
