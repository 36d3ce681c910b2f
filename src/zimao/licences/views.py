"""Licence pages — 电子证照页面: public verification (扫码核验), the holder's licence with its QR
code, and the public keys (JWKS) for verifying offline."""

from __future__ import annotations

import os

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods, require_safe

from zimao.core import signing
from zimao.licences import services
from zimao.licences.models import Credential

# Stands for the CSRF token in a verification page kept for visitors (never a real token: those
# are 64 characters of letters and digits).
_CSRF_SLOT = "csrf-slot:licences.verify"


def _random_chars(n: int) -> str:
    """``n`` characters drawn uniformly from CSRF_ALLOWED_CHARS out of one ``os.urandom`` read
    (Django's ``get_random_string`` reads the system's random source once per character)."""
    out, alphabet = [], CSRF_ALLOWED_CHARS
    limit = 256 - 256 % len(alphabet)  # bytes at or above it would bias the draw: skipped
    while len(out) < n:
        out += [alphabet[b % len(alphabet)] for b in os.urandom(2 * n) if b < limit]
    return "".join(out[:n])


def _visitor_csrf_token(request) -> str:
    """The CSRF token for a visitor's page — what ``django.middleware.csrf.get_token`` gives (the
    secret kept in the visitor's CSRF cookie, set or renewed by the middleware, and a token that is
    the secret masked with a fresh random mask), with the randomness read in one call: on the
    public verify page (every QR code scanned) ``get_token`` was the largest cost after the cached
    answer itself."""
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        secret = request.META["CSRF_COOKIE"] = _random_chars(CSRF_SECRET_LENGTH)
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    mask = _random_chars(CSRF_SECRET_LENGTH)
    index, alphabet = {c: i for i, c in enumerate(CSRF_ALLOWED_CHARS)}, CSRF_ALLOWED_CHARS
    cipher = "".join(alphabet[(index[x] + index[y]) % len(alphabet)] for x, y in zip(secret, mask, strict=True))
    return mask + cipher


def _integrated(result: services.VerificationResult) -> list[dict]:
    """Rows of the 多证集成 view: every credential of the holder with its own status."""
    this = result.credential.pk if result.credential else None
    return [
        {"cred": c, "label": services.status_label(s), "is_this": c.pk == this} for c, s in result.holder_credentials
    ]


@require_safe
def verify(request, identifier: str):
    """Public verification — 电子证照核验. Not genuine (malformed, unknown, tampered) is a 404 page
    that says so in plain words; revoked or expired licences are genuine and shown with 200.

    A unified social credit code instead of an identifier lists the licences issued here to that
    company (多证集成), or says plainly that none was — which does not make the company fake."""
    if services.looks_like_uscc(identifier):
        return _verify_holder(request, identifier)
    result = services.verify(identifier)
    context = {"result": result, "label": result.label, "identifier": result.identifier}

    def body() -> str:
        inner = dict(context)
        if result.genuine:
            cred = result.credential
            inner.update(
                {
                    "cred": cred,
                    "fields": services.subject_fields(cred.subject, masked=True, holder=cred),
                    "integrated": _integrated(result),
                }
            )
        return render_to_string("licences/_verify_body.html", inner, request=request)

    status = 200 if result.genuine else 404
    lang, host = get_language(), request.build_absolute_uri("/")  # links on the page follow the address
    if not request.user.is_authenticated and not len(messages.get_messages(request)):
        # A visitor (most verifications: a QR code scanned): the whole page is kept with the
        # holder's cached answer — it goes when a change bumps the holder's version — with a slot
        # for the CSRF token of the language form, filled in for each request.
        html = services.cached_rendering(
            result,
            ("page", lang, host, request.get_full_path()),
            lambda: render_to_string(
                "licences/verify.html",
                {**context, "body": mark_safe(body()), "csrf_token": _CSRF_SLOT},  # noqa: S308
                request=request,
            ),
        )
        response = HttpResponse(html.replace(_CSRF_SLOT, _visitor_csrf_token(request)), status=status)
    else:
        # Signed in: the frame (user menu, log-out form) is the reader's own; the body is shared.
        # Our own template's output, rendered once per answer and shared.
        html = services.cached_rendering(result, ("body", lang, host), body)
        context["body"] = mark_safe(html)  # noqa: S308
        response = render(request, "licences/verify.html", context, status=status)
    # Status can change at any moment (revocation): never let a cache answer for the store.
    response["Cache-Control"] = "no-store"
    return response


