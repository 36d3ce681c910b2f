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
from django.views.decorators.http import require_http_methods, require_safe

from zimao.cases import services as cases
from zimao.catalog import services as catalog
from zimao.core import audit, throttle
from zimao.core.errors import BusinessError, NotFound
from zimao.licences import services as licence_services
from zimao.permits import catalogue as permit_catalogue
from zimao.portal.pages import login_required, not_found, page
from zimao.web.forms import RegisterForm

ESTABLISHMENT = "QYKB-001"


class LoginView(auth_views.LoginView):
    """Log in; then where the person works: officers on their workbench, applicants on their
    applications — unless a safe ``next`` says otherwise (Django's own host and scheme check)."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return landing_url(self.request.user)


def landing_url(user) -> str:
    """Where a person lands after logging in: officers (reviewers, window clerks, administrators,
    customs) on the workbench; the bonded zone's customs officers and gate keepers on the bonded
    zone; staff without an officer record on the administration; everyone else on their
    applications."""
    from django.apps import apps

    if catalog.officer_of(user) is not None:
        return reverse("web:workbench")
    if apps.is_installed("zimao.bonded"):
        from zimao.bonded import access

        if access.is_customs(user) or access.is_gate(user):
            return reverse("bonded:home")
    if user.is_staff:
        return reverse("admin:index")
    return reverse("web:cases")


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
        from zimao.web import intake

        # Counted before the identity number is looked at: asking whether a number is taken costs
        # a registration, like any other attempt (docs/window.md).
        throttle.record_registration(address)
        phone = form.cleaned_data.get("phone") or ""
        id_type, id_number = form.cleaned_data["id_type"], form.cleaned_data["id_number"]
        try:
            with transaction.atomic():
                if id_number and intake.id_number_taken(id_number, id_type):
                    raise BusinessError(intake.id_taken_problem(id_type=id_type), status=409)
                user = form.save()
                profile = intake.register_profile(user, id_number=id_number, phone=phone, id_type=id_type)
                audit.record(
                    user,
                    "user.registered",
                    user,
                    after={"username": user.username, "phone": profile.phone_masked, **intake.identity_audit(profile)},
                )
        except BusinessError as exc:
            from zimao.web.present import problem_message

            form.add_error("id_number", problem_message(exc.problems[0]))
            return render(request, "web/register.html", {"form": form}, status=409)
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
    if identifier and licence_services.looks_like_uscc(identifier):
        # A company's unified social credit code: the licences issued to it (full-width
        # characters, spaces and lower case from a phone keyboard folded first).
        identifier = licence_services.normalise_uscc(identifier)
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


@page
@login_required
@require_safe
def account(request):
    """The account's own page: name, username, and what the window knows the holder by — the
    identity document's type and masked number, the masked phone (never the full numbers)."""
    from zimao.web.forms import id_document_name
    from zimao.web.intake import profile_of

    profile = profile_of(request.user)
    return render(
        request,
        "web/account.html",
        {
            "profile": profile,
            "id_type_name": id_document_name(profile.id_type) if profile and profile.id_masked else "",
        },
    )


CLAIM_KEY = "zimao.claim"  # the profile a claim code went to (0 when none did), in the session


@require_http_methods(["GET", "HEAD", "POST"])
def claim(request):
    """Claim the account a window clerk opened (认领账户): identity number and phone, a code by
    text message, then a username and password. The page answers the same whether or not such an
    account exists, so it tells nobody who has one."""
    from zimao.web import intake
    from zimao.web.forms import ClaimForm, id_document_choices

    if request.user.is_authenticated:
        return redirect(landing_url(request.user))
    step = "claim" if CLAIM_KEY in request.session else "find"
    form = ClaimForm(request.POST if request.POST.get("step") == "claim" else None)
    status = 200
    if request.method == "POST" and request.POST.get("step") == "find":
        address = throttle.client_address(request)
        if not throttle.registration_allowed(address):
            messages.error(request, throttle.REGISTRATION_MESSAGE)
            return render(
                request, "web/claim.html", {"step": "find", "form": form, "id_types": id_document_choices()}, status=429
            )
        throttle.record_registration(address)
        request.session[CLAIM_KEY] = (
            intake.request_claim(
                request.POST.get("id_number", ""),
                request.POST.get("phone", ""),
                id_type=request.POST.get("id_type") or intake.ID_RESIDENT,
            )
            or 0
        )
        return redirect("web:claim")
    if request.method == "POST" and step == "claim" and request.POST.get("step") == "claim":
        if form.is_valid():
            try:
                intake.complete_claim(
                    request.session.get(CLAIM_KEY),
                    form.cleaned_data["code"],
                    form.cleaned_data["username"],
                    form.cleaned_data["password1"],
                )
            except BusinessError as exc:
                from zimao.web.present import problem_message

                form.add_error("code", problem_message(exc.problems[0]))
            else:
                request.session.pop(CLAIM_KEY, None)
                messages.success(
                    request, _("Your account is yours now. Log in with the username and password you chose.")
                )
                return redirect("web:login")
        status = 422
    if request.method == "POST" and request.POST.get("step") == "restart":
        request.session.pop(CLAIM_KEY, None)
        return redirect("web:claim")
    return render(
        request, "web/claim.html", {"step": step, "form": form, "id_types": id_document_choices()}, status=status
    )
