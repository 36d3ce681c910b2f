"""The notification centre — 消息中心: a person's messages (newest first, unread marked), marking
them read, and the choice of channels and language."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zimao.core.errors import BusinessError
from zimao.notify import contacts, services
from zimao.notify.models import Preference


@login_required
@require_http_methods(["GET", "HEAD"])
def centre(request):
    rows = services.notifications_of(request.user, limit=100)
    return render(
        request,
        "notify/centre.html",
        {"notifications": rows, "unread": sum(1 for n in rows if n.read_at is None)},
    )


@login_required
@require_POST
def read(request, pk: int):
    try:
        services.mark_read(request.user, pk)
    except BusinessError as exc:
        raise Http404 from exc
    return redirect("notify:centre")


@login_required
@require_POST
def read_all(request):
    services.mark_all_read(request.user)
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notify:centre")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def settings_page(request):
    """Channels, language, and the e-mail address (registration asks for none; the mobile number
    is the one given at registration, shown masked)."""
    pref = services.preference_of(request.user)
    error, email_value = "", contacts.email_of(request.user)
    if request.method == "POST":
        email_value = (request.POST.get("email_address") or "").strip()
        try:
            with transaction.atomic():
                services.set_email(request.user, email_value)
                services.set_preference(
                    request.user,
                    email=request.POST.get("email") == "on",
                    sms=request.POST.get("sms") == "on",
                    language=request.POST.get("language", ""),
                )
        except ValidationError:
            error = _("Enter an e-mail address like name@example.cn, or leave it blank")
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notify:centre")
        pref = Preference(
            user=request.user,
            email=request.POST.get("email") == "on",
            sms=request.POST.get("sms") == "on",
            language=request.POST.get("language", ""),
        )
    phone = contacts.mobile_of(request.user)
    return render(
        request,
        "notify/settings.html",
        {
            "pref": pref,
            "languages": Preference.Language.choices,
            "email_value": email_value,
            "phone_masked": contacts.mask_phone(phone) if phone else "",
            "error": error,
            "error_list": [{"href": "#notify-email-address", "message": error}] if error else [],
        },
        status=422 if error else 200,
    )
