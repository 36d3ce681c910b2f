"""PAdES signatures on the PDFs zimao issues — 版式文件电子签名 (pyHanko, ETSI EN 319 142 B-B).

``sign_pdf(pdf, uscc=…, name=…, reference=…)`` signs the whole document in the name of the
issuing authority, under the certificate the zone CA issued for that authority's key
(``zimao.core.pki``), with a visible signature field (the panel naming the authority and the
key). The signature covers every byte: a PDF reader that trusts the zone root shows it valid, and
any change breaks it. No seal image is drawn anywhere: the seal of an authority is its key and
certificate, not a picture (GB/T 38540; see docs/documents.md).

``check_pdf(data)`` answers "is this file what the authority signed?": one signature, intact,
by a certificate of the zone CA, covering the whole file; it returns the signed reference (the
e-licence identifier) so the caller can then ask the store whether the document is still current.

ECDSA P-256 + SHA-256: Ed25519 signatures (the JWS key) are not shown as valid by poppler or
Adobe readers; pyHanko, poppler and Acrobat all accept P-256.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO

from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from zimao.core import pki

# Where the visible signature sits on the first page (points from the bottom-left corner):
# the right of the bottom margin, which the page templates reserve for it.
FIELD_NAME = "Signature1"
FIELD_BOX = (350, 14, 580, 84)  # A4 portrait, right of a 105 mm margin text
FIELD_BOX_LANDSCAPE = (560, 14, 800, 84)  # A4 landscape, right of a 150 mm margin text
REASON_PREFIX = "zimao document "
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _run(make_coroutine):
    """Run pyHanko's async API to completion. Its sync wrappers call ``asyncio.run``, which fails
    inside a running event loop (an ASGI server, Playwright's sync API): there, run it in a
    thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


def _asn1(cert_or_key):
    from asn1crypto import keys, x509

    if hasattr(cert_or_key, "public_bytes") and hasattr(cert_or_key, "serial_number"):
        return x509.Certificate.load(cert_or_key.public_bytes(serialization.Encoding.DER))
    return keys.PrivateKeyInfo.load(
        cert_or_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def _ascii(text: str) -> str:
    # The stamp's standard font has Latin glyphs only; wrap long English names over two lines.
    text = "".join(ch for ch in (text or "") if 32 <= ord(ch) < 127)
    if len(text) > 48:
        cut = text.rfind(" ", 0, 48)
        text = text[:cut] + "\n" + text[cut + 1 :] if cut > 0 else text
    return text


def sign_pdf(
    pdf: bytes,
    *,
    uscc: str,
    name: str,
    name_en: str = "",
    reference: str = "",
    zone_name: str = "",
    location: str = "",
    box: tuple = FIELD_BOX,
) -> bytes:
    """``pdf`` signed (PAdES B-B) by the authority ``uscc`` — 以发证机关名义签名.

    ``reference`` (the e-licence identifier or certificate number) is signed with it, in the
    signature's Reason, so a verifier learns which record the file claims to be."""
    from pyhanko import stamp
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = pki.authority_key(uscc, name, name_en, zone_name)
    root = pki.root_certificate()
    signer = signers.SimpleSigner(
        signing_cert=_asn1(key.certificate),
        signing_key=_asn1(key.private_key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(root)]),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    fields.append_signature_field(writer, fields.SigFieldSpec(FIELD_NAME, on_page=0, box=box))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=f"{REASON_PREFIX}{reference}",
        location=location or None,
        name=name_en or None,
    )
    # The panel's text is ASCII (the stamp's built-in font has no CJK glyphs); the authority's
    # Chinese name is printed beside it by the page itself.
    style = stamp.TextStampStyle(
        stamp_text="Digitally signed by\n%(authority)s\nUSCC %(uscc)s  key %(key)s\n%(ts)s", border_width=1
    )
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style)
    params = {"authority": _ascii(name_en) or uscc, "uscc": uscc, "key": key.key_id}
    out = _run(lambda: pdf_signer.async_sign_pdf(writer, appearance_text_params=params))
    return out.getvalue()


@dataclass
class PdfCheck:
    """What the signature of an uploaded PDF says — 版式文件验签结果."""

    signed: bool = False
    intact: bool = False  # the signed bytes are unchanged
    trusted: bool = False  # the certificate chains to this zone's root
    whole_file: bool = False  # nothing was appended after signing
    reference: str = ""  # the signed record reference (e-licence identifier)
    signer_uscc: str = ""
    signer_name: str = ""
    key_id: str = ""
    problem: str = ""  # a reason code when not genuine

    @property
    def genuine(self) -> bool:
        return self.signed and self.intact and self.trusted and self.whole_file and not self.problem


def check_pdf(data: bytes) -> PdfCheck:
    """Validate the PAdES signature of ``data`` against the zone root (offline)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    result = PdfCheck()
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception:
        result.problem = "unreadable"
        return result
    if not signatures:
        result.problem = "unsigned"
        return result
    result.signed = True
    sig = signatures[-1]
    context = ValidationContext(
        trust_roots=[_asn1(pki.root_certificate())], allow_fetching=False, revocation_mode="soft-fail"
    )
    try:
        status = _run(lambda: async_validate_pdf_signature(sig, signer_validation_context=context))
    except Exception:
        result.problem = "bad_signature"
        return result
    result.intact = bool(status.intact and status.valid)
    result.trusted = bool(status.trusted)
    result.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE and len(signatures) == 1
    cert = status.signing_cert
    if cert is not None:
        from cryptography import x509

        parsed = x509.load_der_x509_certificate(cert.dump())
        ids = parsed.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
        names = parsed.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
        result.signer_uscc = ids[0].value if ids else ""
        result.signer_name = names[0].value if names else ""
        result.key_id = f"{parsed.serial_number:X}"[:16]
    reason = str(sig.sig_object.get("/Reason", "") or "")
    if reason.startswith(REASON_PREFIX):
        result.reference = reason[len(REASON_PREFIX) :].strip()
    if not result.intact:
        result.problem = "altered"
    elif not result.trusted:
        result.problem = "untrusted"
    elif not result.whole_file:
        result.problem = "changed_after_signing"
    elif not re.fullmatch(r"[0-9A-Za-z.\-]{1,120}", result.reference or ""):
        result.problem = "no_reference"
    return result
