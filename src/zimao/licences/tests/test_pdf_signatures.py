"""PAdES signatures on licence PDFs (issue 13 item 2): signed by the issuing authority's key under
the zone CA, valid for pyHanko's validator trusting that CA, broken by any change; the upload
check on the verification page; keys kept owner-only; rotation."""

from __future__ import annotations

import os
import stat
from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from zimao.catalog import zone
from zimao.core import elicence, pdfsign, pki
from zimao.licences import pdf, services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def pki_dir(settings, tmp_path):
    settings.ZIMAO_PKI_DIR = str(tmp_path / "pki")
    return tmp_path / "pki"


def _validate(data: bytes):
    root = asn1_x509.Certificate.load(pki.root_certificate().public_bytes(serialization.Encoding.DER))
    context = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
    [sig] = PdfFileReader(BytesIO(data), strict=False).embedded_signatures
    return sig, validate_pdf_signature(sig, signer_validation_context=context)


def _one_byte_changed(data: bytes) -> bytes:
    # A byte inside the first content stream (covered by the signature), not in /Contents.
    at = data.index(b"stream") + 20
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_a_licence_pdf_is_signed_by_its_issuing_authority_and_valid_for_pyhanko(issue):
    cred = issue(case_number="SIG-1")
    data = pdf.render_pdf(cred)
    sig, status = _validate(data)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES, not adbe.pkcs7
    issuer = elicence.parse_identifier(cred.identifier).issuer_uscc
    subject = status.signing_cert.subject.native
    assert subject["organization_identifier"] == issuer and subject["organization_name"] == cred.issuer_name
    # The visible panel: a signature widget with an area on the first page.
    field = sig.sig_field
    rect = [float(x) for x in field["/Rect"]]
    assert rect[2] - rect[0] > 100 and rect[3] - rect[1] > 40
    check = pdfsign.check_pdf(data)
    assert check.genuine and check.reference == cred.identifier and check.signer_uscc == issuer


def test_one_byte_changed_breaks_the_signature(issue):
    data = pdf.render_pdf(issue(case_number="SIG-2"))
    altered = _one_byte_changed(data)
    _sig, status = _validate(altered)
    assert not status.bottom_line and not status.intact
    assert pdfsign.check_pdf(altered).problem == "altered"


def test_a_document_signed_under_another_ca_is_not_trusted(issue, settings, tmp_path):
    data = pdf.render_pdf(issue(case_number="SIG-3"))
    settings.ZIMAO_PKI_DIR = str(tmp_path / "another-zone")
    check = pdfsign.check_pdf(data)
    assert check.intact and not check.trusted and check.problem == "untrusted"


def test_keys_are_owner_only_and_never_in_the_pdf(issue, pki_dir):
    data = pdf.render_pdf(issue(case_number="SIG-4"))
    assert stat.S_IMODE(os.stat(pki_dir).st_mode) == 0o700
    keys = list(pki_dir.rglob("*.key"))
    assert len(keys) == 2  # the root and the one authority
    for path in keys:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        raw = key.private_numbers().private_value.to_bytes(32, "big")
        assert raw not in data


def test_permits_are_signed_by_their_own_authority_not_the_zone(issue):
    amr = zone.authority_for("AMR")
    cred = issue(
        case_number="SIG-5",
        kind="food_business_permit",
        title_zh="食品经营许可证",
        title_en="Food business permit",
        issuer=amr,
    )
    _sig, status = _validate(pdf.render_pdf(cred))
    assert status.bottom_line
    assert status.signing_cert.subject.native["organization_identifier"] == amr.uscc != zone.current().issuer.uscc


def test_rotation_keeps_old_documents_valid(issue):
    cred = issue(case_number="SIG-6")
    before = pdf.render_pdf(cred)
    authority = pdf.signing_authority(cred)
    old = pki.authority_key(authority.uscc, cred.issuer_name)
    new = pki.rotate_authority_key(authority.uscc, cred.issuer_name)
    assert new.key_id != old.key_id
    after = pdf.render_pdf(cred)
    assert pdfsign.check_pdf(before).genuine and pdfsign.check_pdf(after).genuine
    assert pdfsign.check_pdf(after).key_id == new.key_id


# ---------------------------------------------------------------- the upload check


def _upload(client, data: bytes, name="licence.pdf"):
    return client.post("/verify-document/", {"document": SimpleUploadedFile(name, data, "application/pdf")})


def test_upload_says_genuine_and_current_then_revoked(client, issue):
    cred = issue(case_number="SIG-7")
    data = pdf.render_pdf(cred)
    page = _upload(client, data)
    html = page.content.decode()
    assert page.status_code == 200 and "真实有效" in html and cred.issuer_name in html
    services.revoke(cred.identifier, "测试吊销", actor="system:test")
    html = _upload(client, data).content.decode()
    assert "已吊销" in html and "not in force today" in html


def test_upload_of_an_altered_or_unsigned_file_is_not_genuine(client, issue):
    data = pdf.render_pdf(issue(case_number="SIG-8"))
    html = _upload(client, _one_byte_changed(data)).content.decode()
    assert "无法核验" in html and "changed after it was signed" in html
    from weasyprint import HTML

    from zimao.testing import PDF

    html = _upload(client, HTML(string="<p>营业执照</p>").write_pdf()).content.decode()
    assert "no electronic signature" in html
    html = _upload(client, PDF).content.decode()  # starts like a PDF, but is not one
    assert "cannot be read as a PDF" in html


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "The file is empty"),
        (b"GIF89a not a pdf", "content is not a PDF"),
        (b"%PDF-" + b"0" * (pdfsign.MAX_UPLOAD_BYTES), "larger than"),
    ],
)
def test_upload_is_checked_by_content_and_size(client, data, words):
    page = _upload(client, data)
    assert page.status_code == 400 and words in page.content.decode()
    assert 'href="#document"' in page.content.decode()


def test_the_upload_form_is_public(client):
    page = client.get("/verify-document/")
    assert page.status_code == 200 and 'type="file"' in page.content.decode()


def test_zone_rotate_keys_command(issue, capsys):
    from django.core.management import call_command

    cred = issue(case_number="SIG-9")
    before = pdf.render_pdf(cred)
    old = pdfsign.check_pdf(before).key_id
    call_command("zone", "rotate-keys", "--department", zone.current().issuer_department)
    assert "key" in capsys.readouterr().out
    after = pdfsign.check_pdf(pdf.render_pdf(cred))
    assert after.genuine and after.key_id != old and pdfsign.check_pdf(before).genuine


def test_document_checks_are_rate_limited_per_address(client, issue, settings):
    settings.DOCUMENT_CHECK_LIMIT = 2
    data = pdf.render_pdf(issue(case_number="SIG-10"))
    assert _upload(client, data).status_code == 200
    assert _upload(client, data).status_code == 200
    page = _upload(client, data)
    assert page.status_code == 429 and "Too many checks" in page.content.decode()


def test_the_newest_key_is_the_current_one_even_within_the_same_second():
    """Rotations in quick succession (the CLI, a test, two admins): each new key becomes the
    current one. Files named by whole seconds once sorted by a random serial within a second."""
    from zimao.core import pki

    uscc, name = "11410300MB1234567X", "洛阳测试局"
    current = pki.authority_key(uscc, name)
    for _ in range(6):
        rotated = pki.rotate_authority_key(uscc, name)
        current = pki.authority_key(uscc, name)
        assert current.key_id == rotated.key_id
