"""The licences API: public verification and keys, the user's own licences."""

import secrets

import pytest

from zimao.core.apiauth import token_digest
from zimao.core.models import ApiToken
from zimao.licences import services

pytestmark = pytest.mark.django_db

API = "/api/v1/licences"


def test_public_verify_genuine(client, issue):
    licence = issue()
    permit = issue(kind="food_business_permit", title_zh="食品经营许可证", title_en="Food business permit")
    response = client.get(f"{API}/verify/{licence.identifier}")
    assert response.status_code == 200
    data = response.json()
    assert data["genuine"] is True and data["current"] is True and data["status"] == "valid"
    assert data["label_zh"] == "真实有效"
    assert data["holder"] == {"uscc": licence.holder_uscc, "name": licence.holder_name}
    assert {c["identifier"] for c in data["credentials"]} == {licence.identifier, permit.identifier}
    cred = data["credential"]
    assert cred["subject"]["legal_representative"] == "张**"
    assert "applicant_user_id" not in cred["subject"]
    assert "jws" not in cred and "case_number" not in cred


def test_public_verify_revoked_and_not_genuine(client, issue):
    cred = issue()
    services.revoke(cred.identifier, "reason", actor="officer")
    data = client.get(f"{API}/verify/{cred.identifier}").json()
    assert data["genuine"] is True and data["current"] is False and data["status"] == "revoked"
    tampered = cred.identifier[:-1] + ("A" if cred.identifier[-1] != "A" else "B")
    data = client.get(f"{API}/verify/{tampered}").json()
    assert data["genuine"] is False and data["status"] == "not_genuine" and data["label_zh"] == "无法核验"
    assert data["reason"] == "invalid_identifier" and data["problems"][0]["code"] == "check_mismatch"
    assert data["holder"] is None and data["credentials"] == []


def test_mine_requires_auth(client):
    response = client.get(f"{API}/mine")
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "unauthenticated"


def test_mine_lists_the_users_credentials(client, issue, user, other_user):
    cred = issue(case_number="LY77")
    client.force_login(user)
    data = client.get(f"{API}/mine").json()
    assert [c["identifier"] for c in data] == [cred.identifier]
    assert data[0]["jws"] == cred.jws and data[0]["subject"]["legal_representative"] == "张三丰"
    client.force_login(other_user)
    assert client.get(f"{API}/mine").json() == []


def test_mine_with_bearer_token(client, issue, user):
    cred = issue()
    token = secrets.token_urlsafe(24)
    ApiToken.objects.create(user=user, name="test", digest=token_digest(token))
    response = client.get(f"{API}/mine", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()[0]["identifier"] == cred.identifier


def test_public_jwks(client, issue):
    issue()
    data = client.get(f"{API}/jwks").json()
    assert len(data["keys"]) == 1 and "d" not in data["keys"][0]


def test_openapi_declares_errors(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    verify = paths["/api/v1/licences/verify/{identifier}"]["get"]
    assert verify.get("security") in (None, [])  # public
    assert {"200", "422"} <= set(verify["responses"])
    mine = paths["/api/v1/licences/mine"]["get"]
    assert {"200", "401", "403"} <= set(mine["responses"])
    assert {"200", "400"} <= set(paths["/api/v1/licences/jwks"]["get"]["responses"])
