"""The form engine: a service's form is data (``ServiceItem.form``); this validates an
application against it and names every wrong field in Chinese and English.

Field definition: ``{"key", "type", "label_zh", "label_en", "required", "choices",
"max_length", "min", "max", "not_before", "not_after", "help_zh", "help_en", "default"}``
(date bounds: ``"today"``, ``"+N"``/``"-N"`` days or an ISO date, within 1900 … today + 100 years). Types: text, textarea, int,
decimal, date, bool, choice, multichoice, id_number, phone, uscc, division, json (a structured
value), table (rows of ``columns``, e.g. a bill of goods), and any registered in
``plugins.field_types``. Personal data (id_number, phone) is stored encrypted with a mask beside it.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from zimao.catalog import plugins
from zimao.core import protected
from zimao.core.errors import Problem
from zimao.core.middleware import surrogate_paths, unencodable_text_problem

PROTECTED_TYPES = {"id_number", "phone"}
PHONE_RE = re.compile(r"^1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def iter_fields(form: dict):
    for section in form.get("sections", []):
        for field in section.get("fields", []):
            yield section, field


def field_path(section: dict, field: dict) -> str:
    return f"{section['key']}.{field['key']}"


def _label(field: dict) -> tuple[str, str]:
    return field.get("label_zh", field["key"]), field.get("label_en", field["key"])


def _choice_values(field: dict) -> list[str]:
    return [c[0] if isinstance(c, (list, tuple)) else c for c in field.get("choices", [])]


def _normalise(field: dict, raw):
    """Return the stored value, or raise ValueError((zh, en))."""
    kind = field.get("type", "text")
    if kind in ("text", "textarea"):
        value = str(raw).strip()
        if CONTROL_RE.search(value):
            raise ValueError(("含有不可见的控制字符", "contains control characters"))
        limit = field.get("max_length", 200 if kind == "text" else 2000)
        if len(value) > limit:
            raise ValueError((f"不能超过 {limit} 个字", f"must be at most {limit} characters"))
        if "pattern" in field and not re.fullmatch(field["pattern"], value):
            raise ValueError(("格式不正确", "is not in the expected format"))
        return value
    if kind in ("int", "decimal"):
        try:
            number = int(str(raw).strip()) if kind == "int" else Decimal(str(raw).strip())
            if kind == "decimal" and not number.is_finite():
                raise InvalidOperation
        except (ValueError, InvalidOperation):
            raise ValueError(("应为数字", "must be a number")) from None
        if "min" in field and number < Decimal(str(field["min"])):
            raise ValueError((f"不能小于 {field['min']}", f"must be at least {field['min']}"))
        if "max" in field and number > Decimal(str(field["max"])):
            raise ValueError((f"不能大于 {field['max']}", f"must be at most {field['max']}"))
        return number if kind == "int" else str(number)
    if kind == "date":
        from zimao.core import dates

        try:
            value = date.fromisoformat(str(raw).strip())
        except ValueError:
            raise ValueError(("应为日期，格式 YYYY-MM-DD", "must be a date as YYYY-MM-DD")) from None
        # Every date field has a sane range; a field may narrow it ("not_before": "today" for
        # an appointment, "not_after": "today" for a date of birth).
        reason = dates.out_of_range(value, not_before=field.get("not_before"), not_after=field.get("not_after"))
        if reason:
            raise ValueError(reason)
        return value.isoformat()
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on", "是"):
            return True
        if text in ("0", "false", "no", "off", "否", ""):
            return False
        raise ValueError(("应为是或否", "must be yes or no"))
    if kind == "choice":
        value = str(raw).strip()
        if value not in _choice_values(field):
            raise ValueError(("不是可选的取值", "is not one of the allowed choices"))
        return value
    if kind == "multichoice":
        values = raw if isinstance(raw, (list, tuple)) else [v for v in str(raw).split(",") if v]
        allowed = _choice_values(field)
        bad = [v for v in values if v not in allowed]
        if bad:
            raise ValueError(
                (f"不是可选的取值：{', '.join(map(str, bad))}", f"not allowed: {', '.join(map(str, bad))}")
            )
        return [v for v in allowed if v in values]  # canonical order, no duplicates
    if kind == "id_number":
        from zimao.core.identifiers import validate_id_number

        result = validate_id_number(str(raw))
        if not result.valid:
            p = result.problems[0]
            raise ValueError((p.zh, p.en))
        return result.value
    if kind == "phone":
        value = str(raw).strip().replace(" ", "")
        if not PHONE_RE.match(value):
            raise ValueError(
                ("应为11位手机号或带区号的固定电话", "must be an 11-digit mobile or a landline with area code")
            )
        return value
    if kind == "uscc":
        from zimao.core.identifiers import validate_uscc

        result = validate_uscc(str(raw))
        if not result.valid:
            p = result.problems[0]
            raise ValueError((p.zh, p.en))
        return result.value
    if kind == "division":
        from django.utils import timezone

        from zimao.core.divisions import is_valid_division

        value = str(raw).strip()
        if not is_valid_division(value, on=timezone.localdate()):  # a new application names a current division
            raise ValueError(
                ("不是有效的行政区划代码（GB/T 2260）", "is not a valid administrative division code (GB/T 2260)")
            )
        return value
    if kind == "table":
        return _table(field, raw)
    if kind == "json":
        return _json_value(field, raw)
    if kind in plugins.field_types:
        return plugins.field_types[kind].func(raw, field)
    raise ValueError(("字段类型未定义", f"unknown field type {kind!r}"))


def _json_value(field: dict, raw):
    """A structured value (object or list) given as such or as JSON text, e.g. a bill of materials."""
    import json

    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValueError(("不是有效的 JSON", "is not valid JSON")) from None
    if not isinstance(raw, (dict, list)):
        raise ValueError(("应为对象或列表", "must be an object or a list"))
    limit = field.get("max_bytes", 512 * 1024)
    if len(json.dumps(raw, ensure_ascii=False)) > limit:
        raise ValueError((f"内容过大（最多 {limit} 字节）", f"is too large (at most {limit} bytes)"))
    return raw


def _table(field: dict, raw) -> list[dict]:
    """A table of rows — 明细表 (e.g. a bill of goods): ``columns`` are field definitions checked
    cell by cell like any field; ``min_rows``/``max_rows`` bound the rows. A wrong cell is named
    by its row and column."""
    if not isinstance(raw, (list, tuple)):
        raise ValueError(("应为若干行的列表", "must be a list of rows"))
    low, high = field.get("min_rows", 1), field.get("max_rows", 50)
    if not low <= len(raw) <= high:
        raise ValueError((f"应有 {low} 至 {high} 行", f"must have {low} to {high} rows"))
    columns = {c["key"]: c for c in field.get("columns", [])}
    rows = []
    for i, row in enumerate(raw, start=1):
        if not isinstance(row, dict):
            raise ValueError((f"第 {i} 行应为对象", f"row {i} must be an object"))
        unknown = sorted(set(row) - set(columns))
        if unknown:
            raise ValueError((f"第 {i} 行没有“{unknown[0]}”这一列", f"row {i} has no column {unknown[0]!r}"))
        cleaned = {}
        for key, column in columns.items():
            zh_label, en_label = _label(column)
            value = row.get(key, column.get("default"))
            if value is None or value == "" or value == []:
                if column.get("required"):
                    raise ValueError((f"第 {i} 行请填写“{zh_label}”", f"row {i}: enter {en_label}"))
                continue
            try:
                cleaned[key] = _normalise(column, value)
            except ValueError as exc:
                zh, en = exc.args[0]
                raise ValueError((f"第 {i} 行“{zh_label}”{zh}", f"row {i}: {en_label} {en}")) from None
        rows.append(cleaned)
    return rows


def protect(kind: str, value: str) -> dict:
    """How personal data sits in a case's JSON: encrypted, with a mask for display."""
    mask = protected.mask_id_number if kind == "id_number" else protected.mask_phone
    return {"protected": protected.encrypt_text(value), "masked": mask(value)}


