"""Themed bundles (主题服务, 一件事一次办, "我要…") built from their members' catalogue data.

A bundle is a service item whose ``bundle`` attribute (registered by permits with the catalogue)
names member items. Its form, materials, checks,
time limits and process are *generated* from the members, so a bundle is one more catalogue
entry and a member changed in the catalogue changes every bundle that holds it on the next load:

- form: the members' sections in order; a section two members share (same key, e.g. the
  company or the commitment) is asked once, its fields merged; ``skip_sections`` leaves out what
  another member produces (e.g. the company, when the bundle registers it);
- one submission, one case, one clock: the bundle's limits are the longest of its members'
  unless the bundle sets its own;
- one intake at the window, then review phases: a member's first review stage runs in phase
  ``phase`` (default 0), its next in the phase after, and every stage of one phase runs in
  parallel — one task per department — and waits for all (join ``all``);
- one output window: a single issue stage with every member's outputs.

Spec (one row of ``bundles`` in catalogue data)::

    {"code", "name_zh", "name_en", "department", "members": ["QYKB-001", {"code": "ZZ-SPJY", "phase": 1}],
     "skip_sections": ["company"], "activities": ["catering"], "guide_zh", "guide_en",
     "legal_limit_days"?, "promised_limit_days"?, "intake_department"?,
     "existing_company"?: {"code", "name_zh", "name_en", "without": "QYKB-001", "guide_zh"?, "guide_en"?}}

``existing_company`` offers the bundle to a company that already exists: a second item (its
``variant_of`` names the bundle) built the same way from the members but ``without`` the one that
founds the company, and asking for the company (the members' ``company`` section) instead of
skipping it. Listings show the bundle once; its page offers both ways in.
"""

from __future__ import annotations

import copy

from django.db import transaction

from zimao.catalog import extensions
from zimao.catalog.models import Department, ServiceItem
from zimao.core.errors import BusinessError, Problem
from zimao.permits.catalogue import facts


def member_specs(spec: dict) -> list[dict]:
    """Members as ``{"code", "phase"}`` in the bundle's order."""
    out = []
    for m in spec.get("members", []):
        if isinstance(m, str):
            out.append({"code": m, "phase": 0})
        else:
            out.append({"code": m["code"], "phase": int(m.get("phase", 0))})
    return out


def _union(lists) -> list:
    seen, out = set(), []
    for values in lists:
        for v in values:
            if v not in seen:
                seen.add(v)
                out.append(v)
    return out


def _merge_form(items: list[ServiceItem], skip: set[str]) -> dict:
    sections: list[dict] = []
    by_key: dict[str, dict] = {}
    for item in items:
        for section in item.form.get("sections", []):
            if section["key"] in skip:
                continue
            if section["key"] not in by_key:
                merged = copy.deepcopy(section)
                sections.append(merged)
                by_key[section["key"]] = merged
                continue
            # Asked once: a field two members both need appears one time.
            merged = by_key[section["key"]]
            known = {f["key"] for f in merged.get("fields", [])}
            merged.setdefault("fields", []).extend(
                copy.deepcopy(f) for f in section.get("fields", []) if f["key"] not in known
            )
    return {"sections": sections}


def _merge_materials(items: list[ServiceItem]) -> list[dict]:
    out: list[dict] = []
    by_key: dict[str, dict] = {}
    for item in items:
        for m in item.materials:
            if m["key"] in by_key:
                by_key[m["key"]]["required"] = by_key[m["key"]].get("required", False) or m.get("required", False)
                continue
            by_key[m["key"]] = dict(m)
            out.append(by_key[m["key"]])
    return out


def _stage_task_keys(stage: dict) -> list[str]:
    keys = [t["key"] for t in stage.get("tasks", [])]
    multi = stage.get("tasks_from_field") or {}
    keys += [t.get("key", v) for v, t in (multi.get("tasks") or {}).items()]
    return keys


