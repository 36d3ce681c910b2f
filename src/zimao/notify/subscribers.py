"""What the notifications hear — 通知订阅: the engine's ``case.correction_requested``,
``case.decided`` and ``case.issued`` (``zimao.core.events``), and ``case.message`` (the engine's
other messages to a person; texted only for the kinds in ``services.SMS_MESSAGE_KINDS``). One
subscriber per channel, so each
runs in its own savepoint: an e-mail server that is down leaves the centre's row and the text
message in place, and the retried event sends only what was not sent yet."""

from __future__ import annotations

from zimao.core import events
from zimao.notify import services


def to_centre(event: events.Announcement) -> None:
    services.to_centre(event.topic, event.key, event.payload)


def by_email(event: events.Announcement) -> None:
    services.by_email(event.topic, event.key, event.payload)


def by_sms(event: events.Announcement) -> None:
    services.by_sms(event.topic, event.key, event.payload)


def register() -> None:
    for topic in services.TOPICS:
        events.subscribe(topic, name="notify.centre")(to_centre)
        events.subscribe(topic, name="notify.email")(by_email)
        events.subscribe(topic, name="notify.sms")(by_sms)
