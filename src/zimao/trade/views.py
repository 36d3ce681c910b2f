"""Trade pages — 国际贸易页面.

* exporters: check a product (bill-of-materials form or JSON) → the determination explained;
  apply for a certificate from an originating check; my certificates; the certificate with its
  QR code and PDF; ask for a certified true copy;
* the issuing body (签证机构): the review queue, one application with every determination, issue or
  refuse in two clicks; true copies; statistics;
* the public: ``/coo/verify/<number>/`` shows what Art. 3.17.7 requires;
* the single window: declare once, follow every agency's answer on one page (refreshed by htmx).

Forms name their inputs exactly as the services name fields (``importer.country``,
``goods[0].quantity``), so a bilingual problem lands beside the input it is about.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from zimao.core.errors import BusinessError
from zimao.trade import certificates as docs
from zimao.trade import services
from zimao.trade.models import Certificate, TrueCopy
from zimao.trade.origin import PARTIES, OriginError
from zimao.trade.origin.model import HS_VERSIONS, ROLES, parse_json
from zimao.trade.window import services as window
from zimao.trade.window.agencies import AGENCIES
from zimao.web.pages import forbidden, login_required, not_found, page

BOM_ROWS = 4
MAX_ROWS = 40
JSON_LIMIT = 512 * 1024


# ---------------------------------------------------------------------------------------------
# Small helpers shared by the pages


def is_en() -> bool:
    return (get_language() or "zh-hans").startswith("en")


def bi(zh: str, en: str) -> str:
    return en if is_en() else zh


def problem_text(p) -> str:
    return p.en if is_en() else p.zh


# The portal's own pages and guards: not found and not yours look the same; not allowed is 403.
_not_found, _forbidden = not_found, forbidden


def issuer_required(view):
    """Reviewers of an issuing body (签证机构) only."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        officer = services.issuing_officer(request.user)
        if officer is None:
            return _forbidden(request)
        request.officer = officer
        return view(request, *args, **kwargs)

    return wrapper


def dom_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def errors_by_field(exc: BusinessError) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in exc.problems:
        out.setdefault(p.field, problem_text(p))
    return out


def error_list(errors: dict[str, str], known: set[str]) -> list[dict]:
    """The error summary: each problem linking to its input when the page has one."""
    items = []
    for name, message in errors.items():
        target = name if name in known else next((k for k in known if k.startswith(name + ".") or
                                                  k.startswith(name + "[")), None)
        items.append({"href": f"#{dom_id(target)}" if target else "", "message": message})
    return items


def field(name, label, value="", *, errors=None, hint="", widget="text", choices=None, required=True, width=""):
    errors = errors or {}
    return {"name": name, "id": dom_id(name), "label": label, "value": "" if value is None else value,
            "error": errors.get(name, ""), "hint": hint, "widget": widget, "required": required, "width": width,
            "choices": [{"value": v, "label": lbl, "selected": str(v) == str(value)} for v, lbl in (choices or [])]}


def party_choices(exclude: str = "") -> list[tuple[str, str]]:
    return [(code, f"{code} — {bi(zh, en)}") for code, (en, zh) in PARTIES.items() if code != exclude]


def country_label(code: str) -> str:
    if code in PARTIES:
        en, zh = PARTIES[code]
        return bi(zh, en)
    return code


# ---------------------------------------------------------------------------------------------
# Landing page


@require_safe
def home(request):
    user = request.user
    context = {
        "is_exporter": bool(user.is_authenticated and services.exporters_of(user)),
        "is_issuer": services.issuing_officer(user) is not None if user.is_authenticated else False,
        "is_official": services.is_trade_official(user),
    }
    return render(request, "trade/home.html", context)


# ---------------------------------------------------------------------------------------------
# Origin check — 原产地预判


