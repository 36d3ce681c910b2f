"""Input checking for proofs of origin — 输入校验: every problem names its field in Chinese and
English; everything printed on a proof must be English (Art. 3.17.3(c)); each good is determined
afresh by the origin engine on the day of application."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from zimao.catalog.models import Department
from zimao.core import audit
from zimao.core.errors import BusinessError, Problem, field_problem
from zimao.trade.access import exporter_usccs
from zimao.trade.certificates import document as docs
from zimao.trade.certificates.document import DEFAULT_ISSUING_BODY, EXPORTING_PARTY, ISSUING_BODIES
from zimao.trade.models import Certificate, OriginCheck
from zimao.trade.origin import PARTIES
from zimao.trade.origin.model import normalise_hs6

MAX_GOODS = 20
MAX_INVOICES = 10
CRITERIA = {"WO", "PE", "CTC", "RVC", "CR", "ACU", "DMI"}
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Problems:
    def __init__(self):
        self.items: list[Problem] = []

    def add(self, field: str, code: str, zh: str, en: str) -> None:
        self.items.append(field_problem(field, code, zh, en))

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
            self.add(
                field,
                "not_english",
                "原产地证明须以英文填写（第3.17条第3款(c)项）",
                "must be in English (Art. 3.17.3(c))",
            )
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
            self.add(
                field, "invalid_country", "应为两位国家代码（ISO 3166）", "must be a 2-letter ISO 3166 country code"
            )
            return ""
        if party and code not in PARTIES:
            self.add(field, "not_a_party", f"{code} 不是 RCEP 缔约方", f"{code} is not an RCEP Party")
            return ""
        if not_exporting and code == EXPORTING_PARTY:
            self.add(
                field,
                "same_party",
                "进口方不能是出口缔约方（中国）",
                "must be a Party other than the exporting Party (China)",
            )
            return ""
        return code


def as_object(p: Problems, raw, field: str, *, required: bool = True) -> dict:
    if raw is None:
        if required:
            p.add(field, "required", "此项必填", "is required")
        return {}
    if not isinstance(raw, dict):
        p.add(field, "dict_type", "应为对象", "must be an object")
        return {}
    return raw


def currency_code(p: Problems, raw, field: str = "currency") -> str:
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if not re.fullmatch(r"[A-Z]{3}", code):
        p.add(
            field,
            "invalid_currency",
            "应为三位货币代码（ISO 4217），如 USD",
            "must be a 3-letter ISO 4217 code such as USD",
        )
        return ""
    return code


def party_block(p: Problems, raw, field: str, *, country: bool) -> dict:
    d = as_object(p, raw, field)
    out = {
        "name": p.text(d.get("name"), f"{field}.name", english=True),
        "address": p.text(d.get("address"), f"{field}.address", limit=300, english=True),
    }
    if country:
        out["country"] = p.country(d.get("country"), f"{field}.country", party=True, not_exporting=True)
    return out


def _shipment(p: Problems, data: dict) -> dict:
    """Boxes 1–4 and 13–15: parties, transport, invoices, declaration — shared by every kind."""
    out: dict = {}
    exporter = as_object(p, data.get("exporter"), "exporter")
    out["exporter"] = {
        "uscc": (exporter.get("uscc") or "").strip().upper() if isinstance(exporter.get("uscc"), str) else "",
        "name": p.text(exporter.get("name"), "exporter.name", english=True),
        "address": p.text(exporter.get("address"), "exporter.address", limit=300, english=True),
    }
    if not out["exporter"]["uscc"]:
        p.add("exporter.uscc", "required", "此项必填（出口商统一社会信用代码）", "is required (the exporter's USCC)")
    out["importer"] = party_block(p, data.get("importer"), "importer", country=True)
    producer = data.get("producer")
    if producer in (None, {}, ""):
        out["producer"] = None  # Annex 3B 1(b): "if known"
    else:
        d = as_object(p, producer, "producer")
        if d.get("same_as_exporter") is True:
            out["producer"] = {"same_as_exporter": True}
        else:
            out["producer"] = {
                "name": p.text(d.get("name"), "producer.name", english=True),
                "address": p.text(d.get("address"), "producer.address", limit=300, english=True),
            }
    t = as_object(p, data.get("transport"), "transport")
    out["transport"] = {
        "departure_date": p.date(t.get("departure_date"), "transport.departure_date"),
        "vessel": p.text(t.get("vessel"), "transport.vessel", limit=100, english=True),
        "port_of_loading": p.text(
            t.get("port_of_loading"), "transport.port_of_loading", required=False, limit=100, english=True
        ),
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
            d = as_object(p, inv, f"invoices[{i}]")
            out["invoices"].append(
                {
                    "number": p.text(d.get("number"), f"invoices[{i}].number", limit=60, english=True),
                    "date": p.date(d.get("date"), f"invoices[{i}].date"),
                }
            )
    third = data.get("third_party_invoicing")
    if third in (None, {}, ""):
        out["third_party_invoicing"] = None
    else:
        d = as_object(p, third, "third_party_invoicing")
        out["third_party_invoicing"] = {
            "name": p.text(d.get("name"), "third_party_invoicing.name", english=True),
            "country": p.country(d.get("country"), "third_party_invoicing.country", party=False),
        }
    body = data.get("issuing_body") or DEFAULT_ISSUING_BODY
    if body not in ISSUING_BODIES or not Department.objects.filter(code=body).exists():
        p.add("issuing_body", "unknown_issuing_body", "签证机构不存在", "is not an issuing body of this zone")
    out["issuing_body"] = body
    out["currency"] = currency_code(p, data.get("currency"))
    out["remarks"] = p.text(data.get("remarks"), "remarks", required=False, limit=500, english=True)
    out["retroactive_reason"] = p.text(
        data.get("retroactive_reason"), "retroactive_reason", required=False, limit=500, english=True
    )
    decl = as_object(p, data.get("declaration"), "declaration")
    out["declaration"] = {
        "place": p.text(decl.get("place"), "declaration.place", limit=100, english=True),
        "signatory": p.text(decl.get("signatory"), "declaration.signatory", limit=100, english=True),
    }
    return out


def _goods_common(p: Problems, g: dict, path: str) -> dict:
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


def goods_original(p: Problems, user, goods, today: dt.date) -> list[dict]:
    """Goods of an ordinary certificate: each with its bill and a fresh determination."""
    out = []
    for i, g in enumerate(goods):
        path = f"goods[{i}]"
        g = as_object(p, g, path)
        if not g:
            continue
        bom = g.get("bom")
        check_id = g.get("check_id")
        if bom is None and check_id is not None:
            pk = small_id(check_id)
            check = OriginCheck.objects.filter(pk=pk, owner=user).first() if pk is not None else None
            if check is None:
                p.add(f"{path}.check_id", "unknown_check", "找不到这条原产地预判记录", "no such origin check of yours")
                continue
            bom = check.bom
        if bom is None:
            p.add(
                f"{path}.bom",
                "required",
                "请附物料清单（bom）或原产地预判记录（check_id）",
                "attach the bill of materials (bom) or an origin check (check_id)",
            )
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
            p.add(
                path,
                "not_originating",
                "该货物不具有 RCEP 原产资格，不能申请原产地证书。" + (f"建议：{zh}" if zh else ""),
                "the good is not originating under RCEP; no certificate can be issued."
                + (f" To qualify: {en}" if en else ""),
            )
            continue
        if product["country"] != EXPORTING_PARTY:
            p.add(
                f"{path}.bom.product.country",
                "not_exporting_party",
                "本区签证机构只为在中国生产的货物签发原产地证书；未经加工转口的货物请申请背对背原产地证书（第3.19条）",
                "certificates here cover goods produced in China; for goods re-exported unchanged apply for a "
                "back-to-back certificate (Art. 3.19)",
            )
            continue
        product_in = (bom.get("product") or {}) if isinstance(bom, dict) else {}
        description = p.text(
            g.get("description") or (product_in.get("description") if isinstance(product_in, dict) else None),
            f"{path}.description",
            limit=300,
            english=True,
        )
        rcep = result["rcep_country"]
        stated = g.get("rcep_country")
        country, basis = rcep["country"], rcep["basis"]
        if stated not in (None, "") and str(stated).upper() != rcep["country"]:
            # Art. 2.6.3 (an importing Party's Appendix) can make the exporting Party the country of
            # origin where the engine would not: the exporter states it with its basis.
            country = p.country(stated, f"{path}.rcep_country")
            basis = p.text(g.get("rcep_country_basis"), f"{path}.rcep_country_basis", limit=300)
        item.update(
            {
                "description": description,
                "hs": product["hs"],
                "hs_version": result["hs_version"],
                "criterion": list(result["criterion"]),
                "rcep_country": country,
                "rcep_country_basis": basis,
                "rcep_country_computed": rcep,
                "bom": bom,
                "determination": result,
                "check_id": int(check_id) if str(check_id or "").isdigit() else None,
            }
        )
        out.append(item)
    return out


def _original_facts(p: Problems, raw, path: str, today: dt.date) -> dict:
    d = as_object(p, raw, path)
    facts = {
        "country": p.country(d.get("country"), f"{path}.country", party=True, not_exporting=True),
        "reference": p.text(d.get("reference"), f"{path}.reference", limit=60, english=True).upper(),
        "item": d.get("item", 1),
        "issued_on": p.date(d.get("issued_on"), f"{path}.issued_on"),
        "rcep_country": p.country(d.get("rcep_country"), f"{path}.rcep_country", party=True),
        "approved_exporter_code": p.text(
            d.get("approved_exporter_code"), f"{path}.approved_exporter_code", required=False, limit=60, english=True
        ),
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
    codes = (
        [c.strip().upper() for c in re.split(r"[,+\s]+", crit) if c.strip()]
        if isinstance(crit, str)
        else ([str(c).strip().upper() for c in crit] if isinstance(crit, list) else [])
    )
    if not codes or any(c not in CRITERIA for c in codes):
        p.add(
            f"{path}.criterion",
            "invalid_criterion",
            "原产地标准应为 WO、PE、CTC、RVC、CR（可附 ACU、DMI）",
            "must be WO, PE, CTC, RVC or CR (with ACU, DMI)",
        )
    facts["criterion"] = codes
    if facts["issued_on"] is not None:
        if facts["issued_on"] > today:
            p.add(f"{path}.issued_on", "in_future", "签发日期不能晚于今天", "must not be in the future")
        elif docs.one_year_validity(facts["issued_on"]) < today:
            # Art. 3.19.1(a): a *valid* original proof (or its certified true copy) must be presented.
            p.add(
                f"{path}.issued_on",
                "original_expired",
                "原始原产地证明已超过一年有效期（第3.16条、第3.19条第1款(a)项）",
                "the original proof of origin is no longer valid (one year; Arts. 3.16, 3.19.1(a))",
            )
    return facts


def _goods_back_to_back(p: Problems, goods, today: dt.date) -> list[dict]:
    out = []
    for i, g in enumerate(goods):
        path = f"goods[{i}]"
        g = as_object(p, g, path)
        if not g:
            continue
        item = _goods_common(p, g, path)
        original = _original_facts(p, g.get("original"), f"{path}.original", today)
        description = p.text(
            g.get("description") or original.get("description"), f"{path}.description", limit=300, english=True
        )
        if item["unit"] and original["unit"] and item["unit"] != original["unit"]:
            p.add(
                f"{path}.unit",
                "unit_mismatch",
                f"须与原始证明的计量单位 {original['unit']} 相同",
                f"must be the original proof's unit {original['unit']}",
            )
        item.update(
            {
                "description": description,
                "hs": original["hs"],
                "hs_version": "",
                "criterion": original["criterion"],
                "rcep_country": original["rcep_country"],
                "rcep_country_basis": "Art. 3.19.1(c)",
                "original": original,
            }
        )
        out.append(item)
    return out


def json_safe(value):
    return audit.jsonable(value)


def clean_application(user, data, *, kind: str = Certificate.Kind.ORIGINAL, today: dt.date | None = None) -> dict:
    """Validate an application — 校验证书申请 — and determine every good; raise one
    ``BusinessError`` (422) listing every problem, each naming its field."""
    today = today or timezone.localdate()
    p = Problems()
    if not isinstance(data, dict):
        p.add("application", "dict_type", "应为对象", "must be an object")
        p.raise_if_any()
    out = _shipment(p, data)
    if out["exporter"]["uscc"] and out["exporter"]["uscc"] not in exporter_usccs(user):
        # Only a company the user acts for: the exporter is a registered market entity (Art. 3.17.1).
        p.add(
            "exporter.uscc",
            "not_your_company",
            "您不是该企业的经办人，或该企业未在本区登记",
            "you do not act for this company, or it is not registered in this zone",
        )
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
        out["goods"] = goods_original(p, user, goods, today)
    departure = out["transport"].get("departure_date")
    if departure and departure < today and not out["retroactive_reason"]:
        # Art. 3.17.8: after shipment a certificate can only be issued retroactively, for a reason.
        p.add(
            "retroactive_reason",
            "required",
            "货物已出运，补发证书须说明原因（第3.17条第8款）",
            "the goods have left: give the reason for issuing retroactively (Art. 3.17.8)",
        )
    if departure and docs.add_years(departure, 1) < today:
        p.add(
            "transport.departure_date",
            "too_late",
            "出运已超过一年，不能再补发证书（第3.17条第8款）",
            "more than one year after shipment no certificate can be issued (Art. 3.17.8)",
        )
    p.raise_if_any()
    out["kind"] = kind
    return out


def small_id(pk) -> int | None:
    """An id that fits the database's integers, or None (a fuzzer's 10**30 is simply "not found")."""
    text = str(pk)
    return int(text) if text.isdigit() and len(text) <= 18 else None
