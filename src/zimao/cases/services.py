"""The case engine (办件引擎): every service runs through these functions.

A case is submitted against the current version of its service's process definition and keeps
that version. ``advance`` moves it through the stages as far as the rules allow — that is how a
case goes straight through (秒批) with no officer action — and stops where a person must act.
Every change is one transaction with its audit event; a repeated request (same idempotency key,
a second click on "approve") has no second effect.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case as Case_
from django.db.models import Prefetch, Q, Value, When, prefetch_related_objects
from django.utils import timezone

from zimao.cases.drafts import discard_on_submit, sweep_expired_drafts
from zimao.cases.models import Case, Correction, Material, Notification, Rating, StepOutput, Task, Timer
from zimao.cases.workflow import (
    FINAL,
    TASK_DECIDED,
    WITHDRAWABLE,
    CaseStatus,
    TaskStatus,
    can_move_task,
    can_transition,
)
from zimao.catalog import forms, plugins, process, zone
from zimao.catalog import services as catalog
from zimao.catalog.models import Department, Officer
from zimao.core import audit, calendar, events, fastsql, idempotency, sequences, sitebase
from zimao.core.errors import BusinessError, Conflict, Problem, forbidden, not_found
from zimao.core.uploads import check_upload

S = CaseStatus
logger = logging.getLogger(__name__)


# ---------------------------------------------------------------- clock (时限)


def _local_date(moment) -> date:
    return timezone.localdate(moment)


def deadline(start: date, days: int) -> calendar.Deadline:
    """``days`` working days after ``start``; 0 means the same day (当日办结)."""
    if days <= 0:
        return calendar.Deadline(date=start, provisional=False)
    return calendar.add_working_days(start, days)


def _set_due_dates(case: Case) -> None:
    start = _local_date(case.submitted_at)
    extra = case.paused_days + case.extension_days
    promised = deadline(start, case.service.promised_limit_days + extra)
    legal = deadline(start, case.service.legal_limit_days + extra)
    case.due_date, case.legal_due_date = promised.date, legal.date
    case.due_date_provisional, case.legal_due_date_provisional = promised.provisional, legal.provisional


def _case_snapshot(case: Case) -> dict:
    return {
        "status": case.status,
        "stage_index": case.stage_index,
        "due_date": case.due_date,
        "paused_days": case.paused_days,
        "extension_days": case.extension_days,
    }


# ---------------------------------------------------------------- context for plugins


def _material_keys(case: Case) -> list[str]:
    """The kinds of material the case holds, read once per loaded case (an ``advance`` builds a
    context for every rule and effect; the materials do not change while the case is locked)."""
    keys = case.__dict__.get("_material_keys")
    if keys is None:
        keys = case.__dict__["_material_keys"] = sorted(
            set(case.materials.filter(superseded_by__isnull=True).values_list("key", flat=True))
        )
    return keys


def _materials_changed(case: Case) -> None:
    case.__dict__.pop("_material_keys", None)


def context(case: Case, task: Task | None = None, actor=None) -> plugins.CaseContext:
    return plugins.CaseContext(
        number=case.number,
        service_code=case.service.code,
        applicant_id=case.applicant_id,
        applicant_username=case.applicant.username,
        data=case.data,
        outputs=list(case.outputs),
        results=dict(case.results),
        materials=list(_material_keys(case)),
        required_materials=[m["key"] for m in case.service.materials if m.get("required")],
        task_key=task.key if task else None,
        actor=audit.actor_name(actor),
        submitted_at=case.submitted_at,
        delivered_at=case.delivered_at,
        status=case.status,
        reason=case.closed_reason,
        memo=case.__dict__.setdefault("_plugin_memo", {}),
        new_case=case.__dict__.get("_new_in_run", False),
    )


def evaluate_rules(rule_names: list[str], ctx: plugins.CaseContext) -> list[dict]:
    """Run the named rules; return the ones that failed with their reasons (empty = all pass)."""
    failed = []
    for name in rule_names:
        result = plugins.rules[name].func(ctx)
        if not result.passed:
            failed.append({"rule": name, "zh": result.reason_zh, "en": result.reason_en})
    return failed


# ---------------------------------------------------------------- lifecycle


# What ``transition`` itself sets.
TRANSITION_FIELDS = ["status", "accepted_at", "decided_at", "issued_at", "delivered_at", "closed_reason", "updated_at"]


def transition(case: Case, target: str, actor, action: str | None = None, **details) -> None:
    if not can_transition(case.status, target):
        raise Conflict(
            Problem(
                "status",
                "invalid_transition",
                f"办件当前状态为“{S(case.status).label}”，不能变为“{S(target).label}”",
                f"A case that is {case.status} cannot become {target}",
            )
        )
    before = _case_snapshot(case)
    now = timezone.now()
    case.status = target
    if target == S.ACCEPTED:
        case.accepted_at = now
    elif target in (S.APPROVED, S.REFUSED, S.REJECTED):
        case.decided_at = now
    elif target == S.ISSUED:
        case.issued_at = now
    elif target == S.DELIVERED:
        case.delivered_at = now
    if target in FINAL and target != S.DELIVERED:
        case.closed_reason = details.get("reason", "")
    if "_pending_save" in case.__dict__:
        # Inside ``advance`` every other change names its fields (the run's one UPDATE then sets
        # only what changed); outside it a caller may have set others first (e.g. suspended_at).
        _save_case(case, TRANSITION_FIELDS)
    else:
        _save_case(case)
    audit.record(actor, action or f"case.{target}", case, before=before, after={**_case_snapshot(case), **details})
    if target in ANNOUNCED_CHANGES:
        _announce_change(case, target, details)
    if target in FINAL:
        # on_complete: work when a result was delivered (e.g. report the establishment time);
        # on_close: undo what the submission held (e.g. the reserved name). Same transaction.
        hooks = "on_complete" if target == S.DELIVERED else "on_close"
        for name in case.process.definition.get(hooks, []):
            plugins.effects[name].func(context(case, actor=actor))
        _announce_finished(case)


def _announce_finished(case: Case) -> None:
    """``case.finished``, in this transaction: the dashboard and anyone else subscribe
    (``zimao.core.events``); the engine does not know who listens."""
    events.announce(
        "case.finished",
        {
            "number": case.number,
            "status": case.status,
            "service": case.service.code,
            "service_name": case.service.name_zh,
            "origin_zone": case.origin_zone,
            "at": timezone.now(),
            "submitted_at": case.submitted_at,
        },
        key=case.number,
    )


# What the applicant is told about (zimao.notify subscribes): a correction asked for, the
# decision (approved, refused, not accepted), the result issued (ready to collect or on its way).
ANNOUNCED_CHANGES = {
    S.SUSPENDED: "case.correction_requested",
    S.APPROVED: "case.decided",
    S.REFUSED: "case.decided",
    S.REJECTED: "case.decided",
    S.ISSUED: "case.issued",
}


def _announce_change(case: Case, target: str, details: dict) -> None:
    """``case.correction_requested`` / ``case.decided`` / ``case.issued``, in this transaction.
    A case may be sent back for corrections more than once: each request is its own event."""
    topic = ANNOUNCED_CHANGES[target]
    key = case.number
    if target == S.SUSPENDED:
        key = f"{case.number}:{case.corrections.count()}"
    payload = {
        "number": case.number,
        "status": case.status,
        "service": case.service.code,
        "service_name": case.service.name_zh,
        "service_name_en": case.service.name_en,
        "applicant": case.applicant_id,
        "delivery_method": case.delivery_method,
        "reason": str(details.get("reason", ""))[:2000],
        "at": timezone.now(),
    }
    if target == S.APPROVED and "_pending_save" in case.__dict__:
        # Inside ``advance``: the decision is held until the run ends, for an issue in the same
        # run (秒批, no person in between) tells the applicant once, not twice a moment apart.
        case.__dict__["_held_decision"] = (topic, payload, key)
        return
    if target == S.ISSUED:
        held = case.__dict__.pop("_held_decision", None)
        if held is not None:
            held[1]["issued_in_same_step"] = True
            events.announce(held[0], held[1], key=held[2])
            payload["approved_in_same_step"] = True
    events.announce(topic, payload, key=key)


def _release_held_decision(case: Case) -> None:
    """A decision held by ``advance`` that no issue followed in the same run is announced alone."""
    held = case.__dict__.pop("_held_decision", None)
    if held is not None:
        events.announce(held[0], held[1], key=held[2])


def _next_number() -> str:
    today = timezone.localdate()
    n = sequences.next_value(f"case-{settings.ZONE_CODE}-{today:%Y%m%d}")
    return f"{settings.ZONE_CODE}{today:%Y%m%d}{n:05d}"


@dataclass
class Submission:
    case: Case
    created: bool


def submit(
    applicant,
    service_code: str,
    data: dict,
    *,
    materials: dict[str, int] | None = None,
    idempotency_key: str = "",
    delivery_method: str = "electronic",
    mail_address: str = "",
    channel: str = "web",
    origin_zone: str = "",
    fingerprint: str | None = None,
    agent=None,
) -> Submission:
    """Accept an application (提交申请). Returns the existing case when the idempotency key was
    seen before, so a double click or a retried request creates one case; the same key with a
    different request is refused (422). ``fingerprint=""`` skips that comparison for a caller
    whose second click no longer carries the body (the portal's draft is cleared on success).
    ``agent``: the officer who filed it on the applicant's behalf (代办, e.g. at the window),
    named in the case history."""
    idempotency_key = (idempotency_key or "").strip()[:64]
    if fingerprint is None:
        fingerprint = request_fingerprint(service_code, data, materials, delivery_method, mail_address)
    if idempotency_key:
        existing = Case.objects.filter(applicant=applicant, idempotency_key=idempotency_key).first()
        if existing:
            return Submission(_same_request(existing, fingerprint), False)
    try:
        return _submit_new(
            applicant,
            service_code,
            data,
            materials,
            idempotency_key,
            delivery_method,
            mail_address,
            channel,
            origin_zone,
            fingerprint,
            agent,
        )
    except (BusinessError, IntegrityError):
        # A request with the same key may have committed since we looked (a double click, a
        # retry racing the original): then that case is the answer, and whatever refused this
        # copy — the unique key, or "the name is taken" by that very case — is no error.
        if idempotency_key:
            existing = Case.objects.filter(applicant=applicant, idempotency_key=idempotency_key).first()
            if existing:
                return Submission(_same_request(existing, fingerprint), False)
        raise


def request_fingerprint(service_code, data, materials, delivery_method, mail_address) -> str:
    """SHA-256 of what was asked, so a key reused for a *different* request is told apart."""
    return idempotency.fingerprint(
        {
            "service": service_code,
            "data": data or {},
            "materials": materials or {},
            "delivery_method": delivery_method,
            "mail_address": (mail_address or "").strip(),
        }
    )


def _same_request(existing: Case, fingerprint: str) -> Case:
    """The IETF idempotency-key draft: a key reused with another body is a client error (422)."""
    idempotency.same_request(existing.idempotency_fingerprint, fingerprint)
    return existing


def _submit_new(
    applicant,
    service_code,
    data,
    materials,
    idempotency_key,
    delivery_method,
    mail_address,
    channel,
    origin_zone,
    fingerprint="",
    agent=None,
) -> Submission:
    service = catalog.get_service(service_code)
    proc = catalog.current_process(service)
    cleaned, problems = forms.validate(service.form, data)
    materials = materials or {}
    owned = {
        m.pk: m for m in Material.objects.filter(pk__in=list(materials.values()), owner=applicant, case__isnull=True)
    }
    for key, pk in materials.items():
        if pk not in owned:
            problems.append(
                Problem(
                    f"materials.{key}",
                    "unknown_material",
                    "找不到这份上传的材料，请重新上传",
                    "This uploaded file was not found; upload it again",
                )
            )
    problems += reused_materials(materials)
    known_keys = {m["key"] for m in service.materials}
    problems += [unknown_material_kind(key) for key in materials if key not in known_keys]
    if delivery_method not in ("electronic", "window", "mail"):
        problems.append(
            Problem(
                "delivery_method",
                "invalid",
                "送达方式只能是电子、窗口领取或邮寄",
                "Delivery must be electronic, window or mail",
            )
        )
    if delivery_method == "mail" and len(mail_address.strip()) < 5:
        problems.append(
            Problem(
                "mail_address", "required", "选择邮寄时请填写邮寄地址", "Enter the mailing address for mail delivery"
            )
        )
    refused = {p.field for p in problems}
    for name in service.checks:
        # A field the form already refused is missing from ``cleaned``: not "required" twice.
        problems += [
            p for p in plugins.run_check(name, cleaned, applicant=applicant, service=service) if p.field not in refused
        ]
    if problems:
        raise BusinessError(*problems, status=422)
    with transaction.atomic(), audit.buffered(), events.buffered():
        # The day's case-number counter is the one zone-wide row here, and the number is needed
        # by everything after it (the name reservation keys on it); all checks ran above.
        case = Case(
            number=_next_number(),
            service=service,
            process=proc,
            applicant=applicant,
            data=cleaned,
            idempotency_key=idempotency_key,
            submitted_at=timezone.now(),
            channel=channel,
            idempotency_fingerprint=fingerprint if idempotency_key else "",
            delivery_method=delivery_method,
            mail_address=mail_address.strip(),
            origin_zone=origin_zone,
        )
        _set_due_dates(case)
        fastsql.create([case])  # one INSERT without the ORM's compiler, inside the write lock
        if materials:  # one UPDATE for every material of the submission
            attached = Material.objects.filter(pk__in=list(materials.values()))
            if all(owned[pk].key == key for key, pk in materials.items()):
                attached.update(case=case)  # each uploaded under the key it answers (the usual case)
            else:
                attached.update(case=case, key=Case_(*[When(pk=pk, then=Value(key)) for key, pk in materials.items()]))
        case.__dict__["_material_keys"] = sorted(set(materials))
        discard_on_submit(applicant, service)  # the saved draft (暂存) is sent: it goes
        fastsql.create([Timer(case=case, kind=Timer.Kind.CASE_DUE, fire_on=case.due_date)])
        # Work that must happen with the submission itself (e.g. holding the company name).
        for name in proc.definition.get("on_submit", []):
            case.results.update(plugins.effects[name].func(context(case, actor=applicant)) or {})
        audit.record(
            applicant,
            "case.submitted",
            case,
            after={
                "service": service.code,
                "process_version": proc.version,
                "due_date": case.due_date,
                "materials": sorted(materials),
                "idempotency_key": idempotency_key,
                **(
                    {"agent": agent.get_full_name() or agent.username, "agent_username": agent.username}
                    if agent is not None
                    else {}
                ),
            },
        )
        advanced = _advance_in_this_transaction(case)
    if advanced is None:
        case.refresh_from_db()  # a worker moves it on; what was committed is the answer
    return Submission(advanced or case, True)


def unknown_material_kind(key: str) -> Problem:
    """A material under a key the service does not ask for."""
    return Problem(
        f"materials.{key}", "unknown_material_kind", "该事项不需要这种材料", "This service does not take this material"
    )


def reused_materials(materials: dict) -> list[Problem]:
    """One uploaded file answers one material: the same id under two keys is refused."""
    problems, seen = [], {}
    for key, pk in (materials or {}).items():
        if pk in seen:
            problems.append(
                Problem(
                    f"materials.{key}",
                    "material_reused",
                    f"同一份上传的材料不能同时作为“{seen[pk]}”和“{key}”提交，请分别上传",
                    f"One uploaded file cannot be both {seen[pk]} and {key}; upload each separately",
                )
            )
        else:
            seen[pk] = key
    return problems


def schedule_advance(case: Case) -> None:
    """Queue the engine for this case in the same transaction (nothing accepted is lost), and
    run it right after that transaction commits — not on the worker's next poll (秒批)."""
    from zimao.cases.tasks import advance_case, run_after_commit

    run_after_commit(advance_case.enqueue(case.pk))


def _advance_in_this_transaction(case: Case) -> Case | None:
    """A new case's straight-through work (秒批), run in the submitting transaction itself, in a
    savepoint: one write transaction per case instead of two, no queue row to claim, the case not
    read back. If the run fails, the savepoint is rolled back and the work is queued instead, so
    the submission still commits and a worker retries it (nothing accepted is lost). None when
    the work was queued (``ZIMAO_ADVANCE_INLINE=0``, or the run failed)."""
    results = dict(case.results)  # what the submission's own effects wrote (on_submit)
    if getattr(settings, "ADVANCE_INLINE", True):
        try:
            with transaction.atomic():
                # the run saves the case once at its end, the submission's results with it
                case.__dict__["_pending_save"] = {"results"} if results else set()
                return advance(case.pk, "system:worker", case=case)
        except Exception:
            logger.exception("straight-through run of case %s failed; queued for a worker", case.number)
    if results:
        Case.objects.filter(pk=case.pk).update(results=results)
    schedule_advance(case)
    return None


def advance(case_id: int, actor=None, *, case: Case | None = None) -> Case:
    """Move the case through every stage the rules allow; stop where a person must act.

    One transaction under the case's row lock; its audit events are buffered and written with one
    INSERT at the end, tasks and timers are created in bulk and the materials are read once.
    ``case``: the caller's own instance of a case it created in this very transaction (so it
    holds the row, nothing else can have moved it and it has no tasks yet) — not read again.
    """
    with transaction.atomic(), audit.buffered(), events.buffered(), sitebase.memo_scope():
        if case is None:
            case = (
                Case.objects.select_for_update(of=("self",))
                .select_related("service", "process", "applicant")
                .get(pk=case_id)
            )
        else:  # created in this transaction: no tasks, entity, licence or documents yet
            case.__dict__["_tasks"] = {}
            case.__dict__["_new_in_run"] = True
        case.__dict__.setdefault("_pending_save", set())
        case.__dict__["_pending_tasks"] = {}
        # Plugins may leave writes for the end of the run (``plugins.at_end_of_run``), in bulk.
        case.__dict__.setdefault("_plugin_memo", {})[plugins.AT_END] = []
        definition = case.process.definition
        try:
            for _ in range(len(definition.get("stages", [])) + 2):
                if case.status in FINAL or case.status == S.SUSPENDED:
                    break
                stage = process.stage_at(definition, case.stage_index)
                if stage is None:
                    break
                if not _run_stage(case, stage, actor):
                    break
        except BaseException:
            for name in ("_pending_save", "_held_decision", "_pending_tasks", "_tasks", "_plugin_memo", "_new_in_run"):
                case.__dict__.pop(name, None)
            raise
        _release_held_decision(case)
        _issue_step_outputs(case)
        _flush_case(case)
        return case


def _save_case(case: Case, fields: list[str] | None = None) -> None:
    """Save the case now — or, inside ``advance``, once when it ends: the row is locked by then and
    nothing reads it back from the table in between (plugins get a context snapshot)."""
    pending = case.__dict__.get("_pending_save")
    if pending is None:
        case.save(update_fields=fields) if fields else case.save()
    else:
        pending.update(fields or ["__all__"])


def _flush_case(case: Case) -> None:
    memo = case.__dict__.get("_plugin_memo", {})
    for write in memo.pop(plugins.AT_END, None) or []:
        write()
    pending = case.__dict__.pop("_pending_save", None)
    if pending:
        case.save() if "__all__" in pending else case.save(update_fields=sorted(pending | {"updated_at"}))
    tasks = case.__dict__.pop("_pending_tasks", None)
    case.__dict__.pop("_tasks", None)
    case.__dict__.pop("_new_in_run", None)
    case.__dict__.pop("_run_now", None)
    # The tasks the run moved: one UPDATE per set of equal values (the run's automatic decisions
    # share status, reason and time, so usually one UPDATE for all of them).
    groups: dict[str, tuple[dict, list[int]]] = {}
    for task, changed in (tasks or {}).values():
        values = {f: getattr(task, Task._meta.get_field(f).attname) for f in sorted(changed)}
        key = json.dumps(values, sort_keys=True, default=str)
        groups.setdefault(key, (values, []))[1].append(task.pk)
    for values, pks in groups.values():
        Task.objects.filter(pk__in=pks).update(**{Task._meta.get_field(f).attname: v for f, v in values.items()})


def _run_now(task: Task):
    """Inside ``advance``, the run's one decision time; else now."""
    case = task._state.fields_cache.get("case")
    if case is None or "_pending_tasks" not in case.__dict__:
        return timezone.now()
    return case.__dict__.setdefault("_run_now", timezone.now())


def _case_tasks(case: Case) -> dict[str, Task] | None:
    """Inside ``advance``: the case's tasks by key, read once per run and kept up to date by the
    run (the case's row lock keeps every other writer out). None outside ``advance``."""
    if "_pending_save" not in case.__dict__:
        return None
    tasks = case.__dict__.get("_tasks")
    if tasks is None:
        tasks = case.__dict__["_tasks"] = {t.key: t for t in case.tasks.all()}
    return tasks


def _save_task(task: Task, fields: list[str]) -> None:
    """Save the task now — or, inside ``advance``, with the run's other task changes at its end."""
    case = task._state.fields_cache.get("case")
    pending = case.__dict__.get("_pending_tasks") if case is not None else None
    if pending is None:
        task.save(update_fields=fields)
        return
    _, changed = pending.setdefault(task.pk, (task, set()))
    changed.update(fields)


def _advance_stage(case: Case) -> None:
    case.stage_index += 1
    _save_case(case, ["stage_index", "updated_at"])


def _run_stage(case: Case, stage: dict, actor) -> bool:
    """Do what the current stage allows; True when it finished and the next may start."""
    kind = stage["type"]
    if kind == "intake":
        if case.status == S.SUBMITTED:
            failed = evaluate_rules(stage.get("auto_accept_if", []), context(case))
            if stage.get("auto_accept_if") and not failed:
                transition(case, S.ACCEPTED, "system:intake", "case.accepted.auto")
            else:
                dept = Department.objects.get(code=stage["department"])
                _create_task(
                    case,
                    stage,
                    {
                        "key": "intake",
                        "department": dept.code,
                        "name_zh": "综合受理",
                        "name_en": "Intake at the window",
                    },
                    kind=Task.Kind.INTAKE,
                    notes=failed,
                )
                return False
        _advance_stage(case)
        return True
    if kind == "review":
        if case.status in (S.SUBMITTED, S.ACCEPTED):
            if case.status == S.SUBMITTED:
                transition(case, S.ACCEPTED, "system:intake", "case.accepted.auto")
            transition(case, S.IN_REVIEW, "system")
        known = _case_tasks(case)
        if known is None:
            tasks = list(case.tasks.filter(stage_key=stage["key"], kind=Task.Kind.REVIEW))
        else:
            tasks = [t for t in known.values() if t.stage_key == stage["key"] and t.kind == Task.Kind.REVIEW]
        if not tasks:
            specs = _task_specs(case, stage)
            tasks = _create_tasks(case, stage, specs)
            for task, spec in zip(tasks, specs, strict=False):
                _try_auto_approve(case, task, spec)  # updates each task in place: no re-read
            tasks = list(
                {t.pk: t for t in tasks if t.stage_key == stage["key"] and t.kind == Task.Kind.REVIEW}.values()
            )
        approved = [t for t in tasks if t.status == Task.Status.APPROVED]
        done = (len(approved) == len(tasks)) if stage.get("join", "all") == "all" else bool(approved)
        if not done:
            return False
        for t in tasks:
            if t.status == Task.Status.OPEN:  # join "any": the others are no longer needed
                _close_task(t, Task.Status.CANCELLED, "system", "join any satisfied")
        _advance_stage(case)
        return True
    if kind == "issue":
        if case.status == S.SUBMITTED:  # a process with no intake or review stage
            transition(case, S.ACCEPTED, "system:intake", "case.accepted.auto")
        if case.status == S.ACCEPTED:
            transition(case, S.IN_REVIEW, "system")
        if case.status == S.IN_REVIEW:
            transition(case, S.APPROVED, _approver(case))
        if case.status == S.APPROVED:
            ctx = context(case)
            issued = list(case.outputs)
            for name in stage.get("outputs", []):
                if any(o.get("output") == name for o in issued):
                    continue  # already issued on an earlier run: never twice
                for ref in plugins.outputs[name].func(ctx):
                    issued.append({"output": name, **ref})
            case.outputs = issued
            _save_case(case, ["outputs", "updated_at"])
            transition(case, S.ISSUED, "system:output-window", outputs=[o.get("identifier") for o in issued])
            if case.delivery_method == "electronic":
                transition(case, S.DELIVERED, "system:output-window", "case.delivered.electronic")
        _advance_stage(case)
        return True
    raise ValueError(f"unknown stage type {kind}")


def _approver(case: Case):
    """Who approved the case: the officer whose approval completed the review (the last review
    task decided by a person), or the system when every step was approved by its rules (秒批)."""
    known = _case_tasks(case)
    if known is not None:  # inside ``advance``: the run's tasks, its own decisions included
        people = [
            t
            for t in known.values()
            if t.kind == Task.Kind.REVIEW and t.status == Task.Status.APPROVED and t.decided_by_id is not None
        ]
        last = max(people, key=lambda t: (t.decided_at, t.pk), default=None)
        return last.decided_by if last else "system"
    last = (
        case.tasks.filter(kind=Task.Kind.REVIEW, status=Task.Status.APPROVED, decided_by__isnull=False)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
        .first()
    )
    return last.decided_by if last else "system"


def _task_specs(case: Case, stage: dict) -> list[dict]:
    specs = list(stage.get("tasks", []))
    multi = stage.get("tasks_from_field")
    if multi:
        chosen = process.lookup(case.data, multi["field"]) or []
        chosen = chosen if isinstance(chosen, list) else [chosen]
        specs += [dict(multi["tasks"][v], key=multi["tasks"][v].get("key", v)) for v in chosen if v in multi["tasks"]]
    if stage.get("task_source"):
        specs += plugins.task_sources[stage["task_source"]].func(context(case))
    return specs


def spec_for(stage: dict, key: str, case: Case) -> dict:
    for spec in _task_specs(case, stage):
        if spec["key"] == key:
            return spec
    return {}


def _create_task(case: Case, stage: dict, spec: dict, kind=Task.Kind.REVIEW, notes=None) -> Task:
    return _create_tasks(case, stage, [spec], kind=kind, notes=notes)[0]


def _create_tasks(case: Case, stage: dict, specs: list[dict], kind=Task.Kind.REVIEW, notes=None) -> list[Task]:
    """The stage's tasks and their deadline timers, in bulk; a task the case already has (same
    key, from an earlier run) is returned as it is, never created twice."""
    if not specs:
        return []
    known = _case_tasks(case)
    if known is None:
        existing = {t.key: t for t in case.tasks.filter(key__in=[s["key"] for s in specs])}
    else:
        existing = {s["key"]: known[s["key"]] for s in specs if s["key"] in known}
    departments = _departments(case, {s["department"] for s in specs})
    start = timezone.localdate()
    days = stage.get("deadline_days", case.service.promised_limit_days)
    due = min(deadline(start, days).date, case.legal_due_date) if days else start
    new = []
    for spec in specs:
        if spec["key"] in existing:
            continue
        if spec["department"] not in departments:
            raise Department.DoesNotExist(f"no department {spec['department']!r}")
        existing[spec["key"]] = task = Task(
            case=case,
            kind=kind,
            key=spec["key"],
            stage_key=stage["key"],
            department=departments[spec["department"]],
            name_zh=spec.get("name_zh", spec["key"]),
            name_en=spec.get("name_en", spec["key"]),
            due_date=due,
            auto_notes=notes or [],
        )
        new.append(task)
    if new:
        fastsql.create(new)
        if known is not None:
            known.update((t.key, t) for t in new)
        fastsql.create([Timer(case=case, task=t, kind=Timer.Kind.TASK_DUE, fire_on=due) for t in new])
        for t in new:
            audit.record(
                "system:router",
                "task.created",
                t,
                after={"case": case.number, "department": t.department.code, "due_date": due},
            )
    return [existing[s["key"]] for s in specs]


def _departments(case: Case, codes: set[str]) -> dict[str, Department]:
    """Departments by code, from the catalogue's reference cache; a code it does not know yet (one
    another process added within the cache's seconds) is read from the table."""
    known = catalog.departments()
    found = {c: known[c] for c in codes if c in known}
    if len(found) < len(codes):
        found.update({d.code: d for d in Department.objects.filter(code__in=set(codes) - found.keys())})
    return found


def _try_auto_approve(case: Case, task: Task, spec: dict) -> None:
    rules = spec.get("auto_approve_if", [])
    if not rules:
        return
    failed = evaluate_rules(rules, context(case, task))
    if failed:
        task.auto_notes = failed
        _save_task(task, ["auto_notes"])
        return
    _approve_task(case, task, None, "秒批：全部规则通过 / auto-approved: every rule passed", spec)


def _approve_task(case: Case, task: Task, user, reason: str, spec: dict) -> None:
    ctx = context(case, task, user or "system:rules")
    for name in spec.get("effects", []):
        produced = plugins.effects[name].func(ctx) or {}
        case.results.update(produced)
        ctx.results.update(produced)
    _save_case(case, ["results", "updated_at"])
    _close_task(task, Task.Status.APPROVED, user, reason)
    if spec.get("outputs"):
        pending = case.__dict__.setdefault("_pending_outputs", [])
        pending += [(task, out, ctx.actor) for out in spec["outputs"]]
        if "_pending_save" not in case.__dict__:  # an officer's decision: issue now
            _issue_step_outputs(case)


# ---------------------------------------------------------------- step outputs (办理结果)


def _choice_label(case: Case, dotted: str) -> tuple[str, str]:
    """The label (zh, en) of the choice the applicant made in field ``section.key``."""
    value = process.lookup(case.data, dotted)
    section_key, _, field_key = dotted.partition(".")
    for section in case.service.form.get("sections", []):
        if section.get("key") != section_key:
            continue
        for field in section.get("fields", []):
            if field.get("key") == field_key:
                for choice in field.get("choices", []):
                    if choice[0] == value:
                        return choice[1], choice[2] if len(choice) > 2 else choice[1]
    return str(value or ""), str(value or "")


def _output_fields(case: Case, out: dict) -> list[dict]:
    """The lines the document prints, fixed at issue: each from what the task's effects produced
    (``details`` names the result; a ``<key>_en`` beside a value is its English) or from the
    applicant's choice (``from_field``)."""
    produced = case.results.get(out["details"]) if out.get("details") else None
    produced = produced if isinstance(produced, dict) else {}
    lines = []
    for field in out.get("fields", []):
        if field.get("from_field"):
            zh, en = _choice_label(case, field["from_field"])
        else:
            value = produced.get(field.get("key", ""), "")
            zh = en = "" if value is None else str(value)
            english = produced.get(f"{field.get('key', '')}_en")  # words a step produced in both languages
            if english:
                en = str(english)
        lines.append({"label_zh": field["label_zh"], "label_en": field["label_en"], "value_zh": zh, "value_en": en})
    return lines


def _issue_step_outputs(case: Case) -> list[StepOutput]:
    """Issue the documents the approved tasks declared, in one INSERT: each kind once per case
    (a task approved again on a re-run issues nothing new), numbered by the catalogue's scheme,
    in the name of the authority the zone profile names for the task's department. The counters
    come last, as ``sequences`` asks."""
    pending = case.__dict__.pop("_pending_outputs", None)
    if not pending:
        return []
    new_case = case.__dict__.get("_new_in_run", False)
    issued = set() if new_case else set(StepOutput.objects.filter(case=case).values_list("kind", flat=True))
    profile = zone.current()
    now = timezone.now()
    uscc = str(case.results.get("uscc") or "")
    values = {
        "year": f"{timezone.localdate():%Y}",
        "date": f"{timezone.localdate():%Y%m%d}",
        "uscc": uscc,
        "division": uscc[2:8] if len(uscc) == 18 else profile.division,
        "org_code": uscc[8:17],
    }
    rows = []
    for task, out, actor in pending:
        if out["kind"] in issued:
            continue
        issued.add(out["kind"])
        authority = profile.authority(task.department.code)
        name_zh, name_en, issuer_uscc = authority.name_zh, authority.name_en, authority.uscc
        if out.get("issuer_from_field"):
            (name_zh, name_en), issuer_uscc = _choice_label(case, out["issuer_from_field"]), ""
        details = _output_fields(case, out)
        rows.append(
            (
                actor,
                StepOutput(
                    case=case,
                    task=task,
                    task_key=task.key,
                    kind=out["kind"],
                    title_zh=out["title_zh"],
                    title_en=out["title_en"],
                    holder_uscc=uscc,
                    holder_name=str(case.results.get("entity_name") or ""),
                    issuer_department=task.department.code,
                    issuer_name_zh=name_zh,
                    issuer_name_en=name_en,
                    issuer_uscc=issuer_uscc,
                    details={"fields": details},
                    issued_at=now,
                ),
                out["number"],
            )
        )
    counters = {row.kind: f"output:{row.kind}:{process.number_counter(scheme, values)}" for _a, row, scheme in rows}
    drawn = sequences.next_values(counters.values())  # one statement for every counter
    for _actor, row, scheme in rows:
        row.number = process.render_number(scheme, values, drawn[counters[row.kind]])

    created = fastsql.create([row for _a, row, _s in rows])
    for actor, row, _s in rows:
        audit.record(
            actor,
            "step_output.issued",
            row,
            after={
                "case": case.number,
                "kind": row.kind,
                "number": row.number,
                "task": row.task_key,
                "issuer": row.issuer_name_zh,
            },
        )
    return created


def step_outputs_of(case: Case) -> list[StepOutput]:
    return list(case.step_outputs.all())


def step_outputs_of_applicant(applicant) -> list[StepOutput]:
    """The documents the applicant's steps produced — for "my documents", newest first."""
    if not getattr(applicant, "is_authenticated", False):
        return []
    return list(
        StepOutput.objects.filter(case__applicant=applicant).select_related("case").order_by("-issued_at", "-id")
    )


def get_step_output_for(user, number: str, kind: str) -> StepOutput:
    """One step output of a case the user may see (the applicant, or an officer), else 404."""
    case = get_case_for(user, number)
    output = case.step_outputs.filter(kind=kind).first()
    if output is None:
        raise not_found("output")
    return output


def step_output_by_reference(reference: str) -> StepOutput | None:
    """The step document a signed PDF names — its signature's reference is the case number and
    the kind (``cases.pdf.signed_reference``) — or None when no such document was issued."""
    number, _, kind = (reference or "").rpartition(".")
    if not number or not kind:
        return None
    return (
        StepOutput.objects.select_related("case", "case__service")
        .filter(case__number=number, kind=kind.replace("-", "_"))
        .first()
    )


def move_task(task: Task, status: str, user, reason: str = "") -> None:
    """The one writer of a task's status: refused unless ``TASK_TRANSITIONS`` allows the move.
    A decision keeps who, when and why, with its audit event; a task waiting for corrections
    and reopened by the answer only changes status (the case's transition is audited)."""
    if not can_move_task(task.status, status):
        raise Conflict(
            Problem(
                "task",
                "invalid_transition",
                f"任务当前状态为“{TaskStatus(task.status).label}”，不能变为“{TaskStatus(status).label}”",
                f"A task that is {task.status} cannot become {status}",
            )
        )
    before = {"status": task.status}
    task.status = status
    if status not in TASK_DECIDED:
        _save_task(task, ["status"])
        return
    task.reason = reason
    task.decided_at = _run_now(task)
    task.decided_by = user if user is not None and not isinstance(user, str) else None
    _save_task(task, ["status", "reason", "decided_at", "decided_by"])
    audit.record(
        user or "system:rules", f"task.{status}", task, before=before, after={"status": status, "reason": reason}
    )


_close_task = move_task


def settle_follow_up(task: Task, user, *, approved: bool, reason: str) -> None:
    """Close a follow-up task (e.g. a post-approval check, 事后核查) with its area's conclusion,
    inside the caller's transaction: approved, or refused."""
    if task.kind != Task.Kind.FOLLOW_UP:
        raise ValueError("settle_follow_up closes follow-up tasks only")
    move_task(task, Task.Status.APPROVED if approved else Task.Status.REFUSED, user, reason)


# ---------------------------------------------------------------- people acting on cases


def officer_can_act(user, task: Task) -> bool:
    officer = catalog.officer_of(user)
    if officer is None:
        return False
    if officer.role == Officer.Role.ADMIN:
        return True
    if task.kind == Task.Kind.INTAKE:
        return officer.role == Officer.Role.CLERK and officer.department_id == task.department_id
    return (
        officer.department_id == task.department_id
        and officer.role in (Officer.Role.REVIEWER, Officer.Role.CLERK)
        and (task.kind not in (Task.Kind.REVIEW, Task.Kind.FOLLOW_UP) or officer.role == Officer.Role.REVIEWER)
    )


DECISIONS = {"approve", "refuse", "correct"}


def decide(task_id: int, user, outcome: str, reason: str = "", fields: dict | None = None) -> Task:
    """A reviewer's (or, at intake, a clerk's) decision. Deciding a task that is no longer open
    is refused with 409, so two reviewers (or two clicks) cannot both decide it. ``fields`` are
    the task's decision-time fields (``decision_fields`` in the process), given on approval."""
    reason = (reason or "").strip()
    if outcome not in DECISIONS:
        raise BusinessError.of(
            "outcome",
            "invalid",
            "决定只能是批准、不予批准或要求补正",
            "The decision must be approve, refuse or correct",
            status=422,
        )
    if outcome in ("refuse", "correct") and not reason:
        raise BusinessError.of(
            "reason",
            "required",
            "不予批准或要求补正时必须说明理由",
            "Give a reason when refusing or asking for corrections",
            status=422,
        )
    if len(reason) > 2000:
        raise BusinessError.of(
            "reason", "too_long", "理由不能超过2000字", "The reason must be at most 2000 characters", status=422
        )
    follow_up_task = Task.objects.filter(pk=task_id, kind=Task.Kind.FOLLOW_UP).first()
    if follow_up_task is not None:
        # A follow-up on a finished case belongs to the area that scheduled it (e.g. permits).
        if not officer_can_act(user, follow_up_task):
            raise not_found("task") if not catalog.officer_of(user) else forbidden("task")
        if follow_up_task.status != Task.Status.OPEN:
            raise Conflict(
                Problem("task", "already_decided", "该任务已经处理过了", "This task has already been decided")
            )
        plugins.follow_ups[follow_up_task.stage_key].func(follow_up_task, user, outcome, reason)
        follow_up_task.refresh_from_db()
        return follow_up_task
    with transaction.atomic(), audit.buffered(), events.buffered():
        # Locks are taken case first, then task — the order every other writer of a case uses
        # (advance, withdraw, corrections) — so two of them can never wait for each other.
        case_id = Task.objects.filter(pk=task_id).values_list("case_id", flat=True).first()
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("service", "process", "applicant")
            .filter(pk=case_id)
            .first()
            if case_id
            else None
        )
        task = (
            Task.objects.select_for_update(of=("self",)).select_related("case").filter(pk=task_id).first()
            if case
            else None
        )
        if task is None or not (officer_can_act(user, task) or _rectification_owner(user, task)):
            raise not_found("task") if task is None or not catalog.officer_of(user) else forbidden("task")
        if task.status != Task.Status.OPEN:
            raise Conflict(
                Problem("task", "already_decided", "该任务已经处理过了", "This task has already been decided")
            )
        if task.kind == Task.Kind.RECTIFICATION:
            raise BusinessError.of(
                "task", "use_rectify", "整改任务请用整改答复", "Answer a rectification with rectify", status=409
            )
        if task.kind == Task.Kind.INTAKE:
            if outcome == "approve":
                _close_task(task, Task.Status.APPROVED, user, reason or "受理 accepted")
                transition(case, S.ACCEPTED, user)
                _advance_stage(case)
            else:
                _close_task(task, Task.Status.REFUSED, user, reason)
                transition(case, S.REJECTED, user, reason=reason)
        else:
            if case.status != S.IN_REVIEW:
                raise Conflict(Problem("status", "not_in_review", "办件不在审核中", "The case is not being reviewed"))
            stage = process.stage_at(case.process.definition, case.stage_index) or {}
            if outcome == "approve":
                spec = spec_for(stage, task.key, case)
                _record_decision_fields(case, task, spec, fields)
                _approve_task(case, task, user, reason or "同意 approved", spec)
            elif outcome == "refuse":
                _close_task(task, Task.Status.REFUSED, user, reason)
                for other in case.tasks.filter(status=Task.Status.OPEN).exclude(pk=task.pk):
                    _close_task(other, Task.Status.CANCELLED, "system", "case refused")
                transition(case, S.REFUSED, user, reason=reason)
            else:
                move_task(task, Task.Status.CORRECTION, user)
                Correction.objects.create(
                    case=case, task=task, requested_by=user, reason=reason, requested_at=timezone.now()
                )
                case.suspended_at = timezone.now()
                # The applicant is told by ``case.correction_requested`` (announced by transition).
                transition(case, S.SUSPENDED, user, "case.correction_requested", reason=reason)
        schedule_advance(case)
        task.refresh_from_db()
        return task