def _bom_from_post(post, rows: int) -> dict:
    """The bill of materials from the form: empty rows are skipped; values kept as typed."""

    def val(name):
        return (post.get(name) or "").strip()

    product = {"description": val("product.description"), "hs": val("product.hs"), "fob": val("product.fob"),
               "currency": val("product.currency").upper(), "country": val("product.country").upper()}
    ops = [o.strip().lower() for o in re.split(r"[,，、;\s]+", val("product.operations")) if o.strip()]
    if val("product.operations") or post.get("operations_declared"):
        product["operations"] = ops
    if val("product.weight_kg"):
        product["weight_kg"] = val("product.weight_kg")
    bom = {"hs_version": val("hs_version") or "HS2012", "product": product, "materials": []}
    if val("rule"):
        bom["rule"] = val("rule")
    for i in range(rows):
        desc = val(f"materials[{i}].description")
        if not (desc or val(f"materials[{i}].hs") or val(f"materials[{i}].value")):
            continue
        origin = val(f"materials[{i}].originating")
        m = {"description": desc, "country": val(f"materials[{i}].country") or "unknown", "value": val(f"materials[{i}].value"),
             "originating": {"yes": True, "no": False}.get(origin)}
        if val(f"materials[{i}].hs"):
            m["hs"] = val(f"materials[{i}].hs")
        if val(f"materials[{i}].role") and val(f"materials[{i}].role") != "material":
            m["role"] = val(f"materials[{i}].role")
        bom["materials"].append(m)
    return bom


def _material_index_map(post, rows: int) -> dict[int, int]:
    """Engine index (non-empty rows only) → form row, so an error lands on the right row."""
    out, n = {}, 0
    for i in range(rows):
        if any((post.get(f"materials[{i}].{k}") or "").strip() for k in ("description", "hs", "value")):
            out[n] = i
            n += 1
    return out


def _bom_form(values: dict, rows: int, errors: dict) -> dict:
    role_choices = [(k, bi(v[2], v[1])) for k, v in ROLES.items()]
    origin_choices = [("yes", _("Originating (with proof)")), ("no", _("Non-originating")), ("", _("Not known"))]
    product = [
        field("product.description", _("Description of the good"), values.get("product.description"), errors=errors,
              required=False, hint=_("In English, as it will appear on the certificate")),
        field("product.hs", _("HS code (6 digits)"), values.get("product.hs"), errors=errors, width="short",
              hint=_("For example 940360")),
        field("hs_version", _("HS edition"), values.get("hs_version", "HS2012"), errors=errors, widget="select",
              choices=[(v, v) for v in HS_VERSIONS]),
        field("product.fob", _("FOB value of the good"), values.get("product.fob"), errors=errors, width="short"),
        field("product.currency", _("Currency"), values.get("product.currency", "USD"), errors=errors, width="short"),
        field("product.country", _("Country of production"), values.get("product.country", "CN"), errors=errors,
              widget="select", choices=party_choices()),
        field("product.operations", _("Operations carried out"), values.get("product.operations"), errors=errors,
              required=False, hint=_("Comma-separated, e.g. assembly, painting (minimal operations alone cannot confer origin)")),
        field("rule", _("Product-specific rule"), values.get("rule"), errors=errors, required=False,
              hint=_("Leave blank to use the rules table, or write it as in Annex 3A, e.g. CTH or RVC40")),
    ]
    materials = []
    for i in range(rows):
        p = f"materials[{i}]"
        materials.append({"index": i, "fields": [
            field(f"{p}.description", _("Material"), values.get(f"{p}.description"), errors=errors, required=False),
            field(f"{p}.hs", _("HS code"), values.get(f"{p}.hs"), errors=errors, required=False, width="short"),
            field(f"{p}.country", _("Country"), values.get(f"{p}.country"), errors=errors, required=False, width="short",
                  hint=_("2 letters or unknown")),
            field(f"{p}.originating", _("Origin"), values.get(f"{p}.originating", ""), errors=errors, widget="select",
                  choices=origin_choices, required=False),
            field(f"{p}.value", pgettext("goods", "Value"), values.get(f"{p}.value"), errors=errors, required=False, width="short"),
            field(f"{p}.role", _("Role"), values.get(f"{p}.role", "material"), errors=errors, widget="select",
                  choices=role_choices, required=False),
        ]})
    return {"product": product, "materials": materials, "rows": rows}


