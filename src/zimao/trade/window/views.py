"""Single-window pages — 单一窗口页面: declare once, follow every agency's answer on one page
(refreshed by htmx)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_safe

from zimao.core.errors import BusinessError
from zimao.portal.forms import plain_field as field
from zimao.portal.pages import error_list, field_errors, login_required, page
from zimao.portal.present import bi
from zimao.trade import services
from zimao.trade.models import Certificate
from zimao.trade.window import services as window
from zimao.trade.window.agencies import AGENCIES

# ---------------------------------------------------------------------------------------------
# The single window — 单一窗口


@page
@login_required
@require_safe
def declaration_list(request):
    decls = list(window.declarations_of(request.user).prefetch_related("submissions")[:100])
    rows = [{"decl": d, "status": window.declaration_status(d)} for d in decls]
    for r in rows:
        r["label"] = bi((r["status"]["label_zh"], r["status"]["label_en"]))
    return render(
        request, "trade/declarations.html", {"rows": rows, "is_exporter": bool(services.exporters_of(request.user))}
    )


def _declaration_fields(request, values, errors) -> dict:
    entities = services.exporters_of(request.user)
    v = lambda name, default="": values.get(name, default)  # noqa: E731
    certs = Certificate.objects.filter(
        exporter_uscc__in=[e.uscc for e in entities], status=Certificate.Status.ISSUED
    ).order_by("-issued_at")[:50]
    return {
        "trader": [
            field(
                "trader_uscc",
                _("Trader"),
                v("trader_uscc", entities[0].uscc if entities else ""),
                errors=errors,
                widget="select",
                choices=[(e.uscc, f"{e.name} ({e.uscc})") for e in entities],
            ),
            field(
                "destination_country",
                _("Country of destination"),
                v("destination_country", "JP"),
                errors=errors,
                width="short",
                hint=_("2-letter country code"),
            ),
            field("consignee.name", _("Consignee"), v("consignee.name"), errors=errors),
            field("consignee.address", _("Consignee's address"), v("consignee.address"), errors=errors),
            field(
                "bonded_zone",
                _("Bonded-zone declaration"),
                v("bonded_zone"),
                errors=errors,
                widget="checkboxes",
                required=False,
                choices=[("1", _("The goods enter or leave the comprehensive bonded zone"))],
            ),
        ],
        "transport": [
            field(
                "transport.mode",
                _("Mode of transport"),
                v("transport.mode", "sea"),
                errors=errors,
                widget="select",
                choices=[("sea", _("Sea")), ("air", _("Air")), ("rail", _("Rail")), ("road", _("Road"))],
            ),
            field(
                "transport.departure_date",
                _("Departure date"),
                v("transport.departure_date"),
                errors=errors,
                widget="date",
            ),
            field("transport.vessel", _("Vessel name or flight number"), v("transport.vessel"), errors=errors),
            field("transport.port_of_loading", _("Port of loading"), v("transport.port_of_loading"), errors=errors),
            field(
                "transport.port_of_discharge", _("Port of discharge"), v("transport.port_of_discharge"), errors=errors
            ),
            field("invoice.number", _("Invoice number"), v("invoice.number"), errors=errors, width="medium"),
            field("invoice.date", _("Invoice date"), v("invoice.date"), errors=errors, widget="date"),
        ],
        "goods": [
            field(
                "goods[0].hs",
                _("Commodity code"),
                v("goods[0].hs"),
                errors=errors,
                width="medium",
                hint=_("6, 8 or 10 digits"),
            ),
            field("goods[0].description", _("Description of the goods"), v("goods[0].description"), errors=errors),
            field("goods[0].quantity", _("Quantity"), v("goods[0].quantity"), errors=errors, width="short"),
            field("goods[0].unit", _("Unit"), v("goods[0].unit", "PCS"), errors=errors, width="short"),
            field("goods[0].value", pgettext("goods", "Value"), v("goods[0].value"), errors=errors, width="short"),
            field("currency", _("Currency"), v("currency", "USD"), errors=errors, width="short"),
            field(
                "certificate_number",
                _("Certificate of origin (if any)"),
                v("certificate_number"),
                errors=errors,
                widget="select",
                required=False,
                choices=[("", _("None"))] + [(c.number, f"{c.number} → {c.importing_country}") for c in certs],
            ),
        ],
        "agencies": [
            field(
                "agencies",
                _("Agencies"),
                "",
                errors=errors,
                widget="checkboxes",
                required=False,
                choices=[
                    (a.code, f"{bi((a.name_zh, a.name_en))} — {bi((a.purpose_zh, a.purpose_en))}")
                    for a in AGENCIES.values()
                ],
            ),
        ],
    }


def _declaration_from_post(post) -> dict:
    def val(name):
        return (post.get(name) or "").strip()

    goods = {k: val(f"goods[0].{k}") for k in ("hs", "description", "quantity", "unit", "value")}
    return {
        "trader_uscc": val("trader_uscc"),
        "direction": "export",
        "destination_country": val("destination_country"),
        "consignee": {"name": val("consignee.name"), "address": val("consignee.address")},
        "transport": {
            k: val(f"transport.{k}")
            for k in ("mode", "departure_date", "vessel", "port_of_loading", "port_of_discharge")
        },
        "currency": val("currency"),
        "invoice": {"number": val("invoice.number"), "date": val("invoice.date")},
        "goods": [goods],
        "certificate_number": val("certificate_number"),
        "agencies": post.getlist("agencies") or None,
        "bonded_zone": val("bonded_zone") in ("1", "on", "true"),
    }


@page
@login_required
@require_http_methods(["GET", "POST"])
def declaration_new(request):
    """Declare once — 一次申报: customs, commerce and tax each receive what they need."""
    if not services.exporters_of(request.user):
        return render(request, "trade/no_company.html", status=403)
    values, errors = {}, {}
    if request.method == "POST":
        values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        try:
            decl = window.declare(
                request.user,
                _declaration_from_post(request.POST),
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
            messages.success(request, _("Declaration %(number)s sent to the agencies.") % {"number": decl.number})
            return redirect("trade:declaration", number=decl.number)
        except BusinessError as exc:
            errors = field_errors(exc)
    sections = _declaration_fields(request, values, errors)
    chosen = set(request.POST.getlist("agencies")) if request.method == "POST" else set(AGENCIES)
    for c in sections["agencies"][0]["choices"]:
        c["selected"] = c["value"] in chosen or AGENCIES[c["value"]].required
        c["locked"] = AGENCIES[c["value"]].required
    known = {f["key"] for fs in sections.values() for f in fs}
    return render(
        request,
        "trade/declaration_new.html",
        {
            "sections": sections,
            "errors": errors,
            "error_list": error_list(errors, known),
            "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex,
        },
        status=422 if errors else 200,
    )


def _declaration_context(decl) -> dict:
    status = window.declaration_status(decl)
    status["label"] = bi((status["label_zh"], status["label_en"]))
    for a in status["agencies"]:
        a["name"] = bi((a["agency_zh"], a["agency_en"]))
        a["purpose"] = bi((a["purpose_zh"], a["purpose_en"]))
        a["label"] = bi((a["label_zh"], a["label_en"]))
        a["message"] = bi((a["message_zh"], a["message_en"]))
    return {"decl": decl, "status": status, "value": window.total_value(decl)}


@page
@login_required
@require_safe
def declaration_detail(request, number: str):
    decl = window.get_declaration(request.user, number)
    return render(request, "trade/declaration.html", _declaration_context(decl))


@page
@login_required
@require_safe
def declaration_status_fragment(request, number: str):
    """The status panel alone, for htmx to refresh while answers are awaited."""
    decl = window.get_declaration(request.user, number)
    return render(request, "trade/_declaration_status.html", _declaration_context(decl))
