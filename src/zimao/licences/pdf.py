"""A credential as a PDF — 电子证照版式文件 (WeasyPrint, Noto CJK fonts, the QR code on the page).

The PDF is a printable view of what the store holds today: title, holder, the licence's fields,
validity, its current status and the QR code that leads to public verification (扫码核验). The
signature lives in the store (JWS), not in the PDF: whoever holds a printout scans the code to
learn whether the licence is genuine and still in force.

WeasyPrint is imported when a PDF is made, not when the site starts (it is slow to import);
with Debian's ``libharfbuzz-subset0`` the CJK fonts are subset and a page takes well under a
second.
"""

from __future__ import annotations

import segno
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from zimao.licences import services
from zimao.licences.models import Credential


def qr_data_uri(identifier: str) -> str:
    # A PNG data URI: nothing to fetch while rendering, and every PDF viewer shows it.
    return segno.make(services.verify_url(identifier), error="m").png_data_uri(scale=6, border=2)


def pdf_context(cred: Credential) -> dict:
    result = services.verify(cred.identifier)
    label = result.label if result.genuine else services.status_label("not_genuine")
    others = []
    if cred.kind == "business_licence":
        # 多证集成: the business licence carries the permits the company holds.
        others = [{"cred": c, "label": services.status_label(s)} for c, s in result.other_credentials]
    return {
        "cred": cred,
        "label": label,
        "fields": services.subject_fields(cred.subject, masked=False, holder=cred),
        "verify_url": services.verify_url(cred.identifier),
        "qr": qr_data_uri(cred.identifier),
        "others": others,
        "printed_at": timezone.localtime(),
    }


def render_pdf(cred: Credential) -> bytes:
    """The PDF bytes of ``cred`` (bilingual, Chinese first, whatever the reader's language)."""
    from weasyprint import HTML

    with override("zh-hans"):
        html = render_to_string("licences/pdf.html", pdf_context(cred))
    return HTML(string=html, base_url=None).write_pdf()
