"""Signing keys and signed payloads — 签名密钥与签名数据 (JWS, published as JWKS).

Algorithms sit behind the ``Signer`` protocol, registered by their JWS ``alg`` name, so adding
SM2 (国密, e.g. via ``gmssl-pyx``) later means writing one class and calling ``register``. Ed25519
keys are recorded under the RFC 9864 fully-specified name ``Ed25519``.

JOSE names (JWS headers and the JWKS): Ed25519 has two, RFC 8037's ``EdDSA`` and RFC 9864's
``Ed25519`` — the same key and signature bytes. What we *publish* is what common verifiers accept:
``EdDSA`` (PyJWT, the most used Python library, knows no other name; jwcrypto, joserfc and jose
take both). What we *accept* is an explicit allow-list of both names, so licences signed before
the switch keep verifying, and the curve is pinned by our own key record (OKP, Ed25519), never by
the token: ``EdDSA`` alone would also admit Ed448.

Key lifecycle (密钥生命周期):

- ``active`` — signs and verifies; exactly one at a time, created on first use;
- ``retired`` — verifies what it signed before, never signs again (after a routine rotation);
- ``revoked`` — compromised: signatures made with it no longer verify at all.

The private half is stored encrypted with the field key (``zimao.core.protected``) and is never
logged, printed or returned from this module; the public half is stored as a JWK with its
``kid`` (the RFC 7638 thumbprint, so a kid cannot be claimed for another key).
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import ClassVar, Protocol, runtime_checkable

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from joserfc.jws import JWSRegistry

from zimao.core import audit, refcache
from zimao.core.models import Sequence, SigningKey
from zimao.core.protected import decrypt_text, encrypt_text

DEFAULT_ALG = "Ed25519"
# A row of core.Sequence used only as a mutex: creating or rotating the active key locks it, so
# two workers starting at once cannot both create an "only" active key.
_LOCK_NAME = "lock:core.signing"


# Sent inside the transaction that creates, rotates, retires or revokes a key, so that caches of
# verification answers (the e-licence store's) can be invalidated in that same transaction.
keys_changed = Signal()


class SignatureError(ValueError):
    """A token that does not verify — 签名无效. ``code`` says why (for logs and API errors)."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


class UnknownKey(LookupError):
    """No signing key with that kid — 未找到该密钥."""


@runtime_checkable
class Signer(Protocol):
    """One signature algorithm — 签名算法. Implementations never expose private material."""

    alg: str  # the algorithm a key is recorded under, e.g. "Ed25519"
    jose_alg: str  # the JWS/JWK "alg" we publish for it (what common verifiers accept)
    accepted_algs: tuple[str, ...]  # the JWS "alg" header values verification accepts for it

    def generate(self) -> tuple[str, dict]:
        """A new key pair: (private key as text, to be stored encrypted; public JWK without kid)."""

    def kid_for(self, public_jwk: dict) -> str:
        """The key id published in JWKS and JWS headers."""

    def sign_compact(self, private_text: str, header: dict, payload: bytes) -> str:
        """A compact JWS over ``payload`` with ``header`` (which already carries alg and kid)."""

    def verify_compact(self, public_jwk: dict, token: str) -> bytes:
        """The payload if ``token``'s signature is genuine for ``public_jwk``; raises SignatureError."""


class Ed25519Signer:
    """Ed25519 (RFC 8032) via ``cryptography``, serialised by ``joserfc`` — Ed25519 签名."""

    alg = "Ed25519"
    jose_alg = "EdDSA"
    accepted_algs = ("EdDSA", "Ed25519")

    def generate(self) -> tuple[str, dict]:
        key = OKPKey.generate_key("Ed25519")
        private_pem = key.as_pem(private=True).decode()
        return private_pem, key.as_dict(private=False)

    def kid_for(self, public_jwk: dict) -> str:
        return OKPKey.import_key(public_jwk).thumbprint()

    def sign_compact(self, private_text: str, header: dict, payload: bytes) -> str:
        return jws.serialize_compact(header, payload, _private_key(private_text), registry=_ED25519_NAMES)

    def verify_compact(self, public_jwk: dict, token: str) -> bytes:
        try:
            # Without the stored JWK's own "alg" (joserfc would then refuse the other name of the
            # same algorithm): the allow-list and the registry's curve check pin it instead.
            key = OKPKey.import_key({k: v for k, v in public_jwk.items() if k != "alg"})
            obj = jws.deserialize_compact(token, key, registry=_ED25519_NAMES)
        except JoseError as exc:
            raise SignatureError("bad_signature", "signature does not verify / 签名验证失败") from exc
        return obj.payload


