"""Certificate-of-origin pages — 原产地证书页面: the exporter's applications, certificates, PDFs and
true copies; the issuing body's desk (issue or refuse in two clicks); statistics; public
verification (``/coo/verify/<number>/`` shows what Art. 3.17.7 requires)."""

from __future__ import annotations

import re
import uuid
from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zimao.core.errors import BusinessError
from zimao.portal.forms import plain_field as field
from zimao.portal.pages import error_list, field_errors, forbidden, login_required, page
from zimao.portal.present import bi, is_en, problem_message
from zimao.trade import services
from zimao.trade.certificates import case_service
from zimao.trade.certificates import document as docs
from zimao.trade.certificates import services as certificate_services
from zimao.trade.models import Certificate, TrueCopy
from zimao.trade.views import country_label, issuer_required, party_choices

# ---------------------------------------------------------------------------------------------
# Certificates — 原产地证书 (exporter)


def status_tag(cert: Certificate) -> str:
    return {"submitted": "info", "issued": "ok", "refused": "bad", "withdrawn": "muted", "invalidated": "bad"}[
        cert.status
    ]


def cert_rows(certs) -> list[dict]:
    rows = []
    for c in certs:
        zh, en = services.STATUS_WORDS[c.status]
        rows.append(
            {"cert": c, "status": bi((zh, en)), "tag": status_tag(c), "country": country_label(c.importing_country)}
        )
    return rows


@page
@login_required
@require_safe
def certificate_list(request):
    certs = services.certificates_for(request.user)[:200]
    checks = services.checks_of(request.user)[:20]
    declarations = services.declarations_for(request.user).order_by("-completed_at")[:50]
    return render(
        request,
        "trade/certificates.html",
        {
            "rows": cert_rows(certs),
            "checks": checks,
            "declarations": declarations,
            "approved": services.approved_exporter_for(request.user),
            "is_exporter": bool(services.exporters_of(request.user)),
        },
    )


def _apply_fields(request, check, values: dict, errors: dict) -> dict:
    entities = services.exporters_of(request.user)
    bom_product = (check.bom or {}).get("product", {}) if check else {}
    v = lambda name, default="": values.get(name, default)  # noqa: E731
    body_choices = [(code, bi((d.name_zh, d.name_en))) for code, d in _bodies().items()]
    return {
        "exporter": [
            field(
                "exporter.uscc",
                _("Exporter"),
                v("exporter.uscc", entities[0].uscc if entities else ""),
                errors=errors,
                widget="select",
                choices=[(e.uscc, f"{e.name} ({e.uscc})") for e in entities],
            ),
            field(
                "exporter.name",
                _("Exporter's name in English"),
                v("exporter.name"),
                errors=errors,
                hint=_("The certificate is in English (Art. 3.17.3(c))"),
            ),
            field("exporter.address", _("Exporter's address in English"), v("exporter.address"), errors=errors),
        ],
        "producer": [
            field(
                "producer.mode",
                _("Producer"),
                v("producer.mode", "same"),
                errors=errors,
                widget="radios",
                choices=[
                    ("same", _("The exporter produced the goods")),
                    ("other", _("Another producer")),
                    ("unknown", _("Not known")),
                ],
            ),
            field("producer.name", _("Producer's name in English"), v("producer.name"), errors=errors, required=False),
            field(
                "producer.address",
                _("Producer's address in English"),
                v("producer.address"),
                errors=errors,
                required=False,
            ),
        ],
        "importer": [
            field("importer.name", _("Importer or consignee (English)"), v("importer.name"), errors=errors),
            field("importer.address", _("Importer's address (English)"), v("importer.address"), errors=errors),
            field(
                "importer.country",
                _("Importing country"),
                v("importer.country", "JP"),
                errors=errors,
                widget="select",
                choices=party_choices(exclude=docs.EXPORTING_PARTY),
            ),
        ],
        "transport": [
            field(
                "transport.departure_date",
                _("Departure date"),
                v("transport.departure_date"),
                errors=errors,
                widget="date",
            ),
            field("transport.vessel", _("Vessel name or flight number"), v("transport.vessel"), errors=errors),
            field(
                "transport.port_of_loading",
                _("Port of loading"),
                v("transport.port_of_loading"),
                errors=errors,
                required=False,
            ),
            field(
                "transport.port_of_discharge", _("Port of discharge"), v("transport.port_of_discharge"), errors=errors
            ),
            field("invoices[0].number", _("Invoice number"), v("invoices[0].number"), errors=errors, width="medium"),
            field("invoices[0].date", _("Invoice date"), v("invoices[0].date"), errors=errors, widget="date"),
        ],
        "goods": [
            field(
                "goods[0].description",
                _("Description of the goods (English)"),
                v("goods[0].description", bom_product.get("description", "")),
                errors=errors,
            ),
            field(
                "goods[0].marks",
                _("Marks and numbers on packages"),
                v("goods[0].marks"),
                errors=errors,
                required=False,
                hint=_("Leave blank for N/M (no marks)"),
            ),
            field(
                "goods[0].packages",
                _("Number and kind of packages"),
                v("goods[0].packages"),
                errors=errors,
                hint=_("For example 50 CARTONS"),
            ),
            field("goods[0].quantity", _("Quantity"), v("goods[0].quantity"), errors=errors, width="short"),
            field("goods[0].unit", _("Unit"), v("goods[0].unit", "PCS"), errors=errors, width="short"),
            field(
                "goods[0].gross_weight_kg",
                _("Gross weight (kg)"),
                v("goods[0].gross_weight_kg"),
                errors=errors,
                required=False,
                width="short",
            ),
            field(
                "currency",
                _("Currency"),
                v("currency", bom_product.get("currency", "USD")),
                errors=errors,
                width="short",
            ),
            field(
                "goods[0].fob_value",
                _("FOB value of these goods"),
                v("goods[0].fob_value"),
                errors=errors,
                width="short",
            ),
        ],
        "other": [
            field(
                "issuing_body",
                _("Issuing body"),
                v("issuing_body", docs.DEFAULT_ISSUING_BODY),
                errors=errors,
                widget="radios",
                choices=body_choices,
            ),
            field("remarks", _("Remarks (English)"), v("remarks"), errors=errors, required=False, widget="textarea"),
            field(
                "retroactive_reason",
                _("Reason for issuing after shipment"),
                v("retroactive_reason"),
                errors=errors,
                required=False,
                widget="textarea",
                hint=_("Only if the goods have already left (Art. 3.17.8)"),
            ),
            field(
                "declaration.place",
                _("Place of the exporter's declaration"),
                v("declaration.place", certificate_services.place_of_issue().split(",")[0].strip().title()),
                errors=errors,
            ),
            field(
                "declaration.signatory",
                _("Authorised signatory (English name)"),
                v("declaration.signatory"),
                errors=errors,
            ),
        ],
    }


