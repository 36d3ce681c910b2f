"""Security headers for every response, including a content security policy with no inline
scripts and no inline styles: every page's behaviour and look live in static files. (Styles a
script sets through the CSSOM — ``element.style.x = …``, as ECharts does — are not inline
markup and stay allowed.)"""

import re

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.html import escape

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        # Also on responses that never reach the inner middleware (static files, refusals at the edge).
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if getattr(settings, "SESSION_COOKIE_SECURE", False):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


# ---------------------------------------------------------------- NUL characters

_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_NUL_ZH = "请求中含有空字符（NUL），无法处理。"
_NUL_EN = "The request contains a NUL character, which is not accepted."


def _has_nul(values) -> bool:
    return any("\x00" in v for v in values if isinstance(v, str))


class RejectNulMiddleware:
    """Refuse any request carrying a NUL character in its path, query, form fields or JSON body.

    No zimao field may hold one, and PostgreSQL cannot store one in text at all: without this,
    a single ``%00`` turned every lookup and every save into a server error on PostgreSQL (while
    SQLite stored it). One check at the edge answers 400 in both languages instead. Uploaded
    *files* may contain NUL bytes and are not looked at here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._carries_nul(request):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request) -> bool:
        if "\x00" in request.path or "\x00" in request.path_info:
            return True
        if any(_has_nul([k, *request.GET.getlist(k)]) for k in request.GET):
            return True
        content_type = request.content_type or ""
        if content_type.startswith("application/json") or content_type.endswith("+json"):
            body = request.body
            return b"\x00" in body or bool(_JSON_NUL.search(body))
        if request.method in ("POST", "PUT", "PATCH") and content_type in ("application/x-www-form-urlencoded",
                                                                          "multipart/form-data"):
            try:
                return any(_has_nul([k, *request.POST.getlist(k)]) for k in request.POST)
            except Exception:  # noqa: BLE001 — a malformed body is judged by the view as usual
                return False
        return False

    @staticmethod
    def _refuse(request):
        from zimao.core.errors import BusinessError

        error = BusinessError.of("request", "nul_character", _NUL_ZH, _NUL_EN, status=400)
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=400, json_dumps_params={"ensure_ascii": False})
        body = (f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>400</title></head>'
                f"<body><h1>{escape(_NUL_ZH)}</h1><p lang=\"en\">{escape(_NUL_EN)}</p></body></html>")
        return HttpResponseBadRequest(body)
