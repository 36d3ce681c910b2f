"""What every portal view shares: who may open it, and how a refusal from the engine becomes a
page (a styled 404 or 403, or the bilingual problems beside the field they name)."""

from __future__ import annotations

import re
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from zimao.catalog.services import officer_of
from zimao.core.errors import BusinessError
from zimao.portal.present import problem_message


def not_found(request, exception=None):
    """Also the site-wide 404 page (``handler404``)."""
    return render(request, "web/not_found.html", status=404)


def forbidden(request, exception=None):
    """Also the site-wide 403 page (``handler403``)."""
    return render(request, "web/forbidden.html", status=403)


def page(view):
    """Turn "not found / not yours" and "not allowed" from anywhere below into the portal's own
    pages. Not found and not yours look the same: nothing leaks."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
        except PermissionDenied:
            return forbidden(request)
        except BusinessError as exc:
            if exc.status == 404:
                return not_found(request)
            if exc.status == 403:
                return forbidden(request)
            raise

    return wrapper


def login_required(view):
    """Anonymous readers go to the login page and come back afterwards."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def officer_required(view):
    """Officers only (经办人员): anonymous → log in; anyone else → 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        officer = officer_of(request.user)
        if officer is None:
            return forbidden(request)
        request.officer = officer
        return view(request, *args, **kwargs)

    return wrapper


def field_errors(exc: BusinessError, prefix: str = "") -> dict[str, str]:
    """``{field: message}`` in the reader's language; ``prefix`` strips a section path."""
    out: dict[str, str] = {}
    for p in exc.problems:
        field = p.field[len(prefix) :] if prefix and p.field.startswith(prefix) else p.field
        out.setdefault(field, problem_message(p))
    return out


def dom_id(name: str) -> str:
    """The HTML id of the input for a field path (``goods[0].hs`` → ``f-goods-0-hs``)."""
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def error_list(errors: dict[str, str], known: set[str]) -> list[dict]:
    """The error summary (``web/_error_summary.html``): each problem linking to its input when
    the page has one — the input itself, or the first input below the path it names."""
    items = []
    for name, message in errors.items():
        target = name if name in known else next((k for k in known if k.startswith((name + ".", name + "["))), None)
        items.append({"href": f"#{dom_id(target)}" if target else "", "message": message})
    return items


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def read_upload(upload, limit: int) -> bytes:
    """At most one byte over the limit: enough for the engine to refuse a file that is too big."""
    chunks, size = [], 0
    for chunk in upload.chunks():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)[: limit + 1]
