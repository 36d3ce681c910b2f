"""Proofs of origin — 原产地证明服务 (RCEP Chapter 3 Section B).

* origin checks — 原产地预判: ``check_origin``;
* certificates of origin — 原产地证书 (Art. 3.17): ``apply`` → the issuing body's review queue →
  ``issue`` (unique number, signature and seal, one-year validity, "ISSUED RETROACTIVELY" after
  shipment) or ``refuse``; ``withdraw``, ``invalidate``;
* certified true copies — 经核准的副本 (Art. 3.17.9): ``request_true_copy`` → ``issue_true_copy``;
* back-to-back certificates — 背对背原产地证书 (Art. 3.19): ``apply(kind="back_to_back")`` drawing
  partial quantities on an original proof of another Party;
* approved exporters — 经核准出口商 (Art. 3.21) and their declarations of origin — 原产地声明
  (Art. 3.18): ``authorise_exporter``, ``complete_declaration``;
* public verification — 公开核验 (Art. 3.17.7): ``verify``;
* statistics for the dashboard — 统计: ``certificate_statistics``.

Every change is one transaction with its audit event (``zimao.core.audit``). Exporters are
registered companies (``zimao.registry``); the issuing bodies are catalogue departments whose
reviewers issue (``zimao.catalog``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from zimao.catalog import services as catalog
from zimao.catalog.models import Department, Officer
from zimao.core import audit, calendar, sequences
from zimao.core.errors import BusinessError, Conflict, Problem, forbidden, not_found
from zimao.trade import certificates as docs
from zimao.trade.certificates import (
    COMPETENT_AUTHORITY,
    DEFAULT_ISSUING_BODY,
    EXPORTING_PARTY,
    ISSUING_BODIES,
    country_en,
    country_zh,
)
from zimao.trade.models import (
    ApprovedExporter,
    BackToBackDraw,
    Certificate,
    ExchangeRate,
    OriginalProof,
    OriginCheck,
    OriginDeclaration,
    TrueCopy,
)
from zimao.trade.origin import PARTIES
from zimao.trade.origin.model import normalise_hs6

S = Certificate.Status

# The zone's promise (承诺时限): an application is decided within this many working days.
PROMISED_WORKING_DAYS = 1
MAX_GOODS = 20
MAX_INVOICES = 10
CRITERIA = {"WO", "PE", "CTC", "RVC", "CR", "ACU", "DMI"}
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _place() -> str:
    """Where certificates are issued (box 16): ZIMAO_TRADE_PLACE, else the demo zone's city."""
    return getattr(settings, "ZIMAO_TRADE_PLACE", "LUOYANG, CHINA")


# ---------------------------------------------------------------------------------------------
# Who may do what — 权限


def exporters_of(user) -> list:
    """The registered companies this user acts for (registry.entities_of)."""
    from zimao.registry.services import entities_of

    if not getattr(user, "is_authenticated", False):
        return []
    return list(entities_of(user))


def _exporter_usccs(user) -> set[str]:
    return {e.uscc for e in exporters_of(user)}


def issuing_officer(user, body: str | None = None) -> Officer | None:
    """The user's officer record if they review for an issuing body (签证机构审核人员)."""
    officer = catalog.officer_of(user)
    if officer is None or officer.role != Officer.Role.REVIEWER:
        return None
    if officer.department.code not in ISSUING_BODIES:
        return None
    if body is not None and officer.department.code != body:
        return None
    return officer


def competent_officer(user) -> Officer | None:
    """A reviewer of the competent authority for approved exporters (customs, 海关)."""
    officer = catalog.officer_of(user)
    if officer and officer.role == Officer.Role.REVIEWER and officer.department.code == COMPETENT_AUTHORITY:
        return officer
    return None


