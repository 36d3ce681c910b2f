"""The catalogue (事项目录): departments, service items and their versioned process definitions.

A government service is a row here, not code: its department, legal and promised time limits
(法定时限/承诺时限), materials, form and process definition. Code only supplies the named
rules, effects and outputs a definition refers to (``zimao.catalog.plugins``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A department that reviews tasks (部门), or the comprehensive window (综合窗口)."""

    code = models.CharField(max_length=32, unique=True)
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=150)
    is_window = models.BooleanField(default=False, help_text="综合窗口: accepts applications and hands out results")
    # The authority (机关) in whose name this department decides: printed as issuer on what it
    # issues and carried as issuer code in the e-licence identifier (GB/T 36904). Set per zone by
    # the zone profile (``zimao zone import``); empty = the zone's administrative committee.
    authority_name_zh = models.CharField(_("authority (Chinese)"), max_length=200, blank=True)
    authority_name_en = models.CharField(_("authority (English)"), max_length=250, blank=True)
    authority_uscc = models.CharField(_("authority's unified social credit code"), max_length=18, blank=True)

    class Level(models.TextChoices):
        """Which tier of government the department belongs to (层级)."""

        MUNICIPAL = "municipal", _("municipal or zone (市级/片区)")
        PROVINCIAL = "provincial", _("provincial (省级)")

    # An item decided by a provincial department is accepted at the zone window and forwarded
    # (由省级部门办理): the guide says so and the process has a forwarding task.
    level = models.CharField(max_length=12, choices=Level.choices, default=Level.MUNICIPAL)

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")

    def __str__(self):
        return f"{self.name_zh} {self.name_en}"

    @property
    def is_provincial(self) -> bool:
        return self.level == self.Level.PROVINCIAL


class ZoneProfile(models.Model):
    """The zone this installation serves — 片区配置: names, division, the authorities that sign, the
    public address. Data, not code: one row is active; ``zimao zone export/import`` moves it."""

    key = models.SlugField(max_length=60, unique=True)
    name_zh = models.CharField(_("zone name (Chinese)"), max_length=200)
    name_en = models.CharField(_("zone name (English)"), max_length=250)
    division = models.CharField(_("division code (GB/T 2260)"), max_length=6)
    issuer_department = models.CharField(
        _("issuing department"),
        max_length=32,
        help_text="部门代码 of the zone's own authority (管委会): defines licence types, issues what no department decides",
    )
    registration_department = models.CharField(
        _("registration department"),
        max_length=32,
        help_text="部门代码 whose authority is the 登记机关 on business licences",
    )
    origin_place = models.CharField(
        _("place of issue of certificates of origin"), max_length=100, help_text='Form RCEP box 16, e.g. "CITY, CHINA"'
    )
    site_url = models.URLField(
        _("public site address"),
        blank=True,
        help_text="printed in QR codes; empty = the address the server is reached at",
    )
    demo_codes = models.BooleanField(_("authority codes are demo placeholders"), default=False)
    note = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("zone profile")
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="one_active_zone_profile")
        ]

    def __str__(self):
        return f"{self.name_zh} {self.name_en}"


class Officer(models.Model):
    """A member of staff and the department they act for (经办人员)."""

    class Role(models.TextChoices):
        CLERK = "clerk", _("window clerk")
        REVIEWER = "reviewer", _("department reviewer")
        ADMIN = "admin", _("zone administrator")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="officers")
    role = models.CharField(max_length=10, choices=Role.choices)

    class Meta:
        verbose_name = _("officer")

    def __str__(self):
        return f"{self.user} @ {self.department.code} ({self.role})"


class ServiceItem(models.Model):
    """A service item (政务服务事项) as the public guide and the case engine see it."""

    code = models.CharField(max_length=40, unique=True)
    name_zh = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="services")
    legal_basis = models.TextField(blank=True)
    legal_limit_days = models.PositiveIntegerField(help_text="法定时限, working days")
    promised_limit_days = models.PositiveIntegerField(help_text="承诺时限, working days (0 = same day)")
    rectification_days = models.PositiveIntegerField(default=10, help_text="差评整改时限, working days")
    materials = models.JSONField(default=list, blank=True, help_text='[{"key", "name_zh", "name_en", "required"}]')
    form = models.JSONField(
        default=dict, blank=True, help_text='{"sections": [{"key", "title_zh", "title_en", "fields": [...]}]}'
    )
    checks = models.JSONField(default=list, blank=True, help_text="names of submission checks (plugins.checks)")
    guide_zh = models.TextField(blank=True)
    guide_en = models.TextField(blank=True)
    published = models.BooleanField(default=True)
    # What apps registered about the item (``catalog.extensions``), keyed by app label, e.g.
    # ``{"permits": {"reform_mode": "commitment", "validity_months": 60}}``: the catalogue stores
    # and validates it; only the app that registered an attribute interprets it.
    attributes = models.JSONField(
        default=dict, blank=True, help_text='app-registered item attributes: {"<app>": {"<attribute>": value}}'
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("service item")

    def __str__(self):
        return f"{self.code} {self.name_zh}"

    @property
    def ext(self) -> dict:
        """Every app's attributes of the item with their defaults (``service.ext.permits.x`` in a
        template); code reads them through the owning app's service functions."""
        from zimao.catalog import extensions

        return {e.app_label: extensions.values(self, e.app_label) for e in extensions.registered()}


class ProcessDefinition(models.Model):
    """One version of how a service's cases move (流程定义). Versions are immutable once a case
    uses them; a new version is a new row and running cases keep the one they started on."""

    service = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="processes")
    version = models.PositiveIntegerField()
    definition = models.JSONField()
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["service", "-version"]
        constraints = [models.UniqueConstraint(fields=["service", "version"], name="one_row_per_service_version")]
        verbose_name = _("process definition")

    def __str__(self):
        return f"{self.service.code} v{self.version}"
