"""Public pages and accounts: home, service guides, log in, register, the verification form, and
the download of an uploaded material for whoever may read it.

The applicant's journey is in ``applicant.py``, the officers' pages in ``officer.py``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from zimao.cases import services as cases
from zimao.catalog import services as catalog
from zimao.core import audit, throttle
from zimao.core.errors import NotFound
from zimao.core.protected import mask_phone
from zimao.permits import catalogue as permit_catalogue
from zimao.portal.pages import login_required, not_found, page
from zimao.web.forms import RegisterForm

ESTABLISHMENT = "QYKB-001"


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True


def _establishment():
    return catalog.published_services().filter(code=ESTABLISHMENT).first()


@require_safe
def home(request):
    return render(request, "web/home.html", {"establishment": _establishment()})


@require_safe
def services(request):
    items = list(catalog.published_services())
    # An abolished approval (直接取消审批) is no service to apply for: listed apart, without limits.
    return render(
        request,
        "web/services.html",
        {"services": items, "abolished": [s for s in items if permit_catalogue.reform_mode(s) == "cancelled"]},
    )


def can_apply(item) -> bool:
    """Whether the service takes applications: not an abolished approval (直接取消审批), and a
    published process to run them on."""
    from zimao.core.errors import BusinessError

    if permit_catalogue.reform_mode(item) == "cancelled":
        return False
    try:
        catalog.current_process(item)
    except BusinessError:
        return False
    return True


@page
@require_safe
def service(request, code: str):
    """The service guide (办事指南): who decides, how long it may take, what to bring."""
    item = catalog.get_service(code)
    permit = permit_catalogue.facts(item)
    merged_into = permit.permit.get("merged_into")
    merged = catalog.published_services().filter(code=merged_into).first() if merged_into else None
    return render(
        request,
        "web/service.html",
        {
            "service": item,
            "permit": permit,
            "materials": item.materials,
            "can_apply": can_apply(item) and merged is None,
            "merged_into": merged,
        },
    )


def register(request):
    if request.user.is_authenticated:
        return redirect("web:home")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = throttle.client_address(request)
        if not throttle.registration_allowed(address):
            form.add_error(None, throttle.REGISTRATION_MESSAGE)
            return render(request, "web/register.html", {"form": form}, status=429)
        with transaction.atomic():
            throttle.record_registration(address)
            user = form.save()
            phone = form.cleaned_data.get("phone") or ""
            if phone:
                from zimao.web.models import Profile

                Profile.objects.create(user=user, phone=phone, phone_masked=mask_phone(phone))
            audit.record(
                user,
                "user.registered",
                user,
                after={"username": user.username, "phone": mask_phone(phone) if phone else ""},
            )
        messages.success(request, _("Your account has been created. Log in to start an application."))
        login_url = reverse("web:login")
        next_url = request.GET.get("next") or ""
        if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            return redirect(f"{login_url}?{urlencode({'next': next_url})}")
        return redirect(login_url)
    return render(request, "web/register.html", {"form": form}, status=200)


@require_safe
def verify_form(request):
    from django.urls import NoReverseMatch

    identifier = (request.GET.get("identifier") or "").strip()
    if identifier:
        try:
            return redirect(reverse("licences:verify", args=[identifier]))
        except NoReverseMatch:  # e.g. a slash in what was typed: it cannot be a licence
            return render(request, "web/verify_form.html", {"identifier": identifier, "error": True}, status=404)
    return render(request, "web/verify_form.html")


@page
@login_required
@require_safe
def material(request, token):
    """An uploaded material, for its owner and the officers working on its case; 404 for anyone
    else (the same answer as for a material that does not exist). The URL carries the material's
    random token, not its number: the old ``/materials/<n>/`` addresses are gone (404)."""
    try:
        item = cases.get_material_for(request.user, token)
    except NotFound:
        return not_found(request)
    if item.case_id and item.owner_id != request.user.pk:
        audit.record(request.user, "material.read", item, after={"case": item.case.number, "key": item.key})
    response = FileResponse(item.file.open("rb"), content_type=item.content_type, filename=item.original_name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