def reveal(value):
    """The plain value of a protected entry (for the officer who must see it, audited by caller)."""
    if isinstance(value, dict) and "protected" in value:
        return protected.decrypt_text(value["protected"])
    return value


def display(value, language: str = "zh-hans"):
    """A value as shown to a person: personal data masked, a list joined the reader's way
    (顿号 in Chinese, a comma in English)."""
    if isinstance(value, dict) and "masked" in value:
        return value["masked"]
    if isinstance(value, list):
        return (", " if language.startswith("en") else "、").join(map(str, value))
    return value


def validate(form: dict, data: dict, *, partial: bool = False) -> tuple[dict, list[Problem]]:
    """Validate ``data`` (``{section: {field: value}}``) against ``form``.

    Returns the cleaned data (personal data already protected) and every problem found, so the
    applicant sees all of them at once. ``partial`` skips "required" (saving a draft section).
    """
    cleaned: dict = {}
    problems: list[Problem] = []
    if not isinstance(data, dict):
        return {}, [Problem("data", "invalid", "申请数据应为对象", "application data must be an object")]
    known_sections = {s["key"] for s in form.get("sections", [])}
    for key in data:
        if key not in known_sections:
            problems.append(
                Problem(
                    str(key), "unknown_section", f"{key}：表单中没有这一部分", f"{key}: no such section in this form"
                )
            )
    for section, field in iter_fields(form):
        path = field_path(section, field)
        section_data = data.get(section["key"]) or {}
        if not isinstance(section_data, dict):
            problems.append(Problem(section["key"], "invalid", "应为对象", "must be an object"))
            continue
        raw = section_data.get(field["key"], field.get("default"))
        zh_label, en_label = _label(field)
        if raw is None or raw == "" or raw == []:
            if field.get("required") and not partial:
                problems.append(Problem(path, "required", f"请填写“{zh_label}”", f"Enter {en_label}"))
            continue
        if next(surrogate_paths(raw), None) is not None:  # also for callers that do not come through the HTTP edge
            problems.append(unencodable_text_problem(path))
            continue
        try:
            value = _normalise(field, raw)
        except ValueError as exc:
            zh, en = exc.args[0] if exc.args and isinstance(exc.args[0], tuple) else ("取值不正确", str(exc))
            problems.append(Problem(path, "invalid", f"“{zh_label}”{zh}", f"{en_label} {en}"))
            continue
        if field.get("type") in PROTECTED_TYPES:
            value = protect(field["type"], value)
        cleaned.setdefault(section["key"], {})[field["key"]] = value
    for section in form.get("sections", []):
        for key in (data.get(section["key"]) or {}) if isinstance(data.get(section["key"]), dict) else {}:
            if key not in {f["key"] for f in section.get("fields", [])}:
                problems.append(
                    Problem(
                        f"{section['key']}.{key}",
                        "unknown_field",
                        f"{key}：表单中没有这一项",
                        f"{key}: no such field in this form",
                    )
                )
    return cleaned, problems


