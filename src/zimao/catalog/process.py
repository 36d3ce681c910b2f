"""Process definitions (流程定义) as data, and the checks that keep them sound.

A definition is ``{"stages": [...]}``; each stage has a ``key`` and a ``type``:

- ``intake`` — 前台综合受理: ``department`` (the window), ``auto_accept_if`` (rule names)
- ``review`` — 后台流转审核: department tasks from ``tasks`` (fixed list), ``tasks_from_field``
  (multi-instance: one task per value the applicant chose, ``{"field": "section.key", "tasks":
  {value: task}}``) or ``task_source`` (a registered plugin); ``join`` ``all`` or ``any``;
  ``deadline_days`` (working days per task); ``escalate_to`` (department code for overdue tasks)
- ``issue`` — 统一窗口出件: ``outputs`` (registered output names)

``on_submit`` lists effects run in the submission's own transaction (e.g. holding a name);
``on_close`` those run when a case ends without a result (rejected, refused, withdrawn), and
``on_complete`` those run when its result is delivered.

A task is ``{"key", "department", "name_zh", "name_en", "auto_approve_if": [...],
"effects": [...], "outputs": [...]}``: when every auto-approve rule passes the system approves it
(秒批). A task's ``outputs`` are the documents its department issues on approval (办理结果 — a tax
registration confirmation, a seal filing record; not licences): ``{"kind", "title_zh",
"title_en", "number", "details"?, "fields"?, "issuer_from_field"?}``. ``number`` is the number scheme, a
template of ``{year}``, ``{date}`` (YYYYMMDD), ``{uscc}``, ``{division}`` (the company's, else the
zone's), ``{org_code}`` (the USCC's organisation code) and ``{seq}`` / ``{seq:N}`` (a counter per
kind and prefix, zero-padded to N); ``details`` names a result the task's effects produced and ``fields`` the lines printed
(``{"key" | "from_field", "label_zh", "label_en"}``: a key of that result, or the label of the
applicant's choice in a form field ``section.key``); the
issuer is the authority the zone profile names for the task's department, or the choice the
applicant made in ``issuer_from_field`` (e.g. the bank).
"""

from __future__ import annotations

import re

from zimao.catalog import plugins
from zimao.core.errors import Problem

STAGE_TYPES = {"intake", "review", "issue"}

NUMBER_FIELDS = {"year", "date", "uscc", "division", "org_code"}
_PLACEHOLDER = re.compile(r"\{(\w+)(?::(\d{1,2}))?\}")


def number_problems(template) -> list[str]:
    """What is wrong with a number scheme (empty: nothing)."""
    if not isinstance(template, str) or not template.strip():
        return ["empty"]
    names = [m.group(1) for m in _PLACEHOLDER.finditer(template)]
    unknown = [n for n in names if n != "seq" and n not in NUMBER_FIELDS]
    problems = [f"unknown placeholder {n}" for n in unknown]
    if names.count("seq") != 1:
        problems.append("exactly one {seq} is needed")
    if _PLACEHOLDER.sub("", template).count("{") or _PLACEHOLDER.sub("", template).count("}"):
        problems.append("unbalanced braces")
    return problems


def number_counter(template: str, values: dict) -> str:
    """The counter a number draws from: the text before ``{seq}``, fields filled in — one counter
    per kind and prefix, so numbers never repeat."""
    filled = _PLACEHOLDER.sub(
        lambda m: m.group(0) if m.group(1) == "seq" else str(values.get(m.group(1), "")), template
    )
    return filled[: next(m for m in _PLACEHOLDER.finditer(filled) if m.group(1) == "seq").start()]


def render_number(template: str, values: dict, seq: int) -> str:
    """A number from its scheme, the fields filled in and ``{seq}`` (zero-padded to N) = ``seq``."""

    def fill(match):
        name, width = match.group(1), match.group(2)
        if name == "seq":
            return str(seq).zfill(int(width)) if width else str(seq)
        return str(values.get(name, ""))

    return _PLACEHOLDER.sub(fill, template)


def _problem(path: str, zh: str, en: str) -> Problem:
    return Problem(path, "invalid_definition", zh, en)


def stage_task_specs(stage: dict) -> list[dict]:
    """Every task a stage could create (for validation and for guides)."""
    specs = list(stage.get("tasks", []))
    specs += list((stage.get("tasks_from_field") or {}).get("tasks", {}).values())
    return specs