def decision_fields(task: Task) -> list[dict]:
    """The decision-time fields — 审批时填写的信息 — the task's process declares (usually none)."""
    stage = next((s for s in task.case.process.definition.get("stages", []) if s.get("key") == task.stage_key), {})
    return spec_for(stage, task.key, task.case).get("decision_fields") or [] if stage else []


def _record_decision_fields(case: Case, task: Task, spec: dict, fields: dict | None) -> None:
    """Check the decision-time fields the task declares and keep them in the case's results
    (``results["decision"][task key]``), where the task's effects read them."""
    declared = spec.get("decision_fields") or []
    if not declared and not fields:
        return
    cleaned, problems = forms.validate_decision(declared, fields or {})
    if problems:
        raise BusinessError(*problems, status=422)
    case.results.setdefault("decision", {})[task.key] = cleaned


def _rectification_owner(user, task: Task) -> bool:
    officer = catalog.officer_of(user)
    return bool(officer and task.kind == Task.Kind.RECTIFICATION and officer.department_id == task.department_id)


def answer_correction(
    case_number: str, applicant, answer: str, data: dict | None = None, materials: dict[str, int] | None = None
) -> Case:
    """The applicant corrects (补正); the clock resumes with the paused working days added."""
    with transaction.atomic():
        case = _applicant_case(case_number, applicant, lock=True)
        if case.status != S.SUSPENDED:
            raise Conflict(
                Problem("status", "not_suspended", "办件没有等待补正", "The case is not waiting for corrections")
            )
        correction = case.corrections.filter(answered_at__isnull=True).select_related("task").first()
        if data:
            merged = {**case.data}
            for section, values in data.items():
                merged[section] = {**merged.get(section, {}), **(values or {})}
            cleaned, problems = forms.validate(case.service.form, _revealed_for_revalidation(case.service.form, merged))
            if problems:
                raise BusinessError(*problems, status=422)
            case.data = cleaned
        reused = reused_materials(materials)
        if reused:
            raise BusinessError(*reused, status=422)
        now = timezone.now()
        for key, pk in (materials or {}).items():
            updated = Material.objects.filter(pk=pk, owner=applicant, case__isnull=True).update(case=case, key=key)
            _materials_changed(case)
            if not updated:
                raise BusinessError.of(
                    f"materials.{key}",
                    "unknown_material",
                    "找不到这份上传的材料",
                    "This uploaded file was not found",
                    status=422,
                )
            _supersede(case, key, pk, applicant, now)
        paused, _prov = calendar.working_days_between(_local_date(case.suspended_at), timezone.localdate())
        correction.answered_at, correction.answer, correction.paused_days = now, (answer or "").strip()[:2000], paused
        correction.save()
        case.paused_days += paused
        case.suspended_at = None
        _set_due_dates(case)
        case.save()
        _shift_timers(case, paused)
        task = correction.task
        if paused:
            task.due_date = calendar.add_working_days(task.due_date, paused).date
            task.save(update_fields=["due_date"])
        move_task(task, Task.Status.OPEN, applicant)
        transition(case, S.IN_REVIEW, applicant, "case.corrected", paused_days=paused)
        return case


