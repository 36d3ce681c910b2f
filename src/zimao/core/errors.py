"""One bilingual error shape for pages, the API and the command line.

Every refusal names the field and the reason in Chinese and English: a ``Problem`` is one such
reason; ``BusinessError`` carries one or more to the edge, where the API renders them as
``ErrorOut`` and the pages show the message in the reader's language.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.utils.translation import get_language
from ninja import Schema

from zimao.core.fieldnames import field_label, register_field_labels  # noqa: F401 — the errors' API


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    zh: str
    en: str

    def message(self, language: str | None = None) -> str:
        language = language or get_language() or "zh-hans"
        return self.en if language.startswith("en") else self.zh

    def as_dict(self) -> dict:
        data = asdict(self)
        return {"field": data["field"], "code": data["code"], "message_zh": self.zh, "message_en": self.en}


class BusinessError(Exception):
    """A request zimao refuses for a reason the user can act on (never a server fault)."""

    status = 400

    def __init__(self, *problems: Problem, status: int | None = None):
        if not problems:
            raise ValueError("BusinessError needs at least one Problem")
        self.problems = list(problems)
        if status is not None:
            self.status = status
        super().__init__("; ".join(f"{p.field}: {p.en}" for p in problems))

    @classmethod
    def of(cls, field: str, code: str, zh: str, en: str, status: int | None = None) -> BusinessError:
        return cls(Problem(field, code, zh, en), status=status)

    def as_dict(self) -> dict:
        first = self.problems[0]
        return {
            "detail": f"{first.zh} / {first.en}",
            "errors": [p.as_dict() for p in self.problems],
        }


class NotFound(BusinessError):
    status = 404


class Forbidden(BusinessError):
    status = 403


class Conflict(BusinessError):
    status = 409


def not_found(what: str = "object") -> NotFound:
    return NotFound(Problem(what, "not_found", "未找到该记录，或您无权查看。", "Not found, or you may not see it."))


def forbidden(what: str = "request") -> Forbidden:
    return Forbidden(Problem(what, "forbidden", "您无权执行此操作。", "You are not allowed to do this."))


class ErrorItem(Schema):
    field: str
    code: str
    message_zh: str
    message_en: str


class ErrorOut(Schema):
    """Every error response of the API has this shape."""

    detail: str
    errors: list[ErrorItem] = []


# Declared on every operation: the errors any authenticated call can give.
COMMON_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

_PYDANTIC_ZH = {
    "missing": "此项必填",
    "string_too_long": "内容过长",
    "string_too_short": "内容过短",
    "string_type": "应为文本",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "decimal_parsing": "应为数字",
    "bool_parsing": "应为是或否",
    "bool_type": "应为是或否",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_not_iso": "应为日期（YYYY-MM-DD）",
    "date_out_of_range": "日期超出允许范围",
    "literal_error": "不是允许的取值",
    "enum": "不是允许的取值",
    "json_invalid": "不是有效的 JSON",
    "model_attributes_type": "格式不正确",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "extra_forbidden": "不允许的字段",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "uuid_parsing": "应为 UUID",
    "value_error": "取值不正确",
}


def field_problem(field: str, code: str, zh: str, en: str) -> Problem:
    """A problem whose text starts with the field's words: ``出口商名称：此项必填`` / ``Exporter
    name: is required``; ``field`` stays the machine path."""
    label_zh, label_en = field_label(field)
    return Problem(field, code, f"{label_zh}：{zh}", f"{label_en}: {en}")


def problems_from_validation(errors: list[dict]) -> list[Problem]:
    """Turn pydantic/ninja validation errors into bilingual problems naming the field."""
    problems = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", []) if p not in ("body", "query", "path", "form", "payload")]
        field = ".".join(loc) or "request"
        kind = err.get("type", "value_error")
        en = err.get("msg", "Invalid value")
        zh = _PYDANTIC_ZH.get(kind, "取值不正确")
        problems.append(field_problem(field, kind, zh, en))
    return problems or [Problem("request", "invalid", "请求格式不正确", "The request is malformed")]


def install_error_handlers(api) -> None:
    from ninja.errors import AuthenticationError, HttpError, ValidationError

    @api.exception_handler(BusinessError)
    def _business(request, exc: BusinessError):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(ValidationError)
    def _validation(request, exc: ValidationError):
        err = BusinessError(*problems_from_validation(exc.errors), status=422)
        return api.create_response(request, err.as_dict(), status=422)

    @api.exception_handler(AuthenticationError)
    def _auth(request, exc):
        err = BusinessError.of(
            "authorization",
            "unauthenticated",
            "请先登录或提供有效的访问令牌。",
            "Log in or provide a valid access token.",
            status=401,
        )
        return api.create_response(request, err.as_dict(), status=401)

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        err = BusinessError.of(
            "request", f"http_{exc.status_code}", str(exc.message), str(exc.message), status=exc.status_code
        )
        return api.create_response(request, err.as_dict(), status=exc.status_code)