def _bodies() -> dict:
    from zimao.catalog.models import Department

    return {d.code: d for d in Department.objects.filter(code__in=list(docs.ISSUING_BODIES)).order_by("code")}


def _application_from_post(post, check) -> dict:
    def val(name):
        return (post.get(name) or "").strip()

    mode = val("producer.mode") or "same"
    producer = (
        {"same_as_exporter": True}
        if mode == "same"
        else ({"name": val("producer.name"), "address": val("producer.address")} if mode == "other" else None)
    )
    goods = {"check_id": check.pk if check else None}
    for key in ("description", "marks", "packages", "quantity", "unit", "gross_weight_kg", "fob_value"):
        if val(f"goods[0].{key}"):
            goods[key] = val(f"goods[0].{key}")
    return {
        "exporter": {"uscc": val("exporter.uscc"), "name": val("exporter.name"), "address": val("exporter.address")},
        "producer": producer,
        "importer": {
            "name": val("importer.name"),
            "address": val("importer.address"),
            "country": val("importer.country"),
        },
        "transport": {
            "departure_date": val("transport.departure_date"),
            "vessel": val("transport.vessel"),
            "port_of_loading": val("transport.port_of_loading"),
            "port_of_discharge": val("transport.port_of_discharge"),
        },
        "invoices": [{"number": val("invoices[0].number"), "date": val("invoices[0].date")}],
        "issuing_body": val("issuing_body") or docs.DEFAULT_ISSUING_BODY,
        "currency": val("currency"),
        "goods": [goods],
        "remarks": val("remarks"),
        "retroactive_reason": val("retroactive_reason"),
        "declaration": {"place": val("declaration.place"), "signatory": val("declaration.signatory")},
    }


