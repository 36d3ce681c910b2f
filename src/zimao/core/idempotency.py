"""Idempotency keys — 幂等键 (the IETF ``Idempotency-Key`` draft), one rule for every operation.

A client repeats a request with the same key: the first result is the answer, nothing happens
twice. A key reused for a *different* request is the client's mistake: 422, never the first result
in disguise. Each operation stores ``fingerprint(body)`` with the key and, when the key comes
again, calls ``same_request(stored, fingerprint(body))``.
"""

from __future__ import annotations

import hashlib
import json

from zimao.core.errors import BusinessError


def fingerprint(body: dict) -> str:
    """SHA-256 of what was asked (keys sorted, dates and decimals as text)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str, ensure_ascii=True).encode()).hexdigest()


def same_request(stored: str, fingerprint: str) -> None:
    """Refuse (422) a key first sent with another body. An empty side (a row from before
    fingerprints, or a caller that cannot repeat the body) is not compared."""
    if fingerprint and stored and stored != fingerprint:
        raise BusinessError.of(
            "Idempotency-Key",
            "key_reused",
            "该幂等键已用于另一份不同的申请，请为新申请使用新的键",
            "This Idempotency-Key was used for a different request; use a new key for a new request",
            status=422,
        )
