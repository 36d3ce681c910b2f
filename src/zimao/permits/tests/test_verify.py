"""多证集成、一照通行: the business licence's verification shows every permit with its status and
validity; expiry shows by itself; offline verification with JWKS survives key rotation."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from joserfc import jws
from joserfc.jwk import KeySet

from zimao.core import signing
from zimao.licences import services as licences
from zimao.permits.tests.helpers import apply
from zimao.permits.tests.test_modes import commit

pytestmark = pytest.mark.django_db


def business_licence(company):
    return next(c for c in licences.credentials_for(company.uscc) if c.kind == "business_licence")


def test_the_business_licence_shows_every_permit_with_status_and_validity(company):
    food = commit(company, "ZZ-SPJY").credentials[0]
    filing = licences.get_credential(apply(company.applicant, "ZZ-YBZSP", company.uscc).outputs[0]["identifier"])
    suspended = commit(company, "ZZ-LXS").credentials[0]
    licences.suspend(suspended.identifier, "质量保证金未按期交存", "system:test")
    lic = business_licence(company)
    result = licences.verify(lic.identifier)
    statuses = {c.identifier: s for c, s in result.holder_credentials}
    assert result.holder_credentials[0][0].pk == lic.pk  # the licence leads
    assert statuses == {
        lic.identifier: "valid",
        food.identifier: "valid",
        filing.identifier: "valid",
        suspended.identifier: "suspended",
    }
    # Expiry is not stored: the day after the food permit's validity it shows as expired.
    later = licences.verify(lic.identifier, today=food.valid_until + dt.timedelta(days=1))
    assert {c.identifier: s for c, s in later.holder_credentials}[food.identifier] == "expired"
    assert {c.identifier: s for c, s in later.holder_credentials}[filing.identifier] == "valid"  # long-term


def test_the_public_api_lists_the_permits_on_the_licence(client, company):
    food = commit(company, "ZZ-SPJY").credentials[0]
    body = client.get(f"/api/v1/licences/verify/{business_licence(company).identifier}").json()
    rows = {c["identifier"]: c for c in body["credentials"]}
    assert (
        rows[food.identifier]["status"] == "valid"
        and rows[food.identifier]["valid_until"] == food.valid_until.isoformat()
    )
    assert "applicant_user_id" not in json.dumps(body)


def test_offline_verification_with_jwks_survives_key_rotation(client, company):
    old = commit(company, "ZZ-SPJY").credentials[0]
    signing.rotate_key("system:test")
    new = commit(company, "ZZ-XFJC").credentials[0]
    assert old.kid != new.kid
    keys = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    for cred in (old, new):
        # What a verifier with no access to the store does: the public keys and the token only.
        key = keys.get_by_kid(signing.token_header(cred.jws)["kid"])
        payload = json.loads(jws.deserialize_compact(cred.jws, key, algorithms=["EdDSA", "Ed25519"]).payload)
        assert payload["identifier"] == cred.identifier and payload["holder"]["uscc"] == company.uscc
        assert licences.verify(cred.identifier).current
