"""The zone's certificate authority — 片区电子认证: X.509 certificates for the authorities that sign PDFs.

Each authority that issues documents (发证机关, from the zone profile) signs its PDFs (PAdES, see
``zimao.core.pdfsign``) with its own ECDSA P-256 key, certified by the zone's root CA. A reader
that trusts the zone root sees every document as signed by the named authority; anyone else sees
an intact signature by an unknown issuer and checks the document on the verification page.

Files live under ``DATA_DIR/pki`` (directory 0700, keys 0600), never in the repository, the
database dump or the logs:

- ``root.key`` / ``root.crt`` — the zone root: P-256, 20 years, CA with path length 0;
- ``authorities/<USCC>/<serial>.key|.crt`` — an authority's document-signing key and certificate
  (subject O/CN = its name, organizationIdentifier = its USCC; keyUsage digitalSignature +
  nonRepudiation, 3 years); the newest one signs, older ones stay on disk so older documents
  still validate (rotation: ``rotate_authority_key`` / ``zimao keys rotate-pdf``).

In production the root belongs offline and the authority keys in an HSM (pyHanko's
``PKCS11Signer``); this module is the file-based form of the same structure.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

ROOT_YEARS = 20
AUTHORITY_YEARS = 3


@dataclass(frozen=True)
class AuthorityKey:
    """An authority's signing key and certificate — 机关签名证书 (the key object never leaves here
    except to the PDF signer)."""

    uscc: str
    name: str
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    @property
    def key_id(self) -> str:
        """Short key name printed on the signature panel: the certificate's serial, hex."""
        return f"{self.certificate.serial_number:X}"[:16]


def pki_dir() -> Path:
    return Path(getattr(settings, "ZIMAO_PKI_DIR", None) or Path(settings.DATA_DIR) / "pki")


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _write_private(path: Path, data: bytes) -> None:
    # Created 0600 from the start: never a moment when the key is readable by others.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


@contextlib.contextmanager
def _locked():
    # An exclusive lock on a file in the PKI directory: two workers (or two nodes sharing the
    # data directory) never both create a root or an authority key.
    base = _private_dir(pki_dir())
    fd = os.open(base / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fits(text: str) -> bool:
    return 0 < len(text.encode("utf-8")) <= 64  # X.520 upper bound the library enforces on CN


def _root_name(zone_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, zone_name[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, "Zone e-licence root CA 电子证照根证书"),
        ]
    )


def _create_root(zone_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _root_name(zone_name)
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * ROOT_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _root_locked(zone_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    base = pki_dir()
    key_path, cert_path = base / "root.key", base / "root.crt"
    if not cert_path.exists():
        key, cert = _create_root(zone_name or "zimao")
        key_path.unlink(missing_ok=True)  # a key left by a crash before its certificate was written
        _write_private(key_path, _pem_key(key))
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    return key, x509.load_pem_x509_certificate(cert_path.read_bytes())


def root(zone_name: str = "") -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The zone root CA (created on first use, named after the zone)."""
    with _locked():
        return _root_locked(zone_name)


def root_certificate() -> x509.Certificate:
    return root()[1]


def _issue(uscc: str, name: str, name_en: str, zone_name: str) -> AuthorityKey:
    ca_key, ca_cert = _root_locked(zone_name)  # the caller holds the lock
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, uscc),
            # CN: the English name when it fits, else the Chinese one, else the code (O names it in full).
            x509.NameAttribute(NameOID.COMMON_NAME, next((n for n in (name_en, name) if n and _fits(n)), uscc)),
        ]
    )
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(min(now + dt.timedelta(days=365 * AUTHORITY_YEARS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = _private_dir(pki_dir() / "authorities" / uscc)
    # Files sort by issue time: nanoseconds, so a rotation within the same second as the last
    # issue still sorts after it (the newest file is the current key). Older installs' 10-digit
    # second stems sort before these (a digit follows where theirs has "-").
    stem = f"{time.time_ns()}-{cert.serial_number:X}"
    _write_private(folder / f"{stem}.key", _pem_key(key))
    (folder / f"{stem}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return AuthorityKey(uscc, name, cert, key)


def _load(folder: Path, stem: str, uscc: str, name: str) -> AuthorityKey:
    cert = x509.load_pem_x509_certificate((folder / f"{stem}.crt").read_bytes())
    key = serialization.load_pem_private_key((folder / f"{stem}.key").read_bytes(), password=None)
    return AuthorityKey(uscc, name, cert, key)


def authority_key(uscc: str, name: str, name_en: str = "", zone_name: str = "") -> AuthorityKey:
    """The current signing key of the authority ``uscc`` (issued on first use, and again when the
    authority's name changed or its certificate is within 30 days of expiry)."""
    folder = pki_dir() / "authorities" / uscc
    stems = sorted(p.stem for p in folder.glob("*.crt")) if folder.exists() else []
    if stems:
        current = _load(folder, stems[-1], uscc, name)
        subject_name = current.certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        fresh = current.certificate.not_valid_after_utc - _now() > dt.timedelta(days=30)
        if subject_name == name[:64] and fresh:
            return current
    with _locked():
        return _issue(uscc, name, name_en, zone_name)


def rotate_authority_key(uscc: str, name: str, name_en: str = "", zone_name: str = "") -> AuthorityKey:
    """A new key and certificate for the authority; the old ones keep validating what they signed."""
    with _locked():
        return _issue(uscc, name, name_en, zone_name)


def authority_certificates(uscc: str) -> list[x509.Certificate]:
    folder = pki_dir() / "authorities" / uscc
    return (
        [x509.load_pem_x509_certificate(p.read_bytes()) for p in sorted(folder.glob("*.crt"))]
        if folder.exists()
        else []
    )
