"""Offline verification with the libraries integrators use — 离线验签: a licence's JWS and the
published JWKS, nothing else, checked by two independent JOSE libraries (PyJWT and jwcrypto), and
a tampered token refused by each.

Each verifier states its own explicit allow-list of algorithm names, as the reference advises
(``EdDSA`` of RFC 8037 and ``Ed25519`` of RFC 9864): PyJWT knows only the first, so that is the
name zimao publishes and signs under.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from zimao.core import signing

pytestmark = pytest.mark.django_db

ALLOWED = ["EdDSA", "Ed25519"]  # a verifier's allow-list: both JOSE names of Ed25519, nothing else


def _jwks(path: str = "/api/v1/licences/jwks") -> dict:
    response = Client().get(path)
    assert response.status_code == 200
    return response.json()


def _tampered(token: str) -> str:
    """The same token with the holder's name changed in the payload (signature kept)."""
    import base64

    header, payload, signature = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["holder"]["name"] = "冒名顶替有限公司"
    forged = base64.urlsafe_b64encode(json.dumps(data, ensure_ascii=False).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def _flipped_signature(token: str) -> str:
    header, payload, signature = token.split(".")
    i = len(signature) // 2
    return ".".join([header, payload, signature[:i] + ("A" if signature[i] != "A" else "B") + signature[i + 1 :]])


@pytest.fixture
def licence(issue):
    return issue()


def test_pyjwt_verifies_a_licence_with_the_published_keys(licence):
    import jwt

    keys = jwt.PyJWKSet.from_dict(_jwks())  # PyJWT refuses a key set whose "alg" it does not know
    key = next(k for k in keys.keys if k.key_id == licence.kid)
    assert jwt.get_unverified_header(licence.jws)["alg"] in ALLOWED
    claims = jwt.decode(licence.jws, key, algorithms=ALLOWED)
    assert claims["identifier"] == licence.identifier and claims["holder"]["name"] == licence.holder_name


def test_pyjwt_refuses_a_tampered_licence(licence):
    import jwt

    key = next(k for k in jwt.PyJWKSet.from_dict(_jwks()).keys if k.key_id == licence.kid)
    for forged in (_tampered(licence.jws), _flipped_signature(licence.jws)):
        with pytest.raises(jwt.InvalidSignatureError):
            jwt.decode(forged, key, algorithms=ALLOWED)


def test_jwcrypto_verifies_a_licence_with_the_published_keys(licence):
    from jwcrypto import jwk, jws

    keys = jwk.JWKSet.from_json(json.dumps(_jwks("/.well-known/jwks.json")))
    token = jws.JWS()
    token.allowed_algs = ALLOWED
    token.deserialize(licence.jws)
    token.verify(keys.get_key(licence.kid))
    claims = json.loads(token.payload)
    assert claims["identifier"] == licence.identifier and claims["holder"]["name"] == licence.holder_name


def test_jwcrypto_refuses_a_tampered_licence(licence):
    from jwcrypto import jwk, jws

    key = jwk.JWKSet.from_json(json.dumps(_jwks())).get_key(licence.kid)
    for forged in (_tampered(licence.jws), _flipped_signature(licence.jws)):
        token = jws.JWS()
        token.allowed_algs = ALLOWED
        token.deserialize(forged)
        with pytest.raises(jws.InvalidJWSSignature):
            token.verify(key)


def test_both_libraries_still_verify_after_a_key_rotation(issue, licence):
    """The retired key stays in the JWKS, so licences it signed keep verifying offline."""
    import jwt
    from jwcrypto import jwk, jws

    signing.rotate_key("system:test")
    newer = issue(holder_uscc="914403001922038216", holder_name="深圳示例有限公司")
    assert newer.kid != licence.kid
    published = _jwks()
    for cred in (licence, newer):
        key = next(k for k in jwt.PyJWKSet.from_dict(published).keys if k.key_id == cred.kid)
        assert jwt.decode(cred.jws, key, algorithms=ALLOWED)["identifier"] == cred.identifier
        token = jws.JWS()
        token.allowed_algs = ALLOWED
        token.deserialize(cred.jws)
        token.verify(jwk.JWKSet.from_json(json.dumps(published)).get_key(cred.kid))


def test_every_published_key_names_an_algorithm_pyjwt_and_jwcrypto_accept():
    """Every key in the JWKS loads in both libraries (a single unknown "alg" makes PyJWT's
    PyJWKSet skip the key, and its PyJWK refuse it)."""
    import jwt
    from jwcrypto import jwk

    signing.active_key()
    signing.rotate_key("system:test")
    published = _jwks()
    assert len(published["keys"]) == 2
    for entry in published["keys"]:
        assert (entry["kty"], entry["crv"], entry["alg"]) == ("OKP", "Ed25519", "EdDSA")
        assert jwt.PyJWK.from_dict(entry).key_id == entry["kid"]
        assert jwk.JWK(**entry).thumbprint() == entry["kid"]  # the kid is the RFC 7638 thumbprint