def _supersede(case: Case, key: str, new_pk: int, actor, at) -> None:
    """A material replaced during a correction stays on the case as an earlier version, marked
    superseded by the new one (its upload time and digest unchanged), with an audit event."""
    for old in case.materials.filter(key=key, superseded_by__isnull=True).exclude(pk=new_pk):
        old.superseded_by_id, old.superseded_at = new_pk, at
        old.save(update_fields=["superseded_by", "superseded_at"])
        audit.record(
            actor,
            "material.superseded",
            old,
            after={"case": case.number, "key": key, "sha256": old.sha256, "superseded_by": new_pk},
        )


def material_versions(case: Case) -> list[dict]:
    """The case's materials by kind, as officers compare them: the current version and the
    earlier ones a correction replaced (newest first), each with its upload time and digest."""
    by_key: dict[str, dict] = {}
    for m in case.materials.order_by("key", "uploaded_at", "id"):
        entry = by_key.setdefault(m.key, {"key": m.key, "current": None, "earlier": []})
        if m.superseded_by_id is None:
            entry["current"] = m
        else:
            entry["earlier"].insert(0, m)
    return list(by_key.values())


def _revealed_for_revalidation(form: dict, data: dict) -> dict:
    """Protected values re-enter validation as their plain text (they were valid once)."""
    out = {}
    for section, values in data.items():
        out[section] = {k: forms.reveal(v) for k, v in (values or {}).items()}
    return out


