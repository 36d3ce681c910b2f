"""Trade pages — 国际贸易页面: the landing page and origin checks (check a product → the
determination explained), and what the trade pages share. Certificates of origin are in
``zimao.trade.certificates.views``, the single window in ``zimao.trade.window.views``.

Forms name their inputs exactly as the services name fields (``importer.country``,
``goods[0].quantity``), so a bilingual problem lands beside the input it is about.
"""

from __future__ import annotations

import json
import re
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_safe

from zimao.core.errors import BusinessError
from zimao.portal.forms import plain_field as field
from zimao.portal.pages import error_list, forbidden, login_required, page
from zimao.portal.present import bi, is_en, problem_message
from zimao.trade import services
from zimao.trade.certificates import document as docs
from zimao.trade.origin import PARTIES, OriginError
from zimao.trade.origin.model import HS_VERSIONS, ROLES, parse_json

BOM_ROWS = 4
MAX_ROWS = 40
JSON_LIMIT = 512 * 1024


# ---------------------------------------------------------------------------------------------
# What the trade pages share (the portal's helpers come from zimao.portal)


def issuer_required(view):
    """Reviewers of an issuing body (签证机构) only."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        officer = services.issuing_officer(request.user)
        if officer is None:
            return forbidden(request)
        request.officer = officer
        return view(request, *args, **kwargs)

    return wrapper


def party_choices(exclude: str = "") -> list[tuple[str, str]]:
    return [(code, f"{code} — {bi((zh, en))}") for code, (en, zh) in PARTIES.items() if code != exclude]


def country_label(code: str) -> str:
    if code in PARTIES:
        en, zh = PARTIES[code]
        return bi((zh, en))
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

    product = {
        "description": val("product.description"),
        "hs": val("product.hs"),
        "fob": val("product.fob"),
        "currency": val("product.currency").upper(),
        "country": val("product.country").upper(),
    }
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
        m = {
            "description": desc,
            "country": val(f"materials[{i}].country") or "unknown",
            "value": val(f"materials[{i}].value"),
            "originating": {"yes": True, "no": False}.get(origin),
        }
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
    role_choices = [(k, bi((v[2], v[1]))) for k, v in ROLES.items()]
    origin_choices = [("yes", _("Originating (with proof)")), ("no", _("Non-originating")), ("", _("Not known"))]
    product = [
        field(
            "product.description",
            _("Description of the good"),
            values.get("product.description"),
            errors=errors,
            required=False,
            hint=_("In English, as it will appear on the certificate"),
        ),
        field(
            "product.hs",
            _("HS code (6 digits)"),
            values.get("product.hs"),
            errors=errors,
            width="short",
            hint=_("For example 940360"),
        ),
        field(
            "hs_version",
            _("HS edition"),
            values.get("hs_version", "HS2012"),
            errors=errors,
            widget="select",
            choices=[(v, v) for v in HS_VERSIONS],
        ),
        field("product.fob", _("FOB value of the good"), values.get("product.fob"), errors=errors, width="short"),
        field("product.currency", _("Currency"), values.get("product.currency", "USD"), errors=errors, width="short"),
        field(
            "product.country",
            _("Country of production"),
            values.get("product.country", "CN"),
            errors=errors,
            widget="select",
            choices=party_choices(),
        ),
        field(
            "product.operations",
            _("Operations carried out"),
            values.get("product.operations"),
            errors=errors,
            required=False,
            hint=_("Comma-separated, e.g. assembly, painting (minimal operations alone cannot confer origin)"),
        ),
        field(
            "rule",
            _("Product-specific rule"),
            values.get("rule"),
            errors=errors,
            required=False,
            hint=_("Leave blank to use the rules table, or write it as in Annex 3A, e.g. CTH or RVC40"),
        ),
    ]
    materials = []
    for i in range(rows):
        p = f"materials[{i}]"
        materials.append(
            {
                "index": i,
                "fields": [
                    field(
                        f"{p}.description", _("Material"), values.get(f"{p}.description"), errors=errors, required=False
                    ),
                    field(f"{p}.hs", _("HS code"), values.get(f"{p}.hs"), errors=errors, required=False, width="short"),
                    field(
                        f"{p}.country",
                        _("Country"),
                        values.get(f"{p}.country"),
                        errors=errors,
                        required=False,
                        width="short",
                        hint=_("2 letters or unknown"),
                    ),
                    field(
                        f"{p}.originating",
                        _("Origin"),
                        values.get(f"{p}.originating", ""),
                        errors=errors,
                        widget="select",
                        choices=origin_choices,
                        required=False,
                    ),
                    field(
                        f"{p}.value",
                        pgettext("goods", "Value"),
                        values.get(f"{p}.value"),
                        errors=errors,
                        required=False,
                        width="short",
                    ),
                    field(
                        f"{p}.role",
                        _("Role"),
                        values.get(f"{p}.role", "material"),
                        errors=errors,
                        widget="select",
                        choices=role_choices,
                        required=False,
                    ),
                ],
            }
        )
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
                        raise BusinessError.of(
                            "bom_json",
                            "too_large",
                            "文件过大（不超过 512 KB）",
                            "The file is too large (512 KB at most)",
                            status=422,
                        )
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
                    errors.setdefault(name, problem_message(p))
    form = _bom_form(values, rows, errors)
    known = (
        {f["key"] for f in form["product"]} | {f["key"] for r in form["materials"] for f in r["fields"]} | {"bom_json"}
    )
    context = {
        "form": form,
        "errors": errors,
        "error_list": error_list(errors, known),
        "json_text": json_text,
        "json_error": errors.get("bom_json", ""),
        "example": json.dumps(EXAMPLE_BOM, ensure_ascii=False, indent=2),
    }
    return render(request, "trade/origin_check.html", context, status=422 if errors else 200)


EXAMPLE_BOM = {
    "hs_version": "HS2012",
    "rule": "CTH or RVC40",
    "product": {
        "hs": "940360",
        "fob": "100.00",
        "currency": "USD",
        "country": "CN",
        "description": "Oak chair",
        "operations": ["assembly", "painting"],
    },
    "materials": [
        {"description": "oak boards", "hs": "440791", "country": "TH", "originating": True, "value": "20.00"},
        {"description": "hinges", "hs": "830210", "country": "DE", "originating": False, "value": "5.00"},
    ],
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
    context = {
        "check": check,
        "result": result,
        "lines": lines,
        "hints": hints,
        "rcep": rcep,
        "rcep_text": rcep.get("en" if is_en() else "zh", ""),
        "rcep_country": country_label(rcep.get("country", "")) if rcep else "",
        "warnings": [w["en"] if is_en() else w["zh"] for w in result.get("warnings", [])],
        "criterion": ", ".join(result["criterion"]),
        "criterion_words": [
            bi(tuple(reversed(docs.CRITERION_WORDS[c]))) if c in docs.CRITERION_WORDS else c
            for c in result["criterion"]
        ],
        "can_apply": result["originating"]
        and result["product"]["country"] == docs.EXPORTING_PARTY
        and bool(services.exporters_of(request.user)),
        "bom_json": json.dumps(check.bom, ensure_ascii=False, indent=2),
    }
    return render(request, "trade/origin_result.html", context)