def is_trade_official(user) -> bool:
    """Issuing bodies, the competent authority, zone administrators and staff read everything."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    officer = catalog.officer_of(user)
    return officer is not None and (officer.department.code in ISSUING_BODIES or officer.department.code == COMPETENT_AUTHORITY
                                    or officer.role == Officer.Role.ADMIN)


def can_view(user, cert: Certificate) -> bool:
    """The applicant, anyone acting for the exporter, and trade officials — 查看权限."""
    if not getattr(user, "is_authenticated", False):
        return False
    if is_trade_official(user) or cert.applicant_id == user.id:
        return True
    return cert.exporter_uscc in _exporter_usccs(user)


# ---------------------------------------------------------------------------------------------
# Input checking — 输入校验 (every problem names its field in Chinese and English)


class _Problems:
    def __init__(self):
        self.items: list[Problem] = []

    def add(self, field: str, code: str, zh: str, en: str) -> None:
        self.items.append(Problem(field, code, f"{field}：{zh}", f"{field}: {en}"))

    def raise_if_any(self, status: int = 422) -> None:
        if self.items:
            raise BusinessError(*self.items, status=status)

    def text(self, raw, field: str, *, required: bool = True, limit: int = 200, english: bool = False) -> str:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.add(field, "required", "此项必填", "is required")
            return ""
        if not isinstance(raw, str):
            self.add(field, "string_type", "应为文本", "must be text")
            return ""
        value = raw.strip()
        if _CONTROL.search(value):
            self.add(field, "control_characters", "含有不可见的控制字符", "contains control characters")
            return ""
        if len(value) > limit:
            self.add(field, "too_long", f"不能超过 {limit} 个字符", f"must be at most {limit} characters")
            return ""
        if english and _CJK.search(value):
            # Art. 3.17.3(c) / 3.18.2(b): proofs of origin are in English.
            self.add(field, "not_english", "原产地证明须以英文填写（第3.17条第3款(c)项）",
                     "must be in English (Art. 3.17.3(c))")
            return ""
        return value

    def date(self, raw, field: str, *, required: bool = True) -> dt.date | None:
        if raw in (None, ""):
            if required:
                self.add(field, "required", "此项必填", "is required")
            return None
        if isinstance(raw, dt.date):
            return raw
        try:
            return dt.date.fromisoformat(str(raw).strip())
        except ValueError:
            self.add(field, "date_parsing", "应为日期（YYYY-MM-DD）", "must be a date (YYYY-MM-DD)")
            return None

    def decimal(self, raw, field: str, *, required: bool = True, places: int = 2) -> Decimal | None:
        if raw in (None, ""):
            if required:
                self.add(field, "required", "此项必填", "is required")
            return None
        if isinstance(raw, float):
            raw = repr(raw)
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            self.add(field, "decimal_parsing", "应为数字", "must be a number")
            return None
        if not value.is_finite() or value <= 0:
            self.add(field, "greater_than", "应为大于零的数字", "must be a number greater than zero")
            return None
        if value != value.quantize(Decimal(1).scaleb(-places)):
            self.add(field, "too_precise", f"最多 {places} 位小数", f"must have at most {places} decimal places")
            return None
        if value >= Decimal(10) ** 15:
            self.add(field, "too_large", "数值过大", "is too large")
            return None
        return value

    def country(self, raw, field: str, *, party: bool = True, not_exporting: bool = False) -> str:
        code = raw.strip().upper() if isinstance(raw, str) else ""
        if not re.fullmatch(r"[A-Z]{2}", code):
            self.add(field, "invalid_country", "应为两位国家代码（ISO 3166）", "must be a 2-letter ISO 3166 country code")
            return ""
        if party and code not in PARTIES:
            self.add(field, "not_a_party", f"{code} 不是 RCEP 缔约方", f"{code} is not an RCEP Party")
            return ""
        if not_exporting and code == EXPORTING_PARTY:
            self.add(field, "same_party", "进口方不能是出口缔约方（中国）", "must be a Party other than the exporting Party (China)")
            return ""
        return code


def _obj(p: _Problems, raw, field: str, *, required: bool = True) -> dict:
    if raw is None:
        if required:
            p.add(field, "required", "此项必填", "is required")
        return {}
    if not isinstance(raw, dict):
        p.add(field, "dict_type", "应为对象", "must be an object")
        return {}
    return raw


def _currency(p: _Problems, raw, field: str = "currency") -> str:
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if not re.fullmatch(r"[A-Z]{3}", code):
        p.add(field, "invalid_currency", "应为三位货币代码（ISO 4217），如 USD", "must be a 3-letter ISO 4217 code such as USD")
        return ""
    return code


def _party_block(p: _Problems, raw, field: str, *, country: bool) -> dict:
    d = _obj(p, raw, field)
    out = {"name": p.text(d.get("name"), f"{field}.name", english=True),
           "address": p.text(d.get("address"), f"{field}.address", limit=300, english=True)}
    if country:
        out["country"] = p.country(d.get("country"), f"{field}.country", party=True, not_exporting=True)
    return out


def _shipment(p: _Problems, data: dict) -> dict:
    """Boxes 1–4 and 13–15: parties, transport, invoices, declaration — shared by every kind."""
    out: dict = {}
    exporter = _obj(p, data.get("exporter"), "exporter")
    out["exporter"] = {
        "uscc": (exporter.get("uscc") or "").strip().upper() if isinstance(exporter.get("uscc"), str) else "",
        "name": p.text(exporter.get("name"), "exporter.name", english=True),
        "address": p.text(exporter.get("address"), "exporter.address", limit=300, english=True),
    }
    if not out["exporter"]["uscc"]:
        p.add("exporter.uscc", "required", "此项必填（出口商统一社会信用代码）", "is required (the exporter's USCC)")
    out["importer"] = _party_block(p, data.get("importer"), "importer", country=True)
    producer = data.get("producer")
    if producer in (None, {}, ""):
        out["producer"] = None  # Annex 3B 1(b): "if known"
    else:
        d = _obj(p, producer, "producer")
        if d.get("same_as_exporter") is True:
            out["producer"] = {"same_as_exporter": True}
        else:
            out["producer"] = {"name": p.text(d.get("name"), "producer.name", english=True),
                               "address": p.text(d.get("address"), "producer.address", limit=300, english=True)}
    t = _obj(p, data.get("transport"), "transport")
    out["transport"] = {
        "departure_date": p.date(t.get("departure_date"), "transport.departure_date"),
        "vessel": p.text(t.get("vessel"), "transport.vessel", limit=100, english=True),
        "port_of_loading": p.text(t.get("port_of_loading"), "transport.port_of_loading", required=False, limit=100, english=True),
        "port_of_discharge": p.text(t.get("port_of_discharge"), "transport.port_of_discharge", limit=100, english=True),
    }
    invoices = data.get("invoices")
    out["invoices"] = []
    if not isinstance(invoices, list) or not invoices:
        p.add("invoices", "required", "至少填写一张发票（号码和日期）", "give at least one invoice (number and date)")
    elif len(invoices) > MAX_INVOICES:
        p.add("invoices", "too_many", f"最多 {MAX_INVOICES} 张发票", f"at most {MAX_INVOICES} invoices")
    else:
        for i, inv in enumerate(invoices):
            d = _obj(p, inv, f"invoices[{i}]")
            out["invoices"].append({"number": p.text(d.get("number"), f"invoices[{i}].number", limit=60, english=True),
                                    "date": p.date(d.get("date"), f"invoices[{i}].date")})
    third = data.get("third_party_invoicing")
    if third in (None, {}, ""):
        out["third_party_invoicing"] = None
    else:
        d = _obj(p, third, "third_party_invoicing")
        out["third_party_invoicing"] = {
            "name": p.text(d.get("name"), "third_party_invoicing.name", english=True),
            "country": p.country(d.get("country"), "third_party_invoicing.country", party=False)}
    body = data.get("issuing_body") or DEFAULT_ISSUING_BODY
    if body not in ISSUING_BODIES or not Department.objects.filter(code=body).exists():
        p.add("issuing_body", "unknown_issuing_body", "签证机构不存在", "is not an issuing body of this zone")
    out["issuing_body"] = body
    out["currency"] = _currency(p, data.get("currency"))
    out["remarks"] = p.text(data.get("remarks"), "remarks", required=False, limit=500, english=True)
    out["retroactive_reason"] = p.text(data.get("retroactive_reason"), "retroactive_reason", required=False, limit=500)
    decl = _obj(p, data.get("declaration"), "declaration")
    out["declaration"] = {"place": p.text(decl.get("place"), "declaration.place", limit=100, english=True),
                          "signatory": p.text(decl.get("signatory"), "declaration.signatory", limit=100, english=True)}
    return out


def _goods_common(p: _Problems, g: dict, path: str) -> dict:
    return {
        "marks": p.text(g.get("marks"), f"{path}.marks", required=False, limit=200, english=True) or "N/M",
        "packages": p.text(g.get("packages"), f"{path}.packages", limit=100, english=True),
        "quantity": p.decimal(g.get("quantity"), f"{path}.quantity", places=3),
        "unit": p.text(g.get("unit"), f"{path}.unit", limit=20, english=True).upper(),
        "gross_weight_kg": p.decimal(g.get("gross_weight_kg"), f"{path}.gross_weight_kg", required=False, places=3),
        "fob_value": p.decimal(g.get("fob_value"), f"{path}.fob_value"),
    }


def _first_hint(result: dict) -> tuple[str, str]:
    hints = result.get("to_qualify") or []
    if not hints:
        return "", ""
    return hints[0].get("zh", ""), hints[0].get("en", "")


def _goods_original(p: _Problems, user, goods, today: dt.date) -> list[dict]:
    """Goods of an ordinary certificate: each with its bill and a fresh determination."""
    out = []
    for i, g in enumerate(goods):
        path = f"goods[{i}]"
        g = _obj(p, g, path)
        if not g:
            continue
        bom = g.get("bom")
        check_id = g.get("check_id")
        if bom is None and check_id is not None:
            pk = _small_id(check_id)
            check = OriginCheck.objects.filter(pk=pk, owner=user).first() if pk is not None else None
            if check is None:
                p.add(f"{path}.check_id", "unknown_check", "找不到这条原产地预判记录", "no such origin check of yours")
                continue
            bom = check.bom
        if bom is None:
            p.add(f"{path}.bom", "required", "请附物料清单（bom）或原产地预判记录（check_id）",
                  "attach the bill of materials (bom) or an origin check (check_id)")
            continue
        item = _goods_common(p, g, path)
        try:
            # Determined afresh on the day of application: the table of rules may have changed.
            result = docs.determine_item(bom, field=f"{path}.bom", on=today)
        except BusinessError as exc:
            p.items.extend(exc.problems)
            continue
        product = result["product"]
        if not result["originating"]:
            zh, en = _first_hint(result)
            p.add(path, "not_originating", "该货物不具有 RCEP 原产资格，不能申请原产地证书。" + (f"建议：{zh}" if zh else ""),
                  "the good is not originating under RCEP; no certificate can be issued." + (f" To qualify: {en}" if en else ""))
            continue
        if product["country"] != EXPORTING_PARTY:
            p.add(f"{path}.bom.product.country", "not_exporting_party",
                  "本区签证机构只为在中国生产的货物签发原产地证书；未经加工转口的货物请申请背对背原产地证书（第3.19条）",
                  "certificates here cover goods produced in China; for goods re-exported unchanged apply for a "
                  "back-to-back certificate (Art. 3.19)")
            continue
        product_in = (bom.get("product") or {}) if isinstance(bom, dict) else {}
        description = p.text(g.get("description") or (product_in.get("description") if isinstance(product_in, dict) else None),
                             f"{path}.description", limit=300, english=True)
        rcep = result["rcep_country"]
        stated = g.get("rcep_country")
        country, basis = rcep["country"], rcep["basis"]
        if stated not in (None, "") and str(stated).upper() != rcep["country"]:
            # Art. 2.6.3 (an importing Party's Appendix) can make the exporting Party the country of
            # origin where the engine would not: the exporter states it with its basis.
            country = p.country(stated, f"{path}.rcep_country")
            basis = p.text(g.get("rcep_country_basis"), f"{path}.rcep_country_basis", limit=300)
        item.update({
            "description": description, "hs": product["hs"], "hs_version": result["hs_version"],
            "criterion": list(result["criterion"]), "rcep_country": country, "rcep_country_basis": basis,
            "rcep_country_computed": rcep, "bom": bom, "determination": result,
            "check_id": int(check_id) if str(check_id or "").isdigit() else None,
        })
        out.append(item)
    return out


def _original_facts(p: _Problems, raw, path: str, today: dt.date) -> dict:
    d = _obj(p, raw, path)
    facts = {
        "country": p.country(d.get("country"), f"{path}.country", party=True, not_exporting=True),
        "reference": p.text(d.get("reference"), f"{path}.reference", limit=60, english=True).upper(),
        "item": d.get("item", 1),
        "issued_on": p.date(d.get("issued_on"), f"{path}.issued_on"),
        "rcep_country": p.country(d.get("rcep_country"), f"{path}.rcep_country", party=True),
        "approved_exporter_code": p.text(d.get("approved_exporter_code"), f"{path}.approved_exporter_code",
                                         required=False, limit=60, english=True),
        "hs": normalise_hs6(d.get("hs")) if isinstance(d.get("hs"), str) else None,
        "description": p.text(d.get("description"), f"{path}.description", limit=300, english=True),
        "criterion": [],
        "quantity": p.decimal(d.get("quantity"), f"{path}.quantity", places=3),
        "unit": p.text(d.get("unit"), f"{path}.unit", limit=20, english=True).upper(),
    }
    if not isinstance(facts["item"], int) or isinstance(facts["item"], bool) or not 1 <= facts["item"] <= 999:
        p.add(f"{path}.item", "invalid", "应为 1 至 999 的整数", "must be a whole number from 1 to 999")
    if facts["hs"] is None:
        p.add(f"{path}.hs", "invalid_hs", "应为6位税则号列（子目）", "must be a 6-digit HS subheading")
    crit = d.get("criterion")
    codes = [c.strip().upper() for c in re.split(r"[,+\s]+", crit) if c.strip()] if isinstance(crit, str) else (
        [str(c).strip().upper() for c in crit] if isinstance(crit, list) else [])
    if not codes or any(c not in CRITERIA for c in codes):
        p.add(f"{path}.criterion", "invalid_criterion", "原产地标准应为 WO、PE、CTC、RVC、CR（可附 ACU、DMI）",
              "must be WO, PE, CTC, RVC or CR (with ACU, DMI)")
    facts["criterion"] = codes
    if facts["issued_on"] is not None:
        if facts["issued_on"] > today:
            p.add(f"{path}.issued_on", "in_future", "签发日期不能晚于今天", "must not be in the future")
        elif docs.one_year_validity(facts["issued_on"]) < today:
            # Art. 3.19.1(a): a *valid* original proof (or its certified true copy) must be presented.
            p.add(f"{path}.issued_on", "original_expired", "原始原产地证明已超过一年有效期（第3.16条、第3.19条第1款(a)项）",
                  "the original proof of origin is no longer valid (one year; Arts. 3.16, 3.19.1(a))")
    return facts


def _goods_back_to_back(p: _Problems, goods, today: dt.date) -> list[dict]:
    out = []
    for i, g in enumerate(goods):
        path = f"goods[{i}]"
        g = _obj(p, g, path)
        if not g:
            continue
        item = _goods_common(p, g, path)
        original = _original_facts(p, g.get("original"), f"{path}.original", today)
        description = p.text(g.get("description") or original.get("description"), f"{path}.description",
                             limit=300, english=True)
        if item["unit"] and original["unit"] and item["unit"] != original["unit"]:
            p.add(f"{path}.unit", "unit_mismatch", f"须与原始证明的计量单位 {original['unit']} 相同",
                  f"must be the original proof's unit {original['unit']}")
        item.update({"description": description, "hs": original["hs"], "hs_version": "",
                     "criterion": original["criterion"], "rcep_country": original["rcep_country"],
                     "rcep_country_basis": "Art. 3.19.1(c)", "original": original})
        out.append(item)
    return out


def _json_safe(value):
    return audit.jsonable(value)


def clean_application(user, data, *, kind: str = Certificate.Kind.ORIGINAL, today: dt.date | None = None) -> dict:
    """Validate an application — 校验证书申请 — and determine every good; raise one
    ``BusinessError`` (422) listing every problem, each naming its field."""
    today = today or timezone.localdate()
    p = _Problems()
    if not isinstance(data, dict):
        p.add("application", "dict_type", "应为对象", "must be an object")
        p.raise_if_any()
    out = _shipment(p, data)
    if out["exporter"]["uscc"] and out["exporter"]["uscc"] not in _exporter_usccs(user):
        # Only a company the user acts for: the exporter is a registered market entity (Art. 3.17.1).
        p.add("exporter.uscc", "not_your_company", "您不是该企业的经办人，或该企业未在本区登记",
              "you do not act for this company, or it is not registered in this zone")
    goods = data.get("goods")
    if not isinstance(goods, list) or not goods:
        p.add("goods", "required", "至少填写一项货物", "list at least one good")
        goods = []
    elif len(goods) > MAX_GOODS:
        p.add("goods", "too_many", f"一份证书最多 {MAX_GOODS} 项货物", f"at most {MAX_GOODS} goods per certificate")
        goods = []
    if kind == Certificate.Kind.BACK_TO_BACK:
        out["goods"] = _goods_back_to_back(p, goods, today)
    else:
        out["goods"] = _goods_original(p, user, goods, today)
    departure = out["transport"].get("departure_date")
    if departure and departure < today and not out["retroactive_reason"]:
        # Art. 3.17.8: after shipment a certificate can only be issued retroactively, for a reason.
        p.add("retroactive_reason", "required", "货物已出运，补发证书须说明原因（第3.17条第8款）",
              "the goods have left: give the reason for issuing retroactively (Art. 3.17.8)")
    if departure and docs.add_years(departure, 1) < today:
        p.add("transport.departure_date", "too_late", "出运已超过一年，不能再补发证书（第3.17条第8款）",
              "more than one year after shipment no certificate can be issued (Art. 3.17.8)")
    p.raise_if_any()
    out["kind"] = kind
    return out


# ---------------------------------------------------------------------------------------------
# Origin checks — 原产地预判


def check_origin(user, bom, *, save: bool = True, today: dt.date | None = None) -> dict:
    """Determine a product's origin — 原产地预判 — with its explanation, what would make it
    qualify, and the RCEP country of origin; saved for the user when ``save``."""
    result = docs.determine_item(bom, field="bom", on=today)
    if save and getattr(user, "is_authenticated", False):
        product = bom.get("product") if isinstance(bom, dict) else {}
        check = OriginCheck.objects.create(
            owner=user, description=str((product or {}).get("description") or "")[:300], hs=result["product"]["hs"],
            hs_version=result["hs_version"], bom=_json_safe(bom), result=_json_safe(result),
            originating=result["originating"], criterion=", ".join(result["criterion"]),
            rcep_country=(result["rcep_country"] or {}).get("country", ""))
        result["check_id"] = check.pk
    return result


def checks_of(user):
    return OriginCheck.objects.filter(owner=user)


def _small_id(pk) -> int | None:
    """An id that fits the database's integers, or None (a fuzzer's 10**30 is simply "not found")."""
    text = str(pk)
    return int(text) if text.isdigit() and len(text) <= 18 else None


def get_check(user, pk) -> OriginCheck:
    pk = _small_id(pk)
    check = OriginCheck.objects.filter(pk=pk, owner=user).first() if pk is not None else None
    if check is None:
        raise not_found("check")
    return check


# ---------------------------------------------------------------------------------------------
# Applications — 证书申请


def _reference(prefix: str) -> str:
    today = timezone.localdate()
    n = sequences.next_value(f"trade.{prefix}.{today:%Y%m%d}")
    # Two-digit year: never to be mistaken for (or contain) a case number, LY + 8-digit date + serial.
    return f"{prefix}{settings.ZONE_CODE}{today:%y%m%d}{n:05d}"


def _lock_original(facts: dict) -> OriginalProof:
    """The stored original proof for ``facts`` (created on first presentation), locked."""
    defaults = {k: facts[k] for k in ("issued_on", "rcep_country", "approved_exporter_code", "hs", "description",
                                      "quantity", "unit")}
    defaults["criterion"] = ", ".join(facts["criterion"])
    defaults["valid_until"] = docs.one_year_validity(facts["issued_on"])
    try:
        with transaction.atomic():
            OriginalProof.objects.get_or_create(country=facts["country"], reference=facts["reference"],
                                                item=facts["item"], defaults=defaults)
    except IntegrityError:
        pass  # created at the same moment by another application: read it below
    return OriginalProof.objects.select_for_update().get(country=facts["country"], reference=facts["reference"],
                                                          item=facts["item"])


def _drawn(original: OriginalProof, exclude_certificate: int | None = None) -> Decimal:
    qs = BackToBackDraw.objects.filter(original=original, certificate__status__in=[S.SUBMITTED, S.ISSUED])
    if exclude_certificate:
        qs = qs.exclude(certificate_id=exclude_certificate)
    return qs.aggregate(total=Sum("quantity"))["total"] or Decimal(0)


def _draw_originals(p: _Problems, cert: Certificate | None, goods: list[dict]) -> list[tuple[OriginalProof, Decimal]]:
    """Check each partial quantity against what is left of its original (Art. 3.19.1(e))."""
    draws = []
    wanted: dict[int, Decimal] = defaultdict(Decimal)
    for i, g in enumerate(goods):
        facts = g["original"]
        original = _lock_original(facts)
        for key in ("issued_on", "rcep_country", "hs", "quantity", "unit"):
            if getattr(original, key) != facts[key]:
                p.add(f"goods[{i}].original.{key}", "original_mismatch", "与此前提交的同一份原始证明的内容不一致",
                      "differs from the same original proof presented before")
        wanted[original.pk] += g["quantity"]
        left = original.quantity - _drawn(original, cert.pk if cert else None) - (wanted[original.pk] - g["quantity"])
        if g["quantity"] > left:
            p.add(f"goods[{i}].quantity", "exceeds_original",
                  f"超过原始证明尚未使用的数量 {left.normalize():f} {original.unit}（第3.19条第1款(e)项）",
                  f"exceeds what is left of the original proof, {left.normalize():f} {original.unit} (Art. 3.19.1(e))")
        draws.append((original, g["quantity"]))
    return draws


def apply(user, data: dict, *, kind: str = Certificate.Kind.ORIGINAL, idempotency_key: str = "") -> Certificate:
    """Apply for a certificate of origin — 申请原产地证书 (Art. 3.17.1–2).

    The application goes to the chosen issuing body's review queue. Idempotent per key: a
    repeated request returns the application already made.
    """
    idempotency_key = (idempotency_key or "").strip()[:64]
    if idempotency_key:
        existing = Certificate.objects.filter(applicant=user, idempotency_key=idempotency_key).first()
        if existing:
            return existing
    if kind not in Certificate.Kind.values:
        raise BusinessError.of("kind", "invalid", "证书种类不正确", "unknown certificate kind", status=422)
    today = timezone.localdate()
    cleaned = clean_application(user, data, kind=kind, today=today)
    exporter = next(e for e in exporters_of(user) if e.uscc == cleaned["exporter"]["uscc"])
    fob_total = sum((g["fob_value"] for g in cleaned["goods"]), Decimal(0))
    try:
        with transaction.atomic():
            p = _Problems()
            draws = _draw_originals(p, None, cleaned["goods"]) if kind == Certificate.Kind.BACK_TO_BACK else []
            p.raise_if_any(status=409 if any(x.code == "exceeds_original" for x in p.items) else 422)
            now = timezone.now()
            cert = Certificate.objects.create(
                reference=_reference("COA"), kind=kind, applicant=user, exporter_uscc=exporter.uscc,
                exporter_name=exporter.name, issuing_body=cleaned["issuing_body"],
                importing_country=cleaned["importer"]["country"], currency=cleaned["currency"], fob_total=fob_total,
                departure_date=cleaned["transport"]["departure_date"], data=_json_safe(cleaned),
                idempotency_key=idempotency_key, submitted_at=now,
                due_date=calendar.add_working_days(today, PROMISED_WORKING_DAYS).date)
            for original, quantity in draws:
                BackToBackDraw.objects.create(certificate=cert, original=original, quantity=quantity)
            audit.record(user, "coo.apply", cert, after={
                "reference": cert.reference, "kind": kind, "exporter": exporter.uscc, "issuing_body": cert.issuing_body,
                "importing_country": cert.importing_country, "goods": len(cleaned["goods"]),
                "idempotency_key": idempotency_key})
    except IntegrityError:
        existing = Certificate.objects.filter(applicant=user, idempotency_key=idempotency_key).first()
        if existing and idempotency_key:
            return existing
        raise
    return cert


def certificates_for(user, *, status: str = ""):
    """What the user may list — 我的证书 / 签证审核列表: an exporter's own, an official's all."""
    qs = Certificate.objects.all()
    if not is_trade_official(user):
        qs = qs.filter(exporter_uscc__in=_exporter_usccs(user)) | qs.filter(applicant=user)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-submitted_at", "-id")


def review_queue(user):
    """Applications waiting for this issuing body — 待签证 (oldest first, due date shown)."""
    officer = issuing_officer(user)
    if officer is None:
        return Certificate.objects.none()
    return Certificate.objects.filter(issuing_body=officer.department.code, status=S.SUBMITTED) \
        .order_by("due_date", "submitted_at", "id")


def true_copies_queue(user):
    officer = issuing_officer(user)
    if officer is None:
        return TrueCopy.objects.none()
    return TrueCopy.objects.filter(certificate__issuing_body=officer.department.code, status=TrueCopy.Status.REQUESTED) \
        .select_related("certificate").order_by("requested_at")


def get_certificate(user, key: str) -> Certificate:
    """By application reference or certificate number; someone else's looks like a missing one."""
    key = (key or "").strip().upper()
    cert = Certificate.objects.filter(reference=key).first() or Certificate.objects.filter(number=key).first()
    if cert is None or not can_view(user, cert):
        raise not_found("certificate")
    return cert


