"""A credential as a PDF — 电子证照版式文件 (WeasyPrint, Noto CJK fonts, the QR code on the page).

The PDF is the licence as issued: title, holder, the licence's fields, validity, the issuing
authority and the QR code that leads to public verification (扫码核验). It does not change with
the licence's status or the holder's other permits: whoever holds it scans the code to learn
whether it is genuine and still in force, and which permits the holder holds (多证集成). The
file is PAdES-signed by the issuing authority (a reader trusting the zone's root shows the
signature valid; any change breaks it) and carries no drawn seal.

WeasyPrint is imported when a PDF is made, not when the site starts (it is slow to import);
with Debian's ``libharfbuzz-subset0`` the CJK fonts are subset and a page takes well under a
second.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from zimao.catalog import zone
from zimao.core import elicence, pdfsign, pki, wording
from zimao.licences import services
from zimao.licences.models import Credential


def qr_data_uri(identifier: str) -> str:
    # A PNG data URI: nothing to fetch while rendering, and every PDF viewer shows it.
    return segno.make(services.verify_url(identifier), error="m").png_data_uri(scale=6, border=2)


def pdf_context(cred: Credential) -> dict:
    """What the document prints: only what was issued (a stable document — 版式文件 — whatever
    happens later; its current status and the holder's other permits are behind the QR code)."""
    return {
        "cred": cred,
        "s": cred.subject or {},
        "fields": services.subject_fields(cred.subject, masked=False, holder=cred),
        "verify_url": services.verify_url(cred.identifier),
        "qr": qr_data_uri(cred.identifier),
        "valid_from_zh": wording.date_zh(cred.valid_from),
        "valid_until_zh": wording.date_zh(cred.valid_until) if cred.valid_until else "",
        "issued_on_zh": wording.date_zh(timezone.localtime(cred.issued_at)),
    }


def template_for(cred: Credential) -> str:
    """The layout of the document: the business licence has its own (2019 design)."""
    return "licences/pdf_business_licence.html" if cred.kind == "business_licence" else "licences/pdf.html"


def signing_authority(cred: Credential) -> zone.Authority:
    """The authority whose key signs ``cred``'s PDF: the issuer named in its identifier."""
    uscc = elicence.parse_identifier(cred.identifier).issuer_uscc
    known = next((a for a in zone.current().authorities.values() if a.uscc == uscc), None)
    return known or zone.Authority("", cred.issuer_name, "", uscc)


def render_html(cred: Credential, signer: dict | None = None) -> str:
    """The document's HTML (bilingual, Chinese first, whatever the reader's language)."""
    context = {**pdf_context(cred), "signer": signer, "specimen": zone.current().demo_codes}
    with override("zh-hans"):
        return render_to_string(template_for(cred), context)


def render_pdf(cred: Credential) -> bytes:
    """The signed PDF of ``cred``: PAdES-signed by the issuing authority's key under the zone CA
    (``zimao.core.pdfsign``), the signature panel naming the authority and the key."""
    from weasyprint import HTML

    authority = signing_authority(cred)
    z = zone.current()
    key = pki.authority_key(authority.uscc, cred.issuer_name, authority.name_en, z.name_zh)
    html = render_html(cred, {"name": cred.issuer_name, "uscc": authority.uscc, "key": key.key_id})
    unsigned = HTML(string=html, base_url=None).write_pdf()
    return pdfsign.sign_pdf(
        unsigned,
        uscc=authority.uscc,
        name=cred.issuer_name,
        name_en=authority.name_en,
        reference=cred.identifier,
        zone_name=z.name_zh,
        box=pdfsign.FIELD_BOX_LANDSCAPE if cred.kind == "business_licence" else pdfsign.FIELD_BOX,
    )


# --- checking an uploaded PDF -----------------------------------------------------------------

DOCUMENT_REASONS = {
    "unsigned": ("文件没有电子签名。", "The file carries no electronic signature."),
    "unreadable": ("文件无法作为 PDF 读取。", "The file cannot be read as a PDF."),
    "bad_signature": ("电子签名格式损坏。", "The electronic signature is malformed."),
    "altered": (
        "签名后文件内容被改动，签名不再成立。",
        "The file was changed after it was signed: the signature no longer holds.",
    ),
    "untrusted": (
        "签名证书不是本片区电子认证机构签发的。",
        "The signing certificate was not issued by this zone's certificate authority.",
    ),
    "changed_after_signing": ("签名后文件又被追加了内容。", "Content was added to the file after it was signed."),
    "no_reference": ("签名中没有电子证照标识。", "The signature names no e-licence identifier."),
    "wrong_signer": ("签名机关与证照的发证机关不符。", "The signing authority is not the licence's issuer."),
    "wrong_document_signer": ("签名机关与文书的出具机关不符。", "The signing authority is not the document's issuer."),
}


@dataclass
class DocumentCheck:
    """An uploaded PDF checked — 版式文件核验: its signature, then the licence it claims to be."""

    signature: pdfsign.PdfCheck
    result: services.VerificationResult | None = None
    problem: str = ""
    # A step's document (办理结果文书: seal filing record, tax notice…) the signature names,
    # when the file is one: a document, not a licence, so it has no status to be current in.
    step_output: object = None

    @property
    def genuine(self) -> bool:
        if self.step_output is not None:
            return not self.problem
        return not self.problem and self.result is not None and self.result.genuine

    @property
    def current(self) -> bool:
        return self.genuine and self.result.current

    @property
    def reason(self) -> tuple[str, str]:
        if self.problem:
            return DOCUMENT_REASONS.get(self.problem, DOCUMENT_REASONS["altered"])
        if self.result is not None and not self.result.genuine:
            return self.result.reason_zh, self.result.reason_en
        return "", ""


def verify_document(data: bytes) -> DocumentCheck:
    """Is ``data`` a licence PDF this zone issued, unchanged, and is that licence current? Or a
    step's document (``cases.pdf``), unchanged and signed by the authority that issued it?"""
    from zimao.cases import services as cases

    check = pdfsign.check_pdf(data)
    doc = DocumentCheck(signature=check, problem=check.problem)
    if doc.problem:
        return doc
    output = cases.step_output_by_reference(check.reference)
    if output is not None:
        doc.step_output = output
        if not output.issuer_uscc or output.issuer_uscc != check.signer_uscc:
            doc.problem = "wrong_document_signer"
        return doc
    doc.result = services.verify(check.reference)
    if doc.result.format_ok and elicence.parse_identifier(check.reference).issuer_uscc != check.signer_uscc:
        doc.problem = "wrong_signer"
    return doc
