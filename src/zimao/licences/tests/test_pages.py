"""Licence pages: public verification, the holder's licence with its QR code, JWKS."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from zimao.catalog import zone
from zimao.core import elicence, signing
from zimao.licences import services
from zimao.licences.models import Credential

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def test_urls():
    ident = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
    assert reverse("licences:verify", args=[ident]) == f"/verify/{ident}/"
    assert reverse("licences:detail", args=[ident]) == f"/licences/{ident}/"
    assert reverse("licences:qr", args=[ident]) == f"/licences/{ident}/qr.svg"
    assert reverse("licences:jwks") == "/.well-known/jwks.json"


def test_verify_genuine(client, issue):
    licence = issue()
    permit = issue(kind="food_business_permit", title_zh="食品经营许可证", title_en="Food business permit")
    response = client.get(reverse("licences:verify", args=[licence.identifier]))
    assert response.status_code == 200
    body = _text(response)
    assert "真实有效" in body and "Genuine and current" in body
    assert licence.identifier in body and "洛阳示例科技有限公司" in body
    # Personal values are masked; bookkeeping is not shown.
    assert "张**" in body and "张三丰" not in body
    assert "11010519491231002X" not in body and "1101**********002X" in body
    assert "applicant_user_id" not in body.lower() and "Applicant user id" not in body
    # 多证集成: the holder's other licences are listed with their status.
    assert "食品经营许可证" in body and permit.identifier in body
    assert response["Cache-Control"] == "no-store"
    # The content security policy forbids inline scripts: every script has a src.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)


def test_verify_tampered_identifier_is_404_not_genuine(client, issue):
    cred = issue()
    serial = elicence.parse_identifier(cred.identifier).serial
    tampered = cred.identifier.replace(serial, serial[:-1] + ("7" if serial[-1] != "7" else "6"))
    response = client.get(reverse("licences:verify", args=[tampered]))
    assert response.status_code == 404
    body = _text(response)
    assert "无法核验" in body and "Not genuine" in body
    assert "洛阳示例科技有限公司" not in body


def test_verify_unknown_identifier_is_404(client):
    unknown = elicence.make_identifier(
        services.type_code_for("business_licence"), zone.current().issuer.uscc, "20250099999"
    )
    response = client.get(reverse("licences:verify", args=[unknown]))
    assert response.status_code == 404
    assert "无法核验" in _text(response) and "e-licence store" in _text(response)
    response = client.get("/verify/not-an-identifier/")
    assert response.status_code == 404 and "无法核验" in _text(response)


def test_verify_edited_row_is_404(client, issue):
    cred = issue()
    Credential.objects.filter(pk=cred.pk).update(holder_name="冒名公司")
    response = client.get(reverse("licences:verify", args=[cred.identifier]))
    assert response.status_code == 404
    assert "无法核验" in _text(response) and "冒名公司" not in _text(response)


def test_verify_revoked(client, issue):
    cred = issue()
    services.revoke(cred.identifier, "以欺骗手段取得", actor="officer")
    response = client.get(reverse("licences:verify", args=[cred.identifier]))
    assert response.status_code == 200
    body = _text(response)
    assert "已吊销" in body and "Revoked" in body and "真实有效 · Genuine" not in body
    assert "以欺骗手段取得" in body


def test_verify_expired(client, issue):
    today = timezone.localdate()
    cred = issue(valid_from=today - dt.timedelta(days=30), valid_until=today - dt.timedelta(days=1))
    response = client.get(reverse("licences:verify", args=[cred.identifier]))
    assert response.status_code == 200
    assert "已过期" in _text(response) and "Expired" in _text(response)


def test_detail_requires_login(client, issue):
    cred = issue()
    response = client.get(reverse("licences:detail", args=[cred.identifier]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_detail_for_the_holder_has_qr_to_absolute_verify_url(client, issue, user, settings):
    settings.PUBLIC_URL = "https://zimao.example.gov.cn"  # a configured public address wins
    cred = issue(case_number="LY20250009")
    client.force_login(user)
    response = client.get(reverse("licences:detail", args=[cred.identifier]))
    assert response.status_code == 200
    body = _text(response)
    url = f"https://zimao.example.gov.cn/verify/{cred.identifier}/"
    assert url in body
    assert "<svg" in body and 'class="segno"' in body
    assert "张三丰" in body  # the holder sees the licence unmasked
    assert "LY20250009" in body
    qr = client.get(reverse("licences:qr", args=[cred.identifier]))
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert qr.content.startswith(b"<?xml") and b"<svg" in qr.content


def test_another_user_cannot_open_the_licence(client, issue, other_user):
    cred = issue()
    client.force_login(other_user)
    assert client.get(reverse("licences:detail", args=[cred.identifier])).status_code == 404
    assert client.get(reverse("licences:qr", args=[cred.identifier])).status_code == 404
    # …and cannot tell it from a licence that does not exist.
    assert client.get("/licences/1.2.156.3005.2.nothing/").status_code == 404


def test_staff_can_open_any_licence(client, issue, staff):
    cred = issue()
    client.force_login(staff)
    assert client.get(reverse("licences:detail", args=[cred.identifier])).status_code == 200


def test_jwks_page(client, issue):
    issue()
    signing.rotate_key("officer")
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert len(data["keys"]) == 2
    for jwk in data["keys"]:
        assert "d" not in jwk and jwk["kty"] == "OKP"
    assert '"d"' not in json.dumps(data) and "PRIVATE" not in response.content.decode()


def test_offline_verification_with_published_keys(client, issue):
    """A verifier holding only the JWKS can check a licence's JWS."""
    from joserfc import jws
    from joserfc.jwk import KeySet

    cred = issue()
    keyset = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    obj = jws.deserialize_compact(cred.jws, keyset, algorithms=["EdDSA", "Ed25519"])
    assert json.loads(obj.payload)["identifier"] == cred.identifier


