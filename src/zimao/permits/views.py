"""Permit pages (准营): the item list (事项清单), each item's guide by reform mode, the 告知承诺
page (read the conditions, sign, get the permit in the same visit), a company's credentials in
one place, the business-scope advisor, themed bundles ("我要…"), and the department's
post-approval checks.

Applying for a filing or an optimised item, or for a bundle, uses the portal's generic pages
(``/apply/<code>/``): those are catalogue-driven, so a permit needs nothing of its own there.
"""

from __future__ import annotations

import io
import uuid

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zimao.cases import services as cases
from zimao.catalog import forms as engine
from zimao.catalog import services as catalog
from zimao.catalog.models import Department
from zimao.core.errors import BusinessError
from zimao.permits import catalogue
from zimao.permits import services as permits
from zimao.permits.models import PostCheck, ReformMode
from zimao.portal import forms as web_forms
from zimao.portal.pages import login_required, officer_required, page
from zimao.portal.present import bi, problem_message

MODE_HELP = {
    ReformMode.CANCELLED: ("无需申请：营业执照在手即可经营。", "Nothing to apply for: the business licence is enough."),
    ReformMode.FILING: ("在线备案，当场取得备案回执。", "File online and get the filing receipt at once."),
    ReformMode.COMMITMENT: (
        "阅读条件、签署承诺，当场发证；事后核查。",
        "Read the conditions, commit, get the permit at once; checked afterwards.",
    ),
    ReformMode.OPTIMISED: (
        "精简材料、压缩时限，部门审核后发证。",
        "Fewer documents and shorter limits; a department reviews.",
    ),
}


def _mode(item) -> dict:
    zh, en = catalogue.mode_words(catalogue.reform_mode(item))
    return {
        "key": catalogue.reform_mode(item),
        "label": bi((zh, en)),
        "help": bi(MODE_HELP.get(catalogue.reform_mode(item), ("", ""))),
    }


def _permit_item(code: str):
    item = catalog.get_service(code)
    if not catalogue.is_permit_item(item):
        raise Http404
    return item


# ---------------------------------------------------------------- the item list


@page
@require_safe
def catalogue_page(request):
    """事项清单: every permit item by reform mode, filterable by department."""
    dept = request.GET.get("department", "")
    items = catalogue.permit_items()
    if dept:
        items = [i for i in items if i.department.code == dept]
    groups = []
    for mode in catalogue.MODE_ORDER:
        mine = [i for i in items if catalogue.reform_mode(i) == mode]
        zh, en = catalogue.mode_words(mode)
        groups.append({"key": mode, "label": bi((zh, en)), "help": bi(MODE_HELP[mode]), "items": mine})
    departments = Department.objects.filter(code__in={i.department.code for i in catalogue.permit_items()}).order_by(
        "code"
    )
    bundles = [s for s in catalog.published_services() if catalogue.is_bundle(s) and not catalogue.is_bundle_variant(s)]
    return render(
        request,
        "permits/catalogue.html",
        {"groups": groups, "departments": departments, "department": dept, "count": len(items), "bundles": bundles},
    )