@page
@login_required
@require_http_methods(["GET", "POST"])
def origin_check(request):
    """Check a product — 原产地预判: the bill of materials as a form, or as JSON (pasted or uploaded)."""
    rows = BOM_ROWS
    values: dict = {}
    errors: dict = {}
    json_text = ""
    if request.method == "POST":
        try:
            rows = max(BOM_ROWS, min(int(request.POST.get("rows", BOM_ROWS)), MAX_ROWS))
        except ValueError:
            rows = BOM_ROWS
        values = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
        if request.POST.get("action") == "add_row":
            rows = min(rows + 1, MAX_ROWS)
        else:
            upload = request.FILES.get("bom_file")
            json_text = (request.POST.get("bom_json") or "").strip()
            index_map = {}
            field_prefix = "bom_json" if (upload is not None or json_text) else ""
            try:
                if upload is not None or json_text:
                    raw = upload.read(JSON_LIMIT + 1) if upload is not None else json_text.encode()
                    if len(raw) > JSON_LIMIT:
                        raise BusinessError.of("bom_json", "too_large", "文件过大（不超过 512 KB）", "The file is too large (512 KB at most)",
                                               status=422)
                    try:
                        bom = parse_json(raw)
                    except OriginError as exc:  # not JSON: shown beside the JSON box
                        raise BusinessError(*exc.as_problems(), status=422) from None
                else:
                    bom = _bom_from_post(request.POST, rows)
                    index_map = _material_index_map(request.POST, rows)
                result = services.check_origin(request.user, bom)
                return redirect("trade:origin_result", pk=result["check_id"])
            except BusinessError as exc:
                for p in exc.problems:
                    name = p.field.removeprefix("bom.")
                    m = re.match(r"materials\[(\d+)\](.*)", name)
                    if m and index_map:
                        name = f"materials[{index_map.get(int(m.group(1)), m.group(1))}]{m.group(2)}"
                    if field_prefix or name in ("bom", "BOM"):
                        name = "bom_json"
                    errors.setdefault(name, problem_text(p))
    form = _bom_form(values, rows, errors)
    known = {f["name"] for f in form["product"]} | {f["name"] for r in form["materials"] for f in r["fields"]} | {"bom_json"}
    context = {"form": form, "errors": errors, "error_list": error_list(errors, known), "json_text": json_text,
               "json_error": errors.get("bom_json", ""),
               "example": json.dumps(EXAMPLE_BOM, ensure_ascii=False, indent=2)}
    return render(request, "trade/origin_check.html", context, status=422 if errors else 200)


EXAMPLE_BOM = {
    "hs_version": "HS2012", "rule": "CTH or RVC40",
    "product": {"hs": "940360", "fob": "100.00", "currency": "USD", "country": "CN", "description": "Oak chair",
                "operations": ["assembly", "painting"]},
    "materials": [{"description": "oak boards", "hs": "440791", "country": "TH", "originating": True, "value": "20.00"},
                  {"description": "hinges", "hs": "830210", "country": "DE", "originating": False, "value": "5.00"}],
}


@page
@login_required
@require_safe
def origin_result(request, pk: int):
    check = services.get_check(request.user, pk)
    result = check.result
    lines = result["explanation"] if is_en() else result["explanation_zh"]
    hints = [h["en"] if is_en() else h["zh"] for h in result.get("to_qualify", [])]
    rcep = result.get("rcep_country") or {}
    context = {"check": check, "result": result, "lines": lines, "hints": hints,
               "rcep": rcep, "rcep_text": rcep.get("en" if is_en() else "zh", ""),
               "rcep_country": country_label(rcep.get("country", "")) if rcep else "",
               "warnings": [w["en"] if is_en() else w["zh"] for w in result.get("warnings", [])],
               "criterion": ", ".join(result["criterion"]),
               "criterion_words": [bi(*reversed(docs.CRITERION_WORDS[c])) if c in docs.CRITERION_WORDS else c
                                   for c in result["criterion"]],
               "can_apply": result["originating"] and result["product"]["country"] == docs.EXPORTING_PARTY
               and bool(services.exporters_of(request.user)),
               "bom_json": json.dumps(check.bom, ensure_ascii=False, indent=2)}
    return render(request, "trade/origin_result.html", context)


# ---------------------------------------------------------------------------------------------
# Certificates — 原产地证书 (exporter)


def status_tag(cert: Certificate) -> str:
    return {"submitted": "info", "issued": "ok", "refused": "bad", "withdrawn": "muted", "invalidated": "bad"}[cert.status]


def cert_rows(certs) -> list[dict]:
    rows = []
    for c in certs:
        zh, en = services.STATUS_WORDS[c.status]
        rows.append({"cert": c, "status": bi(zh, en), "tag": status_tag(c), "country": country_label(c.importing_country)})
    return rows


@page
@login_required
@require_safe
def certificate_list(request):
    certs = services.certificates_for(request.user)[:200]
    checks = services.checks_of(request.user)[:20]
    declarations = services.declarations_for(request.user).order_by("-completed_at")[:50]
    return render(request, "trade/certificates.html", {"rows": cert_rows(certs), "checks": checks,
                                                        "declarations": declarations,
                                                        "approved": services.approved_exporter_for(request.user),
                                                        "is_exporter": bool(services.exporters_of(request.user))})


