"""Field names people read — 字段名称 (no Django: the origin engine uses it outside a project).

A problem's ``field`` is the machine path (``exporter.name``, ``goods[0].hs``, ``goods.0.hs``)
that the API returns and forms use to place the message; its text names the field in words
(出口商名称 / Exporter name; 第1项货物 HS编码 / Goods item 1, HS code). Apps register the words
for their keys (``register_field_labels`` in ``AppConfig.ready``); a key nobody registered is
shown as it is, and a test per app checks that its forms leave none.
"""

from __future__ import annotations

import re

_FIELD_LABELS: dict[str, tuple[str, str]] = {
    "request": ("请求", "Request"),
    "name": ("名称", "Name"),
    "address": ("地址", "Address"),
    "uscc": ("统一社会信用代码", "Unified social credit code"),
    "date": ("日期", "Date"),
    "number": ("编号", "Number"),
    "quantity": ("数量", "Quantity"),
    "unit": ("单位", "Unit"),
    "value": ("金额", "Value"),
    "description": ("描述", "Description"),
    "country": ("国家或地区", "Country or region"),
    "reason": ("理由", "Reason"),
    "idempotency_key": ("幂等键", "Idempotency key"),
}
# A list's items: (zh with {n}, en with {n}), n counted from 1 as people count.
_ITEM_LABELS: dict[str, tuple[str, str]] = {}
_PATH_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def register_field_labels(labels: dict[str, tuple[str, str]], items: dict[str, tuple[str, str]] | None = None) -> None:
    """Words for field keys (a plain key; a dotted one such as ``exporter.name`` that names the
    pair better than its parts would; ``materials[].value`` for a key inside a list's items), and for the items of list fields (``{"goods":
    ("第{n}项货物", "Goods item {n}")}``). A key already named keeps its first words."""
    for key, words in labels.items():
        _FIELD_LABELS.setdefault(key, words)
    for key, words in (items or {}).items():
        _ITEM_LABELS.setdefault(key, words)


def field_label(path: str) -> tuple[str, str]:
    """(zh, en) words for a field path: ``goods[0].hs`` → ("第1项货物 HS编码", "Goods item 1, HS
    code"); ``exporter.name`` → ("出口商名称", "Exporter name"). Digit segments (``goods.0.hs``,
    pydantic's locations) count as list positions."""
    zh_parts: list[str] = []
    en_parts: list[str] = []
    run: list[tuple[str, int]] = []  # plain keys since the last list position, with their part's index
    parent = ""  # the list the run is in: "materials[].value" names a material's value
    for index, key in _PATH_PART.findall(path or ""):
        if key.isdigit():
            index, key = key, ""
        if index:
            n = int(index) + 1
            item = _ITEM_LABELS.get(run[-1][0]) if run else None
            if item:  # "goods" then [0]: 第1项货物 / Goods item 1
                zh_parts[-1], en_parts[-1] = item[0].format(n=n), item[1].format(n=n)
            else:
                zh_parts.append(f"第{n}项")
                en_parts.append(f"item {n}")
            parent = run[-1][0] if run else ""
            run = []
            continue
        run.append((key, len(zh_parts)))
        words = _FIELD_LABELS.get(f"{parent}[].{key}") or _FIELD_LABELS.get(key, (key, key))
        # The longest dotted run with words of its own (exporter.name → 出口商名称) replaces the
        # parts it is made of.
        for start in range(len(run) - 1):
            dotted = ".".join(k for k, _ in run[start:])
            if dotted in _FIELD_LABELS:
                at = run[start][1]
                del zh_parts[at:], en_parts[at:]
                run[-1] = (key, at)
                words = _FIELD_LABELS[dotted]
                break
        zh_parts.append(words[0])
        en_parts.append(words[1])
    if not zh_parts:
        return _FIELD_LABELS["request"]
    en_text = en_parts[0] + "".join(
        ", " + (p[0].lower() + p[1:] if len(p) > 1 and p[1].islower() else p) for p in en_parts[1:]
    )
    return " ".join(zh_parts), en_text