def build_process(
    spec: dict, members: list[dict], items: dict[str, ServiceItem], processes: dict[str, dict], window: str
) -> tuple[dict, list[Problem]]:
    """The bundle's process from its members' current processes; problems name the member."""
    problems: list[Problem] = []
    on_submit = _union(processes[m["code"]].get("on_submit", []) for m in members)
    on_close = _union(processes[m["code"]].get("on_close", []) for m in members)
    on_complete = _union(processes[m["code"]].get("on_complete", []) for m in members)
    intakes = [s for m in members for s in processes[m["code"]]["stages"] if s["type"] == "intake"]
    intake = {
        "key": "intake",
        "type": "intake",
        "department": spec.get("intake_department") or (intakes[0]["department"] if intakes else window),
        "auto_accept_if": _union(s.get("auto_accept_if", []) for s in intakes),
    }
    phases: dict[int, list[tuple[str, dict]]] = {}
    for m in members:
        reviews = [s for s in processes[m["code"]]["stages"] if s["type"] == "review"]
        for i, stage in enumerate(reviews):
            phases.setdefault(m["phase"] + i, []).append((m["code"], stage))
    stages = [intake]
    seen_keys: dict[str, str] = {}
    for n in sorted(phases):
        merged: dict = {"key": f"phase{n + 1}", "type": "review", "join": "all", "tasks": []}
        deadlines = []
        for code, stage in phases[n]:
            if stage.get("join", "all") != "all":
                problems.append(
                    Problem(
                        f"members.{code}",
                        "join_any",
                        f"{code} 的审核阶段为“任一通过”，主题服务要求全部通过",
                        f"{code} has a join-any stage; a bundle waits for every department",
                    )
                )
            for key in _stage_task_keys(stage):
                if key in seen_keys:
                    problems.append(
                        Problem(
                            f"members.{code}",
                            "task_key_clash",
                            f"{code} 与 {seen_keys[key]} 的任务编号 {key} 重复",
                            f"task key {key!r} of {code} clashes with {seen_keys[key]}",
                        )
                    )
                seen_keys[key] = code
            merged["tasks"] += copy.deepcopy(stage.get("tasks", []))
            for one in ("tasks_from_field", "task_source"):
                if stage.get(one):
                    if one in merged:
                        problems.append(
                            Problem(
                                f"members.{code}",
                                f"two_{one}",
                                f"同一阶段只能有一个成员按字段或插件生成任务（{code}）",
                                f"one phase can hold only one member's {one} ({code})",
                            )
                        )
                    merged[one] = copy.deepcopy(stage[one])
            if stage.get("deadline_days") is not None:
                deadlines.append(int(stage["deadline_days"]))
            if stage.get("escalate_to") and "escalate_to" not in merged:
                merged["escalate_to"] = stage["escalate_to"]
        if deadlines:
            merged["deadline_days"] = max(deadlines)
        if not merged["tasks"]:
            merged.pop("tasks")
        stages.append(merged)
    outputs = _union(
        s.get("outputs", []) for m in members for s in processes[m["code"]]["stages"] if s["type"] == "issue"
    )
    stages.append({"key": "issue", "type": "issue", "outputs": outputs})
    definition: dict = {"stages": stages}
    if on_submit:
        definition["on_submit"] = on_submit
    if on_close:
        definition["on_close"] = on_close
    if on_complete:
        definition["on_complete"] = on_complete
    return definition, problems


def _guide(spec: dict, items: list[ServiceItem], promised: int, lang: str) -> str:
    zh = lang == "zh"
    head = spec.get(f"guide_{lang}", "")
    lines = [head] if head else []
    lines.append(
        "本主题服务一次提交、一表填报，以下事项由各部门并联办理，共用一个办件编号和一个时限，统一窗口出件："
        if zh
        else "One form and one submission. The items below are handled in parallel by their "
        "departments under one case number and one time limit, and handed out together:"
    )
    for i, item in enumerate(items, 1):
        dept = item.department.name_zh if zh else item.department.name_en
        name = item.name_zh if zh else item.name_en
        lines.append(f"{i}. {name}（{dept}）" if zh else f"{i}. {name} ({dept})")
    lines.append(f"承诺时限：{promised}个工作日。" if zh else f"Promised time limit: {promised} working day(s).")
    for item in items:
        text = facts(item).conditions_zh if zh else facts(item).conditions_en
        if text:
            name = item.name_zh if zh else item.name_en
            lines.append((f"【告知承诺条件 · {name}】" if zh else f"[Conditions you commit to · {name}] ") + text)
    return "\n".join(lines)