def _apply_fields(request, check, values: dict, errors: dict) -> dict:
    entities = services.exporters_of(request.user)
    bom_product = (check.bom or {}).get("product", {}) if check else {}
    v = lambda name, default="": values.get(name, default)  # noqa: E731
    body_choices = [(code, bi(d.name_zh, d.name_en)) for code, d in _bodies().items()]
    return {
        "exporter": [
            field("exporter.uscc", _("Exporter"), v("exporter.uscc", entities[0].uscc if entities else ""), errors=errors,
                  widget="select", choices=[(e.uscc, f"{e.name} ({e.uscc})") for e in entities]),
            field("exporter.name", _("Exporter's name in English"), v("exporter.name"), errors=errors,
                  hint=_("The certificate is in English (Art. 3.17.3(c))")),
            field("exporter.address", _("Exporter's address in English"), v("exporter.address"), errors=errors),
        ],
        "producer": [
            field("producer.mode", _("Producer"), v("producer.mode", "same"), errors=errors, widget="radios",
                  choices=[("same", _("The exporter produced the goods")), ("other", _("Another producer")),
                           ("unknown", _("Not known"))]),
            field("producer.name", _("Producer's name in English"), v("producer.name"), errors=errors, required=False),
            field("producer.address", _("Producer's address in English"), v("producer.address"), errors=errors,
                  required=False),
        ],
        "importer": [
            field("importer.name", _("Importer or consignee (English)"), v("importer.name"), errors=errors),
            field("importer.address", _("Importer's address (English)"), v("importer.address"), errors=errors),
            field("importer.country", _("Importing country"), v("importer.country", "JP"), errors=errors, widget="select",
                  choices=party_choices(exclude=docs.EXPORTING_PARTY)),
        ],
        "transport": [
            field("transport.departure_date", _("Departure date"), v("transport.departure_date"), errors=errors,
                  widget="date"),
            field("transport.vessel", _("Vessel name or flight number"), v("transport.vessel"), errors=errors),
            field("transport.port_of_loading", _("Port of loading"), v("transport.port_of_loading"), errors=errors,
                  required=False),
            field("transport.port_of_discharge", _("Port of discharge"), v("transport.port_of_discharge"), errors=errors),
            field("invoices[0].number", _("Invoice number"), v("invoices[0].number"), errors=errors, width="medium"),
            field("invoices[0].date", _("Invoice date"), v("invoices[0].date"), errors=errors, widget="date"),
        ],
        "goods": [
            field("goods[0].description", _("Description of the goods (English)"),
                  v("goods[0].description", bom_product.get("description", "")), errors=errors),
            field("goods[0].marks", _("Marks and numbers on packages"), v("goods[0].marks"), errors=errors, required=False,
                  hint=_("Leave blank for N/M (no marks)")),
            field("goods[0].packages", _("Number and kind of packages"), v("goods[0].packages"), errors=errors,
                  hint=_("For example 50 CARTONS")),
            field("goods[0].quantity", _("Quantity"), v("goods[0].quantity"), errors=errors, width="short"),
            field("goods[0].unit", _("Unit"), v("goods[0].unit", "PCS"), errors=errors, width="short"),
            field("goods[0].gross_weight_kg", _("Gross weight (kg)"), v("goods[0].gross_weight_kg"), errors=errors,
                  required=False, width="short"),
            field("currency", _("Currency"), v("currency", bom_product.get("currency", "USD")), errors=errors, width="short"),
            field("goods[0].fob_value", _("FOB value of these goods"), v("goods[0].fob_value"), errors=errors,
                  width="short"),
        ],
        "other": [
            field("issuing_body", _("Issuing body"), v("issuing_body", docs.DEFAULT_ISSUING_BODY), errors=errors,
                  widget="radios", choices=body_choices),
            field("remarks", _("Remarks (English)"), v("remarks"), errors=errors, required=False, widget="textarea"),
            field("retroactive_reason", _("Reason for issuing after shipment"), v("retroactive_reason"), errors=errors,
                  required=False, widget="textarea",
                  hint=_("Only if the goods have already left (Art. 3.17.8)")),
            field("declaration.place", _("Place of the exporter's declaration"), v("declaration.place", "Luoyang"),
                  errors=errors),
            field("declaration.signatory", _("Authorised signatory (English name)"), v("declaration.signatory"),
                  errors=errors),
        ],
    }


