"""Counter intake (前台综合受理) through Django's test client: the window clerk finds or opens the
applicant's account by identity number (masked on every page), fills the catalogue form and scans
the materials for them, and the applicant's one-time code submits the case — once — with the
clerk named as agent (代办). And where people land after logging in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from zimao.cases.models import Case
from zimao.core import audit
from zimao.core.sms import sandbox_messages
from zimao.testing import ESTABLISHMENT, PDF, application
from zimao.web import intake as counter
from zimao.web.models import Intake, Profile

pytestmark = pytest.mark.django_db

DEMO_ID = "11010519491231002X"  # the demo applicant 李明's
DEMO_PHONE = "13812345678"
NEW_ID = "440524188001010014"  # GB 11643's other sample
NEW_PHONE = "13912345678"


def text(response) -> str:
    return response.content.decode()


def as_post(values: dict) -> dict:
    return {k: ([str(x) for x in v] if isinstance(v, list) else str(v)) for k, v in values.items()}


def english(client):
    client.cookies["django_language"] = "en"
    return client


def latest_code(phone: str) -> str:
    message = sandbox_messages(to=phone, purpose=counter.PURPOSE).first()
    return re.search(r"\d{6}", message.text).group(0)


def start_intake(client, clerk, id_number=DEMO_ID, code=ESTABLISHMENT) -> Intake:
    client.force_login(clerk)
    response = client.post(reverse("web:intake"), {"id_number": id_number})
    assert response.status_code == 302, text(response)[:2000]
    response = client.post(reverse("web:intake_start"), {"service": code})
    assert response.status_code == 302, text(response)[:2000]
    return Intake.objects.latest("id")


def fill_and_scan(client, intake: Intake, trade_name="柜台", **sections) -> None:
    ref = intake.ref
    for key, values in application(trade_name, **sections).items():
        response = client.post(reverse("web:intake_section", args=[ref, key]), as_post(values))
        assert response.status_code == 302, (key, text(response)[:3000])
    files = {
        f"file-{k}": SimpleUploadedFile(f"{k}.pdf", PDF, "application/pdf") for k in ("articles", "id_copy", "premises")
    }
    response = client.post(reverse("web:intake_materials", args=[ref]), files)
    assert response.status_code == 302, text(response)[:3000]


def send_code(client, intake: Intake, delivery="window"):
    return client.post(reverse("web:intake_check", args=[intake.ref]), {"delivery_method": delivery})


def ready(client, zone, **sections) -> Intake:
    intake = start_intake(client, zone.clerk)
    fill_and_scan(client, intake, **sections)
    response = send_code(client, intake)
    assert response.status_code == 302, text(response)[:3000]
    return intake


def confirm(client, intake: Intake, code: str):
    return client.post(reverse("web:intake_confirm", args=[intake.ref]), {"code": code})


# ---------------------------------------------------------------- finding and opening accounts


def test_the_clerk_finds_the_applicant_by_identity_number_and_sees_it_masked(client, zone):
    client.force_login(zone.clerk)
    response = client.post(reverse("web:intake"), {"id_number": DEMO_ID.lower()})
    assert response.status_code == 302
    page = text(client.get(reverse("web:intake")))
    assert "李明" in page and "1101**********002X" in page and "138****5678" in page
    assert DEMO_ID not in page and DEMO_PHONE not in page
    # the number waits in the clerk's session encrypted, never as typed
    assert DEMO_ID not in str(dict(client.session))


def test_an_invalid_identity_number_is_refused_in_both_languages(client, zone):
    client.force_login(zone.clerk)
    response = client.post(reverse("web:intake"), {"id_number": "110105194912310021"})
    assert response.status_code == 422
    assert 'href="#f-id_number"' in text(response) and "校验" in text(response)
    response = english(client).post(reverse("web:intake"), {"id_number": ""})
    assert response.status_code == 422 and "Enter the identity number" in text(response)


def test_a_walk_in_gets_an_account_with_a_protected_phone_and_no_usable_password(client, zone):
    client.force_login(zone.clerk)
    client.post(reverse("web:intake"), {"id_number": NEW_ID})
    page = text(client.get(reverse("web:intake")))
    assert "4405**********0014" in page and 'id="register-form"' in page
    response = client.post(reverse("web:intake_applicant"), {"name": "赵六", "phone": "123"})
    assert response.status_code == 422 and 'href="#f-phone"' in text(response)
    response = client.post(reverse("web:intake_applicant"), {"name": "赵六", "phone": NEW_PHONE})
    assert response.status_code == 302
    profile = Profile.objects.get(id_digest=counter.protected.lookup_digest(NEW_ID))
    assert profile.at_counter and profile.user.first_name == "赵六"
    assert not profile.user.has_usable_password()
    assert profile.phone == NEW_PHONE and profile.id_masked == "4405**********0014"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, id_number FROM web_profile WHERE id = %s", [profile.pk])
        phone, id_number = cursor.fetchone()
    assert NEW_PHONE not in phone and NEW_ID not in id_number  # encrypted at rest
    page = text(client.get(reverse("web:intake")))
    assert "赵六" in page and "139****5678" in page and NEW_PHONE not in page
    # the same number twice is one account
    with pytest.raises(counter.BusinessError):
        counter.create_applicant(zone.clerk, name="赵六", id_number=NEW_ID, phone=NEW_PHONE)


# ---------------------------------------------------------------- who may


@pytest.mark.parametrize("who", ["applicant", "reviewer", "admin"])
def test_only_window_clerks_take_applications_at_the_counter(client, zone, who):
    intake = counter.start(zone.clerk, zone.applicant, ESTABLISHMENT)
    client.force_login(getattr(zone, who))
    for url in (
        reverse("web:intake"),
        reverse("web:intake_tasks", args=[intake.ref]),
        reverse("web:intake_check", args=[intake.ref]),
    ):
        assert client.get(url).status_code == 403, (who, url)
    assert client.post(reverse("web:intake_confirm", args=[intake.ref]), {"code": "000000"}).status_code == 403


def test_anonymous_is_sent_to_log_in(client, zone):
    response = client.get(reverse("web:intake"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("web:login"))


# ---------------------------------------------------------------- the code


def test_the_right_code_submits_once_as_the_applicant_with_the_clerk_as_agent(client, zone):
    intake = ready(client, zone)
    message = sandbox_messages(to=DEMO_PHONE, purpose=counter.PURPOSE).first()
    assert message.phone_masked == "138****5678"
    code = latest_code(DEMO_PHONE)
    intake.refresh_from_db()
    assert intake.code_hash and code not in intake.code_hash  # only its keyed hash is kept
    response = confirm(client, intake, code)
    assert response.status_code == 302 and response["Location"] == reverse("web:intake_done", args=[intake.ref])
    again = confirm(client, intake, code)  # a double submit
    assert again.status_code == 302
    assert counter.confirm(intake.ref, zone.clerk, code).number == Case.objects.get().number
    case = Case.objects.get()
    assert case.applicant == zone.applicant and case.channel == "window" and case.delivery_method == "window"
    submitted = next(e for e in audit.history("cases.case", case.pk) if e.action == "case.submitted")
    assert submitted.actor == "applicant" and submitted.after["agent_username"] == "clerk"
    page = text(client.get(reverse("web:intake_done", args=[intake.ref])))
    assert case.number in page
    # the applicant follows it online like any other, the 代办 in its history
    client.force_login(zone.applicant)
    assert case.number in text(client.get(reverse("web:cases")))
    page = text(client.get(reverse("web:case", args=[case.number])))
    assert "代办" in page and "赵敏" in page  # the clerk by name (demo officers have names)


def test_a_wrong_code_counts_and_five_wrong_codes_void_it(client, zone):
    intake = ready(client, zone)
    code = latest_code(DEMO_PHONE)
    wrong = "000000" if code != "000000" else "111111"
    response = confirm(client, intake, wrong)
    assert response.status_code == 422 and "还可以再试4次" in text(response)
    response = english(client).post(reverse("web:intake_confirm", args=[intake.ref]), {"code": wrong})
    assert response.status_code == 422 and "3 attempts left" in text(response)
    for _ in range(3):
        response = confirm(client, intake, wrong)
    assert "Too many wrong codes" in text(response)
    assert confirm(client, intake, code).status_code == 422  # even the right one: it is void now
    assert not Case.objects.exists()
    # a new code works
    assert send_code(client, intake).status_code == 302
    assert confirm(client, intake, latest_code(DEMO_PHONE)).status_code == 302
    assert Case.objects.count() == 1


def test_an_expired_code_is_refused(client, zone):
    intake = ready(client, zone)
    code = latest_code(DEMO_PHONE)
    Intake.objects.filter(pk=intake.pk).update(code_expires_at=timezone.now() - timedelta(seconds=1))
    response = english(client).post(reverse("web:intake_confirm", args=[intake.ref]), {"code": code})
    assert response.status_code == 422 and "The code has expired" in text(response)
    assert not Case.objects.exists()


def test_no_code_is_sent_for_an_incomplete_application(client, zone):
    intake = start_intake(client, zone.clerk)
    response = send_code(client, intake)
    assert response.status_code == 422
    assert not sandbox_messages(purpose=counter.PURPOSE).exists()


def test_the_sms_code_is_never_logged_by_the_log_gateway(client, zone, settings, caplog):
    settings.SMS_BACKEND = "zimao.core.sms.LogGateway"
    with caplog.at_level("INFO", logger="zimao.sms"):
        ready(client, zone)
    assert "[redacted]" in caplog.text and DEMO_PHONE not in caplog.text


# ---------------------------------------------------------------- landing after log-in


@pytest.mark.parametrize(
    ("who", "where"),
    [("clerk", "web:workbench"), ("reviewer", "web:workbench"), ("admin", "web:workbench"), ("applicant", "web:cases")],
)
def test_people_land_where_they_work_after_logging_in(client, zone, who, where):
    response = client.post(reverse("web:login"), {"username": who, "password": "zimao-demo-2026"})
    assert response.status_code == 302 and response["Location"] == reverse(where)


def test_bonded_customs_land_on_the_bonded_zone_and_staff_on_the_administration(client, zone):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from zimao.bonded.access import CUSTOMS_GROUP

    User = get_user_model()
    customs = User.objects.create_user("customs-x", password="Zimao-secure-2026")
    customs.groups.add(Group.objects.get_or_create(name=CUSTOMS_GROUP)[0])
    User.objects.create_user("staff-x", password="Zimao-secure-2026", is_staff=True)
    response = client.post(reverse("web:login"), {"username": "customs-x", "password": "Zimao-secure-2026"})
    assert response["Location"] == reverse("bonded:home")
    client.logout()
    response = client.post(reverse("web:login"), {"username": "staff-x", "password": "Zimao-secure-2026"})
    assert response["Location"] == reverse("admin:index")


def test_a_safe_next_still_wins_and_an_unsafe_one_does_not(client, zone):
    response = client.post(
        reverse("web:login") + "?next=/window/", {"username": "clerk", "password": "zimao-demo-2026"}
    )
    assert response["Location"] == "/window/"
    client.logout()
    response = client.post(
        reverse("web:login") + "?next=https://evil.example/", {"username": "clerk", "password": "zimao-demo-2026"}
    )
    assert response["Location"] == reverse("web:workbench")


# ---------------------------------------------------------------- claiming the account online


def claim_code(client, id_number=NEW_ID, phone=NEW_PHONE):
    response = client.post(reverse("web:claim"), {"step": "find", "id_number": id_number, "phone": phone})
    assert response.status_code == 302
    message = sandbox_messages(to=phone, purpose=counter.CLAIM_PURPOSE).first()
    return re.search(r"\d{6}", message.text).group(0) if message else None


def test_a_walk_in_claims_the_account_by_phone_and_sees_the_case_online(client, zone):
    profile = counter.create_applicant(zone.clerk, name="赵六", id_number=NEW_ID, phone=NEW_PHONE)
    intake = counter.start(zone.clerk, profile.user, ESTABLISHMENT)
    client.force_login(zone.clerk)
    fill_and_scan(client, intake)
    assert send_code(client, intake).status_code == 302
    assert confirm(client, intake, latest_code(NEW_PHONE)).status_code == 302
    number = Case.objects.get().number
    client.logout()

    # a stranger's guess gets the same answer and no message
    response = client.post(reverse("web:claim"), {"step": "find", "id_number": NEW_ID, "phone": "13700000000"})
    assert response.status_code == 302 and not sandbox_messages(purpose=counter.CLAIM_PURPOSE).exists()
    page = text(client.get(reverse("web:claim")))
    assert 'id="claim-form"' in page
    wrong = client.post(
        reverse("web:claim"),
        {
            "step": "claim",
            "code": "123456",
            "username": "zhaoliu",
            "password1": "Zimao-secure-2026",
            "password2": "Zimao-secure-2026",
        },
    )
    assert wrong.status_code == 422
    client.post(reverse("web:claim"), {"step": "restart"})

    code = claim_code(client)
    response = client.post(
        reverse("web:claim"),
        {
            "step": "claim",
            "code": code,
            "username": "zhaoliu",
            "password1": "Zimao-secure-2026",
            "password2": "Zimao-secure-2026",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:login")
    response = client.post(reverse("web:login"), {"username": "zhaoliu", "password": "Zimao-secure-2026"})
    assert response["Location"] == reverse("web:cases")
    assert number in text(client.get(reverse("web:cases")))
    assert "代办" in text(client.get(reverse("web:case", args=[number])))
    # claimed once: the code does not open it again
    client.logout()
    assert claim_code(client) == code  # no new message: the account has a password now


def test_a_claim_code_expires(client, zone):
    counter.create_applicant(zone.clerk, name="赵六", id_number=NEW_ID, phone=NEW_PHONE)
    code = claim_code(client)
    Profile.objects.filter(id_digest=counter.protected.lookup_digest(NEW_ID)).update(
        code_expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = english(client).post(
        reverse("web:claim"),
        {
            "step": "claim",
            "code": code,
            "username": "zhaoliu",
            "password1": "Zimao-secure-2026",
            "password2": "Zimao-secure-2026",
        },
    )
    assert response.status_code == 422 and "The code has expired" in text(response)
    assert Profile.objects.get(id_digest=counter.protected.lookup_digest(NEW_ID)).user.has_usable_password() is False