@page
@login_required
@require_http_methods(["GET", "POST"])
def certificate_apply(request):
    """Apply for a certificate of origin — 申请原产地证书 — for a product checked as originating."""
    check_id = request.POST.get("check") or request.GET.get("check") or ""
    check = services.get_check(request.user, check_id) if check_id else None
    if not services.exporters_of(request.user):
        return render(request, "trade/no_company.html", status=403)
    if check is None or not check.originating:
        messages.info(request, _("Check the product's origin first; an originating product can then be applied for."))
        return redirect("trade:origin_check")
    values, errors = {}, {}
    if request.method == "POST":
        values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            # A case of the catalogue service RCEP-CO: the engine's clock, workbench and outputs.
            cert = case_service.apply_through_engine(
                request.user,
                _application_from_post(request.POST, check),
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
            messages.success(
                request, _("Your application %(ref)s was sent to the issuing body.") % {"ref": cert.reference}
            )
            return redirect("trade:certificate", reference=cert.reference)
        except BusinessError as exc:
            errors = field_errors(exc)
            if "goods[0].check_id" in errors or "goods[0]" in errors:
                errors.setdefault("goods[0].description", errors.get("goods[0]") or errors.get("goods[0].check_id"))
            if "producer" in errors:
                errors.setdefault("producer.mode", errors["producer"])
    sections = _apply_fields(request, check, values, errors)
    known = {f["key"] for fs in sections.values() for f in fs}
    context = {
        "check": check,
        "sections": sections,
        "errors": errors,
        "error_list": error_list(errors, known),
        "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex,
        "criterion": check.criterion,
        "rcep_country": country_label(check.rcep_country),
    }
    return render(request, "trade/apply.html", context, status=422 if errors else 200)


def _goods_rows(cert: Certificate) -> list[dict]:
    rows = []
    source = cert.content["goods"] if cert.content else cert.data["goods"]
    for i, g in enumerate(source):
        det = cert.data["goods"][i].get("determination") if i < len(cert.data["goods"]) else None
        rows.append(
            {
                "g": g,
                "criterion": ", ".join(g["criterion"]),
                "country": country_label(g["rcep_country"]),
                "lines": (det["explanation"] if is_en() else det["explanation_zh"]) if det else [],
                "original": g.get("original"),
            }
        )
    return rows


def _certificate_context(request, cert: Certificate) -> dict:
    zh, en = services.STATUS_WORDS[cert.status]
    body = _bodies().get(cert.issuing_body)
    ctx = {
        "cert": cert,
        "status": bi((zh, en)),
        "tag": status_tag(cert),
        "goods": _goods_rows(cert),
        "body_name": bi((body.name_zh, body.name_en)) if body else cert.issuing_body,
        "country": country_label(cert.importing_country),
        "data": cert.data,
        "copies": list(cert.true_copies.order_by("requested_at")),
    }
    if cert.number:
        result = services.verify(cert.number)
        ctx.update(
            {
                "verify_url": docs.verify_url(cert.number),
                "qr_svg": docs.qr_svg(cert.number, scale=4),
                "verification": result,
                "label": result.label,
            }
        )
    return ctx


@page
@login_required
@require_safe
def certificate_detail(request, reference: str):
    cert = services.get_certificate(request.user, reference)
    ctx = _certificate_context(request, cert)
    ctx["is_owner"] = cert.applicant_id == request.user.id or cert.exporter_uscc in {
        e.uscc for e in services.exporters_of(request.user)
    }
    ctx["can_true_copy"] = (
        ctx["is_owner"]
        and cert.status == Certificate.Status.ISSUED
        and docs.add_years(cert.issued_on, 1) >= timezone.localdate()
    )
    return render(request, "trade/certificate.html", ctx)


@page
@login_required
@require_POST
def certificate_withdraw(request, reference: str):
    services.withdraw(request.user, reference, request.POST.get("reason", ""))
    messages.success(request, _("The application was withdrawn."))
    return redirect("trade:certificate", reference=reference)


@page
@login_required
@require_POST
def true_copy_request(request, reference: str):
    cert = services.get_certificate(request.user, reference)
    try:
        copy = services.request_true_copy(request.user, cert.number or "", request.POST.get("reason", ""))
        messages.success(
            request, _("Your request %(ref)s for a certified true copy was sent.") % {"ref": copy.reference}
        )
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        for p in exc.problems:
            messages.error(request, problem_message(p))
    return redirect("trade:certificate", reference=cert.reference)


def _pdf_context(cert: Certificate, copy: TrueCopy | None = None) -> dict:
    c = cert.content
    return {
        "c": c,
        "cert": cert,
        "copy": copy,
        "country": lambda code: docs.country_en(code),
        "issued_in": docs.country_en(c["issued_in"]),
        "exporter_country": docs.country_en(c["exporter"]["country"]),
        "importer_country": docs.country_en(c["importer"]["country"]),
        "goods": [
            {**g, "rcep_country_en": docs.country_en(g["rcep_country"]), "criterion_text": ", ".join(g["criterion"])}
            for g in c["goods"]
        ],
        "qr_svg": docs.qr_svg(cert.number, scale=2),
        "fingerprint": docs.signature_fingerprint(copy.jws if copy else cert.jws),
        "kid": copy.kid if copy else cert.kid,
        "verify_url": docs.verify_url(cert.number),
        "true_copy": copy is not None,
    }


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@page
@login_required
@require_safe
def certificate_pdf(request, reference: str):
    """The certificate in the Form RCEP layout — 原产地证书 PDF (English, 16 boxes)."""
    cert = services.get_certificate(request.user, reference)
    if not cert.number or cert.content is None:
        raise Http404("not issued")
    return _pdf_response(docs.render_pdf(_pdf_context(cert)), f"{cert.number}.pdf")


@page
@login_required
@require_safe
def true_copy_pdf(request, reference: str):
    copy = (
        TrueCopy.objects.select_related("certificate")
        .filter(reference=reference.upper(), status=TrueCopy.Status.ISSUED)
        .first()
    )
    if copy is None or not services.can_view(request.user, copy.certificate):
        raise Http404("not found")
    return _pdf_response(
        docs.render_pdf(_pdf_context(copy.certificate, copy)), f"{copy.certificate.number}-certified-true-copy.pdf"
    )


@page
@login_required
@require_safe
def declaration_pdf(request, reference: str):
    dec = services.declarations_for(request.user).filter(reference=reference.upper()).first()
    if dec is None:
        raise Http404("not found")
    c = dec.content
    context = {
        "dec": dec,
        "c": c,
        "importer_country": docs.country_en(c["importer"]["country"]),
        "goods": [
            {**g, "rcep_country_en": docs.country_en(g["rcep_country"]), "criterion_text": ", ".join(g["criterion"])}
            for g in c["goods"]
        ],
        "qr_svg": docs.qr_svg(dec.reference, scale=2),
        "fingerprint": docs.signature_fingerprint(dec.jws),
        "verify_url": docs.verify_url(dec.reference),
    }
    return _pdf_response(docs.render_declaration_pdf(context), f"{dec.reference}.pdf")


# ---------------------------------------------------------------------------------------------
# The issuing body's desk — 签证审核


@page
@issuer_required
@require_safe
def desk(request):
    queue = list(services.review_queue(request.user)[:200])
    today = timezone.localdate()
    rows = [
        {
            "cert": c,
            "country": country_label(c.importing_country),
            "overdue": c.due_date and c.due_date < today,
            "goods": len(c.data.get("goods", [])),
        }
        for c in queue
    ]
    recent = (
        Certificate.objects.filter(issuing_body=request.officer.department.code)
        .exclude(status=Certificate.Status.SUBMITTED)
        .order_by("-decided_at", "-id")[:20]
    )
    return render(
        request,
        "trade/desk.html",
        {
            "rows": rows,
            "copies": services.true_copies_queue(request.user),
            "recent": cert_rows(recent),
            "department": request.officer.department,
        },
    )


def _issue_fields(cert: Certificate, values: dict, errors: dict) -> list[dict]:
    today = timezone.localdate()
    out = []
    if cert.departure_date < today:
        out.append(
            field(
                "retroactive_reason",
                _("Reason for issuing retroactively"),
                values.get("retroactive_reason", cert.data.get("retroactive_reason", "")),
                errors=errors,
                widget="textarea",
                hint=_("The goods left on %(date)s: the certificate will bear ISSUED RETROACTIVELY")
                % {"date": cert.departure_date.isoformat()},
            )
        )
    if services.rate_for(cert.currency, today) is None:
        out.append(
            field(
                "cny_rate",
                _("Customs exchange rate: yuan per %(currency)s this month") % {"currency": cert.currency},
                values.get("cny_rate", ""),
                errors=errors,
                width="short",
                hint=_("Used once for the statistics, and kept for the rest of the month"),
            )
        )
    return out


def _desk_review_page(request, cert, values=None, errors=None, status=200):
    errors = errors or {}
    ctx = _certificate_context(request, cert)
    issue_fields = _issue_fields(cert, values or {}, errors) if cert.status == Certificate.Status.SUBMITTED else []
    ctx.update(
        {
            "issue_fields": issue_fields,
            "errors": errors,
            "refuse_field": field(
                "reason",
                _("Reason for refusing"),
                (values or {}).get("reason", ""),
                errors=errors,
                widget="textarea",
                required=True,
            ),
            "error_list": error_list(errors, {f["key"] for f in issue_fields} | {"reason"}),
            "retroactive": cert.departure_date < timezone.localdate(),
            "may_issue": services.issuing_officer(request.user, cert.issuing_body) is not None,
        }
    )
    return render(request, "trade/desk_review.html", ctx, status=status)


@page
@issuer_required
@require_safe
def desk_review(request, reference: str):
    cert = services.get_certificate(request.user, reference)
    return _desk_review_page(request, cert)


@page
@issuer_required
@require_POST
def desk_issue(request, reference: str):
    cert = services.get_certificate(request.user, reference)
    try:
        cert = services.issue(
            cert.reference,
            request.user,
            retroactive_reason=request.POST.get("retroactive_reason", ""),
            cny_rate=request.POST.get("cny_rate") or None,
        )
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        return _desk_review_page(request, cert, request.POST, field_errors(exc), status=exc.status)
    messages.success(request, _("Certificate %(number)s issued.") % {"number": cert.number})
    return redirect("trade:desk_review", reference=cert.reference)


@page
@issuer_required
@require_POST
def desk_refuse(request, reference: str):
    cert = services.get_certificate(request.user, reference)
    try:
        services.refuse(cert.reference, request.user, request.POST.get("reason", ""))
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        return _desk_review_page(request, cert, request.POST, field_errors(exc), status=exc.status)
    messages.success(
        request, _("Application %(ref)s refused; the exporter sees your reason.") % {"ref": cert.reference}
    )
    return redirect("trade:desk")


@page
@issuer_required
@require_POST
def desk_true_copy(request, reference: str):
    try:
        if request.POST.get("action") == "refuse":
            services.refuse_true_copy(reference, request.user, request.POST.get("reason", ""))
            messages.success(request, _("The request was refused."))
        else:
            copy = services.issue_true_copy(reference, request.user)
            messages.success(
                request, _("Certified true copy of %(number)s issued.") % {"number": copy.certificate.number}
            )
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        for p in exc.problems:
            messages.error(request, problem_message(p))
    return redirect("trade:desk")


@page
@login_required
@require_safe
def statistics(request):
    """Certificates and FOB value by destination and period — 原产地证书统计 (officials)."""
    if not services.is_trade_official(request.user):
        return forbidden(request)
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("start") or f"{today.year}-01-01")
        end = date.fromisoformat(request.GET.get("end") or today.isoformat())
    except ValueError:
        start, end = date(today.year, 1, 1), today
    period = request.GET.get("period") if request.GET.get("period") in ("month", "quarter", "year") else "month"
    rows = services.certificate_statistics(start, end, period=period)
    for r in rows:
        r["country_label"] = bi((r["country_zh"], r["country_en"]))
    totals = {
        "certificates": sum(r["certificates"] for r in rows),
        "fob_cny": sum((float(r["fob_cny"]) for r in rows), 0.0),
    }
    return render(
        request, "trade/statistics.html", {"rows": rows, "start": start, "end": end, "period": period, "totals": totals}
    )


