"""The documents each step produced (办理结果文书) over the API — listed, one by one and as a
signed PDF, to the case's readers only — and recognised by the public verify-document page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zimao.catalog import zone as zone_profile
from zimao.core import pdfsign
from zimao.testing import submit

pytestmark = pytest.mark.django_db

TAX = "tax_registration_confirmation"


@pytest.fixture(autouse=True)
def pki_dir(settings, tmp_path):
    settings.ZIMAO_PKI_DIR = str(tmp_path / "pki")


@pytest.fixture
def done(zone):
    return submit(zone.applicant).case


def _api(client, path: str):
    return client.get(f"/api/v1/cases/{path}")


def test_the_applicant_lists_the_cases_step_documents(client, zone, done):
    client.force_login(zone.applicant)
    response = _api(client, f"{done.number}/documents")
    assert response.status_code == 200
    listed = response.json()
    assert [d["number"] for d in listed] == [o.number for o in done.step_outputs.all()]
    tax = next(d for d in listed if d["kind"] == TAX)
    assert tax["issuer_uscc"] == zone_profile.authority_for("TAX").uscc and tax["signed"] is True
    assert tax["holder_uscc"] == done.results["uscc"] and tax["lines"]
    assert tax["pdf"] == f"/api/v1/cases/{done.number}/documents/{TAX}/pdf"
    bank = next(d for d in listed if d["kind"] == "bank_appointment")
    assert bank["signed"] is False  # a bank is no authority of the zone: printed unsigned


def test_one_document_and_its_signed_pdf(client, zone, done):
    client.force_login(zone.applicant)
    one = _api(client, f"{done.number}/documents/{TAX}").json()
    assert one["kind"] == TAX and one["title_zh"]
    response = _api(client, f"{done.number}/documents/{TAX}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    check = pdfsign.check_pdf(response.content)
    assert check.genuine and check.signer_uscc == one["issuer_uscc"]


def test_anyone_elses_documents_are_not_found(client, zone, done):
    client.force_login(zone.applicant2)
    for path in ("documents", f"documents/{TAX}", f"documents/{TAX}/pdf"):
        response = _api(client, f"{done.number}/{path}")
        assert response.status_code == 404, path
        assert response.json()["errors"][0]["field"] == "case"
    client.force_login(zone.applicant)
    assert _api(client, f"{done.number}/documents/no_such_kind").status_code == 404


def _upload(client, data: bytes):
    return client.post("/verify-document/", {"document": SimpleUploadedFile("doc.pdf", data, "application/pdf")})


def test_the_verify_page_recognises_a_genuine_step_document(client, zone, done):
    from zimao.cases.pdf import render_pdf

    tax = done.step_outputs.get(kind=TAX)
    page = _upload(client, render_pdf(tax))
    html = page.content.decode()
    assert page.status_code == 200 and "文书真实" in html and "Genuine document" in html
    assert tax.number in html and tax.title_zh in html and tax.issuer_name_zh in html
    assert "无法确认" not in html


def test_the_verify_page_says_an_altered_step_document_is_not_genuine(client, zone, done):
    from zimao.cases.pdf import render_pdf

    data = render_pdf(done.step_outputs.get(kind=TAX))
    at = data.index(b"stream") + 20  # inside the first content stream, which the signature covers
    altered = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]
    html = _upload(client, altered).content.decode()
    assert "无法核验" in html and "changed after it was signed" in html and "文书真实" not in html


def test_a_step_document_signed_by_another_authority_is_not_genuine(client, zone, done):
    """A signature naming the document, but made with a key that is not its issuer's."""
    from zimao.cases import pdf as step_pdf

    tax = done.step_outputs.get(kind=TAX)
    other = zone_profile.authority_for("SAMR")
    forged = pdfsign.sign_pdf(
        _unsigned(tax),
        uscc=other.uscc,
        name=other.name_zh,
        name_en=other.name_en,
        reference=step_pdf.signed_reference(tax),
    )
    html = _upload(client, forged).content.decode()
    assert "无法核验" in html and "签名机关与文书的出具机关不符" in html and "文书真实" not in html


def _unsigned(output) -> bytes:
    from weasyprint import HTML

    from zimao.cases.pdf import render_html

    return HTML(string=render_html(output)).write_pdf()
