"""Identity documents other than the resident identity card (证件类型): Hong Kong, Macao, Taiwan
and foreign applicants register with theirs, the window finds them by (type, number) — keyed
digest of both, one account per document, the number encrypted and masked — opens an account for
a walk-in holding one, adds one to an account registered without it, and the holder claims and
sees their account with the type and masked number."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse

from zimao.core import protected
from zimao.core.identifiers import ID_HM_PERMIT, ID_HMT_RESIDENCE, ID_PASSPORT, ID_RESIDENT, ID_TW_PERMIT
from zimao.core.models import AuditEvent
from zimao.core.sms import sandbox_messages
from zimao.testing import ESTABLISHMENT
from zimao.web import intake as counter
from zimao.web.models import Intake, Profile
from zimao.web.tests.test_identity import PASSWORD, attach_code, old_account
from zimao.web.tests.test_intake import english, text

pytestmark = pytest.mark.django_db

HK_RESIDENCE = "810000199001010019"  # 港澳台居民居住证 (GB 11643 check character)
PASSPORT = "E12345678"
HM_PERMIT = "H12345678"
PHONE = "13612345678"


def register(client, username="hk-investor", id_type=ID_PASSPORT, id_number=PASSPORT, phone=PHONE, **extra):
    return client.post(
        "/register/",
        {
            "username": username,
            "first_name": "陈大文",
            "id_type": id_type,
            "id_number": id_number,
            "phone": phone,
            "password1": PASSWORD,
            "password2": PASSWORD,
            **extra,
        },
        REMOTE_ADDR="203.0.113.30",
    )


def stored(profile: Profile) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number FROM web_profile WHERE id = %s", [profile.pk])
        return cursor.fetchone()[0]


# ---------------------------------------------------------------- registration


def test_registration_offers_the_document_type_resident_card_first_and_chosen(client, zone):
    page = text(client.get("/register/"))
    assert 'id="id_id_type"' in page and 'id="id_id_number"' in page
    assert page.index('id="id_id_type"') < page.index('id="id_id_number"')
    assert '<option value="resident" selected>居民身份证</option>' in page
    assert "港澳台居民居住证" in page and "外国人永久居留身份证" in page and "护照" in page
    page = text(english(client).get("/register/"))
    assert ">Residence permit for Hong Kong, Macao and Taiwan residents</option>" in page


def test_a_passport_holder_registers_and_the_window_finds_them_by_type_and_number(client, zone):
    response = register(client, id_number="e1234567 8")
    assert response.status_code == 302, text(response)[:3000]
    profile = Profile.objects.get(user__username="hk-investor")
    assert (profile.id_type, profile.id_number, profile.id_masked) == (ID_PASSPORT, PASSPORT, "E******78")
    assert profile.id_digest == counter.document_digest(ID_PASSPORT, PASSPORT) != protected.lookup_digest(PASSPORT)
    assert PASSPORT not in stored(profile)  # encrypted at rest
    assert counter.find_applicant(PASSPORT, ID_PASSPORT) == profile
    assert counter.find_applicant("E12345678", ID_PASSPORT) == profile
    event = AuditEvent.objects.filter(action="user.registered").latest("id")
    assert event.after["id_type"] == ID_PASSPORT and event.after["id_number"] == "E******78"
    assert PASSPORT not in json.dumps(event.after)


def test_a_resident_card_registration_is_recorded_as_before(client, zone):
    number = "440524199001010018"
    assert register(client, id_type=ID_RESIDENT, id_number=number).status_code == 302
    profile = Profile.objects.get(user__username="hk-investor")
    assert profile.id_type == ID_RESIDENT and profile.id_digest == protected.lookup_digest(number)
    event = AuditEvent.objects.filter(action="user.registered").latest("id")
    assert "id_type" not in event.after  # the audit trail reads as it did before document types
    # a client that sends no type registers a resident card, as before
    assert register(client, username="no-type", id_type="", id_number="", phone="").status_code == 302
    assert Profile.objects.get(user__username="no-type").id_type == ""


@pytest.mark.parametrize(
    "language,id_type,value,words",
    [
        ("zh-hans", ID_PASSPORT, "", "请填写护照号码"),
        ("en", ID_PASSPORT, "", "Enter the number of the passport"),
        ("en", ID_HM_PERMIT, "", "Enter the number of the mainland travel permit for Hong Kong and Macao residents"),
        ("zh-hans", ID_HMT_RESIDENCE, "810000199001010011", "居住证号码"),
        ("en", ID_HMT_RESIDENCE, "440524199001010018", "810000 (Hong Kong)"),
        ("en", ID_HM_PERMIT, "A12345678", "the letter H or M followed by 8 digits"),
        ("en", ID_RESIDENT, HK_RESIDENCE, "choose that document type"),
    ],
)
def test_a_number_that_does_not_fit_its_type_is_refused_beside_the_field(client, zone, language, id_type, value, words):
    client.cookies["django_language"] = language
    response = register(client, id_type=id_type, id_number=value)
    body = text(response)
    assert response.status_code == 200 and 'href="#id_id_number"' in body and words in body
    assert f'<option value="{id_type}" selected>' in body  # the chosen type stays chosen
    assert not get_user_model().objects.filter(username="hk-investor").exists()


def test_an_unknown_type_is_refused_on_the_type_field(client, zone):
    response = register(client, id_type="driving_licence")
    assert response.status_code == 200 and 'href="#id_id_type"' in text(response)


def test_one_account_per_document_and_the_same_digits_under_another_type_are_another_document(client, zone):
    assert register(client).status_code == 302
    client.cookies["django_language"] = "en"
    response = register(client, username="second", phone="13600000000")
    body = text(response)
    assert response.status_code == 409 and "This identity document cannot be used to open a new account" in body
    assert "hk-investor" not in body and "136****5678" not in body
    client.cookies["django_language"] = "zh-hans"
    assert "该证件号码不能用于开立新账户" in text(register(client, username="third", phone="13600000000"))
    # a Taiwan travel permit 12345678 and a passport 12345678 are two documents
    assert register(client, username="tw", id_type=ID_TW_PERMIT, id_number="12345678").status_code == 302
    assert register(client, username="pp", id_type=ID_PASSPORT, id_number="12345678").status_code == 302
    assert Profile.objects.filter(id_masked="1*****78").count() == 2


def test_the_constraint_refuses_a_concurrent_registration_of_the_same_document(zone):
    counter.register_profile(get_user_model().objects.create_user("a"), id_number=PASSPORT, id_type=ID_PASSPORT)
    with pytest.raises(counter.BusinessError) as caught:
        counter.register_profile(get_user_model().objects.create_user("b"), id_number=PASSPORT, id_type=ID_PASSPORT)
    assert caught.value.status == 409 and caught.value.problems[0].en.startswith("This identity document")


# ---------------------------------------------------------------- the window


def find(client, id_type, number):
    return client.post(reverse("web:intake"), {"id_type": id_type, "id_number": number})


def test_the_window_opens_an_account_for_a_residence_permit_holder_and_finds_it_again(client, zone):
    client.force_login(zone.clerk)
    page = text(client.get(reverse("web:intake")))
    assert 'id="f-id_type"' in page and '<option value="resident" selected>' in page
    assert find(client, ID_HMT_RESIDENCE, HK_RESIDENCE).status_code == 302
    assert HK_RESIDENCE not in str(dict(client.session))  # kept encrypted in the session
    page = text(client.get(reverse("web:intake")))
    assert 'id="no-account"' in page and "港澳台居民居住证" in page and "8100**********0019" in page
    assert HK_RESIDENCE not in page
    response = client.post(reverse("web:intake_applicant"), {"name": "陈大文", "phone": PHONE})
    assert response.status_code == 302, text(response)[:3000]
    profile = Profile.objects.get(id_digest=counter.document_digest(ID_HMT_RESIDENCE, HK_RESIDENCE))
    assert profile.at_counter and profile.id_type == ID_HMT_RESIDENCE and HK_RESIDENCE not in stored(profile)
    event = AuditEvent.objects.filter(action="user.registered_at_window").latest("id")
    assert event.after["id_type"] == ID_HMT_RESIDENCE and HK_RESIDENCE not in json.dumps(event.after)
    page = text(english(client).get(reverse("web:intake")))
    assert 'id="applicant-id-type">Residence permit for Hong Kong, Macao and Taiwan residents<' in page
    assert 'id="applicant-id">8100**********0019<' in page
    # the same number read as a resident card is refused, saying which type it is
    client.get(reverse("web:intake") + "?restart=1")
    response = find(client, ID_RESIDENT, HK_RESIDENCE)
    assert response.status_code == 422 and "choose that document type" in text(response)
    # found again by its type and number; the application names the document
    assert find(client, ID_HMT_RESIDENCE, HK_RESIDENCE).status_code == 302
    assert client.post(reverse("web:intake_start"), {"service": ESTABLISHMENT}).status_code == 302
    intake = Intake.objects.latest("id")
    assert intake.applicant == profile.user
    page = text(client.get(reverse("web:intake_tasks", args=[intake.ref])))
    assert "Residence permit for Hong Kong, Macao and Taiwan residents 8100**********0019" in page
    # and a second account for the same document is refused
    with pytest.raises(counter.BusinessError) as caught:
        counter.create_applicant(zone.clerk, name="陈", id_type=ID_HMT_RESIDENCE, id_number=HK_RESIDENCE, phone=PHONE)
    assert caught.value.status == 409 and "该证件号码已有账户" in caught.value.problems[0].zh


def test_the_window_finds_an_online_registration_by_travel_permit(client, zone):
    assert register(client, id_type=ID_HM_PERMIT, id_number="h1234567(8)").status_code == 302
    client.force_login(zone.clerk)
    assert find(client, ID_HM_PERMIT, HM_PERMIT).status_code == 302
    page = text(client.get(reverse("web:intake")))
    assert 'id="applicant-name">陈大文<' in page and 'id="applicant-id">H******78<' in page
    assert "港澳居民来往内地通行证" in page and HM_PERMIT not in page
    # the same number as a passport is somebody else's document: nobody holds it yet
    client.get(reverse("web:intake") + "?restart=1")
    assert find(client, ID_PASSPORT, HM_PERMIT).status_code == 302
    assert 'id="no-account"' in text(client.get(reverse("web:intake")))


def test_a_wrong_number_at_the_window_is_refused_beside_its_field_keeping_the_type(client, zone):
    client.force_login(zone.clerk)
    response = english(client).post(reverse("web:intake"), {"id_type": ID_TW_PERMIT, "id_number": "T1"})
    body = text(response)
    assert response.status_code == 422 and 'href="#f-id_number"' in body and "has 8 digits" in body
    assert f'<option value="{ID_TW_PERMIT}" selected>' in body


def test_a_session_from_before_document_types_is_a_resident_card(client, zone):
    client.force_login(zone.clerk)
    session = client.session
    session["zimao.intake.person"] = protected.encrypt_text("11010519491231002X")  # the demo applicant's
    session.save()
    assert 'id="applicant-name">李明<' in text(client.get(reverse("web:intake")))


def test_the_window_adds_a_passport_to_an_account_registered_without_a_document(client, zone):
    profile = old_account()
    client.force_login(zone.clerk)
    assert find(client, ID_PASSPORT, PASSPORT).status_code == 302
    client.post(reverse("web:intake_phone"), {"phone": "13712345678"})
    client.post(reverse("web:intake_attach"), {"account": profile.pk})
    response = client.post(reverse("web:intake_attach"), {"action": "confirm", "code": attach_code()})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert (profile.id_type, profile.id_masked) == (ID_PASSPORT, "E******78")
    assert counter.find_applicant(PASSPORT, ID_PASSPORT) == profile
    event = AuditEvent.objects.filter(action="user.id_attached").latest("id")
    assert event.after == {"id_number": "E******78", "id_type": ID_PASSPORT}


def test_a_walk_in_with_a_passport_claims_the_account_by_type_number_and_phone(client, zone):
    counter.create_applicant(zone.clerk, name="Smith", id_type=ID_PASSPORT, id_number=PASSPORT, phone=PHONE)
    page = text(client.get(reverse("web:claim")))
    assert 'id="c-id_type"' in page and "护照" in page
    # the right number under another type finds nothing (and says the same)
    data = {"step": "find", "id_number": PASSPORT, "phone": PHONE}
    assert client.post(reverse("web:claim"), {**data, "id_type": ID_TW_PERMIT}).status_code == 302
    assert not sandbox_messages(purpose=counter.CLAIM_PURPOSE).exists()
    client.post(reverse("web:claim"), {"step": "restart"})
    assert client.post(reverse("web:claim"), {**data, "id_type": ID_PASSPORT}).status_code == 302
    message = sandbox_messages(to=PHONE, purpose=counter.CLAIM_PURPOSE).first()
    assert message and re.search(r"\d{6}", message.text)


# ---------------------------------------------------------------- the account page


def test_the_account_page_shows_the_document_type_and_masked_number(client, zone):
    assert client.get(reverse("web:account")).status_code == 302  # log in first
    assert register(client, id_type=ID_HMT_RESIDENCE, id_number=HK_RESIDENCE).status_code == 302
    client.force_login(get_user_model().objects.get(username="hk-investor"))
    page = text(client.get(reverse("web:account")))
    assert 'id="account-id-type">港澳台居民居住证<' in page and 'id="account-id">8100**********0019<' in page
    assert 'id="account-phone">136****5678<' in page and HK_RESIDENCE not in page and PHONE not in page
    assert 'data-nav="account"' in page
    page = text(english(client).get(reverse("web:account")))
    assert "Residence permit for Hong Kong, Macao and Taiwan residents" in page


def test_the_account_page_of_an_account_without_a_document_says_how_to_add_one(client, zone):
    client.force_login(old_account().user)
    page = text(client.get(reverse("web:account")))
    assert 'id="account-no-id"' in page and 'id="account-id-type">—<' in page


# ---------------------------------------------------------------- the data migration


def test_existing_identity_numbers_are_typed_resident_cards_in_the_migration(zone):
    import importlib

    from django.apps import apps

    with_number = Profile.objects.get(user__username="applicant")  # the demo applicant's, a resident card
    without = old_account()
    Profile.objects.filter(pk__in=[with_number.pk, without.pk]).update(id_type="")
    digest = with_number.id_digest
    migration = importlib.import_module("zimao.web.migrations.0004_profile_id_document_type")
    migration.type_existing_documents(apps, None)
    with_number.refresh_from_db()
    without.refresh_from_db()
    assert (with_number.id_type, with_number.id_digest, without.id_type) == (ID_RESIDENT, digest, "")
    assert counter.find_applicant("11010519491231002X") == with_number  # found as before
