"""Cases (办件), their department tasks, materials, timers, corrections and ratings.

The lifecycle is the table in ``workflow.py``; everything that changes a case goes through
``services.py``, which writes the audit chain in the same transaction.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zimao.cases.workflow import CaseStatus, TaskStatus


class Case(models.Model):
    number = models.CharField(max_length=32, unique=True)
    service = models.ForeignKey("catalog.ServiceItem", on_delete=models.PROTECT, related_name="cases")
    process = models.ForeignKey("catalog.ProcessDefinition", on_delete=models.PROTECT, related_name="cases")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases")
    status = models.CharField(max_length=12, choices=CaseStatus.choices, default=CaseStatus.SUBMITTED, db_index=True)
    stage_index = models.PositiveSmallIntegerField(default=0)
    data = models.JSONField(default=dict)
    results = models.JSONField(default=dict, blank=True, help_text="what effects produced (e.g. the new USCC)")
    outputs = models.JSONField(default=list, blank=True, help_text="issued credentials")
    idempotency_key = models.CharField(max_length=64, blank=True, default="")
    channel = models.CharField(max_length=16, default="web")
    origin_zone = models.CharField(max_length=32, blank=True, default="")

    submitted_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True, default="")

    # The clock (时限): due dates in working days; paused while suspended for corrections (补正).
    due_date = models.DateField(help_text="承诺办结日")
    legal_due_date = models.DateField(help_text="法定办结日")
    # Each date is provisional when its count crossed a year whose holidays are not entered
    # (statutory holidays assumed); recomputed when the year is entered (cases/deadlines.py).
    due_date_provisional = models.BooleanField(default=False, help_text="承诺办结日暂定 promised date provisional")
    legal_due_date_provisional = models.BooleanField(default=False, help_text="法定办结日暂定 legal date provisional")
    suspended_at = models.DateTimeField(null=True, blank=True)
    paused_days = models.PositiveIntegerField(default=0)
    extension_days = models.PositiveIntegerField(default=0)
    extensions = models.PositiveSmallIntegerField(
        default=0, help_text="how many times the limits were extended (延期次数)"
    )

    delivery_method = models.CharField(
        max_length=12,
        default="electronic",
        choices=[
            ("electronic", _("electronic licence")),
            ("window", _("collect at the window")),
            ("mail", _("free mail delivery")),
        ],
    )
    mail_address = models.TextField(blank=True, default="")
    tracking_number = models.CharField(max_length=40, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)
    # A case the engine could not move on (its run raised): shown to officers, not retried
    # silently for ever; an administrator retries it once the cause is fixed.
    stuck_at = models.DateTimeField(null=True, blank=True)
    stuck_reason = models.TextField(blank=True, default="")
    idempotency_fingerprint = models.CharField(
        max_length=64, blank=True, default="", help_text="SHA-256 of the request that carried the idempotency key"
    )

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_case_per_idempotency_key",
            ),
        ]
        indexes = [models.Index(fields=["applicant", "-submitted_at"])]
        verbose_name = _("case")

    def __str__(self):
        return self.number


class Task(models.Model):
    """Work for one department on one case (部门审核任务), or intake at the window."""

    Status = TaskStatus  # the lifecycle is the table in workflow.py (TASK_TRANSITIONS)

    class Kind(models.TextChoices):
        INTAKE = "intake", _("intake")
        REVIEW = "review", _("review")
        RECTIFICATION = "rectification", _("rectification after a poor rating")
        FOLLOW_UP = "follow_up", _("follow-up after the result (e.g. post-approval check)")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REVIEW)
    key = models.CharField(max_length=40)
    stage_key = models.CharField(max_length=40)
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="tasks")
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    due_date = models.DateField()
    escalated = models.BooleanField(default=False)
    auto_notes = models.JSONField(default=list, blank=True, help_text="why 秒批 did not apply")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="one_task_per_case_key")]
        # The worklist reads open tasks of one department by due date: one index keeps it flat.
        indexes = [models.Index(fields=["department", "status", "due_date", "id"], name="worklist")]
        verbose_name = _("task")

    def __str__(self):
        return f"{self.case.number}/{self.key}"


class Material(models.Model):
    """An uploaded material (申请材料), checked by content and size before it is kept."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials", null=True, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The download URL names this, never the sequential pk: material URLs cannot be enumerated.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    key = models.CharField(max_length=40)
    file = models.FileField(upload_to="materials/%Y/%m/")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # A material replaced during a correction (补正) is kept as an earlier version: officers see
    # both side by side; the case's current materials are those not superseded.
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="earlier_versions"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    # An upload a saved draft holds (暂存): the unattached-upload sweep leaves it alone while the
    # draft lives; when the draft goes it is an ordinary unattached upload again.
    draft = models.ForeignKey("Draft", null=True, blank=True, on_delete=models.SET_NULL, related_name="uploads")

    class Meta:
        ordering = ["uploaded_at"]
        verbose_name = _("material")


