"""A credential as a PDF — 电子证照版式文件 (WeasyPrint, Noto CJK fonts, the QR code on the page).

The PDF is the licence as issued: title, holder, the licence's fields, validity, the issuing
authority and the QR code that leads to public verification (扫码核验). It does not change with
the licence's status or the holder's other permits: whoever holds it scans the code to learn
whether it is genuine and still in force, and which permits the holder holds (多证集成).

WeasyPrint is imported when a PDF is made, not when the site starts (it is slow to import);
with Debian's ``libharfbuzz-subset0`` the CJK fonts are subset and a page takes well under a
second.
"""

from __future__ import annotations

import segno
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from zimao.core import wording
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
        "fields": services.subject_fields(cred.subject, masked=False, holder=cred),
        "verify_url": services.verify_url(cred.identifier),
        "qr": qr_data_uri(cred.identifier),
        "valid_from_zh": wording.date_zh(cred.valid_from),
        "valid_until_zh": wording.date_zh(cred.valid_until) if cred.valid_until else "",
        "issued_on_zh": wording.date_zh(timezone.localtime(cred.issued_at)),
    }


def render_pdf(cred: Credential) -> bytes:
    """The PDF bytes of ``cred`` (bilingual, Chinese first, whatever the reader's language)."""
    from weasyprint import HTML

    with override("zh-hans"):
        html = render_to_string("licences/pdf.html", pdf_context(cred))
    return HTML(string=html, base_url=None).write_pdf()
