"""Signing keys (active / retired / revoked), JWS sign and verify, JWKS, the keys command."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from joserfc import jws
from joserfc.jwk import OKPKey

from zimao.core import signing
from zimao.core.models import AuditEvent, SigningKey
from zimao.core.protected import decrypt_text

pytestmark = pytest.mark.django_db


def _b64_tamper(token: str, part: int) -> str:
    pieces = token.split(".")
    seg = pieces[part]
    # Flip one character in the middle of the segment (keeping it valid base64url).
    i = len(seg) // 2
    pieces[part] = seg[:i] + ("A" if seg[i] != "A" else "B") + seg[i + 1 :]
    return ".".join(pieces)


def test_active_key_created_once_and_audited():
    key = signing.active_key()
    assert key.status == SigningKey.Status.ACTIVE
    assert key.algorithm == "Ed25519"
    assert signing.active_key().pk == key.pk
    assert SigningKey.objects.count() == 1
    assert AuditEvent.objects.filter(action="signing_key.create", object_id=str(key.pk)).exists()


def test_kid_is_the_jwk_thumbprint_and_private_key_is_encrypted():
    key = signing.active_key()
    assert key.kid == OKPKey.import_key(key.public_jwk).thumbprint()
    assert "PRIVATE KEY" not in key.private_key_encrypted
    assert "-----BEGIN PRIVATE KEY-----" in decrypt_text(key.private_key_encrypted)
    assert "d" not in key.public_jwk
    assert "PRIVATE" not in str(key) and key.private_key_encrypted not in str(key)


def test_sign_and_verify_round_trip():
    payload = {"identifier": "x", "holder": {"name": "洛阳示例科技有限公司"}, "n": 1}
    token = signing.sign_jws(payload)
    header = signing.token_header(token)
    # RFC 8037's name, the one PyJWT accepts (the key is recorded as Ed25519, RFC 9864's name).
    assert header == {"alg": "EdDSA", "kid": signing.active_key().kid}
    assert signing.verify_jws(token) == payload


@pytest.mark.parametrize("part", [0, 1, 2])
def test_tampered_token_fails(part):
    token = signing.sign_jws({"identifier": "x", "amount": 100})
    with pytest.raises(signing.SignatureError):
        signing.verify_jws(_b64_tamper(token, part))


def test_modified_payload_fails():
    token = signing.sign_jws({"holder": "A"})
    header, _payload, sig = token.split(".")
    from joserfc.util import urlsafe_b64encode

    forged = ".".join([header, urlsafe_b64encode(json.dumps({"holder": "B"}).encode()).decode(), sig])
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify_jws(forged)
    assert exc.value.code == "bad_signature"


def test_unknown_kid_and_foreign_key_fail():
    foreign = OKPKey.generate_key("Ed25519")
    token = jws.serialize_compact({"alg": "Ed25519", "kid": "not-ours"}, b"{}", foreign, algorithms=["Ed25519"])
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify_jws(token)
    assert exc.value.code == "unknown_kid"
    # Claiming our kid while signing with another key fails on the signature.
    ours = signing.active_key().kid
    token = jws.serialize_compact({"alg": "Ed25519", "kid": ours}, b"{}", foreign, algorithms=["Ed25519"])
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify_jws(token)
    assert exc.value.code == "bad_signature"


def test_algorithm_comes_from_the_key_not_the_token():
    """The classic confusion: HS256 "signed" with the public key as the HMAC secret is refused."""
    import hashlib
    import hmac

    from joserfc.util import urlsafe_b64encode

    key = signing.active_key()
    header = urlsafe_b64encode(json.dumps({"alg": "HS256", "kid": key.kid}).encode()).decode()
    body = urlsafe_b64encode(b"{}").decode()
    mac = hmac.new(key.public_jwk["x"].encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify_jws(f"{header}.{body}.{urlsafe_b64encode(mac).decode()}")
    assert exc.value.code == "alg_mismatch"


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")
def test_both_jose_names_verify_and_the_curve_is_pinned():
    """Tokens signed before the switch carry RFC 9864's "Ed25519" and still verify; "EdDSA" from an
    Ed448 key claiming our kid does not (the name alone would allow either curve)."""
    key = signing.active_key()
    private = OKPKey.import_key(decrypt_text(key.private_key_encrypted))
    old_style = jws.serialize_compact({"alg": "Ed25519", "kid": key.kid}, b'{"n":1}', private, algorithms=["Ed25519"])
    assert signing.verify_jws(old_style) == {"n": 1}
    assert signing.verify_jws(signing.sign_jws({"n": 2})) == {"n": 2}
    ed448 = OKPKey.generate_key("Ed448")
    forged = jws.serialize_compact({"alg": "EdDSA", "kid": key.kid}, b'{"n":3}', ed448, algorithms=["EdDSA"])
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify_jws(forged)
    assert exc.value.code == "bad_signature"


def test_jwks_publishes_the_name_common_verifiers_accept():
    """Keys stored under "Ed25519" are published as "EdDSA", with OKP/Ed25519 saying the curve."""
    signing.active_key()
    [jwk] = signing.jwks()["keys"]
    assert (jwk["alg"], jwk["kty"], jwk["crv"]) == ("EdDSA", "OKP", "Ed25519")


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "e30.e30.e30"])
def test_malformed_tokens_fail(token):
    with pytest.raises(signing.SignatureError):
        signing.verify_jws(token)


def test_rotation_keeps_old_signatures_valid_and_revocation_ends_them():
    old = signing.active_key()
    old_token = signing.sign_jws({"n": 1})
    new = signing.rotate_key("officer")
    old.refresh_from_db()
    assert old.status == SigningKey.Status.RETIRED and old.retired_at is not None
    assert new.status == SigningKey.Status.ACTIVE and new.kid != old.kid
    assert signing.active_key().pk == new.pk
    # Retired keys still verify but never sign.
    assert signing.verify_jws(old_token) == {"n": 1}
    assert signing.token_header(signing.sign_jws({"n": 2}))["kid"] == new.kid
    assert {k["kid"] for k in signing.jwks()["keys"]} == {old.kid, new.kid}
    event = AuditEvent.objects.get(action="signing_key.rotate")
    assert event.actor == "officer" and event.before == {"active": [old.kid]}

    signing.revoke_key(old.kid, actor="officer")
    with pytest.raises(signing.SignatureError) as exc:
        signing.verify_jws(old_token)
    assert exc.value.code == "revoked_kid"
    assert {k["kid"] for k in signing.jwks()["keys"]} == {new.kid}
    assert AuditEvent.objects.filter(action="signing_key.revoke").count() == 1


def test_retiring_the_active_key_makes_a_new_one_on_next_signature():
    old = signing.active_key()
    signing.retire_key(old.kid, actor="officer")
    token = signing.sign_jws({"n": 1})
    assert signing.token_header(token)["kid"] != old.kid
    assert SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).count() == 1


def test_revoked_key_cannot_be_retired_and_unknown_kid_is_reported():
    key = signing.active_key()
    signing.revoke_key(key.kid)
    with pytest.raises(ValueError):
        signing.retire_key(key.kid)
    with pytest.raises(signing.UnknownKey):
        signing.revoke_key("nope")


def test_jwks_has_no_private_material():
    signing.active_key()
    signing.rotate_key("officer")
    data = signing.jwks()
    assert len(data["keys"]) == 2
    for jwk in data["keys"]:
        assert set(jwk) <= {"kty", "crv", "x", "kid", "alg", "use"}
        assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["use"] == "sig"
    text = json.dumps(data)
    assert '"d"' not in text and "PRIVATE" not in text


def test_signer_registry():
    assert "Ed25519" in signing.algorithms()
    assert isinstance(signing.signer_for("Ed25519"), signing.Signer)
    with pytest.raises(signing.SignatureError):
        signing.signer_for("SM2")


def _run(*args) -> str:
    out = StringIO()
    call_command("keys", *args, stdout=out)
    return out.getvalue()


def test_keys_command_prints_kid_alg_status_only():
    assert "no signing keys" in _run("list")
    first = signing.active_key()
    listing = _run("list")
    assert first.kid in listing and "Ed25519" in listing and "active" in listing
    rotated = _run("rotate", "--actor", "ops:alice")
    new = signing.active_key()
    assert new.kid in rotated
    listing = _run("list")
    assert "retired" in listing
    assert "retired" in _run("retire", "--", new.kid)  # a kid may start with "-" (base64url)
    assert "revoked" in _run("revoke", "--", first.kid)
    everything = listing + rotated
    for key in SigningKey.objects.all():
        assert key.private_key_encrypted not in everything
    assert "PRIVATE" not in everything
    assert AuditEvent.objects.filter(action="signing_key.rotate", actor="ops:alice").exists()


def test_keys_command_errors():
    with pytest.raises(CommandError):
        call_command("keys", "revoke", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("keys", "revoke", "unknown-kid", stdout=StringIO())


# --- the active key and the reference cache (core.refcache) ------------------------------------


def test_the_active_key_costs_one_plain_query_once_its_row_is_cached(django_assert_num_queries):
    key = signing.active_key()
    signing.active_key()
    with django_assert_num_queries(1):  # which key is active; its row comes from the cache
        assert signing.active_key().pk == key.pk


def test_a_key_revoked_by_another_process_never_signs_again():
    key = signing.active_key()
    signing.active_key()
    # Another process revokes it (declared compromised): no signal reaches this process.
    SigningKey.objects.filter(pk=key.pk).update(status=SigningKey.Status.REVOKED)
    token = signing.sign_jws({"n": 1})
    assert signing.token_header(token)["kid"] != key.kid
    assert signing.verify_jws(token) == {"n": 1}


def test_a_rotation_by_another_process_is_followed_at_once():
    old = signing.active_key()
    signing.active_key()
    # Another process rotates (bulk writes: no signal reaches this process).
    SigningKey.objects.filter(pk=old.pk).update(status=SigningKey.Status.RETIRED)
    [new] = SigningKey.objects.bulk_create(
        [
            SigningKey(
                kid="other-process",
                algorithm=old.algorithm,
                public_jwk=old.public_jwk,
                private_key_encrypted=old.private_key_encrypted,
            )
        ]
    )
    assert signing.active_key().pk == new.pk
    assert signing.token_header(signing.sign_jws({"n": 1}))["kid"] == "other-process"


def test_without_the_cache_keys_work_as_before(settings, django_assert_num_queries):
    settings.REFERENCE_CACHE_SECONDS = 0
    key = signing.active_key()
    with django_assert_num_queries(1):
        assert signing.active_key().pk == key.pk
    assert signing.verify_jws(signing.sign_jws({"n": 2})) == {"n": 2}
