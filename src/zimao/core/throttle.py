"""Log-in throttling — 登录失败限制: after 5 failed log-ins for one username from one address
within 15 minutes, further attempts for that pair are refused (even with the right password)
until the oldest failure is 15 minutes old.

Hooked in through ``AUTHENTICATION_BACKENDS`` (``ThrottledModelBackend``), so every log-in form
(the portal's, the admin's) is covered without touching their views. A refusal is raised as a
``ValidationError`` from ``authenticate()``: Django's ``AuthenticationForm.clean`` shows it as the
form's error, in Chinese and English. Failures are rows in ``core.LoginFailure`` (the database is
shared by every web process; a per-process cache would let an attacker multiply the limit by the
number of processes), keyed by an HMAC of username and address so no username is stored.
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
WINDOW = timedelta(minutes=15)
MESSAGE = ("登录失败次数过多，已暂停该账号在此地址的登录，请15分钟后再试。"
           " / Too many failed log-ins: log-ins for this account from this address are refused for 15 minutes.")


class LoginThrottled(ValidationError):
    """Refused because of too many recent failures (shown by the log-in form)."""


def limit() -> int:
    return int(getattr(settings, "LOGIN_FAILURE_LIMIT", LIMIT))


def window() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "LOGIN_FAILURE_WINDOW_SECONDS", WINDOW.total_seconds())))


def client_address(request) -> str:
    """The address the failure counts against. Behind a reverse proxy, the proxy must pass the
    client's address as REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips with a trusted proxy);
    X-Forwarded-For from the client is never trusted here."""
    return (getattr(request, "META", {}) or {}).get("REMOTE_ADDR", "") if request is not None else ""


def attempt_key(username: str, address: str) -> str:
    secret = hashlib.sha256(b"zimao-login-throttle|" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(secret, f"{(username or '').strip().lower()}|{address}".encode(), hashlib.sha256).hexdigest()


def recent_failures(key: str) -> int:
    from zimao.core.models import LoginFailure

    return LoginFailure.objects.filter(key=key, at__gte=timezone.now() - window()).count()


def is_throttled(username: str, address: str) -> bool:
    return recent_failures(attempt_key(username, address)) >= limit()


def record_failure(username: str, address: str) -> None:
    from zimao.core.models import LoginFailure

    now = timezone.now()
    LoginFailure.objects.filter(at__lt=now - window()).delete()  # forget what no longer counts
    LoginFailure.objects.create(key=attempt_key(username, address), at=now)


def clear(username: str, address: str) -> None:
    from zimao.core.models import LoginFailure

    LoginFailure.objects.filter(key=attempt_key(username, address)).delete()


class ThrottledModelBackend(ModelBackend):
    """Django's username/password check, refused while the username+address pair is throttled."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None
        address = client_address(request)
        if is_throttled(username, address):
            raise LoginThrottled(MESSAGE, code="throttled")
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
