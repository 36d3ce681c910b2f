"""Item attributes that apps register with the catalogue (扩展属性) — the catalogue stays generic.

A service app that needs facts about catalogue items the engine does not know (the permit reform's
mode, published conditions, validity…) registers them here once, in its ``AppConfig.ready``, the
way Open Forms' plugins carry their ``configuration_options``: each attribute has a kind, labels
and, for a choice, its values — enough for the catalogue to validate, load, export and import it
without knowing what it means::

    extensions.register(
        "permits",
        attributes={"reform_mode": Attribute("choice", "改革方式", "Reform mode", choices=[("filing", "…", "…")])},
        sections={"bundles": load_bundles},   # catalogue-data sections the app loads after the items
    )

The values live on the item, in ``ServiceItem.attributes`` keyed by the app (``{"permits":
{"reform_mode": "filing"}}``). Catalogue data and the Excel list keep one flat row per item; an
attribute's name says which app it belongs to (names are unique across apps). The app that
registered an attribute is the only one that interprets it — it reads it through ``values``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from zimao.core.errors import Problem

KINDS = ("text", "choice", "int?", "list", "object")


@dataclass(frozen=True)
class Attribute:
    """One item attribute: ``kind`` is text, choice (one of ``choices`` ``(value, zh, en)``; "" is
    allowed and means none), int? (a whole number ≥ 1, or None), list (of strings) or object (a
    JSON object). ``column`` is the Excel list's Chinese header; ``after`` the column it follows;
    ``required_column`` makes the list refuse a workbook without it."""

    kind: str
    label_zh: str
    label_en: str
    choices: tuple = ()
    column: str = ""
    width: int = 20
    after: str = ""
    required_column: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown attribute kind {self.kind!r}")

    @property
    def default(self):
        return {"text": "", "choice": "", "int?": None, "list": [], "object": {}}[self.kind]

    def clean(self, name: str, value):
        """``(value, problem)``: the stored form of ``value``, or a bilingual problem naming it."""
        if value is None or value == "":
            return self.default, None
        if self.kind == "text":
            return str(value), None
        if self.kind == "choice":
            if value in {c[0] for c in self.choices}:
                return value, None
            allowed = ", ".join(c[0] for c in self.choices)
            return value, Problem(
                name, "invalid_choice", f"{self.label_zh}应为：{allowed}", f"must be one of {allowed}"
            )
        if self.kind == "int?":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                return value, Problem(name, "invalid", "应为不小于1的整数", "must be a whole number of 1 or more")
            return value, None
        if self.kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return value, Problem(name, "invalid", "应为文本列表", "must be a list of texts")
            return list(value), None
        if not isinstance(value, dict):
            return value, Problem(name, "invalid", "应为 JSON 对象", "must be a JSON object")
        return json.loads(json.dumps(value)), None

    def choice_words(self, value: str) -> tuple[str, str]:
        return next(((zh, en) for v, zh, en in self.choices if v == value), ("", ""))


@dataclass(frozen=True)
class Sheet:
    """A worksheet of the Excel list that carries one of the app's data sections (e.g. the
    business-scope activities): ``columns`` ``[(key, Chinese header)]``, ``rows()`` for export."""

    title: str
    section: str
    columns: tuple
    required: tuple
    rows: Callable


@dataclass
class Extension:
    app_label: str
    attributes: dict[str, Attribute]
    # Top-level sections of catalogue data the app loads after the items: ``fn(rows, actor) -> counts``.
    sections: dict[str, Callable] = field(default_factory=dict)
    sheets: tuple = ()
    # Checks across one imported row: ``fn(row, context) -> [(attribute, zh, en)]``; context has
    # ``item_codes`` (in the catalogue or the file) and ``data`` (the sections read so far).
    check_row: Callable | None = None
    # A row that is not an item but an entry of a section (e.g. a themed bundle): ``fn(row) ->
    # (section, entry) | None``.
    route_row: Callable | None = None


_registry: dict[str, Extension] = {}


def register(
    app_label: str,
    *,
    attributes: dict[str, Attribute],
    sections: dict[str, Callable] | None = None,
    sheets: tuple = (),
    check_row: Callable | None = None,
    route_row: Callable | None = None,
):
    """Register (or re-register, e.g. on reload) an app's item attributes and data sections."""
    owners = {name: ext.app_label for ext in _registry.values() for name in ext.attributes}
    for name in attributes:
        if owners.get(name, app_label) != app_label:
            raise ValueError(f"attribute {name!r} is registered by {owners[name]!r} already")
    _registry[app_label] = Extension(
        app_label, dict(attributes), dict(sections or {}), tuple(sheets), check_row, route_row
    )
    return _registry[app_label]


def registered() -> list[Extension]:
    return list(_registry.values())


def extension(app_label: str) -> Extension:
    return _registry[app_label]


def owner(name: str) -> tuple[str, Attribute] | None:
    """The app that registered the attribute ``name``, and the attribute."""
    for ext in _registry.values():
        if name in ext.attributes:
            return ext.app_label, ext.attributes[name]
    return None


def values(item, app_label: str) -> dict:
    """The app's attributes of ``item``, every registered one present (its default when unset)."""
    stored = (getattr(item, "attributes", None) or {}).get(app_label) or {}
    ext = _registry.get(app_label)
    if ext is None:
        return dict(stored)
    return {name: stored.get(name, attr.default) for name, attr in ext.attributes.items()}


def split_row(row: dict) -> tuple[dict, dict[str, dict], list[Problem]]:
    """A flat catalogue row → (the item's own keys, ``{app: {attribute: value}}``, problems)."""
    own: dict = {}
    attrs: dict[str, dict] = {}
    problems: list[Problem] = []
    for key, value in row.items():
        found = owner(key)
        if found is None:
            own[key] = value
            continue
        app, attr = found
        cleaned, problem = attr.clean(key, value)
        if problem:
            problems.append(problem)
        attrs.setdefault(app, {})[key] = cleaned
    return own, attrs, problems


def merged(current: dict | None, updates: dict[str, dict]) -> dict:
    """``ServiceItem.attributes`` with ``updates`` applied per app and attribute (others kept)."""
    out = {app: dict(vals) for app, vals in (current or {}).items()}
    for app, vals in updates.items():
        out.setdefault(app, {}).update(vals)
    return out


def update(item, app_label: str, values_: dict) -> None:
    """Set some of the app's attributes of ``item`` (checked by their kinds) and save the item."""
    from zimao.core.errors import BusinessError

    ext = _registry[app_label]
    cleaned, problems = {}, []
    for name, value in values_.items():
        attr = ext.attributes.get(name)
        if attr is None:
            problems.append(
                Problem(name, "unknown_attribute", "未注册的属性", f"{app_label} registers no attribute {name!r}")
            )
            continue
        cleaned[name], problem = attr.clean(name, value)
        if problem:
            problems.append(problem)
    if problems:
        raise BusinessError(*problems)
    item.attributes = merged(item.attributes, {app_label: cleaned})
    item.save(update_fields=["attributes"])


def flat(item) -> dict:
    """Every registered attribute of ``item`` as one flat dict (for export)."""
    out: dict = {}
    for ext in _registry.values():
        out.update(values(item, ext.app_label))
    return out
