"""The identity number on file for every account: online registration asks for it (GB 11643,
protected, one account per number, refused without saying whose); an account registered before
that is found at the window by its phone and gets the number only with the code sent to that
phone; abandoned counter intakes are swept after the retention period."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from zimao.cases.models import Material
from zimao.core import protected
from zimao.core.errors import BusinessError
from zimao.core.models import AuditEvent
from zimao.core.sms import sandbox_messages
from zimao.testing import ESTABLISHMENT
from zimao.web import intake as counter
from zimao.web.models import Intake, Profile
from zimao.web.tests.test_intake import DEMO_ID, confirm, english, fill_and_scan, latest_code, ready, start_intake, text

pytestmark = pytest.mark.django_db

ONLINE_ID = "440524199001010018"
OTHER_ID = "110105198001010024"
ONLINE_PHONE = "13712345678"
PASSWORD = "a-Long-passphrase-2026"


def register(client, username="online", id_number=ONLINE_ID, phone=ONLINE_PHONE, address="203.0.113.20", **extra):
    return client.post(
        "/register/",
        {
            "username": username,
            "first_name": "孙小美",
            "id_number": id_number,
            "phone": phone,
            "password1": PASSWORD,
            "password2": PASSWORD,
            **extra,
        },
        REMOTE_ADDR=address,
    )


def old_account(username="early", phone=ONLINE_PHONE, name="孙小美") -> Profile:
    """An account registered online before the identity number was asked for."""
    user = get_user_model().objects.create_user(username, password=PASSWORD, first_name=name)
    return Profile.objects.create(user=user, **counter.phone_fields(phone))


# ---------------------------------------------------------------- online registration


def test_registration_stores_the_identity_number_protected_and_the_window_finds_it(client, zone):
    assert 'id="id_id_number"' in text(client.get("/register/"))
    response = register(client, id_number=ONLINE_ID.lower()[:-1] + "8")
    assert response.status_code == 302, text(response)[:3000]
    profile = Profile.objects.get(user__username="online")
    assert profile.id_number == ONLINE_ID and profile.id_masked == "4405**********0018"
    assert profile.id_digest == protected.lookup_digest(ONLINE_ID)
    assert profile.phone_digest == protected.lookup_digest(ONLINE_PHONE) and not profile.at_counter
    assert counter.find_applicant(ONLINE_ID) == profile
    event = AuditEvent.objects.filter(action="user.registered").latest("id")
    assert ONLINE_ID not in json.dumps(event.after) and event.after["id_number"] == "4405**********0018"


@pytest.mark.parametrize(
    "language,value,message",
    [
        ("en", "440524199001010011", "check"),
        ("en", "12345", "18"),
    ],
)
def test_a_missing_or_wrong_identity_number_is_refused_beside_its_field(client, zone, language, value, message):
    client.cookies["django_language"] = language
    response = register(client, id_number=value)
    body = text(response)
    assert response.status_code == 200 and 'href="#id_id_number"' in body
    assert message.lower() in body.lower()
    assert f'value="{value}"' not in body or not value  # the typed number is not shown back
    assert not get_user_model().objects.filter(username="online").exists()


def test_an_applicant_without_a_mainland_identity_card_registers_without_a_number(client, zone):
    """Foreign, Hong Kong, Macao and Taiwan applicants hold no resident identity card: the number is
    optional, and two such accounts do not collide on an empty number; the window finds them by phone."""
    assert register(client, username="foreign-investor", id_number="").status_code == 302
    assert register(client, username="second-investor", id_number="", phone="13912345678").status_code == 302
    profiles = Profile.objects.filter(user__username__in=["foreign-investor", "second-investor"])
    assert [(p.id_number, p.id_digest) for p in profiles] == [("", ""), ("", "")]


def test_one_account_per_identity_number_refused_in_both_languages_without_naming_the_account(client, zone):
    assert register(client, username="sunxiaomei1990").status_code == 302
    for language, words in (
        ("zh-hans", "该身份证号码不能用于开立新账户"),
        ("en", "cannot be used to open a new account"),
    ):
        client.cookies["django_language"] = language
        response = register(client, username=f"second-{language}", phone="13600000000", first_name="钱二")
        body = text(response)
        assert response.status_code == 409 and words in body and 'href="#id_id_number"' in body
        # nothing about the other account: not its username, name, phone or how it was opened
        for leak in ("sunxiaomei1990", "孙小美", "137****5678", ONLINE_PHONE, "walkin", "窗口为您开立的账户已"):
            assert leak not in body
    assert get_user_model().objects.filter(username__startswith="second").count() == 0
    assert Profile.objects.filter(id_digest=protected.lookup_digest(ONLINE_ID)).count() == 1
    # the demo applicant's number, held by an account the window opened: the same answer
    client.cookies["django_language"] = "en"
    assert "cannot be used to open a new account" in text(register(client, username="third", id_number=DEMO_ID))


def test_asking_whether_numbers_are_taken_spends_the_registration_allowance(client, zone, settings):
    from zimao.core import throttle

    assert register(client).status_code == 302
    for i in range(throttle.registration_limit() - 1):
        assert register(client, username=f"probe{i}").status_code == 409
    assert register(client, username="probe-last", id_number=OTHER_ID).status_code == 429


def test_a_concurrent_registration_of_the_same_number_is_refused_by_the_constraint(zone):
    first = get_user_model().objects.create_user("first")
    counter.register_profile(first, id_number=ONLINE_ID)
    second = get_user_model().objects.create_user("second")
    with pytest.raises(BusinessError) as caught:
        counter.register_profile(second, id_number=ONLINE_ID)
    assert caught.value.status == 409 and caught.value.problems[0].code == "taken"


def test_existing_phones_get_their_digest_in_the_migration(zone):
    import importlib

    from django.apps import apps

    profile = old_account()
    Profile.objects.filter(pk=profile.pk).update(phone_digest="")
    migration = importlib.import_module("zimao.web.migrations.0003_profile_phone_digest")
    migration.digest_existing_phones(apps, None)
    profile.refresh_from_db()
    assert profile.phone_digest == protected.lookup_digest(ONLINE_PHONE)


# ---------------------------------------------------------------- attaching the number at the window


def at_window(client, zone, id_number=ONLINE_ID):
    client.force_login(zone.clerk)
    assert client.post(reverse("web:intake"), {"id_number": id_number}).status_code == 302


def attach_code() -> str:
    message = sandbox_messages(to=ONLINE_PHONE, purpose=counter.ATTACH_PURPOSE).first()
    return re.search(r"\d{6}", message.text).group(0)


def test_the_clerk_finds_an_account_without_identity_number_by_phone_and_attaches_it_with_the_code(client, zone):
    profile = old_account()
    taken = old_account("someone-else", name="周大")
    Profile.objects.filter(pk=taken.pk).update(**counter.identity_fields(OTHER_ID))  # another person's: never offered
    at_window(client, zone)
    body = text(client.get(reverse("web:intake")))
    assert 'id="phone-form"' in body and 'id="register-form"' in body
    assert client.post(reverse("web:intake_phone"), {"phone": ONLINE_PHONE}).status_code == 302
    body = text(client.get(reverse("web:intake")))
    assert "孙**" in body and "137****5678" in body and "周*" not in body
    for raw in (ONLINE_PHONE, ONLINE_ID, "孙小美", "early"):
        assert raw not in body
    assert client.post(reverse("web:intake_attach"), {"account": profile.pk}).status_code == 302
    assert 'id="attach-form"' in text(client.get(reverse("web:intake")))
    code = attach_code()
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(reverse("web:intake_attach"), {"action": "confirm", "code": wrong})
    assert response.status_code == 422 and "4" in text(response)
    profile.refresh_from_db()
    assert profile.id_digest == "" and profile.code_attempts == 1
    assert client.post(reverse("web:intake_attach"), {"action": "confirm", "code": code}).status_code == 302
    profile.refresh_from_db()
    assert profile.id_number == ONLINE_ID and profile.id_masked == "4405**********0018" and profile.code_hash == ""
    body = text(client.get(reverse("web:intake")))
    assert 'id="start-form"' in body and "4405**********0018" in body  # now found by identity number
    event = AuditEvent.objects.filter(action="user.id_attached").latest("id")
    assert event.after == {"id_number": "4405**********0018"}
    # and the intake goes on for that account
    response = client.post(reverse("web:intake_start"), {"service": ESTABLISHMENT})
    assert Intake.objects.latest("id").applicant == profile.user


def test_no_code_no_attachment_and_no_stranger_by_account_number(client, zone):
    profile = old_account()
    stranger = old_account("stranger", phone="13500000000")
    at_window(client, zone)
    client.post(reverse("web:intake_phone"), {"phone": ONLINE_PHONE})
    # confirming before any code went out, or guessing: refused
    response = client.post(reverse("web:intake_attach"), {"action": "confirm", "code": "123456"})
    assert response.status_code in (404, 422)
    # an account number not found by that phone: 404, no code to the stranger's phone
    english(client)
    response = client.post(reverse("web:intake_attach"), {"account": stranger.pk})
    assert response.status_code == 404 and "No account without an identity number uses this mobile number" in text(
        response
    )
    assert not sandbox_messages(to="13500000000", purpose=counter.ATTACH_PURPOSE).exists()
    profile.refresh_from_db()
    stranger.refresh_from_db()
    assert profile.id_digest == "" and stranger.id_digest == ""


def test_a_wrong_phone_is_refused_in_both_languages_and_an_unknown_one_finds_nobody(client, zone):
    at_window(client, zone)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("web:intake_phone"), {"phone": "12345"})
    assert response.status_code == 422 and "请填写申请人注册时使用的11位手机号码" in text(response)
    assert 'href="#f-find_phone"' in text(response)
    english(client)
    response = client.post(reverse("web:intake_phone"), {"phone": "12345"})
    assert "Enter the 11-digit mobile number the applicant registered with" in text(response)
    client.post(reverse("web:intake_phone"), {"phone": "13300000000"})
    assert 'id="phone-none"' in text(client.get(reverse("web:intake")))


def test_the_number_taken_meanwhile_is_not_attached(client, zone):
    profile = old_account()
    at_window(client, zone)
    client.post(reverse("web:intake_phone"), {"phone": ONLINE_PHONE})
    client.post(reverse("web:intake_attach"), {"account": profile.pk})
    counter.register_profile(get_user_model().objects.create_user("quick"), id_number=ONLINE_ID)
    response = client.post(reverse("web:intake_attach"), {"action": "confirm", "code": attach_code()})
    assert response.status_code == 409
    profile.refresh_from_db()
    assert profile.id_digest == ""


def test_opening_a_second_account_on_a_phone_with_an_account_without_number_needs_the_clerks_word(client, zone):
    old_account()
    at_window(client, zone)
    data = {"name": "孙小美", "phone": ONLINE_PHONE}
    response = client.post(reverse("web:intake_applicant"), data)
    body = text(response)
    assert response.status_code == 409 and "如是申请人本人的，请按手机号码查找并登记身份证号码" in body
    assert 'id="f-phone_shared"' in body and ONLINE_PHONE not in body
    english(client)
    assert "find it by phone and add the number" in text(client.post(reverse("web:intake_applicant"), data))
    assert not Profile.objects.filter(id_digest=protected.lookup_digest(ONLINE_ID)).exists()
    response = client.post(reverse("web:intake_applicant"), {**data, "phone_shared": "1"})
    assert response.status_code == 302
    assert Profile.objects.get(id_digest=protected.lookup_digest(ONLINE_ID)).at_counter


# ---------------------------------------------------------------- abandoned intakes


def test_abandoned_intakes_and_their_scans_are_swept_after_the_retention_period(client, zone, settings):
    settings.INTAKE_RETENTION_HOURS = 24
    abandoned = start_intake(client, zone.clerk)
    fill_and_scan(client, abandoned)
    scans = [m["id"] for m in Intake.objects.get(pk=abandoned.pk).materials.values()]
    assert Material.objects.filter(pk__in=scans, case__isnull=True).count() == 3
    recent = start_intake(client, zone.clerk)
    done = ready(client, zone)
    assert confirm(client, done, latest_code("13812345678")).status_code == 302
    long_ago = timezone.now() - timedelta(hours=25)
    Intake.objects.filter(pk__in=[abandoned.pk, done.pk]).update(created_at=long_ago)
    out = StringIO()
    call_command("intake", "sweep", stdout=out)
    assert json.loads(out.getvalue()) == {"intakes_deleted": 1}
    assert not Intake.objects.filter(pk=abandoned.pk).exists()
    assert not Material.objects.filter(pk__in=scans).exists()
    assert Intake.objects.filter(pk=recent.pk).exists()  # within the period
    kept = Intake.objects.get(pk=done.pk)  # confirmed: the record of what was filed
    assert kept.case_number and Material.objects.filter(case__number=kept.case_number).exists()
    assert AuditEvent.objects.filter(action="intake.expired").count() == 1
    settings.INTAKE_RETENTION_HOURS = 0
    assert counter.sweep_abandoned() == 1  # a shorter setting sweeps the recent one too


def test_the_sweep_keeps_an_intake_confirmed_after_it_was_listed(client, zone, settings):
    intake = ready(client, zone)
    Intake.objects.filter(pk=intake.pk).update(created_at=timezone.now() - timedelta(hours=30))
    confirm(client, intake, latest_code("13812345678"))
    assert counter.sweep_abandoned() == 0 and Intake.objects.filter(pk=intake.pk).exists()