def test_admin_lists_and_shows_credentials_read_only(client, issue, django_user_model):
    cred = issue()
    admin = django_user_model.objects.create_superuser("root", password="pw-root-12345")
    client.force_login(admin)
    listing = client.get("/admin/licences/credential/?q=" + cred.holder_uscc)
    assert listing.status_code == 200 and cred.identifier in listing.content.decode()
    page = client.get(f"/admin/licences/credential/{cred.pk}/change/")
    assert page.status_code == 200
    assert 'name="jws"' not in page.content.decode()  # read-only: shown, not editable
    assert client.get("/admin/licences/credential/add/").status_code == 403


def test_links_follow_the_address_the_server_is_reached_at(client, issue, user):
    """No configured address: QR codes and verify links use the request's scheme, host and port
    (``make run PORT=…`` prints live codes)."""
    cred = issue(case_number="LY20250010")
    client.force_login(user)
    response = client.get(reverse("licences:detail", args=[cred.identifier]), HTTP_HOST="127.0.0.1:18055")
    assert f"http://127.0.0.1:18055/verify/{cred.identifier}/" in _text(response)
    response = client.get(reverse("licences:detail", args=[cred.identifier]), HTTP_HOST="localhost:18056", secure=True)
    assert f"https://localhost:18056/verify/{cred.identifier}/" in _text(response)


def test_the_zone_profile_address_is_used_when_configured(client, issue, user):
    import copy

    data = copy.deepcopy(zone.packaged_profile(zone.current().key))
    data["site_url"] = "https://verify.zone.example.org"
    zone.import_profile(data)
    cred = issue(case_number="LY20250011")
    client.force_login(user)
    response = client.get(reverse("licences:detail", args=[cred.identifier]), HTTP_HOST="127.0.0.1:18055")
    assert f"https://verify.zone.example.org/verify/{cred.identifier}/" in _text(response)
