"""Fast verification that stays live: keys in one query, memoised signature checks, the answer
cached per holder under a version that every change bumps in its own transaction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zimao.core import signing
from zimao.licences import services
from zimao.licences.models import Credential, HolderVersion

from .conftest import HOLDER, OTHER_HOLDER

pytestmark = pytest.mark.django_db

API = "/api/v1/licences"
PERMITS = 20


@pytest.fixture
def holder_with_permits(issue):
    """A business licence and 20 permits of one holder (the 多证集成 view of issue 11)."""
    licence = issue()
    for n in range(PERMITS):
        issue(kind=f"permit_{n}", title_zh=f"许可证{n}", title_en=f"Permit {n}", case_number=f"CASE-{n}")
    services.clear_verification_cache()
    return licence


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_service_queries_do_not_grow_with_permits(holder_with_permits, monkeypatch):
    ident = holder_with_permits.identifier
    checks = []
    real = signing.Ed25519Signer.verify_compact
    monkeypatch.setattr(
        signing.Ed25519Signer, "verify_compact", lambda self, jwk, token: checks.append(token) or real(self, jwk, token)
    )
    signing._verified.clear()
    cold = _count(lambda: services.verify(ident))
    assert cold == 3  # holder + versions, the holder's credentials, every key at once
    assert len(checks) == PERMITS + 1  # each signature checked once...
    result = services.verify(ident)
    assert result.current and len(result.holder_credentials) == PERMITS + 1
    assert _count(lambda: services.verify(ident)) == 1  # ...and the answer reused while the version holds
    services.clear_verification_cache()
    assert _count(lambda: services.verify(ident)) == 3
    assert len(checks) == PERMITS + 1  # rebuilt answer: signatures not checked again (memo per kid, token)


def test_page_and_api_query_counts_with_20_permits(client, holder_with_permits):
    ident = holder_with_permits.identifier
    page = reverse("licences:verify", args=[ident])
    client.get(page)
    client.get(f"{API}/verify/{ident}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(page)
    assert response.status_code == 200 and len(ctx.captured_queries) <= 2, ctx.captured_queries
    with CaptureQueriesContext(connection) as ctx:
        data = client.get(f"{API}/verify/{ident}").json()
    assert data["current"] and len(data["credentials"]) == PERMITS + 1
    assert len(ctx.captured_queries) <= 2, ctx.captured_queries


@pytest.mark.parametrize(
    "change, status",
    [
        (services.revoke, "revoked"),
        (services.suspend, "suspended"),
    ],
)
def test_a_change_shows_on_the_very_next_request(client, holder_with_permits, change, status):
    ident = holder_with_permits.identifier
    permit = Credential.objects.get(case_number="CASE-7")
    for _ in range(2):  # warm
        assert client.get(f"{API}/verify/{ident}").json()["current"]
        assert client.get(f"{API}/verify/{permit.identifier}").json()["current"]
    change(permit.identifier, "原因 reason", actor="officer")
    assert client.get(f"{API}/verify/{permit.identifier}").json()["status"] == status
    rows = {c["identifier"]: c["status"] for c in client.get(f"{API}/verify/{ident}").json()["credentials"]}
    assert rows[permit.identifier] == status  # the integrated view of a sibling is live too
    page = client.get(reverse("licences:verify", args=[permit.identifier]))
    assert page.status_code == 200 and services.STATUS_LABELS[status][0] in page.content.decode()
    if status == "suspended":
        services.reinstate(permit.identifier, "整改完成", actor="officer")
        assert client.get(f"{API}/verify/{permit.identifier}").json()["status"] == "valid"


def test_every_change_bumps_the_holder_version_in_its_transaction(issue):
    cred = issue()
    versions = [HolderVersion.objects.get(holder_uscc=HOLDER).version]
    for change in (services.suspend, services.reinstate, services.revoke):
        change(cred.identifier, "reason", actor="officer")
        versions.append(HolderVersion.objects.get(holder_uscc=HOLDER).version)
    issue(kind="food_business_permit", title_zh="食品经营许可证", title_en="Food business permit")
    versions.append(HolderVersion.objects.get(holder_uscc=HOLDER).version)
    assert versions == sorted(set(versions)) and len(versions) == 5
    assert not HolderVersion.objects.filter(holder_uscc=OTHER_HOLDER).exists()


def test_a_refused_change_does_not_bump(issue):
    from zimao.core.errors import Conflict

    cred = issue()
    services.revoke(cred.identifier, "reason", actor="officer")
    before = HolderVersion.objects.get(holder_uscc=HOLDER)
    with pytest.raises(Conflict):
        services.suspend(cred.identifier, "reason", actor="officer")
    after = HolderVersion.objects.get(holder_uscc=HOLDER)
    assert (after.version, after.stamp) == (before.version, before.stamp)


def test_key_revocation_shows_on_the_next_request(issue):
    old = issue()
    assert services.verify(old.identifier).current
    signing.rotate_key("officer")
    assert services.verify(old.identifier).current  # retired keys still verify
    signing.revoke_key(old.kid, actor="officer")
    result = services.verify(old.identifier)
    assert not result.genuine and result.signature_reason == "revoked_kid"


def test_a_failed_signature_is_not_memoised(issue):
    cred = issue()
    bad = cred.jws[:-4] + ("AAAA" if not cred.jws.endswith("AAAA") else "BBBB")
    for _ in range(2):
        with pytest.raises(signing.SignatureError):
            signing.verify_jws(bad)
    assert signing.verify_jws(cred.jws)["identifier"] == cred.identifier


def test_a_visitors_page_is_kept_but_its_csrf_token_is_each_requests_own(holder_with_permits):
    from django.test import Client

    ident = holder_with_permits.identifier
    page = reverse("licences:verify", args=[ident])
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        response = client.get(page)
        html = response.content.decode()
        assert response.status_code == 200 and "csrf-slot" not in html
        token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        assert len(token) == 64 and response.cookies["csrftoken"].value
        # The language switch on the kept page works: the token matches this visitor's cookie.
        switched = client.post("/i18n/setlang/", {"language": "en", "next": page, "csrfmiddlewaretoken": token})
        assert switched.status_code == 302
        tokens.append(token)
        # Again with the visitor's cookie: a newly masked token for the same secret, also accepted.
        again = client.get(page).content.decode().split('name="csrfmiddlewaretoken" value="', 1)[1][:64]
        assert again != token and client.cookies["csrftoken"].value
        assert client.post("/i18n/setlang/", {"language": "zh-hans", "csrfmiddlewaretoken": again}).status_code == 302
    assert tokens[0] != tokens[1]
    services.revoke(ident, "吊销 revoked", actor="officer")
    assert services.STATUS_LABELS["revoked"][0] in Client().get(page).content.decode()


def test_a_signed_in_reader_gets_their_own_frame(client, holder_with_permits, user):
    ident = holder_with_permits.identifier
    page = reverse("licences:verify", args=[ident])
    Client = type(client)
    assert 'id="logout"' not in Client().get(page).content.decode()
    client.force_login(user)
    html = client.get(page).content.decode()
    assert 'id="logout"' in html and user.username in html and "许可证19" in html