def _shift_timers(case: Case, days: int) -> None:
    for timer in case.timers.filter(fired_at__isnull=True):
        if timer.kind == Timer.Kind.CASE_DUE:
            timer.fire_on = case.due_date
        elif days:
            timer.fire_on = calendar.add_working_days(timer.fire_on, days).date
        timer.save(update_fields=["fire_on"])


def extension_rule(case: Case) -> dict:
    """How far this case's limits may be extended (延期规则), from its process definition's
    ``extension`` entry: ``max_count`` extensions (default 1) of ``max_days`` working days in
    all (default the service's statutory limit, 法定时限 — as 行政许可法 §42 allows one
    extension, and no more than the limit itself)."""
    rule = (case.process.definition or {}).get("extension") or {}
    return {
        "max_count": int(rule.get("max_count", 1)),
        "max_days": int(rule.get("max_days", case.service.legal_limit_days)),
    }


def extend(case_number: str, user, days: int, reason: str) -> Case:
    """延长期限: an administrator extends the limits, with a reason, in working days, within the
    catalogue's rule (``extension_rule``)."""
    officer = catalog.officer_of(user)
    if not officer or officer.role != Officer.Role.ADMIN:
        raise forbidden("case")
    if not 1 <= int(days) <= 30:
        raise BusinessError.of(
            "days", "out_of_range", "延长天数应在1到30个工作日之间", "Extend by 1 to 30 working days", status=422
        )
    if not (reason or "").strip():
        raise BusinessError.of("reason", "required", "请说明延期理由", "Give the reason for the extension", status=422)
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("service", "process")
            .filter(number=case_number)
            .first()
        )
        if case is None:
            raise not_found("case")
        if case.status in FINAL:
            raise Conflict(Problem("status", "finished", "已办结的办件不能延期", "A finished case cannot be extended"))
        rule = extension_rule(case)
        if case.extensions >= rule["max_count"]:
            raise Conflict(
                Problem(
                    "days",
                    "extension_limit",
                    f"该事项最多只能延期 {rule['max_count']} 次，本办件已延期 {case.extensions} 次",
                    f"This service may be extended at most {rule['max_count']} time(s); this case already was {case.extensions} time(s)",
                )
            )
        if case.extension_days + int(days) > rule["max_days"]:
            left = max(rule["max_days"] - case.extension_days, 0)
            raise BusinessError.of(
                "days",
                "extension_too_long",
                f"延期总计不能超过 {rule['max_days']} 个工作日（法定时限），最多还能延长 {left} 个工作日",
                f"Extensions may total at most {rule['max_days']} working days (the statutory limit); at most {left} more",
                status=422,
            )
        before = _case_snapshot(case)
        case.extension_days += int(days)
        case.extensions += 1
        _set_due_dates(case)
        case.save()
        _shift_timers(case, 0)
        reason = reason.strip()[:1000]
        audit.record(
            user,
            "case.extended",
            case,
            before=before,
            after={**_case_snapshot(case), "reason": reason, "extensions": case.extensions},
        )
        notify(
            case,
            user=case.applicant,
            kind="extended",
            zh=f"办件 {case.number} 的办理时限延长 {int(days)} 个工作日，至 {case.due_date}：{reason}",
            en=f"The limits of case {case.number} were extended by {int(days)} working days, to {case.due_date}: {reason}",
        )
        return case


