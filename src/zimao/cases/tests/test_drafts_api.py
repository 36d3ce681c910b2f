"""Saved drafts (暂存草稿) through the API, as an integrator's own software uses them: save,
list, resume, replace, delete; each person reaches only their own; submitting deletes the draft;
every wrong field named in Chinese and English; identity numbers only ever masked."""

from __future__ import annotations

import pytest
from django.test import Client, TestCase

from zimao.cases.models import Draft, Material
from zimao.core.apiauth import issue_token
from zimao.testing import BASE_APPLICATION, ESTABLISHMENT, PDF, application

pytestmark = pytest.mark.django_db

URL = f"/api/v1/drafts/{ESTABLISHMENT}"
ID_NUMBER = BASE_APPLICATION["registration"]["legal_rep_id"]
ID_MASK = "1101**********002X"
PHONE = BASE_APPLICATION["registration"]["legal_rep_phone"]


def client_for(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def upload(client, key, name="file.pdf") -> int:
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/v1/materials", {"key": key, "file": SimpleUploadedFile(name, PDF)})
    assert response.status_code == 201, response.content
    return response.json()["id"]


def put(client, data=None, materials=None, url=URL):
    body = {"data": data if data is not None else {}, "materials": materials or {}}
    return client.put(url, body, content_type="application/json")


def first_sections(trade_name="远航") -> dict:
    full = application(trade_name)
    return {"name": full["name"], "registration": full["registration"]}


def problems(response) -> dict[str, dict]:
    return {e["field"]: e for e in response.json()["errors"]}


def test_save_resume_list_replace_and_delete(zone):
    client = client_for(zone.applicant)
    articles = upload(client, "articles")
    saved = put(client, first_sections(), {"articles": articles})
    assert saved.status_code == 201, saved.content
    draft = saved.json()
    assert draft["service"] == ESTABLISHMENT and draft["service_name_zh"]
    assert draft["data"]["name"]["trade_name"] == "远航"
    assert draft["materials"] == {"articles": {"id": articles, "name": "file.pdf", "size": len(PDF)}}
    assert "name" not in draft["incomplete_sections"] and "steps" in draft["incomplete_sections"]
    assert draft["missing_materials"] == ["id_copy", "premises"] and draft["complete"] is False
    assert draft["expires_at"] > draft["updated_at"]

    resumed = client.get(URL)
    assert resumed.status_code == 200 and resumed.json() == draft
    assert [d["service"] for d in client.get("/api/v1/drafts").json()] == [ESTABLISHMENT]

    # The same body again: one draft, as it was (200, not a second one).
    again = put(client, first_sections(), {"articles": articles})
    assert again.status_code == 200 and again.json()["data"] == draft["data"]
    assert Draft.objects.filter(applicant=zone.applicant).count() == 1
    assert Material.objects.filter(pk=articles, draft__isnull=False).exists()

    # Filling in the rest: complete, ready for submitCase.
    everything = {k: upload(client, k) for k in ("id_copy", "premises")}
    whole = put(client, application("远航"), {"articles": articles, **everything})
    assert whole.status_code == 200
    assert whole.json()["complete"] is True and whole.json()["incomplete_sections"] == []

    with TestCase.captureOnCommitCallbacks(execute=True):
        deleted = client.delete(URL)
    assert deleted.status_code == 204 and deleted.content == b""
    assert client.get(URL).status_code == 404
    assert client.delete(URL).status_code == 404
    assert client.get("/api/v1/drafts").json() == []
    # The portal's semantics: the unsent files it held went with it.
    assert not Material.objects.filter(owner=zone.applicant).exists()


def test_identity_and_phone_numbers_are_masked_in_answers_and_kept_when_sent_back_masked(zone):
    client = client_for(zone.applicant)
    saved = put(client, first_sections())
    assert ID_NUMBER not in saved.content.decode() and PHONE not in saved.content.decode()
    registration = saved.json()["data"]["registration"]
    assert registration["legal_rep_id"] == ID_MASK and registration["legal_rep_phone"] == "138****5678"
    for answer in (client.get(URL), client.get("/api/v1/drafts")):
        assert ID_NUMBER not in answer.content.decode() and ID_MASK in answer.content.decode()
    # Stored encrypted, as the portal's drafts are.
    stored = Draft.objects.get(applicant=zone.applicant).sections["registration"]["legal_rep_id"]
    assert set(stored) == {"protected", "masked"} and ID_NUMBER not in str(stored)

    # Resuming: what the GET showed, sent back with a change, keeps the saved numbers.
    shown = client.get(URL).json()["data"]
    shown["registration"]["address"] = "涧西区天津路2号"
    resent = put(client, shown)
    assert resent.status_code == 200, resent.content
    from zimao.catalog.forms import reveal

    kept = Draft.objects.get(applicant=zone.applicant).sections["registration"]
    assert reveal(kept["legal_rep_id"]) == ID_NUMBER and reveal(kept["legal_rep_phone"]) == PHONE
    assert kept["address"] == "涧西区天津路2号"


def test_another_person_reaches_only_their_own_drafts(zone):
    mine = client_for(zone.applicant)
    assert put(mine, first_sections("远航")).status_code == 201
    for user in (zone.applicant2, zone.reviewer, zone.clerk):
        other = client_for(user)
        assert other.get(URL).status_code == 404
        assert other.delete(URL).status_code == 404
        assert other.get("/api/v1/drafts").json() == []
    # Theirs is their own: saving it leaves A's alone.
    theirs = put(client_for(zone.applicant2), first_sections("青山"))
    assert theirs.status_code == 201 and ID_NUMBER not in theirs.content.decode()
    assert mine.get(URL).json()["data"]["name"]["trade_name"] == "远航"
    assert Draft.objects.count() == 2
    # Nor can anyone name another person's upload in their draft.
    a_file = upload(mine, "articles")
    refused = put(client_for(zone.applicant2), first_sections("青山"), {"articles": a_file})
    assert refused.status_code == 422 and "materials.articles" in problems(refused)
    assert Material.objects.get(pk=a_file).draft is None
    assert Client().get(URL).status_code == 401


def test_submitting_through_the_api_deletes_the_draft_and_keeps_its_uploads_on_the_case(zone):
    client = client_for(zone.applicant)
    materials = {k: upload(client, k) for k in ("articles", "id_copy", "premises")}
    assert put(client, application("远航"), materials).status_code == 201
    body = {"service": ESTABLISHMENT, "data": application("远航"), "materials": materials}
    submitted = client.post("/api/v1/cases", body, content_type="application/json")
    assert submitted.status_code == 201, submitted.content
    assert client.get(URL).status_code == 404
    assert client.get("/api/v1/drafts").json() == []
    number = submitted.json()["number"]
    assert set(Material.objects.filter(case__number=number).values_list("pk", flat=True)) == set(materials.values())


def test_bad_input_names_each_field_in_chinese_and_english(zone):
    client = client_for(zone.applicant)
    data = first_sections()
    data["registration"]["legal_rep_id"] = "110105194912310021"  # wrong check character
    data["registration"].pop("address")
    data["nonsense"] = {"x": 1}
    data["name"]["colour"] = "blue"
    refused = put(client, data, {"passport": upload(client, "articles"), "articles": 999999})
    assert refused.status_code == 422
    found = problems(refused)
    assert set(found) >= {
        "registration.legal_rep_id",
        "registration.address",
        "nonsense",
        "name.colour",
        "materials.passport",
        "materials.articles",
    }, found
    assert "身份证" in found["registration.legal_rep_id"]["message_zh"]
    assert "ID number" in found["registration.legal_rep_id"]["message_en"]
    assert found["registration.address"]["message_zh"] == "请填写“住所”"
    assert found["registration.address"]["message_en"] == "Enter Registered address"
    assert "110105194912310021" not in refused.content.decode()
    assert not Draft.objects.exists()  # nothing half-saved

    # The service's own checks, as the portal runs them on the section page.
    latin = put(client, first_sections("ABC"))
    assert latin.status_code == 422
    assert problems(latin)["name.trade_name"]["message_en"].startswith("The trade name must be")

    # Sizes as the form bounds them; and the body's shape, named by its path.
    too_long = put(client, {"name": {**first_sections()["name"], "trade_name": "远" * 9}})
    assert too_long.status_code == 422 and "8" in problems(too_long)["name.trade_name"]["message_en"]
    malformed = put(client, {"name": "远航"}, {"articles": "one"})
    assert malformed.status_code == 422
    assert {"data.name", "materials.articles"} <= set(problems(malformed))
    assert all(e["message_zh"] and e["message_en"] for e in malformed.json()["errors"])
    unknown = put(client, first_sections(), url="/api/v1/drafts/NO-SUCH")
    assert unknown.status_code == 404 and problems(unknown)["service"]["message_en"]
    assert client.get("/api/v1/drafts/NO-SUCH").status_code == 404


def test_a_service_that_takes_no_applications_keeps_no_drafts(zone):
    from zimao.catalog.models import ProcessDefinition

    ProcessDefinition.objects.filter(service__code=ESTABLISHMENT).update(published=False)
    refused = put(client_for(zone.applicant), first_sections())
    assert refused.status_code == 409 and problems(refused)["service"]["code"] == "no_process"
    assert not Draft.objects.exists()


def test_a_replaced_or_dropped_upload_is_discarded_and_delete_may_keep_the_uploads(zone):
    client = client_for(zone.applicant)
    first, second, id_copy = upload(client, "articles"), upload(client, "articles"), upload(client, "id_copy")
    assert put(client, {}, {"articles": first, "id_copy": id_copy}).status_code == 201
    with TestCase.captureOnCommitCallbacks(execute=True):
        replaced = put(client, {}, {"articles": second})
    assert replaced.status_code == 200 and replaced.json()["materials"]["articles"]["id"] == second
    assert set(Material.objects.filter(owner=zone.applicant).values_list("pk", flat=True)) == {second}
    # An upload held by one draft cannot be named by another of one's drafts (of another service).
    from zimao.cases import drafts
    from zimao.catalog.models import ServiceItem
    from zimao.core.errors import BusinessError

    other = ServiceItem.objects.get(code=ESTABLISHMENT)
    other.pk, other.code = None, "QYKB-COPY"
    other.save()
    with pytest.raises(BusinessError) as refused:
        drafts.replace_draft(zone.applicant, other, {}, {"articles": second})
    assert [p.field for p in refused.value.problems] == ["materials.articles"]
    assert Material.objects.get(pk=second).draft.service.code == ESTABLISHMENT
    # Deleting without discarding: the upload stays, usable in submitCase.
    assert client.delete(URL + "?discard_uploads=false").status_code == 204
    kept = Material.objects.get(pk=second)
    assert kept.draft is None and kept.case is None


def test_a_draft_saved_through_the_api_is_resumed_on_the_portal(zone):
    put(client_for(zone.applicant), first_sections())
    browser = Client()
    browser.force_login(zone.applicant)
    tasks = browser.get(f"/apply/{ESTABLISHMENT}/").content.decode()
    assert 'class="tag ok" id="status-registration"' in tasks and 'class="tag ok" id="status-name"' in tasks
    page = browser.get(f"/apply/{ESTABLISHMENT}/registration/").content.decode()
    assert ID_MASK in page and ID_NUMBER not in page