class _Ed25519Names(JWSRegistry):
    """joserfc's registry with both JOSE names bound to *pinned* Ed25519: joserfc's own ``EdDSA``
    takes either Edwards curve and warns that the name is deprecated; this one checks the curve."""

    algorithms: ClassVar[dict] = {
        "Ed25519": JWSRegistry.algorithms["Ed25519"],
        "EdDSA": copy.copy(JWSRegistry.algorithms["Ed25519"]),
    }
    algorithms["EdDSA"].name = "EdDSA"


_ED25519_NAMES = _Ed25519Names(algorithms=Ed25519Signer.accepted_algs)


@lru_cache(maxsize=8)
def _private_key(private_text: str) -> OKPKey:
    # Parsing a PEM costs more than signing; cache by the text (which only lives in memory).
    return OKPKey.import_key(private_text)


_SIGNERS: dict[str, Signer] = {}


def register(signer: Signer) -> None:
    """Make an algorithm available for signing and verification — 注册签名算法."""
    _SIGNERS[signer.alg] = signer


def signer_for(alg: str) -> Signer:
    try:
        return _SIGNERS[alg]
    except KeyError:
        raise SignatureError("unsupported_alg", f"unsupported algorithm {alg!r} / 不支持的签名算法") from None


def algorithms() -> list[str]:
    return sorted(_SIGNERS)


register(Ed25519Signer())


# --- keys -------------------------------------------------------------------------------------


def _lock() -> None:
    Sequence.objects.get_or_create(name=_LOCK_NAME)
    Sequence.objects.select_for_update().filter(name=_LOCK_NAME).first()


def _key_facts(key: SigningKey) -> dict:
    """What the audit trail and the command line may show about a key: never private material."""
    return {"kid": key.kid, "alg": key.algorithm, "status": key.status}


def _new_key(alg: str) -> SigningKey:
    signer = signer_for(alg)
    private_text, public = signer.generate()
    kid = signer.kid_for(public)
    public_jwk = {**public, "kid": kid, "alg": alg, "use": "sig"}
    return SigningKey.objects.create(
        kid=kid,
        algorithm=alg,
        public_jwk=public_jwk,
        private_key_encrypted=encrypt_text(private_text),
        status=SigningKey.Status.ACTIVE,
    )


def _current_active() -> SigningKey | None:
    """The active key. Which key is active is asked on every call, so a rotation, retirement or
    revocation committed by any process applies at once (a revoked key never signs again); only
    the key's row (its material never changes) comes from the reference cache."""
    if refcache.seconds() <= 0:
        return SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).order_by("-created_at", "-id").first()
    pk = _active_id()
    if pk is None:
        return None
    return refcache.get(("core.signingkey", pk), lambda: SigningKey.objects.filter(pk=pk).first(), _KEY_MODELS)


_KEY_MODELS = (SigningKey,)


def _active_id() -> int | None:
    # Plain SQL: building the ORM query cost more than running it.
    q = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {q('id')} FROM {q(SigningKey._meta.db_table)} WHERE {q('status')} = %s"  # noqa: S608 — names from the model
            f" ORDER BY {q('created_at')} DESC, {q('id')} DESC LIMIT 1",
            [SigningKey.Status.ACTIVE.value],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def active_key(alg: str = DEFAULT_ALG) -> SigningKey:
    """The key that signs now — 当前签名密钥; created (and audited) on first use."""
    key = _current_active()
    if key is not None:
        return key
    with transaction.atomic():
        _lock()
        key = _current_active()  # another worker may have created it while we waited
        if key is None:
            key = _new_key(alg)
            audit.record("system:signing", "signing_key.create", key, after=_key_facts(key))
            keys_changed.send(sender=SigningKey, kid=key.kid)
    return key