def _locked(reference: str) -> Certificate:
    cert = Certificate.objects.select_for_update().filter(reference=(reference or "").strip().upper()).first()
    if cert is None:
        raise not_found("certificate")
    return cert


def _status_conflict(cert: Certificate) -> Conflict:
    words = STATUS_WORDS.get(cert.status, (cert.status, cert.status))
    return Conflict(Problem("status", "invalid_transition", f"该申请当前状态为“{words[0]}”，不能执行此操作",
                            f"The application is {words[1].lower()}; this cannot be done now"))


def withdraw(user, reference: str, reason: str = "") -> Certificate:
    """The applicant withdraws an application not yet decided — 撤回申请."""
    with transaction.atomic():
        cert = _locked(reference)
        if cert.applicant_id != user.id:
            raise not_found("certificate")
        if cert.status != S.SUBMITTED:
            raise _status_conflict(cert)
        cert.status = S.WITHDRAWN
        cert.decided_at = timezone.now()
        cert.refusal_reason = (reason or "").strip()[:500]
        cert.save()
        # A withdrawn back-to-back application frees the quantity it held.
        cert.draws.all().delete()
        audit.record(user, "coo.withdraw", cert, before={"status": S.SUBMITTED}, after={"status": S.WITHDRAWN})
    return cert


