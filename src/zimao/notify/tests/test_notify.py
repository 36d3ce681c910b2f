"""Notifications — 消息通知: what the applicant is told when the engine announces a correction
request, a decision or an issued result; through the centre, e-mail and SMS; each once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from zimao.cases import services as engine
from zimao.cases.models import Case
from zimao.core import events, sms
from zimao.core.models import OutboxEvent, SandboxSms
from zimao.notify import services
from zimao.notify.models import Delivery, Notification
from zimao.testing import submit

PHONE = "13912345678"


@pytest.fixture
def applicant(zone):
    from zimao.core.protected import mask_phone
    from zimao.web.models import Profile

    user = zone.applicant
    user.email = "applicant@example.cn"
    user.save(update_fields=["email"])
    Profile.objects.update_or_create(user=user, defaults={"phone": PHONE, "phone_masked": mask_phone(PHONE)})
    return user


def review_case(zone, applicant):
    """A case that stops for the reviewer (custom articles of association)."""
    case = submit(applicant, registration={"articles": "custom"}).case
    return case, case.tasks.get(key="registration")


def test_a_correction_request_reaches_the_centre_the_mailbox_and_the_phone(zone, applicant):
    case, task = review_case(zone, applicant)
    mail.outbox.clear()
    engine.decide(task.pk, zone.reviewer, "correct", "请补充章程第五条 <盖章>")

    row = Notification.objects.get(user=applicant, kind="correction_requested")
    assert row.case_number == case.number
    assert row.subject_zh == f"办件 {case.number} 需要您补正材料"
    assert row.subject_en == f"Case {case.number}: please correct your application"
    assert "请补充章程第五条 <盖章>" in row.body_zh and "What is needed: 请补充章程第五条" in row.body_en

    [message] = mail.outbox
    assert message.to == ["applicant@example.cn"]
    # No language chosen: both, Chinese first.
    assert message.subject == f"办件 {case.number} 需要您补正材料 / Case {case.number}: please correct your application"
    assert message.body.index("补正要求") < message.body.index("What is needed")
    assert "&lt;" not in message.body  # plain text, not HTML-escaped
    assert f"/cases/{case.number}/" in message.body

    [text] = sms.sandbox_messages(PHONE, purpose="notify.correction_requested")
    assert case.number in text.text and text.phone_masked == "139****5678"
    # What was sent is recorded with the address masked only.
    assert set(Delivery.objects.filter(user=applicant).values_list("channel", "address_masked")) == {
        ("email", "a***@example.cn"),
        ("sms", "139****5678"),
    }


def test_a_second_correction_request_is_a_second_message(zone, applicant):
    case, task = review_case(zone, applicant)
    engine.decide(task.pk, zone.reviewer, "correct", "第一次")
    engine.answer_correction(case.number, applicant, "已补充")
    engine.decide(task.pk, zone.reviewer, "correct", "第二次")
    assert Notification.objects.filter(user=applicant, kind="correction_requested").count() == 2


def test_a_refusal_says_why_and_how_to_appeal(zone, applicant):
    case, task = review_case(zone, applicant)
    mail.outbox.clear()
    engine.decide(task.pk, zone.reviewer, "refuse", "经营范围含禁止类项目")
    row = Notification.objects.get(user=applicant)
    assert row.kind == "refused" and row.subject_en == f"Case {case.number} was refused"
    assert "经营范围含禁止类项目" in row.body_zh and "行政复议" in row.body_zh
    assert "administrative reconsideration" in row.body_en
    assert [m.subject for m in mail.outbox] == [f"办件 {case.number} 不予许可 / Case {case.number} was refused"]
    assert sms.sandbox_messages(PHONE, purpose="notify.refused").count() == 1


def test_approved_and_issued_in_the_same_step_is_one_message_that_says_both(zone, applicant):
    case, task = review_case(zone, applicant)
    mail.outbox.clear()
    engine.decide(task.pk, zone.reviewer, "approve")
    assert Case.objects.get(pk=case.pk).status == "delivered"  # electronic: issued and delivered at once
    # The engine still announces both (the decision is a fact), the decision marked as issued with it.
    decided = OutboxEvent.objects.get(topic="case.decided", key=case.number)
    assert decided.payload["issued_in_same_step"] and decided.delivered
    [issued] = Notification.objects.filter(user=applicant)
    assert issued.kind == "issued" and issued.event_key == f"case.issued:{case.number}"
    assert issued.subject_zh == f"办件 {case.number} 已批准并出证"
    assert issued.subject_en == f"Case {case.number}: approved and issued"
    assert "已审核通过并出证" in issued.body_zh and "电子证照已可在办件页面查看" in issued.body_zh
    assert "was approved and the result issued" in issued.body_en
    [message] = mail.outbox
    assert message.subject.startswith(f"办件 {case.number} 已批准并出证")
    [text] = sms.sandbox_messages(PHONE)
    assert "已批准并出证" in text.text and text.purpose == "notify.issued"


def test_a_straight_through_case_is_told_once(zone, applicant):
    mail.outbox.clear()
    case = submit(applicant).case  # 秒批: no person between submission and the result
    assert Case.objects.get(pk=case.pk).status == "delivered"
    assert list(Notification.objects.filter(user=applicant).values_list("kind", flat=True)) == ["issued"]
    assert len(mail.outbox) == 1 and sms.sandbox_messages(PHONE).count() == 1


def test_a_decision_told_before_a_later_issue_keeps_both_messages(zone, applicant, monkeypatch):
    """The case is approved in one step and its result issued in a later one (no engine path
    does this today; a process whose issue waits would): two messages, the second the plain one."""
    from django.db import transaction

    from zimao.cases.workflow import CaseStatus

    case, task = review_case(zone, applicant)
    monkeypatch.setattr(engine, "schedule_advance", lambda case: None)  # the engine runs later
    engine.decide(task.pk, zone.reviewer, "approve")
    with transaction.atomic():  # the decision on its own, not inside an engine run
        engine.transition(Case.objects.select_for_update().get(pk=case.pk), CaseStatus.APPROVED, zone.reviewer)
    assert list(Notification.objects.filter(user=applicant).values_list("kind", flat=True)) == ["approved"]
    assert "issued_in_same_step" not in OutboxEvent.objects.get(topic="case.decided").payload

    engine.advance(case.pk)  # later: the engine issues the result
    assert Case.objects.get(pk=case.pk).status == "delivered"
    kinds = list(Notification.objects.filter(user=applicant).order_by("id").values_list("kind", flat=True))
    assert kinds == ["approved", "issued"]
    issued = Notification.objects.get(user=applicant, kind="issued")
    assert issued.subject_zh == f"办件 {case.number} 已出证" and "已审核通过" not in issued.body_zh
    assert sms.sandbox_messages(PHONE).count() == 2


@pytest.mark.parametrize(
    ("topic", "status", "method", "kind", "subject_zh", "subject_en", "sms_zh"),
    [
        ("case.decided", "rejected", "", "rejected", "办件 N1 不予受理", "Case N1 was not accepted", "不予受理"),
        ("case.decided", "approved", "", "approved", "办件 N1 已批准", "Case N1 was approved", "已批准"),
        (
            "case.issued",
            "issued",
            "window",
            "issued",
            "办件 N1 已出证，可以领取",
            "Case N1: ready to collect",
            "综合窗口领取",
        ),
        (
            "case.issued",
            "issued",
            "mail",
            "issued",
            "办件 N1 已出证，将免费邮寄",
            "Case N1: issued, to be mailed to you",
            "免费邮寄",
        ),
        (
            "case.issued",
            "issued",
            "window",
            "issued",
            "办件 N1 已批准并出证，可以领取",
            "Case N1: approved, ready to collect",
            "已批准并出证",
        ),
        (
            "case.correction_requested",
            "suspended",
            "",
            "correction_requested",
            "办件 N1 需要您补正材料",
            "Case N1: please correct your application",
            "补正",
        ),
    ],
)
def test_each_kind_has_its_words_in_both_languages(db, topic, status, method, kind, subject_zh, subject_en, sms_zh):
    payload = {
        "number": "N1",
        "status": status,
        "delivery_method": method,
        "service_name": "企业开办",
        "service_name_en": "Start a business",
        "approved_in_same_step": "已批准并出证" in subject_zh,  # 秒批: the issued message says both
    }
    message = services.compose(topic, "N1", payload)
    assert message.kind == kind and message.event_key == f"{topic}:N1"
    assert message.subject == {"zh-hans": subject_zh, "en": subject_en}
    assert sms_zh in message.sms["zh-hans"] and "N1" in message.sms["en"]
    assert "企业开办" in message.body["zh-hans"] and "Start a business" in message.body["en"]


def test_nothing_is_told_for_a_status_without_words(db):
    assert services.compose("case.decided", "N1", {"number": "N1", "status": "withdrawn"}) is None
    # An approval issued in the same step is told by the issued message.
    assert (
        services.compose("case.decided", "N1", {"number": "N1", "status": "approved", "issued_in_same_step": True})
        is None
    )


def test_a_redelivered_event_sends_nothing_twice(zone, applicant):
    case, task = review_case(zone, applicant)
    mail.outbox.clear()
    engine.decide(task.pk, zone.reviewer, "correct", "请补充")
    event = OutboxEvent.objects.get(topic="case.correction_requested")
    assert event.delivered
    OutboxEvent.objects.filter(pk=event.pk).update(delivered=None)  # a worker died after delivering
    assert events.deliver(event.pk)
    assert len(mail.outbox) == 1
    assert sms.sandbox_messages(PHONE).count() == 1
    assert Notification.objects.filter(user=applicant).count() == 1


def test_a_mail_server_that_is_down_is_retried_and_sends_only_what_is_missing(zone, applicant, settings):
    settings.EMAIL_BACKEND = "zimao.notify.tests.test_notify.BrokenBackend"
    case, task = review_case(zone, applicant)
    engine.decide(task.pk, zone.reviewer, "correct", "请补充")
    event = OutboxEvent.objects.get(topic="case.correction_requested")
    assert event.delivered is None and "notify.email" in event.last_error and event.next_attempt
    # The centre and the text message did not wait for the mail server.
    assert Notification.objects.filter(user=applicant).count() == 1
    assert sms.sandbox_messages(PHONE).count() == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    assert events.deliver(event.pk)
    assert len(mail.outbox) == 1 and sms.sandbox_messages(PHONE).count() == 1


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def test_channels_can_be_turned_off_and_a_language_chosen(zone, applicant):
    services.set_preference(applicant, email=True, sms=False, language="en")
    case, task = review_case(zone, applicant)
    mail.outbox.clear()
    engine.decide(task.pk, zone.reviewer, "correct", "请补充")
    [message] = mail.outbox
    assert message.subject == f"Case {case.number}: please correct your application"
    assert "补正要求" not in message.body
    assert sms.sandbox_messages(PHONE).count() == 0
    assert Notification.objects.filter(user=applicant).count() == 1  # the centre always


def test_no_address_no_message_and_a_landline_gets_no_sms(zone):
    from zimao.web.models import Profile

    user = zone.applicant
    Profile.objects.update_or_create(user=user, defaults={"phone": "0379-12345678", "phone_masked": "0379****5678"})
    case = submit(user, registration={"articles": "custom"}).case
    mail.outbox.clear()
    engine.decide(case.tasks.get(key="registration").pk, zone.reviewer, "correct", "请补充")
    assert mail.outbox == [] and sms.sandbox_messages().count() == 0
    assert Notification.objects.filter(user=user).count() == 1


# ---------------------------------------------------------------- the centre and the API


def _told(zone, applicant) -> Notification:
    case, task = review_case(zone, applicant)
    engine.decide(task.pk, zone.reviewer, "correct", "请补充章程")
    return Notification.objects.get(user=applicant)


def test_the_centre_lists_marks_read_and_counts_in_the_masthead(zone, applicant):
    row = _told(zone, applicant)
    client = Client()
    client.force_login(applicant)
    page = client.get("/notifications/").content.decode()
    assert row.subject_zh in page and "请补充章程" in page
    assert "通知（1条未读）" in client.get("/cases/").content.decode()
    response = client.post(f"/notifications/{row.pk}/read/")
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.read_at
    assert "通知（1条未读）" not in client.get("/notifications/").content.decode()
    other = Client()
    other.force_login(zone.applicant2)
    assert other.post(f"/notifications/{row.pk}/read/").status_code == 404
    assert row.subject_zh not in other.get("/notifications/").content.decode()


def test_the_settings_page_saves_the_choice_and_shows_contacts_masked(zone, applicant):
    client = Client()
    client.force_login(applicant)
    page = client.get("/notifications/settings/").content.decode()
    assert "139****5678" in page and PHONE not in page and 'value="applicant@example.cn"' in page
    client.post("/notifications/settings/", {"email_address": "li@example.cn", "email": "on", "language": "zh-hans"})
    applicant.refresh_from_db()
    pref = services.preference_of(applicant)
    assert pref.email and not pref.sms and pref.language == "zh-hans" and applicant.email == "li@example.cn"
    # Not an address: said where and why, nothing saved.
    response = client.post("/notifications/settings/", {"email_address": "li at example", "sms": "on"})
    assert response.status_code == 422
    assert (
        "请填写有效的电子邮箱" in response.content.decode()
        and 'href="#notify-email-address"' in response.content.decode()
    )
    applicant.refresh_from_db()
    assert applicant.email == "li@example.cn" and not services.preference_of(applicant).sms


def test_the_api_lists_my_notifications_and_marks_one_read(zone, applicant):
    row = _told(zone, applicant)
    client = Client()
    client.force_login(applicant)
    listed = client.get("/api/v1/notify/notifications", {"unread": "true"}).json()
    assert [n["id"] for n in listed] == [row.pk] and listed[0]["unread"]
    assert listed[0]["subject"] == row.subject_zh
    done = client.post(f"/api/v1/notify/notifications/{row.pk}/read").json()
    assert not done["unread"]
    assert client.get("/api/v1/notify/notifications", {"unread": "true"}).json() == []
    other = Client()
    other.force_login(zone.applicant2)
    assert other.get("/api/v1/notify/notifications").json() == []
    assert other.post(f"/api/v1/notify/notifications/{row.pk}/read").status_code == 404


# ---------------------------------------------------------------- one notion: the case page reads the centre


def test_a_correction_is_told_once_and_the_case_page_shows_it_from_the_centre(zone, applicant):
    from zimao.cases.models import Notification as CaseNotification

    case, task = review_case(zone, applicant)
    engine.decide(task.pk, zone.reviewer, "correct", "请补充章程第五条")
    # One message, in the centre; the engine keeps no second copy of its own.
    [row] = services.notifications_for_case(applicant, case.number)
    assert row.kind == "correction_requested"
    assert row.line_zh == f"办件 {case.number} 需要您补正材料：请补充章程第五条"
    assert row.line_en == f"Case {case.number}: please correct your application: 请补充章程第五条"
    assert not CaseNotification.objects.filter(case__number=case.number, user__isnull=False).exists()

    client = Client()
    client.force_login(applicant)
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert page.count("需要您补正材料：请补充章程第五条") == 1
    # Someone else's messages are not on the page, nor in their list for that case.
    assert services.notifications_for_case(zone.applicant2, case.number) == []


def _mailed(zone, applicant, tracking="SF1234567890", trade_name="智远"):
    """An issued case the window clerk puts in the post: the engine's mailing note (kind ``mailed``)."""
    from zimao.cases.services import submit as engine_submit
    from zimao.testing import application, upload_materials

    case = engine_submit(
        applicant,
        "QYKB-001",
        application(trade_name),
        materials=upload_materials(applicant),
        delivery_method="mail",
        mail_address="涧西区天津路1号",
    ).case
    mail.outbox.clear()
    SandboxSms.objects.all().delete()
    engine.record_delivery(case.number, zone.clerk, "mail", tracking)
    return case


