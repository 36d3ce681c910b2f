"""Security headers for every response, including a content security policy with no inline
scripts and no inline styles: every page's behaviour and look live in static files. (Styles a
script sets through the CSSOM — ``element.style.x = …``, as ECharts does — are not inline
markup and stay allowed.)"""

import re

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
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
        if self._private(request):
            # Personal data and verification answers (a licence revoked a minute ago must not be
            # served "genuine" from a cache) are never stored by a browser or a proxy. A view that
            # chose its own policy (the JWKS: public, 5 minutes) keeps it.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @staticmethod
    def _private(request) -> bool:
        path = request.path
        return (
            path.startswith("/api/")
            or "/verify" in path
            or "HTTP_AUTHORIZATION" in request.META
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        )


# ---------------------------------------------------------------- NUL characters

_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_NUL_ZH = "请求中含有空字符（NUL），无法处理。"
_NUL_EN = "The request contains a NUL character, which is not accepted."


def _has_nul(values) -> bool:
    return any("\x00" in v for v in values if isinstance(v, str))


# ---------------------------------------------------------------- text that cannot be stored

# A UTF-16 surrogate code point (U+D800–U+DFFF) is not a character: UTF-8 cannot encode it, so
# PostgreSQL refuses it and SQLite stores it only for the next reader (the engine, the audit
# hash, a PDF) to fail with UnicodeEncodeError. JSON lets a client send one as a lone escape
# (``"\ud800"``); a well-formed escaped pair (``"\ud83d\ude00"``) decodes to one real character.
SURROGATE_RE = re.compile("[\ud800-\udfff]")
_JSON_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE_ZH = "含有无法存储的字符（孤立的 UTF-16 代理项，如 \\ud800）"
_SURROGATE_EN = "contains a character that cannot be stored (a lone UTF-16 surrogate such as \\ud800)"


def has_surrogate(value: str) -> bool:
    return bool(SURROGATE_RE.search(value))


def unencodable_text_problem(field: str):
    """The one refusal for text UTF-8 cannot carry, naming the field (edge and services alike).
    A field name that itself holds a surrogate (a key of a free-form object) is named escaped."""
    from zimao.core.errors import Problem

    field = field.encode("utf-8", "backslashreplace").decode("utf-8")
    return Problem(
        field or "request",
        "unencodable_character",
        f"字段 {field} {_SURROGATE_ZH}" if field else f"请求{_SURROGATE_ZH}",
        f"{field or 'The request'} {_SURROGATE_EN}",
    )


def surrogate_paths(data, path: str = ""):
    """Dotted paths of every key or string in a decoded JSON value that holds a surrogate."""
    if isinstance(data, str):
        if has_surrogate(data):
            yield path
    elif isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and has_surrogate(key):
                yield here
            else:
                yield from surrogate_paths(value, here)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from surrogate_paths(value, f"{path}.{i}" if path else str(i))


class RejectNulMiddleware:
    """Refuse any request carrying text no zimao field can hold: a NUL character in its path,
    query, form fields or JSON body (400), or a lone UTF-16 surrogate anywhere in its query,
    form fields or JSON body, at any depth of a free-form object (422 naming each field).

    No zimao field may hold one, and PostgreSQL cannot store one in text at all: without this,
    a single ``%00`` turned every lookup and every save into a server error on PostgreSQL (while
    SQLite stored it). One check at the edge answers 400 in both languages instead. Uploaded
    *files* may contain NUL bytes and are not looked at here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            len(request.META.get("PATH_INFO", "")) + len(request.META.get("QUERY_STRING", ""))
            > settings.MAX_REQUEST_TARGET
        ):
            return self._refuse_too_long(request)
        if self._carries_nul(request):
            return self._refuse(request)
        fields = self._surrogate_fields(request)
        if fields:
            return self._refuse_unencodable(request, fields)
        return self.get_response(request)

    @staticmethod
    def _surrogate_fields(request) -> list[str]:
        """Every field (query, form, JSON body at any depth) holding a lone surrogate."""
        fields = [k for k in request.GET if has_surrogate(k) or any(has_surrogate(v) for v in request.GET.getlist(k))]
        content_type = request.content_type or ""
        if content_type.startswith("application/json") or content_type.endswith("+json"):
            body = request.body
            if _JSON_SURROGATE_ESCAPE.search(body):  # cheap test first: most bodies have no \uD8xx escape
                import json

                try:
                    fields += list(surrogate_paths(json.loads(body)))
                except ValueError:
                    pass  # malformed JSON is the view's to refuse, as usual
        elif request.method in ("POST", "PUT", "PATCH") and content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                fields += [
                    k
                    for k in request.POST
                    if has_surrogate(k) or any(has_surrogate(v) for v in request.POST.getlist(k))
                ]
            except Exception:  # noqa: S110 — a malformed body is the view's to refuse, as usual
                pass
        return fields

    @staticmethod
    def _refuse_too_long(request):
        """414 in the usual bilingual shape (gunicorn's own plain 414 only beyond its larger limit)."""
        from zimao.core.errors import BusinessError

        limit = settings.MAX_REQUEST_TARGET
        error = BusinessError.of(
            "request",
            "uri_too_long",
            f"请求地址过长（路径和查询参数合计不能超过 {limit} 个字符）",
            f"The request URI is too long (path and query at most {limit} characters)",
            status=414,
        )
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=414, json_dumps_params={"ensure_ascii": False})
        problem = error.problems[0]
        body = (
            f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>414</title></head>'
            f'<body><h1>{escape(problem.zh)}</h1><p lang="en">{escape(problem.en)}</p></body></html>'
        )
        return HttpResponse(body, status=414)

    @staticmethod
    def _refuse_unencodable(request, fields: list[str]):
        from zimao.core.errors import BusinessError

        error = BusinessError(*(unencodable_text_problem(f) for f in fields[:20]), status=422)
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=422, json_dumps_params={"ensure_ascii": False})
        items = "".join(f'<li>{escape(p.zh)}<br><span lang="en">{escape(p.en)}</span></li>' for p in error.problems)
        body = (
            f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>422</title></head>'
            f'<body><h1>无法处理的字符 <span lang="en">Characters that cannot be stored</span></h1>'
            f"<ul>{items}</ul></body></html>"
        )
        return HttpResponse(body, status=422)

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
        if request.method in ("POST", "PUT", "PATCH") and content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                return any(_has_nul([k, *request.POST.getlist(k)]) for k in request.POST)
            except Exception:
                return False
        return False

    @staticmethod
    def _refuse(request):
        from zimao.core.errors import BusinessError

        error = BusinessError.of("request", "nul_character", _NUL_ZH, _NUL_EN, status=400)
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=400, json_dumps_params={"ensure_ascii": False})
        body = (
            f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><title>400</title></head>'
            f'<body><h1>{escape(_NUL_ZH)}</h1><p lang="en">{escape(_NUL_EN)}</p></body></html>'
        )
        return HttpResponseBadRequest(body)
