"""Certificates of origin as documents — 原产地证书文书: numbers, validity, the RCEP country of
origin (Art. 2.6), the Form RCEP content (Annex 3B), signatures, the QR code and the PDF.

No seal is drawn: seal impressions of issuing bodies are notified to the other Parties (RCEP
Art. 3.17), so software must never draw a look-alike; the certificate carries the issuing body's
electronic signature instead.

Nothing here decides *whether* a certificate is issued (that is ``zimao.trade.services``); this
module only says what an issued certificate contains and proves that it was not altered.

Layout of Form RCEP (English, 16 boxes, Art. 3.17.3(c)):

1 exporter · 2 importer or consignee · 3 producer · 4 means of transport and route ·
5 for official use (importing Party) · 6 item number · 7 marks and numbers · 8 number and kind
of packages, description of goods · 9 HS code (6 digits) · 10 origin conferring criterion ·
11 RCEP country of origin · 12 quantity and FOB value where RVC is applied · 13 invoice numbers
and dates · 14 remarks (with ISSUED RETROACTIVELY / BACK-TO-BACK / THIRD-PARTY INVOICING) ·
15 declaration by the exporter · 16 certification by the issuing body (its electronic signature).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from zimao.core import signing
from zimao.core.elicence import mod37_36_check, mod37_36_valid
from zimao.core.errors import BusinessError, Problem
from zimao.trade.origin import MINIMAL_OPERATIONS, PARTIES, BomError, OriginError, determine, load_bom
from zimao.trade.origin.model import party_name_zh

# The zone is in China: China is the exporting Party whose issuing bodies sign here (Art. 3.17.1).
EXPORTING_PARTY = "CN"
# Issuing bodies (签证机构) among the catalogue's departments, and the letters each puts in a number.
ISSUING_BODIES = {"CCPIT": "P", "CUSTOMS": "H"}
DEFAULT_ISSUING_BODY = "CCPIT"
# The competent authority that authorises approved exporters (Art. 3.21) — customs (海关).
COMPETENT_AUTHORITY = "CUSTOMS"

PAYLOAD_TYPE = "rcep-certificate-of-origin"
TRUE_COPY_TYPE = "rcep-certified-true-copy"
DECLARATION_TYPE = "rcep-declaration-of-origin"

RETROACTIVE_WORDS = "ISSUED RETROACTIVELY"
TRUE_COPY_WORDS = "CERTIFIED TRUE COPY"
BACK_TO_BACK_WORDS = "BACK-TO-BACK"
THIRD_PARTY_WORDS = "THIRD-PARTY INVOICING"

CRITERION_WORDS = {
    "WO": ("wholly obtained or produced (Art. 3.3)", "完全获得或生产（第3.3条）"),
    "PE": ("produced exclusively from originating materials (Art. 3.2(b))", "完全由原产材料生产（第3.2条(b)项）"),
    "CTC": ("change in tariff classification (Annex 3A)", "税则归类改变（附件3A）"),
    "RVC": ("regional value content (Art. 3.5)", "区域价值成分（第3.5条）"),
    "CR": ("chemical reaction (Annex 3A)", "化学反应（附件3A）"),
    "ACU": ("accumulation (Art. 3.4)", "累积（第3.4条）"),
    "DMI": ("de minimis (Art. 3.7)", "微小含量（第3.7条）"),
}


def country_en(code: str) -> str:
    """``"JP"`` → ``"JAPAN"`` (the form is in English capitals); other codes are shown as given."""
    return PARTIES[code][0].upper() if code in PARTIES else code


def country_zh(code: str) -> str:
    return party_name_zh(code)


# ---------------------------------------------------------------------------------------------
# Numbers and validity — 证书编号与有效期


def certificate_number(issuing_body: str, year: int, serial: int) -> str:
    """``R2026LYP000123`` + a MOD 37,36 check character, so a mistyped number is caught before any
    look-up. The serial comes from a never-reused counter (``core.sequences``)."""
    body = f"R{year}{settings.ZONE_CODE}{ISSUING_BODIES.get(issuing_body, 'X')}{serial:06d}"
    return body + mod37_36_check(body)


def number_well_formed(number: str) -> bool:
    number = (number or "").strip().upper()
    return 8 <= len(number) <= 60 and number.isalnum() and mod37_36_valid(number)


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none: the next day
        return day.replace(year=day.year + years, month=3, day=1)


def one_year_validity(issued_on: dt.date) -> dt.date:
    """Last day of validity, inclusive: one year from the date of issue (Art. 3.16 — "valid for
    one year from the date on which it is issued"), i.e. the day before the anniversary."""
    return add_years(issued_on, 1) - dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Determination and the RCEP country of origin — 原产资格判定与 RCEP 原产国


def rcep_country_of_origin(bom, result, exporting_party: str = EXPORTING_PARTY) -> dict | None:
    """The RCEP country of origin of an originating good — RCEP 原产国 (Art. 2.6).

    * a good that acquired its origin under WO or a product-specific rule did so where it was
      produced (Art. 2.6.2, first sentence);
    * a PE good: the exporting Party, provided production other than the minimal operations of
      Art. 2.6.5 took place there (second sentence);
    * otherwise the Party that contributed the highest value of originating materials (Art. 2.6.4).

    The additional requirements some importing Parties list in the Appendix to their Schedule
    (Art. 2.6.3) are not modelled; an exporter relying on one states the country and its basis.
    """
    if not result.originating:
        return None
    bom = load_bom(bom)
    product = bom.product
    codes = set(result.criterion)
    if "PE" not in codes:
        return {
            "country": product.country,
            "basis": "Art. 2.6.2",
            "en": f"the good acquired its originating status in {country_en(product.country)} (Art. 2.6.2)",
            "zh": f"货物在{country_zh(product.country)}获得原产资格（第2.6条第2款）",
        }
    ops = product.operations
    beyond = [o for o in (ops or ()) if o not in MINIMAL_OPERATIONS]
    if product.country == exporting_party and beyond:
        return {
            "country": exporting_party,
            "basis": "Art. 2.6.2",
            "en": f"produced from originating materials in {country_en(exporting_party)} by operations beyond "
            f"the minimal operations ({', '.join(beyond)}) (Art. 2.6.2)",
            "zh": f"在{country_zh(exporting_party)}以原产材料生产，且进行了超出微小加工的工序（{'、'.join(beyond)}）（第2.6条第2款）",
        }
    values: dict[str, Decimal] = {}
    for m in bom.materials:
        # Packing for transport and indirect materials are not "used in the production" of the good.
        if m.role in ("packing", "indirect") or not m.originating:
            continue
        country = m.country if m.country in PARTIES else product.country
        values[country] = values.get(country, Decimal(0)) + m.value
    if not values:
        country = product.country
    else:
        top = max(values.values())
        tied = sorted(c for c, v in values.items() if v == top)
        country = exporting_party if exporting_party in tied else tied[0]
    why_en = (
        "no operation beyond the minimal operations of Art. 2.6.5 was declared"
        if ops is not None
        else "the operations were not declared"
    )
    why_zh = "未申报超出第2.6条第5款微小加工的工序" if ops is not None else "未申报生产工序"
    return {
        "country": country,
        "basis": "Art. 2.6.4",
        "en": f"{why_en}, so the RCEP country of origin is the Party contributing the highest value of originating "
        f"materials: {country_en(country)} (Art. 2.6.4)",
        "zh": f"{why_zh}，RCEP原产国为提供原产材料价值最高的缔约方：{country_zh(country)}（第2.6条第4款）",
    }


def determine_item(bom, *, field: str = "bom", on: dt.date | None = None) -> dict:
    """Run the origin engine on one good's bill — 判定单项货物 — and add the RCEP country of origin.

    Raises ``BusinessError`` (422) naming each bad field under ``field`` in Chinese and English.
    """
    try:
        result = determine(bom, on=on)
    except OriginError as exc:
        problems = [
            Problem(f"{field}.{p.field}" if p.field not in ("BOM", "") else field, p.code, p.zh, p.en)
            for p in exc.as_problems()
        ]
        raise BusinessError(*problems, status=422) from None
    data = result.as_dict()
    data["rcep_country"] = rcep_country_of_origin(bom, result)
    return data


def load_bill(bom, field: str = "bom"):
    """``load_bom`` with errors as a ``BusinessError`` (422) under ``field``."""
    try:
        return load_bom(bom)
    except BomError as exc:
        problems = [
            Problem(f"{field}.{p.field}" if p.field not in ("BOM", "") else field, p.code, p.zh, p.en)
            for p in exc.as_problems()
        ]
        raise BusinessError(*problems, status=422) from None


def criterion_text(codes: list[str]) -> str:
    """Box 10: ``["CTC", "ACU"]`` → ``"CTC, ACU"``."""
    return ", ".join(codes)


# ---------------------------------------------------------------------------------------------
# Signed payloads — 签名内容


def certificate_payload(cert) -> dict:
    """What is signed for an issued certificate, rebuilt from the row (to compare at verification)."""
    return {
        "type": PAYLOAD_TYPE,
        "number": cert.number,
        "kind": cert.kind,
        "issued_on": cert.issued_on.isoformat() if cert.issued_on else None,
        "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
        "retroactive": cert.retroactive,
        "exporter_uscc": cert.exporter_uscc,
        "importing_country": cert.importing_country,
        "issuing_body": cert.issuing_body,
        "currency": cert.currency,
        "fob_total": str(cert.fob_total),
        "content": cert.content,
    }


def content_digest(payload: dict) -> str:
    return hashlib.sha256(signing.canonical_json(payload)).hexdigest()


def true_copy_payload(copy) -> dict:
    """A true copy signs the original's payload digest, so it stands or falls with the original."""
    cert = copy.certificate
    return {
        "type": TRUE_COPY_TYPE,
        "reference": copy.reference,
        "number": cert.number,
        "issued_on": cert.issued_on.isoformat() if cert.issued_on else None,
        "copy_issued_at": copy.issued_at.astimezone(dt.UTC).isoformat() if copy.issued_at else None,
        "original_digest": content_digest(certificate_payload(cert)),
    }


def declaration_payload(dec) -> dict:
    return {
        "type": DECLARATION_TYPE,
        "reference": dec.reference,
        "authorisation_code": dec.exporter.code,
        "exporter_uscc": dec.exporter.uscc,
        "completed_on": dec.completed_on.isoformat(),
        "valid_until": dec.valid_until.isoformat(),
        "importing_country": dec.importing_country,
        "currency": dec.currency,
        "fob_total": str(dec.fob_total),
        "content": dec.content,
    }


def signature_fingerprint(token: str) -> str:
    """A short, printable fingerprint of a signature (printed in box 16)."""
    digest = hashlib.sha256(token.encode()).hexdigest().upper()
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


# ---------------------------------------------------------------------------------------------
# Verification address and QR code — 核验地址、二维码


def verify_url(number: str) -> str:
    """The absolute public verification address printed as the certificate's QR code."""
    return settings.SITE_URL.rstrip("/") + reverse("trade:verify", args=[number])


def qr_svg(number: str, scale: int = 3) -> str:
    import segno

    url = verify_url(number)
    return segno.make(url, error="m").svg_inline(scale=scale, omitsize=False, title=url)


# ---------------------------------------------------------------------------------------------
# PDF — Form RCEP


def render_pdf(context: dict) -> bytes:
    """The certificate (or true copy) as a PDF in the Form RCEP layout — 原产地证书 PDF."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("trade/pdf/certificate.html", context)
    return HTML(string=html, base_url=settings.SITE_URL).write_pdf()


def render_declaration_pdf(context: dict) -> bytes:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string("trade/pdf/declaration.html", context)
    return HTML(string=html, base_url=settings.SITE_URL).write_pdf()