def summary(form: dict, data: dict, language: str = "zh-hans") -> list[dict]:
    """Check-your-answers rows: section title, label and displayed (masked) value."""
    rows = []
    en = language.startswith("en")
    for section, field in iter_fields(form):
        value = (data.get(section["key"]) or {}).get(field["key"])
        if value is None:
            continue
        if field.get("type") in ("choice", "multichoice"):
            labels = {
                (c[0] if isinstance(c, (list, tuple)) else c): (
                    c[2]
                    if en and isinstance(c, (list, tuple)) and len(c) > 2
                    else c[1]
                    if isinstance(c, (list, tuple)) and len(c) > 1
                    else c
                )
                for c in field.get("choices", [])
            }
            value = [labels.get(v, v) for v in value] if isinstance(value, list) else labels.get(value, value)
        rows.append(
            {
                "section": section.get("title_en" if en else "title_zh", section["key"]),
                "section_key": section["key"],
                "label": field.get("label_en" if en else "label_zh", field["key"]),
                "value": display(value, language),
            }
        )
    return rows


def validate_decision(fields: list[dict], data) -> tuple[dict, list[Problem]]:
    """Decision-time fields — 审批时填写的信息 (e.g. an exchange rate, a reason): what a process
    task declares in ``decision_fields`` and the officer gives when approving. Problems are named
    ``fields.<key>``."""
    form = {"sections": [{"key": "fields", "fields": fields}]}
    cleaned, problems = validate(form, {"fields": data if isinstance(data, dict) else {}})
    return cleaned.get("fields", {}), problems