def withdraw(case_number: str, applicant, reason: str = "") -> Case:
    with transaction.atomic():
        case = _applicant_case(case_number, applicant, lock=True)
        if case.status not in WITHDRAWABLE:
            raise Conflict(
                Problem(
                    "status",
                    "cannot_withdraw",
                    "办件已决定，不能撤回",
                    "The case has been decided and cannot be withdrawn",
                )
            )
        for task in case.tasks.filter(status__in=[Task.Status.OPEN, Task.Status.CORRECTION]):
            _close_task(task, Task.Status.CANCELLED, applicant, "applicant withdrew")
        transition(case, S.WITHDRAWN, applicant, reason=reason or "申请人撤回 withdrawn by the applicant")
        return case


TRACKING_OK = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def record_delivery(case_number: str, user, method: str, tracking_number: str = "") -> Case:
    """统一窗口出件: the clerk hands the result over at the window or posts it (免费邮寄)."""
    officer = catalog.officer_of(user)
    if not officer or officer.role not in (Officer.Role.CLERK, Officer.Role.ADMIN):
        raise forbidden("case")
    tracking_number = (tracking_number or "").strip().upper()
    if method not in ("window", "mail"):
        raise BusinessError.of(
            "method", "invalid", "出件方式只能是窗口领取或邮寄", "Delivery is at the window or by mail", status=422
        )
    if method == "mail" and not (6 <= len(tracking_number) <= 40 and set(tracking_number) <= TRACKING_OK):
        raise BusinessError.of(
            "tracking_number",
            "invalid",
            "请填写有效的邮件运单号（6–40位字母或数字）",
            "Enter a valid mail tracking number (6–40 letters or digits)",
            status=422,
        )
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("service").filter(number=case_number).first()
        if case is None:
            raise not_found("case")
        if case.status != S.ISSUED:
            raise Conflict(
                Problem("status", "not_issued", "办件尚未出证或已送达", "The case is not waiting to be handed out")
            )
        case.delivery_method, case.tracking_number = method, tracking_number
        case.save(update_fields=["delivery_method", "tracking_number", "updated_at"])
        transition(case, S.DELIVERED, user, f"case.delivered.{method}", tracking_number=tracking_number)
        if method == "mail":
            notify(
                case,
                user=case.applicant,
                kind="mailed",
                zh=f"办件 {case.number} 的结果已免费邮寄，运单号 {tracking_number}",
                en=f"The result of case {case.number} was mailed free of charge, tracking number {tracking_number}",
            )
        return case