class Draft(models.Model):
    """An application in progress (暂存草稿), kept on the server per applicant and service so it
    can be resumed on any device. ``sections`` are as the form engine cleaned them — identity and
    phone numbers encrypted with their mask beside them (``catalog.forms.protect``), never plain;
    ``materials`` names the uploads (``{key: {id, name, size}}``). Deleted when the application is
    submitted, by the applicant, or after ``settings.DRAFT_RETENTION_DAYS`` without a save."""

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts")
    service = models.ForeignKey("catalog.ServiceItem", on_delete=models.CASCADE, related_name="drafts")
    sections = models.JSONField(default=dict, blank=True)
    materials = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["applicant", "service"], name="one_draft_per_service")]
        verbose_name = _("draft application")

    def __str__(self):
        return f"{self.applicant} {self.service_id}"


class Correction(models.Model):
    """A request to correct materials (补正): the clock stops until the applicant answers."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="corrections")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="corrections")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    requested_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True, default="")
    paused_days = models.PositiveIntegerField(default=0)


class Timer(models.Model):
    """A deadline a worker must act on (like Camunda's timer jobs): claimed once, then fired."""

    class Kind(models.TextChoices):
        TASK_DUE = "task_due", _("task due")
        CASE_DUE = "case_due", _("case due")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timers")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, null=True, blank=True, related_name="timers")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    fire_on = models.DateField(help_text="fires when this working day has passed")
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["fired_at", "fire_on"], name="timer_due")]


class Notification(models.Model):
    """A message to a department's inbox (催办/督办, a stuck case, a follow-up task), for its
    officers. A person's messages are announced (``case.message``) and kept by the notification
    centre (``zimao.notify``); ``user`` is only set on rows written before that (copied into the
    centre by notify's migration 0003)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    department = models.ForeignKey(
        "catalog.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications")
    message_zh = models.TextField()
    message_en = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class Rating(models.Model):
    """好差评 (GB/T 39734-2020): one rating per case, five levels."""

    class Level(models.IntegerChoices):
        VERY_SATISFIED = 5, _("非常满意 very satisfied")
        SATISFIED = 4, _("满意 satisfied")
        BASICALLY = 3, _("基本满意 basically satisfied")
        DISSATISFIED = 2, _("不满意 dissatisfied")
        VERY_DISSATISFIED = 1, _("非常不满意 very dissatisfied")

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="rating")
    level = models.PositiveSmallIntegerField(choices=Level.choices)
    comment = models.TextField(blank=True, default="")
    named = models.BooleanField(default=True, help_text="实名评价: a named poor rating must be rectified")
    created_at = models.DateTimeField(auto_now_add=True)
    rectification = models.OneToOneField(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="rating")
    # After rectification the applicant is asked again (回访): their second answer.
    follow_up_level = models.PositiveSmallIntegerField(choices=Level.choices, null=True, blank=True)
    follow_up_at = models.DateTimeField(null=True, blank=True)
    # Reasons chosen from the level's list (cases/ratings.py REASONS), e.g. ["long_wait"].
    reasons = models.JSONField(default=list, blank=True)
    # 回访核实: an officer of the service centre contacts the rater and checks the rectification
    # before the applicant is asked again; the rectification does not close without it.
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verification_note = models.TextField(blank=True, default="")
    # Still poor after rectification: a task for the zone administrator (督办).
    escalation = models.OneToOneField(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalated_rating"
    )
    # 申诉复核 decided "removed": kept (never deleted) but no longer counted anywhere.
    voided = models.BooleanField(default=False)


class RatingAppeal(models.Model):
    """申诉复核: the rated unit or officer appeals a mistaken or malicious rating; the zone
    administrator (政务服务管理机构) upholds it (the rating stays) or removes it (it no longer counts)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending review")
        UPHELD = "upheld", _("rating upheld")
        REMOVED = "removed", _("rating removed")

    rating = models.OneToOneField(Rating, on_delete=models.CASCADE, related_name="appeal")
    appellant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("rating appeal")


class StepOutput(models.Model):
    """What a department's step produced — 办理结果文书 (a tax registration confirmation, a seal
    filing record, a social insurance registration…): a document, not a licence. Declared by the
    task in the catalogue (``outputs``), issued once per case and kind when the task is approved,
    in the name of the department's authority."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="step_outputs")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="step_outputs")
    task_key = models.CharField(max_length=40)
    kind = models.CharField(max_length=64)
    title_zh = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    number = models.CharField(max_length=64, help_text="编号, from the catalogue's number scheme")
    holder_uscc = models.CharField(max_length=18, blank=True, default="")
    holder_name = models.CharField(max_length=200, blank=True, default="")
    issuer_department = models.CharField(max_length=40, blank=True, default="")
    issuer_name_zh = models.CharField(max_length=200)
    issuer_name_en = models.CharField(max_length=200, blank=True, default="")
    issuer_uscc = models.CharField(max_length=18, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    issued_at = models.DateTimeField()

    class Meta:
        ordering = ["case_id", "id"]
        constraints = [
            # Issued once: a step run again (a retry, a re-run) never issues a second document.
            models.UniqueConstraint(fields=["case", "kind"], name="one_step_output_per_case_kind"),
            models.UniqueConstraint(fields=["kind", "number"], name="step_output_number_unique"),
        ]
        verbose_name = _("step output")

    def __str__(self):
        return f"{self.title_zh} {self.number}"
