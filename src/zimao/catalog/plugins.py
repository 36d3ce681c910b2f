"""Pluggable pieces a service definition names by key (like Open Forms' plugin registry).

The catalogue stays data: a process definition says ``auto_approve_if: [name_clean]`` or
``effects: [registry.register_entity]`` or ``outputs: [business_licence]``; the code behind each
key is registered once by the app that owns it, in its ``AppConfig.ready``.

- ``rules``: predicates for auto-accept/auto-approve (秒批): ``fn(ctx) -> RuleResult``
- ``effects``: work done when a task or stage is approved: ``fn(ctx) -> dict`` (merged into the
  case's data, e.g. the new USCC)
- ``outputs``: results issued at the output window: ``fn(ctx) -> list[dict]`` (credential refs)
- ``task_sources``: multi-instance routing, the department tasks computed from the application:
  ``fn(ctx) -> list[dict]`` of ``{"key", "department", "name_zh", "name_en"}``
- ``checks``: submission checks a service lists in ``ServiceItem.checks``:
  ``fn(data, applicant=None[, service=None]) -> list[Problem]`` (e.g. the company name is taken),
  run by ``run_check``
- ``follow_ups``: who decides a follow-up task on a finished case (e.g. 告知承诺事后核查), keyed
  by the task's ``stage_key``: ``fn(task, user, outcome, reason)``
- ``field_types``: extra form field types: ``fn(value, field) -> normalised value`` raising
  ``ValueError((zh, en))`` when the value is wrong
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RuleResult:
    passed: bool
    reason_zh: str = ""
    reason_en: str = ""


@dataclass
class CaseContext:
    """What a plugin may know about a case: a snapshot, not the table (apps call services)."""

    number: str
    service_code: str
    applicant_id: int | None
    applicant_username: str
    data: dict
    outputs: list = field(default_factory=list)
    results: dict = field(default_factory=dict)
    materials: list = field(default_factory=list)
    required_materials: list = field(default_factory=list)
    task_key: str | None = None
    actor: str = "system"
    submitted_at: object = None
    delivered_at: object = None
    status: str = ""  # the case's status when the plugin runs (e.g. why an on_close hook runs)
    reason: str = ""  # why a finished case was closed (a refusal's reason), for on_close hooks
    # The case was created in the transaction this run is part of (its number was just drawn):
    # nothing keyed by its number exists yet, so an idempotency look-up may be skipped.
    new_case: bool = False
    # Shared by every context built for one loaded case (one engine run, under the case's lock):
    # a plugin may keep what it read or wrote for this case here, so that the next plugin of the
    # same run need not read it again. Never persisted; empty for a context built on its own.
    memo: dict = field(default_factory=dict, repr=False, compare=False)


AT_END = "engine.at_end"  # the memo key of the writes left for the end of the engine's run


def at_end_of_run(ctx: CaseContext, write: Callable[[], None]) -> bool:
    """Leave ``write`` for the end of the engine's run (still in its transaction, before its audit
    events are written), so that a plugin called once per task can write once per run. False
    outside an engine run (the caller writes now)."""
    pending = ctx.memo.get(AT_END)
    if pending is None:
        return False
    pending.append(write)
    return True


@dataclass
class Plugin:
    key: str
    label_zh: str
    label_en: str
    func: Callable


class Registry:
    def __init__(self, kind: str):
        self.kind = kind
        self._plugins: dict[str, Plugin] = {}

    def register(self, key: str, label_zh: str = "", label_en: str = ""):
        def decorator(func):
            if key in self._plugins and self._plugins[key].func is not func:
                raise ValueError(f"{self.kind} {key!r} registered twice")
            self._plugins[key] = Plugin(key, label_zh or key, label_en or key, func)
            return func

        return decorator

    def __contains__(self, key: str) -> bool:
        return key in self._plugins

    def __getitem__(self, key: str) -> Plugin:
        try:
            return self._plugins[key]
        except KeyError:
            raise KeyError(f"no {self.kind} registered as {key!r}; known: {sorted(self._plugins)}") from None

    def keys(self):
        return sorted(self._plugins)


rules = Registry("rule")
effects = Registry("effect")
outputs = Registry("output")
task_sources = Registry("task source")
checks = Registry("check")
follow_ups = Registry("follow-up")
field_types = Registry("field type")


def run_check(name: str, data: dict, *, applicant=None, service=None) -> list:
    """Run the submission check ``name`` on ``data``: the one way the engine (at submission) and
    the applicant's section pages (as early as the section) call a check. A check that names a
    ``service`` parameter is told which service it runs for (e.g. 告知承诺 within the company's
    business scope)."""
    func = checks[name].func
    extra = {"service": service} if service is not None and "service" in inspect.signature(func).parameters else {}
    return func(data, applicant=applicant, **extra)