# ---------------------------------------------------------------- 好差评
# The rating functions live in ``cases/ratings.py`` (回访核实, escalation, 申诉复核); they are
# re-exported at the end of this module so callers keep using ``services.rate`` etc.


# ---------------------------------------------------------------- timers and notifications


def notify(case: Case, *, zh: str, en: str, user=None, department=None, kind: str = "") -> Notification | None:
    """A message about the case. To a department's inbox (催办/督办, a stuck case, a follow-up
    task): a ``Notification`` row here, for its officers (``cases.reminders``). To a person (the
    applicant): announced as ``case.message`` in this transaction; the notification centre
    (``zimao.notify``, which subscribes) keeps it, and the case page reads it from there: one place
    for what a person is told. ``kind`` names the message (``mailed``…): notify e-mails every
    message and texts only the kinds worth a text message."""
    if user is None:
        return Notification.objects.create(case=case, department=department, message_zh=zh, message_en=en)
    events.announce(
        "case.message",
        {
            "number": case.number,
            "service": case.service.code,
            "applicant": user.pk,
            "message_zh": zh,
            "message_en": en,
            "message_kind": kind,
            "at": timezone.now(),
        },
        key=f"{case.number}:{uuid.uuid4().hex}",
    )
    return None


def sweep(
    today: date | None = None,
    limit: int = 500,
    *,
    stale_after: timedelta = timedelta(minutes=2),
    task_timeout: timedelta | None = None,
) -> dict:
    """Fire every timer whose day has passed: escalate overdue tasks and cases (督办); recover
    work a dead worker left behind.

    A timer is claimed by one conditional UPDATE, so two sweepers running at once fire it once.
    """
    from zimao.core.recovery import DEFAULT_TASK_TIMEOUT, requeue_orphaned_tasks

    today = today or timezone.localdate()
    counts = {
        "fired": 0,
        "escalated_tasks": 0,
        "overdue_cases": 0,
        "restarted": 0,
        "requeued": 0,
        "drafts_deleted": sweep_expired_drafts(),
        "unattached_materials_deleted": sweep_unattached_materials(),
    }
    counts["requeued"] = len(requeue_orphaned_tasks(DEFAULT_TASK_TIMEOUT if task_timeout is None else task_timeout))
    due = list(
        Timer.objects.filter(fired_at__isnull=True, fire_on__lt=today)
        .order_by("fire_on", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in due:
        with transaction.atomic():
            if not Timer.objects.filter(pk=pk, fired_at__isnull=True).update(fired_at=timezone.now()):
                continue  # another sweeper claimed it
            timer = Timer.objects.select_related("case", "task", "case__process", "case__service").get(pk=pk)
            counts["fired"] += 1
            case = timer.case
            if timer.kind == Timer.Kind.TASK_DUE and timer.task and timer.task.status == Task.Status.OPEN:
                task = timer.task
                task.escalated = True
                task.save(update_fields=["escalated"])
                stage = next((s for s in case.process.definition.get("stages", []) if s["key"] == task.stage_key), {})
                zh = f"办件 {case.number} 的任务“{task.name_zh}”已超期（应于 {task.due_date} 完成）"
                en = f"Task '{task.name_en}' of case {case.number} is overdue (due {task.due_date})"
                notify(case, department=task.department, zh=zh, en=en)
                if stage.get("escalate_to"):
                    notify(
                        case,
                        department=Department.objects.get(code=stage["escalate_to"]),
                        zh="督办：" + zh,
                        en="Escalated: " + en,
                    )
                audit.record(
                    "system:sweep",
                    "task.overdue",
                    task,
                    after={"due_date": task.due_date, "escalated_to": stage.get("escalate_to")},
                )
                counts["escalated_tasks"] += 1
            elif timer.kind == Timer.Kind.CASE_DUE and case.status not in FINAL and case.status != S.SUSPENDED:
                notify(
                    case,
                    department=case.service.department,
                    zh=f"办件 {case.number} 已超过承诺时限 {case.due_date}",
                    en=f"Case {case.number} is past its promised date {case.due_date}",
                )
                audit.record("system:sweep", "case.overdue", case, after={"due_date": case.due_date})
                counts["overdue_cases"] += 1
    # A case whose engine run was lost (a worker died mid-way, a run failed) is picked up again.
    stale = timezone.now() - stale_after
    for case in (
        Case.objects.filter(
            status__in=[S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW, S.APPROVED], updated_at__lt=stale, stuck_at__isnull=True
        )
        .exclude(tasks__status=Task.Status.OPEN)
        .only("pk")[:limit]
    ):
        try:
            advance(case.pk, "system:sweep")
        except Exception as exc:
            logger.exception("sweep could not restart case %s", case.pk)
            mark_stuck(case.pk, exc)
            continue
        counts["restarted"] += 1
    return counts


def mark_stuck(case_id: int, exc: BaseException) -> None:
    """The engine could not move this case on (卡件): record why, tell the department that runs
    the service (their workbench lists it) and stop the sweep retrying it silently. Its own
    transaction: the failed run was rolled back. Once only per case until retried. A transient
    database failure (a lock or deadlock, a lost connection) is not the case's fault: the sweep
    retries those as before."""
    from django.db import InterfaceError, OperationalError

    if isinstance(exc, (OperationalError, InterfaceError)):
        return
    reason = f"{type(exc).__name__}: {exc}".encode("utf-8", "backslashreplace").decode("utf-8")[:1000]
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("service").filter(pk=case_id).first()
        if case is None or case.stuck_at is not None:
            return
        case.stuck_at, case.stuck_reason = timezone.now(), reason
        case.save(update_fields=["stuck_at", "stuck_reason", "updated_at"])
        audit.record("system:engine", "case.stuck", case, after={"reason": reason})
        notify(
            case,
            department=case.service.department,
            zh=f"办件 {case.number} 无法继续办理，需要人工处理：{reason}",
            en=f"Case {case.number} cannot advance and needs an officer: {reason}",
        )


def stuck_cases(user, limit: int = 50) -> list[Case]:
    """Cases the engine could not move on, for the department that runs their service (all for
    an administrator)."""
    officer = catalog.officer_of(user)
    if officer is None:
        return []
    qs = Case.objects.filter(stuck_at__isnull=False).select_related("service")
    if officer.role != Officer.Role.ADMIN:
        qs = qs.filter(service__department_id=officer.department_id)
    return list(qs.order_by("stuck_at", "id")[:limit])


def retry_stuck(case_number: str, user) -> Case:
    """An administrator retries a stuck case once its cause is fixed (e.g. the data corrected)."""
    officer = catalog.officer_of(user)
    if not officer or officer.role != Officer.Role.ADMIN:
        raise forbidden("case")
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).filter(number=case_number, stuck_at__isnull=False).first()
        if case is None:
            raise not_found("case")
        case.stuck_at, case.stuck_reason = None, ""
        case.save(update_fields=["stuck_at", "stuck_reason", "updated_at"])
        audit.record(user, "case.retried", case)
        schedule_advance(case)
        return case


# ---------------------------------------------------------------- reading


def _applicant_case(number: str, applicant, lock: bool = False) -> Case:
    qs = Case.objects.select_related("service", "process", "applicant")
    if lock:
        qs = qs.select_for_update(of=("self",))
    case = qs.filter(number=number, applicant=applicant).first()
    if case is None:
        raise not_found("case")
    return case


def can_view(user, case: Case) -> bool:
    """An applicant sees their own cases; an officer sees the cases their department works on;
    window clerks and administrators see every case (they hand results out)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if case.applicant_id == user.pk:
        return True
    officer = catalog.officer_of(user)
    if officer is None:
        return user.is_superuser
    if officer.role == Officer.Role.ADMIN or officer.department.is_window:
        return True
    return case.tasks.filter(department_id=officer.department_id).exists()


def get_case_for(user, number: str) -> Case:
    case = Case.objects.select_related("service", "process", "applicant").filter(number=number).first()
    if case is None or not can_view(user, case):
        raise not_found("case")  # no difference between "absent" and "not yours": nothing leaks
    return case


def cases_of(applicant):
    return Case.objects.filter(applicant=applicant).select_related("service").order_by("-submitted_at")


def progress_prefetch() -> Prefetch:
    """A case's tasks in order with their departments — what a status list shows for each case."""
    return Prefetch("tasks", queryset=Task.objects.select_related("department").order_by("id"))


def cases_with_progress(applicant):
    """``cases_of`` with each case's process, tasks and 好差评 rating fetched in a fixed number of
    queries, however many cases are listed (no query per case)."""
    return cases_of(applicant).select_related("process", "rating").prefetch_related(progress_prefetch())


def with_progress(case: Case) -> Case:
    """Fetch one case's tasks as ``cases_with_progress`` does (nothing, if already fetched)."""
    prefetch_related_objects([case], progress_prefetch())
    return case


def worklist(user, *, view: str = "open", service: str = "", after: tuple | None = None, limit: int = 50):
    """A department's tasks (我的待办) by due date: ``open``, ``due_soon``, ``overdue`` or ``done``.

    Keyset pagination on (due_date, id) over the ``worklist`` index keeps the cost flat however
    many cases the zone holds.
    """
    officer = catalog.officer_of(user)
    if officer is None:
        raise forbidden("tasks")
    qs = Task.objects.select_related("case", "case__service", "department")
    if officer.role != Officer.Role.ADMIN:
        qs = qs.filter(department_id=officer.department_id)
    today = timezone.localdate()
    if view == "done":
        qs = qs.exclude(status__in=[Task.Status.OPEN, Task.Status.CORRECTION])
    else:
        qs = qs.filter(status=Task.Status.OPEN)
        if view == "overdue":
            qs = qs.filter(due_date__lt=today)
        elif view == "due_soon":
            qs = qs.filter(due_date__gte=today, due_date__lte=calendar.add_working_days(today, 1).date)
    if service:
        qs = qs.filter(case__service__code=service)
    if after:
        qs = qs.filter(Q(due_date__gt=after[0]) | Q(due_date=after[0], id__gt=after[1]))
    return list(qs.order_by("due_date", "id")[:limit])


def upload_material(owner, key: str, name: str, content: bytes) -> Material:
    field = f"materials.{key or 'file'}"
    checked = check_upload(content, field=field)
    _within_unattached_quota(owner, checked.size, field)
    material = Material(
        owner=owner,
        key=key or "",
        original_name=(name or "upload")[:200],
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
    )
    material.file.save(f"{checked.sha256[:16]}.{checked.extension}", ContentFile(checked.content), save=False)
    material.save()
    audit.record(
        owner,
        "material.uploaded",
        material,
        after={"key": key, "sha256": checked.sha256, "size": checked.size, "content_type": checked.content_type},
    )
    return material


def _within_unattached_quota(owner, size: int, field: str) -> None:
    """Uploads not yet part of a case count against a per-user quota (``settings.UNATTACHED_UPLOAD_QUOTA_BYTES``),
    so new accounts cannot fill the disk with files no case will ever use. The owner's row is
    locked so two parallel uploads cannot both slip under the limit."""
    from django.contrib.auth import get_user_model
    from django.db.models import Sum

    quota = settings.UNATTACHED_UPLOAD_QUOTA_BYTES
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return _within_unattached_quota(owner, size, field)
    get_user_model().objects.select_for_update().filter(pk=owner.pk).exists()
    held = Material.objects.filter(owner=owner, case__isnull=True).aggregate(n=Sum("size"))["n"] or 0
    if held + size > quota:
        mb = quota / 1024 / 1024
        raise BusinessError.of(
            field,
            "upload_quota",
            f"尚未提交的上传材料合计不能超过 {mb:.0f} MB；请先提交申请，或等待未用的材料被清理",
            f"Uploaded files not yet part of an application may total at most {mb:.0f} MB; "
            "submit your application first, or wait for unused files to be removed",
            status=413,
        )


def discard_unattached_material(owner, pk: int) -> bool:
    """The owner replaced an upload before sending it (a draft's new file): the old one goes at
    once instead of holding quota until the sweep. Never a material already part of a case."""
    with transaction.atomic():
        material = Material.objects.select_for_update().filter(pk=pk, owner=owner, case__isnull=True).first()
        if material is None:
            return False
        delete_material_file(material, owner, "material.discarded")
        return True


def delete_material_file(material: Material, actor, action: str) -> None:
    """Delete an unsent upload, row now and file after commit, with its audit event (inside the
    caller's transaction, the row locked)."""
    name = material.file.name
    audit.record(actor, action, material, after={"sha256": material.sha256, "size": material.size})
    material.delete()
    transaction.on_commit(lambda: Material.file.field.storage.delete(name))


def sweep_unattached_materials(now=None, limit: int = 1000) -> int:
    """Delete uploads never attached to a case within ``settings.UNATTACHED_UPLOAD_RETENTION_HOURS``
    (rows and files): part of ``zimao sweep``. A material a submission attaches meanwhile is
    skipped (the delete is conditional on it still being unattached), and so is one a saved draft
    holds (``cases.drafts``: it goes with the draft)."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.UNATTACHED_UPLOAD_RETENTION_HOURS)
    removed = 0
    for pk in list(
        Material.objects.filter(case__isnull=True, draft__isnull=True, uploaded_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:limit]
    ):
        with transaction.atomic():
            material = Material.objects.select_for_update().filter(pk=pk, case__isnull=True, draft__isnull=True).first()
            if material is None:
                continue
            delete_material_file(material, "system:sweep", "material.expired")
            removed += 1
    return removed


def can_read_material(user, material: Material) -> bool:
    """Least privilege for applicants' files (identity copies among them): the owner; an officer
    whose department has, or had, a task on the case; the window clerk only for cases that came
    to the window (an intake task) or wait there to be handed out; zone administrators (who may
    act on any task). Every officer's read is audited by the caller."""
    if not getattr(user, "is_authenticated", False):
        return False
    if material.owner_id == user.pk:
        return True
    officer = catalog.officer_of(user)
    if material.case is None or officer is None:
        return False
    if officer.role == Officer.Role.ADMIN:
        return True
    case = material.case
    if case.tasks.filter(department_id=officer.department_id).exists():
        return True
    return officer.department.is_window and case.status == S.ISSUED and case.delivery_method in ("window", "mail")


def create_follow_up_task(
    case_number: str,
    *,
    stage_key: str,
    key: str,
    department_code: str,
    name_zh: str,
    name_en: str,
    due_days: int,
    actor="system",
) -> Task:
    """A task on a case after its result, e.g. the post-approval check of a 告知承诺 permit
    (事后核查): due in working days, escalated by the sweep like any task, decided on the
    workbench and handed to the ``follow_ups`` plugin registered for ``stage_key``. Idempotent."""
    if stage_key not in plugins.follow_ups:
        raise KeyError(f"no follow-up handler registered for {stage_key!r}")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(number=case_number)
        existing = case.tasks.filter(key=key[:40]).first()
        if existing:
            return existing
        due = deadline(timezone.localdate(), due_days).date
        task = Task.objects.create(
            case=case,
            kind=Task.Kind.FOLLOW_UP,
            key=key[:40],
            stage_key=stage_key,
            department=Department.objects.get(code=department_code),
            name_zh=name_zh[:100],
            name_en=name_en[:150],
            due_date=due,
        )
        Timer.objects.create(case=case, task=task, kind=Timer.Kind.TASK_DUE, fire_on=due)
        audit.record(
            actor,
            "task.created",
            task,
            after={
                "case": case.number,
                "department": department_code,
                "due_date": due,
                "kind": "follow_up",
                "stage": stage_key,
            },
        )
        notify(
            case,
            department=task.department,
            zh=f"办件 {case.number} 有后续任务“{task.name_zh}”，请在 {due} 前完成",
            en=f"Case {case.number} has a follow-up task '{task.name_en}' due {due}",
        )
        return task


def add_follow_up_output(case_number: str, name: str, ref: dict, actor="system") -> Case:
    """A result issued after the case's own — 后续证照, e.g. a certified true copy (副本) of a
    certificate: ``ref`` (the credential reference an output plugin would return) appended to the
    case's outputs under the output name ``name``, once (by ``identifier``), and recorded in its
    history. Only a case that issued its result gains one."""
    output = {"output": name, **ref}
    with transaction.atomic():
        case = Case.objects.select_for_update().get(number=case_number)
        if case.status not in (S.ISSUED, S.DELIVERED):
            raise Conflict(
                Problem(
                    "status",
                    "invalid_transition",
                    "办件尚未出证，不能出具后续证照",
                    "A case that has not issued its result cannot issue a follow-up one",
                )
            )
        if any(o.get("identifier") == output.get("identifier") for o in case.outputs):
            return case
        case.outputs = [*case.outputs, output]
        _save_case(case, ["outputs", "updated_at"])
        audit.record(
            actor, "case.output_added", case, after={"identifier": output.get("identifier"), "kind": output.get("kind")}
        )
        return case


def get_task_for(user, task_id: int) -> Task:
    """A task the officer's department works on (any task for an administrator); "not found" for
    anyone else, the same answer as for a task that does not exist."""
    task = (
        Task.objects.select_related("case", "case__service", "case__applicant", "department").filter(pk=task_id).first()
    )
    officer = catalog.officer_of(user)
    if (
        task is None
        or officer is None
        or (officer.role != Officer.Role.ADMIN and task.department_id != officer.department_id)
    ):
        raise not_found("task")
    return task


def awaiting_handover(limit: int = 200) -> list[Case]:
    """Issued results waiting at the output window (统一窗口出件) for collection or mailing."""
    return list(
        Case.objects.filter(status=S.ISSUED).select_related("service", "applicant").order_by("issued_at", "id")[:limit]
    )


# The steps' decisions a case's history shows beside the case's own events.
STEP_ACTIONS = ("task.approved", "task.refused")


def case_history(case: Case) -> list[dict]:
    """The case's history as people read it, oldest first: the case's own audit events and each
    step's decision, each naming who acted — the officer's or applicant's display name — or the
    system (``system`` true) for what the engine did by itself."""
    tasks = {str(t.pk): t for t in case.tasks.all()}
    events = audit.history("cases.case", case.pk) + audit.events_of("cases.task", list(tasks), STEP_ACTIONS)
    events.sort(key=lambda e: (e.at, e.object_type != "cases.case", e.pk or 0))
    names = display_names({e.actor for e in events})
    return [
        {
            "at": e.at,
            "action": e.action,
            "actor": e.actor,
            "who": names.get(e.actor, ""),
            "system": e.actor not in names,
            "reason": (e.after or {}).get("reason", ""),
            "after": e.after or {},
            "step": tasks.get(e.object_id) if e.object_type == "cases.task" else None,
        }
        for e in events
    ]


def display_names(usernames) -> dict[str, str]:
    """``{username: display name}`` for the people among audit actors (the system's actors,
    ``system`` and ``system:…``, are not people and are left out)."""
    from django.contrib.auth import get_user_model

    wanted = {u for u in usernames if u and u != "system" and not u.startswith("system:")}
    users = get_user_model().objects.filter(username__in=wanted)
    return {u.username: (u.get_full_name() or u.first_name or u.username).strip() for u in users}


def rating_of(case: Case) -> Rating | None:
    return Rating.objects.filter(case=case).select_related("rectification").first()


def rating_for_rectification(task: Task) -> Rating | None:
    return Rating.objects.filter(rectification=task).first() if task.kind == Task.Kind.RECTIFICATION else None


def open_correction(case: Case) -> Correction | None:
    if case.status != S.SUSPENDED:
        return None
    return case.corrections.filter(answered_at__isnull=True).order_by("-requested_at").first()


def get_material_for(user, token) -> Material:
    """A material by its unguessable token (``Material.token``)."""
    material = Material.objects.select_related("case").filter(token=token).first()
    if material is None or not can_read_material(user, material):
        raise not_found("material")
    return material


def open_task_of(case_number: str) -> Task | None:
    """A case's first open task — for an app that keeps its own page for deciding it (the decision
    itself always goes through ``decide``)."""
    return Task.objects.filter(case__number=case_number, status=Task.Status.OPEN).order_by("id").first()


# Ratings (好差评) live in ratings.py, which uses this module's helpers; re-exported so callers keep
# calling services.rate/rectify/follow_up/… as the engine's one entry point.
from zimao.cases.ratings import (  # noqa: E402, F401
    appeal,
    awaiting_follow_up,
    follow_up,
    rate,
    rectify,
    review_appeal,
    verify_rectification,
)
