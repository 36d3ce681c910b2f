"""The task lifecycle table (workflow.TASK_TRANSITIONS): the engine's ``move_task`` is the one
writer of a task's status, and no app outside cases writes it."""

import ast
from pathlib import Path

import pytest

from zimao.cases import services
from zimao.cases.models import Task
from zimao.cases.workflow import TASK_TRANSITIONS, TaskStatus, can_move_task
from zimao.core.errors import Conflict
from zimao.testing import submit

SRC = Path(__file__).resolve().parents[2]  # src/zimao


def test_task_table_reads_as_the_rules():
    assert can_move_task("open", "approved")
    assert can_move_task("correction", "open")  # the applicant answered: back on the desk
    assert not can_move_task("approved", "open")  # a decision is final
    assert not can_move_task("correction", "approved")  # nobody decides what waits for the applicant
    assert not can_move_task("cancelled", "open")
    assert set(TASK_TRANSITIONS) <= set(TaskStatus.values)


@pytest.mark.django_db
def test_a_move_outside_the_table_is_refused(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    services.decide(task.pk, zone.reviewer, "approve")
    task.refresh_from_db()
    assert task.status == Task.Status.APPROVED
    with pytest.raises(Conflict) as refused:
        services.move_task(task, Task.Status.OPEN, zone.reviewer)
    assert refused.value.problems[0].code == "invalid_transition"
    task.refresh_from_db()
    assert task.status == Task.Status.APPROVED  # nothing written


@pytest.mark.django_db
def test_settle_follow_up_closes_only_follow_up_tasks(zone):
    case = submit(zone.applicant, registration={"articles": "custom"}).case
    task = case.tasks.get(key="registration")
    with pytest.raises(ValueError):
        services.settle_follow_up(task, zone.reviewer, approved=True, reason="x")
    assert Task.objects.get(pk=task.pk).status == Task.Status.OPEN


def _writes_task_status(tree: ast.AST, source: str) -> list[int]:
    """Lines that assign ``<…task…>.status`` or pass ``status=`` to a ``Task``/``tasks`` query."""
    lines = []
    for node in ast.walk(tree):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, (ast.AugAssign, ast.AnnAssign))
            else []
        )
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (
                    isinstance(t, ast.Attribute)
                    and t.attr == "status"
                    and "task" in ast.get_source_segment(source, t.value).lower()
                ):
                    lines.append(node.lineno)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("update", "create", "bulk_update", "update_or_create")
        ):
            receiver = ast.get_source_segment(source, node.func.value) or ""
            if (
                ("Task." in receiver or "tasks" in receiver)
                and any(k.arg in ("status", "defaults") for k in node.keywords)
                or node.func.attr == "bulk_update"
                and "status" in ast.get_source_segment(source, node)
            ):
                lines.append(node.lineno)
    return lines


def test_no_app_outside_cases_writes_a_task_status():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "cases" or "tests" in rel.parts or "migrations" in rel.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if "task" not in source.lower():
            continue
        offenders += [f"{rel}:{line}" for line in _writes_task_status(ast.parse(source), source)]
    assert offenders == [], "only cases.services.move_task changes a task's status"


def test_the_scan_finds_a_task_status_write():
    """The scan above is not blind: it sees the writes the old post-check made."""
    source = "def f(check):\n    task = check.task\n    task.status = 'approved'\n    Task.objects.filter(pk=1).update(status='open')\n"
    assert _writes_task_status(ast.parse(source), source) == [3, 4]