def _require_issuer(user, cert: Certificate) -> Officer:
    officer = issuing_officer(user, cert.issuing_body)
    if officer is None:
        # Only the issuing body the application went to may decide it (Art. 3.17.1).
        raise forbidden("certificate")
    return officer


def refuse(reference: str, user, reason: str) -> Certificate:
    """The issuing body refuses to certify — 不予签证 — giving its reason."""
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of("reason", "required", "不予签证时必须说明理由", "Give the reason for refusing", status=422)
    if len(reason) > 2000:
        raise BusinessError.of("reason", "too_long", "理由不能超过2000字", "The reason must be at most 2000 characters", status=422)
    with transaction.atomic():
        cert = _locked(reference)
        _require_issuer(user, cert)
        if cert.status != S.SUBMITTED:
            raise _status_conflict(cert)
        cert.status = S.REFUSED
        cert.refusal_reason = reason
        cert.decided_at = timezone.now()
        cert.decided_by = user
        cert.save()
        cert.draws.all().delete()
        audit.record(user, "coo.refuse", cert, before={"status": S.SUBMITTED}, after={"status": S.REFUSED, "reason": reason})
    return cert


# -- exchange rates — 汇率


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def rate_for(currency: str, on: dt.date) -> Decimal | None:
    """Yuan per unit of ``currency`` for the month of ``on`` (CNY is 1); None when not entered."""
    if currency == "CNY":
        return Decimal(1)
    row = ExchangeRate.objects.filter(currency=currency, month=month_start(on)).first()
    return row.cny_per_unit if row else None


