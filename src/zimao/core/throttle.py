"""Rate limits — 限流: log-in failures and account registrations.

* Log-in — 登录失败限制: after 5 failed log-ins for one username from one address within 15
  minutes, further attempts for that pair are refused (even with the right password) until the
  oldest failure is 15 minutes old. One address is also refused, for every username, after 50
  failures in 15 minutes: guessing one password across many usernames is slowed down too (the
  ceiling is high because an office or a mobile network puts many people behind one address).
* Registration — 注册频率限制: at most 10 accounts per address per hour (``registration_allowed``).

Hooked in through ``AUTHENTICATION_BACKENDS`` (``ThrottledModelBackend``), so every log-in form
(the portal's, the admin's) is covered without touching their views. A refusal is raised as a
``ValidationError`` from ``authenticate()``: Django's ``AuthenticationForm.clean`` shows it as the
form's error, in Chinese and English. Failures are rows in ``core.ThrottleEvent`` (the database is
shared by every web process; a per-process cache would let an attacker multiply the limit by the
number of processes), keyed by an HMAC of username and address so no username is stored.
Every limit counts ``core.ThrottleEvent`` rows under its own keyed digest.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.utils import timezone

LIMIT = 5
ADDRESS_LIMIT = 50
WINDOW = timedelta(minutes=15)
REGISTRATION_LIMIT = 10
REGISTRATION_WINDOW = timedelta(hours=1)
MESSAGE = (
    "登录失败次数过多，已暂停该账号在此地址的登录，请15分钟后再试。"
    " / Too many failed log-ins: log-ins for this account from this address are refused for 15 minutes."
)
ADDRESS_MESSAGE = (
    "此地址登录失败次数过多，已暂停登录，请15分钟后再试。"
    " / Too many failed log-ins from this address: log-ins are refused for 15 minutes."
)
REGISTRATION_MESSAGE = (
    "此地址注册账号过于频繁，请一小时后再试；如需批量开通账号，请联系窗口。"
    " / Too many accounts registered from this address: try again in an hour, or ask the window"
    " to open accounts in bulk."
)


class LoginThrottled(ValidationError):
    """Refused because of too many recent failures (shown by the log-in form)."""


def limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", LIMIT))


def address_limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_ADDRESS_LIMIT", ADDRESS_LIMIT))


def window() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", WINDOW.total_seconds())))


def registration_limit() -> int:
    return int(getattr(settings, "REGISTRATION_LIMIT", REGISTRATION_LIMIT))


def client_address(request) -> str:
    """The address the failure counts against. Behind a reverse proxy, the proxy must pass the
    client's address as REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips with a trusted proxy);
    X-Forwarded-For from the client is never trusted here."""
    return (getattr(request, "META", {}) or {}).get("REMOTE_ADDR", "") if request is not None else ""


def _digest(purpose: str, text: str) -> str:
    secret = hashlib.sha256(b"zimao-login-throttle|" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(secret, f"{purpose}{text}".encode(), hashlib.sha256).hexdigest()


def attempt_key(username: str, address: str) -> str:
    return _digest("", f"{(username or '').strip().lower()}|{address}")


def address_key(address: str) -> str:
    # A different message layout from attempt_key's "username|address": the two never collide.
    return _digest("address:", address)


def registration_key(address: str) -> str:
    return _digest("register:", address)


def _count(key: str, within: timedelta) -> int:
    from zimao.core.models import ThrottleEvent

    return ThrottleEvent.objects.filter(key=key, at__gte=timezone.now() - within).count()


def _note(*keys: str) -> None:
    from zimao.core.models import ThrottleEvent

    now = timezone.now()
    # Forget what no longer counts: the longest window decides; shorter ones filter by time.
    ThrottleEvent.objects.filter(at__lt=now - max(window(), REGISTRATION_WINDOW)).delete()
    ThrottleEvent.objects.bulk_create([ThrottleEvent(key=k, at=now) for k in keys])


def recent_failures(key: str) -> int:
    return _count(key, window())


def throttle_message(username: str, address: str) -> str | None:
    """Why a log-in would be refused now, or None."""
    if recent_failures(attempt_key(username, address)) >= limit():
        return MESSAGE
    if recent_failures(address_key(address)) >= address_limit():
        return ADDRESS_MESSAGE
    return None


def is_throttled(username: str, address: str) -> bool:
    return throttle_message(username, address) is not None


def record_failure(username: str, address: str) -> None:
    _note(attempt_key(username, address), address_key(address))


def clear(username: str, address: str) -> None:
    """A successful log-in forgets that username's failures (not the address's: other usernames'
    failures from it still count)."""
    from zimao.core.models import ThrottleEvent

    ThrottleEvent.objects.filter(key=attempt_key(username, address)).delete()


def registration_allowed(address: str) -> bool:
    return _count(registration_key(address), REGISTRATION_WINDOW) < registration_limit()


def record_registration(address: str) -> None:
    _note(registration_key(address))


class ThrottledModelBackend(ModelBackend):
    """Django's username/password check, refused while the username+address pair, or the
    address, is throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None
        address = client_address(request)
        refusal = throttle_message(username, address)
        if refusal:
            raise LoginThrottled(refusal, code="throttled")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(username, address)
        else:
            clear(username, address)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


# Document checks — 文件核验频率限制: validating an uploaded PDF's signature costs real CPU, and the
# page is public; one address may check at most DOCUMENT_CHECK_LIMIT files per 10 minutes.
DOCUMENT_CHECK_LIMIT = 30
DOCUMENT_CHECK_WINDOW = timedelta(minutes=10)


def document_check_key(address: str) -> str:
    return _digest("document-check:", address)


def document_check_allowed(address: str) -> bool:
    limit_ = int(getattr(settings, "DOCUMENT_CHECK_LIMIT", DOCUMENT_CHECK_LIMIT))
    return _count(document_check_key(address), DOCUMENT_CHECK_WINDOW) < limit_


def record_document_check(address: str) -> None:
    _note(document_check_key(address))
