"""Personal data at rest (PIPL): identity and phone numbers are stored encrypted, looked up by
a keyed digest, and shown masked; uploaded files and backups are sealed with the same key.

The key comes from ``ZIMAO_FIELD_KEY`` (settings.FIELD_ENCRYPTION_KEY); Fernet (AES-128-CBC +
HMAC-SHA256) gives authenticated encryption, so a tampered value fails to decrypt instead of
decrypting to garbage. Files and backup archives are sealed in AES-256-GCM chunks
(``seal_stream``), each chunk authenticated with its position and a last-chunk flag, so a
reordered or truncated file fails too.

Key rotation: put the new key in ``ZIMAO_FIELD_KEY`` and the old ones in ``ZIMAO_FIELD_KEY_OLD``
(comma-separated): everything written before stays readable; new writes use the new key;
``zimao materials reseal`` rewrites old files under the new key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import struct
from functools import lru_cache
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key_material: str) -> Fernet:
    derived = hashlib.sha256(b"zimao-field-encryption|" + key_material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys() -> list[str]:
    """The current key first, then retired ones that may still decrypt."""
    return [settings.FIELD_ENCRYPTION_KEY, *[k for k in getattr(settings, "FIELD_ENCRYPTION_OLD_KEYS", []) if k]]


def encrypt_text(plain: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return MultiFernet([_fernet(k) for k in _keys()]).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered value: never return garbage
        raise ValueError("protected value cannot be decrypted with the configured ZIMAO_FIELD_KEY") from exc


# ---------------------------------------------------------------- files and archives

SEALED_MAGIC = b"ZIMAO-SEALED-1\n"
_CHUNK = 1 << 20
_LEN = struct.Struct(">I")


class SealError(ValueError):
    """A sealed file that cannot be opened: no configured key made it, or it was altered."""


@lru_cache(maxsize=8)
def _file_key(key_material: str) -> tuple[bytes, bytes]:
    """(AES-256 key, 8-byte key id) derived from one field key."""
    key = hashlib.sha256(b"zimao-file-encryption|" + key_material.encode()).digest()
    return key, hashlib.sha256(b"zimao-file-key-id|" + key).digest()[:8]


def is_sealed(head: bytes) -> bool:
    return head.startswith(SEALED_MAGIC)


def sealed_key_is_current(head: bytes) -> bool:
    return (
        is_sealed(head)
        and head[len(SEALED_MAGIC) : len(SEALED_MAGIC) + 8] == _file_key(settings.FIELD_ENCRYPTION_KEY)[1]
    )


def seal_stream(src: BinaryIO, dst: BinaryIO) -> None:
    """Encrypt ``src`` into ``dst`` with the current key, chunk by chunk (any size, little memory)."""
    key, key_id = _file_key(settings.FIELD_ENCRYPTION_KEY)
    prefix = os.urandom(8)
    aead = AESGCM(key)
    dst.write(SEALED_MAGIC + key_id + prefix)
    index, chunk = 0, src.read(_CHUNK)
    while True:
        following = src.read(_CHUNK)
        last = not following
        sealed = aead.encrypt(prefix + _LEN.pack(index), chunk, _LEN.pack(index) + (b"\x01" if last else b"\x00"))
        dst.write(_LEN.pack(len(sealed)) + sealed)
        if last:
            return
        index, chunk = index + 1, following


def open_stream(src: BinaryIO, dst: BinaryIO) -> None:
    """Decrypt what ``seal_stream`` wrote (with the current or a retired key) into ``dst``."""
    head = src.read(len(SEALED_MAGIC) + 16)
    if not is_sealed(head):
        raise SealError("not a sealed file")
    key_id, prefix = head[len(SEALED_MAGIC) : len(SEALED_MAGIC) + 8], head[len(SEALED_MAGIC) + 8 :]
    key = next((k for k, i in map(_file_key, _keys()) if i == key_id), None)
    if key is None:
        raise SealError("sealed with a key that is not configured (ZIMAO_FIELD_KEY / ZIMAO_FIELD_KEY_OLD)")
    aead, index = AESGCM(key), 0
    while True:
        size = src.read(_LEN.size)
        if len(size) < _LEN.size:
            raise SealError("sealed file is truncated")
        sealed = src.read(_LEN.unpack(size)[0])
        for flag in (b"\x00", b"\x01"):
            try:
                plain = aead.decrypt(prefix + _LEN.pack(index), sealed, _LEN.pack(index) + flag)
                break
            except InvalidTag:
                continue
        else:
            raise SealError("sealed file was altered or is damaged")
        dst.write(plain)
        if flag == b"\x01":
            return
        index += 1


def seal_bytes(plain: bytes) -> bytes:
    out = io.BytesIO()
    seal_stream(io.BytesIO(plain), out)
    return out.getvalue()


def open_bytes(sealed: bytes) -> bytes:
    """The plain content of a sealed file; a file written before sealing existed is returned as
    it is (clear files stay readable until ``zimao materials reseal`` seals them)."""
    if not is_sealed(sealed):
        return sealed
    out = io.BytesIO()
    open_stream(io.BytesIO(sealed), out)
    return out.getvalue()


def lookup_digest(plain: str) -> str:
    """A keyed digest for equality look-ups (find a person by identity number) without storing it."""
    key = hashlib.sha256(b"zimao-lookup|" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()
    return hmac.new(key, plain.strip().upper().encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """``11010519491231002X`` → ``1101**********002X`` (first 4 and last 4 shown)."""
    value = (value or "").strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_document_number(value: str) -> str:
    """Any identity document number: an 18-character one as ``mask_id_number``; a shorter one
    (a travel permit, a passport) shows only its first character and last two (``H******78``),
    since first 4 and last 4 of 9 would give most of it away."""
    value = (value or "").strip()
    if len(value) >= 15:
        return mask_id_number(value)
    if len(value) <= 4:
        return "*" * len(value)
    return value[:1] + "*" * (len(value) - 3) + value[-2:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    value = (value or "").strip()
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted before it reaches the database."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value)