def build(spec: dict) -> tuple[dict, list[Problem]]:
    """The fields of the bundle's service item and its process, or the problems that stop it."""
    from zimao.catalog import services as catalog

    problems: list[Problem] = []
    members = member_specs(spec)
    if not members:
        return {}, [
            Problem("members", "required", "主题服务至少需要一个成员事项", "a bundle needs at least one member item")
        ]
    items = {
        s.code: s
        for s in ServiceItem.objects.filter(code__in=[m["code"] for m in members]).select_related("department")
    }
    processes: dict[str, dict] = {}
    for m in members:
        item = items.get(m["code"])
        if item is None:
            problems.append(
                Problem(
                    f"members.{m['code']}",
                    "unknown_member",
                    f"成员事项 {m['code']} 不存在",
                    f"member item {m['code']} does not exist",
                )
            )
            continue
        if facts(item).is_bundle:
            problems.append(
                Problem(
                    f"members.{m['code']}", "nested_bundle", "主题服务不能嵌套", "a bundle cannot hold another bundle"
                )
            )
            continue
        proc = item.processes.filter(published=True).order_by("-version").first()
        if proc is None:
            problems.append(
                Problem(
                    f"members.{m['code']}",
                    "no_process",
                    f"成员事项 {m['code']} 没有办理流程（直接取消审批的事项不需办理）",
                    f"member item {m['code']} has no process (an abolished approval needs no case)",
                )
            )
            continue
        processes[m["code"]] = proc.definition
    if problems:
        return {}, problems
    ordered = [items[m["code"]] for m in members]
    window = (
        Department.objects.filter(is_window=True).order_by("code").values_list("code", flat=True).first()
        or ordered[0].department.code
    )
    definition, problems = build_process(spec, members, items, processes, window)
    legal = int(spec.get("legal_limit_days") or max(i.legal_limit_days for i in ordered))
    promised = int(
        spec.get("promised_limit_days")
        if spec.get("promised_limit_days") is not None
        else max(i.promised_limit_days for i in ordered)
    )
    dept_code = spec.get("department") or window
    department = Department.objects.filter(code=dept_code).first()
    if department is None:
        problems.append(
            Problem(
                "department",
                "unknown_department",
                f"部门 {dept_code} 不存在",
                f"department {dept_code!r} does not exist",
            )
        )
    fields = {
        "name_zh": spec["name_zh"],
        "name_en": spec["name_en"],
        "department": department,
        "legal_basis": spec.get("legal_basis") or "；".join(_union([i.legal_basis] for i in ordered if i.legal_basis)),
        "legal_limit_days": legal,
        "promised_limit_days": promised,
        "rectification_days": int(spec.get("rectification_days", 10)),
        "materials": _merge_materials(ordered),
        "checks": _union(i.checks for i in ordered),
        "form": _merge_form(ordered, set(spec.get("skip_sections", []))),
        "guide_zh": _guide(spec, ordered, promised, "zh"),
        "guide_en": _guide(spec, ordered, promised, "en"),
        "published": spec.get("published", True),
    }
    attributes = {
        "reform_mode": "",
        "activities": list(spec.get("activities", [])),
        "bundle": {
            "members": members,
            "skip_sections": list(spec.get("skip_sections", [])),
            **{
                k: spec[k]
                for k in (
                    "theme_zh",
                    "theme_en",
                    "guide_zh",
                    "guide_en",
                    "legal_limit_days",
                    "promised_limit_days",
                    "intake_department",
                    "existing_company",
                    "variant_of",
                )
                if k in spec
            },
        },
    }
    problems += catalog.process.validate_definition(definition, catalog.department_codes())
    return {"fields": fields, "attributes": attributes, "process": definition}, problems


@transaction.atomic
def load_bundle(spec: dict, actor=None) -> tuple[ServiceItem, bool, int]:
    """Create or update the bundle's service item and publish its generated process."""
    from zimao.catalog import services as catalog

    built, problems = build(spec)
    if problems:
        raise BusinessError(*[Problem(f"bundles.{spec.get('code')}.{p.field}", p.code, p.zh, p.en) for p in problems])
    service, created = ServiceItem.objects.update_or_create(code=spec["code"], defaults=built["fields"])
    service.attributes = extensions.merged(service.attributes, {"permits": built["attributes"]})
    service.save(update_fields=["attributes"])
    before = service.processes.count()
    catalog.publish_process(service, built["process"], actor)
    if spec.get("existing_company"):
        load_bundle(variant_for_existing_company(spec), actor)
    return service, created, service.processes.count() - before


def variant_for_existing_company(spec: dict) -> dict:
    """The bundle for a company that already exists: the same members but the one that founds the
    company, and the company asked for (not skipped)."""
    ec = spec["existing_company"]
    without = ec.get("without")
    missing = [f for f in ("code", "name_zh", "name_en", "without") if not ec.get(f)]
    if missing:
        raise BusinessError(
            *[
                Problem(
                    f"bundles.{spec.get('code')}.existing_company.{f}",
                    "required",
                    "已有企业办理的主题服务需要此项",
                    "the existing-company variant needs this",
                )
                for f in missing
            ]
        )
    members = [m for m in spec.get("members", []) if (m if isinstance(m, str) else m.get("code")) != without]
    variant = {
        "code": ec["code"],
        "name_zh": ec["name_zh"],
        "name_en": ec["name_en"],
        "department": spec.get("department"),
        "members": members,
        "skip_sections": [k for k in spec.get("skip_sections", []) if k != "company"],
        "activities": list(spec.get("activities", [])),
        "published": spec.get("published", True),
        "variant_of": spec["code"],
    }
    for k in ("theme_zh", "theme_en", "intake_department"):
        if k in spec:
            variant[k] = spec[k]
    for lang in ("zh", "en"):
        if ec.get(f"guide_{lang}") or spec.get(f"guide_{lang}"):
            variant[f"guide_{lang}"] = ec.get(f"guide_{lang}") or spec[f"guide_{lang}"]
    return variant


def rebuild_all(actor=None) -> int:
    """Regenerate every bundle from its stored spec (after members changed, e.g. an Excel import)."""
    n = 0
    for service in ServiceItem.objects.all():
        f = facts(service)
        if f.is_bundle and not f.bundle.get("variant_of"):  # a variant follows its bundle
            spec = {
                "code": service.code,
                "name_zh": service.name_zh,
                "name_en": service.name_en,
                "department": service.department.code,
                "activities": f.activities,
                "published": service.published,
                **f.bundle,
            }
            n += load_bundle(spec, actor)[2]
    return n


def load_section(rows: list[dict], actor=None) -> dict:
    """The ``bundles`` section of catalogue data (loaded after the items: built from them)."""
    counts = {"bundles": 0, "process_versions": 0}
    for row in rows:
        _service, created, versions = load_bundle(row, actor)
        counts["bundles"] += created
        counts["process_versions"] += versions
    return counts