def set_rate(currency: str, month: dt.date, cny_per_unit, source: str, actor) -> ExchangeRate:
    """Enter the customs rate of a month — 录入月度汇率 (audited; a month has one rate)."""
    p = _Problems()
    currency = _currency(p, currency)
    value = p.decimal(cny_per_unit, "cny_rate", places=6)
    p.raise_if_any()
    with transaction.atomic():
        row, created = ExchangeRate.objects.get_or_create(
            currency=currency, month=month_start(month), defaults={"cny_per_unit": value, "source": source[:200]})
        if not created and row.cny_per_unit != value:
            raise Conflict(Problem("cny_rate", "rate_exists",
                                   f"{currency} {month:%Y-%m} 的汇率已录入为 {row.cny_per_unit}",
                                   f"the {currency} rate for {month:%Y-%m} is already {row.cny_per_unit}"))
        if created:
            audit.record(actor, "exchange_rate.set", row, after={"currency": currency, "month": row.month,
                                                                 "cny_per_unit": value, "source": source})
    return row


# -- issuing — 签发


def _content(cert: Certificate, number: str, issued_on: dt.date, valid_until: dt.date, retroactive: bool,
             reason: str, signatory: str, body: Department) -> dict:
    """The Form RCEP content — 证书内容 (Annex 3B part 1), fixed at issue and signed."""
    data = cert.data
    invoices = [f"{inv['number']} ({inv['date']})" for inv in data["invoices"]]
    goods, originals = [], []
    for i, g in enumerate(data["goods"], start=1):
        rvc = "RVC" in g["criterion"]
        entry = {
            "item": i, "marks": g["marks"], "packages": g["packages"], "description": g["description"],
            "hs": g["hs"], "hs_version": g.get("hs_version", ""), "criterion": g["criterion"],
            "rcep_country": g["rcep_country"], "quantity": g["quantity"], "unit": g["unit"],
            "gross_weight_kg": g.get("gross_weight_kg"),
            # Box 12 / Annex 3B 1(k): the FOB value only where the RVC criterion is used.
            "fob": g["fob_value"] if rvc else None,
            "invoices": invoices,
        }
        if g.get("original"):
            o = g["original"]
            entry["original"] = {k: o[k] for k in ("country", "reference", "item", "issued_on", "rcep_country",
                                                   "approved_exporter_code")}
            originals.append(entry["original"])
        goods.append(entry)
    remarks = []
    if retroactive:
        remarks.append(f"{docs.RETROACTIVE_WORDS}: {reason}")
    for o in originals:
        # Annex 3B 1(m): the original's number, date, first exporting Party's RCEP country of
        # origin and, if any, its approved exporter code.
        text = (f"{docs.BACK_TO_BACK_WORDS}: original proof of origin No. {o['reference']} issued on {o['issued_on']} "
                f"in {country_en(o['country'])}, RCEP country of origin {country_en(o['rcep_country'])}")
        if o.get("approved_exporter_code"):
            text += f", approved exporter {o['approved_exporter_code']}"
        remarks.append(text)
    third = data.get("third_party_invoicing")
    if third:
        remarks.append(f"{docs.THIRD_PARTY_WORDS}: invoice issued by {third['name']}, {country_en(third['country'])}")
    if data.get("remarks"):
        remarks.append(data["remarks"])
    producer = data.get("producer")
    if producer and producer.get("same_as_exporter"):
        producer = {"name": "SAME AS EXPORTER", "address": ""}
    return {
        "form": "RCEP",
        "number": number,
        "issued_in": EXPORTING_PARTY,
        "issued_on": issued_on.isoformat(),
        "valid_until": valid_until.isoformat(),
        "exporter": {**{k: data["exporter"][k] for k in ("name", "address")}, "country": EXPORTING_PARTY},
        "importer": data["importer"],
        "producer": producer,
        "transport": data["transport"],
        "goods": goods,
        "remarks": remarks,
        "flags": {"issued_retroactively": retroactive, "back_to_back": bool(originals),
                  "third_party_invoicing": bool(third)},
        "declaration": {"importing_country": data["importer"]["country"], "place": data["declaration"]["place"],
                        "date": cert.submitted_at.astimezone(timezone.get_current_timezone()).date().isoformat(),
                        "signatory": data["declaration"]["signatory"]},
        "certification": {"issuing_body": body.code, "issuing_body_name": body.name_en, "place": _place(),
                          "date": issued_on.isoformat(), "signatory": signatory},
    }


