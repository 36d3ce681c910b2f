"""The Luoyang demo — 洛阳片区演示数据: the zone report's figures, each with its section.

``load_demo()`` is idempotent: it compares before it writes, so a second run changes nothing
(and returns 0). The data lives in ``data/luoyang_2022.json``; read its ``meta.notes`` for how
periods were assigned where the report states none.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from zimao.monitor import catalogue, periods, uscc
from zimao.monitor.models import (
    Chain,
    ChainLink,
    Enterprise,
    Indicator,
    IndicatorValue,
    Industry,
    InnovationOutcome,
    PilotTask,
    Project,
    TalentProgramme,
    Target,
)

DATA_FILE = Path(__file__).resolve().parent / "data" / "luoyang_2022.json"
SOURCE_NOTE = "片区发展现状报告 zone report"


def data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _same(a, b) -> bool:
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return a is not None and b is not None and Decimal(a) == Decimal(b)
        except Exception:
            return False
    return a == b


def _upsert(model, lookup: dict, values: dict):
    """Create, or update only the fields that differ; returns (obj, changed)."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True
    dirty = [k for k, v in values.items() if not _same(getattr(obj, k), v)]
    if dirty:
        for k in dirty:
            setattr(obj, k, values[k])
        obj.save(update_fields=dirty)
    return obj, bool(dirty)


def _set_m2m(manager, objs) -> bool:
    want = {o.pk for o in objs}
    have = set(manager.values_list("pk", flat=True))
    if want != have:
        manager.set(objs)
        return True
    return False


@transaction.atomic
def load_demo() -> int:
    """Load (or confirm) the demo; returns how many rows were created or changed."""
    d = data()
    changes = catalogue.sync()
    indicators = {i.code: i for i in Indicator.objects.all()}
    for row in d["values"]:
        p = periods.parse(row["period"])
        _, c = _upsert(
            IndicatorValue,
            {"indicator": indicators[row["indicator"]], "dimension": row.get("dimension", ""), "period_key": p.key},
            {
                "period_kind": p.kind,
                "period_start": p.start,
                "period_end": p.end,
                "value": Decimal(row["value"]),
                "qualifier": row.get("qualifier", ""),
                "published_yoy": Decimal(row["published_yoy"]) if row.get("published_yoy") else None,
                "section": row["section"],
                "source_note": (row.get("note") or SOURCE_NOTE)[:300],
            },
        )
        changes += c
    for row in d["targets"]:
        _, c = _upsert(
            Target,
            {
                "indicator": indicators[row["indicator"]],
                "dimension": "",
                "deadline": date.fromisoformat(row["deadline"]) if row["deadline"] else None,
                "comparison": row["comparison"],
            },
            {
                "value": Decimal(row["value"]),
                "note_zh": row["note_zh"],
                "note_en": row["note_en"],
                "section": row["section"],
            },
        )
        changes += c
    industries = {}
    for row in d["industries"]:
        obj, c = _upsert(
            Industry,
            {"key": row["key"]},
            {k: row.get(k, "") for k in ("group", "name_zh", "name_en", "lead_role", "section")}
            | {"sort": row["sort"]},
        )
        industries[row["key"]] = obj
        changes += c
    enterprises = {}
    for row in d["enterprises"]:
        code = uscc.demo_uscc(row["demo_counter"])
        obj, c = _upsert(
            Enterprise,
            {"uscc": code},
            {
                "name_zh": row["name_zh"],
                "name_en": row.get("name_en", ""),
                "uscc_is_demo": True,
                "section": row["section"],
                "note": "演示代码，非企业真实统一社会信用代码 demo code, not the company's real USCC",
            },
        )
        changes += c + _set_m2m(obj.industries, [industries[k] for k in row["industries"]])
        enterprises[row["name_zh"]] = obj
    for row in d["chains"]:
        chain, c = _upsert(
            Chain,
            {"key": row["key"]},
            {
                "industry": industries.get(row["industry"]),
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "illustrative": row["illustrative"],
                "sort": row["sort"],
            },
        )
        changes += c
        for i, link in enumerate(row["links"]):
            obj, c = _upsert(
                ChainLink,
                {"chain": chain, "name_zh": link["name_zh"]},
                {"stage": link["stage"], "name_en": link["name_en"], "sort": i},
            )
            changes += c + _set_m2m(obj.enterprises, [enterprises[n] for n in link["enterprises"]])
    for row in d["projects"]:
        _, c = _upsert(
            Project,
            {"kind": row["kind"], "name_zh": row["name_zh"]},
            {
                "stage": row["stage"],
                "name_en": row.get("name_en", ""),
                "year": row.get("year"),
                "section": row["section"],
                "note_zh": row.get("note_zh", ""),
                "note_en": row.get("note_en", ""),
            },
        )
        changes += c
    for row in d["outcomes"]:
        _, c = _upsert(
            InnovationOutcome,
            {"title_zh": row["title_zh"], "level": row["level"]},
            {
                "title_en": row["title_en"],
                "replication": row["replication"],
                "count": row.get("count", 1),
                "year": row.get("year"),
                "section": row["section"],
                "note_zh": row["note_zh"],
                "note_en": row["note_en"],
            },
        )
        changes += c
    for row in d["pilots"]:
        _, c = _upsert(
            PilotTask,
            {"title_zh": row["title_zh"]},
            {
                "title_en": row["title_en"],
                "level": row["level"],
                "status": row["status"],
                "items": row.get("items"),
                "batches": row.get("batches"),
                "section": row["section"],
                "note_zh": row["note_zh"],
                "note_en": row["note_en"],
            },
        )
        changes += c
    for row in d["talent"]:
        _, c = _upsert(
            TalentProgramme,
            {"name_zh": row["name_zh"]},
            {k: row[k] for k in ("name_en", "count", "unit_zh", "unit_en", "section")},
        )
        changes += c
    return changes