def test_the_mailing_note_reaches_the_centre_the_case_page_the_mailbox_and_the_phone(zone, applicant):
    case = _mailed(zone, applicant)

    [note, issued] = services.notifications_for_case(applicant, case.number)  # newest first
    assert issued.kind == "issued"
    assert note.kind == "message" and note.event_key.startswith(f"case.message:{case.number}:")
    assert note.line_zh == f"办件 {case.number} 的结果已免费邮寄，运单号 SF1234567890"
    assert note.subject_en.startswith(f"The result of case {case.number} was mailed")

    # E-mail: no language chosen, both, Chinese first; a short subject, the engine's words in the body.
    [message] = mail.outbox
    assert message.to == ["applicant@example.cn"]
    assert message.subject == f"办件 {case.number} 的新消息 / Case {case.number}: a new message"
    assert message.body.index("运单号 SF1234567890") < message.body.index("tracking number SF1234567890")
    assert f"/cases/{case.number}/" in message.body
    # A tracking number is worth a text message.
    [text] = sms.sandbox_messages(PHONE)
    assert text.purpose == "notify.message.mailed"
    assert text.text.startswith(f"办件 {case.number} 的结果已免费邮寄，运单号 SF1234567890")
    assert "tracking number SF1234567890" in text.text
    event_key = note.event_key
    assert set(Delivery.objects.filter(event_key=event_key).values_list("channel", "address_masked")) == {
        ("email", "a***@example.cn"),
        ("sms", "139****5678"),
    }

    client = Client()
    client.force_login(applicant)
    assert "运单号 SF1234567890" in client.get(f"/cases/{case.number}/").content.decode()
    centre = client.get("/notifications/").content.decode()
    assert "运单号 SF1234567890" in centre and centre.count('class="notification-body"') == 1  # the issued one
    client.cookies["django_language"] = "en"
    assert "tracking number SF1234567890" in client.get(f"/cases/{case.number}/?lang=en").content.decode()