def rotate_key(actor, alg: str = DEFAULT_ALG) -> SigningKey:
    """Create a new active key; every previously active key becomes retired — 密钥轮换.

    Retired keys keep verifying what they signed, so credentials issued before the rotation stay
    genuine.
    """
    with transaction.atomic():
        _lock()
        previous = list(SigningKey.objects.select_for_update().filter(status=SigningKey.Status.ACTIVE))
        now = timezone.now()
        for old in previous:
            old.status = SigningKey.Status.RETIRED
            old.retired_at = now
            old.save(update_fields=["status", "retired_at"])
        key = _new_key(alg)
        audit.record(
            actor,
            "signing_key.rotate",
            key,
            before={"active": [k.kid for k in previous]},
            after={**_key_facts(key), "retired": [k.kid for k in previous]},
        )
        keys_changed.send(sender=SigningKey, kid=key.kid)
    return key


def _get(kid: str) -> SigningKey:
    key = SigningKey.objects.select_for_update().filter(kid=kid).first()
    if key is None:
        raise UnknownKey(kid)
    return key


def retire_key(kid: str, actor=None) -> SigningKey:
    """Stop signing with ``kid``; it still verifies — 停用密钥（仍可验签）.

    Retiring the active key leaves none: the next signature creates a fresh one.
    """
    with transaction.atomic():
        key = _get(kid)
        if key.status == SigningKey.Status.REVOKED:
            raise ValueError(f"key {kid} is revoked; a revoked key cannot be retired / 已吊销的密钥不能改为停用")
        if key.status == SigningKey.Status.RETIRED:
            return key
        before = _key_facts(key)
        key.status = SigningKey.Status.RETIRED
        key.retired_at = timezone.now()
        key.save(update_fields=["status", "retired_at"])
        audit.record(actor or "system:signing", "signing_key.retire", key, before=before, after=_key_facts(key))
        keys_changed.send(sender=SigningKey, kid=key.kid)
    return key


def revoke_key(kid: str, actor=None) -> SigningKey:
    """Declare ``kid`` compromised: nothing it signed verifies any more — 吊销密钥."""
    with transaction.atomic():
        key = _get(kid)
        if key.status == SigningKey.Status.REVOKED:
            return key
        before = _key_facts(key)
        key.status = SigningKey.Status.REVOKED
        key.retired_at = key.retired_at or timezone.now()
        key.save(update_fields=["status", "retired_at"])
        audit.record(actor or "system:signing", "signing_key.revoke", key, before=before, after=_key_facts(key))
        keys_changed.send(sender=SigningKey, kid=key.kid)
    return key


def list_keys() -> list[dict]:
    """kid, algorithm, status and dates of every key (for the command line and the admin)."""
    return [
        {**_key_facts(k), "created_at": k.created_at, "retired_at": k.retired_at}
        for k in SigningKey.objects.order_by("created_at", "id")
    ]


# --- tokens -----------------------------------------------------------------------------------


def canonical_json(payload: dict) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8 (Chinese kept readable)."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sign_jws(payload: dict) -> str:
    """A compact JWS of ``payload`` signed with the active key; the header carries its kid."""
    key = active_key()
    signer = signer_for(key.algorithm)
    header = {"alg": signer.jose_alg, "kid": key.kid}
    return signer.sign_compact(decrypt_text(key.private_key_encrypted), header, canonical_json(payload))


def token_header(token: str) -> dict:
    """The unverified protected header (to read kid/alg before choosing the key)."""
    try:
        obj = jws.extract_compact(token.encode() if isinstance(token, str) else token)
    except (JoseError, ValueError, TypeError) as exc:
        raise SignatureError("malformed", "not a compact JWS / 不是有效的JWS格式") from exc
    return dict(obj.headers())


def verification_keys() -> dict[str, SigningKey]:
    """Every key by kid, in one query — 全部验签密钥 (for verifying many tokens at once)."""
    return {k.kid: k for k in SigningKey.objects.all()}