def _verify_holder(request, uscc: str):
    lookup = services.lookup_holder(uscc)
    rows = [{"cred": c, "label": services.status_label(s), "is_this": False} for c, s in lookup.credentials]
    context = {"lookup": lookup, "label": lookup.label, "integrated": rows, "holder_view": True}
    context["body"] = render_to_string("licences/_holder_body.html", context, request=request)
    response = render(request, "licences/verify.html", context, status=200 if lookup.found else 404)
    response["Cache-Control"] = "no-store"
    return response


def _viewable(request, identifier: str) -> Credential:
    cred = Credential.objects.filter(identifier=identifier).first()
    # Someone else's licence looks exactly like a missing one: no existence oracle.
    if cred is None or not services.can_view(request.user, cred):
        raise Http404("not found")
    return cred


def _qr(identifier: str) -> segno.QRCode:
    return segno.make(services.verify_url(identifier), error="m")


@login_required
@require_safe
def detail(request, identifier: str):
    """The holder's licence — 我的电子证照, with the QR code that leads to public verification."""
    cred = _viewable(request, identifier)
    result = services.verify(cred.identifier)
    label = result.label if result.genuine else services.status_label("not_genuine")
    context = {
        "cred": cred,
        "result": result,
        "label": label,
        "fields": services.subject_fields(cred.subject, masked=False, holder=cred),
        "integrated": _integrated(result),
        "verify_url": services.verify_url(cred.identifier),
        # Rendered server-side as inline SVG: no script, nothing for the CSP to refuse.
        "qr_svg": _qr(cred.identifier).svg_inline(scale=4, omitsize=True, title=services.verify_url(cred.identifier)),
    }
    return render(request, "licences/detail.html", context)


@login_required
@require_safe
def qr(request, identifier: str):
    """The licence's QR code as an SVG file (for printing or a document)."""
    cred = _viewable(request, identifier)
    svg = _qr(cred.identifier).svg_inline(scale=8, omitsize=False, title=services.verify_url(cred.identifier))
    body = '<?xml version="1.0" encoding="utf-8"?>\n' + svg.replace(
        "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1
    )
    response = HttpResponse(body, content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="{cred.identifier}.svg"'
    return response


@login_required
@require_safe
def pdf(request, identifier: str):
    """The licence as a PDF (WeasyPrint, CJK fonts, QR code on the page) — 下载电子证照 PDF."""
    from zimao.licences.pdf import render_pdf

    cred = _viewable(request, identifier)
    response = HttpResponse(render_pdf(cred), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{cred.identifier}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


def _upload_problem(upload) -> tuple[str, str] | None:
    from zimao.core import pdfsign

    if upload is None:
        return ("请选择要核验的 PDF 文件。", "Choose the PDF file to check.")
    if upload.size == 0:
        return ("文件是空的。", "The file is empty.")
    if upload.size > pdfsign.MAX_UPLOAD_BYTES:
        return (
            f"文件超过 {pdfsign.MAX_UPLOAD_BYTES // (1024 * 1024)} MB。",
            f"The file is larger than {pdfsign.MAX_UPLOAD_BYTES // (1024 * 1024)} MB.",
        )
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        return ("文件内容不是 PDF。", "The file's content is not a PDF.")
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def verify_document(request):
    """Check an uploaded licence PDF — 上传版式文件核验: is its signature genuine (the issuing
    authority's key, under this zone's CA, nothing changed), and is the licence current?"""
    from zimao.core import throttle
    from zimao.licences.pdf import verify_document as check

    context, status = {}, 200
    if request.method == "POST":
        upload = request.FILES.get("document")
        address = throttle.client_address(request)
        problem = _upload_problem(upload)
        if not throttle.document_check_allowed(address):
            problem, status = (
                ("核验次数过多，请 10 分钟后再试。", "Too many checks from your address: try again in 10 minutes."),
                429,
            )
        if problem:
            context["error"] = {"zh": problem[0], "en": problem[1]}
            status = status if status == 429 else 400
        else:
            throttle.record_document_check(address)
            doc = check(upload.read())
            context["doc"] = doc
            if doc.genuine and doc.step_output is not None:
                context["label"] = services.status_label("document_genuine")
            elif doc.genuine:
                context["label"] = doc.result.label
                context["cred"] = doc.result.credential
            else:
                context["label"] = services.status_label("not_genuine")
    response = render(request, "licences/verify_document.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def jwks(request):
    """Public signing keys — 公钥集 (JWKS), for verifying licences offline."""
    response = JsonResponse(signing.jwks())
    # Short cache: a revoked key must drop out of verifiers' key sets soon.
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response