def test_an_engine_message_is_sent_once_per_channel_when_its_delivery_is_retried(zone, applicant, settings):
    settings.EMAIL_BACKEND = "zimao.notify.tests.test_notify.BrokenBackend"
    _mailed(zone, applicant)
    event = OutboxEvent.objects.get(topic="case.message")
    assert event.delivered is None and "notify.email" in event.last_error
    # The centre and the text message did not wait for the mail server.
    assert sms.sandbox_messages(PHONE).count() == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert events.deliver(event.pk)
    OutboxEvent.objects.filter(pk=event.pk).update(delivered=None)  # a worker died after delivering
    assert events.deliver(event.pk)
    assert len(mail.outbox) == 1 and sms.sandbox_messages(PHONE).count() == 1
    assert Delivery.objects.filter(event_key=f"case.message:{event.key}").count() == 2
    assert Notification.objects.filter(user=applicant, kind="message").count() == 1


def test_an_engine_message_in_the_chosen_language_and_not_on_a_channel_turned_off(zone, applicant):
    services.set_preference(applicant, email=True, sms=True, language="en")
    case = _mailed(zone, applicant)
    [message] = mail.outbox
    assert message.subject == f"Case {case.number}: a new message"
    assert "tracking number SF1234567890" in message.body and "运单号" not in message.body
    [text] = sms.sandbox_messages(PHONE)
    assert text.text == f"The result of case {case.number} was mailed free of charge, tracking number SF1234567890"

    services.set_preference(applicant, email=False, sms=False, language="zh-hans")
    case = _mailed(zone, applicant, "EMS987654321", "青松")
    assert mail.outbox == [] and sms.sandbox_messages(PHONE).count() == 0
    # The centre always.
    assert "EMS987654321" in services.notifications_for_case(applicant, case.number)[0].line_zh


