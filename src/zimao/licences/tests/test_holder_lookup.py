"""Verification by a company's unified social credit code (issue 14 item 5): a real company's
USCC lists the licences issued here, or says plainly that none was — never "not genuine"."""

import pytest
from django.urls import reverse

from zimao.licences import services
from zimao.licences.models import Credential
from zimao.licences.tests.conftest import HOLDER, OTHER_HOLDER

pytestmark = pytest.mark.django_db


def test_a_company_s_uscc_lists_its_licences(client, issue):
    licence = issue()
    permit = issue(kind="food_business_permit", title_zh="食品经营许可证", title_en="Food business permit")
    response = client.get(reverse("licences:verify", args=[HOLDER]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "已查到本平台签发的证照" in body and "Licences issued here found" in body
    assert licence.identifier in body and permit.identifier in body
    assert "洛阳示例科技有限公司" in body and "食品经营许可证" in body
    assert "not genuine" not in body.lower() and "无法核验" not in body
    assert response["Cache-Control"] == "no-store"


def test_a_uscc_with_no_licence_here_is_not_called_fake(client):
    response = client.get(reverse("licences:verify", args=[OTHER_HOLDER]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "本平台未签发" in body and "None issued here" in body
    assert "这并不表示该企业不真实" in body
    assert "无法核验" not in body and "Do not rely on it" not in body


def test_a_wrong_check_character_is_refused_without_the_right_one(client):
    wrong = HOLDER[:17] + ("A" if HOLDER[17] != "A" else "B")
    lookup = services.lookup_holder(wrong)
    assert not lookup.format_ok and lookup.status == "invalid_code"
    assert [p.code for p in lookup.problems] == ["check_character"]
    assert f"“{HOLDER[17]}”" not in lookup.problems[0].zh and f"'{HOLDER[17]}'" not in lookup.problems[0].en
    response = client.get(reverse("licences:verify", args=[wrong]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "代码有误" in body and "不是有效的统一社会信用代码" in body
    assert "第18位校验码不符" in body


def test_typed_lower_case_and_full_width_codes_are_found(client, issue):
    issue()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in HOLDER.lower())
    response = client.get(reverse("web:verify_form"), {"identifier": f" {full_width} "})
    assert response.status_code == 302 and response["Location"] == reverse("licences:verify", args=[HOLDER])
    assert services.lookup_holder(HOLDER.lower()).found


def test_a_tampered_credential_shows_as_not_genuine_in_the_list(client, issue):
    licence = issue()
    Credential.objects.filter(pk=licence.pk).update(holder_name="篡改公司")
    services.clear_verification_cache()
    lookup = services.lookup_holder(HOLDER)
    assert [s for _, s in lookup.credentials] == ["not_genuine"]
    assert not lookup.genuine and lookup.holder_name == ""


def test_revocation_shows_on_the_next_lookup(client, issue, staff):
    licence = issue()
    assert services.lookup_holder(HOLDER).current
    services.revoke(licence.identifier, "吊销测试", staff)
    lookup = services.lookup_holder(HOLDER)
    assert [s for _, s in lookup.credentials] == ["revoked"] and not lookup.current


def test_the_api_answers_a_uscc_too(client, issue):
    licence = issue()
    data = client.get(f"/api/v1/licences/verify/{HOLDER}").json()
    assert data["lookup"] == "holder" and data["found"] and data["genuine"] and data["current"]
    assert data["status"] == "holder_found" and data["holder"] == {"uscc": HOLDER, "name": "洛阳示例科技有限公司"}
    assert [c["identifier"] for c in data["credentials"]] == [licence.identifier]
    data = client.get(f"/api/v1/licences/verify/{OTHER_HOLDER}").json()
    assert data["lookup"] == "holder" and not data["found"] and data["status"] == "not_issued"
    assert data["label_en"] == "None issued here" and data["credentials"] == []
    data = client.get(f"/api/v1/licences/verify/{HOLDER[:17]}0").json()
    assert data["status"] == "invalid_code" and not data["format_valid"]
    assert data["problems"][0]["code"] == "check_character"