def validate_definition(definition: dict, department_codes: set[str]) -> list[Problem]:
    problems: list[Problem] = []
    stages = definition.get("stages") if isinstance(definition, dict) else None
    if not stages:
        return [_problem("stages", "流程至少需要一个阶段", "a process needs at least one stage")]
    for effect in definition.get("on_submit", []) + definition.get("on_close", []) + definition.get("on_complete", []):
        if effect not in plugins.effects:
            problems.append(_problem("on_submit", f"未注册的处理 {effect}", f"effect {effect!r} is not registered"))
    seen = set()
    for i, stage in enumerate(stages):
        path = f"stages[{i}]"
        key, kind = stage.get("key"), stage.get("type")
        if not key or key in seen:
            problems.append(_problem(path, "阶段缺少唯一的 key", "each stage needs a unique key"))
        seen.add(key)
        if kind not in STAGE_TYPES:
            problems.append(_problem(f"{path}.type", f"未知阶段类型 {kind}", f"unknown stage type {kind!r}"))
            continue
        for rule in stage.get("auto_accept_if", []):
            if rule not in plugins.rules:
                problems.append(
                    _problem(f"{path}.auto_accept_if", f"未注册的规则 {rule}", f"rule {rule!r} is not registered")
                )
        if kind == "intake" and stage.get("department") not in department_codes:
            problems.append(
                _problem(f"{path}.department", "受理窗口部门不存在", "the intake department does not exist")
            )
        if kind == "review":
            if stage.get("join", "all") not in ("all", "any"):
                problems.append(_problem(f"{path}.join", "汇合规则只能是 all 或 any", "join must be all or any"))
            if stage.get("task_source") and stage["task_source"] not in plugins.task_sources:
                problems.append(_problem(f"{path}.task_source", "未注册的任务来源", "task source is not registered"))
            specs = stage_task_specs(stage)
            if not specs and not stage.get("task_source"):
                problems.append(_problem(path, "审核阶段没有任务", "a review stage needs tasks"))
            for j, task in enumerate(specs):
                tpath = f"{path}.tasks[{j}]"
                if task.get("department") not in department_codes:
                    problems.append(
                        _problem(
                            f"{tpath}.department",
                            f"部门 {task.get('department')} 不存在",
                            f"department {task.get('department')!r} does not exist",
                        )
                    )
                for rule in task.get("auto_approve_if", []):
                    if rule not in plugins.rules:
                        problems.append(
                            _problem(
                                f"{tpath}.auto_approve_if", f"未注册的规则 {rule}", f"rule {rule!r} is not registered"
                            )
                        )
                for effect in task.get("effects", []):
                    if effect not in plugins.effects:
                        problems.append(
                            _problem(
                                f"{tpath}.effects", f"未注册的处理 {effect}", f"effect {effect!r} is not registered"
                            )
                        )
                problems += _output_problems(f"{tpath}.outputs", task.get("outputs", []))
            if stage.get("escalate_to") and stage["escalate_to"] not in department_codes:
                problems.append(
                    _problem(f"{path}.escalate_to", "升级部门不存在", "escalation department does not exist")
                )
        if kind == "issue":
            for out in stage.get("outputs", []):
                if out not in plugins.outputs:
                    problems.append(
                        _problem(f"{path}.outputs", f"未注册的出件 {out}", f"output {out!r} is not registered")
                    )
    return problems


def _output_problems(path: str, outputs) -> list[Problem]:
    problems: list[Problem] = []
    if not isinstance(outputs, list):
        return [_problem(path, "办理结果应为列表", "a task's outputs must be a list")]
    kinds = set()
    for k, out in enumerate(outputs):
        opath = f"{path}[{k}]"
        if not isinstance(out, dict) or not all(out.get(f) for f in ("kind", "title_zh", "title_en")):
            problems.append(_problem(opath, "办理结果需有类别和中英文名称", "an output needs a kind and both titles"))
            continue
        if out["kind"] in kinds:
            problems.append(_problem(f"{opath}.kind", "办理结果类别重复", "an output kind appears twice"))
        kinds.add(out["kind"])
        for f, line in enumerate(out.get("fields", [])):
            if not (isinstance(line, dict) and line.get("label_zh") and line.get("label_en")):
                problems.append(_problem(f"{opath}.fields[{f}]", "每一项需有中英文名称", "each line needs both labels"))
            elif not (line.get("key") or line.get("from_field")):
                problems.append(
                    _problem(
                        f"{opath}.fields[{f}]", "每一项需有 key 或 from_field", "each line needs key or from_field"
                    )
                )
        wrong = number_problems(out.get("number"))
        if wrong:
            problems.append(
                _problem(
                    f"{opath}.number", f"编号规则有误：{'；'.join(wrong)}", f"bad number scheme: {'; '.join(wrong)}"
                )
            )
    return problems


def stage_at(definition: dict, index: int) -> dict | None:
    stages = definition.get("stages", [])
    return stages[index] if 0 <= index < len(stages) else None


def stage_index(definition: dict, key: str) -> int:
    for i, stage in enumerate(definition.get("stages", [])):
        if stage["key"] == key:
            return i
    raise KeyError(key)


def lookup(data: dict, dotted: str):
    value = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