def issue(reference: str, user, *, retroactive_reason: str = "", cny_rate=None, today: dt.date | None = None) -> Certificate:
    """Issue the certificate — 签发原产地证书 (Art. 3.17): a unique number, the issuing body's
    electronic signature and seal, validity of one year (Art. 3.16), "ISSUED RETROACTIVELY"
    when issued after the departure date (Art. 3.17.8)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        cert = _locked(reference)
        officer = _require_issuer(user, cert)
        if cert.status != S.SUBMITTED:
            raise _status_conflict(cert)
        p = _Problems()
        retroactive = cert.departure_date < today
        reason = (retroactive_reason or "").strip() or cert.data.get("retroactive_reason", "")
        if retroactive and docs.add_years(cert.departure_date, 1) < today:
            raise Conflict(Problem("transport.departure_date", "too_late",
                                   "出运已超过一年，不能补发证书（第3.17条第8款）",
                                   "More than one year after shipment: the certificate cannot be issued (Art. 3.17.8)"))
        if retroactive and not reason:
            p.add("retroactive_reason", "required", "货物已出运，补发证书须说明原因（第3.17条第8款）",
                  "the goods have left: give the reason for issuing retroactively (Art. 3.17.8)")
        valid_until = docs.one_year_validity(today)
        if cert.kind == Certificate.Kind.BACK_TO_BACK:
            draws = list(cert.draws.select_related("original"))
            for i, d in enumerate(draws):
                if d.original.valid_until < today:
                    p.add(f"goods[{i}].original", "original_expired", "原始原产地证明已过有效期（第3.19条第1款(a)项）",
                          "the original proof of origin is no longer valid (Art. 3.19.1(a))")
            p.raise_if_any(status=409)
            # Art. 3.19.1(b): never valid longer than the original proof it rests on.
            valid_until = min([valid_until] + [d.original.valid_until for d in draws])
        rate = rate_for(cert.currency, today)
        if rate is None and cny_rate not in (None, ""):
            rate = set_rate(cert.currency, today, cny_rate, f"entered by {user.username} when issuing {cert.reference}",
                            user).cny_per_unit
        if rate is None:
            p.add("cny_rate", "no_exchange_rate",
                  f"尚未录入 {today:%Y-%m} 的 {cert.currency} 海关计征汇率，请填写（用于统计离岸价人民币值）",
                  f"no customs rate of {cert.currency} for {today:%Y-%m} is entered yet; give it (it converts the FOB "
                  "value to yuan for the statistics)")
        p.raise_if_any()
        serial = sequences.next_value(f"trade.coo.{today.year}")
        number = docs.certificate_number(cert.issuing_body, today.year, serial)
        signatory = user.get_full_name() or user.username
        cert.number = number
        cert.issued_on = today
        cert.valid_until = valid_until
        cert.retroactive = retroactive
        cert.issued_at = timezone.now().replace(microsecond=0)
        cert.cny_rate = rate
        cert.fob_cny = (cert.fob_total * rate).quantize(Decimal("0.01"))
        cert.content = _json_safe(_content(cert, number, today, valid_until, retroactive, reason, signatory,
                                           officer.department))
        cert.jws, cert.kid = docs.sign(docs.certificate_payload(cert))
        cert.status = S.ISSUED
        cert.decided_at = cert.issued_at
        cert.decided_by = user
        cert.save()
        audit.record(user, "coo.issue", cert, before={"status": S.SUBMITTED}, after={
            "status": S.ISSUED, "number": number, "valid_until": valid_until, "retroactive": retroactive,
            "kid": cert.kid, "fob_cny": cert.fob_cny})
        _tell_monitor(cert)
    return cert


def invalidate(number: str, user, reason: str) -> Certificate:
    """Invalidate an issued certificate — 作废 (Art. 3.17.5(a)), e.g. before a corrected one is
    issued; verification shows it as invalidated at once."""
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of("reason", "required", "请填写作废原因", "Give the reason", status=422)
    with transaction.atomic():
        cert = Certificate.objects.select_for_update().filter(number=(number or "").strip().upper()).first()
        if cert is None:
            raise not_found("certificate")
        _require_issuer(user, cert)
        if cert.status != S.ISSUED:
            raise _status_conflict(cert)
        cert.status = S.INVALIDATED
        cert.invalidated_at = timezone.now()
        cert.invalidation_reason = reason
        cert.save()
        audit.record(user, "coo.invalidate", cert, before={"status": S.ISSUED},
                     after={"status": S.INVALIDATED, "reason": reason})
    return cert


def tell_monitor(code: str, at, **kw) -> None:
    """Report one event to the dashboard — 上报监测 — inside the caller's transaction (the monitor's
    task row is an outbox: it commits or rolls back with the change). Nothing when the monitor
    app is not on this node; ``code`` is a ``zimao.monitor.catalogue`` stream code."""
    try:
        from zimao.core.events import announce_fact as report
    except ImportError:  # the monitor app is optional for a trade-only node
        return
    report(code, at, **kw)


def _tell_monitor(cert: Certificate) -> None:
    """One event per certificate, in the issue's transaction: counted, and its FOB in yuan summed,
    by destination."""
    tell_monitor("trade.rcep_certificates", cert.issued_at, value=cert.fob_cny or Decimal(0),
                 dimension=cert.importing_country, event_key=f"coo:{cert.number}", ref=cert.number,
                 label=cert.exporter_name)


def monitor_events():
    """Every certificate event from scratch — for ``zimao.monitor`` rebuilds (sources.register)."""
    from zimao.core.events import Fact as Event

    for cert in Certificate.objects.filter(status=S.ISSUED).order_by("issued_at", "id").iterator():
        yield Event(at=cert.issued_at, event_key=f"coo:{cert.number}", value=cert.fob_cny or Decimal(0),
                    dimension=cert.importing_country, ref=cert.number, label=cert.exporter_name)


# ---------------------------------------------------------------------------------------------
# Certified true copies — 经核准的证书副本 (Art. 3.17.9)


def request_true_copy(user, number: str, reason: str) -> TrueCopy:
    """The exporter asks for a certified true copy after theft, loss or destruction of the original."""
    reason = (reason or "").strip()
    cert = get_certificate(user, number)
    if cert.applicant_id != user.id and cert.exporter_uscc not in _exporter_usccs(user):
        raise not_found("certificate")
    if not reason:
        raise BusinessError.of("reason", "required", "请说明原件被盗、遗失或损毁的情况",
                               "Say how the original was stolen, lost or destroyed", status=422)
    if cert.status != S.ISSUED:
        raise _status_conflict(cert)
    if docs.add_years(cert.issued_on, 1) < timezone.localdate():
        raise Conflict(Problem("number", "too_late", "原证书签发已超过一年，不能再出具副本（第3.17条第9款(a)项）",
                               "More than one year after the original was issued, no true copy can be issued (Art. 3.17.9(a))"))
    with transaction.atomic():
        copy = TrueCopy.objects.create(reference=_reference("CTC"), certificate=cert, requested_by=user,
                                       reason=reason[:2000], requested_at=timezone.now())
        audit.record(user, "coo.true_copy.request", copy, after={"number": cert.number, "reference": copy.reference})
    return copy


def _locked_copy(reference: str) -> TrueCopy:
    copy = TrueCopy.objects.select_for_update(of=("self",)).select_related("certificate").filter(
        reference=(reference or "").strip().upper()).first()
    if copy is None:
        raise not_found("true_copy")
    return copy


def issue_true_copy(reference: str, user) -> TrueCopy:
    """Issue the copy — 签发副本: same number and date as the original, endorsed "CERTIFIED TRUE
    COPY", based on the original application, signed over the original's signed content."""
    with transaction.atomic():
        copy = _locked_copy(reference)
        cert = copy.certificate
        _require_issuer(user, cert)
        if copy.status != TrueCopy.Status.REQUESTED:
            raise Conflict(Problem("status", "already_decided", "该副本申请已处理", "This request has already been decided"))
        if cert.status != S.ISSUED:
            raise _status_conflict(cert)
        if docs.add_years(cert.issued_on, 1) < timezone.localdate():
            raise Conflict(Problem("number", "too_late", "原证书签发已超过一年（第3.17条第9款(a)项）",
                                   "More than one year after the original was issued (Art. 3.17.9(a))"))
        copy.status = TrueCopy.Status.ISSUED
        copy.issued_at = timezone.now().replace(microsecond=0)
        copy.decided_at = copy.issued_at
        copy.decided_by = user
        copy.jws, copy.kid = docs.sign(docs.true_copy_payload(copy))
        copy.save()
        audit.record(user, "coo.true_copy.issue", copy, after={"number": cert.number, "kid": copy.kid})
    return copy


def refuse_true_copy(reference: str, user, reason: str) -> TrueCopy:
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of("reason", "required", "请说明理由", "Give the reason", status=422)
    with transaction.atomic():
        copy = _locked_copy(reference)
        _require_issuer(user, copy.certificate)
        if copy.status != TrueCopy.Status.REQUESTED:
            raise Conflict(Problem("status", "already_decided", "该副本申请已处理", "This request has already been decided"))
        copy.status = TrueCopy.Status.REFUSED
        copy.refusal_reason = reason
        copy.decided_at = timezone.now()
        copy.decided_by = user
        copy.save()
        audit.record(user, "coo.true_copy.refuse", copy, after={"reason": reason})
    return copy


