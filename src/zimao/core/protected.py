"""Personal data at rest (PIPL): identity and phone numbers are stored encrypted, looked up by
a keyed digest, and shown masked.

The key comes from ``ZIMAO_FIELD_KEY`` (settings.FIELD_ENCRYPTION_KEY); Fernet (AES-128-CBC +
HMAC-SHA256) gives authenticated encryption, so a tampered value fails to decrypt instead of
decrypting to garbage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key_material: str) -> Fernet:
    derived = hashlib.sha256(b"zimao-field-encryption|" + key_material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_text(plain: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:  # wrong key or tampered value: never return garbage
        raise ValueError("protected value cannot be decrypted with the configured ZIMAO_FIELD_KEY") from exc


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
