"""Market entities (市场主体), company names (企业名称) and the establishment steps
(企业开办: seal, tax, social insurance, housing fund, bank account)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zimao.core.protected import EncryptedTextField


class MarketEntity(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("存续 active")
        DEREGISTERED = "deregistered", _("注销 deregistered")

    uscc = models.CharField(max_length=18, unique=True)
    name = models.CharField(max_length=100, unique=True)
    entity_type = models.CharField(max_length=20, default="enterprise")
    org_form = models.CharField(max_length=40)
    industry = models.CharField(max_length=40, blank=True)
    division = models.CharField(max_length=6)
    registered_capital = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True, help_text="万元")
    address = models.CharField(max_length=200, blank=True)
    business_scope = models.TextField(blank=True)
    legal_rep_name = models.CharField(max_length=50, blank=True)
    legal_rep_id = EncryptedTextField(blank=True, default="")
    legal_rep_id_masked = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.ACTIVE)
    established_on = models.DateField()
    case_number = models.CharField(max_length=32, blank=True, default="", db_index=True)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="entities"
    )
    demo = models.BooleanField(default=False, help_text="demo record: its USCC is generated, not the real company's")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-established_on", "name"]
        indexes = [models.Index(fields=["established_on", "org_form"])]
        verbose_name = _("market entity")
        verbose_name_plural = _("market entities")

    def __str__(self):
        return f"{self.name} ({self.uscc})"


class NameReservation(models.Model):
    """A name held for an application (名称自主申报), released if the case does not finish."""

    class Status(models.TextChoices):
        RESERVED = "reserved", _("reserved")
        USED = "used", _("used")
        RELEASED = "released", _("released")

    full_name = models.CharField(max_length=100)
    division = models.CharField(max_length=6)
    trade_name = models.CharField(max_length=20)
    industry = models.CharField(max_length=40)
    org_form = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RESERVED)
    case_number = models.CharField(max_length=32, unique=True)
    reserved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["full_name"], condition=models.Q(status="reserved"), name="one_live_reservation_per_name"
            )
        ]


class EstablishmentStep(models.Model):
    """One completed step of starting a company, with what it produced (seal serials, tax
    registration, accounts…)."""

    entity = models.ForeignKey(MarketEntity, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(max_length=30)
    details = models.JSONField(default=dict)
    case_number = models.CharField(max_length=32)
    done_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entity", "step"], name="one_record_per_step")]
        ordering = ["done_at"]
