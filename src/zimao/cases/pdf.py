"""A step's document as a PDF — 办理结果文书版式文件 (WeasyPrint, like the licences' PDFs).

What was issued and by whom, bilingual, Chinese first; PAdES-signed in the issuer's name by the
existing path (``zimao.core.pdfsign``: the authority's key under the zone CA, no drawn seal) when
the issuer is an authority of the zone profile. A document issued by a party outside it (the bank
an applicant chose for the account appointment) is printed unsigned and says so.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import override

from zimao.cases.models import StepOutput
from zimao.catalog import zone
from zimao.core import pdfsign, pki, wording


def signed_reference(output: StepOutput) -> str:
    """The record the signature names (ASCII, as ``pdfsign`` requires): case number and kind."""
    return f"{output.case.number}.{output.kind.replace('_', '-')}"


def render_html(output: StepOutput, signer: dict | None = None) -> str:
    context = {
        "o": output,
        "fields": (output.details or {}).get("fields", []),
        "issued_on_zh": wording.date_zh(timezone.localtime(output.issued_at)),
        "signer": signer,
        "specimen": zone.current().demo_codes,
    }
    with override("zh-hans"):
        return render_to_string("cases/step_output_pdf.html", context)


def render_pdf(output: StepOutput) -> bytes:
    from weasyprint import HTML

    if not output.issuer_uscc:
        return HTML(string=render_html(output), base_url=None).write_pdf()
    z = zone.current()
    key = pki.authority_key(output.issuer_uscc, output.issuer_name_zh, output.issuer_name_en, z.name_zh)
    signer = {"name": output.issuer_name_zh, "uscc": output.issuer_uscc, "key": key.key_id}
    unsigned = HTML(string=render_html(output, signer), base_url=None).write_pdf()
    return pdfsign.sign_pdf(
        unsigned,
        uscc=output.issuer_uscc,
        name=output.issuer_name_zh,
        name_en=output.issuer_name_en,
        reference=signed_reference(output),
        zone_name=z.name_zh,
    )
