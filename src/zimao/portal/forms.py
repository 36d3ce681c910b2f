"""The adapter that turns one section of a catalogue form (``ServiceItem.form``) into HTML fields and a
POST back into the values ``catalog.forms.validate`` expects. The catalogue decides what is asked;
this module only decides how it looks: radios for a short list, a select for a long one,
checkboxes for many, a text box with the right keyboard for numbers.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext

from zimao.cases import drafts as saved_drafts
from zimao.catalog import forms as engine
from zimao.portal.pages import dom_id
from zimao.portal.present import bi

# ---------------------------------------------------------------- catalogue form sections

RADIO_LIMIT = 5  # more choices than this are a select (GOV.UK: radios for a short list)


def choice_value(choice) -> str:
    return str(choice[0] if isinstance(choice, (list, tuple)) else choice)


def choice_label(choice) -> str:
    return (
        bi(choice)
        if isinstance(choice, (list, tuple)) and len(choice) > 1
        else str(choice[0] if isinstance(choice, (list, tuple)) else choice)
    )


def widget_for(field: dict) -> str:
    kind = field.get("type", "text")
    choices = field.get("choices") or []
    if kind == "textarea":
        return "textarea"
    if kind == "bool":
        return "checkbox"
    if kind == "multichoice":
        return "checkboxes"
    if kind == "choice":
        return "radios" if len(choices) <= RADIO_LIMIT else "select"
    if kind == "division" and choices:
        return "select"
    if kind == "date":
        return "date"
    if kind == "table":
        return "table"
    if kind == "json":
        return "textarea"
    return "text"


INPUT_MODES = {"int": "numeric", "decimal": "decimal", "phone": "tel", "id_number": "text"}
AUTOCOMPLETE = {"phone": "tel"}


def empty_value(field: dict):
    return [] if field.get("type") in ("multichoice", "table") else ""


SPARE_ROWS = 2  # blank rows a table offers below its answers (no script needed to add one)


def cell_name(key: str, row: int, column: str) -> str:
    """The POST name of a table cell: ``goods[0].quantity``."""
    return f"{key}[{row}].{column}"


def _read_table(field: dict, post) -> list[dict]:
    """The rows of a table field from a POST, in order, blank rows left out."""
    key, columns = field["key"], [c["key"] for c in field.get("columns", [])]
    rows = []
    for i in range(int(field.get("max_rows", 50)) + SPARE_ROWS):
        row = {c: (post.get(cell_name(key, i, c)) or "").strip() for c in columns}
        if any(row.values()):
            rows.append({c: v for c, v in row.items() if v != ""})
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _table_rows(field: dict, value) -> list[dict]:
    """What the template draws for a table: the rows answered, then blank rows to add more."""
    key = field["key"]
    answered = [r for r in (value if isinstance(value, list) else []) if isinstance(r, dict)]
    high = int(field.get("max_rows", 50))
    count = min(high, max(len(answered) + SPARE_ROWS, int(field.get("min_rows", 1))))
    rows = []
    for i in range(max(count, len(answered))):
        row = answered[i] if i < len(answered) else {}
        cells = []
        for column in field.get("columns", []):
            kind = column.get("type", "text")
            name = cell_name(key, i, column["key"])
            cells.append(
                {
                    "name": name,
                    "id": dom_id(name),
                    "header_id": dom_id(f"{key}.{column['key']}") + "-head",
                    "widget": "textarea" if kind == "json" else ("date" if kind == "date" else "text"),
                    "inputmode": INPUT_MODES.get(kind, ""),
                    "value": _cell_text(row.get(column["key"])),
                }
            )
        rows.append({"number": i + 1, "id": dom_id(f"{key}[{i}]") + "-row", "cells": cells})
    return rows


def read_post(section: dict, post, saved: dict) -> tuple[dict, dict]:
    """``(values to validate, values as typed)`` for one section from a POST.

    A protected field (identity or phone number) left blank keeps what was saved before: the page
    never shows it again, so the applicant re-enters it only to change it.
    """
    values, typed = {}, {}
    for field in section.get("fields", []):
        key, kind = field["key"], field.get("type", "text")
        if kind == "multichoice":
            raw = [v for v in post.getlist(key) if v]
        elif kind == "table":
            raw = _read_table(field, post)
        elif kind == "bool":
            # An unticked box is "no"; for a box that must be ticked, it is "not answered".
            raw = "true" if post.get(key) else ("" if field.get("required") else "false")
        else:
            raw = (post.get(key) or "").strip()
        typed[key] = raw
        if kind in engine.PROTECTED_TYPES and raw == "" and isinstance(saved.get(key), dict):
            raw = engine.reveal(saved[key])
        values[key] = raw
    return values, typed


def draft_values(section: dict, cleaned: dict) -> dict:
    """What the draft keeps for a section (``cases.drafts.section_values``: the API saves drafts too)."""
    return saved_drafts.section_values(section, cleaned)


def bound_fields(
    section: dict, *, saved: dict | None, typed: dict | None = None, errors: dict | None = None
) -> list[dict]:
    """Everything a template needs to draw one section's fields.

    ``typed`` is what was just posted (redisplayed after an error); otherwise the saved draft, or
    the catalogue's default for a section not yet answered.
    """
    errors = errors or {}
    out = []
    for field in section.get("fields", []):
        key, kind = field["key"], field.get("type", "text")
        widget = widget_for(field)
        stored = (saved or {}).get(key) if saved is not None else field.get("default")
        masked = ""
        if kind in engine.PROTECTED_TYPES:
            # Never back into the page once saved: show the mask, let them type it again.
            if isinstance(stored, dict):
                masked = stored.get("masked", "")
            stored = None
        value = typed[key] if typed is not None and key in typed else stored
        table = _table_rows(field, value) if widget == "table" else []
        if kind == "json" and isinstance(value, (dict, list)):
            value = _cell_text(value)
        if isinstance(value, dict):
            value = ""
        if widget == "checkboxes":
            selected = {str(v) for v in (value or [])}
        elif widget == "checkbox":
            selected = {"true"} if value in (True, "true", "1", "on", "yes") else set()
        else:
            selected = {"" if value is None else str(value)}
        choices = [
            {
                "value": choice_value(c),
                "label": choice_label(c),
                "id": f"f-{key}" if i == 0 else f"f-{key}-{i}",
                "selected": choice_value(c) in selected,
            }
            for i, c in enumerate(field.get("choices") or [])
        ]
        out.append(
            {
                "key": key,
                "id": f"f-{key}",
                "type": kind,
                "widget": widget,
                "label": bi(field, "label") or key,
                "hint": bi(field, "help"),
                "required": bool(field.get("required")) and not masked,
                "value": "" if value is None or isinstance(value, list) else str(value),
                "checked": "true" in selected,
                "choices": choices,
                "has_empty": widget == "select" and not any(c["selected"] for c in choices),
                "inputmode": INPUT_MODES.get(kind, ""),
                "autocomplete": AUTOCOMPLETE.get(kind, "off" if kind in engine.PROTECTED_TYPES else ""),
                "maxlength": field.get("max_length") if kind in ("text", "textarea") else None,
                "masked": masked,
                "error": errors.get(key, ""),
                "columns": [
                    {
                        "label": bi(c, "label") or c["key"],
                        "required": bool(c.get("required")),
                        "id": dom_id(f"{key}.{c['key']}") + "-head",
                    }
                    for c in field.get("columns", [])
                ]
                if widget == "table"
                else [],
                "rows": table,
            }
        )
    return out


def plain_field(
    name, label, value="", *, errors=None, hint="", widget="text", choices=None, required=True, width=""
) -> dict:
    """A field drawn by ``web/_field.html`` for a page whose form is not catalogue data (e.g. a
    certificate application): ``name`` is the field path the service names in its problems."""
    errors = errors or {}
    fid = dom_id(name)
    value = "" if value is None else value
    return {
        "key": name,
        "id": fid,
        "label": label,
        "value": value,
        "error": errors.get(name, ""),
        "hint": hint,
        "widget": widget,
        "required": required,
        "width": width,
        "type": "",
        "choices": [
            {"value": v, "label": lbl, "id": fid if i == 0 else f"{fid}-{i}", "selected": str(v) == str(value)}
            for i, (v, lbl) in enumerate(choices or [])
        ],
    }


def summary_data(form: dict, data: dict, language: str = "zh-hans") -> dict:
    """The data ``catalog.forms.summary`` shows, with the few things it does not put into words:
    blank answers left out, a division shown by its name, yes/no for a box."""
    out = {}
    en = language.startswith("en")
    for section, field in engine.iter_fields(form):
        value = (data.get(section["key"]) or {}).get(field["key"])
        if value is None or value == "" or value == []:
            continue
        kind = field.get("type")
        if kind == "division" and field.get("choices"):
            labels = {choice_value(c): choice_label(c) for c in field["choices"]}
            if value in labels:
                value = f"{labels[value]} ({value})" if en else f"{labels[value]}（{value}）"
        elif kind == "bool":
            value = gettext("Yes") if value is True else gettext("No")
        elif kind == "table" and isinstance(value, list):
            keys = [c["key"] for c in field.get("columns", [])]
            value = ("; " if en else "；").join(
                f"{i}. " + " · ".join(_cell_text(row[k]) for k in keys if row.get(k) not in (None, ""))
                for i, row in enumerate(value, 1)
                if isinstance(row, dict)
            )
        elif kind == "json":
            value = _cell_text(value)
        out.setdefault(section["key"], {})[field["key"]] = value
    return out


def grouped_summary(form: dict, data: dict, language: str) -> list[dict]:
    """Check-your-answers rows grouped by section (one summary list per section)."""
    rows = engine.summary(form, summary_data(form, data, language), language)
    groups: list[dict] = []
    titles = {s["key"]: bi(s, "title") or s["key"] for s in form.get("sections", [])}
    for section in form.get("sections", []):
        mine = [r for r in rows if r["section_key"] == section["key"]]
        groups.append({"key": section["key"], "title": titles[section["key"]], "rows": mine})
    return groups