# Memo of signature checks that succeeded: (kid, SHA-256 of the token) → payload bytes. A kid is
# the RFC 7638 thumbprint of its public key, so the same (kid, token) always verifies the same
# way; whether the key may still be used (revoked?) is checked on every call, outside the memo.
_VERIFIED_MAX = 8192
_verified: OrderedDict[tuple[str, str], bytes] = OrderedDict()
_verified_lock = threading.Lock()


def _checked_payload(signer: Signer, key: SigningKey, token: str) -> bytes:
    memo_key = (key.kid, hashlib.sha256(token.encode() if isinstance(token, str) else token).hexdigest())
    with _verified_lock:
        payload = _verified.get(memo_key)
        if payload is not None:
            _verified.move_to_end(memo_key)
            return payload
    payload = signer.verify_compact(key.public_jwk, token)  # raises: failures are not memoised
    with _verified_lock:
        _verified[memo_key] = payload
        while len(_verified) > _VERIFIED_MAX:
            _verified.popitem(last=False)
    return payload


def verify_jws(token: str, keys: dict[str, SigningKey] | None = None) -> dict:
    """The payload of a genuine token — 验签; raises ``SignatureError`` otherwise.

    The key is chosen by the header's kid and must be active or retired; its algorithm comes
    from our own key record, never from the token, so a token cannot pick a weaker algorithm.
    ``keys`` (from ``verification_keys``) saves the key query when verifying many tokens.
    """
    header = token_header(token)
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise SignatureError("missing_kid", "token has no kid / 签名缺少密钥标识")
    key = keys.get(kid) if keys is not None else SigningKey.objects.filter(kid=kid).first()
    if key is None:
        raise SignatureError("unknown_kid", "unknown signing key / 未知的签名密钥")
    if key.status == SigningKey.Status.REVOKED:
        raise SignatureError("revoked_kid", "signing key has been revoked / 签名密钥已吊销")
    signer = signer_for(key.algorithm)
    if header.get("alg") not in signer.accepted_algs:
        raise SignatureError("alg_mismatch", "algorithm does not match the key / 签名算法与密钥不符")
    payload = _checked_payload(signer, key, token)
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise SignatureError("malformed", "payload is not JSON / 签名内容不是JSON") from exc
    if not isinstance(data, dict):
        raise SignatureError("malformed", "payload is not an object / 签名内容不是对象")
    return data


def sign_content(payload: dict) -> tuple[str, str]:
    """``(JWS, kid)`` over a document's content — 签名 — as JSON stores it (dates and decimals as
    text), so what is signed is exactly what every database gives back. The one signing path for
    every document the zone issues (credentials, certificates of origin, declarations)."""
    token = sign_jws(audit.jsonable(payload))
    return token, token_header(token)["kid"]


def content_problem(token: str, expected: dict, keys: dict | None = None) -> str | None:
    """None when ``token`` is genuine and signs exactly ``expected`` — 验签并比对内容; else the
    reason code (``unsigned``, a ``SignatureError`` code, ``content_mismatch``). The one
    verification path for every signed document. ``keys``: ``verification_keys()`` when checking
    many documents (one key query)."""
    if not token:
        return "unsigned"
    try:
        payload = verify_jws(token, keys)
    except SignatureError as exc:
        return exc.code
    if payload != audit.jsonable(expected):
        return "content_mismatch"
    return None


def jwks() -> dict:
    """The public keys that verify (active and retired) — 公钥集 (JWKS, RFC 7517)."""
    keys = SigningKey.objects.filter(status__in=[SigningKey.Status.ACTIVE, SigningKey.Status.RETIRED]).order_by(
        "-created_at", "-id"
    )
    # Copy only public members, so a row that somehow held more can never leak it here.
    public_members = {"kty", "crv", "x", "y", "n", "e", "kid", "alg", "use"}
    return {
        "keys": [
            {k: v for k, v in key.public_jwk.items() if k in public_members} | {"alg": _published_alg(key)}
            for key in keys
        ]
    }


def _published_alg(key: SigningKey) -> str:
    """The JWK "alg" to publish: the name common verifiers accept (keys stored before the switch
    carry "Ed25519" in their stored JWK; the published one says "EdDSA")."""
    signer = _SIGNERS.get(key.algorithm)
    return signer.jose_alg if signer else key.algorithm
