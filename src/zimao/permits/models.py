"""What permits keep beside the case engine and the licence store (准营):

- ``Commitment`` — a signed notification-commitment (告知承诺书): who signed which version of the
  published conditions, for which company, in which case;
- ``PostCheck`` — the department's check after approval (事后核查), a task with a deadline;
- ``CreditRecord`` — a false commitment recorded against the company (失信记录);
- ``ActivityNote`` — an activity whose approval was abolished (直接取消审批), noted on the
  company's record instead of a case;
- ``Activity`` — the business-scope activities (经营范围) that tell a company which permits it needs;
- ``ReformMode`` — the reform's four modes, an item attribute permits registers with the catalogue
  (``permits.catalogue.ATTRIBUTES``).

Permits themselves are credentials in the licence store; the permit *types* are catalogue data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ReformMode(models.TextChoices):
    """The four 证照分离 reform modes (国发〔2021〕7号), plus items outside the reform."""

    NONE = "", _("not a permit item")
    CANCELLED = "cancelled", _("直接取消审批 approval abolished")
    FILING = "filing", _("审批改为备案 approval replaced by filing")
    COMMITMENT = "commitment", _("实行告知承诺 notification-commitment")
    OPTIMISED = "optimised", _("优化审批服务 approval simplified")


class Activity(models.Model):
    """A business-scope activity (经营范围规范表述条目), e.g. 餐饮服务: what a company says it will do,
    and what tells it which permits it needs (the items' ``activities`` attribute)."""

    key = models.CharField(max_length=40, unique=True)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150)
    industry_code = models.CharField(max_length=5, blank=True, help_text="GB/T 4754-2017 class, e.g. 6210")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]
        verbose_name = _("business-scope activity")
        verbose_name_plural = _("business-scope activities")

    def __str__(self):
        return f"{self.key} {self.name_zh}"


class Commitment(models.Model):
    """告知承诺书: the applicant read the published conditions and committed that they are met."""

    class Status(models.TextChoices):
        SIGNED = "signed", _("signed, check pending")  # 已承诺，待核查
        VERIFIED = "verified", _("found true at the check")  # 核查属实
        FALSE = "false", _("found false at the check")  # 承诺不实

    case_number = models.CharField(max_length=32, db_index=True)
    item_code = models.CharField(max_length=40)
    holder_uscc = models.CharField(
        max_length=18,
        blank=True,
        default="",
        db_index=True,
        help_text="known at signing, or at issue when the same case registers the company",
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(max_length=50)
    signed_at = models.DateTimeField()
    text_hash = models.CharField(max_length=64, help_text="SHA-256 of the conditions as published when signed")
    conditions_zh = models.TextField()
    conditions_en = models.TextField(blank=True)
    credential_identifier = models.CharField(max_length=120, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SIGNED)

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case_number", "item_code"], name="permits_one_commitment_per_item")
        ]
        verbose_name = _("commitment")

    def __str__(self):
        return f"{self.case_number}/{self.item_code}"


class PostCheck(models.Model):
    """事后核查: the department checks a commitment within a deadline in working days.

    The work item is an engine ``Task`` (so it appears in the department's worklist and the sweep
    escalates it when overdue); this row holds what only a check has: its commitment and outcome.
    """

    class Outcome(models.TextChoices):
        PENDING = "", _("pending")
        TRUE = "true", _("commitment true")  # 承诺属实
        FALSE = "false", _("commitment false")  # 承诺不实

    commitment = models.OneToOneField(Commitment, on_delete=models.PROTECT, related_name="post_check")
    task = models.OneToOneField("cases.Task", on_delete=models.PROTECT, related_name="post_check")
    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    outcome = models.CharField(max_length=5, choices=Outcome.choices, blank=True, default="")
    findings = models.TextField(blank=True, default="")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["department", "outcome", "due_date"], name="permits_check_worklist")]
        verbose_name = _("post-approval check")


class CreditRecord(models.Model):
    """信用记录: a fact recorded against a company — here a false commitment (承诺不实)."""

    class Kind(models.TextChoices):
        FALSE_COMMITMENT = "false_commitment", _("false commitment")

    holder_uscc = models.CharField(max_length=18, db_index=True)
    holder_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    item_code = models.CharField(max_length=40)
    case_number = models.CharField(max_length=32)
    credential_identifier = models.CharField(max_length=120, blank=True, default="")
    details_zh = models.TextField()
    details_en = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("credit record")


class ActivityNote(models.Model):
    """经营活动记录: an activity the company may carry on without approval (直接取消审批), noted
    on its record so an inspector sees it was declared, not overlooked."""

    holder_uscc = models.CharField(max_length=18, db_index=True)
    item_code = models.CharField(max_length=40)
    activities = models.JSONField(default=list)
    noted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    noted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-noted_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["holder_uscc", "item_code"], name="permits_one_note_per_item")]
        verbose_name = _("activity note")