# ---------------------------------------------------------------------------------------------
# Approved exporters and declarations of origin — 经核准出口商与原产地声明 (Arts. 3.18, 3.21)


def authorise_exporter(user, *, uscc: str, name_en: str, address_en: str, hs_chapters: list[str],
                       expires_on=None) -> ApprovedExporter:
    """Grant approved-exporter status — 认定经核准出口商 (Art. 3.21.3): an authorisation code,
    the goods covered (HS chapters), dates; by the competent authority (customs) only."""
    from zimao.registry.services import entity_by_uscc

    if competent_officer(user) is None:
        raise forbidden("approved_exporter")
    p = _Problems()
    entity = entity_by_uscc(uscc or "")
    if entity is None:
        p.add("uscc", "unknown_entity", "该企业未在本区登记", "no company with this USCC is registered here")
    name_en = p.text(name_en, "name_en", english=True)
    address_en = p.text(address_en, "address_en", limit=300, english=True)
    chapters = sorted({str(c).strip().zfill(2) for c in (hs_chapters or []) if str(c).strip()})
    if not chapters or any(not (c.isdigit() and len(c) == 2 and 1 <= int(c) <= 97) for c in chapters):
        p.add("hs_chapters", "invalid", "请列明授权货物的 HS 章（两位数字）", "list the HS chapters (2 digits) the authorisation covers")
    expires = p.date(expires_on, "expires_on", required=False)
    p.raise_if_any()
    today = timezone.localdate()
    with transaction.atomic():
        if ApprovedExporter.objects.filter(uscc=entity.uscc).exists():
            raise Conflict(Problem("uscc", "already_approved", "该企业已是经核准出口商", "This company is already an approved exporter"))
        code = f"{EXPORTING_PARTY}{settings.ZONE_CODE}AE{sequences.next_value('trade.approved_exporter'):05d}"
        exporter = ApprovedExporter.objects.create(code=code, uscc=entity.uscc, name=entity.name, name_en=name_en,
                                                   address_en=address_en, hs_chapters=chapters, granted_on=today,
                                                   expires_on=expires, granted_by=user)
        audit.record(user, "approved_exporter.grant", exporter, after={"code": code, "uscc": entity.uscc,
                                                                       "hs_chapters": chapters, "expires_on": expires})
    return exporter


def set_exporter_status(user, code: str, status: str, reason: str) -> ApprovedExporter:
    """Suspend, withdraw or reinstate an authorisation — 暂停、撤销或恢复 (Art. 3.21.7)."""
    if competent_officer(user) is None:
        raise forbidden("approved_exporter")
    if status not in ApprovedExporter.Status.values:
        raise BusinessError.of("status", "invalid", "状态不正确", "unknown status", status=422)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError.of("reason", "required", "请填写原因", "Give the reason", status=422)
    with transaction.atomic():
        exporter = ApprovedExporter.objects.select_for_update().filter(code=code).first()
        if exporter is None:
            raise not_found("approved_exporter")
        if exporter.status == ApprovedExporter.Status.WITHDRAWN:
            raise Conflict(Problem("status", "withdrawn", "授权已撤销，不能更改", "The authorisation was withdrawn"))
        before = {"status": exporter.status}
        exporter.status, exporter.status_reason = status, reason
        exporter.save(update_fields=["status", "status_reason"])
        audit.record(user, "approved_exporter.status", exporter, before=before, after={"status": status, "reason": reason})
    return exporter


def approved_exporter_for(user) -> ApprovedExporter | None:
    usccs = _exporter_usccs(user)
    return ApprovedExporter.objects.filter(uscc__in=usccs).first() if usccs else None


def complete_declaration(user, data: dict, *, idempotency_key: str = "") -> OriginDeclaration:
    """An approved exporter completes a declaration of origin — 出具原产地声明 (Art. 3.18.1(a),
    Annex 3B part 2): authorisation code, unique reference, goods with determinations, signed."""
    idempotency_key = (idempotency_key or "").strip()[:64]
    if idempotency_key:
        existing = OriginDeclaration.objects.filter(completed_by=user, idempotency_key=idempotency_key).first()
        if existing:
            return existing
    today = timezone.localdate()
    p = _Problems()
    data = data if isinstance(data, dict) else {}
    exporter = ApprovedExporter.objects.filter(code=str(data.get("authorisation_code") or "").strip().upper()).first()
    if exporter is None or exporter.uscc not in _exporter_usccs(user):
        raise forbidden("authorisation_code")
    if exporter.status != ApprovedExporter.Status.ACTIVE or (exporter.expires_on and exporter.expires_on < today):
        raise Conflict(Problem("authorisation_code", "not_active", "经核准出口商授权已暂停、撤销或过期",
                               "The approved exporter authorisation is suspended, withdrawn or expired"))
    importer = _party_block(p, data.get("importer"), "importer", country=True)
    producer = data.get("producer")
    producer = None if producer in (None, {}, "") else {
        "name": p.text((producer or {}).get("name"), "producer.name", english=True),
        "address": p.text((producer or {}).get("address"), "producer.address", limit=300, english=True)}
    currency = _currency(p, data.get("currency"))
    signatory = p.text(data.get("signatory"), "signatory", limit=100, english=True)
    goods = data.get("goods")
    if not isinstance(goods, list) or not goods or len(goods) > MAX_GOODS:
        p.add("goods", "required", f"列明 1 至 {MAX_GOODS} 项货物", f"list 1 to {MAX_GOODS} goods")
        goods = []
    items = _goods_original(p, user, goods, today)
    for i, g in enumerate(items):
        # Art. 3.21.4(b): only goods the authorisation covers.
        if g["hs"][:2] not in exporter.hs_chapters:
            p.add(f"goods[{i}]", "not_authorised", f"授权不涵盖第 {g['hs'][:2]} 章货物（第3.21条第4款(b)项）",
                  f"the authorisation does not cover HS chapter {g['hs'][:2]} (Art. 3.21.4(b))")
    p.raise_if_any()
    fob_total = sum((g["fob_value"] for g in items), Decimal(0))
    with transaction.atomic():
        base = f"{exporter.code}D{today:%y}{sequences.next_value(f'trade.doo.{exporter.code}'):06d}"
        reference = base + docs.mod37_36_check(base)
        content = _json_safe({
            "form": "RCEP declaration of origin",
            "reference": reference,
            "authorisation_code": exporter.code,
            "exporter": {"name": exporter.name_en, "address": exporter.address_en, "country": EXPORTING_PARTY},
            "producer": producer,
            "importer": importer,
            "goods": [{"item": i, "description": g["description"], "hs": g["hs"], "hs_version": g["hs_version"],
                       "criterion": g["criterion"], "rcep_country": g["rcep_country"], "quantity": g["quantity"],
                       "unit": g["unit"], "fob": g["fob_value"] if "RVC" in g["criterion"] else None}
                      for i, g in enumerate(items, start=1)],
            "certification": ("The undersigned, as approved exporter under authorisation code "
                              f"{exporter.code}, declares that the goods specified in this Declaration of Origin "
                              "are originating and meet all the relevant requirements of Chapter 3 (Rules of Origin) "
                              "of the Regional Comprehensive Economic Partnership Agreement."),
            "signatory": signatory,
            "completed_on": today.isoformat(),
            "determinations": [{"item": i, "criterion": g["criterion"], "rule": g["determination"].get("rule")}
                               for i, g in enumerate(items, start=1)],
        })
        dec = OriginDeclaration(reference=reference, exporter=exporter, completed_by=user,
                                importing_country=importer["country"], currency=currency, fob_total=fob_total,
                                completed_on=today, valid_until=docs.one_year_validity(today),
                                completed_at=timezone.now().replace(microsecond=0), content=content,
                                idempotency_key=idempotency_key)
        dec.jws, dec.kid = docs.sign(docs.declaration_payload(dec))
        dec.save()
        audit.record(user, "doo.complete", dec, after={"reference": reference, "authorisation_code": exporter.code,
                                                       "importing_country": dec.importing_country})
    return dec


