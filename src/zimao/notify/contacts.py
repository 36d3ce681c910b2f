"""How to reach a person — 联系方式. The e-mail address is Django's ``User.email``; the mobile
number lives with the portal's profile (encrypted), which this app may not import: the portal
registers where to find it (``register_phone_source`` in its ``AppConfig.ready``)."""

from __future__ import annotations

from collections.abc import Callable

from zimao.core import protected, sms

_phone_source: Callable | None = None


def register_phone_source(source: Callable) -> None:
    """``source(user)`` returns the person's phone number in plain text, or ``""``."""
    global _phone_source
    _phone_source = source


def email_of(user) -> str:
    return (getattr(user, "email", "") or "").strip()


def mobile_of(user) -> str:
    """The person's mainland mobile number, or ``""`` (none given, or a landline: no SMS)."""
    phone = (_phone_source(user) if _phone_source else "") or ""
    phone = phone.strip().replace(" ", "")
    return phone if sms.PHONE.match(phone) else ""


def mask_email(address: str) -> str:
    name, _, domain = address.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "***"


def mask_phone(phone: str) -> str:
    return protected.mask_phone(phone)