def _bodies() -> dict:
    from zimao.catalog.models import Department

    return {d.code: d for d in Department.objects.filter(code__in=list(docs.ISSUING_BODIES)).order_by("code")}


def _application_from_post(post, check) -> dict:
    def val(name):
        return (post.get(name) or "").strip()

    mode = val("producer.mode") or "same"
    producer = {"same_as_exporter": True} if mode == "same" else (
        {"name": val("producer.name"), "address": val("producer.address")} if mode == "other" else None)
    goods = {"check_id": check.pk if check else None}
    for key in ("description", "marks", "packages", "quantity", "unit", "gross_weight_kg", "fob_value"):
        if val(f"goods[0].{key}"):
            goods[key] = val(f"goods[0].{key}")
    return {
        "exporter": {"uscc": val("exporter.uscc"), "name": val("exporter.name"), "address": val("exporter.address")},
        "producer": producer,
        "importer": {"name": val("importer.name"), "address": val("importer.address"), "country": val("importer.country")},
        "transport": {"departure_date": val("transport.departure_date"), "vessel": val("transport.vessel"),
                      "port_of_loading": val("transport.port_of_loading"),
                      "port_of_discharge": val("transport.port_of_discharge")},
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
            cert = services.apply(request.user, _application_from_post(request.POST, check),
                                  idempotency_key=request.POST.get("idempotency_key", ""))
            messages.success(request, _("Your application %(ref)s was sent to the issuing body.") % {"ref": cert.reference})
            return redirect("trade:certificate", reference=cert.reference)
        except BusinessError as exc:
            errors = errors_by_field(exc)
            if "goods[0].check_id" in errors or "goods[0]" in errors:
                errors.setdefault("goods[0].description", errors.get("goods[0]") or errors.get("goods[0].check_id"))
            if "producer" in errors:
                errors.setdefault("producer.mode", errors["producer"])
    sections = _apply_fields(request, check, values, errors)
    known = {f["name"] for fs in sections.values() for f in fs}
    context = {"check": check, "sections": sections, "errors": errors, "error_list": error_list(errors, known),
               "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex,
               "criterion": check.criterion, "rcep_country": country_label(check.rcep_country)}
    return render(request, "trade/apply.html", context, status=422 if errors else 200)


def _goods_rows(cert: Certificate) -> list[dict]:
    rows = []
    source = cert.content["goods"] if cert.content else cert.data["goods"]
    for i, g in enumerate(source):
        det = cert.data["goods"][i].get("determination") if i < len(cert.data["goods"]) else None
        rows.append({"g": g, "criterion": ", ".join(g["criterion"]), "country": country_label(g["rcep_country"]),
                     "lines": (det["explanation"] if is_en() else det["explanation_zh"]) if det else [],
                     "original": g.get("original")})
    return rows


def _certificate_context(request, cert: Certificate) -> dict:
    zh, en = services.STATUS_WORDS[cert.status]
    body = _bodies().get(cert.issuing_body)
    ctx = {"cert": cert, "status": bi(zh, en), "tag": status_tag(cert), "goods": _goods_rows(cert),
           "body_name": bi(body.name_zh, body.name_en) if body else cert.issuing_body,
           "country": country_label(cert.importing_country), "data": cert.data,
           "copies": list(cert.true_copies.order_by("requested_at"))}
    if cert.number:
        result = services.verify(cert.number)
        ctx.update({"verify_url": docs.verify_url(cert.number), "qr_svg": docs.qr_svg(cert.number, scale=4),
                    "verification": result, "label": result.label})
    return ctx


@page
@login_required
@require_safe
def certificate_detail(request, reference: str):
    cert = services.get_certificate(request.user, reference)
    ctx = _certificate_context(request, cert)
    ctx["is_owner"] = cert.applicant_id == request.user.id or cert.exporter_uscc in {e.uscc for e in services.exporters_of(request.user)}
    ctx["can_true_copy"] = ctx["is_owner"] and cert.status == Certificate.Status.ISSUED and \
        docs.add_years(cert.issued_on, 1) >= timezone.localdate()
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
        messages.success(request, _("Your request %(ref)s for a certified true copy was sent.") % {"ref": copy.reference})
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        for p in exc.problems:
            messages.error(request, problem_text(p))
    return redirect("trade:certificate", reference=cert.reference)


def _pdf_context(cert: Certificate, copy: TrueCopy | None = None) -> dict:
    from zimao.catalog.models import Department

    c = cert.content
    body = c["certification"]
    dept = Department.objects.filter(code=body["issuing_body"]).first()
    # The seal carries the body's Chinese name around the rim, as a Chinese official seal does.
    ring = re.sub(r"（.*?）|\(.*?\)", "", dept.name_zh if dept else body["issuing_body_name"]).strip()
    return {
        "c": c, "cert": cert, "copy": copy,
        "country": lambda code: docs.country_en(code),
        "issued_in": docs.country_en(c["issued_in"]),
        "exporter_country": docs.country_en(c["exporter"]["country"]),
        "importer_country": docs.country_en(c["importer"]["country"]),
        "goods": [{**g, "rcep_country_en": docs.country_en(g["rcep_country"]), "criterion_text": ", ".join(g["criterion"])}
                  for g in c["goods"]],
        "qr_svg": docs.qr_svg(cert.number, scale=2),
        "seal_svg": docs.seal_svg(ring[:24], "电子印章", size=110),
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
    copy = TrueCopy.objects.select_related("certificate").filter(reference=reference.upper(),
                                                                 status=TrueCopy.Status.ISSUED).first()
    if copy is None or not services.can_view(request.user, copy.certificate):
        raise Http404("not found")
    return _pdf_response(docs.render_pdf(_pdf_context(copy.certificate, copy)),
                         f"{copy.certificate.number}-certified-true-copy.pdf")


@page
@login_required
@require_safe
def declaration_pdf(request, reference: str):
    dec = services.declarations_for(request.user).filter(reference=reference.upper()).first()
    if dec is None:
        raise Http404("not found")
    c = dec.content
    context = {"dec": dec, "c": c, "importer_country": docs.country_en(c["importer"]["country"]),
               "goods": [{**g, "rcep_country_en": docs.country_en(g["rcep_country"]),
                          "criterion_text": ", ".join(g["criterion"])} for g in c["goods"]],
               "qr_svg": docs.qr_svg(dec.reference, scale=2), "fingerprint": docs.signature_fingerprint(dec.jws),
               "verify_url": docs.verify_url(dec.reference)}
    return _pdf_response(docs.render_declaration_pdf(context), f"{dec.reference}.pdf")


# ---------------------------------------------------------------------------------------------
# The issuing body's desk — 签证审核


@page
@issuer_required
@require_safe
def desk(request):
    queue = list(services.review_queue(request.user)[:200])
    today = timezone.localdate()
    rows = [{"cert": c, "country": country_label(c.importing_country), "overdue": c.due_date and c.due_date < today,
             "goods": len(c.data.get("goods", []))} for c in queue]
    recent = Certificate.objects.filter(issuing_body=request.officer.department.code) \
        .exclude(status=Certificate.Status.SUBMITTED).order_by("-decided_at", "-id")[:20]
    return render(request, "trade/desk.html", {"rows": rows, "copies": services.true_copies_queue(request.user),
                                               "recent": cert_rows(recent), "department": request.officer.department})


def _issue_fields(cert: Certificate, values: dict, errors: dict) -> list[dict]:
    today = timezone.localdate()
    out = []
    if cert.departure_date < today:
        out.append(field("retroactive_reason", _("Reason for issuing retroactively"),
                         values.get("retroactive_reason", cert.data.get("retroactive_reason", "")), errors=errors,
                         widget="textarea", hint=_("The goods left on %(date)s: the certificate will bear ISSUED RETROACTIVELY")
                         % {"date": cert.departure_date.isoformat()}))
    if services.rate_for(cert.currency, today) is None:
        out.append(field("cny_rate", _("Customs exchange rate: yuan per %(currency)s this month") % {"currency": cert.currency},
                         values.get("cny_rate", ""), errors=errors, width="short",
                         hint=_("Used once for the statistics, and kept for the rest of the month")))
    return out


def _desk_review_page(request, cert, values=None, errors=None, status=200):
    errors = errors or {}
    ctx = _certificate_context(request, cert)
    issue_fields = _issue_fields(cert, values or {}, errors) if cert.status == Certificate.Status.SUBMITTED else []
    ctx.update({"issue_fields": issue_fields, "errors": errors,
                "refuse_field": field("reason", _("Reason for refusing"), (values or {}).get("reason", ""), errors=errors,
                                      widget="textarea", required=True),
                "error_list": error_list(errors, {f["name"] for f in issue_fields} | {"reason"}),
                "retroactive": cert.departure_date < timezone.localdate(),
                "may_issue": services.issuing_officer(request.user, cert.issuing_body) is not None})
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
        cert = services.issue(cert.reference, request.user, retroactive_reason=request.POST.get("retroactive_reason", ""),
                              cny_rate=request.POST.get("cny_rate") or None)
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        return _desk_review_page(request, cert, request.POST, errors_by_field(exc), status=exc.status)
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
        return _desk_review_page(request, cert, request.POST, errors_by_field(exc), status=exc.status)
    messages.success(request, _("Application %(ref)s refused; the exporter sees your reason.") % {"ref": cert.reference})
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
            messages.success(request, _("Certified true copy of %(number)s issued.") % {"number": copy.certificate.number})
    except BusinessError as exc:
        if exc.status in (403, 404):
            raise
        for p in exc.problems:
            messages.error(request, problem_text(p))
    return redirect("trade:desk")


@page
@login_required
@require_safe
def statistics(request):
    """Certificates and FOB value by destination and period — 原产地证书统计 (officials)."""
    if not services.is_trade_official(request.user):
        return _forbidden(request)
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.GET.get("start") or f"{today.year}-01-01")
        end = date.fromisoformat(request.GET.get("end") or today.isoformat())
    except ValueError:
        start, end = date(today.year, 1, 1), today
    period = request.GET.get("period") if request.GET.get("period") in ("month", "quarter", "year") else "month"
    rows = services.certificate_statistics(start, end, period=period)
    for r in rows:
        r["country_label"] = bi(r["country_zh"], r["country_en"])
    totals = {"certificates": sum(r["certificates"] for r in rows),
              "fob_cny": sum((float(r["fob_cny"]) for r in rows), 0.0)}
    return render(request, "trade/statistics.html", {"rows": rows, "start": start, "end": end, "period": period,
                                                     "totals": totals})


# ---------------------------------------------------------------------------------------------
# Public verification — 公开核验 (Art. 3.17.7)


@require_safe
def verify_form(request):
    number = (request.GET.get("number") or "").strip().upper()
    if number and re.fullmatch(r"[A-Z0-9]{1,60}", number):
        return redirect("trade:verify", number=number)
    return render(request, "trade/verify_form.html", {"number": number, "error": bool(number)},
                  status=404 if number else 200)


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
    context = {"result": result, "facts": facts, "label": result.label, "number": result.number,
               "reason_text": reasons.get(result.reason, ""),
               "importing": country_label(facts.get("importing_country", "")),
               "exporter_country": country_label(facts.get("exporter_country", ""))}
    response = render(request, "trade/verify.html", context, status=200 if result.genuine else 404)
    # Status can change at any moment (invalidation): never let a cache answer for the register.
    response["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------------------------------
# The single window — 单一窗口


@page
@login_required
@require_safe
def declaration_list(request):
    decls = list(window.declarations_of(request.user).prefetch_related("submissions")[:100])
    rows = [{"decl": d, "status": window.declaration_status(d)} for d in decls]
    for r in rows:
        r["label"] = bi(r["status"]["label_zh"], r["status"]["label_en"])
    return render(request, "trade/declarations.html", {"rows": rows,
                                                        "is_exporter": bool(services.exporters_of(request.user))})


def _declaration_fields(request, values, errors) -> dict:
    entities = services.exporters_of(request.user)
    v = lambda name, default="": values.get(name, default)  # noqa: E731
    certs = Certificate.objects.filter(exporter_uscc__in=[e.uscc for e in entities], status=Certificate.Status.ISSUED) \
        .order_by("-issued_at")[:50]
    return {
        "trader": [
            field("trader_uscc", _("Trader"), v("trader_uscc", entities[0].uscc if entities else ""), errors=errors,
                  widget="select", choices=[(e.uscc, f"{e.name} ({e.uscc})") for e in entities]),
            field("destination_country", _("Country of destination"), v("destination_country", "JP"), errors=errors,
                  width="short", hint=_("2-letter country code")),
            field("consignee.name", _("Consignee"), v("consignee.name"), errors=errors),
            field("consignee.address", _("Consignee's address"), v("consignee.address"), errors=errors),
            field("bonded_zone", _("Bonded-zone declaration"), v("bonded_zone"), errors=errors, widget="checkboxes",
                  required=False, choices=[("1", _("The goods enter or leave the comprehensive bonded zone"))]),
        ],
        "transport": [
            field("transport.mode", _("Mode of transport"), v("transport.mode", "sea"), errors=errors, widget="select",
                  choices=[("sea", _("Sea")), ("air", _("Air")), ("rail", _("Rail")), ("road", _("Road"))]),
            field("transport.departure_date", _("Departure date"), v("transport.departure_date"), errors=errors, widget="date"),
            field("transport.vessel", _("Vessel name or flight number"), v("transport.vessel"), errors=errors),
            field("transport.port_of_loading", _("Port of loading"), v("transport.port_of_loading"), errors=errors),
            field("transport.port_of_discharge", _("Port of discharge"), v("transport.port_of_discharge"), errors=errors),
            field("invoice.number", _("Invoice number"), v("invoice.number"), errors=errors, width="medium"),
            field("invoice.date", _("Invoice date"), v("invoice.date"), errors=errors, widget="date"),
        ],
        "goods": [
            field("goods[0].hs", _("Commodity code"), v("goods[0].hs"), errors=errors, width="medium",
                  hint=_("6, 8 or 10 digits")),
            field("goods[0].description", _("Description of the goods"), v("goods[0].description"), errors=errors),
            field("goods[0].quantity", _("Quantity"), v("goods[0].quantity"), errors=errors, width="short"),
            field("goods[0].unit", _("Unit"), v("goods[0].unit", "PCS"), errors=errors, width="short"),
            field("goods[0].value", pgettext("goods", "Value"), v("goods[0].value"), errors=errors, width="short"),
            field("currency", _("Currency"), v("currency", "USD"), errors=errors, width="short"),
            field("certificate_number", _("Certificate of origin (if any)"), v("certificate_number"), errors=errors,
                  widget="select", required=False,
                  choices=[("", _("None"))] + [(c.number, f"{c.number} → {c.importing_country}") for c in certs]),
        ],
        "agencies": [
            field("agencies", _("Agencies"), "", errors=errors, widget="checkboxes", required=False,
                  choices=[(a.code, f"{bi(a.name_zh, a.name_en)} — {bi(a.purpose_zh, a.purpose_en)}") for a in AGENCIES.values()]),
        ],
    }


def _declaration_from_post(post) -> dict:
    def val(name):
        return (post.get(name) or "").strip()

    goods = {k: val(f"goods[0].{k}") for k in ("hs", "description", "quantity", "unit", "value")}
    return {
        "trader_uscc": val("trader_uscc"), "direction": "export", "destination_country": val("destination_country"),
        "consignee": {"name": val("consignee.name"), "address": val("consignee.address")},
        "transport": {k: val(f"transport.{k}") for k in ("mode", "departure_date", "vessel", "port_of_loading",
                                                          "port_of_discharge")},
        "currency": val("currency"), "invoice": {"number": val("invoice.number"), "date": val("invoice.date")},
        "goods": [goods], "certificate_number": val("certificate_number"),
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
            decl = window.declare(request.user, _declaration_from_post(request.POST),
                                  idempotency_key=request.POST.get("idempotency_key", ""))
            messages.success(request, _("Declaration %(number)s sent to the agencies.") % {"number": decl.number})
            return redirect("trade:declaration", number=decl.number)
        except BusinessError as exc:
            errors = errors_by_field(exc)
    sections = _declaration_fields(request, values, errors)
    chosen = set(request.POST.getlist("agencies")) if request.method == "POST" else set(AGENCIES)
    for c in sections["agencies"][0]["choices"]:
        c["selected"] = c["value"] in chosen or AGENCIES[c["value"]].required
        c["locked"] = AGENCIES[c["value"]].required
    known = {f["name"] for fs in sections.values() for f in fs}
    return render(request, "trade/declaration_new.html", {
        "sections": sections, "errors": errors, "error_list": error_list(errors, known),
        "idempotency_key": values.get("idempotency_key") or uuid.uuid4().hex}, status=422 if errors else 200)


def _declaration_context(decl) -> dict:
    status = window.declaration_status(decl)
    status["label"] = bi(status["label_zh"], status["label_en"])
    for a in status["agencies"]:
        a["name"] = bi(a["agency_zh"], a["agency_en"])
        a["purpose"] = bi(a["purpose_zh"], a["purpose_en"])
        a["label"] = bi(a["label_zh"], a["label_en"])
        a["message"] = bi(a["message_zh"], a["message_en"])
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

