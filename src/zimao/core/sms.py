"""Text messages to a phone — 短信网关. One call for every app, one pluggable gateway behind it,
chosen by ``ZIMAO_SMS_BACKEND`` (a dotted path) the way Django chooses its e-mail backend.

Shipped gateways:

- ``zimao.core.sms.SandboxGateway`` (default): nothing leaves the machine. Each message is kept in
  ``core.SandboxSms`` — the number encrypted with the field key and kept masked beside it, looked
  up by its keyed digest — so the demo, the tests and an administrator can read what would have
  been sent (``sandbox_messages``).
- ``zimao.core.sms.LogGateway``: writes one line per message to the ``zimao.sms`` logger, with the
  number masked (never the text of a one-time code: ``secret=True`` messages are logged redacted).

A zone plugs in its operator's gateway by subclassing ``Gateway`` and naming it in the setting.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from zimao.core import protected

log = logging.getLogger("zimao.sms")

PHONE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Sms:
    """One message: ``to`` is a mainland mobile number (11 digits); ``purpose`` says why it is sent
    (e.g. ``intake.confirm``, ``case.decided``); ``secret`` marks a text that must not be logged."""

    to: str
    text: str
    purpose: str = ""
    secret: bool = False


class Gateway:
    """Sends messages. Subclasses implement ``deliver``; raising means not sent (the caller retries)."""

    def deliver(self, message: Sms) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class SandboxGateway(Gateway):
    def deliver(self, message: Sms) -> None:
        from zimao.core.models import SandboxSms

        SandboxSms.objects.create(
            phone_encrypted=protected.encrypt_text(message.to),
            phone_masked=protected.mask_phone(message.to),
            phone_digest=protected.lookup_digest(message.to),
            text=message.text,
            purpose=message.purpose,
            at=timezone.now(),
        )


class LogGateway(Gateway):
    def deliver(self, message: Sms) -> None:
        text = "[redacted]" if message.secret else message.text
        log.info("sms to %s (%s): %s", protected.mask_phone(message.to), message.purpose or "-", text)


def gateway() -> Gateway:
    return import_string(getattr(settings, "SMS_BACKEND", "zimao.core.sms.SandboxGateway"))()


def send_sms(to: str, text: str, *, purpose: str = "", secret: bool = False) -> None:
    """Send ``text`` to the mobile number ``to`` through the configured gateway.

    Refuses a number that is not a mainland mobile number (ValueError), so a typo fails loudly
    at the caller instead of vanishing at the operator."""
    to = (to or "").strip()
    if not PHONE.match(to):
        raise ValueError("not a mainland mobile number (11 digits starting 13–19)")
    gateway().deliver(Sms(to=to, text=text, purpose=purpose, secret=secret))


def sandbox_messages(to: str | None = None, purpose: str | None = None):
    """What the sandbox gateway kept, newest first (optionally for one number and/or purpose)."""
    from zimao.core.models import SandboxSms

    rows = SandboxSms.objects.order_by("-id")
    if to:
        rows = rows.filter(phone_digest=protected.lookup_digest(to.strip()))
    if purpose:
        rows = rows.filter(purpose=purpose)
    return rows