def declarations_for(user):
    if is_trade_official(user):
        return OriginDeclaration.objects.select_related("exporter")
    return OriginDeclaration.objects.select_related("exporter").filter(exporter__uscc__in=_exporter_usccs(user))


# ---------------------------------------------------------------------------------------------
# Verification — 公开核验 (Art. 3.17.7)

STATUS_WORDS = {
    "submitted": ("已申请，待签证", "Submitted, waiting for the issuing body"),
    "issued": ("已签发", "Issued"),
    "refused": ("不予签证", "Refused"),
    "withdrawn": ("已撤回", "Withdrawn"),
    "invalidated": ("已作废", "Invalidated"),
}

VERIFY_LABELS = {
    "valid": ("真实有效", "Genuine and valid", "ok"),
    "expired": ("已过有效期", "Genuine, but expired", "warn"),
    "invalidated": ("已作废", "Invalidated by the issuing body", "bad"),
    "withdrawn": ("已撤回", "Withdrawn by the exporter", "bad"),
    "not_genuine": ("无法核验", "Not genuine", "bad"),
}


@dataclass
class Verification:
    """Is this proof of origin genuine and valid? — 核验结果."""

    number: str
    format_ok: bool = False
    kind: str = ""  # "certificate" | "declaration"
    certificate: Certificate | None = None
    declaration: OriginDeclaration | None = None
    signature_reason: str | None = None
    status: str = "not_genuine"
    true_copies: list = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.certificate is not None or self.declaration is not None

    @property
    def genuine(self) -> bool:
        return self.found and self.signature_reason is None

    @property
    def reason(self) -> str | None:
        if not self.format_ok:
            return "invalid_number"
        if not self.found:
            return "unknown"
        if self.signature_reason:
            return "signature"
        return None

    @property
    def label(self) -> dict:
        zh, en, tag = VERIFY_LABELS[self.status]
        return {"status": self.status, "label_zh": zh, "label_en": en, "tag": tag}

    def facts(self) -> dict:
        """What Art. 3.17.7 says the Parties must be able to see: number, HS codes, descriptions,
        quantities, date of issue, exporter — and the validity and flags. Nothing commercial more."""
        if not self.genuine:
            return {}
        if self.certificate is not None:
            c = self.certificate.content
            return {
                "kind": "certificate", "number": self.certificate.number, "issued_on": c["issued_on"],
                "valid_until": c["valid_until"], "exporter": c["exporter"]["name"],
                "exporter_country": c["exporter"]["country"], "importing_country": c["importer"]["country"],
                "issuing_body": c["certification"]["issuing_body_name"],
                "goods": [{"item": g["item"], "hs": g["hs"], "description": g["description"], "quantity": g["quantity"],
                           "unit": g["unit"], "criterion": g["criterion"], "rcep_country": g["rcep_country"]}
                          for g in c["goods"]],
                "issued_retroactively": c["flags"]["issued_retroactively"],
                "back_to_back": c["flags"]["back_to_back"],
                "true_copies": [t.issued_at for t in self.true_copies],
            }
        c = self.declaration.content
        return {
            "kind": "declaration", "number": self.declaration.reference, "issued_on": c["completed_on"],
            "valid_until": self.declaration.valid_until.isoformat(), "exporter": c["exporter"]["name"],
            "exporter_country": c["exporter"]["country"], "importing_country": c["importer"]["country"],
            "authorisation_code": c["authorisation_code"], "issuing_body": "",
            "goods": [{"item": g["item"], "hs": g["hs"], "description": g["description"], "quantity": g["quantity"],
                       "unit": g["unit"], "criterion": g["criterion"], "rcep_country": g["rcep_country"]}
                      for g in c["goods"]],
            "issued_retroactively": False, "back_to_back": False, "true_copies": [],
        }


def verify(number: str, *, today: dt.date | None = None) -> Verification:
    """Verify a certificate number or declaration reference — 核验原产地证明: check character,
    presence, signature against the stored content, then validity and status."""
    number = (number or "").strip().upper()
    today = today or timezone.localdate()
    result = Verification(number=number, format_ok=docs.number_well_formed(number))
    if not result.format_ok:
        return result
    cert = Certificate.objects.filter(number=number).first()
    if cert is not None:
        result.kind, result.certificate = "certificate", cert
        result.signature_reason = docs.signature_problem(cert.jws, docs.certificate_payload(cert))
        if result.signature_reason:
            return result
        result.true_copies = [t for t in cert.true_copies.filter(status=TrueCopy.Status.ISSUED).order_by("issued_at")
                              if docs.signature_problem(t.jws, docs.true_copy_payload(t)) is None]
        if cert.status == S.INVALIDATED:
            result.status = "invalidated"
        elif cert.valid_until < today:
            result.status = "expired"
        else:
            result.status = "valid"
        return result
    dec = OriginDeclaration.objects.select_related("exporter").filter(reference=number).first()
    if dec is not None:
        result.kind, result.declaration = "declaration", dec
        result.signature_reason = docs.signature_problem(dec.jws, docs.declaration_payload(dec))
        if result.signature_reason:
            return result
        if dec.status == OriginDeclaration.Status.WITHDRAWN:
            result.status = "withdrawn"
        elif dec.valid_until < today:
            result.status = "expired"
        else:
            result.status = "valid"
    return result


# ---------------------------------------------------------------------------------------------
# Statistics — 统计 (for the dashboard)


def certificate_statistics(start: dt.date, end: dt.date, *, period: str = "month") -> list[dict]:
    """Certificates issued and their FOB value by destination and period — 按目的国和期间统计.

    Rows ``{"period", "country", "country_en", "country_zh", "certificates", "fob_cny", "fob"}``
    for certificates issued from ``start`` to ``end`` inclusive (local dates), ``period`` being
    ``"month"`` (``2026-11``), ``"quarter"`` (``2026-Q4``) or ``"year"`` (``2026``); ``fob`` is
    the FOB total per currency, ``fob_cny`` the sum in yuan at each month's customs rate.
    Invalidated certificates are not counted (a corrected certificate replaces them).
    """
    if period not in ("month", "quarter", "year"):
        raise ValueError("period must be month, quarter or year")
    qs = Certificate.objects.filter(status=S.ISSUED, issued_on__gte=start, issued_on__lte=end) \
        .values_list("issued_on", "importing_country", "currency", "fob_total", "fob_cny")
    groups: dict[tuple[str, str], dict] = {}
    for issued_on, country, currency, fob, fob_cny in qs.iterator():
        if period == "month":
            key = f"{issued_on:%Y-%m}"
        elif period == "quarter":
            key = f"{issued_on.year}-Q{(issued_on.month - 1) // 3 + 1}"
        else:
            key = f"{issued_on.year}"
        row = groups.setdefault((key, country), {
            "period": key, "country": country, "country_en": PARTIES.get(country, (country, country))[0],
            "country_zh": country_zh(country), "certificates": 0, "fob_cny": Decimal(0), "fob": defaultdict(Decimal)})
        row["certificates"] += 1
        row["fob_cny"] += fob_cny or Decimal(0)
        row["fob"][currency] += fob
    out = []
    for key in sorted(groups):
        row = groups[key]
        row["fob_cny"] = str(row["fob_cny"].quantize(Decimal("0.01")))
        row["fob"] = {c: str(v.quantize(Decimal("0.01"))) for c, v in sorted(row["fob"].items())}
        out.append(row)
    return out
