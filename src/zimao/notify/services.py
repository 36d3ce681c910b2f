"""Notifications — 消息通知: what the applicant is told when the engine announces that a case needs
a correction, was decided, or its result was issued (ready to collect, in the post, or in
"my licences").

Three channels, each its own subscriber of the outbox (``subscribers``), each idempotent per
event, recipient and channel:

* the notification centre (站内消息): one ``Notification`` row per event and recipient;
* e-mail through Django's e-mail backend (``EMAIL_*`` settings, ``ZIMAO_EMAIL_*`` in the
  environment); a ``Delivery`` row records it was sent, so a repeated delivery sends nothing;
* text message through ``zimao.core.sms.send_sms`` (the zone's gateway, the sandbox by default),
  recorded the same way.

The words are templates, one per event kind and language:
``notify/messages/<kind>/{subject,body,sms}.<zh-hans|en>.txt``. A person who chose a language
gets that one; otherwise both, Chinese first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from zimao.core import audit, sitebase, sms
from zimao.core.errors import not_found
from zimao.notify import contacts
from zimao.notify.models import Channel, Delivery, Notification, Preference

LANGUAGES = ("zh-hans", "en")
# What each announced topic tells the applicant; ``case.decided`` by the case's new status;
# ``case.message`` is the engine's other messages to a person about a case, in its own words
# (kind ``message``): the mailing note, an extended time limit, a rating's answer, a check's outcome.
TOPICS = ("case.correction_requested", "case.decided", "case.issued", "case.message")
KINDS = ("correction_requested", "approved", "refused", "rejected", "issued", "message")
# Which of the engine's messages (``case.message``, by the ``message_kind`` the engine gives) are
# worth a text message as well as the centre and e-mail: a text costs the zone money and too many
# teach people to ignore them, so only what the applicant acts on soon or must not miss. A message
# without a kind, or of another kind, is not texted. A zone changes the list with the setting
# ``NOTIFY_SMS_MESSAGE_KINDS``.
SMS_MESSAGE_KINDS = frozenset(
    {
        "mailed",  # the result is in the post: the tracking number, someone must be there to sign
        "extended",  # the promised date moved: the applicant plans around it
        "permit_revoked",  # 告知承诺 found false: the permit no longer holds, a credit record follows
    }
)


@dataclass(frozen=True)
class Message:
    kind: str
    event_key: str
    case_number: str
    subject: dict  # language → text
    body: dict
    sms: dict
    line: dict  # the one line shown on the case page
    # An engine message's own kind (``case.message``'s ``message_kind``) and its e-mail's words;
    # the centre keeps the engine's text as subject and body, as the case page shows it.
    message_kind: str = ""
    mail_subject: dict | None = None
    mail_body: dict | None = None


SEPARATOR = {"zh-hans": "：", "en": ": "}


def kind_of(topic: str, payload: dict) -> str | None:
    if topic == "case.correction_requested":
        return "correction_requested"
    if topic == "case.decided":
        if payload.get("issued_in_same_step"):
            return None  # 秒批: the issued message of the same step says it was approved
        return payload.get("status") if payload.get("status") in ("approved", "refused", "rejected") else None
    if topic == "case.issued":
        return "issued"
    if topic == "case.message":
        return "message" if payload.get("message_zh") or payload.get("message_en") else None
    return None


def _case_url(number: str) -> str:
    try:
        return sitebase.absolute(reverse("web:case", kwargs={"number": number}))
    except NoReverseMatch:  # a node without the portal
        return ""


def _render(name: str, context: dict, language: str) -> str:
    with translation.override(language):
        # Plain text: no HTML escaping (an officer's reason may hold "<" or "&").
        return get_template(name).template.render(Context(context, autoescape=False)).strip()


def compose(topic: str, key: str, payload: dict) -> Message | None:
    """The message for an announced event, in both languages (None: nothing to tell)."""
    kind = kind_of(topic, payload)
    if kind is None:
        return None
    number = payload.get("number", "")
    if kind == "message":  # the engine's words, both languages given
        texts = {"zh-hans": payload.get("message_zh") or payload.get("message_en", "")}
        texts["en"] = payload.get("message_en") or texts["zh-hans"]
        subject = {lang: " ".join(text.split()) for lang, text in texts.items()}
        context = {"number": number, "url": _case_url(number)}
        mail = {
            part: {
                lang: _render(f"notify/messages/message/{part}.{lang}.txt", {**context, "text": texts[lang]}, lang)
                for lang in LANGUAGES
            }
            for part in ("subject", "body", "sms")
        }
        return Message(
            kind,
            f"{topic}:{key}",
            number,
            subject,
            texts,
            mail["sms"],
            texts,
            message_kind=payload.get("message_kind") or "",
            mail_subject={lang: " ".join(text.split()) for lang, text in mail["subject"].items()},
            mail_body=mail["body"],
        )
    context = {
        "number": number,
        "service_name": payload.get("service_name", ""),
        "service_name_en": payload.get("service_name_en") or payload.get("service_name", ""),
        "reason": payload.get("reason", ""),
        "delivery_method": payload.get("delivery_method", ""),
        "approved_in_same_step": bool(payload.get("approved_in_same_step")),
        "url": _case_url(number),
    }
    parts = {}
    for part in ("subject", "body", "sms"):
        parts[part] = {lang: _render(f"notify/messages/{kind}/{part}.{lang}.txt", context, lang) for lang in LANGUAGES}
    parts["subject"] = {lang: " ".join(text.split()) for lang, text in parts["subject"].items()}
    reason = context["reason"]
    line = {lang: text + (SEPARATOR[lang] + reason if reason else "") for lang, text in parts["subject"].items()}
    return Message(kind, f"{topic}:{key}", number, parts["subject"], parts["body"], parts["sms"], line)


def texted(message: Message) -> bool:
    """Whether the message goes by text message too (the engine's own messages: by their kind)."""
    if message.kind != "message":
        return True
    kinds = getattr(settings, "NOTIFY_SMS_MESSAGE_KINDS", None)
    return message.message_kind in (SMS_MESSAGE_KINDS if kinds is None else kinds)


def in_language(texts: dict, language: str, joiner: str) -> str:
    """One language's text, or both (Chinese first) when no language was chosen."""
    if language in texts:
        return texts[language]
    return joiner.join(texts[lang] for lang in LANGUAGES)


# ---------------------------------------------------------------- recipients and preferences


def recipients(payload: dict) -> list:
    """Who is told: the applicant of the case (an account that is still active), with their
    preference read in the same query."""
    pk = payload.get("applicant")
    if not pk:
        return []
    return list(get_user_model().objects.filter(pk=pk, is_active=True).select_related("notify_preference"))


def preference_of(user) -> Preference:
    try:
        return user.notify_preference
    except Preference.DoesNotExist:
        return Preference(user=user)


def set_email(user, address: str) -> None:
    """The person's e-mail address (Django's ``User.email``); blank removes it. ValidationError
    when it is not an address."""
    address = (address or "").strip()
    if address:
        validate_email(address)
    if address != user.email:
        user.email = address
        user.save(update_fields=["email"])
        audit.record(user, "user.email_changed", user, after={"email": contacts.mask_email(address) if address else ""})


def set_preference(user, *, email: bool, sms: bool, language: str) -> Preference:
    if language not in Preference.Language.values:
        language = ""
    pref, _ = Preference.objects.update_or_create(
        user=user, defaults={"email": bool(email), "sms": bool(sms), "language": language}
    )
    return pref


# ---------------------------------------------------------------- channels (one subscriber each)


def to_centre(topic: str, key: str, payload: dict) -> int:
    """Notification-centre rows; a repeated event adds none. Returns how many were written."""
    message = compose(topic, key, payload)
    if message is None:
        return 0
    # The applicant's case exists, so the account does (cases keep it: PROTECT). One statement
    # that adds nothing when the event is handed over again.
    rows = [
        Notification(
            user_id=pk,
            event_key=message.event_key,
            kind=message.kind,
            case_number=message.case_number,
            subject_zh=message.subject["zh-hans"][:300],
            subject_en=message.subject["en"][:300],
            body_zh=message.body["zh-hans"],
            body_en=message.body["en"],
            line_zh=message.line["zh-hans"],
            line_en=message.line["en"],
        )
        for pk in [payload.get("applicant")]
        if pk
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _already_sent(user, event_key: str, channel: str) -> bool:
    return Delivery.objects.filter(user=user, event_key=event_key, channel=channel).exists()


def _record(user, event_key: str, channel: str, masked: str) -> None:
    Delivery.objects.create(
        user=user, event_key=event_key, channel=channel, address_masked=masked, sent_at=timezone.now()
    )


def by_email(topic: str, key: str, payload: dict) -> int:
    """E-mail through Django's backend. A failure raises: the outbox retries the event later,
    and what was already sent (recorded in ``Delivery``) is not sent again."""
    message = compose(topic, key, payload)
    if message is None:
        return 0
    sent = 0
    for user in recipients(payload):
        pref = preference_of(user)
        address = contacts.email_of(user) if pref.email else ""
        if not address or _already_sent(user, message.event_key, Channel.EMAIL):
            continue
        EmailMessage(
            subject=in_language(message.mail_subject or message.subject, pref.language, " / "),
            body=in_language(message.mail_body or message.body, pref.language, "\n\n————————\n\n"),
            to=[address],
        ).send()
        _record(user, message.event_key, Channel.EMAIL, contacts.mask_email(address))
        sent += 1
    return sent


def by_sms(topic: str, key: str, payload: dict) -> int:
    """A text message through the zone's gateway (``zimao.core.sms``), to a mobile number only."""
    message = compose(topic, key, payload)
    if message is None or not texted(message):
        return 0
    sent = 0
    for user in recipients(payload):
        pref = preference_of(user)
        phone = contacts.mobile_of(user) if pref.sms else ""
        if not phone or _already_sent(user, message.event_key, Channel.SMS):
            continue
        purpose = f"notify.{message.kind}" + (f".{message.message_kind}" if message.message_kind else "")
        sms.send_sms(phone, in_language(message.sms, pref.language, " "), purpose=purpose)
        _record(user, message.event_key, Channel.SMS, contacts.mask_phone(phone))
        sent += 1
    return sent


# ---------------------------------------------------------------- the notification centre


def notifications_of(user, *, unread_only: bool = False, limit: int = 50) -> list[Notification]:
    rows = Notification.objects.filter(user=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows[: max(1, min(limit, 200))])


def notifications_for_case(user, case_number: str, limit: int = 20) -> list[Notification]:
    """What the person was told about one case, newest first — the case page's "Messages"."""
    if not case_number or not getattr(user, "is_authenticated", False):
        return []
    return list(Notification.objects.filter(user=user, case_number=case_number)[: max(1, min(limit, 200))])


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(user, pk: int) -> Notification:
    """Someone else's notification is "not found", exactly like one that does not exist."""
    with transaction.atomic():
        row = Notification.objects.select_for_update().filter(pk=pk, user=user).first()
        if row is None:
            raise not_found("notification")
        if row.read_at is None:
            row.read_at = timezone.now()
            row.save(update_fields=["read_at"])
        return row


def mark_all_read(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