def test_an_engine_message_not_worth_a_text_is_e_mailed_only(zone, applicant, settings):
    case, _task = review_case(zone, applicant)
    mail.outbox.clear()
    engine.notify(case, user=applicant, kind="rating_rectified", zh="差评已整改", en="Rectified")
    engine.notify(case, user=applicant, zh="无类别的消息", en="A message of no kind")
    assert [m.body.split("\n")[2] for m in mail.outbox] == ["差评已整改", "无类别的消息"]
    assert sms.sandbox_messages(PHONE).count() == 0
    # A zone may text other kinds.
    settings.NOTIFY_SMS_MESSAGE_KINDS = {"rating_rectified"}
    engine.notify(case, user=applicant, kind="rating_rectified", zh="再次整改", en="Rectified again")
    assert [t.purpose for t in sms.sandbox_messages(PHONE)] == ["notify.message.rating_rectified"]


def test_each_engine_message_kind_is_texted_or_not_as_documented():
    assert services.SMS_MESSAGE_KINDS == {"mailed", "extended", "permit_revoked"}


def test_department_reminders_stay_with_the_departments(zone, applicant):
    """催办/督办 and a stuck case are for officers, not applicants: the engine's department inbox."""
    from zimao.cases.models import Notification as CaseNotification

    case, task = review_case(zone, applicant)
    engine.notify(case, department=task.department, zh="催办", en="Reminder")
    assert CaseNotification.objects.filter(case=case, department=task.department).count() == 1
    assert services.notifications_for_case(applicant, case.number) == []


def test_the_engines_earlier_messages_are_copied_into_the_centre(zone, applicant):
    import importlib

    from django.apps import apps

    from zimao.cases.models import Notification as CaseNotification

    case, task = review_case(zone, applicant)
    old = CaseNotification.objects.create(case=case, user=applicant, message_zh="旧消息", message_en="Old message")
    CaseNotification.objects.create(case=case, department=task.department, message_zh="催办", message_en="Reminder")
    migration = importlib.import_module("zimao.notify.migrations.0003_engine_messages_into_the_centre")
    migration.copy(apps, None)
    migration.copy(apps, None)  # again: nothing twice
    [row] = services.notifications_for_case(applicant, case.number)
    assert (row.kind, row.line_zh, row.line_en) == ("message", "旧消息", "Old message")
    assert row.event_key == f"cases.notification:{old.pk}" and row.created_at == old.created_at
