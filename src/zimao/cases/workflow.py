"""The case and task lifecycles as tables, read like the rules a clerk would recite (cf.
Signalen's ``signals/workflow.py``). Nothing changes a case's status except
``services.transition``, nothing changes a task's status except ``services.move_task``; each
consults its table here."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")  # 已提交
    ACCEPTED = "accepted", _("accepted")  # 已受理
    IN_REVIEW = "in_review", _("in review")  # 审核中
    SUSPENDED = "suspended", _("waiting for corrections")  # 补正中: the clock stops
    APPROVED = "approved", _("approved")  # 已批准
    ISSUED = "issued", _("issued")  # 已出证
    DELIVERED = "delivered", _("delivered")  # 已送达
    REJECTED = "rejected", _("not accepted")  # 不予受理
    REFUSED = "refused", _("refused")  # 不予许可
    WITHDRAWN = "withdrawn", _("withdrawn")  # 已撤回


S = CaseStatus

TRANSITIONS: dict[str, set[str]] = {
    S.SUBMITTED: {S.ACCEPTED, S.REJECTED, S.WITHDRAWN},
    S.ACCEPTED: {S.IN_REVIEW, S.WITHDRAWN},
    S.IN_REVIEW: {S.SUSPENDED, S.APPROVED, S.REFUSED, S.WITHDRAWN},
    S.SUSPENDED: {S.IN_REVIEW, S.WITHDRAWN},
    S.APPROVED: {S.ISSUED},
    S.ISSUED: {S.DELIVERED},
}

FINAL = {S.DELIVERED, S.REJECTED, S.REFUSED, S.WITHDRAWN}
# States in which the applicant may still withdraw (撤回).
WITHDRAWABLE = {s for s, targets in TRANSITIONS.items() if S.WITHDRAWN in targets}
# Whose turn it is, for the applicant's status page.
CLOCK_RUNNING = {S.SUBMITTED, S.ACCEPTED, S.IN_REVIEW}

STATUS_WORDS = {
    S.SUBMITTED: ("已提交，等待受理", "Submitted, waiting to be accepted"),
    S.ACCEPTED: ("已受理", "Accepted"),
    S.IN_REVIEW: ("审核中", "Being reviewed"),
    S.SUSPENDED: ("需要您补正材料", "We need you to correct your application"),
    S.APPROVED: ("已批准，正在出证", "Approved, the licence is being issued"),
    S.ISSUED: ("已出证，等待领取或寄送", "Issued, ready to collect or to be mailed"),
    S.DELIVERED: ("已办结", "Completed"),
    S.REJECTED: ("不予受理", "Not accepted"),
    S.REFUSED: ("不予许可", "Refused"),
    S.WITHDRAWN: ("已撤回", "Withdrawn"),
}


def can_transition(source: str, target: str) -> bool:
    return target in TRANSITIONS.get(source, set())


class TaskStatus(models.TextChoices):
    """A department's task on a case (部门任务)."""

    OPEN = "open", _("open")  # 待办
    APPROVED = "approved", _("approved")  # 同意
    REFUSED = "refused", _("refused")  # 不同意
    CORRECTION = "correction", _("waiting for correction")  # 待补正: back to open when answered
    CANCELLED = "cancelled", _("cancelled")  # 已取消 (case withdrawn, refused, join "any")
    DONE = "done", _("done")  # 已办 (a rectification answered)


T = TaskStatus

TASK_TRANSITIONS: dict[str, set[str]] = {
    T.OPEN: {T.APPROVED, T.REFUSED, T.CORRECTION, T.CANCELLED, T.DONE},
    T.CORRECTION: {T.OPEN, T.CANCELLED},
}

# A task in one of these states is decided: who decided it, when and why are kept on it.
TASK_DECIDED = {T.APPROVED, T.REFUSED, T.CANCELLED, T.DONE}


def can_move_task(source: str, target: str) -> bool:
    return target in TASK_TRANSITIONS.get(source, set())
