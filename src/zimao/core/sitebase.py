"""The address the public reaches this site at — 对外访问地址 — for QR codes and verify links.

A printed link must work where it is read: the configured public address when the deployment
sets one (the zone profile's ``site_url``, or ``ZIMAO_SITE_URL``), else the address the current
request came to (``request.build_absolute_uri``: scheme, host and port as the browser used
them, so ``make run PORT=8123`` prints codes for port 8123). ``RequestContextMiddleware`` keeps
that address, and a per-request memo for values read once per request (e.g. the zone profile),
in a context variable: correct under threads and async alike, and gone when the request ends.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

_request_base: ContextVar[str] = ContextVar("zimao_request_base", default="")
_request_memo: ContextVar[dict | None] = ContextVar("zimao_request_memo", default=None)


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        base_token = _request_base.set(request.build_absolute_uri("/").rstrip("/"))
        memo_token = _request_memo.set({})
        try:
            return self.get_response(request)
        finally:
            _request_base.reset(base_token)
            _request_memo.reset(memo_token)


def request_base() -> str:
    """``scheme://host[:port]`` of the request being served ('' outside a request)."""
    return _request_base.get()


def request_memo() -> dict | None:
    """A dict that lives as long as the current request (None outside one: do not memoise)."""
    return _request_memo.get()


@contextmanager
def memo_scope():
    """The request memo for one unit of work run outside a request (e.g. the engine's run right
    after a commit, or a worker's task): values read once per request are read once per block.
    Inside a request (or another such block) the memo already there is used."""
    if _request_memo.get() is not None:
        yield
        return
    token = _request_memo.set({})
    try:
        yield
    finally:
        _request_memo.reset(token)


def absolute(path: str, configured: str = "") -> str:
    """``path`` as an absolute URL: the configured address, else the request's, else the
    development default (a command run outside any request, with nothing configured)."""
    base = (
        configured
        or getattr(settings, "PUBLIC_URL", "")
        or request_base()
        or getattr(settings, "SITE_URL", "")
        or "http://127.0.0.1:8000"
    )
    return base.rstrip("/") + path