# ---------------------------------------------------------------------------------------------
# Public verification — 公开核验 (Art. 3.17.7)


@require_safe
def verify_form(request):
    number = (request.GET.get("number") or "").strip().upper()
    if number and re.fullmatch(r"[A-Z0-9]{1,60}", number):
        return redirect("trade:verify", number=number)
    return render(
        request, "trade/verify_form.html", {"number": number, "error": bool(number)}, status=404 if number else 200
    )


@require_safe
def verify(request, number: str):
    """Public verification — 原产地证明核验: not genuine (malformed, unknown, tampered) is a 404
    page that says so; expired or invalidated proofs are genuine and shown with 200."""
    result = services.verify(number)
    facts = result.facts()
    for g in facts.get("goods", []):
        g["country"] = country_label(g["rcep_country"])
    reasons = {
        "invalid_number": (_("The number is malformed or its check character is wrong: mistyped or altered.")),
        "unknown": _("No certificate or declaration of origin with this number was issued here."),
        "signature": _("The signature does not verify: the record may have been altered. Do not rely on it."),
    }
    context = {
        "result": result,
        "facts": facts,
        "label": result.label,
        "number": result.number,
        "reason_text": reasons.get(result.reason, ""),
        "importing": country_label(facts.get("importing_country", "")),
        "exporter_country": country_label(facts.get("exporter_country", "")),
    }
    response = render(request, "trade/verify.html", context, status=200 if result.genuine else 404)
    # Status can change at any moment (invalidation): never let a cache answer for the register.
    response["Cache-Control"] = "no-store"
    return response