@require_safe
def catalogue_xlsx(request):
    """The published item list as Excel (officials exchange item lists as spreadsheets)."""
    from zimao.catalog.excel import export_workbook

    stream = io.BytesIO()
    export_workbook(stream, list(catalog.published_services()))
    response = HttpResponse(
        stream.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="zimao-catalogue.xlsx"'
    return response


@page
@require_safe
def item_page(request, code: str):
    """One permit item's guide, and what to do next in its reform mode."""
    item = _permit_item(code)
    covered = catalogue.covered_items(item)
    merged = catalogue.merged_into(item)
    activities = list(catalogue.activities().filter(key__in=catalogue.facts(item).activities))
    companies = permits.companies_of(request.user) if catalogue.reform_mode(item) == ReformMode.CANCELLED else []
    noted = set()
    if companies:
        from zimao.permits.models import ActivityNote

        noted = set(
            ActivityNote.objects.filter(item_code=item.code, holder_uscc__in=[c.uscc for c in companies]).values_list(
                "holder_uscc", flat=True
            )
        )
    return render(
        request,
        "permits/item.html",
        {
            "item": item,
            "mode": _mode(item),
            "covered": [(c, _mode(c)) for c in covered],
            "merged": merged,
            "activities": activities,
            "bundles": catalogue.bundles_with(item.code),
            "commitment": bool(catalogue.commitment_items(item)) and not merged,
            "has_process": item.processes.filter(published=True).exists() and not merged,
            "companies": [{"entity": c, "noted": c.uscc in noted} for c in companies],
            "conditions": [(i, catalogue.conditions_hash(i)[:12]) for i in catalogue.commitment_items(item)],
        },
    )


# ---------------------------------------------------------------- 告知承诺 in one visit


def _prefixed(section: dict) -> dict:
    """A section whose field names carry the section key, so two sections never share a name."""
    return {**section, "fields": [{**f, "key": f"{section['key']}__{f['key']}"} for f in section.get("fields", [])]}


def _own_sections(item) -> list[dict]:
    return [s for s in item.form.get("sections", []) if s["key"] not in ("company", "commitment")]


def _commit_context(request, item, *, posted=None, errors=None, values=None) -> dict:
    errors = errors or {}
    sections = []
    for section in _own_sections(item):
        pre = _prefixed(section)
        typed = None
        if posted is not None:
            typed = {
                f["key"]: (posted.getlist(f["key"]) if f.get("type") == "multichoice" else posted.get(f["key"], ""))
                for f in pre["fields"]
            }
        # First drawing: the catalogue's defaults; after a post: what was typed.
        sections.append(
            {
                "title": bi(section, "title"),
                "fields": web_forms.bound_fields(pre, saved=None if posted is None else {}, typed=typed, errors=errors),
            }
        )
    companies = [c for c in permits.companies_of(request.user) if c.status == "active"]
    values = values or {}
    error_list = [{"href": f"#f-{k}", "message": v} for k, v in errors.items()]
    return {
        "item": item,
        "mode": _mode(item),
        "sections": sections,
        "companies": companies,
        "conditions": catalogue.commitment_items(item),
        "version": catalogue.conditions_version(item),
        "version_short": catalogue.conditions_version(item)[:12],
        "signer_name": values.get("signer_name", request.user.first_name or ""),
        "uscc": values.get("uscc", ""),
        "agree": values.get("agree", False),
        "errors": errors,
        "error_list": error_list,
        "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex,
    }


FIELD_FOR = {
    "company.uscc": "uscc",
    "commitment.agree": "agree",
    "commitment.signer_name": "signer_name",
    "conditions_hash": "agree",
}


@page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def commit(request, code: str):
    """实行告知承诺: read the published conditions, sign, and the permit is granted at once."""
    item = permits.commitment_item(code)
    if request.method != "POST":
        return render(request, "permits/commit.html", _commit_context(request, item))
    post = request.POST
    values = {
        "uscc": (post.get("uscc") or "").strip().upper(),
        "signer_name": (post.get("signer_name") or "").strip(),
        "agree": post.get("agree") == "true",
        "idempotency_key": (post.get("idempotency_key") or "")[:64],
    }
    data, errors = {}, {}
    for section in _own_sections(item):
        pre = _prefixed(section)
        raw, _typed = web_forms.read_post(pre, post, {})
        _cleaned, problems = engine.validate(
            {"sections": [section]}, {section["key"]: {k.split("__", 1)[1]: v for k, v in raw.items()}}
        )
        for p in problems:
            errors.setdefault(p.field.replace(".", "__", 1), problem_message(p))
        data[section["key"]] = {k.split("__", 1)[1]: v for k, v in raw.items()}
    if not values["uscc"]:
        errors["uscc"] = _("Choose the company the permit is for")
    if not values["agree"]:
        errors["agree"] = _("Tick the box to sign the commitment")
    if not values["signer_name"]:
        errors["signer_name"] = _("Enter the name of the person signing")
    if not errors:
        try:
            grant = permits.apply_with_commitment(
                request.user,
                item.code,
                uscc=values["uscc"],
                signer_name=values["signer_name"],
                agree=True,
                data=data,
                conditions_hash=post.get("conditions_version", ""),
                idempotency_key=values["idempotency_key"],
            )
        except BusinessError as exc:
            if exc.status in (403, 404) and exc.problems[0].field == "service":
                raise
            for p in exc.problems:
                errors.setdefault(FIELD_FOR.get(p.field, p.field.replace(".", "__", 1)), problem_message(p))
        else:
            return redirect("permits:granted", grant.case.number)
    return render(
        request,
        "permits/commit.html",
        _commit_context(request, item, posted=post, errors=errors, values=values),
        status=422,
    )


@page
@login_required
@require_safe
def granted(request, number: str):
    """The result of a commitment: the permit, its QR code and where it shows (一照通行)."""
    from zimao.licences import services as licences

    case = cases.get_case_for(request.user, number)
    if case.applicant_id != request.user.pk:
        raise Http404
    creds = permits.credentials_of_case(case)
    holder = creds[0].holder_uscc if creds else ""
    business = (
        next((c for c in licences.credentials_for(holder) if c.kind == "business_licence"), None) if holder else None
    )
    checks = list(
        PostCheck.objects.filter(commitment__case_number=case.number).select_related("commitment", "department")
    )
    return render(
        request,
        "permits/granted.html",
        {
            "case": case,
            "credentials": [
                {
                    "cred": c,
                    "label": licences.status_label(c.effective_status()),
                    "verify_url": licences.verify_url(c.identifier),
                    "qr": segno.make(licences.verify_url(c.identifier), error="m").svg_inline(scale=3, omitsize=True),
                }
                for c in creds
            ],
            "business": business,
            "checks": checks,
        },
    )


# ---------------------------------------------------------------- a company's credentials


@page
@login_required
@require_safe
def companies(request):
    """多证集成、一照通行: every credential of each of my companies, with status and downloads."""
    return render(request, "permits/companies.html", {"records": permits.company_records(request.user)})


# ---------------------------------------------------------------- the advisor


@page
@require_safe
def advisor(request):
    """经营范围 → 准营: choose activities; see the permits needed by mode, and the bundle offered."""
    chosen = [k for k in request.GET.getlist("activities") if k]
    advice = permits.advise(chosen) if chosen else None
    groups = []
    if advice:
        for mode in catalogue.MODE_ORDER:
            zh, en = catalogue.mode_words(mode)
            groups.append(
                {"key": mode, "label": bi((zh, en)), "help": bi(MODE_HELP[mode]), "items": advice.by_mode.get(mode, [])}
            )
    companies_ = [c for c in permits.companies_of(request.user) if c.status == "active"]
    return render(
        request,
        "permits/advisor.html",
        {
            "activities": list(catalogue.activities()),
            "chosen": set(chosen),
            "advice": advice,
            "groups": groups,
            "companies": companies_,
        },
    )


@page
@login_required
@require_POST
def note_activity(request, code: str):
    """直接取消审批: no case — the activity is noted on the company's record."""
    try:
        permits.note_activity(request.user, request.POST.get("uscc", ""), code)
    except BusinessError as exc:
        if exc.status == 404:
            raise
        messages.error(request, problem_message(exc.problems[0]))
        return redirect("permits:item", code)
    messages.success(request, _("Noted on your company's record: no approval is needed for this activity."))
    return redirect("permits:companies")


# ---------------------------------------------------------------- themed bundles


@page
@require_safe
def bundle(request, code: str):
    """一件事一次办: what the bundle holds, who does what, one clock, one output window."""
    item = catalog.get_service(code)
    if not catalogue.is_bundle(item):
        raise Http404
    members = catalogue.bundle_members(item)
    proc = catalog.current_process(item)
    outputs = [o for s in proc.definition["stages"] if s["type"] == "issue" for o in s.get("outputs", [])]
    return render(
        request,
        "permits/bundle.html",
        {
            "bundle": item,
            "members": [(m, _mode(m) if catalogue.reform_mode(m) else None) for m in members],
            "departments": sorted({m.department.code: m.department for m in members}.values(), key=lambda d: d.code),
            "outputs": outputs,
            "sections": [bi(s, "title") for s in item.form.get("sections", [])],
            "activities": list(catalogue.activities().filter(key__in=catalogue.facts(item).activities)),
            "existing": catalogue.bundle_for_existing_company(item),
            "companies": [c for c in permits.companies_of(request.user) if c.status == "active"],
        },
    )


# ---------------------------------------------------------------- post-approval checks (officers)


@page
@officer_required
@require_safe
def checks(request):
    view = "done" if request.GET.get("view") == "done" else "open"
    return render(
        request, "permits/checks.html", {"checks": permits.post_checks_for(request.user, view=view), "view": view}
    )


@page
@officer_required
@require_http_methods(["GET", "HEAD", "POST"])
def check(request, pk: int):
    from zimao.licences import services as licences

    item_check = permits.get_check_for(request.user, pk)
    errors, form = {}, {}
    if request.method == "POST":
        form = {"outcome": request.POST.get("outcome", ""), "findings": request.POST.get("findings", "")}
        try:
            permits.record_post_check(pk, request.user, form["outcome"], form["findings"])
        except BusinessError as exc:
            if exc.status == 404:
                raise
            errors = {p.field: problem_message(p) for p in exc.problems}
        else:
            messages.success(request, _("The check is recorded."))
            return redirect("permits:check", pk)
    commitment = item_check.commitment
    cred = None
    if commitment.credential_identifier:
        from zimao.licences.models import Credential

        cred = Credential.objects.filter(identifier=commitment.credential_identifier).first()
    item = catalog.get_service(commitment.item_code, published_only=False)
    return render(
        request,
        "permits/check.html",
        {
            "check": item_check,
            "commitment": commitment,
            "item": item,
            "cred": cred,
            "label": licences.status_label(cred.effective_status()) if cred else None,
            "errors": errors,
            "form": form,
            "error_list": [{"href": f"#f-{k}", "message": v} for k, v in errors.items()],
        },
        status=422 if errors else 200,
    )
